"""Every chapter as a reader runs it on macOS or Windows, or on Linux without
root: no crash, and in each section that could not run one note at its top
saying what could not run, why, and the command that runs it."""

from __future__ import annotations

import re

import pytest

from podnotes.book.notebooks import execute_notebook, toc_notebooks
from podnotes.diagrams import BILINGUAL_MIME
from podnotes.linux import machine, privileges

from ..conftest import ROOT

NOTEBOOKS = toc_notebooks(ROOT)
NOTE_CLASS = "podnotes-not-run"
KERNEL_CHAPTERS = ["01-processes", "02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch",
                   "06-pod-and-pause"]


def sections(notebook) -> list[tuple[str, list]]:
    """(heading, cells) for the part before the first ``##`` heading and each ``##`` section."""
    found = [("(top)", [])]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^## (.+)$", cell.source, re.MULTILINE)
            if heading:
                found.append((heading.group(1), []))
        found[-1][1].append(cell)
    return found


def output_texts(cell) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            texts.append(output["text"])
        for kind in ("text/html", "text/plain"):
            if kind in output.get("data", {}):
                texts.append(output["data"][kind])
    return texts


def notes_in(cells) -> int:
    return sum(NOTE_CLASS in text for cell in cells if cell.cell_type == "code" for text in output_texts(cell))


def _only_drawings(cell) -> bool:
    """Whether every output of ``cell`` is a figure (shown, or kept by myst-nb's glue for a figure directive)."""
    def a_drawing(data: dict) -> bool:
        if any(kind.endswith(BILINGUAL_MIME) for kind in data):  # in both languages, with HTML for Jupyter
            return True
        return any("image/" in kind for kind in data) and all("image/" in kind or kind.endswith("text/plain")
                                                               for kind in data)
    return all(a_drawing(output.get("data", {})) for output in cell.get("outputs", []))


SECTION_CALL = re.compile(r"\bsection\(\s*\"(\w+)\"")  # also a call wrapped over several lines


def check_notes(execution) -> int:
    """Checks every section's notes against what this (pretended) machine
    lacks; returns how many sections could not run."""
    notebook = execution.notebook
    not_run = 0
    for heading, cells in sections(notebook):
        code = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
        notes = notes_in(cells)
        assert notes <= 1, f"{execution.path.name}, section {heading!r}: {notes} notes, one at most"
        lacking = [requirement for requirement in SECTION_CALL.findall(code) if privileges.missing(requirement)]
        if not lacking:
            assert notes == 0, f"{execution.path.name}, section {heading!r}: a note, but everything could run"
        else:
            not_run += 1
            assert notes == 1, f"{execution.path.name}, section {heading!r}: could not run, but shows no note"
            # A drawing generated from the book's data (podnotes.diagrams) shows the same on every machine;
            # the note must come before the first output this machine produced.
            first_output = next(cell for cell in cells if cell.cell_type == "code" and cell.get("outputs")
                                and not _only_drawings(cell))
            assert notes_in([first_output]) == 1, f"{heading!r}: the note is not the section's first output"
        for cell in cells:
            for text in output_texts(cell) if cell.cell_type == "code" else []:
                assert "skipped: needs" not in text, f"{heading!r} repeats a skip under a cell: {text[:200]}"
    return not_run


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_chapter_on_another_system_says_what_it_could_not_run(path, monkeypatch):
    monkeypatch.setenv(machine.PRETEND_SYSTEM_ENV, "Darwin")
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    execution = execute_notebook(path)
    not_run = check_notes(execution)
    if path.stem in KERNEL_CHAPTERS:
        assert not_run > 0, "a kernel chapter ran on another system than Linux"


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", KERNEL_CHAPTERS[1:])
def test_chapter_without_root_notes_each_section_once(chapter, monkeypatch):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    execution = execute_notebook(ROOT / "chapters" / f"{chapter}.md")
    assert check_notes(execution) > 0, "a privileged chapter ran without privileges"


def test_pretending_another_system_is_what_the_host_facts_say(monkeypatch):
    monkeypatch.setenv(machine.PRETEND_SYSTEM_ENV, "Darwin")
    assert not machine.is_linux()
    assert machine.host_facts().system == "Darwin"
    assert privileges.missing("linux") == "Linux"
    assert privileges.missing("namespaces") is not None


def test_a_linux_only_function_elsewhere_says_why(monkeypatch):
    from podnotes.linux import processes

    monkeypatch.setenv(machine.PRETEND_SYSTEM_ENV, "Darwin")
    with pytest.raises(privileges.NotLinux, match="reads /proc, which only Linux has; this machine runs Darwin"):
        processes.list_pids()


def test_the_note_says_what_why_and_which_command(monkeypatch, capsys):
    monkeypatch.setenv(machine.PRETEND_SYSTEM_ENV, "Darwin")
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    assert privileges.section("namespaces", "create namespaces") is False
    printed = capsys.readouterr().out
    assert "create namespaces" in printed and "runs Darwin, not Linux" in printed
    # a normal user on a Linux machine runs them too (inside a user namespace): no sudo
    assert "`make book`" in printed and "published site" in printed
    monkeypatch.delenv(machine.PRETEND_SYSTEM_ENV)
    if privileges.missing("linux") is None:
        assert privileges.section("linux", "read /proc") is True
        assert capsys.readouterr().out == ""


def test_a_section_note_is_an_error_when_privileged_runs_are_required(monkeypatch):
    monkeypatch.setenv(machine.PRETEND_SYSTEM_ENV, "Darwin")
    monkeypatch.setenv(privileges.REQUIRE_ENV, "1")
    with pytest.raises(privileges.PrivilegeRequired):
        privileges.section("linux", "read /proc")
