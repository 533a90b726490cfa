"""The user-namespaces scene on the real node: the facts the chapter user-namespaces claims.

Upstream (Kubernetes 1.37.2): the kubelet runs ``hostUsers: false`` only when the runtime lists a handler
with ``features.user_namespaces`` (pkg/kubelet/kubelet_getters.go ``HandlerSupportsUserNamespaces``), and
gives the Pod a block of 65,536 IDs starting at a multiple of 65,536, never 0 (pkg/kubelet/userns/
userns_manager.go ``GetOrCreateUserNamespaceMappings``); containerd 2 reports the feature from
``runc features`` (internal/cri/server/service.go ``introspectRuntimeHandler``) and runc mounts volumes
idmapped (mount_setattr(2) ``MOUNT_ATTR_IDMAP``; the kernel lists ``idmapped`` among the mount's options,
fs/proc_namespace.c ``show_mnt_opts``). Pod Security: runAsUser and runAsNonRoot are relaxed for
``hostUsers: false`` from policy version 1.35 (k8s.io/pod-security-admission policy/helpers.go
``relaxPolicyForUserNamespacePod``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from podnotes.linux import userns
from podnotes.node.scenes import SceneContext, user_namespaces

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def record(local_node):
    from podnotes import cluster

    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117
        with admin.workshop_namespace("scene") as namespace:
            scene = user_namespaces.observe(SceneContext(local_node, admin, namespace, Path("."), lambda _: None))
            scene["left_pods"] = [pod["metadata"]["name"] for pod in admin.list("Pod", namespace)]
    return scene


def test_the_runtime_reports_user_namespace_support_per_handler(record):
    assert record["runtime_version"]["runtimeName"] == "containerd"
    assert record["runtime_version"]["runtimeVersion"].lstrip("v").startswith("2."), "containerd 2 built by build.sh"
    handlers = {handler["name"]: handler for handler in record["runtime_handlers"]}
    assert "runc" in handlers and "" in handlers, "the configured runc handler and the default one"
    assert all(handler["user_namespaces"] is True for handler in handlers.values())


def test_a_pod_with_host_users_false_runs_as_an_unprivileged_host_block(record):
    pod = record["userns"]
    assert pod["phase"] == "Running"
    (line,) = userns.parse_id_map(pod["uid_map"])
    assert (line.inside, line.count) == (0, userns.IDS_PER_POD)
    assert userns.kubelet_slot(line.outside) is not None, f"{line.outside} is a block the kubelet hands out"
    assert userns.parse_id_map(pod["gid_map"]) == [line], "the same block for groups"
    assert pod["status_uid"] == str(line.outside), "the host sees the container's root as the block's first uid"
    assert pod["inside_id"].startswith("uid=0(root) gid=0(root)")
    assert userns.parse_id_map(pod["inside_uid_map"]) == [userns.IdMapLine(0, line.outside, userns.IDS_PER_POD)]


def test_the_volume_is_idmapped_so_root_inside_writes_host_root_files(record):
    pod = record["userns"]
    assert pod["volume_idmapped"], pod["volume_mount_options"]
    assert pod["file_owner_inside"] == "0:0"
    assert pod["file_owner_on_disk"] == "0:0", "through the idmapped mount, not the block's first uid"


def test_a_pod_with_host_users_runs_as_host_root(record):
    host = record["hostusers"]
    assert userns.parse_id_map(host["uid_map"]) == userns.parse_id_map(userns.HOST_IDENTITY_MAP)
    assert host["status_uid"] == "0"
    assert host["inside_id"].startswith("uid=0(root)")
    assert not host["volume_idmapped"] and host["file_owner_on_disk"] == host["file_owner_inside"] == "0:0"


def test_restricted_pod_security_admits_root_only_with_host_users_false(record):
    refused = record["admission"]["root-on-host"]
    assert "violates PodSecurity \"restricted:latest\"" in refused
    assert "runAsNonRoot != true" in refused and "runAsUser=0" in refused
    assert record["admission"]["userns"] == "accepted"


def test_the_scene_removes_its_pods(record):
    assert record["left_pods"] == []
