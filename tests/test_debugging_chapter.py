"""The debugging chapter executed without the node's recording (one note at the top, no kubectl output)
and with the recording the test node made (tests/fixtures/scenes/debugging.json, written by the scene
podnotes.node.scenes.debugging as `python -m podnotes.node.observe` runs it)."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import ROOT
from .test_chapter_claims import executed, outputs, write_scene_records

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]
NOTE = "could not run the commands on this page on a real node"
RECORDING = ROOT / "tests" / "fixtures" / "scenes" / "debugging.json"


def _observations(folder, with_recording: bool) -> None:
    from podnotes.node.examples import node_setup

    (folder / "agreement.json").write_text("{}")
    (folder / "node.json").write_text(json.dumps(node_setup()))
    write_scene_records(folder)
    if with_recording:
        shutil.copy(RECORDING, folder / "scenes" / "debugging.json")


def test_without_the_recording_the_page_says_so_once_and_shows_no_kubectl(monkeypatch, tmp_path):
    _observations(tmp_path, with_recording=False)
    shown = outputs(executed("debugging", monkeypatch, tmp_path))
    assert shown.count(NOTE) == 1
    assert "$ kubectl" not in shown and "ran for real" not in shown


def test_with_the_recording_the_page_shows_what_kubectl_printed(monkeypatch, tmp_path):
    _observations(tmp_path, with_recording=True)
    shown = outputs(executed("debugging", monkeypatch, tmp_path))
    assert NOTE not in shown and "ran for real" in shown
    for command in ("$ kubectl get pods", "$ kubectl get pod crash --watch", "$ kubectl describe pod no-image",
                    "$ kubectl logs crash --previous",
                    "$ kubectl exec target -- ps", "$ kubectl logs target -c debugger-1000"):
        assert command in shown, command
    assert "connect: connection refused" in shown and "Permission denied" in shown
    assert "then CrashLoopBackOff" in shown, "the watch's finding is printed"
    printed = [line for line in shown.splitlines() if "ran for real" not in line]  # the note is prose
    assert max(len(line) for line in printed) <= 84
