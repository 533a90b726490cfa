"""The GitHub Pages workflow publishes what `make book` builds, through the
Makefile like every other build, and runs only on pushes to main or by hand."""

from __future__ import annotations

import yaml

from ..conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on:` as true
    return workflow


def steps(workflow) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_site_is_built_with_make_book_and_nothing_else():
    commands = "\n".join(step.get("run", "") for step in steps(load_workflow()))
    assert "make book" in commands
    assert "jupyter-book" not in commands and "sphinx-build" not in commands


def test_the_published_folder_is_the_one_make_book_writes():
    uploads = [step for step in steps(load_workflow())
               if step.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert [step["with"]["path"] for step in uploads] == ["_build/html"]


def test_it_runs_only_on_pushes_to_main_and_by_hand():
    triggers = load_workflow()["on"]
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
