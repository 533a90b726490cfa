"""The QoS class as ComputePodQOS (pkg/apis/core/helper/qos/qos.go, Kubernetes 1.37) computes it."""

from __future__ import annotations

import pytest

from podnotes.kube.qos import qos_class


def spec(*resources, init=(), pod_level=None):
    out = {"containers": [{"name": f"c{i}", "image": "x:1", "resources": r} for i, r in enumerate(resources)],
           "initContainers": [{"name": f"i{i}", "image": "x:1", "resources": r} for i, r in enumerate(init)]}
    if pod_level is not None:
        out["resources"] = pod_level
    return out


EQUAL = {"limits": {"cpu": "500m", "memory": "128Mi"}}


@pytest.mark.parametrize("resources, expected", [
    ({"requests": {"cpu": 0.1, "memory": "1e9"}, "limits": {"cpu": "100m", "memory": "1G"}}, "Guaranteed"),
    ({"requests": {"cpu": "0.1"}, "limits": {"cpu": "100m", "memory": "1Gi"}}, "Guaranteed"),  # memory defaulted
    ({"requests": {"cpu": "0.1", "memory": "1G"}, "limits": {"cpu": "100m", "memory": "1Gi"}}, "Burstable"),
    (EQUAL, "Guaranteed"),  # requests default to the limits
    ({"requests": {"cpu": "100m"}}, "Burstable"),
    ({}, "BestEffort"),
    ({"requests": {"cpu": "0", "memory": "0"}}, "BestEffort"),  # zero is not a request
    ({"requests": {"ephemeral-storage": "1Gi"}}, "BestEffort"),  # only cpu and memory count
    ({"limits": {"cpu": "1Pi", "memory": "500u"}}, "Guaranteed"),
])
def test_one_container(resources, expected):
    assert qos_class(spec(resources)) == expected


def test_every_container_counts_init_containers_too():
    assert qos_class(spec(EQUAL, EQUAL)) == "Guaranteed"
    assert qos_class(spec(EQUAL, {})) == "Burstable"  # one Guaranteed and one BestEffort container
    assert qos_class(spec(EQUAL, init=[{}])) == "Burstable"
    assert qos_class(spec({}, {})) == "BestEffort"


def test_pod_level_resources_decide_alone():
    """PodLevelResources (on by default since 1.34): spec.resources replaces the per-container view."""
    assert qos_class(spec({}, pod_level={"limits": {"cpu": "1", "memory": "1Gi"}})) == "Guaranteed"
    assert qos_class(spec(EQUAL, pod_level={"requests": {"cpu": "1"}})) == "Burstable"
