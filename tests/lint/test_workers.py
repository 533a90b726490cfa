"""`podnotes lint` over many files in worker processes: the same report as one process, and no worker left
behind when it is stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podnotes.lint import MAX_FINDINGS, Options
from podnotes.lint.workers import MIN_FILES_PER_WORKER, lint_files, local_files, workers_for

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
LINT = Path(__file__).resolve().parent.parent / "fixtures" / "lint"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")


def podnotes(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, timeout=300)


def fill(folder: Path, copies: int) -> list[Path]:
    """``copies`` copies of every rule fixture and of the good and bad lint fixtures (syntax errors, tabs,
    several documents per file) under ``folder`` and one subfolder: the kinds of input a real folder holds."""
    sources = sorted(RULES.glob("*.yaml")) + sorted(LINT.rglob("*.yaml"))
    assert len(sources) > 60, "the fixtures are missing"
    for copy in range(copies):
        target = folder / f"set-{copy:02d}" if copy % 2 else folder
        target.mkdir(exist_ok=True)
        for source in sources:
            shutil.copyfile(source, target / f"{copy:02d}-{source.parent.name}-{source.name}")
    return sources


def test_the_report_of_workers_is_the_report_of_one_process(tmp_path):
    sources = fill(tmp_path, 4)
    assert workers_for(len(sources) * 4, 4) >= 2, "too few files to use workers"
    for output in ("text", "json", "sarif"):
        one = podnotes("lint", "--workers", "1", "-o", output, str(tmp_path))
        two = podnotes("lint", "--workers", "2", "-o", output, str(tmp_path))
        assert one.returncode == two.returncode == 3, (one.stderr, two.stderr)  # a file with a YAML syntax error
        assert len(one.stdout) > 10_000 and one.stdout == two.stdout, output


def test_workers_cut_the_findings_where_one_process_cuts_them(tmp_path):
    fill(tmp_path, 12)
    files = local_files([str(tmp_path)])
    assert files is not None and len(files) > 700
    options = Options()
    one = lint_files(files, options, 1, MAX_FINDINGS)
    four = lint_files(files, options, 4, MAX_FINDINGS)
    assert one.workers == 1 and four.workers == 4
    assert len(one.findings) == MAX_FINDINGS and one.findings[-1].rule == "findings-truncated"
    assert one.findings == four.findings
    assert [(d.file, d.index, d.error) for d in one.documents] == [(d.file, d.index, d.error) for d in four.documents]


def test_few_files_stdin_and_urls_are_checked_in_one_process(tmp_path):
    assert workers_for(2 * MIN_FILES_PER_WORKER - 1, 4) == 1
    assert workers_for(2 * MIN_FILES_PER_WORKER, 4) == 2
    assert workers_for(10_000, 1) == 1
    assert local_files(["-"]) is None and local_files(["https://example.invalid/pod.yaml"]) is None
    (tmp_path / "pod.yaml").write_text("kind: Pod\n")
    assert local_files([str(tmp_path), str(tmp_path / "pod.yaml")]) == [tmp_path / "pod.yaml"] * 2


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_stopped_run_leaves_no_worker(tmp_path, number):
    """Stopped while its workers check (SIGKILL too: the kernel ends the workers with their parent), a run
    leaves no process behind: none of the workers seen, and no process at all that reads this folder. The
    folder holds so many files that a worker left running would still be checking its share when the test
    looks, 2 seconds later."""
    fill(tmp_path, 120)
    child = subprocess.Popen([sys.executable, "-m", "podnotes", "lint", "--workers", "2", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers = _children(child.pid, deadline=time.monotonic() + 60)
    assert len(workers) >= 2, "the workers did not start"
    child.send_signal(number)
    _, stderr = child.communicate(timeout=60)
    expected = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL}[number]
    assert child.returncode == expected, stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 2
    while (any(_alive(pid) for pid in workers) or _reading(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the run"
    assert not _reading(tmp_path), "a process started by the run outlived it"


def _reading(folder: Path) -> list[int]:
    """Processes whose command line names ``folder``: workers have their parent's."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if os.fsencode(folder) in cmdline.read() and _alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _children(pid: int, deadline: float) -> list[int]:
    while time.monotonic() < deadline:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found += [int(word) for word in listing.read().split()]
        if len(found) >= 2:
            return found
        time.sleep(0.02)
    return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_command_line_asks_the_workers_module_only_from_two_workers_worth_of_files():
    from podnotes.cli import lint

    assert lint._FEW_FILES == 2 * MIN_FILES_PER_WORKER
