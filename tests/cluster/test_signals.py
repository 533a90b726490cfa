"""podnotes apply under every signal, against the real API server: SIGTERM is handled like Ctrl-C, an
object whose request is in flight when the interrupt arrives is still removed, and what a run killed with
SIGKILL leaves is noticed by the next run and removed by ``podnotes cleanup``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from podnotes.cluster import ownership
from podnotes.linux import leaks

from .conftest import CLUSTER_NAME, REPORT
from .test_real_server import NGINX

pytestmark = pytest.mark.cluster


def _start(args: list[str], control_plane) -> subprocess.Popen:
    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": CLUSTER_NAME}
    return subprocess.Popen([sys.executable, "-m", "podnotes", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _run(args: list[str], control_plane) -> subprocess.CompletedProcess:
    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": CLUSTER_NAME}
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _made_by(kind_cluster, pid: int, kind: str = "Pod") -> list[str]:
    return [item["metadata"]["name"] for item in kind_cluster.list(kind)
            if (ownership.owner_of(item) or ownership.Run("", -1, 0)).pid == pid]


def test_sigterm_during_wait_removes_the_objects_and_the_discovery_folder(kind_cluster, control_plane):
    ns = kind_cluster.namespace
    process = _start(["apply", "-f", str(NGINX), "-n", ns, "--wait", "Ready", "--timeout", "90"], control_plane)
    try:
        _wait_until(lambda: kind_cluster.exists("Pod", "nginx-test"))
        assert leaks.leftover_paths(created_by=process.pid), "the run's discovery folder exists meanwhile"
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "removing what this run created: pod/nginx-test" in err and "terminated by SIGTERM" in err
    assert not kind_cluster.exists("Pod", "nginx-test")
    assert leaks.leftover_paths(created_by=process.pid) == []


def test_an_interrupt_at_any_moment_of_a_long_apply_leaves_nothing(kind_cluster, control_plane, tmp_path):
    manifest = tmp_path / "many.yaml"
    count = 30
    manifest.write_text("---\n".join(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                                      "metadata": {"name": f"item-{i}"}, "data": {"i": str(i)}})
                                      for i in range(count)))
    ns = kind_cluster.namespace
    rows = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        for attempt in range(8):
            process = _start(["apply", "-f", str(manifest), "-n", ns], control_plane)
            # Wait until the run has created some objects, then interrupt it a little later each time.
            _wait_until(lambda: _made_by(kind_cluster, process.pid, "ConfigMap") or process.poll() is not None)  # noqa: B023 - called before the loop moves on
            time.sleep(0.03 * attempt)
            at_signal = len(_made_by(kind_cluster, process.pid, "ConfigMap"))
            process.send_signal(sig)
            _, err = process.communicate(timeout=60)
            left = _made_by(kind_cluster, process.pid, "ConfigMap")
            rows.append((sig.name, attempt, at_signal, process.returncode, len(left)))
            assert not left, f"{sig.name} attempt {attempt}: left {left}\n{err[-2000:]}"
            remaining = [item["metadata"]["name"] for item in kind_cluster.list("ConfigMap")
                         if item["metadata"]["name"] != "kube-root-ca.crt"]
            # Nothing half done: either the run was undone, or it had applied every object before the
            # signal came (a finished apply is not undone); then the namespace is cleared for the next try.
            assert remaining == [] or len(remaining) == count, f"{sig.name} attempt {attempt}: {remaining}"
            if remaining:
                kind_cluster.delete(manifest, ignore_not_found=True)
    interrupted = [row for row in rows if row[3] != 0]
    assert len(interrupted) >= len(rows) // 2, f"too few runs were interrupted mid-way: {rows}"
    REPORT["interrupted apply"] = (f"{len(rows)} runs of {count} objects interrupted (SIGINT, SIGTERM), "
                                   f"{len(interrupted)} mid-way with {sum(r[2] for r in interrupted)} objects "
                                   f"already created; objects left afterwards: {sum(r[4] for r in rows)}")
    print(REPORT["interrupted apply"])


def test_after_sigkill_the_next_run_notices_and_cleanup_removes_what_was_left(kind_cluster, control_plane,
                                                                             tmp_path):
    ns = kind_cluster.namespace
    killed = _start(["apply", "-f", str(NGINX), "-n", ns, "--wait", "Ready", "--timeout", "90"], control_plane)
    _wait_until(lambda: kind_cluster.exists("Pod", "nginx-test"))
    time.sleep(0.3)
    killed.kill()
    killed.communicate(timeout=30)
    left = kind_cluster.get("Pod", "nginx-test")
    assert ownership.owner_of(left).pid == killed.pid and ownership.owner_of(left).over()
    assert leaks.leaks(settle=5, created_by=killed.pid).empty(), "the watchdog removed the discovery folder"

    listed = _run(["cleanup", "--dry-run", "--cluster", CLUSTER_NAME], control_plane)
    assert listed.returncode == 1 and "pod/nginx-test" in listed.stdout, listed.stdout + listed.stderr

    again = _run(["apply", "-f", str(NGINX), "-n", ns], control_plane)
    assert again.returncode == 0, again.stderr
    assert f"pod/nginx-test in {ns} configured (left by process {killed.pid} on this machine" in again.stdout
    assert ownership.owner_of(kind_cluster.get("Pod", "nginx-test")) is None, "the completed run keeps it"
    assert "pod/nginx-test" not in _run(["cleanup", "--dry-run"], control_plane).stdout

    other = tmp_path / "left-by-kill.yaml"
    body = yaml.safe_load(NGINX.read_text())
    body["metadata"]["name"] = "left-by-kill"
    other.write_text(yaml.safe_dump(body))
    second = _start(["apply", "-f", str(other), "-n", ns, "--wait", "Ready", "--timeout", "90"], control_plane)
    _wait_until(lambda: kind_cluster.exists("Pod", "left-by-kill"))
    time.sleep(0.3)
    second.kill()
    second.communicate(timeout=30)
    assert ownership.owner_of(kind_cluster.get("Pod", "nginx-test")) is None, "an object it did not create"
    removed = _run(["cleanup", "--yes"], control_plane)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "pod/left-by-kill" in removed.stdout and "pod/nginx-test" not in removed.stdout
    _wait_until(lambda: not kind_cluster.exists("Pod", "left-by-kill"))
    assert kind_cluster.exists("Pod", "nginx-test"), "what a completed run kept stays"
    REPORT["SIGKILL"] = ("apply killed with SIGKILL: the next apply said who left the Pod and took it over; "
                         "podnotes cleanup listed and removed only the Pod a second killed run created; "
                         "objects left: 0")
