"""The workshop kit runs on the real node of the test run (tests/conftest.py: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, containerd, a kubelet): quotas need the resource quota
controller, namespaces the namespace controller, the exercises a kubelet."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

ROOM_SIZE = 20
FIGURES: dict[str, str] = {}  # for the terminal summary; targets are checked by benchmarks/workshop_bench.py


@pytest.fixture(scope="session")
def workshop_home(tmp_path_factory):
    """Records and the allow-list in a folder of the test run, never the user's own."""
    saved = {key: os.environ.get(key) for key in ("PODNOTES_WORKSHOP_HOME", "PODNOTES_CONFIG_HOME")}
    os.environ["PODNOTES_WORKSHOP_HOME"] = str(tmp_path_factory.mktemp("workshops"))
    os.environ["PODNOTES_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    yield os.environ["PODNOTES_WORKSHOP_HOME"]
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@dataclass
class Room:
    place: object
    cluster: object
    record: object
    people: list
    setup_seconds: float

    def kubeconfig(self, name: str) -> str:
        from podnotes.workshop.kubeconfigs import kubeconfig_path

        return str(kubeconfig_path(self.record.workshop, next(p for p in self.people if p.name == name)))

    def as_participant(self, name: str, node_name: str):
        from podnotes.cluster import open_cluster

        return open_cluster(node_name, kubeconfig=self.kubeconfig(name))


@pytest.fixture(scope="module")
def room(local_node, workshop_home):
    """A 20-person workshop ``ws`` set up on the real node; removed at the end if a test did not."""
    from podnotes.workshop import down, participants, records, setup
    from podnotes.workshop.connection import Place, open_place

    place = Place(cluster=local_node.name, kubeconfig=str(local_node.kubeconfig))
    cluster = open_place(place)
    people = participants.numbered(ROOM_SIZE, "ws")
    record = setup.begin(place, cluster, "ws", people)
    report = setup.set_up(cluster, record)
    FIGURES["set-up"] = f"{ROOM_SIZE} participants in {report.seconds:.1f} s"
    yield Room(place, cluster, record, people, report.seconds)
    if records.load("ws") is not None or down.workshop_namespaces(cluster, "ws"):
        down.down(cluster, "ws")
    cluster.close()


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("workshop kit on the real node")
        for name, figure in FIGURES.items():
            terminalreporter.write_line(f"{name}: {figure}")
