"""The shared-storage scene on the real node: the facts the chapter shared-storage claims.

Upstream: emptyDir and medium Memory (pkg/volume/emptydir/empty_dir.go; the tmpfs size is the sizeLimit,
SizeMemoryBackedVolumes, GA in 1.32), the Downward API (pkg/volume/downwardapi, pkg/fieldpath), the
projected service-account token (plugin/pkg/admission/serviceaccount/admission.go: expirationSeconds
3607, kube-root-ca.crt, metadata.namespace; the extended lifetime in pkg/serviceaccount/claims.go),
/etc/hosts (pkg/kubelet/kubelet_pods.go), resolv.conf per dnsPolicy (pkg/kubelet/network/dns/dns.go),
termination messages (pkg/kubelet/kuberuntime/kuberuntime_container.go, getTerminationMessage).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from podnotes.node import podfiles
from podnotes.node.scenes import SceneContext, shared_storage

pytestmark = [pytest.mark.node, pytest.mark.slow]
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def record(local_node):
    from podnotes import cluster

    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117
        with admin.workshop_namespace("scene") as namespace:
            scene = shared_storage.observe(SceneContext(local_node, admin, namespace, Path("."), lambda _: None))
            scene["left_pods"] = [pod["metadata"]["name"] for pod in admin.list("Pod", namespace)]
    scene["gateway"] = local_node.network.gateway
    return scene


def test_two_containers_share_one_empty_dir(record):
    shared = record["shared"]
    assert shared["reader_sees"].strip() == f"written by {shared['writer_hostname']}"
    assert "Read-only file system" in shared["reader_write"], "the reader mounted it readOnly"


def test_a_memory_empty_dir_is_a_tmpfs_charged_to_the_container(record):
    tmpfs = record["tmpfs"]
    written = tmpfs["written_mib"] * MIB
    cache = next(m for m in record["mounts"] if m["target"] == "/cache")
    assert cache["fstype"] == "tmpfs" and podfiles.tmpfs_size(cache["options"]) == 32 * MIB
    assert tmpfs["before"]["limit"] == 64 * MIB
    grew = tmpfs["after"]["usage"] - tmpfs["before"]["usage"]
    assert 0.9 * written <= grew <= 1.3 * written, grew
    assert tmpfs["after"]["shmem"] - tmpfs["before"]["shmem"] >= 0.95 * written
    assert tmpfs["removed"]["usage"] < tmpfs["after"]["usage"] - 0.9 * written, "freed with the file"


def test_the_downward_api_as_env_and_files(record):
    env = record["downward_env"]
    assert env["POD_NAME"] == "files" and env["POD_IP"] == record["pod_ip"]
    assert env["NODE_NAME"] == "podnotes-node" and env["MEMORY_LIMIT_MIB"] == "64"
    files = record["downward_files"]
    assert 'app="files"' in files["labels"] and 'tier="demo"' in files["labels"]
    assert 'team="storage"' in files["annotations"]
    assert files["cpu_limit_millicores"].strip() == "250"


def test_the_service_account_token_is_projected_from_three_sources(record):
    projected = [v for v in record["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(projected) == 1
    sources = projected[0]["projected"]["sources"]
    assert sources[0]["serviceAccountToken"]["expirationSeconds"] == 3607
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"
    claims = record["token_claims"]
    assert claims["kubernetes.io"]["pod"]["name"] == "files"
    assert claims["kubernetes.io"]["namespace"] == record["namespace"] == record["namespace_file"]
    assert claims["sub"] == f"system:serviceaccount:{record['namespace']}:default"
    assert claims["exp"] - claims["iat"] > 3607, "extended for the legacy-token transition"
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert record["ca_begins"].startswith("-----BEGIN CERTIFICATE-----")
    assert "..data ->" in record["token_dir"], "written atomically through a ..data symlink"


def test_the_files_the_kubelet_writes_and_mounts(record):
    assert record["etc_hosts"].startswith("# Kubernetes-managed hosts file.")
    assert f"{record['pod_ip']}\tfiles" in record["etc_hosts"]
    mounts = {m["target"]: m for m in record["mounts"]}
    uid = record["pod_uid"]
    assert mounts["/etc/hosts"]["root"].endswith(f"/pods/{uid}/etc-hosts")
    assert f"/pods/{uid}/containers/writer/" in mounts["/dev/termination-log"]["root"]
    assert mounts["/dev/shm"]["fstype"] == "tmpfs"
    assert podfiles.tmpfs_size(mounts["/dev/shm"]["options"]) == 64 * MIB


def test_resolv_conf_follows_the_dns_policy(record):
    resolv = record["resolv_conf"]
    assert record["kubelet_cluster_dns"] == [], "this node has no cluster DNS"
    assert any(e["reason"] == "MissingClusterDNS" and e["object"] == "files" for e in record["events"])
    assert resolv["ClusterFirst"] == resolv["Default"], "ClusterFirst falls back to Default here"
    assert resolv["Default"].split("\n")[:2] == ["search .", "nameserver 127.0.0.1"], "resolvConf is empty"
    assert resolv["None"].split("\n")[:3] == [f"search {shared_storage.DNS_SEARCH}",
                                              f"nameserver {record['gateway']}", "options ndots:2"]


def test_termination_messages_from_the_file_or_the_log(record):
    ended = {c["name"]: c["terminated"] for c in record["ending"]}
    assert ended["writes-file"]["exitCode"] == 3
    assert ended["writes-file"]["message"].strip() == "config /etc/app.conf missing"
    assert ended["logs-fallback"]["exitCode"] == 1
    assert ended["logs-fallback"]["message"].strip().endswith("cannot bind port 80")
    assert not ended["logs-ignored"].get("message"), "policy File: the log is not used"


def test_the_scene_leaves_no_pod(record):
    assert record["left_pods"] == []
