"""The book's notebooks: find them through ``_toc.yml`` and execute them.

The test suite uses this to run every chapter with nbclient exactly as the
site build does (same working directory, same kernel), but outside Sphinx, so
a failure names the notebook and cell directly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")


@dataclass(frozen=True)
class CellFailure:
    """Where and why a notebook's cell failed, in the reader's terms.

    ``cell`` counts code cells from 1; ``line`` is the line of ``statement`` (the
    cell's statement that was running) in the source file, None when the
    source was not found; ``innermost`` is the line that raised when it lies
    deeper (in a function), else None.
    """

    path: Path
    cell: int
    line: int | None
    statement: str | None
    innermost: str | None
    error_name: str
    error_value: str

    def message(self, root: Path | None = None) -> str:
        """A few lines for a terminal: file and line, cell, statement, error."""
        shown = _relative(self.path, root)
        where = f"{shown}:{self.line}" if self.line else str(shown)
        lines = [f"{where}: code cell {self.cell} failed" if self.cell else f"{where}: execution failed"]
        if self.statement:
            lines.append(f"    {self.statement}")
        if self.innermost and self.innermost != self.statement:
            lines.append(f"    (raised at: {self.innermost})")
        lines.append(f"{self.error_name}: {_first_lines(self.error_value)}")
        return "\n".join(lines)


class NotebookFailed(Exception):
    """A cell raised while a notebook was executed; ``failure`` says where."""

    def __init__(self, failure: CellFailure):
        self.failure = failure
        self.path, self.cell_index = failure.path, failure.cell - 1
        self.error_name, self.error_value = failure.error_name, failure.error_value
        super().__init__(failure.message())


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# IPython names the notebook cell "Cell In[7], line 3" in a traceback, and
# marks the line that was running in each frame with "---->".
CELL_FRAME = re.compile(r"^Cell In\[\d*\], line (\d+)", re.MULTILINE)
RUNNING_LINE = re.compile(r"^-*>\s*\d+\s?(.*)$", re.MULTILINE)


def describe_failure(path: Path, text: str, code_sources: list[str], cell_source: str | None,
                     traceback: str, error_name: str, error_value: str) -> CellFailure:
    """Locate a failed cell in a notebook's source ``text``.

    ``code_sources`` are the notebook's code cells in order, ``cell_source``
    the failed one's (None: unknown), ``traceback`` IPython's (ANSI colours
    allowed)."""
    plain = ANSI_ESCAPE.sub("", traceback)
    cell_source = (cell_source or "").strip("\n")
    number = next((index + 1 for index, source in enumerate(code_sources)
                   if source.strip("\n") == cell_source), 0)
    frame = CELL_FRAME.search(plain)
    line_in_cell = int(frame.group(1)) if frame else None
    cell_lines = cell_source.splitlines()
    statement = (cell_lines[line_in_cell - 1].strip()
                 if line_in_cell and line_in_cell <= len(cell_lines) else None)
    start = text.find(cell_source) if cell_source else -1
    line = (text[:start].count("\n") + line_in_cell) if start >= 0 and line_in_cell else None
    running = RUNNING_LINE.findall(plain)
    innermost = running[-1].strip() if running else None
    return CellFailure(path=path, cell=number, line=line, statement=statement, innermost=innermost,
                       error_name=error_name, error_value=error_value)


def failure_from_cell_error(path: Path, text: str, code_sources: list[str], error) -> CellFailure:
    """A ``CellFailure`` from nbclient's ``CellExecutionError``, whose message
    quotes the cell between two lines of dashes."""
    parts = str(error).split("------------------\n")
    cell_source = parts[1] if len(parts) >= 3 else None
    return describe_failure(path, text, code_sources, cell_source, error.traceback or "",
                            error.ename or type(error).__name__, error.evalue or "")


def _relative(path: Path, root: Path | None) -> Path:
    root = root or Path.cwd()
    try:
        return Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return Path(path)


def _first_lines(text: str, count: int = 3) -> str:
    lines = text.strip().splitlines() or [""]
    return "\n".join(lines[:count]) + (" ..." if len(lines) > count else "")


@dataclass(frozen=True)
class Execution:
    """One executed notebook: ``cells`` code cells in ``seconds``; ``notebook``
    holds the cells with their outputs (an ``nbformat`` notebook)."""

    path: Path
    seconds: float
    cells: int
    notebook: Any = field(default=None, repr=False, compare=False)


def toc_documents(book_root: Path) -> list[Path]:
    """Every document ``_toc.yml`` lists, in reading order."""
    toc = yaml.safe_load((book_root / "_toc.yml").read_text())
    names = [toc["root"]] + list(_walk_entries(toc))
    return [_resolve(book_root, name) for name in names]


def _walk_entries(node):
    for key in ("parts", "chapters", "sections"):
        for entry in node.get(key, []) or []:
            if "file" in entry:
                yield entry["file"]
            yield from _walk_entries(entry)


def _resolve(book_root: Path, name: str) -> Path:
    for suffix in ("",) + SOURCE_SUFFIXES:
        candidate = book_root / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{book_root / '_toc.yml'}: lists {name!r}, which does not exist")


def is_notebook(path: Path) -> bool:
    """A ``.ipynb`` file, or a MyST Markdown file with a jupytext kernelspec header."""
    if path.suffix == ".ipynb":
        return True
    if path.suffix != ".md":
        return False
    text = path.read_text()
    if not text.startswith("---"):
        return False
    header = text.split("---", 2)[1]
    meta = yaml.safe_load(header) or {}
    return "kernelspec" in meta


def toc_notebooks(book_root: Path) -> list[Path]:
    return [path for path in toc_documents(book_root) if is_notebook(path)]


def read_notebook(path: Path):
    import jupytext

    return jupytext.read(path)


def read_text_notebook(text: str, suffix: str):
    """A notebook from its text: MyST Markdown (``.md``) or JSON (``.ipynb``)."""
    import jupytext

    return jupytext.reads(text, fmt="ipynb" if suffix == ".ipynb" else "md:myst")


def execute_notebook(path: Path, timeout: int = 900, kernel_name: str = "python3") -> Execution:
    """Run every cell in the notebook's own folder; raise NotebookFailed on the
    first cell error (cells tagged ``raises-exception`` may raise)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = read_notebook(path)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    started = time.perf_counter()
    code_sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    try:
        client.execute()
    except CellExecutionError as err:
        raise NotebookFailed(failure_from_cell_error(path, path.read_text(), code_sources, err)) from None
    return Execution(path=path, seconds=time.perf_counter() - started, cells=len(code_sources), notebook=notebook)


# --------------------------------------------------------------------------
# What a reader sees of a cell's output


@dataclass(frozen=True)
class OutputProblem:
    """One output line a reader should not see: ``cell`` counts code cells from 1;
    ``kind`` is ``"wide"`` (more than :data:`podnotes.display.COLUMNS` characters,
    so the page scrolls sideways at 1366 px), ``"repr"`` (a Python tuple, list,
    dict, string or dataclass repr) or ``"machine"`` (a path, user or host name of
    the machine that ran the notebook)."""

    cell: int
    kind: str
    line: str

    def message(self) -> str:
        return f"code cell {self.cell}: {self.kind}: {self.line[:120]}"


# A value shown as Python writes it, anywhere in a line: ('a', 1)  [(0.0, 'x')]  {'k': 1}
# ['bin', 'etc']  [10.0, 20.0]  (0, -15)  Name(field=...), or a whole line that is a quoted string.
# (Python quotes strings with '; YAML and JSON flow lists, ["httpd", "-f"], use ".)
_REPR_LINE = re.compile(r"""\[\s*'|\(\s*'[^']*'\s*,|\{\s*'[^']*'\s*:|[\[(]\s*[(\[{]"""
                        r"""|(?<![\w.])[\[(]\s*-?\d[\d.]*,\s*[-\d'(\[]"""
                        r"""|\b[A-Z]\w*\(\w+=|^\s*'[^']*'$|^\s*"[^"]*"$""")


def output_texts(notebook) -> list[tuple[int, str]]:
    """``(code cell number, text)`` of every stream and plain-text result output;
    results that also have a rich form (figure, HTML, Markdown) are left out,
    since the page shows that form."""
    texts, number = [], 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append((number, output.get("text", "")))
            elif "data" in output and set(output["data"]) == {"text/plain"}:
                texts.append((number, output["data"]["text/plain"]))
    return texts


def machine_details() -> list[str]:
    """What identifies the machine running this process, as it could appear in an
    output: the repository and interpreter paths, the home directory, the user and
    host names (names shorter than 3 characters only as whole words)."""
    import getpass
    import socket
    import sys

    root = Path(__file__).resolve().parents[3]
    details = {str(root), sys.prefix, str(Path(sys.executable).parent), str(Path.home()),
               socket.gethostname(), getpass.getuser()}
    return sorted(detail for detail in details if detail and detail not in ("/", "root", "/root"))


def output_problems(notebook, width: int | None = None, details: list[str] | None = None) -> list[OutputProblem]:
    """Every output line of an executed ``notebook`` that is too wide, a Python
    repr, or names the building machine (:func:`machine_details`)."""
    from podnotes.display import COLUMNS

    width = width or COLUMNS
    details = machine_details() if details is None else details
    patterns = [re.compile(rf"(?<![\w.-]){re.escape(detail)}(?![\w-])") for detail in details]
    problems = []
    for cell, text in output_texts(notebook):
        for line in text.splitlines():
            if len(line) > width:
                problems.append(OutputProblem(cell, "wide", line))
            if _REPR_LINE.search(line):
                problems.append(OutputProblem(cell, "repr", line))
            if any(pattern.search(line) for pattern in patterns):
                problems.append(OutputProblem(cell, "machine", line))
    return problems
