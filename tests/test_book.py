"""The book machinery: the table of contents, notebook execution, and the
guarantee that a failing cell fails both the tests and the site build."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from podnotes.book import NotebookFailed, execute_notebook, is_notebook, toc_documents, toc_notebooks

from .conftest import ROOT

HEADER = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst, format_version: 0.13}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---
    """
)


def write_notebook(path, *cells):
    body = "".join(f"\n```{{code-cell}} ipython3\n{cell}\n```\n" for cell in cells)
    path.write_text(HEADER + "\n# A page\n\nSome prose.\n" + body)
    return path


def test_toc_lists_existing_documents_in_reading_order():
    documents = toc_documents(ROOT)
    assert documents[0].name == "intro.md"
    assert all(path.is_file() for path in documents)
    assert ROOT / "chapters" / "01-processes.md" in documents


def test_toc_naming_a_missing_file_is_an_error(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: nowhere\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        toc_documents(tmp_path)


def test_only_pages_with_a_kernel_are_notebooks():
    notebooks = toc_notebooks(ROOT)
    assert ROOT / "chapters" / "01-processes.md" in notebooks
    assert ROOT / "intro.md" not in notebooks
    assert not is_notebook(ROOT / "chapters" / "reference" / "glossary.md")


def test_executing_a_passing_notebook_reports_its_cells(tmp_path):
    path = write_notebook(tmp_path / "ok.md", "x = 6 * 7", "assert x == 42")
    result = execute_notebook(path)
    assert result.cells == 2


def test_a_failing_cell_names_the_notebook_and_the_cell(tmp_path):
    path = write_notebook(tmp_path / "broken.md", "x = 1", "assert x == 2, 'the claim is false'")
    with pytest.raises(NotebookFailed) as failure:
        execute_notebook(path)
    assert failure.value.error_name == "AssertionError"
    assert "the claim is false" in failure.value.error_value
    assert failure.value.cell_index == 1
    assert "broken.md" in str(failure.value)


def test_a_failure_names_the_line_the_statement_and_where_it_raised(tmp_path):
    path = write_notebook(tmp_path / "deep.md", "x = 1",
                          "def check(value):\n    assert value == 2, 'the claim is false'\n\ncheck(x)")
    with pytest.raises(NotebookFailed) as failure:
        execute_notebook(path)
    described = failure.value.failure
    assert (described.cell, described.statement) == (2, "check(x)")
    assert described.innermost == "assert value == 2, 'the claim is false'"
    assert path.read_text().splitlines()[described.line - 1] == "check(x)"
    message = described.message(tmp_path)
    assert message.splitlines()[0] == f"deep.md:{described.line}: code cell 2 failed"
    assert message.splitlines()[-1] == "AssertionError: the claim is false"


def test_notebooks_run_in_their_own_folder(tmp_path):
    (tmp_path / "data.txt").write_text("here")
    path = write_notebook(tmp_path / "cwd.md", "assert open('data.txt').read() == 'here'")
    execute_notebook(path)


def make_book(root, *cells):
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    if (ROOT / "_static").is_dir():
        shutil.copytree(ROOT / "_static", root / "_static")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: page\n")
    (root / "intro.md").write_text("# Intro\n\nA test book.\n")
    write_notebook(root / "page.md", *cells)


def build(root):
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "book", f"BOOK={root}", f"BOOK_OUT={root}"],
        capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_site_build_passes_with_good_notebooks_and_fails_on_a_raising_cell(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    make_book(good, "assert 6 * 7 == 42")
    make_book(bad, "raise RuntimeError('a broken example')")

    ok = build(good)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (good / "_build" / "html" / "page.html").is_file()

    failed = build(bad)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    # A short ending that names the page, the cell, the statement and the
    # error; no crash report, no traceback (that goes to a file).
    ending = output[output.index("The book was not built"):].splitlines()
    assert ending[1].startswith("page.md:") and ending[1].endswith("code cell 1 failed")
    assert ending[2].strip() == "raise RuntimeError('a broken example')"
    assert ending[3] == "RuntimeError: a broken example"
    report = Path(ending[4].removeprefix("Full traceback: "))
    assert report.is_file() and "a broken example" in report.read_text()
    assert "sphinx-doc" not in output and "Traceback" not in output
    assert len(output.splitlines()) < 40, output
