"""The user-namespaces scene without a node: its manifests and how it reads ``crictl version``."""

from __future__ import annotations

from podnotes.lint import lint
from podnotes.node.scenes import user_namespaces


def test_crictl_version_is_read_into_cri_field_names():
    text = "Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  1.6.20~ds1\nRuntimeApiVersion:  v1\n"
    assert user_namespaces.version_fields(text) == {
        "version": "0.1.0", "runtimeName": "containerd", "runtimeVersion": "1.6.20~ds1",
        "runtimeApiVersion": "v1"}
    assert user_namespaces.version_fields("") == {}


def test_the_root_pods_differ_only_in_host_users_and_fail_restricted_only_on_the_host():
    on_host, in_userns = (user_namespaces.pod("p", host_users, run_as_root=True) for host_users in (True, False))
    assert {**on_host["spec"], "hostUsers": False} == in_userns["spec"]

    def restricted(manifest) -> list[str]:
        return sorted(f.rule for f in lint(manifest, level="restricted", k8s_version="1.37")
                      if f.rule.startswith("pss-"))

    assert restricted(on_host) == ["pss-runAsNonRoot", "pss-runAsUser"]
    assert restricted(in_userns) == [], "restricted in every other way"


def test_crictl_info_handlers_are_read_with_their_features():
    """containerd 2's CRI ``Status`` lists the default handler (name "") and each configured one, with
    ``RuntimeHandlerFeatures`` (k8s.io/cri-api api.proto); containerd 1.6 lists none."""
    info = {"runtimeHandlers": [
        {"features": {"recursive_read_only_mounts": True, "user_namespaces": True}},
        {"name": "runc", "features": {"recursive_read_only_mounts": True, "user_namespaces": True}}]}
    assert user_namespaces.handler_features(info) == [
        {"name": "", "recursive_read_only_mounts": True, "user_namespaces": True},
        {"name": "runc", "recursive_read_only_mounts": True, "user_namespaces": True}]
    assert user_namespaces.handler_features({}) == user_namespaces.handler_features({"runtimeHandlers": None}) == []


def test_both_pods_write_to_an_emptydir_volume():
    for host_users in (True, False):
        spec = user_namespaces.pod("p", host_users)["spec"]
        assert spec["volumes"] == [{"name": "data", "emptyDir": {}}]
        assert spec["containers"][0]["volumeMounts"] == [{"name": "data", "mountPath": user_namespaces.VOLUME_PATH}]
