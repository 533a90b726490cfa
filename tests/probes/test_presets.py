"""The presets reproduce what the Kubernetes documentation says about its
examples ("Configure Liveness, Readiness and Startup Probes")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from podnotes.probes import PRESETS, preset, simulate

MANIFESTS = Path(__file__).resolve().parents[2] / "chapters" / "manifests"


def run(name, duration=None):
    chosen = preset(name)
    return simulate(chosen.pod(), chosen.behaviour, duration or chosen.duration)


def test_exec_liveness_is_killed_after_three_failures_and_shows_one_restart():
    """Docs: after 35 s the events show the liveness probe failed (x3) and the
    container is killed; some 30 s later RESTARTS is 1. busybox sh as PID 1
    ignores SIGTERM, so the kill takes the whole 30 s grace period."""
    timeline = run("exec-liveness")
    failures = [e.time for e in timeline.select("probe", result="failure")]
    assert failures[:3] == [30.0, 35.0, 40.0]
    assert timeline.kills()[0] == 40.0
    assert timeline.select("threshold")[0].count == 3
    assert timeline.restart_count(69.0) == 0
    assert timeline.restart_count(75.0) == 1
    assert timeline.select("exit")[0].exit_code == 137


def test_http_liveness_restarts_after_the_health_check_turns_500():
    """Docs: /healthz answers 200 for the first 10 s, then 500; the kubelet kills
    and restarts the container (initialDelaySeconds 3, periodSeconds 3)."""
    timeline = run("http-liveness")
    assert timeline.first_probe("liveness") == 3.0
    assert [e.time for e in timeline.select("probe", result="failure")][:3] == [12.0, 15.0, 18.0]
    assert timeline.restarts()[0] == 18.0


def test_tcp_goproxy_is_ready_at_15_seconds_and_never_restarts():
    """Docs: the first readiness and liveness checks run 15 s after the start; goproxy listens, so Ready, 0 restarts."""
    timeline = run("tcp-liveness-readiness")
    assert timeline.first_probe("readiness") == 15.0
    assert timeline.first_probe("liveness") == 15.0
    assert timeline.ready_intervals() == [(15.0, None)]
    assert timeline.restart_count(60.0) == 0


def test_slow_start_is_protected_by_the_startup_budget():
    """Docs: failureThreshold 30 x periodSeconds 10 gives the application 300 s to start."""
    timeline = run("slow-start")
    assert timeline.select("started", status=True)[0].time == 100.0
    assert timeline.kills() == []


def test_crash_loop_stays_running_with_growing_waits():
    timeline = run("crash-loop")
    assert {phase for _, phase in timeline.phases()} == {"Pending", "Running"}
    assert [e.seconds for e in timeline.select("backoff")][:5] == [10, 20, 40, 80, 160]


def test_coredns_is_killed_45_seconds_after_its_first_failed_check():
    """The source note's coredns probe (timeout 5 s, period 10 s, 5 failures):
    probes start every 10 s whatever the timeout, and the fifth failure is known
    when its 5 s timeout expires: first failure + 4 x 10 + 5 s."""
    timeline = run("coredns")
    first_failure = timeline.select("probe", probe="liveness", result="timeout")[0].time
    assert first_failure == 120.0
    assert timeline.kills()[0] == first_failure + 4 * 10 + 5


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_chapter_manifests_match_the_presets(name):
    path = MANIFESTS / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path.name} is not used by a chapter")
    assert yaml.safe_load(path.read_text()) == PRESETS[name].manifest


def test_unknown_preset_names_the_choices():
    with pytest.raises(KeyError, match="exec-liveness"):
        preset("nope")
