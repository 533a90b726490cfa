"""make book's phases (podnotes.book.build) and make clean."""

from __future__ import annotations

import json
import subprocess

import pytest

from podnotes.book import build as bookbuild

from ..conftest import ROOT


def test_a_change_of_what_the_chapters_depend_on_is_noticed(tmp_path):
    inputs = {"observations": "abc", "binaries": "/x", "root": True, "kernel": "6.1", "cgroups": "v2"}
    assert bookbuild.inputs_changed(tmp_path, inputs) == sorted(inputs), "no earlier build: all new"
    (tmp_path / bookbuild.INPUTS_FILE).write_text(json.dumps(inputs))
    assert bookbuild.inputs_changed(tmp_path, inputs) == []
    assert bookbuild.inputs_changed(tmp_path, {**inputs, "observations": "def", "root": False}) == [
        "observations", "root"]


def test_chapter_inputs_follow_the_observations(tmp_path):
    empty = bookbuild.chapter_inputs(tmp_path)
    assert empty["observations"] is None
    (tmp_path / "node.json").write_text("{}")
    assert bookbuild.chapter_inputs(tmp_path)["observations"] is not None


def test_make_clean_keeps_the_observations(tmp_path):
    (tmp_path / "_build" / "observed").mkdir(parents=True)
    (tmp_path / "_build" / "observed" / "node.json").write_text("{}")
    (tmp_path / "_build" / "html").mkdir()
    (tmp_path / "_build" / ".jupyter_cache").mkdir()
    result = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "clean"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "kept _build/observed" in result.stdout
    assert sorted(p.name for p in (tmp_path / "_build").iterdir()) == ["observed"]
    subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "clean-observed"], check=True)
    assert not (tmp_path / "_build" / "observed").exists()


@pytest.mark.slow
def test_force_executes_every_notebook_again(tmp_path):
    """FORCE=1 once only cleared the execution cache, and Sphinx still counted its pages as up to date."""
    from .test_notebooks import make_book

    runs = tmp_path / "runs.txt"
    make_book(tmp_path, f"open({str(runs)!r}, 'a').write('ran\\n')")

    def book(*extra):
        result = subprocess.run(["make", "-s", "-C", str(ROOT), "book", f"BOOK={tmp_path}", f"BOOK_OUT={tmp_path}",
                                 *extra], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return result.stdout

    first = book()
    assert "make book: phases" in first and runs.read_text().count("ran") == 1
    book()
    assert runs.read_text().count("ran") == 1, "unchanged: from the execution cache"
    forced = book("FORCE=1")
    assert runs.read_text().count("ran") == 2, "FORCE=1 executed it again"
    assert "every notebook executed (--force)" in forced



def test_reused_observations_are_passed_on_to_the_status_page(monkeypatch, tmp_path):
    import os

    from podnotes.node.observe import examples_digest
    from podnotes.node.scenes import scene_names
    from podnotes.provenance import OBSERVATIONS_ENV

    (tmp_path / "agreement.json").write_text("{}")
    (tmp_path / "scenes").mkdir()
    for name in scene_names():  # a complete set of observations holds every scene's recording
        (tmp_path / "scenes" / f"{name}.json").write_text("{}")
    (tmp_path / "node.json").write_text(json.dumps({"examples_digest": examples_digest()}))
    monkeypatch.setenv(OBSERVATIONS_ENV, "")  # restored after the test, whatever make_observations sets
    assert bookbuild.make_observations(tmp_path).startswith("reusing")
    assert os.environ[OBSERVATIONS_ENV] == "reused"


def test_a_change_to_the_package_re_executes_the_chapters(tmp_path):
    package = tmp_path / "podnotes"
    package.mkdir()
    (package / "plot.py").write_text("WIDTH_INCHES = 10.0\n")
    before = bookbuild.package_digest(package)
    (package / "plot.py").write_text("WIDTH_INCHES = 5.8\n")
    assert bookbuild.package_digest(package) != before
    assert "package" in bookbuild.chapter_inputs(tmp_path / "observed")
