"""The book machinery: the table of contents, notebook execution, and the
guarantee that a failing cell fails both the tests and the site build."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from podnotes.book.notebooks import NotebookFailed, execute_notebook, is_notebook, toc_documents, toc_notebooks

from ..conftest import ROOT

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


def make_book_of(root, pages: dict[str, list[str]]) -> None:
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    chapters = "".join(f"  - file: {name}\n" for name in pages)
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: intro\nchapters:\n{chapters}")
    (root / "intro.md").write_text("# Intro\n\nA test book.\n")
    for name, cells in pages.items():
        write_notebook(root / f"{name}.md", *cells)


def stamps(name: str) -> str:
    # Each page notes when its kernel ran it, sleeping in between.
    return (f"import time\nopen('{name}.start', 'w').write(str(time.time()))\ntime.sleep(3)\n"
            f"open('{name}.end', 'w').write(str(time.time()))\nprint('{name} ran')")


@pytest.mark.slow
def test_notebooks_missing_from_the_cache_run_side_by_side(tmp_path):
    make_book_of(tmp_path, {"first": [stamps("first")], "second": [stamps("second")]})
    built = build(tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    times = {name: (float((tmp_path / f"{name}.start").read_text()), float((tmp_path / f"{name}.end").read_text()))
             for name in ("first", "second")}
    (first_start, first_end), (second_start, second_end) = times["first"], times["second"]
    assert first_start < second_end and second_start < first_end, f"one ran after the other: {times}"
    for name in times:
        assert f"{name} ran" in (tmp_path / "_build" / "html" / f"{name}.html").read_text()
    output = built.stdout + built.stderr
    assert "executing 2 notebooks" in output and output.count("Executed notebook in") == 2

    again = build(tmp_path)  # everything cached: nothing runs again
    assert again.returncode == 0 and "Executed notebook in" not in again.stdout + again.stderr


@pytest.mark.slow
def test_a_failing_notebook_among_several_ends_the_build_with_the_short_message(tmp_path):
    make_book_of(tmp_path, {"fine": ["x = 1"], "broken": ["assert 6 * 7 == 43, 'arithmetic is broken'"]})
    failed = build(tmp_path)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    ending = output[output.index("The book was not built"):].splitlines()
    assert ending[1] == f"broken.md:{ending[1].split(':')[1]}: code cell 1 failed"
    assert ending[3] == "AssertionError: arithmetic is broken"
    assert "Traceback" not in output and "sphinx-doc" not in output


def test_the_status_page_runs_after_the_chapters_it_summarises():
    """The status page reads the records the chapters write while they execute:
    it must not be in the batch executed side by side with them."""
    from podnotes.book.sphinxext import STATUS_PAGE, executed_side_by_side

    pages = ["chapters/08-probes", STATUS_PAGE, "chapters/11-kubectl"]
    assert executed_side_by_side(pages) == ["chapters/08-probes", "chapters/11-kubectl"]


def test_outputs_a_reader_should_not_see_are_found_by_cell_and_kind(tmp_path):
    import sys

    from podnotes.book.notebooks import machine_details, output_problems

    path = write_notebook(
        tmp_path / "outputs.md",
        "(18685, 18686)",                                                   # 1: a bare tuple
        "print(\"'cache-cleared\\\\n'\")",                                  # 2: a string repr
        "[(0.0, 'waiting', 'ContainerCreating', None), (20.0, 'exit', 'Error', 1)]",  # 3
        "print(\"IpcResult(key=5263172, inside_queues=[5263172])\")",      # 4: a dataclass repr
        "print('x' * 85)",                                                  # 5: wider than the column
        f"print({sys.executable!r} + ' -m podnotes.linux.pause')",         # 6: the venv's interpreter
        "print('the web shop: PID 18685; the database: PID 18686')",        # 7: a sentence
        "from IPython.display import Markdown\nMarkdown('**rich** output')", # 8: shown in its rich form
        "import socket\nprint('hostname', socket.gethostname())",           # 9: this machine's name
        "print('top level:', ['bin', 'dev'])",                              # 10: a list inside a sentence
        "print('[local API server] pod/web created; spec.containers[0].image: busybox')",  # 11: not a repr
    )
    problems = output_problems(execute_notebook(path).notebook)
    found = {(problem.cell, problem.kind) for problem in problems}
    assert {(1, "repr"), (2, "repr"), (3, "repr"), (4, "repr"), (5, "wide"), (6, "machine"), (9, "machine"),
            (10, "repr")} <= found
    assert not {cell for cell, _ in found} & {7, 8, 11}, problems
    assert sys.prefix in machine_details() and str(ROOT) in machine_details()


@pytest.mark.slow
def test_what_a_kernel_prints_on_its_own_standard_error_stays_out_of_the_build_output(tmp_path):
    """ipykernel may log a traceback when a message races its shutdown (the iopub
    socket closed under it: ipython/ipykernel#1518 fixed one such path). Whatever a
    kernel process itself writes to its standard error belongs to that kernel's log
    in the build's reports, not to the build's terminal."""
    noise = ("import atexit, os\n"
             "atexit.register(lambda: os.write(2, b'Traceback (most recent call last): kernel shutdown noise\\n'))")
    make_book_of(tmp_path, {"alone": [noise]})
    built = build(tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    output = built.stdout + built.stderr
    assert "Executed notebook in" in output
    assert "kernel shutdown noise" not in output
    log = tmp_path / "_build" / "html" / "reports" / "alone.kernel.log"
    assert "kernel shutdown noise" in log.read_text()
