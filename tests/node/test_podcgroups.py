"""Reading the kubelet's cgroups from /proc/<pid>/cgroup and the cgroup files (podnotes.node.podcgroups),
without a node: v1 (cgroupfs driver, as on the test node) and v2 (systemd driver) texts, in a fake mount."""

from __future__ import annotations

import pytest

from podnotes.node import podcgroups

V1_TEXT = """12:pids:/podnotes-node-x/kubepods/burstable/pod1234/abcd
11:memory:/podnotes-node-x/kubepods/burstable/pod1234/abcd
4:cpu,cpuacct:/podnotes-node-x/kubepods/burstable/pod1234/abcd
1:name=systemd:/user.slice
0::/user.slice
"""
V2_TEXT = "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12_34.slice/cri-containerd-ab.scope\n"


def test_v1_lines_give_each_controller_its_path_and_the_chain_starts_at_kubepods():
    groups = podcgroups.parse_proc_cgroup(V1_TEXT)
    assert groups.version == "v1"
    assert groups.paths["cpu"] == groups.paths["cpuacct"] == groups.path_for("memory")
    chain = podcgroups.kubepods_chain(groups.path_for("cpu"))
    assert chain == ("kubepods", "burstable", "pod1234", "abcd")
    assert podcgroups.cgroup_driver(chain) == "cgroupfs"
    assert podcgroups.level_path(groups.any_path, "pod") == "/podnotes-node-x/kubepods/burstable/pod1234"
    assert podcgroups.level_path(groups.any_path, "qos") == "/podnotes-node-x/kubepods/burstable"


def test_v2_line_and_systemd_slices():
    groups = podcgroups.parse_proc_cgroup(V2_TEXT)
    assert groups.version == "v2" and groups.path_for("cpu") == groups.paths[""]
    chain = podcgroups.kubepods_chain(groups.any_path)
    assert chain[0] == "kubepods.slice" and podcgroups.cgroup_driver(chain) == "systemd"


@pytest.mark.parametrize("text", ["", "garbage", "3:cpu:relative/path"])
def test_bad_text_is_refused_with_a_clear_error(text):
    with pytest.raises(podcgroups.CgroupReadError, match="proc/<pid>/cgroup"):
        podcgroups.parse_proc_cgroup(text)


def test_a_path_outside_kubepods_is_refused():
    with pytest.raises(podcgroups.CgroupReadError, match="kubepods"):
        podcgroups.kubepods_chain("/user.slice/session-1.scope")


def _write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text + "\n")


def test_values_are_read_per_level_in_a_v1_mount(tmp_path):
    groups = podcgroups.parse_proc_cgroup(V1_TEXT)
    pod = "podnotes-node-x/kubepods/burstable/pod1234"
    (tmp_path / "cpu,cpuacct").mkdir()
    _write(tmp_path / "cpu,cpuacct" / pod / "abcd",
           {"cpu.shares": "102", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000"})
    _write(tmp_path / "memory" / pod / "abcd", {"memory.limit_in_bytes": str(128 * 1024**2)})
    _write(tmp_path / "pids" / pod / "abcd", {"pids.max": "max"})
    _write(tmp_path / "memory" / pod, {"memory.limit_in_bytes": "9223372036854771712"})
    values = podcgroups.read_values(groups, "container", mount=tmp_path)
    assert values["cpu.shares"] == "102", "cpu found in the combined cpu,cpuacct hierarchy"
    read = podcgroups.settings(values)
    assert read == podcgroups.Settings(102, 50_000, 100_000, 128 * 1024**2, None)
    assert podcgroups.read_values(groups, "pod", mount=tmp_path) == {"memory.limit_in_bytes": "9223372036854771712"}


def test_v2_settings_and_unlimited_values():
    read = podcgroups.settings({"cpu.weight": "35", "cpu.max": "max 100000", "memory.max": "max", "pids.max": "64"})
    assert read == podcgroups.Settings(35, None, 100_000, None, 64)
    with pytest.raises(podcgroups.CgroupReadError, match="incomplete"):
        podcgroups.settings({"cpu.weight": "35"})


def test_containerd_restriction_keeps_scores_at_or_above_its_own():
    assert podcgroups.applied_oom_score_adj(-997, 0, restricted=True) == 0
    assert podcgroups.applied_oom_score_adj(-997, -999, restricted=True) == -997
    assert podcgroups.applied_oom_score_adj(-997, 0, restricted=False) == -997
    assert podcgroups.applied_oom_score_adj(999, 0, restricted=True) == 999


def test_the_scene_pods_are_valid_and_in_the_classes_the_chapter_names():
    """The scene's manifests pass the offline linter without errors, and their QoS classes are the ones the
    chapter and the node tests expect."""
    from podnotes import lint
    from podnotes.kube.qos import qos_class
    from podnotes.node.scenes import resources

    pods = resources.manifests()
    assert set(pods) == {"guaranteed", "burstable", "besteffort", "pod-level", "resize-restart", "oom",
                         "evicted"}
    for name, manifest in pods.items():
        errors = [finding for finding in lint.lint(manifest) if finding.severity == "error"]
        assert errors == [], (name, errors)
    classes = {name: qos_class(manifest["spec"]) for name, manifest in pods.items()}
    assert classes == {"guaranteed": "Guaranteed", "burstable": "Burstable", "besteffort": "BestEffort",
                       "pod-level": "Burstable", "resize-restart": "Burstable", "oom": "Burstable",
                       "evicted": "BestEffort"}
    for name, resources_after in resources.RESIZES.items():
        container = {"name": "app", "resources": resources_after}
        assert qos_class({"containers": [container]}) == classes[name], "a resize never changes the class"


class _FailingCore:
    """A CoreV1Api stand-in whose reads fail after the Pods were created: the scene must delete them."""

    def __init__(self):
        from types import SimpleNamespace

        self.created: list[str] = []
        self.deleted: list[str] = []
        self.api_client = SimpleNamespace(sanitize_for_serialization=lambda value: value)

    def create_namespaced_pod(self, namespace, manifest):
        self.created.append(manifest["metadata"]["name"])

    def read_namespaced_pod(self, name, namespace):
        raise ConnectionError("the API server went away")

    def delete_namespaced_pod(self, name, namespace, grace_period_seconds=None):
        self.deleted.append(name)

    def list_namespaced_pod(self, namespace):
        from types import SimpleNamespace

        return SimpleNamespace(items=[])


def test_the_scene_deletes_every_pod_it_made_when_it_fails():
    from types import SimpleNamespace

    from podnotes.node.scenes import resources

    core = _FailingCore()
    context = SimpleNamespace(admin=SimpleNamespace(core=lambda: core), namespace="scenes", node=None)
    with pytest.raises(ConnectionError):
        resources.observe(context)
    assert core.created and sorted(core.deleted) == sorted(core.created) == sorted(resources.manifests())


def test_an_evicted_pod_counts_once_its_container_has_ended():
    """The kubelet's eviction writes phase Failed and reason Evicted (eviction_manager.go evictPod) before the
    container's terminated state: the scene waits for both, so the chapter always has the exit code."""
    from podnotes.node.scenes.resources import _was_evicted

    evicted = {"phase": "Failed", "reason": "Evicted"}
    running = {**evicted, "containerStatuses": [{"state": {"running": {}}}]}
    ended = {**evicted, "containerStatuses": [{"state": {"terminated": {"exitCode": 137}}}]}
    assert not _was_evicted({"status": running})
    assert not _was_evicted({"status": evicted})
    assert _was_evicted({"status": ended})
    assert not _was_evicted({"status": {"phase": "Running", "containerStatuses": ended["containerStatuses"]}})
