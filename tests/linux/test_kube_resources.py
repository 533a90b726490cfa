from __future__ import annotations

import pytest

from podnotes.kube.quantity import QuantityError
from podnotes.linux import kube_resources as kr


def test_bad_quantities_are_named():
    with pytest.raises(QuantityError, match="'12 cores'"):
        kr.cgroup_settings({"limits": {"cpu": "12 cores"}})


def test_every_quantity_spelling_the_server_accepts_becomes_a_setting():
    """1e9, 1Pi and 500u are quantities (k8s.io/apimachinery/pkg/api/resource/quantity.go); MilliValue and
    Value round up, so 500u of cpu is 1 millicore and 0.1 is 100."""
    settings = kr.cgroup_settings({"limits": {"cpu": 0.1, "memory": "1e9"}})
    assert (settings.cpu_quota_us, settings.memory_limit_bytes) == (10_000, 10**9)
    assert kr.cgroup_settings({"limits": {"memory": "1Pi"}}).memory_limit_bytes == 2**50
    assert kr.cgroup_settings({"requests": {"cpu": "500u"}}).cpu_shares == 2


def test_requests_and_limits_become_shares_quota_and_memory_limit():
    settings = kr.cgroup_settings({"requests": {"cpu": "250m", "memory": "64Mi"},
                                   "limits": {"cpu": "500m", "memory": "128Mi"}})
    assert settings.cpu_shares == 256
    assert settings.cpu_quota_us == 50_000 and settings.cpu_period_us == 100_000
    assert settings.memory_limit_bytes == 128 * 2**20
    # cpu.weight as runc >= 1.3.2 and crun >= 1.23 convert 256 shares; the older linear formula gave 10
    assert settings.files("v2") == {"cpu.weight": "35", "cpu.max": "50000 100000", "memory.max": str(128 * 2**20)}
    assert settings.cpu_weight_linear == 10
    assert settings.files("v1")["cpu.cfs_quota_us"] == "50000"


def test_no_resources_means_minimum_shares_and_no_limits():
    settings = kr.cgroup_settings(None)
    assert (settings.cpu_shares, settings.cpu_quota_us, settings.memory_limit_bytes) == (2, None, None)
    assert settings.files("v2")["cpu.max"] == "max 100000"


def test_a_limit_alone_also_sets_the_request():
    assert kr.cgroup_settings({"limits": {"cpu": "1"}}).cpu_shares == 1024


def test_oom_score_adjustments():
    assert kr.oom_score_adj("Guaranteed") == -997
    assert kr.oom_score_adj("BestEffort") == 1000
    assert kr.oom_score_adj("Burstable", 2**30, 4 * 2**30) == 750
    # pkg/kubelet/qos/policy.go: never below 1000 + guaranteedOOMScoreAdj = 3, never 1000
    assert kr.oom_score_adj("Burstable", 4 * 2**30, 4 * 2**30) == 3
    assert kr.oom_score_adj("Burstable", 0, 4 * 2**30) == 999


# --- container_oom_score_adj: GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go, v1.37.2) --------------
GI = 1024**3
MI = 1024**2


def _spec(*containers, init=(), pod_resources=None):
    spec = {"containers": [dict(c) for c in containers], "initContainers": [dict(c) for c in init]}
    if pod_resources:
        spec["resources"] = pod_resources
    return spec


def test_container_score_follows_the_class_and_the_container_request():
    capacity = 8 * GI
    guaranteed = _spec({"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}})
    besteffort = _spec({"name": "a"})
    burstable = _spec({"name": "a", "resources": {"requests": {"memory": "2Gi"}}}, {"name": "b"})
    assert kr.container_oom_score_adj(guaranteed, "a", capacity) == -997
    assert kr.container_oom_score_adj(besteffort, "a", capacity) == 1000
    assert kr.container_oom_score_adj(burstable, "a", capacity) == 750
    assert kr.container_oom_score_adj(burstable, "b", capacity) == 999, "no request: 1000 becomes 999"


def test_pod_level_request_not_claimed_by_containers_is_shared_equally():
    """remainingPodMemReqPerContainer: (64Mi - 16Mi) / 2 containers = 24Mi added to each."""
    capacity = 1000 * MI
    spec = _spec({"name": "app", "resources": {"requests": {"memory": "16Mi"}}}, {"name": "helper"},
                 pod_resources={"requests": {"cpu": "200m", "memory": "64Mi"},
                                "limits": {"cpu": "500m", "memory": "128Mi"}})
    assert kr.container_oom_score_adj(spec, "app", capacity) == 1000 - (1000 * 40 * MI) // capacity
    assert kr.container_oom_score_adj(spec, "helper", capacity) == 1000 - (1000 * 24 * MI) // capacity


def test_a_sidecar_scores_no_higher_than_the_smallest_regular_container():
    capacity = 8 * GI
    spec = _spec({"name": "app", "resources": {"requests": {"memory": "4Gi"}}},
                 init=[{"name": "proxy", "restartPolicy": "Always"}])
    assert kr.container_oom_score_adj(spec, "proxy", capacity) == 500
    assert kr.container_oom_score_adj(spec, "app", capacity) == 500


def test_aggregate_memory_request_takes_the_larger_of_init_and_regular():
    spec = _spec({"name": "app", "resources": {"requests": {"memory": "100Mi"}}},
                 init=[{"name": "side", "restartPolicy": "Always", "resources": {"requests": {"memory": "10Mi"}}},
                       {"name": "setup", "resources": {"requests": {"memory": "500Mi"}}}])
    assert kr.aggregate_memory_request(spec) == 510 * MI
    spec["initContainers"][1]["resources"]["requests"]["memory"] = "50Mi"
    assert kr.aggregate_memory_request(spec) == 110 * MI


def test_pod_group_settings_follow_resource_config_for_pod():
    """ResourceConfigForPod (pkg/kubelet/cm/helpers_linux.go): sums for the Pod's group, limits only when
    every container declares them, Pod-level resources first, BestEffort at 2 shares and no limits."""
    two = _spec({"name": "a", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "500m", "memory": "1Gi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "150m"}, "limits": {"cpu": "250m"}}})
    settings = kr.pod_cgroup_settings(two)
    assert (settings.cpu_shares, settings.cpu_quota_us) == (256, 75_000)
    assert settings.memory_limit_bytes is None, "b has no memory limit, so the Pod has none"
    pod_level = _spec({"name": "a"}, pod_resources={"requests": {"cpu": "200m", "memory": "64Mi"},
                                                    "limits": {"cpu": "500m", "memory": "128Mi"}})
    settings = kr.pod_cgroup_settings(pod_level)
    assert (settings.cpu_shares, settings.cpu_quota_us, settings.memory_limit_bytes) == (204, 50_000, 128 * MI)
    besteffort = kr.pod_cgroup_settings(_spec({"name": "a"}))
    assert (besteffort.cpu_shares, besteffort.cpu_quota_us, besteffort.memory_limit_bytes) == (2, None, None)


def test_qos_group_shares_sum_the_burstable_requests():
    """setCPUCgroupConfig (qos_container_manager_linux.go): Burstable requests summed, BestEffort at 2;
    kubepods the node's CPU less reservations."""
    pods = [_spec({"name": "a", "resources": {"requests": {"cpu": "100m"}}}),
            _spec({"name": "a"}, pod_resources={"requests": {"cpu": "200m"}, "limits": {"cpu": "500m"}}),
            _spec({"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}),
            _spec({"name": "a"})]
    assert kr.qos_group_shares(pods, 2000) == {"kubepods": 2048, "burstable": 307, "besteffort": 2}
    assert kr.qos_group_shares([], 2000)["burstable"] == 2
    assert kr.milli_cpu_to_shares(10**9) == kr.MAX_SHARES
