"""A Pod bound to a node that has no Node object stays Terminating only where no Pod garbage collector runs.

Upstream: kubernetes v1.37.2 ``pkg/controller/podgc/gc_controller.go`` (``gcOrphaned``: Pods whose
``spec.nodeName`` names no Node are marked Failed and deleted with grace period 0 once the node has been
missing for ``quarantineTime`` = 40 s; the loop runs every ``gcCheckPeriod`` = 20 s). The chapter's private
API server runs no such controller, so there the Pod of ``manifests/nginx-on-a-lost-node.yaml`` stays.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from podnotes.cluster.controlplane import free_port

from ..conftest import ROOT

pytestmark = pytest.mark.cluster

LOST = ROOT / "chapters" / "manifests" / "nginx-on-a-lost-node.yaml"
QUARANTINE_SECONDS = 40
CHECK_PERIOD_SECONDS = 20


def pod_garbage_collector(control_plane) -> subprocess.Popen:
    """kube-controller-manager running only the Pod garbage collector against the test API server."""
    assert control_plane.controller_manager is not None, "no kube-controller-manager next to kube-apiserver"
    log = open(control_plane.workdir / "podgc.log", "wb")  # noqa: SIM115 - closed with the process below
    return subprocess.Popen([
        str(control_plane.controller_manager),
        f"--kubeconfig={control_plane.kubeconfig}",
        "--controllers=pod-garbage-collector-controller",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={free_port()}",
        f"--cert-dir={control_plane.workdir / 'podgc'}",
    ], stdout=log, stderr=subprocess.STDOUT)


def test_the_pod_garbage_collector_deletes_a_pod_whose_node_does_not_exist(control_plane, kind_cluster):
    kind_cluster.create(LOST)
    kind_cluster.delete(LOST)
    time.sleep(2)
    stuck = kind_cluster.get("Pod", "nginx-lost")
    assert stuck["metadata"]["deletionTimestamp"], "without a kubelet the deleted Pod stays, Terminating"

    collector = pod_garbage_collector(control_plane)
    started = time.monotonic()
    try:
        deadline = started + QUARANTINE_SECONDS + 2 * CHECK_PERIOD_SECONDS + 30
        while kind_cluster.exists("Pod", "nginx-lost") and time.monotonic() < deadline:
            assert collector.poll() is None, (control_plane.workdir / "podgc.log").read_text()[-2000:]
            time.sleep(1)
        waited = time.monotonic() - started
        assert not kind_cluster.exists("Pod", "nginx-lost"), f"still there after {waited:.0f} s"
        assert waited >= QUARANTINE_SECONDS - 5, f"deleted after {waited:.0f} s, before the quarantine ended"
    finally:
        collector.terminate()
        try:
            collector.wait(timeout=15)
        except subprocess.TimeoutExpired:
            collector.kill()
            collector.wait()
