"""Execute every notebook listed in _toc.yml, as the site build does."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from podnotes.book.notebooks import execute_notebook, output_problems, output_texts, toc_notebooks
from podnotes.linux.leaks import leaks

from .conftest import BUILD, ROOT

# Reference pages that print a program's own output verbatim (a command's --help, Events in kubectl's
# columns), with the reason; the reader-facing checks of outputs skip them.
VERBATIM_PAGES = {
    "chapters/reference/cli.md": "each command's --help exactly as the program prints it",
    "chapters/reference/behaviour.md": "Events in the columns kubectl describe pod uses",
}

# Outputs of chapters that print a program's own wide output verbatim, keyed by page and the start of the
# output, with the reason; their lines may be wider than the column (they scroll in their own box).
VERBATIM_OUTPUTS = {
    ("chapters/pod-on-a-node.md", "$ crictl pods --namespace"):
        "crictl's own tables: its list commands select no columns (cri-tools cmd/crictl/sandbox.go)",
}

NOTEBOOKS = toc_notebooks(ROOT)
TIMES = BUILD / "notebook-times.tsv"
# Where to keep each executed notebook with its outputs: the cgroup v2 machine (tools/vm/guest.sh) keeps
# chapter 4's, which the chapter shows next to the build machine's own output.
EXECUTED_ENV = "PODNOTES_EXECUTED_DIR"


@pytest.fixture(scope="module", autouse=True)
def fresh_times_file():
    BUILD.mkdir(exist_ok=True)
    TIMES.write_text("")
    yield


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_executes(path):
    result = execute_notebook(path)
    relative = path.relative_to(ROOT)
    print(f"\n{relative}: {result.cells} code cells in {result.seconds:.1f} s")
    with TIMES.open("a") as times:
        times.write(f"{relative}\t{result.seconds:.2f}\n")
    assert result.cells > 0
    if os.environ.get(EXECUTED_ENV):
        _keep(result.notebook, Path(os.environ[EXECUTED_ENV]) / f"{path.stem}.ipynb")
    left = leaks()  # cgroups, mounts, network namespaces, processes podnotes created
    assert left.empty(), f"{relative} left behind: {left}"
    # What the reader sees: lines that fit the column at 1366 px, sentences and small tables
    # rather than Python reprs, and nothing of the machine that built the page
    # (repository and venv paths, home directory, user and host names).
    if relative.as_posix() in VERBATIM_PAGES:
        return
    verbatim = {cell for cell, text in output_texts(result.notebook)
                for page, start in VERBATIM_OUTPUTS if page == relative.as_posix() and text.startswith(start)}
    problems = [problem for problem in output_problems(result.notebook)
                if not (problem.kind == "wide" and problem.cell in verbatim)]
    assert not problems, f"{relative} outputs:\n" + "\n".join(problem.message() for problem in problems)


def _keep(notebook, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
