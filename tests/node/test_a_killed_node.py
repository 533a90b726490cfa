"""A local node whose Python process is killed leaves its containers behind; podnotes finds and removes them.

SIGKILL gives the node no chance to stop: containerd's shims are re-parented to PID 1 and keep the Pod's
containers, mounts, cgroups and veths; the bridge and the work folder stay. ``podnotes cleanup --dry-run``
lists them (the owner record says the node's owner is gone), ``podnotes cleanup --yes`` removes them, and
nothing is left. SIGTERM to ``python -m podnotes.node.observe`` stops the node on the Ctrl-C path and exits 143.

The file name sorts before the tests that share the session's node: one node runs per host at a time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import skip_or_fail

pytestmark = pytest.mark.node

# A bridge and range of its own, so the killed node's bridge is told from any other node's.
NETWORK_ENV = {"PODNOTES_NODE_BRIDGE": "pnkilled0", "PODNOTES_NODE_SUBNET": "10.218.7.0/24"}

CHILD = r"""
import sys, time
from kubernetes import client
from podnotes.cluster import api
from podnotes.node import LocalNode

node = LocalNode("podnotes-killed").start()
core = api.core_v1(node.api_client())
core.create_namespaced_pod("default", client.V1Pod(
    metadata=client.V1ObjectMeta(name="sleeper"),
    spec=client.V1PodSpec(termination_grace_period_seconds=0, containers=[client.V1Container(
        name="app", image="registry.k8s.io/busybox:1.27.2", command=["sleep", "3600"])])))
deadline = time.monotonic() + 90
while core.read_namespaced_pod("sleeper", "default").status.phase != "Running":
    assert time.monotonic() < deadline, "the Pod did not start"
    time.sleep(0.5)
print("RUNNING", node.workdir, flush=True)
time.sleep(3600)
"""


def _require_node() -> None:
    from podnotes.node import missing_prerequisites

    missing = missing_prerequisites()
    if missing:
        skip_or_fail("no local node: missing " + "; ".join(missing))


def _environment() -> dict[str, str]:
    return {**os.environ, **NETWORK_ENV, "PYTHONUNBUFFERED": "1"}


def _cleanup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podnotes", "cleanup", "--machine-only", *args],
                          capture_output=True, text=True, timeout=120)


def _what_is_left(workdir: Path, bridge: str, veths: set[str]) -> list[str]:
    from podnotes.node import host

    # A killed process is a zombie until PID 1 reaps it (its parent, the shim, is gone): it holds nothing.
    left = [f"process {pid}" for pid, _ in host.processes_mentioning(str(workdir)) if host._alive(pid)]
    left += [f"process {pid} in cgroup" for pid in host.processes_in_cgroup("/" + workdir.name)
             if host._alive(pid)]
    left += [f"mount {point}" for point in host.mounts_under(str(workdir))]
    left += [f"cgroup {path}" for path in host.cgroup_dirs(workdir.name)]
    left += [f"link {name}" for name in sorted(({bridge} | veths) & host.link_names())]
    left += [f"directory {workdir}"] if workdir.exists() else []
    return left


def _kill_a_node_with_a_pod() -> tuple[Path, set[str]]:
    """Start a node in a child process, wait for a Pod to run on it, SIGKILL the child; returns the node's
    work folder and the veths on its bridge, after checking that the shims, mounts, cgroups and bridge stay."""
    from podnotes.node import host
    from podnotes.node.owner import read_owner

    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                             env=_environment())
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("RUNNING "), f"the node did not get a Pod running (exit {child.poll()})"
        workdir = Path(line.split(None, 1)[1].strip())
        owner = read_owner(workdir)
        assert owner is not None and owner.pid == child.pid and owner.alive()
        assert owner.bridge == "pnkilled0"
        veths = set(host.bridge_ports("pnkilled0"))
        assert veths, "the Pod's veth is not on the node's bridge"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert not owner.alive()
    time.sleep(2)  # the node's programs get SIGTERM from the kernel (PR_SET_PDEATHSIG) and exit

    shims = [pid for pid, cmd in host.processes_mentioning(str(workdir)) if "containerd-shim" in cmd]
    left = _what_is_left(workdir, "pnkilled0", veths)
    assert shims, f"no containerd shim outlived the killed node: {left}"
    assert any(item.startswith("mount ") for item in left) and any(item.startswith("cgroup ") for item in left)
    assert "link pnkilled0" in left and f"directory {workdir}" in left
    return workdir, veths


def test_a_killed_node_is_found_and_removed_by_cleanup():
    from podnotes.node import host

    _require_node()
    workdir, veths = _kill_a_node_with_a_pod()
    shims = [pid for pid, cmd in host.processes_mentioning(str(workdir)) if "containerd-shim" in cmd]
    listed = _cleanup("--dry-run", "-o", "json")
    assert listed.returncode == 1, listed.stderr
    mine = [item for item in json.loads(listed.stdout)["machine"] if item["node"] == workdir.name]
    names = {item["name"] for item in mine}
    assert all(item["orphaned"] for item in mine)
    assert {item["kind"] for item in mine} == {"processes", "cgroups", "mounts", "network", "paths"}
    assert all(any(name.startswith(f"{pid} ") for name in names) for pid in shims)
    assert {f"interface {name}" for name in veths | {"pnkilled0"}} <= names
    assert str(workdir) in names

    removed = _cleanup("--yes")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert _what_is_left(workdir, "pnkilled0", veths) == []
    again = _cleanup("--dry-run", "-o", "json")
    assert [item for item in json.loads(again.stdout)["machine"] if item["node"] == workdir.name] == []


def test_the_next_node_start_removes_what_a_killed_node_left(monkeypatch):
    from podnotes.node import LocalNode

    _require_node()
    workdir, veths = _kill_a_node_with_a_pod()
    for name, value in NETWORK_ENV.items():  # the same bridge: it would not start while the old one is there
        monkeypatch.setenv(name, value)
    node = LocalNode("podnotes-after-a-kill")
    try:
        node.start()
        said = [note for note in node.notes if note.startswith("removed what killed local node(s)")]
        assert len(said) == 1 and workdir.name in said[0], node.notes
        assert _what_is_left(workdir, "", veths) == []
        assert node.network.bridge == "pnkilled0" and node.bridge_created
    finally:
        assert node.stop() == []


def _workdir_of(pid: int, timeout: float) -> Path:
    from podnotes.node.leftovers import node_workdirs
    from podnotes.node.owner import OwnerRecordError, read_owner

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in node_workdirs():
            try:
                owner = read_owner(folder)
            except OwnerRecordError:
                continue
            if owner is not None and owner.pid == pid:
                return folder
        time.sleep(0.2)
    raise AssertionError(f"no node work folder is owned by process {pid}")


def test_sigterm_during_observe_stops_the_node_and_exits_143(tmp_path):
    from podnotes.node import host

    _require_node()
    env = {**_environment(), "PODNOTES_NODE_BRIDGE": "pnterm0", "PODNOTES_NODE_SUBNET": "10.218.8.0/24"}
    child = subprocess.Popen([sys.executable, "-m", "podnotes.node.observe", "--force", "--out", str(tmp_path)],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    lines = []
    try:
        workdir = _workdir_of(child.pid, timeout=30)
        for line in child.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if "examples at once" in line:  # the node is Ready and the examples' Pods are being created
                break
        assert lines and "examples at once" in lines[-1], "".join(lines)
        time.sleep(5)
        veths = set(host.bridge_ports("pnterm0"))
        assert veths and host.processes_in_cgroup("/" + workdir.name), "no Pod ran before SIGTERM"
        child.send_signal(signal.SIGTERM)
        _, rest = child.communicate(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 143, "".join(lines) + rest
    assert "terminated; the node was stopped" in rest
    assert _what_is_left(workdir, "pnterm0", veths) == []
