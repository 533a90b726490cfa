"""What a copy of the book tells the reader about its real parts (podnotes.provenance)."""

from __future__ import annotations

import pytest

from podnotes import provenance
from podnotes.linux import machine


def test_a_part_that_could_not_run_says_what_why_how_and_where_the_real_result_is():
    part = provenance.Part("08-probes", "these examples on a real kubelet", False,
                           "This copy was built without root, which the kubelet and containerd need",
                           "sudo make book", fallback="No observed timeline is drawn here.")
    sentence = part.sentence()
    assert sentence.startswith("**This copy could not run these examples on a real kubelet.**")
    assert "without root" in sentence and "`sudo make book`" in sentence
    assert "published site shows the real result" in sentence
    assert "(not observed)" not in sentence


def test_a_part_that_ran_names_what_it_ran_on():
    part = provenance.Part("11-kubectl", "the commands on this page against a real API server", True,
                           used={"kube-apiserver": "v1.37.2"}, kind="api server")
    assert part.sentence() == ("In this copy, the commands on this page against a real API server ran for real "
                               "(kube-apiserver v1.37.2).")


def test_without_root_the_privileged_chapters_say_so(monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    monkeypatch.delenv("PODNOTES_REQUIRE_PRIVILEGED", raising=False)
    part = provenance.privileged_part("03-namespaces")
    assert not part.real and "without root" in part.reason and part.command == "sudo make book"
    provenance.show(part)  # not required: shows the note


def test_a_required_part_that_could_not_run_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("PODNOTES_REQUIRE_REAL", "1")
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    _, part = provenance.kubelet_part("07-lifecycle", ["crash-loop"])
    assert not part.real
    with pytest.raises(provenance.RealPartMissing, match="07-lifecycle"):
        provenance.show(part)


def test_without_observations_the_kubelet_part_falls_back_with_a_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    overlays, part = provenance.kubelet_part("07-lifecycle", ["crash-loop"])
    assert overlays == {} and not part.real and part.reason and part.command.endswith("make book")


def _current_observations_all_alike(folder, scene_record: dict | None) -> None:
    """Current observations in which every scene's record is ``scene_record``."""
    import json

    from podnotes.node.observe import examples_digest
    from podnotes.node.scenes import scene_names

    (folder / "agreement.json").write_text("{}")
    (folder / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2", "examples_digest": examples_digest(),
                                                  "containerd": "containerd 1.6.20 x", "kernel": "6.1"}))
    (folder / "scenes").mkdir()
    for name in scene_names():
        (folder / "scenes" / f"{name}.json").write_text(json.dumps(scene_record or {"scene": name}))


def test_a_scene_is_real_only_when_current_and_without_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PODNOTES_REQUIRE_REAL", raising=False)
    record, part = provenance.scene_part("debugging", "debugging", "the broken Pods on a real kubelet", "none")
    assert record is None and not part.real and part.command.endswith("make book")
    assert "could not run the broken Pods on a real kubelet" in part.sentence()
    _current_observations_all_alike(tmp_path, {"scene": "debugging", "kubectl": []})
    record, part = provenance.scene_part("debugging", "debugging", "the broken Pods on a real kubelet", "none")
    assert record == {"scene": "debugging", "kubectl": []} and part.real
    assert part.used == {"Kubernetes": "v1.37.2", "containerd": "1.6.20", "Linux": "6.1"}
    assert not provenance.scene_part("debugging", "other", "x", "none")[1].real


def test_a_scene_that_failed_on_the_node_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    _current_observations_all_alike(tmp_path, {"scene": "debugging", "error": "RuntimeError: no pinned kubectl"})
    record, part = provenance.scene_part("debugging", "debugging", "the broken Pods on a real kubelet", "none")
    assert record is None and not part.real
    from podnotes.node.observe import reasons_node_cannot_run

    if not reasons_node_cannot_run():  # where the node could run, the reason is the scene's own error
        assert "no pinned kubectl" in part.reason


def test_records_feed_the_status_page(monkeypatch, tmp_path):
    monkeypatch.setenv(provenance.RECORDS_ENV, str(tmp_path))
    provenance.record(provenance.Part("07-lifecycle", "these examples on a real kubelet", True,
                                      used={"Kubernetes": "v1.37.2", "containerd": "1.6.20"}))
    provenance.record(provenance.Part("11-kubectl", "the commands", False, "No cluster was reachable",
                                      "make book", kind="api server"))
    provenance.record(provenance.Part("11-kubectl", "the commands", True, used={"kube-apiserver": "v1.37.2"},
                                      kind="api server"))  # a later answer for the same part replaces it
    table = provenance.status_markdown(["07-lifecycle", "09-init-and-ephemeral", "11-kubectl"])
    assert ("* - 07-lifecycle\n  - examples on a real kubelet\n  - ran for real\n"
            "  - Kubernetes v1.37.2, containerd 1.6.20\n") in table
    assert "* - 11-kubectl\n  - commands against a real API server\n  - ran for real\n  - kube-apiserver v1.37.2" \
        in table
    assert "fell back" not in table
    assert "(09-init-and-ephemeral) are pure Python" in table, "a chapter with no real part says why it is absent"
    for row in ("- **commit**:", "- **podnotes version**:", "- **built**:", "- **system**:",
                "- **real-kubelet observations**:"):
        assert row in table
    # The Chinese edition shows the same records in its words (one execution serves both editions).
    chinese = provenance.parts_markdown(["07-lifecycle", "09-init-and-ephemeral", "11-kubectl"], language="zh")
    assert ("* - 07-lifecycle\n  - 真实 kubelet 上的示例\n  - 已真实运行\n"
            "  - Kubernetes v1.37.2、containerd 1.6.20\n") in chinese
    assert "* - 11-kubectl\n  - 针对真实 API 服务器的命令\n  - 已真实运行" in chinese
    assert "其余章节（09-init-and-ephemeral）是纯 Python 的" in chinese
    assert "ran for real" not in chinese and "chapter" not in chinese
    assert "- **提交**：" in provenance.build_markdown("zh") and "**commit**" not in provenance.build_markdown("zh")
    both = provenance.in_both_languages("english", "中文")
    assert both == "::::{container} podnotes-lang-en\nenglish\n::::\n\n::::{container} podnotes-lang-zh\n中文\n::::"


def test_the_status_page_says_when_the_observations_were_recorded_and_if_reused(monkeypatch, tmp_path):
    import json

    from podnotes.node.observe import examples_digest
    from podnotes.node.scenes import scene_names

    (tmp_path / "agreement.json").write_text("{}")
    (tmp_path / "scenes").mkdir()
    for name in scene_names():  # every scene's record is part of a complete set
        (tmp_path / "scenes" / f"{name}.json").write_text(json.dumps({"scene": name}))
    (tmp_path / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2", "observed_at": "2026-11-30 18:54 UTC",
                                                    "examples_digest": examples_digest()}))
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    monkeypatch.setenv(provenance.OBSERVATIONS_ENV, "reused")
    assert provenance.observations_line() == (
        "recorded 2026-11-30 18:54 UTC on Kubernetes v1.37.2; this build reused them (same examples, same pins)")
    monkeypatch.setenv(provenance.OBSERVATIONS_ENV, "recorded")
    assert provenance.observations_line().endswith("; this build recorded them")
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path / "none"))
    assert provenance.observations_line().startswith("none that are current")


def test_the_chapters_with_real_parts_are_found():
    assert set(provenance.chapters_with_real_parts()) == {"07-lifecycle", "probe-timing", "11-kubectl",
                                                          "checks-itself", "resources", "pod-on-a-node",
                                                          "shared-storage", "debugging", "termination",
                                                          "user-namespaces", "node-loss", "09-init-and-ephemeral"}
    assert {"02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause"} <= set(
        provenance.kernel_chapters())


def test_the_status_page_lists_the_kernel_chapters_as_this_build_ran_them(monkeypatch, tmp_path):
    monkeypatch.setenv(provenance.RECORDS_ENV, str(tmp_path))
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    table = provenance.status_markdown(["02-chroot", "08-probes"])
    assert "* - 02-chroot\n  - kernel experiments (root)\n  - fell back\n  - This copy was built without root" in table
    assert ", not root, Python" in table


def test_a_scene_part_is_real_only_with_a_current_recording_without_error(monkeypatch, tmp_path):
    import json

    from podnotes.node import observe

    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    record, part = provenance.scene_part("resources", "resources", "these Pods on a real kubelet", "Computed only.")
    assert record is None and not part.real and part.reason and part.fallback == "Computed only."
    current = observe.ObservationsState(tmp_path, True, True, "d", "d")
    monkeypatch.setattr(observe, "observations_state", lambda folder=None: current)
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "resources.json").write_text(json.dumps({"scene": "resources", "error": "Boom: late"}))
    monkeypatch.setattr(observe, "reasons_node_cannot_run", lambda: [])
    record, part = provenance.scene_part("resources", "resources", "these Pods on a real kubelet", "Computed only.")
    assert record is None and "Boom: late" in part.reason
    (tmp_path / "scenes" / "resources.json").write_text(json.dumps({"scene": "resources", "pods": {}}))
    (tmp_path / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2", "runc": "runc version 1.1.5"}))
    record, part = provenance.scene_part("resources", "resources", "these Pods on a real kubelet", "Computed only.")
    assert record == {"scene": "resources", "pods": {}} and part.real
    assert part.used == {"Kubernetes": "v1.37.2", "runc": "1.1.5"}


def _current_observations(folder, scenes: dict) -> None:
    """A folder observations_state calls current: node.json with today's digest, and a record per scene."""
    import json

    from podnotes.node.observe import examples_digest
    from podnotes.node.scenes import scene_names

    (folder / "agreement.json").write_text("{}")
    (folder / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2", "containerd": "containerd 1.6.20",
                                                  "examples_digest": examples_digest()}))
    (folder / "scenes").mkdir()
    for name in scene_names():
        (folder / "scenes" / f"{name}.json").write_text(json.dumps(scenes.get(name, {"scene": name})))


def test_a_recorded_scene_is_shown_with_what_it_ran_on(monkeypatch, tmp_path):
    _current_observations(tmp_path, {"pod-on-a-node": {"scene": "pod-on-a-node", "pod_ip": "10.217.0.3"}})
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    scene, part = provenance.scene_part("pod-on-a-node", "pod-on-a-node", "the commands on this page on a real "
                                        "node", "The manifests are shown.")
    assert part.real and scene["pod_ip"] == "10.217.0.3"
    assert part.used == {"Kubernetes": "v1.37.2", "containerd": "1.6.20"}


def test_a_failed_or_missing_scene_falls_back_with_its_reason(monkeypatch, tmp_path):
    _current_observations(tmp_path, {"shared-storage": {"scene": "shared-storage", "error": "CriError: boom"}})
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    monkeypatch.setattr("podnotes.node.observe.reasons_node_cannot_run", lambda: [])
    scene, part = provenance.scene_part("shared-storage", "shared-storage", "the commands", "Manifests only.")
    assert scene is None and not part.real and "CriError: boom" in part.reason
    assert part.fallback == "Manifests only." and part.command == "make book"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(empty))
    scene, part = provenance.scene_part("shared-storage", "shared-storage", "the commands", "Manifests only.")
    assert scene is None and "not run before this copy was built" in part.reason
    monkeypatch.setenv("PODNOTES_REQUIRE_REAL", "1")
    with pytest.raises(provenance.RealPartMissing, match="shared-storage"):
        provenance.show(part)


def test_a_chapter_whose_section_needs_root_did_not_run_for_real_without_it(monkeypatch):
    from podnotes.linux import privileges

    real_missing = privileges.missing
    monkeypatch.setattr(privileges, "missing", lambda requirement, facts=None:
                        "root (CAP_SYS_ADMIN)" if requirement == "root" else None if requirement != "linux"
                        else real_missing(requirement, facts))
    assert not provenance.kernel_part("user-namespaces").real, "it writes another process's uid_map"
    assert provenance.kernel_part("03-namespaces").real, "rootless user namespaces suffice there"
