"""How long `make book` takes: a cold build, a rebuild after editing one
chapter's code, and each chapter's notebook execution.

Each build runs on a copy of the book in a temporary folder (the same sources,
`_build/observed` included, without `.venv`, `.git` or the site already built),
with this checkout's `make book`, so the working tree and its `_build` are
never touched. Cold means no execution cache and no Sphinx environment. The
rebuild appends a comment to the first code cell of --edit, which changes the
chapter's code, so that chapter (and only it) is executed again.

Targets on the 2-core CI machine: a cold build under 45 s, a one-chapter
rebuild under 10 s. The load average is printed with every figure, because
other work on the machine slows every build.

    .venv/bin/python benchmarks/book_bench.py [--runs 3] [--edit chapters/01-processes.md]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", ".git", "_build", "__pycache__", ".pytest_cache"}
# myst-nb logs one line per executed notebook: "<path>: Executed notebook in 2.31 seconds"
EXECUTED = re.compile(r"^(\S+?): Executed notebook in ([0-9.]+) seconds", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TARGETS = {"cold": 45.0, "rebuild": 10.0}


def copy_book(destination: Path) -> Path:
    def ignore(folder, names):
        return [name for name in names if name in SKIPPED and Path(folder) == ROOT]

    shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True)
    observed = ROOT / "_build" / "observed"
    if observed.is_dir():  # what the real-node tests observed, which chapters overlay
        shutil.copytree(observed, destination / "_build" / "observed")
    return destination


def build(book: Path) -> tuple[float, dict[str, float]]:
    """Seconds for `make book` on ``book``, and each executed chapter's seconds."""
    started = time.perf_counter()
    finished = subprocess.run(["make", "-s", "-C", str(ROOT), "book", f"BOOK={book}", f"BOOK_OUT={book}"],
                              capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = ANSI.sub("", finished.stdout + finished.stderr)
    if finished.returncode != 0:
        sys.exit(f"make book failed ({finished.returncode}):\n" + "\n".join(output.splitlines()[-15:]))
    chapters = {str(Path(path).relative_to(book)): float(value) for path, value in EXECUTED.findall(output)}
    return seconds, chapters


def edit_first_code_cell(chapter: Path) -> None:
    text = chapter.read_text()
    fence = text.index("```{code-cell}")
    line_end = text.index("\n", fence)
    chapter.write_text(f"{text[:line_end + 1]}# edited {time.time()}\n{text[line_end + 1:]}")


def load() -> str:
    return "load " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def verdict(kind: str, seconds: float) -> str:
    return "ok" if seconds < TARGETS[kind] else f"OVER the {TARGETS[kind]:.0f} s target"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold builds to take the median of")
    parser.add_argument("--edit", default="chapters/01-processes.md", help="the chapter whose code the rebuild edits")
    args = parser.parse_args()

    cold, chapters = [], {}
    with tempfile.TemporaryDirectory(prefix="podnotes-book-bench-") as scratch:
        for run in range(args.runs):
            book = copy_book(Path(scratch) / f"cold-{run}")
            print(f"cold build {run + 1}/{args.runs} ({load()}) ...", flush=True)
            seconds, chapters = build(book)
            cold.append(seconds)
            print(f"  {seconds:.1f} s, of which notebook execution {sum(chapters.values()):.1f} s", flush=True)
            if run < args.runs - 1:
                shutil.rmtree(book)

        print(f"\nper-chapter execution, last cold build ({load()}):")
        for name, seconds in sorted(chapters.items(), key=lambda item: -item[1]):
            print(f"  {name:44} {seconds:6.1f} s")

        edit_first_code_cell(book / args.edit)
        print(f"\nrebuild after editing {args.edit} ({load()}) ...", flush=True)
        rebuild, executed = build(book)
        print(f"  {rebuild:.1f} s; executed again: {', '.join(sorted(executed)) or 'nothing'}")

    median = statistics.median(cold)
    print(f"\ncold build: median {median:.1f} s of {len(cold)} "
          f"({', '.join(f'{value:.1f}' for value in cold)}): {verdict('cold', median)}")
    print(f"one-chapter rebuild: {rebuild:.1f} s: {verdict('rebuild', rebuild)}")
    return 0 if median < TARGETS["cold"] and rebuild < TARGETS["rebuild"] else 1


if __name__ == "__main__":
    sys.exit(main())
