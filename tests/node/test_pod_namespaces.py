"""A real Pod on the local node shares the namespaces the hand-built Pod (podnotes.linux.pod) shares, has a
pause process holding them, and with shareProcessNamespace shows that pause process as PID 1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.node

KINDS = ("net", "uts", "ipc", "pid", "mnt")


def two_containers(name: str, share_process_namespace: bool) -> dict:
    sleeper = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "shareProcessNamespace": share_process_namespace,
        "terminationGracePeriodSeconds": 2,
        "containers": [{"name": "one", "image": "registry.k8s.io/busybox:1.27.2", "command": sleeper},
                       {"name": "two", "image": "registry.k8s.io/busybox:1.27.2", "command": sleeper}],
    }}


def namespace_ids(pid: int) -> dict[str, str]:
    return {kind: os.readlink(f"/proc/{pid}/ns/{kind}") for kind in KINDS}


def container_pids(local_node, pod: dict) -> dict[str, int]:
    """Host PID of each container's main process, from containerd's task list."""
    from podnotes.node.runtime import ctr

    tasks = {}
    for line in ctr(local_node.containerd, "tasks", "list").splitlines()[1:]:
        parts = line.split()
        tasks[parts[0]] = int(parts[1])
    return {status["name"]: tasks[status["containerID"].split("://", 1)[1]]
            for status in pod["status"]["containerStatuses"]}


def pause_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().split(b"\0")[0] == b"/pause":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def run_pod(node_cluster, manifest: dict) -> dict:
    from podnotes.cluster import wait_for

    node_cluster.create(manifest)
    return wait_for(node_cluster, manifest["metadata"]["name"], "Ready", timeout=60, progress=False)


@pytest.mark.parametrize("share", [False, True], ids=["separate-pid", "shareProcessNamespace"])
def test_real_pod_shares_what_the_hand_built_pod_shares(local_node, node_cluster, share):
    from podnotes.linux.pod import Pod

    hand_built = Pod("compare", share_process_namespace=share)  # not entered: only its sharing rule is read
    pod = run_pod(node_cluster, two_containers(f"namespaces-{'shared' if share else 'separate'}", share))
    pids = container_pids(local_node, pod)
    containers = {name: namespace_ids(pid) for name, pid in pids.items()}
    one_net = containers["one"]["net"]
    pauses = [pid for pid in pause_pids() if namespace_ids(pid)["net"] == one_net]
    assert len(pauses) == 1, "exactly one pause process holds the Pod's network namespace"
    pause = namespace_ids(pauses[0])

    for name, ids in containers.items():
        shared_with_pause = {kind for kind in KINDS if ids[kind] == pause[kind]}
        assert shared_with_pause == set(hand_built.shared), (name, shared_with_pause, hand_built.shared)
        assert ids["mnt"] != pause["mnt"], "every container has a mount namespace of its own"
    assert containers["one"]["mnt"] != containers["two"]["mnt"]

    # Inside the PID namespace, who is PID 1? The pause process when it is shared, else the container's shell.
    nspid = next(line for line in Path(f"/proc/{pauses[0]}/status").read_text().splitlines()
                 if line.startswith("NSpid:"))
    assert nspid.split()[-1] == "1", f"pause is PID 1 of its own PID namespace ({nspid})"
    seen = subprocess.run(["nsenter", "-t", str(pids["one"]), "-p", "-m", "cat", "/proc/1/cmdline"],
                          capture_output=True, timeout=10).stdout.split(b"\0")[0]
    assert seen == (b"/pause" if share else b"sh")


def test_real_container_has_the_namespace_kinds_the_book_lists(local_node, node_cluster):
    """The kinds in which a container of a Pod without hostUsers differs from the host are
    podnotes.linux.container.runtime_namespaces: pid, ipc, uts, mnt and net, cgroup only on a
    cgroup v2 host (containerd's CRI, internal/cri/server/container_create_linux.go), no user."""
    from podnotes.linux import machine, views
    from podnotes.linux.container import runtime_namespaces

    pod = run_pod(node_cluster, two_containers("namespace-kinds", False))
    container = container_pids(local_node, pod)["one"]
    host = {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in views.NAMESPACE_KINDS}
    own = {kind for kind in views.NAMESPACE_KINDS if os.readlink(f"/proc/{container}/ns/{kind}") != host[kind]}
    assert own, "the container's namespaces were read"
    expected = runtime_namespaces(cgroup_v2=machine.cgroup_version() == "v2", host_users=True)
    assert sorted(own) == expected
