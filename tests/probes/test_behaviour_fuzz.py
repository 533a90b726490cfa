"""Property-based fuzzing of behaviour files: any data, any text, only BehaviourError, never a traceback."""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podnotes.manifest import load
from podnotes.probes import Behaviour, BehaviourError, behaviour_from_dict, load_behaviour, simulate
from podnotes.probes.behaviour import json_schema
from podnotes.probes.simulator import SimulationTooLong

POD = load(Path(__file__).resolve().parents[2] / "chapters" / "manifests" / "exec-liveness.yaml")
KEYS = ["containers", "tickPhase", "deleteAt", "liveness", "readiness", "startup", "exitAfter", "exitCode",
        "sigterm", "sigtermExitAfter", "sigtermExitCode", "preStopSeconds", "probes", "answers", "delays",
        "clock", "uptime", "pod", "exit", "ignore", "liveness/liveness", "bogus"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(),
                    st.sampled_from(["SERVING", "down", "exit", "ignore", "uptime", "pod", "", "1e999"]),
                    st.text(max_size=6))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=30)
ANSWER = st.one_of(st.none(), st.booleans(), st.integers(-5, 700), st.sampled_from(["SERVING", "NOT_SERVING", "x"]))
SECONDS = st.one_of(st.integers(-3, 200), st.floats(-1, 1e6), st.sampled_from([math.nan, math.inf, -math.inf, 1e300]))
PROBE = st.fixed_dictionaries({}, optional={
    "answers": st.one_of(ANSWER, st.lists(st.tuples(SECONDS, ANSWER).map(list), max_size=4)),
    "delays": st.one_of(SECONDS, st.lists(st.tuples(SECONDS, SECONDS).map(list), max_size=3)),
    "clock": st.sampled_from(["uptime", "pod", "wall"])})
CONTAINER = st.fixed_dictionaries({}, optional={
    "exitAfter": st.one_of(st.none(), SECONDS), "exitCode": st.one_of(st.integers(-2, 300), st.text(max_size=3)),
    "sigterm": st.sampled_from(["exit", "ignore", "maybe"]), "sigtermExitAfter": SECONDS,
    "preStopSeconds": SECONDS, "probes": st.dictionaries(st.sampled_from(["liveness", "readiness", "startup"]),
                                                         PROBE, max_size=3)})
SHAPED = st.fixed_dictionaries({}, optional={
    "containers": st.dictionaries(st.sampled_from(["liveness", "other"]), CONTAINER, max_size=2),
    "tickPhase": st.one_of(SECONDS, st.dictionaries(st.sampled_from(["liveness", "liveness/liveness"]), SECONDS)),
    "deleteAt": st.one_of(st.none(), SECONDS)})


def _read(data) -> Behaviour | None:
    try:
        return behaviour_from_dict(data)
    except BehaviourError as err:
        assert str(err) and "Traceback" not in str(err)
        return None


def _accepted_values_are_sane(behaviour: Behaviour) -> None:
    if behaviour.delete_at is not None:
        assert math.isfinite(behaviour.delete_at) and 0 <= behaviour.delete_at <= 86_400
    for container in behaviour.containers.values():
        assert isinstance(container.exit_code, int) and 0 <= container.exit_code <= 255
        for answers in container.probes.values():
            for time, delay in answers.delays.points:
                assert math.isfinite(time) and math.isfinite(delay) and time >= 0 and delay >= 0


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DATA)
def test_any_data_is_read_or_refused_with_a_message(data):
    behaviour = _read(data)
    if behaviour is not None:
        _accepted_values_are_sane(behaviour)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPED)
def test_nearly_right_files_simulate_or_are_refused(data):
    """What the schema accepts, the simulator takes: a timeline, or a BehaviourError for an answer of the wrong
    kind or for a container or probe the Pod does not have."""
    behaviour = _read(data)
    if behaviour is None:
        return
    _accepted_values_are_sane(behaviour)
    try:
        timeline = simulate(POD, behaviour, 120)
    except BehaviourError as err:
        assert "answer" in str(err) or "the Pod does not have" in str(err)
        return
    except SimulationTooLong:  # pragma: no cover - 120 s never comes near the bound
        raise
    except ValueError as err:
        assert "tick phase" in str(err)
        return
    assert all(math.isfinite(event.time) for event in timeline.events)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=SHAPED, edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3),
                                            st.sampled_from(["", "!!int ", "&a ", "*a", "[", "{", ":", "\t",
                                                             "!!python/x ", ".nan", "-", "'", "\\xff"])),
                                   max_size=4))
def test_mutated_files_are_read_or_refused_with_file_and_line(data, edits, tmp_path_factory):
    text = yaml.safe_dump(data, default_flow_style=True)
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut:]
    path = tmp_path_factory.mktemp("b") / "behaviour.yaml"
    path.write_text(text)
    try:
        load_behaviour(path)
    except BehaviourError as err:
        assert str(err).startswith(str(path)), err


def test_the_schema_is_a_valid_draft_2020_12_schema_with_every_field_described():
    import jsonschema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    container = schema["$defs"]["container"]["properties"]
    assert set(container) == {"exitAfter", "exitCode", "sigterm", "sigtermExitAfter", "sigtermExitCode",
                              "preStopSeconds", "probes"}
    assert all("description" in schema["properties"][name] for name in schema["properties"])
