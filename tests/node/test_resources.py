"""The resources scene (podnotes.node.scenes.resources) on the real node: the cgroups the kubelet makes per
QoS class and the values it writes match what the book computes from the spec, oom_score_adj per class,
a real OOM kill, in-place resize without and with a restart, Pod-level resources."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.node, pytest.mark.slow]

MI = 1024**2


@pytest.fixture(scope="module")
def record(local_node, tmp_path_factory):
    from podnotes import cluster
    from podnotes.node.scenes import SceneContext, resources

    folder = tmp_path_factory.mktemp("resources")
    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117
        with admin.workshop_namespace("scenes") as namespace:
            data = {"scene": resources.NAME, **resources.observe(SceneContext(local_node, admin, namespace, folder))}
            left = admin.core().list_namespaced_pod(namespace).items
    (folder / "resources.json").write_text(json.dumps(data, indent=2, default=str))
    assert left == [], "the scene deleted every Pod it made"
    return data


def test_hierarchy_per_qos_class(record):
    from podnotes.node import podcgroups

    pods = record["pods"]
    assert set(pods) == {"guaranteed", "burstable", "besteffort", "pod-level", "resize-restart"}
    for name, expected in (("guaranteed", "Guaranteed"), ("burstable", "Burstable"), ("besteffort", "BestEffort")):
        pod = pods[name]
        assert pod["qos_class"] == expected
        app = pod["containers"]["app"]
        qos_part = [] if expected == "Guaranteed" else [expected.lower()]
        assert app["chain"] == ["kubepods", *qos_part, f"pod{pod['uid']}", app["container_id"]]
        assert podcgroups.cgroup_driver(tuple(app["chain"])) == "cgroupfs"
        assert pod["pause"]["chain"][:-1] == app["chain"][:-1], "the sandbox has its own group in the Pod's"
        assert pod["pause"]["command"] == "/pause"


def test_values_match_the_spec_at_container_and_pod_level(record):
    from podnotes.node import podcgroups, resources_report

    rows = resources_report.value_rows(record)
    assert len(rows) == 3 * 2 + 3, "every container and Pod group of the QoS and Pod-level Pods was read"
    assert [row for row in rows if row[-1] != "ok"] == []
    assert podcgroups.settings(record["pods"]["besteffort"]["qos_values"]).cpu_weight == 2
    pod_level = record["pods"]["pod-level"]["containers"]
    assert {podcgroups.settings(c["values"]).memory_limit_bytes for c in pod_level.values()} == {2048 * MI}, (
        "containers without limits get the Pod-level limit")


def test_the_kubelets_own_groups_weigh_the_classes(record):
    from podnotes.node import resources_report

    rows = resources_report.qos_group_rows(record)
    assert len(rows) == 3 and all(read == computed for _, read, computed in rows), rows


def test_oom_score_adj_per_class_and_the_sandbox(record):
    from podnotes.node import resources_report

    rows = resources_report.oom_rows(record)
    assert len(rows) == 7
    assert all(applied == read for _, _, applied, read in rows), rows
    asked = {name: score for name, score, _, _ in rows}
    assert asked["guaranteed/app"] == -997 and asked["besteffort/app"] == 1000
    assert 2 < asked["burstable/app"] < 1000
    assert asked["pod-level/app"] < asked["pod-level/helper"], "app's own 512Mi request protects it more"


def test_a_real_oom_kill(record):
    oom = record["oom"]
    assert oom["reason"] == "OOMKilled" and oom["exit_code"] == 137 and oom["restart_count"] >= 1


def test_a_real_eviction_for_local_ephemeral_storage(record):
    """The kubelet's eviction manager, not the kernel: the Pod fails with reason Evicted, its message and an
    Event Evicted (pkg/kubelet/eviction/eviction_manager.go localStorageEviction,
    podEphemeralStorageLimitEviction, evictPod; helpers.go podEphemeralStorageMessageFmt). No
    DisruptionTarget condition: synchronize adds it (reason TerminationByKubelet) for node-pressure
    evictions only, the local-storage checks pass none."""
    eviction = record["eviction"]
    assert eviction["phase"] == "Failed" and eviction["reason"] == "Evicted", eviction
    # the Pod's limit is the sum of its containers' limits, checked before the container's own
    assert eviction["message"].startswith("Pod ephemeral local storage usage exceeds the total limit of containers 8Mi")
    assert eviction["disruption_target"] is None, eviction
    assert eviction["events"] and eviction["events"][0] == eviction["message"]
    assert eviction["seconds"] is not None and eviction["seconds"] < 60, eviction
    # sh as PID 1 ignores SIGTERM: SIGKILL after immediateEvictionGracePeriodSeconds (1 s)
    assert eviction["container_state"]["terminated"]["exitCode"] == 137


def test_allocatable_is_capacity_less_the_eviction_threshold(record):
    from podnotes.kube.quantity import whole_units

    node = record["node"]
    assert whole_units(node["capacity_memory"]) - whole_units(node["allocatable_memory"]) == 100 * MI


def test_resize_changes_the_cgroup_without_a_restart_and_restarts_when_told(record):
    from podnotes.node import podcgroups

    resize = record["resize"]
    before = resize["before"]["burstable"]["containers"]["app"]
    after = resize["after"]["burstable"]["containers"]["app"]
    assert (after["container_id"], after["pid"], after["restart_count"]) == (
        before["container_id"], before["pid"], before["restart_count"])
    old, new = podcgroups.settings(before["values"]), podcgroups.settings(after["values"])
    assert (old.cpu_quota_us, new.cpu_quota_us) == (50_000, 80_000)
    assert (old.memory_limit_bytes, new.memory_limit_bytes) == (2048 * MI, 3072 * MI)
    assert new.cpu_weight > old.cpu_weight
    restarted_before = resize["before"]["resize-restart"]["containers"]["app"]
    restarted_after = resize["after"]["resize-restart"]["containers"]["app"]
    assert restarted_after["restart_count"] == restarted_before["restart_count"] + 1
    assert restarted_after["container_id"] != restarted_before["container_id"]
    assert podcgroups.settings(restarted_after["values"]).memory_limit_bytes == 96 * MI
