"""The pod-on-a-node scene on the real node: the facts the chapter pod-on-a-node claims.

Upstream: the CRI calls (k8s.io/cri-api v0.37.2, api.proto; the kubelet's order in
pkg/kubelet/kuberuntime/kuberuntime_manager.go, SyncPod), containerd 1.6's one shim per sandbox
(runtime/v2/runc), the CNI bridge plugin's veth into the bridge (containernetworking/plugins
plugins/main/bridge), the kubelet's cgroupfs layout <root>/kubepods/<qos>/pod<uid>/<id>
(pkg/kubelet/cm/pod_container_manager_linux.go, qos_container_manager_linux.go).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from podnotes.node.scenes import SceneContext, pod_on_a_node

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def record(local_node):
    from podnotes import cluster

    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117
        with admin.workshop_namespace("scene") as namespace:
            scene = pod_on_a_node.observe(SceneContext(local_node, admin, namespace, Path("."), lambda _: None))
            left = admin.list("Pod", namespace)
    scene["left_pods"] = [pod["metadata"]["name"] for pod in left]
    scene["network_prefix"], scene["bridge"] = local_node.network.subnet, local_node.network.bridge
    return scene


def test_the_kubelet_asked_for_a_sandbox_then_created_and_started_the_container(record):
    calls = [(call["method"], call["subject"]) for call in record["cri_calls"]]
    assert calls == [("RunPodSandbox", "web"), ("CreateContainer", "server"), ("StartContainer", "server")]
    times = [call["time"] for call in record["cri_calls"]]
    assert times == sorted(times), "answered in that order"


def test_crictl_lists_the_sandbox_and_its_container(record):
    assert record["crictl"]["pods"].splitlines()[0].split()[:3] == ["POD", "ID", "CREATED"]
    assert "web" in record["crictl"]["pods"] and "client" in record["crictl"]["pods"]
    assert "server" in record["crictl"]["ps"] and "Running" in record["crictl"]["ps"]
    summary = record["crictl"]["inspectp"]
    assert summary["state"] == "SANDBOX_READY" and summary["network_ip"] == record["pod_ip"]
    assert summary["process_args"] == ["/pause"]


def test_one_shim_is_the_parent_of_pause_and_of_the_app(record):
    shim, pause, server = record["processes"]
    assert "containerd-shim-runc-v2" in shim["command"]
    assert pause["command"] == "/pause" and pause["ppid"] == shim["pid"]
    assert server["command"].startswith("httpd") and server["ppid"] == shim["pid"]


def test_the_pod_ip_is_on_a_veth_plugged_into_the_node_bridge(record):
    network = record["network"]
    assert network["interface"] == "eth0"
    assert network["address"].split("/")[0] == record["pod_ip"]
    assert ipaddress.ip_address(record["pod_ip"]) in ipaddress.ip_network(record["network_prefix"])
    assert network["host_veth"].startswith("veth") and network["bridge"] == record["bridge"]
    assert network["host_veth"] in record["bridge_ports"]
    named = record["crictl"]["inspectp"]["cni_interfaces"]
    assert {"eth0", network["host_veth"], record["bridge"]} <= set(named), "the CNI ADD result names them"


def test_the_cgroups_follow_the_kubelet_layout(record):
    root, uid = record["cgroups"]["root"], record["pod_uid"]
    server = record["cgroups"]["server"]
    assert server.startswith(f"{root}/kubepods/besteffort/pod{uid}/"), server
    assert record["cgroups"]["pause"].startswith(f"{root}/kubepods/besteffort/pod{uid}/")
    assert record["cgroups"]["pause"] != server, "the sandbox and the container have a cgroup each"


def test_the_namespaces_match_the_hand_built_pod_where_the_book_says_they_do(record):
    from podnotes.linux.pod import measured_sharing, planned_sharing

    ns = record["namespaces"]
    assert ns["host"] and ns["pause"] and ns["server"], "the namespace identities were read"
    real = measured_sharing(ns["host"], ns["pause"], {"server": ns["server"]})
    planned = planned_sharing(["server"])
    for kind in ("net", "uts", "ipc"):
        assert real[kind] == planned[kind] == {"pause": "pod", "server": "pod"}, kind
    assert real["mnt"]["server"] == "own" and real["pid"]["server"] == "own"


def test_two_pods_reach_each_other_by_pod_ip_without_nat(record):
    no_nat = record["no_nat"]
    assert no_nat["seen_by_server"] == no_nat["client_pod_ip"] != no_nat["server_pod_ip"]
    assert no_nat["seen_by_server"] != record["node_ip"], "not rewritten to the node's address"


def test_the_scene_leaves_no_pod(record):
    assert record["left_pods"] == []
