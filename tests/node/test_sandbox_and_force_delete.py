"""What the kubelet does on the node, checked on a real one: a Pod whose sandbox dies gets a new
sandbox (a new pause process, the kubelet's SandboxChanged Event) and keeps its identity; a force-deleted Pod's
container still gets SIGTERM and at least minimumGracePeriodInSeconds (2 s,
pkg/kubelet/kuberuntime/kuberuntime_manager.go) before SIGKILL."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .test_pod_namespaces import container_pids, pause_pids, run_pod

pytestmark = pytest.mark.node

IGNORES_SIGTERM = ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]


def one_container(name: str, command: list[str], grace: int = 30) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "terminationGracePeriodSeconds": grace,
        "containers": [{"name": "app", "image": "registry.k8s.io/busybox:1.27.2", "command": command}],
    }}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pause_of(container_pid: int) -> int:
    net = os.readlink(f"/proc/{container_pid}/ns/net")
    [pause] = [pid for pid in pause_pids() if os.readlink(f"/proc/{pid}/ns/net") == net]
    return pause


def test_a_dead_sandbox_is_replaced_for_the_same_pod(local_node, node_cluster):
    from podnotes.cluster import wait_for

    manifest = one_container("sandbox-dies", IGNORES_SIGTERM, grace=2)
    pod = run_pod(node_cluster, manifest)
    first_pause = pause_of(container_pids(local_node, pod)["app"])
    os.kill(first_pause, signal.SIGKILL)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pod = node_cluster.get("Pod", "sandbox-dies")
        statuses = pod["status"].get("containerStatuses") or []
        if statuses and statuses[0].get("restartCount", 0) >= 1 and statuses[0].get("ready"):
            break
        time.sleep(1)
    pod = wait_for(node_cluster, "sandbox-dies", "Ready", timeout=60, progress=False)
    second_pause = pause_of(container_pids(local_node, pod)["app"])
    assert second_pause != first_pause and not alive(first_pause)
    # Namespace inode numbers are reused once freed, so the new sandbox is recognised by the
    # kubelet's own Event (kuberuntime_manager.go: "Pod sandbox changed, it will be killed and re-created.").
    reasons = {event["reason"] for event in node_cluster.list("Event")
               if event["involvedObject"]["name"] == "sandbox-dies"}
    assert "SandboxChanged" in reasons, reasons
    assert pod["metadata"]["uid"] == node_cluster.get("Pod", "sandbox-dies")["metadata"]["uid"]
    assert pod["status"]["containerStatuses"][0]["restartCount"] >= 1, "the container was started again"
    node_cluster.delete(manifest)


def test_force_delete_still_gives_the_container_sigterm_and_two_seconds(local_node, node_cluster):
    manifest = one_container("forced", IGNORES_SIGTERM, grace=30)
    pod = run_pod(node_cluster, manifest)
    pid = container_pids(local_node, pod)["app"]
    deleted_at = time.monotonic()
    node_cluster.force_delete(manifest)
    assert not node_cluster.exists("Pod", "forced"), "the API object is gone at once"
    while alive(pid) and time.monotonic() - deleted_at < 30:
        time.sleep(0.05)
    lived = time.monotonic() - deleted_at
    assert not alive(pid), "the kubelet killed the container"
    assert 2.0 <= lived < 30, f"killed {lived:.1f} s after the force deletion: the 2 s minimum, not 30 s"
