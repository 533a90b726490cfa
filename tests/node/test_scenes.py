"""The scene runner (podnotes.node.scenes) without a node: each scene's record or error lands in its own
file, and one failing scene does not stop the others."""

from __future__ import annotations

import json
import types

from podnotes.node import scenes


def _scene(name, observe):
    module = types.ModuleType(f"scene_{name}")
    module.NAME = name  # type: ignore[attr-defined]
    module.observe = observe  # type: ignore[attr-defined]
    return module


def test_each_scene_writes_its_record_and_a_failure_is_recorded_not_raised(tmp_path, monkeypatch):
    def broken(context):
        raise RuntimeError("the kubelet did not answer")

    monkeypatch.setattr(scenes, "scene_modules",
                        lambda: [_scene("broken", broken), _scene("fine", lambda context: {"pods": 2})])
    lines: list[str] = []
    outcome = scenes.run_scenes(scenes.SceneContext(None, None, "ns", tmp_path, lines.append))
    assert outcome == {"broken": "RuntimeError: the kubelet did not answer", "fine": None}
    assert json.loads((tmp_path / "scenes" / "fine.json").read_text())["pods"] == 2
    assert scenes.load_scene("broken", tmp_path)["error"] == "RuntimeError: the kubelet did not answer"
    assert scenes.load_scene("missing", tmp_path) is None
    assert len(lines) == 2 and "FAILED" in lines[0]


def test_the_digest_follows_the_scene_sources():
    assert len(scenes.scenes_digest()) == 16
    assert scenes.scene_names() == [module.NAME for module in scenes.scene_modules()]


def test_every_scene_name_fits_the_namespace_made_of_it():
    """run_scenes gives each scene a namespace named ``scene-<NAME>-...``: a DNS-1123 label (lowercase letters,
    digits and '-'), so an underscore in a NAME fails the scene before it starts."""
    import re

    for name in scenes.scene_names():
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), f"{name!r} cannot be part of a namespace name"
