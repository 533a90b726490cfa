"""One real node for the whole test run: etcd, kube-apiserver, controller-manager, scheduler, containerd and
a kubelet. Where it cannot run (not root, programs missing) the tests skip with one line; with CI=true they
fail instead, because CI must check the simulator against a real kubelet."""

from __future__ import annotations

import pytest

REPORT: list[str] = []  # lines for the terminal summary: phase times, per-example agreement
# local_node, the one real node of a test run, is defined in tests/conftest.py: the workshop tests share it.


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
