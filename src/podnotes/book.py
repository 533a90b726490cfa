"""The book's notebooks: find them through ``_toc.yml`` and execute them.

The test suite uses this to run every chapter with nbclient exactly as the
site build does (same working directory, same kernel), but outside Sphinx, so
a failure names the notebook and cell directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml

SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")


class NotebookFailed(Exception):
    """A cell raised while a notebook was executed."""

    def __init__(self, path: Path, cell_index: int, error_name: str, error_value: str):
        self.path, self.cell_index = path, cell_index
        self.error_name, self.error_value = error_name, error_value
        super().__init__(f"{path}: cell {cell_index} raised {error_name}: {error_value}")


@dataclass(frozen=True)
class Execution:
    path: Path
    seconds: float
    cells: int


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
    try:
        client.execute()
    except CellExecutionError as err:
        index = _failed_cell_index(notebook)
        raise NotebookFailed(path, index, err.ename, err.evalue) from None
    code_cells = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    return Execution(path=path, seconds=time.perf_counter() - started, cells=code_cells)


def _failed_cell_index(notebook) -> int:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index
    return -1
