"""One real node for the whole test run: etcd, kube-apiserver, controller-manager, scheduler, containerd and
a kubelet. Where it cannot run (not root, programs missing) the tests skip with one line; with CI=true they
fail instead, because CI must check the simulator against a real kubelet."""

from __future__ import annotations

import time

import pytest

from .support import skip_or_fail

REPORT: list[str] = []  # lines for the terminal summary: phase times, per-example agreement


@pytest.fixture(scope="session")
def local_node():
    from podnotes.node import LocalNode, missing_prerequisites

    missing = missing_prerequisites()
    if missing:
        skip_or_fail("no local node: missing " + "; ".join(missing))
    node = LocalNode("podnotes-node-test")
    started = time.perf_counter()
    node.start()
    REPORT.append(f"node Ready in {time.perf_counter() - started:.1f} s")
    REPORT.extend(f"  {phase.name}: {phase.seconds:.1f} s" for phase in node.phases)
    yield node
    stopped = time.perf_counter()
    left = node.stop()
    REPORT.append(f"node stopped and host cleaned in {time.perf_counter() - stopped:.1f} s; checked processes, "
                  f"mounts (network namespaces included), cgroups, bridge {node.network.bridge}, "
                  f"{len(node.veths)} veth(s), sysctls, kubelet/containerd/CNI paths; "
                  f"left behind: {', '.join(left) if left else 'nothing'}")
    REPORT.extend(f"  note: {note}" for note in node.notes)
    assert left == [], f"the node left things on the host: {left}"


@pytest.fixture
def node_cluster(local_node):
    """A podnotes Cluster on the local node, connected through the kind guard, in a fresh namespace."""
    from podnotes import cluster

    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as connected:  # noqa: SIM117 - the inner context needs the outer one
        with connected.workshop_namespace("node") as namespace:
            assert connected.namespace == namespace
            yield connected


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("real node")
        for line in REPORT:
            terminalreporter.write_line(line)
