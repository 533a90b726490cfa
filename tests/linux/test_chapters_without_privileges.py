"""Chapters 2-6 as a reader without root runs them: every privileged cell must
say what it needs and the notebook must still run to the end."""

from __future__ import annotations

import pytest

from podnotes.book.notebooks import execute_notebook, output_problems
from podnotes.linux import machine, privileges

from ..conftest import ROOT

CHAPTERS = ["02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause"]


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_without_privileges(chapter, monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    result = execute_notebook(ROOT / "chapters" / f"{chapter}.md")
    assert result.cells > 0  # its last cell checks that it left nothing behind
    problems = output_problems(result.notebook)  # what this reader sees: no repr, wide line or machine detail
    assert not problems, "\n".join(problem.message() for problem in problems)


def test_pretending_hides_privileges(monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    facts = machine.detect()
    assert not facts.can_create_namespaces and not facts.can_limit_resources
    assert privileges.missing("namespaces") is not None
