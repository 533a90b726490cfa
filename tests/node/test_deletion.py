"""Deleting without a grace period: the API object goes at once, and the kubelet still kills the containers,
giving them the 2 s minimum (``minimumGracePeriodInSeconds``) because the Pod asks for 0."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.node


def test_delete_without_grace_period_removes_the_object_then_the_containers(local_node, node_cluster):
    from podnotes.cluster import wait_for
    from podnotes.node.runtime import running_tasks

    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "deleted-at-once"}, "spec": {
        "terminationGracePeriodSeconds": 30,
        "containers": [{"name": "app", "image": "registry.k8s.io/busybox:1.27.2",
                        "command": ["sh", "-c", "sleep 3600"]}],
    }}
    node_cluster.create(manifest)
    pod = wait_for(node_cluster, "deleted-at-once", "Ready", timeout=60, progress=False)
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    assert container_id in running_tasks(local_node.containerd)

    deleted = time.monotonic()
    node_cluster.delete(manifest, grace_period=0)
    assert not node_cluster.exists("Pod", "deleted-at-once"), "grace period 0: the API object goes at once"
    while container_id in running_tasks(local_node.containerd):
        assert time.monotonic() - deleted < 20, "the kubelet did not stop the container of the deleted Pod"
        time.sleep(0.2)
    gone_after = time.monotonic() - deleted
    # sh ignores SIGTERM as PID 1, so only the SIGKILL after the minimum grace of 2 s stops it.
    assert 2.0 <= gone_after < 10.0, gone_after
