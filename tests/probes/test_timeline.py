"""The timeline schema: JSON round trip and validation against the shipped JSON Schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from podnotes.probes import PRESETS, Event, Timeline, simulate
from podnotes.probes.timeline import SCHEMA_FILE, json_schema


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_timeline_matches_the_schema_and_round_trips(name):
    chosen = PRESETS[name]
    timeline = simulate(chosen.pod(), chosen.behaviour, chosen.duration)
    data = json.loads(timeline.to_json())
    jsonschema.validate(data, json_schema())
    again = Timeline.from_json(timeline.to_json())
    assert again == timeline


def test_the_schema_file_ships_in_the_package():
    assert SCHEMA_FILE.is_file()
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_the_schema_rejects_an_event_missing_its_fields():
    bad = Timeline("p", 10.0, [Event(1.0, "start", container="app")]).to_dict()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema())


def test_from_json_refuses_other_documents():
    with pytest.raises(ValueError, match="not a podnotes timeline"):
        Timeline.from_json('{"schema": "something else"}')
    with pytest.raises(ValueError, match="unknown event field"):
        Event.from_dict({"time": 0, "kind": "phase", "colour": "red"})


def test_helpers_answer_the_usual_questions():
    chosen = PRESETS["http-liveness"]
    timeline = simulate(chosen.pod(), chosen.behaviour, 60)
    assert timeline.first_probe("liveness") == 3.0
    assert timeline.first_probe("readiness") is None
    assert timeline.restart_count(17.9) == 0 and timeline.restart_count(18.0) == 1
    assert timeline.phase_at(30) == "Running"
    assert timeline.ready_intervals()[0][0] == 0.0


def test_an_observed_timeline_with_only_what_the_api_reports_is_valid():
    """Observed timelines lack what the API does not report (a back-off's length, a kill's grace period)."""
    observed = Timeline("liveness-exec", 80.0, source="observed", events=[
        Event(0.0, "phase", phase="Running"),
        Event(30.2, "probe", container="liveness", probe="liveness", result="failure",
              message="Liveness probe failed: cat: can't open '/tmp/healthy'"),
        Event(40.1, "kill", container="liveness", reason="LivenessProbe"),
        Event(70.3, "exit", container="liveness"),
        Event(70.4, "backoff", container="liveness", reason="CrashLoopBackOff"),
        Event(71.0, "start", container="liveness", restart_count=1),
    ])
    jsonschema.validate(json.loads(observed.to_json()), json_schema())
    assert Timeline.from_json(observed.to_json()).restart_count(75.0) == 1


def test_shifting_a_timeline_moves_every_instant_and_keeps_the_original():
    from podnotes.probes import PRESETS, simulate

    preset = PRESETS["exec-liveness"]
    original = simulate(preset.manifest, preset.behaviour, 120)
    moved = original.shifted(3.0)
    assert [e.time for e in moved.events] == [e.time + 3.0 for e in original.events]
    assert moved.duration == original.duration + 3.0
    assert moved.kills() == [t + 3.0 for t in original.kills()]
    assert original.events[0].time == simulate(preset.manifest, preset.behaviour, 120).events[0].time


def test_timelines_with_every_new_event_kind_match_the_schema():
    """Probe errors (ResolveContainerPort), ProbeWarning events (DoHTTPProbe),
    stop signals, the active deadline (active_deadline.go) and Pod updates all
    serialise to JSON the shipped schema accepts, and round-trip."""
    from podnotes.probes import Behaviour, ContainerBehaviour, PodUpdate, ProbeAnswers, Steps

    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "all-kinds"}, "spec": {
        "activeDeadlineSeconds": 50,
        "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
        "containers": [{"name": "app", "image": "busybox",
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "livenessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5}}]}}
    behaviour = Behaviour({"app": ContainerBehaviour(probes={"liveness": ProbeAnswers(Steps(((0.0, 302),)))})})
    timeline = simulate(manifest, behaviour, 80, updates=[PodUpdate(at=20, images={"app": "busybox:2"})])
    kinds = {event.kind for event in timeline.events}
    assert {"warning", "stop", "deadline", "update"} <= kinds
    assert {"error", "success"} <= {event.result for event in timeline.select("probe")}
    data = json.loads(timeline.to_json())
    jsonschema.validate(data, json_schema())
    assert Timeline.from_json(timeline.to_json()) == timeline
    schema = json_schema()["$defs"]["event"]["properties"]
    from podnotes.probes.timeline import EVENT_KINDS, PROBE_RESULTS
    assert schema["kind"]["enum"] == list(EVENT_KINDS)
    assert schema["result"]["enum"] == list(PROBE_RESULTS)
