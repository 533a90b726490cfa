"""The termination scene (podnotes.node.scenes.termination) and its parts (podnotes.node.termination).

Without a node: the recorder script run by the host's busybox sh and sent real signals, the parsing of its
records, the EndpointSlice reading and the observed timeline built from them. On the real node (markers node,
slow): the scene's six deletions and the facts the termination chapter asserts of them, against
kubernetes/kubernetes v1.37.2 (``CheckGracefulDelete``, ``killContainer``, ``newTerminationOrdering``,
``calculateEffectiveGracePeriod``, ``podToEndpoint``, ``canBeDeleted``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from podnotes.node import termination
from podnotes.probes.timeline import Event, Timeline

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def _recorder(tmp_path, name: str, on_term: str, exit_after: str = "0") -> subprocess.Popen:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RECORD_DIR": str(tmp_path), "RECORD": name,
           "ON_TERM": on_term, "EXIT_AFTER": exit_after}
    return subprocess.Popen([BUSYBOX, "sh", "-c", termination.RECORDER], env=env)


def _wait_for_line(path, word: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.is_file() and any(line.startswith(word) for line in path.read_text().splitlines())):
        assert time.monotonic() < deadline, f"no {word} line in {path}"
        time.sleep(0.05)


@pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox (Debian busybox-static) is not installed")
def test_the_recorder_writes_sigterm_and_its_own_exit(tmp_path):
    process = _recorder(tmp_path, "graceful", "exit", "0.5")
    try:
        _wait_for_line(tmp_path / "graceful", "beat")
        sent = time.clock_gettime(time.CLOCK_BOOTTIME)
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0, "the trap exits with 0"
    finally:
        process.kill()
    record = termination.parse_record((tmp_path / "graceful").read_text())
    assert record.started and len(record.term) == 1
    assert 0 <= record.term[0] - sent <= 0.5, "TERM written within one heartbeat of the signal"
    assert record.exited is not None and 0.4 <= record.exited - record.term[0] <= 1.0
    assert record.stopped == record.exited


@pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox (Debian busybox-static) is not installed")
def test_a_recorder_that_ignores_sigterm_ends_at_its_last_heartbeat_when_killed(tmp_path):
    process = _recorder(tmp_path, "stubborn", "ignore")
    try:
        _wait_for_line(tmp_path / "stubborn", "beat")
        process.send_signal(signal.SIGTERM)
        _wait_for_line(tmp_path / "stubborn", "TERM")
        time.sleep(0.6)
        assert process.poll() is None, "SIGTERM ignored: still running"
        killed = time.clock_gettime(time.CLOCK_BOOTTIME)
        process.kill()
        assert process.wait(5) == -signal.SIGKILL
    finally:
        process.kill()
    record = termination.parse_record((tmp_path / "stubborn").read_text())
    assert record.exited is None and record.last_beat is not None
    assert record.last_beat > record.term[0], "it kept beating after SIGTERM"
    assert 0 <= killed - record.stopped <= 0.5


def test_records_cut_short_by_sigkill_are_skipped():
    record = termination.parse_record("start 10.00\nbeat 10.20\nTERM 11.05\nbeat 11.2\nbeat 11.4\nbea")
    assert (record.started, record.term, record.last_beat, record.exited) == ([10.0], [11.05], 11.4, None)
    assert termination.parse_record("").stopped is None


def test_endpoint_states_read_each_pod_address_conditions():
    slices = [{"endpoints": [
        {"targetRef": {"kind": "Pod", "name": "web-plain"},
         "conditions": {"ready": False, "serving": True, "terminating": True}},
        {"targetRef": {"kind": "Pod", "name": "web-prestop"}, "conditions": {"ready": True, "serving": True}},
        {"targetRef": {"kind": "Node", "name": "not-a-pod"}, "conditions": {"ready": True}},
    ]}]
    assert termination.endpoint_states(slices) == {"web-plain": (False, True, True),
                                                   "web-prestop": (True, True, False)}
    assert termination.endpoint_states([{"endpoints": None}]) == {}


def test_the_observed_timeline_gains_the_deletion_sigterm_exit_and_removal():
    created, offset = 1000.0, 500.0  # wall = uptime + offset
    api = Timeline(pod="forced", duration=12.0, source="observed", events=[
        Event(time=3.0, kind="start", container="app", restart_count=0)])
    programs = {"app": termination.parse_record("start 503.1\nbeat 509.9\nTERM 510.2\nbeat 513.0\n")}
    observed = termination.observed_with_records(api, created, deleted=1010.0, removed=1010.1,
                                                 programs=programs, boot_offset=offset)
    kinds = [(event.kind, event.time) for event in observed.events]
    assert kinds == [("start", 3.0), ("delete", 10.0), ("removed", 10.1), ("stop", 10.2), ("exit", 13.0)]
    assert observed.select("exit")[0].exit_code == 137, "no EXIT line: killed"
    assert termination.seconds_after(observed.events, "exit", 10.0) == [3.0]


def test_the_programs_own_exit_replaces_the_apis_later_report_and_killing_events_fill_in():
    api = Timeline(pod="sidecars", duration=12.0, source="observed", events=[
        Event(time=1.0, kind="start", container="app", restart_count=0),
        Event(time=9.0, kind="exit", container="app", exit_code=0)])  # the next status update, late
    programs = {"app": termination.parse_record("start 501.0\nTERM 505.1\nEXIT 507.1\n")}
    kills = termination.killing_events([
        {"involvedObject": {"kind": "Pod", "name": "sidecars", "fieldPath": "spec.containers{app}"},
         "reason": "Killing", "message": "Stopping container app", "lastTimestamp": "1970-01-01T00:16:45Z"},
        {"involvedObject": {"kind": "Pod", "name": "other", "fieldPath": "spec.containers{app}"},
         "reason": "Killing", "message": "Stopping container app", "lastTimestamp": "1970-01-01T00:16:45Z"},
    ], "sidecars", created=1000.0)
    assert [(e.kind, e.container, e.time) for e in kills] == [("kill", "app", 5.0)]
    observed = termination.observed_with_records(api, 1000.0, deleted=1005.0, removed=None, programs=programs,
                                                 boot_offset=500.0, kills=kills)
    assert [(e.time, e.exit_code) for e in observed.select("exit")] == [(7.1, 0)], "the program's own exit"
    assert [e.time for e in observed.select("kill")] == [5.0] and not observed.select("removed")


def test_every_case_is_a_valid_pod_and_its_records_folder_is_filled_in():
    from podnotes.probes.spec import parse_pod

    cases = termination.cases()
    assert [case.name for case in cases] == ["web-prestop", "web-plain", "ignores-term", "sidecars", "forced",
                                             "finalized"]
    for case in cases:
        manifest = termination.with_records_dir(case.manifest, "/tmp/records")
        assert manifest["spec"]["volumes"][0]["hostPath"]["path"] == "/tmp/records"
        assert case.manifest["spec"]["volumes"][0]["hostPath"]["path"] == "RECORDS", "the case is not changed"
        parse_pod(manifest)  # raises InvalidPod if the API server would refuse it


def test_a_missing_or_failed_record_draws_nothing():
    assert termination.overlays_from_scene(None) == {}
    assert termination.overlays_from_scene({"scene": "termination", "error": "TimeoutError: x"}) == {}



def test_without_a_record_the_chapter_says_why_and_fails_where_real_results_are_required(monkeypatch, tmp_path):
    from podnotes import provenance

    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    monkeypatch.setenv(provenance.RECORDS_ENV, str(tmp_path / "records"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PODNOTES_REQUIRE_REAL", raising=False)
    scene, part = termination.real_part("termination")
    assert scene is None and not part.real and part.reason and part.command.endswith("make book")
    assert "could not run these deletions" in part.sentence()
    monkeypatch.setenv("PODNOTES_REQUIRE_REAL", "1")
    with pytest.raises(provenance.RealPartMissing, match="termination"):
        provenance.show(part)


def test_a_recorded_failure_is_named_not_drawn(monkeypatch, tmp_path):
    import json

    from podnotes.node import observe

    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    monkeypatch.setattr(observe, "observations_state", lambda folder=None: observe.ObservationsState(
        tmp_path, True, True, "d", "d"))
    monkeypatch.setattr(observe, "reasons_node_cannot_run", lambda: [])
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "termination.json").write_text(json.dumps({"scene": "termination",
                                                                      "error": "TimeoutError: no Ready"}))
    scene, part = termination.real_part("termination")
    assert scene is None and not part.real and "TimeoutError: no Ready" in part.reason


# --- on the real node ------------------------------------------------------------------------------------

@pytest.mark.node
@pytest.mark.slow
def test_the_scene_on_a_real_kubelet(local_node, node_cluster, tmp_path):
    from podnotes.node.scenes import SceneContext
    from podnotes.node.scenes import termination as scene
    from tests.node.conftest import REPORT

    started = time.perf_counter()
    record = scene.observe(SceneContext(local_node, node_cluster, node_cluster.namespace, tmp_path, print))
    seconds = time.perf_counter() - started
    REPORT.append(f"termination scene: {seconds:.1f} s")
    assert seconds < 90, "a scene stays well under 90 s"

    overlays = termination.overlays_from_scene(record)
    assert sorted(overlays) == sorted(case.name for case in termination.cases())
    for name, overlay in overlays.items():
        assert overlay.rows, name
        REPORT.append(f"  {name}: {len(overlay.rows)} instants, largest difference "
                      f"{overlay.largest_difference:.1f} s")
        assert overlay.agrees, (name, [row for row in overlay.rows if not row["agrees"]])

    times = termination.program_times(record)
    assert 4.5 <= times["web-prestop"]["app"]["SIGTERM"] <= 7.5, "SIGTERM after the 5 s preStop sleep"
    assert times["web-plain"]["app"]["SIGTERM"] < 2.5, "no hook: SIGTERM at once"
    assert 5.5 <= times["ignores-term"]["app"]["ended"] <= 8.5, "SIGKILL at the 6 s grace period"
    side = times["sidecars"]
    assert side["app"]["SIGTERM"] < side["proxy"]["SIGTERM"] < side["log-shipper"]["SIGTERM"]
    assert side["proxy"]["SIGTERM"] >= side["app"]["ended"] - 0.5, "proxy waits for the app to exit"
    assert record["gone_at_once"]["forced"] and not record["gone_at_once"]["web-plain"]
    forced = times["forced"]["app"]
    assert 1.5 <= forced["ended"] - forced["SIGTERM"] <= 3.5, "SIGKILL 2 s after SIGTERM"
    held = record["finalizer"]
    assert held["exists"] and held["phase"] == "Succeeded", "the finalizer keeps the stopped Pod"

    pods = {pod["name"]: pod for pod in record["pods"]}
    assert abs(pods["ignores-term"]["deletion_timestamp_after_request"] - 6) <= 1.5, "now + grace"
    assert abs(pods["web-plain"]["deletion_timestamp_after_request"] - 30) <= 1.5
    terminating = [c for c in record["endpoints"] if c["pod"] == "web-prestop" and c.get("terminating")]
    assert terminating and not terminating[0]["ready"], "ready: false, terminating: true"
    assert terminating[0]["after_deletion"] < times["web-prestop"]["app"]["SIGTERM"]

    # the scene leaves the node as it found it
    assert not node_cluster.list("Pod") and not node_cluster.exists("Service", termination.SERVICE)
    assert not (local_node.workdir / "termination-records").exists()


@pytest.mark.node
@pytest.mark.slow
def test_a_scene_that_fails_midway_leaves_no_pod_finalizer_or_service(local_node, node_cluster, tmp_path,
                                                                      monkeypatch):
    """The failure comes after the deletions, while the finalized Pod is held: the scene's clean-up must
    remove the finalizer so that Pod goes too."""
    from podnotes.node.scenes import SceneContext
    from podnotes.node.scenes import termination as scene

    calls = []
    real_until = scene._until

    def failing_until(condition, timeout, what):
        calls.append(what)
        if len(calls) == 2:  # waiting for the finalized Pod, after every deletion
            raise TimeoutError(f"{what}: injected")
        return real_until(condition, timeout, what)

    monkeypatch.setattr(scene, "_until", failing_until)
    with pytest.raises(TimeoutError, match="injected"):
        scene.observe(SceneContext(local_node, node_cluster, node_cluster.namespace, tmp_path, print))
    assert len(calls) == 2, calls
    assert not node_cluster.list("Pod"), "every Pod is gone, the finalized one included"
    assert not node_cluster.exists("Service", termination.SERVICE)
    assert not (local_node.workdir / "termination-records").exists()
    import threading

    watching = [thread.name for thread in threading.enumerate() if "_pods" in thread.name or "_slices" in thread.name]
    assert not watching, f"watches left running: {watching}"


def test_the_race_paragraph_comes_in_both_languages(monkeypatch):
    """The paragraph is one build's figures, shown in both editions from one execution (podnotes.notices)."""
    times = {"web-plain": {"app": {"SIGTERM": 0.4, "ended": 0.5}},
             "web-prestop": {"app": {"SIGTERM": 5.2, "ended": 5.3}}}
    monkeypatch.setattr(termination, "program_times", lambda scene: times)
    monkeypatch.setattr(termination, "terminating_at", lambda scene, pod: {"web-plain": 0.1, "web-prestop": 0.2}[pod])
    notice = termination.race_markdown({"pods": []})
    assert notice.en.startswith("In this build, `web-plain` got `SIGTERM` 0.3 s after its EndpointSlice entry")
    assert "之后 0.3 s 收到了 `SIGTERM`" in notice.zh and "之前 5.0 s 就已改变" in notice.zh
    assert termination.race_markdown({"error": "boom"}) is None
