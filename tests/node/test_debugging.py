"""The debugging chapter's scene on the real node (podnotes.node.scenes.debugging): each broken Pod reaches the
state the chapter names, with the Events and messages ``kubectl describe`` shows; logs, exec and ephemeral
containers answer as the chapter says; the failed pull never leaves loopback; nothing is left behind.

Upstream (kubernetes v1.37.2): pkg/kubelet/images/image_manager.go (ErrImagePull, ImagePullBackOff),
pkg/kubelet/kuberuntime/kuberuntime_container.go (CreateContainerConfigError),
kuberuntime_container_linux.go (generateLinuxContainerConfig: an ephemeral container's PID namespace mode
TARGET), kuberuntime_manager.go (doBackOff: CrashLoopBackOff, event BackOff), pkg/kubelet/kubelet.go (SyncPod: the
status is generated before the runtime's SyncPod, the reason cache updated after it), pkg/kubelet/pod_workers.go
(completeWork: the next sync when the back-off ends),
pkg/kubelet/prober/prober.go (Unhealthy), pkg/kubelet/kubelet_pods.go (makeEnvironmentVariables,
validateContainerLogStatus), proc(5) and ptrace(2) (/proc/PID/root needs PTRACE_MODE_READ access).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from podnotes.cluster.describe import event_rows, events_of, waiting_reason

from .conftest import REPORT

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def record(local_node, tmp_path_factory):
    from podnotes import cluster
    from podnotes.node.scenes import SceneContext, debugging

    folder = tmp_path_factory.mktemp("debugging-scene")
    started = time.monotonic()
    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117 - the inner context needs the outer one
        with admin.workshop_namespace("scene") as namespace:
            found = debugging.observe(SceneContext(local_node, admin, namespace, folder, lambda line: None))
    REPORT.append(f"scene debugging: {time.monotonic() - started:.1f} s")
    keep = os.environ.get("PODNOTES_KEEP_SCENE")  # to look at a recording while working on the chapter
    if keep:
        Path(keep).write_text(json.dumps(found, indent=2, default=str))
    return found


def _shown(record, command: str) -> dict:
    """What the scene's ``kubectl COMMAND`` printed, by its command line."""
    found = [run for run in record["kubectl"] if run["command"] == command]
    assert found, f"no `{command}` in the scene: {[run['command'] for run in record['kubectl']]}"
    return found[0]


def _reasons(record, pod: str) -> dict[str, list[str]]:
    rows = event_rows(events_of(record["pods"][pod], record["events"]))
    assert rows, f"no Events recorded for {pod}"
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.reason, []).append(row.message)
    return found


def test_every_broken_pod_reached_its_state_and_nothing_is_left(record):
    from podnotes.node.scenes.debugging import EXPECTED

    assert set(record["met"]) == EXPECTED, record["met"]
    assert record["left_pods"] == []
    table = _shown(record, "kubectl get pods")["stdout"].splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    # Taken the moment crash was between runs, showing how its last run ended; no-image between attempts or
    # in one.
    statuses = {line.split()[0]: line.split()[2] for line in table[1:]}
    assert statuses["crash"] == "Error", table
    assert statuses["no-image"] in ("ErrImagePull", "ImagePullBackOff"), table
    assert statuses["needs-config"] == statuses["needs-secret"] == "CreateContainerConfigError", table
    assert statuses["target"] == "Running", table


def test_describe_prints_the_events_our_rendering_reads_from_the_api(record):
    from podnotes.cluster.describe import event_rows

    for name in ("crash", "unhealthy", "no-image", "needs-config", "needs-secret"):
        text = _shown(record, f"kubectl describe pod {name}")["stdout"]
        events = text.split("\nEvents:", 1)[1]
        rows = event_rows(events_of(record["pods"][name], record["events"]))
        assert rows
        for row in rows:  # kubectl ran a moment before the objects were read: same rows, maybe fewer counts
            assert f"{row.type}  " in events and row.reason in events and row.message[:60] in events, row


def test_crash_loop_events_and_the_previous_log(record):
    reasons = _reasons(record, "crash")
    assert any(m.startswith("Back-off restarting failed container app in pod crash_") for m in reasons["BackOff"])
    # stdout and stderr lines of one instant may come back in either order
    output = sorted(["reading /config/app.conf", "app: /config/app.conf: no such file"])
    current = _shown(record, "kubectl logs crash")
    # the terminated run is still the container's state: plain logs read it (validateContainerLogStatus)
    assert current["exit"] == 0 and sorted(current["stdout"].splitlines()) == output
    state = record["pods"]["crash"]["status"]["containerStatuses"][0]["state"]
    assert state["terminated"]["reason"] == "Error" and state["terminated"]["exitCode"] == 1


def test_crash_loop_back_off_shows_from_a_sync_in_the_back_off_until_the_restart(record):
    """The kubelet writes waiting CrashLoopBackOff at its next sync of the Pod after the run ended; with
    v1.37.2 that sync comes at the latest when the back-off ends (the back-off error carries its end:
    completeWork, MinBackoffExpiration), and the restart follows in the same sync. So the watch sees the
    run's Error, then the word (for a moment, or from an earlier sync on), then the next run."""
    watch = record["crash_watch"]
    assert watch["statuses"], "the watch delivered no status"
    sight = watch["first_crash_loop"]
    assert record["crash_waiting"] and sight is not None, [s["reason"] for s in watch["statuses"]]
    assert sight["backoff"] == "10s" and sight["restart_count"] == 1  # the initial back-off, after run 2
    assert sight["error_for"] is not None and sight["error_for"] >= 0, sight
    assert sight["shown_for"] is not None, sight
    # finishedAt has whole seconds; the restart comes at the end of the 10 s, up to half of it later (jitter)
    assert 9.0 <= sight["after_run_ended"] + sight["shown_for"] <= 20.0, sight
    next_status = watch["statuses"][[s["reason"] for s in watch["statuses"]].index("CrashLoopBackOff") + 1]
    assert next_status["restart_count"] == 2, next_status  # the next run
    table = _shown(record, "kubectl get pod crash --watch")["stdout"].splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    words = [line.split()[2] for line in table[1:]]
    assert "CrashLoopBackOff" in words, table
    first = words.index("CrashLoopBackOff")
    assert words[first - 1] == "Error" and first + 1 < len(words), table


def test_a_failing_liveness_probe_gives_unhealthy_killing_then_back_off(record):
    reasons = _reasons(record, "unhealthy")
    assert reasons["Unhealthy"][0].startswith("Liveness probe failed: cat: can't open '/tmp/healthy'")
    assert "Container app failed liveness probe, will be restarted" in reasons["Killing"]
    assert reasons["BackOff"]
    last = record["pods"]["unhealthy"]["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert last["exitCode"] == 137  # sh as PID 1 ignores SIGTERM: SIGKILL after the 2 s grace period


def test_a_pull_from_a_closed_loopback_port_fails_at_once_and_backs_off(record):
    pod = record["pods"]["no-image"]
    assert record["registry"].startswith("127.0.0.1:")
    assert pod["spec"]["containers"][0]["image"].startswith(record["registry"] + "/")
    reasons = _reasons(record, "no-image")
    failed = " ".join(reasons["Failed"])
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert f"dial tcp {record['registry']}: connect: connection refused" in failed
    assert reasons["BackOff"][0].startswith("Back-off pulling image")
    assert waiting_reason(pod) == "ImagePullBackOff"
    assert "trying and failing to pull image" in _shown(record, "kubectl logs no-image")["stderr"]


def test_a_missing_configmap_key_or_secret_is_create_container_config_error(record):
    config = record["pods"]["needs-config"]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert config["message"] == f"couldn't find key level in ConfigMap {record['namespace']}/settings"
    secret = record["pods"]["needs-secret"]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert secret == {"reason": "CreateContainerConfigError", "message": 'secret "api-token" not found'}
    assert 'Error: secret "api-token" not found' in _reasons(record, "needs-secret")["Failed"]
    refused = _shown(record, "kubectl logs needs-config")
    assert "is waiting to start: CreateContainerConfigError" in refused["stderr"]


def test_adding_the_key_lets_the_kubelet_start_the_same_pod(record):
    fix = record["fix"]
    assert fix["running"] and fix["same_uid"] and fix["restart_count"] == 0
    assert fix["seconds"] < 30
    logs = [run for run in record["kubectl"] if run["command"] == "kubectl logs needs-config"]
    assert logs[-1]["stdout"] == "level=debug\n"


def test_exec_sees_the_container_alone_and_debug_sees_the_target_pid_namespace(record):
    ps = _shown(record, "kubectl exec target -- ps")["stdout"].splitlines()
    assert ps[1].split() == ["1", "root", "sleep", "3600"] and len(ps) == 3  # sleep, and ps itself
    root = _shown(record, "kubectl logs target -c debugger")["stdout"]
    assert "    1 root     sleep 3600" in root, "the ephemeral container shares the app's PID namespace"
    assert "written by the app" in root
    assert "can't open '/tmp/only-in-app': No such file or directory" in root, "its own file system differs"
    other = _shown(record, "kubectl logs target -c debugger-1000")["stdout"]
    assert "    1 root     sleep 3600" in other
    assert "can't open '/proc/1/root/tmp/only-in-app': Permission denied" in other
    assert "written by the app" not in other
    assert all("terminated" in state for state in record["debug"]["states"].values())
    spec = {c["name"]: c for c in record["debug"]["spec"]}
    assert spec["debugger"]["targetContainerName"] == "app"
    assert spec["debugger-1000"]["securityContext"]["runAsUser"] == 1000
    # kubectl's default profile, general, adds SYS_PTRACE (kubectl pkg/cmd/debug/profiles.go); user 1000 is
    # refused anyway: a non-root execve clears permitted and effective capabilities (capabilities(7)).
    assert all(c["securityContext"]["capabilities"]["add"] == ["SYS_PTRACE"] for c in spec.values())
