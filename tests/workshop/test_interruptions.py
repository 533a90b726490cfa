"""Ctrl-C, SIGTERM and a cluster that goes away leave a workshop consistent: a rerun of ``up`` finishes it,
``down`` removes it and proves nothing is left; a context that is not a local kind cluster is refused until
the instructor allows it by name, and the allow-list is recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from podnotes.workshop import down, namespace_objects, records, rest

pytestmark = [pytest.mark.node, pytest.mark.cluster]


def _podnotes(*args: str) -> list[str]:
    return [sys.executable, "-m", "podnotes", "workshop", *args]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(_podnotes(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ.copy())


def _wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def admin(local_node, workshop_home):
    from podnotes.workshop.connection import Place, open_place

    with open_place(Place(cluster=local_node.name, kubeconfig=str(local_node.kubeconfig))) as cluster:
        yield cluster


def _complete(cluster, workshop: str, count: int) -> None:
    """Every participant has every object and a kubeconfig."""
    record = records.load(workshop)
    assert record is not None and record.state == "ready" and len(record.participants) == count
    for person in record.people():
        for api, kind in (("v1", "ResourceQuota"), ("v1", "LimitRange")):
            assert rest.get(cluster, api, kind, person.namespace, "workshop")
        assert rest.get(cluster, "rbac.authorization.k8s.io/v1", "RoleBinding", person.namespace,
                        namespace_objects.ACCOUNT)
        assert rest.get(cluster, "v1", "Pod", person.namespace, "crasher")
        assert (record.folder / "kubeconfigs" / f"{person.name}.kubeconfig").stat().st_size > 0


def _down_and_prove_empty(cluster, workshop: str, *extra: str) -> None:
    done = subprocess.run(_podnotes("down", workshop, *extra), capture_output=True, text=True, timeout=180,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert down.workshop_namespaces(cluster, workshop) == []
    assert down.labelled_objects(cluster, workshop)[0] == []
    assert records.load(workshop) is None


@pytest.mark.parametrize("number, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_set_up_is_finished_by_a_rerun_then_removed_by_down(admin, local_node, number, code):
    workshop = f"int{number}"
    place = ["--cluster", local_node.name, "--kubeconfig", str(local_node.kubeconfig)]
    running = _start("up", workshop, "--participants", "20", *place)
    _wait_for(lambda: down.workshop_namespaces(admin, workshop), what="the first namespace")
    running.send_signal(number)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == code, stderr
    assert "Traceback" not in stderr
    assert f"podnotes workshop down {workshop}" in stderr and "again finishes the job" in stderr
    assert records.load(workshop).state == "setting-up"
    listed = subprocess.run(_podnotes("list"), capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert f"{workshop}  20 participants" in listed.stdout and "interrupted" in listed.stdout
    assert len(down.workshop_namespaces(admin, workshop)) < 20
    rerun = subprocess.run(_podnotes("up", workshop, "--participants", "20", *place), capture_output=True,
                           text=True, timeout=300, env=os.environ.copy())
    assert rerun.returncode == 0, rerun.stderr
    _complete(admin, workshop, 20)
    _down_and_prove_empty(admin, workshop)


def test_an_interrupted_down_is_finished_by_a_rerun(admin, local_node):
    place = ["--cluster", local_node.name, "--kubeconfig", str(local_node.kubeconfig)]
    made = subprocess.run(_podnotes("up", "intdown", "--participants", "6", *place), capture_output=True,
                          text=True, timeout=300, env=os.environ.copy())
    assert made.returncode == 0, made.stderr
    running = _start("down", "intdown")
    time.sleep(0.8)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=120)
    assert running.returncode in (0, 143) and "Traceback" not in stderr
    _down_and_prove_empty(admin, "intdown", *place)


def test_a_cluster_that_goes_away_mid_run_is_a_clear_error(workshop_home):
    from podnotes.cluster.binaries import find_binaries
    from podnotes.cluster.controlplane import LocalControlPlane

    binaries = find_binaries()
    if binaries is None:
        pytest.skip("no kube-apiserver binaries")
    # A control plane without kube-controller-manager: quotas are never counted, so `up` waits on the first
    # participant's quota while the cluster is stopped under it.
    plane = LocalControlPlane("gone", binaries)
    plane.start()
    try:
        running = _start("up", "gone", "--participants", "3", "--cluster", "gone",
                         "--kubeconfig", str(plane.kubeconfig))
        _wait_for(lambda: (Path(workshop_home) / "gone" / "workshop.json").exists(), what="the record")
        time.sleep(1.0)
    finally:
        plane.stop()
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 5, stderr
    assert "Traceback" not in stderr
    assert "does not answer" in stderr and "podnotes workshop down gone" in stderr
    assert records.load("gone").state == "setting-up"
    records.remove("gone")


def test_a_context_that_is_not_kind_needs_to_be_allowed_by_name(admin, local_node, tmp_path):
    config = yaml.safe_load(Path(local_node.kubeconfig).read_text())
    config["clusters"][0]["name"] = config["contexts"][0]["name"] = "classroom"
    config["contexts"][0]["context"]["cluster"] = "classroom"
    kubeconfig = tmp_path / "classroom.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    place = ["--context", "classroom", "--kubeconfig", str(kubeconfig)]
    refused = subprocess.run(_podnotes("up", "allowed", "--participants", "2", *place), capture_output=True,
                             text=True, timeout=60, env=os.environ.copy())
    assert refused.returncode == 5, refused.stderr
    assert "not on the workshop allow-list" in refused.stderr
    assert "podnotes workshop allow-context classroom" in refused.stderr
    assert down.workshop_namespaces(admin, "allowed") == [] and records.load("allowed") is None
    allowed = subprocess.run(_podnotes("allow-context", "classroom", "--reason", "room 2"), capture_output=True,
                             text=True, timeout=60, env=os.environ.copy())
    assert allowed.returncode == 0, allowed.stderr
    entry = json.loads(records.allow_list_path().read_text())["classroom"]
    assert entry["reason"] == "room 2" and entry["by"] and entry["at"]
    try:
        made = subprocess.run(_podnotes("up", "allowed", "--participants", "2", *place), capture_output=True,
                              text=True, timeout=120, env=os.environ.copy())
        assert made.returncode == 0, made.stderr
        assert records.load("allowed").context == "classroom"
        _down_and_prove_empty(admin, "allowed")
    finally:
        records.disallow("classroom")
    assert "classroom" not in records.allowed_contexts()
