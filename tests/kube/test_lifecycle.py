"""The seconds an exec preStop hook sleeps, read off its command (podnotes.kube.lifecycle), and the advice
built on it. The kubelet's rule (killContainer, executePreStopHook and minimumGracePeriodInSeconds in
pkg/kubelet/kuberuntime/kuberuntime_container.go): the hook runs within the grace period, what it used is
subtracted, and the container gets at least 2 s between SIGTERM and SIGKILL."""

from __future__ import annotations

import math

import pytest
import yaml

from podnotes.kube.lifecycle import MINIMUM_GRACE_PERIOD_SECONDS, exec_sleep_seconds, sleep_seconds
from podnotes.lint import lint


@pytest.mark.parametrize("argument,seconds", [
    ("30", 30), ("1.5", 1.5), (".5", 0.5), ("2m", 120), ("1h", 3600), ("1d", 86400), ("10s", 10),
    ("infinity", math.inf), ("abc", None), ("-1", None), ("", None),
])
def test_sleep_durations_as_gnu_and_busybox_read_them(argument, seconds):
    assert sleep_seconds(argument) == seconds


@pytest.mark.parametrize("command,seconds", [
    (["sleep", "30"], 30),
    (["/bin/sleep", "15"], 15),
    (["sh", "-c", "sleep 5 && nginx -s quit"], 5),
    (["/bin/sh", "-c", "sleep 5; nginx -s quit; sleep 10"], 15),
    (["bash", "-c", "sleep 5\nsleep 7"], 12),
    (["sh", "-c", "sleep 100 & wait_for_drain"], 0),        # in the background: it does not hold the hook
    (["sh", "-c", "echo sleep 100"], 0),                     # an argument, not a command
    (["sh", "-c", "if true; then sleep 40; fi"], 40),
    (["nginx", "-s", "quit"], 0),
    (["sh", "-c", "sleep 'unterminated"], 0),                # cannot be split: nothing is claimed
    ([], 0),
])
def test_foreground_sleeps_of_a_command(command, seconds):
    assert exec_sleep_seconds(command) == seconds


def advice(command: list[str], grace: int | None = None) -> list:
    spec: dict = {"containers": [{"name": "web", "image": "nginx:1.27",
                                  "lifecycle": {"preStop": {"exec": {"command": command}}}}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec}
    return [f for f in lint(yaml.safe_dump(pod), level="privileged") if f.rule == "prestop-outlasts-grace-period"]


@pytest.mark.parametrize("command,grace,warned", [
    (["sleep", "30"], None, True),            # the default grace period is 30 s
    (["sleep", "29"], None, True),            # 1 s left, raised to the 2 s minimum
    (["sleep", "28"], None, False),           # 2 s left: what the program gets anyway
    (["sh", "-c", "sleep 60 && nginx -s quit"], 90, False),
    (["sh", "-c", "sleep 60 && nginx -s quit"], 45, True),
    (["sleep", "infinity"], 3600, True),
    (["sleep", "30"], 0, False),              # no grace period: the kubelet does not run the hook
])
def test_a_hook_that_leaves_only_the_minimum_is_advised(command, grace, warned):
    found = advice(command, grace)
    assert bool(found) is warned
    if found:
        assert found[0].severity == "warning" and found[0].path.endswith("lifecycle.preStop.exec.command")
        assert f"{MINIMUM_GRACE_PERIOD_SECONDS} s" in found[0].message and "terminationGracePeriodSeconds" in \
            found[0].fix


@pytest.mark.parametrize("seconds,grace,warned", [
    (30, None, True),    # allowed (validateSleepAction refuses only a sleep longer than the grace period)
    (29, None, True),
    (28, None, False),
    (45, 30, False),     # longer than the grace period: the server's error, not this advice
    (60, 90, False),
])
def test_a_sleep_action_that_leaves_only_the_minimum_is_advised(seconds, grace, warned):
    """The `sleep` hook action is timed like an exec hook (kuberuntime_container.go executePreStopHook)."""
    spec: dict = {"containers": [{"name": "web", "image": "nginx:1.27",
                                  "lifecycle": {"preStop": {"sleep": {"seconds": seconds}}}}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec}
    found = [f for f in lint(yaml.safe_dump(pod), level="privileged") if f.rule == "prestop-outlasts-grace-period"]
    assert bool(found) is warned
    if found:
        assert found[0].path.endswith("lifecycle.preStop.sleep.seconds")
        assert f"sleeps {seconds} s" in found[0].message
