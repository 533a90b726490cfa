"""Reading a crash-looping container's statuses from ``kubectl get pod --watch -o json`` (no node needed).

The statuses follow what a kubelet v1.37.2 writes (pkg/kubelet/kubelet.go SyncPod, pkg/kubelet/pod_workers.go
completeWork, pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses): the run's terminated state, then
``waiting: CrashLoopBackOff`` with the back-off message when the back-off ends, then the next run.
"""

from __future__ import annotations

import json

import pytest

from podnotes.node import crashloop

UID = "0f6a3c1e-3b3a-4c4e-9d55-0d1f2f3e4a5b"


def _pod(state: dict, restarts: int, last: dict | None = None) -> dict:
    status = {"name": "app", "state": state, "restartCount": restarts, "lastState": last or {}}
    return {"kind": "Pod", "metadata": {"name": "crash"}, "status": {"containerStatuses": [status]}}


def _ended(second: int) -> dict:
    return {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": f"2026-12-01T03:00:{second:02d}Z"}}


WAITING = {"waiting": {"reason": "CrashLoopBackOff",
                       "message": f"back-off 10s restarting failed container=app pod=crash_ns({UID})"}}
T0 = 1796094000.0  # 2026-12-01T03:00:00Z


def _lines(*objects: tuple[float, dict]) -> list[tuple[float, str]]:
    lines = []
    for at, pod in objects:
        text = json.dumps(pod, indent=4)
        lines += [(at - 0.01, line + "\n") for line in text.splitlines()[:-1]] + [(at, "}\n")]
    return lines


def _loop() -> list[tuple[float, dict]]:
    return [(T0 + 1.2, _pod({"waiting": {"reason": "ContainerCreating"}}, 0)),
            (T0 + 2.1, _pod(_ended(2), 0)),
            (T0 + 3.4, _pod(_ended(3), 1, _ended(2))),
            (T0 + 13.9, _pod(WAITING, 1, _ended(3))),
            (T0 + 14.8, _pod(_ended(14), 2, _ended(3)))]


def test_the_first_crash_loop_back_off_is_read_with_its_timing():
    objects = crashloop.stamped_objects(_lines(*_loop()))
    assert [at for at, _ in objects] == [at for at, _ in _loop()]
    statuses = [crashloop.watched_status(pod, at, "app") for at, pod in objects]
    assert [s.reason for s in statuses if s] == ["ContainerCreating", "Error", "Error", "CrashLoopBackOff", "Error"]
    sight = crashloop.first_crash_loop([s for s in statuses if s])
    assert sight == crashloop.CrashLoopSight(backoff="10s", after_run_ended=10.9, error_for=10.5, shown_for=0.9,
                                             restart_count=1)


def test_no_crash_loop_and_a_watch_cut_in_the_middle():
    loop = _loop()
    lines = _lines(*loop[:3])
    cut = _lines(loop[3])[:5]  # the watch was stopped while kubectl printed the object
    statuses = [crashloop.watched_status(pod, at, "app") for at, pod in crashloop.stamped_objects(lines + cut)]
    assert len(statuses) == 3
    assert crashloop.first_crash_loop([s for s in statuses if s]) is None
    sight = crashloop.first_crash_loop([crashloop.watched_status(p, at, "app") for at, p in loop[1:4]])
    assert sight is not None and sight.shown_for is None and sight.error_for == 10.5


def test_a_pod_without_container_statuses_and_another_container():
    assert crashloop.watched_status({"status": {"phase": "Pending"}}, T0, "app") is None
    assert crashloop.watched_status(_pod(WAITING, 1, _ended(3)), T0, "sidecar") is None


def test_a_crash_loop_status_without_the_kubelet_message_is_an_error():
    odd = crashloop.watched_status(_pod({"waiting": {"reason": "CrashLoopBackOff", "message": "?"}}, 1, _ended(3)),
                                   T0 + 13, "app")
    with pytest.raises(ValueError, match="not a kubelet back-off status"):
        crashloop.first_crash_loop([odd])


def test_broken_json_is_an_error():
    with pytest.raises(ValueError):
        crashloop.stamped_objects([(T0, "{\n"), (T0, '  "a": \n'), (T0, "}\n")])
