"""A real kube-apiserver + etcd for the cluster tests, started once per test run.

Without binaries the cluster tests skip with one line saying how to get them;
with CI=true that is a failure instead, because CI must exercise the real server.
"""

from __future__ import annotations

import pytest

from podnotes.cluster.binaries import find_binaries, missing_binaries_reason
from podnotes.cluster.controlplane import LocalControlPlane

from ..conftest import in_ci

CLUSTER_NAME = "podnotes-test"
REPORT: dict[str, str] = {}  # lines for the terminal summary (start time, differential agreement)


@pytest.fixture(scope="session")
def control_plane():
    binaries = find_binaries()
    if binaries is None:
        if in_ci():
            pytest.fail(f"CI=true and the cluster tests cannot run: {missing_binaries_reason()}", pytrace=False)
        pytest.skip(missing_binaries_reason())
    plane = LocalControlPlane(CLUSTER_NAME, binaries)
    plane.start()
    programs = "etcd + kube-apiserver" + (" + kube-controller-manager" if plane.controller_manager else "")
    REPORT["control plane"] = (f"{programs} ready in {plane.start_seconds:.1f} s at {plane.server} "
                               f"({binaries.source}); {plane.admission_note}")
    yield plane
    plane.stop()


@pytest.fixture
def kind_cluster(control_plane):
    """A Cluster connected through the real guard and kubeconfig, working in a fresh namespace."""
    from podnotes import cluster

    with cluster.open_cluster(CLUSTER_NAME, kubeconfig=control_plane.kubeconfig) as connected:  # noqa: SIM117 - the inner context needs the outer one
        with connected.workshop_namespace("test") as namespace:
            assert connected.namespace == namespace
            yield connected


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("cluster: real API server and connection guard")
        for key, line in REPORT.items():
            terminalreporter.write_line(f"{key}: {line}")
