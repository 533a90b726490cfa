"""Every copy of the book tells the reader the truth about what it ran.

- The site in ``_build/html`` shows, for each real part, what this machine could run: real results where
  the status page says the part ran for real, the reader-facing note where it fell back.
- A copy built as a reader without root and without the Kubernetes binaries
  (``PODNOTES_PRETEND_UNPRIVILEGED=1``, ``PODNOTES_PRETEND_NO_KUBERNETES=1``) has one note per affected
  section and no placeholder text.
- A copy built by ``make book`` as root with the binaries has no note, no ``(not observed)``, no
  ``[simulated]`` and no visible plumbing.

The two copies are built from scratch into a temporary folder with ``make book BOOK_OUT=...`` (a few
minutes each; the second also runs the real node unless the observations in ``_build/observed`` are current).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ..conftest import ROOT, in_ci

NOTE = "This copy could not run"
PLACEHOLDERS = ("(not observed)", "not observed)", "{glue", "CI builds the book", "RuntimeError", "([], {})")
# Code a reader must never see in a visible cell: build switches and the provenance plumbing.
PLUMBING = ("provenance.", 'os.environ.get("CI"', "os.environ.get('CI'", "PODNOTES_REQUIRE", "RuntimeError(")
# Pages whose sections show podnotes.provenance notes (the kernel chapters word their own notes).
SECTIONS_WITH_REAL_PARTS = {"chapters/07-lifecycle.html": 1, "chapters/probe-timing.html": 1,
                            "chapters/pod-on-a-node.html": 1, "chapters/shared-storage.html": 1,
                            "chapters/11-kubectl.html": 2, "chapters/resources.html": 1,
                            "chapters/termination.html": 1, "chapters/user-namespaces.html": 1,
                            "chapters/node-loss.html": 1, "chapters/09-init-and-ephemeral.html": 1}


class _Cells(HTMLParser):
    """The visible text of a page's main article, and of its code cells' inputs and outputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.article: list[str] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self._stack: list[str] = []  # "input", "output", "article" or "" per open div/main/article

    def handle_starttag(self, tag, attrs):
        if tag not in ("div", "main", "article", "section"):
            return
        classes = (dict(attrs).get("class") or "").split()
        role = "input" if "cell_input" in classes else "output" if "cell_output" in classes else \
            "article" if tag == "article" or "bd-article" in classes else ""
        self._stack.append(role)

    def handle_endtag(self, tag):
        if tag in ("div", "main", "article", "section") and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        roles = set(self._stack)
        if "article" in roles:
            self.article.append(data)
        if "input" in roles:
            self.inputs.append(data)
        elif "output" in roles:
            self.outputs.append(data)


def read_page(path: Path) -> _Cells:
    cells = _Cells()
    cells.feed(path.read_text())
    return cells


def audit(site: Path, expect_real: bool) -> list[str]:
    """Problems with what the copy in ``site`` tells its reader."""
    problems = []
    for page, parts in SECTIONS_WITH_REAL_PARTS.items():
        cells = read_page(site / page)
        text = " ".join(cells.article)
        notes = text.count(NOTE)
        if expect_real and notes:
            problems.append(f"{page}: {notes} note(s) saying a part could not run, in a copy that could run it")
        if not expect_real and notes != parts:
            problems.append(f"{page}: {notes} note(s) for {parts} section(s) whose real part could not run")
    for path in sorted(site.rglob("*.html")):
        if "_static" in path.parts or "_modules" in path.parts:
            continue  # _modules: the package's own source behind the API reference's [source] links
        page = path.relative_to(site).as_posix()
        cells = read_page(path)
        visible = " ".join(cells.article)
        problems += [f"{page}: placeholder text {marker!r}" for marker in PLACEHOLDERS if marker in visible]
        code = " ".join(cells.inputs)
        problems += [f"{page}: plumbing in a visible cell: {marker!r}" for marker in PLUMBING if marker in code]
        if expect_real and "[simulated]" in visible:
            problems.append(f"{page}: '[simulated]' answers in a copy that could ask a real API server")
    return problems


def status_rows(site: Path) -> list[str]:
    """The status page's per-chapter outcomes, from its table cells."""
    html = (site / "chapters" / "reference" / "status.html").read_text()
    return re.findall(r"<td[^>]*>\s*(?:<p>)?\s*(ran for real|fell back)\s*<", html)


def build_copy(out: Path, **env: str) -> Path:
    """``make book ENGLISH_ONLY=1`` into ``out`` with ``env`` on top of a non-CI environment; returns the
    English site's folder."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("CI", "PODNOTES_REQUIRE_PRIVILEGED", "PODNOTES_REQUIRE_REAL")}
    environment.update(env)
    # English only: the audit reads the English pages, and the Chinese edition is the same execution translated.
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "book", f"BOOK_OUT={out}", "ENGLISH_ONLY=1"],
                            env=environment, capture_output=True, text=True, timeout=3600)
    output = result.stdout + result.stderr
    causes = [line for line in output.splitlines() if re.search(r"\w+Error\b|^\s*assert |Traceback", line)]
    assert result.returncode == 0, "\n".join(causes[-20:]) + "\n...\n" + output[-2000:]
    assert "make book: phases" in result.stdout, "make book prints its phases"
    assert not (out / "_build" / "html" / "zh-CN").exists(), "ENGLISH_ONLY=1 builds no Chinese edition"
    return out / "_build" / "html"


def test_the_auditor_finds_what_a_reader_was_shown(tmp_path):
    """The probes page as it once was: a placeholder sentence and the CI switch in a visible cell."""
    page = tmp_path / "chapters" / "probe-timing.html"
    page.parent.mkdir(parents=True)
    page.write_text('<article class="bd-article"><p>built on Kubernetes (not observed)</p>'
                    '<div class="cell_input"><pre>if os.environ.get("CI", "").lower() in ("1", "true"):\n'
                    '    raise RuntimeError("CI builds the book after the real-node tests")</pre></div>'
                    '<div class="cell_output"><pre>([], {})</pre></div></article>')
    for other in SECTIONS_WITH_REAL_PARTS:
        if not (tmp_path / other).exists():
            (tmp_path / other).write_text(f'<article class="bd-article"><p>{NOTE} x.</p></article>')
    found = audit(tmp_path, expect_real=False)
    assert any("(not observed)" in problem for problem in found)
    assert any("plumbing" in problem and "RuntimeError(" in problem for problem in found)
    assert any("([], {})" in problem for problem in found)
    assert any("probe-timing.html: 0 note(s)" in problem for problem in found)


@pytest.mark.site
def test_the_built_site_matches_what_this_machine_could_run(site_dir):
    """The site ``make book`` built here: if every part ran for real, nothing says otherwise; if some fell
    back, those sections carry the note; never a placeholder or plumbing."""
    site = site_dir
    rows = status_rows(site)
    assert rows, "the status page lists the chapters' real parts"
    everything_real = all(row == "ran for real" for row in rows)
    if in_ci():
        assert everything_real, f"CI's copy must run every real part: {rows}"
    problems = [p for p in audit(site, expect_real=everything_real)
                if everything_real or "note(s) for" not in p]  # a partial copy has notes only where it fell back
    assert problems == [], "\n".join(problems)


@pytest.mark.notebooks
@pytest.mark.slow
def test_a_copy_built_without_root_or_binaries_says_so_once_per_section(tmp_path):
    # A fresh machine without root has no observations either (this one may have recorded some as root).
    site = build_copy(tmp_path, PODNOTES_PRETEND_UNPRIVILEGED="1", PODNOTES_PRETEND_NO_KUBERNETES="1",
                      PODNOTES_OBSERVED_DIR=str(tmp_path / "observed"))
    problems = audit(site, expect_real=False)
    assert problems == [], "\n".join(problems)
    rows = status_rows(site)
    assert rows and set(rows) == {"fell back"}, rows


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.node
def test_a_copy_built_as_root_with_the_binaries_shows_only_real_results(tmp_path):
    from podnotes.node.observe import reasons_node_cannot_run

    reasons = reasons_node_cannot_run()
    if reasons:
        (pytest.fail if in_ci() else pytest.skip)("this machine cannot run the real parts: " + "; ".join(reasons))
    site = build_copy(tmp_path, PODNOTES_REQUIRE_REAL="1")
    problems = audit(site, expect_real=True)
    assert problems == [], "\n".join(problems)
    rows = status_rows(site)
    assert rows and set(rows) == {"ran for real"}, rows
    shutil.rmtree(tmp_path / "_build", ignore_errors=True)


@pytest.mark.notebooks
@pytest.mark.slow
def test_a_copy_built_on_macos_degrades_instead_of_aborting(tmp_path):
    """As a reader on macOS (or Windows) builds it: every chapter executes, each kernel section says once
    that it needs Linux, and the status page says every real part fell back."""
    site = build_copy(tmp_path, PODNOTES_PRETEND_SYSTEM="Darwin", PODNOTES_PRETEND_NO_KUBERNETES="1",
                      PODNOTES_OBSERVED_DIR=str(tmp_path / "observed"))
    problems = audit(site, expect_real=False)
    assert problems == [], "\n".join(problems)
    rows = status_rows(site)
    assert rows and set(rows) == {"fell back"}, rows
    namespaces = (site / "chapters" / "03-namespaces.html").read_text()
    assert "podnotes-not-run" in namespaces and "not Linux" in namespaces
