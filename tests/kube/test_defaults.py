"""SetDefaults_* of pkg/apis/core/v1/defaults.go, as the API server applies them before validation."""

from __future__ import annotations

import pytest

from podnotes.kube.defaults import PROBE_DEFAULTS, default_pod_spec, default_probe, default_pull_policy, probe_setting


@pytest.mark.parametrize("name", list(PROBE_DEFAULTS))
def test_a_zero_probe_setting_takes_its_default(name):
    """SetDefaults_Probe: `if obj.X == 0 { obj.X = default }`, so 0 and missing are the same."""
    assert probe_setting({name: 0}, name) == probe_setting({}, name) == PROBE_DEFAULTS[name]
    assert probe_setting({name: 7}, name) == 7


def test_negative_settings_stay_for_validation_to_refuse():
    assert probe_setting({"successThreshold": -1}, "successThreshold") == -1
    assert default_probe({"exec": {}, "periodSeconds": 0})["periodSeconds"] == 10


def test_a_new_pod_is_defaulted_like_the_server_does_it():
    spec = default_pod_spec({"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}],
                                             "resources": {"limits": {"cpu": "1"}},
                                             "livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 0}}]})
    container = spec["containers"][0]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"]) == \
        ("Always", "ClusterFirst", 30)
    assert container["imagePullPolicy"] == "Always" and container["ports"][0]["protocol"] == "TCP"
    assert container["resources"]["requests"] == {"cpu": "1"}
    assert container["livenessProbe"]["successThreshold"] == 1


@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
    ("localhost:5000/app", "Always"), ("app@sha256:" + "a" * 64, "IfNotPresent"),
])
def test_pull_policy_default(image, policy):
    assert default_pull_policy(image) == policy
