"""In-place resize keeps a Pod's QoS class: the ``resize`` subresource refuses to give a BestEffort
Pod resources, and accepts a new limit for a Burstable one.

Upstream: kubernetes v1.37.2 ``pkg/apis/core/validation/validation.go`` (``ValidatePodResize``:
"Pod QOS Class may not change as a result of resizing"); kubernetes.io, "Resize CPU and Memory
Resources assigned to Containers" (limitations: the QoS class cannot change).
"""

from __future__ import annotations

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from ..conftest import ROOT

pytestmark = pytest.mark.cluster

NGINX = ROOT / "chapters" / "manifests" / "nginx-test.yaml"
MORE_MEMORY = {"spec": {"containers": [{"name": "nginx", "resources": {"limits": {"memory": "256Mi"}}}]}}


def with_memory(name: str) -> dict:
    body = yaml.safe_load(NGINX.read_text())
    body["metadata"]["name"] = name
    body["spec"]["containers"][0]["resources"] = {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    return body


def test_the_chapters_best_effort_pod_cannot_be_given_resources_through_resize(kind_cluster):
    kind_cluster.create(NGINX)
    assert kind_cluster.get("Pod", "nginx-test")["status"]["qosClass"] == "BestEffort"
    with pytest.raises(ApiException) as refused:
        kind_cluster.core().patch_namespaced_pod_resize("nginx-test", kind_cluster.namespace, MORE_MEMORY)
    assert refused.value.status == 422
    assert "Pod QOS Class may not change as a result of resizing" in refused.value.body


def test_a_burstable_pod_gets_a_new_memory_limit_through_resize(kind_cluster):
    kind_cluster.create(with_memory("nginx-burstable"))
    resized = kind_cluster.core().patch_namespaced_pod_resize("nginx-burstable", kind_cluster.namespace, MORE_MEMORY)
    assert resized.spec.containers[0].resources.limits["memory"] == "256Mi"
    assert resized.status.qos_class == "Burstable"
