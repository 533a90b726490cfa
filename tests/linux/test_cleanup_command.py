"""``podnotes cleanup`` and ``podnotes doctor`` find what runs that ended left, and cleanup removes it
only when told to (--yes) and only what belongs to runs that are over."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from podnotes.linux import leaks


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, timeout=120)


def _a_dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)


def test_cleanup_lists_then_removes_what_a_dead_run_left(tmp_path):
    dead = _a_dead_pid()
    folder = tmp_path.parent / f"podnotes-rootfs-{dead}-left"
    folder.mkdir()
    env = {**os.environ, leaks.MARKER_ENV: str(dead), "TMPDIR": str(tmp_path.parent)}
    process = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True)
    alive_folder = tmp_path.parent / f"podnotes-rootfs-{os.getpid()}-mine"
    alive_folder.mkdir()
    try:
        env_cli = {"TMPDIR": str(tmp_path.parent)}
        listed = subprocess.run([sys.executable, "-m", "podnotes", "cleanup", "--machine-only", "--dry-run",
                                 "-o", "json"], capture_output=True, text=True, timeout=120,
                                env={**os.environ, **env_cli})
        assert listed.returncode == 1, listed.stderr
        report = json.loads(listed.stdout)
        names = [item["name"] for item in report["machine"]]
        assert str(folder) in names and any(name.startswith(f"{process.pid} sleep") for name in names), names
        assert str(alive_folder) not in names, "a running process's folder is not a leftover"
        assert folder.exists() and process.poll() is None, "--dry-run removes nothing"
        doctor = _cli("doctor")
        assert "left behind by podnotes runs that have ended (`podnotes cleanup` lists them" in doctor.stdout

        removed = subprocess.run([sys.executable, "-m", "podnotes", "cleanup", "--machine-only", "--yes"],
                                 capture_output=True, text=True, timeout=120, env={**os.environ, **env_cli})
        assert removed.returncode == 0, removed.stdout + removed.stderr
        assert not folder.exists()
        assert process.wait(timeout=10) == -9
        assert alive_folder.exists()
        assert leaks.leaks(settle=0, created_by=dead).empty()
    finally:
        if process.poll() is None:
            process.kill()
        for path in (folder, alive_folder):
            if path.exists():
                path.rmdir()


def test_cleanup_without_a_terminal_lists_and_keeps(tmp_path):
    dead = _a_dead_pid()
    folder = tmp_path.parent / f"podnotes-userns-{dead}-left"
    folder.mkdir()
    try:
        result = subprocess.run([sys.executable, "-m", "podnotes", "cleanup", "--machine-only"],
                                capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                                env={**os.environ, "TMPDIR": str(tmp_path.parent)})
        assert result.returncode == 1 and str(folder) in result.stdout
        assert "`podnotes cleanup --machine-only --yes` removes them" in result.stderr and folder.exists()
        assert _cli("cleanup", "--yes", "--dry-run").returncode == 4
    finally:
        if folder.exists():
            folder.rmdir()


def test_cleanup_asks_on_a_terminal_and_removes_only_after_yes(tmp_path):
    import pty

    dead = _a_dead_pid()
    folder = tmp_path.parent / f"podnotes-mountpoint-{dead}-left"
    folder.mkdir()
    try:
        for answer, kept in (("n", True), ("y", False)):
            controller, terminal = pty.openpty()
            process = subprocess.Popen([sys.executable, "-m", "podnotes", "cleanup", "--machine-only"],
                                       stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env={**os.environ, "TMPDIR": str(tmp_path.parent)})
            os.close(terminal)
            os.write(controller, f"{answer}\n".encode())
            out, err = process.communicate(timeout=120)
            os.close(controller)
            assert str(folder) in out
            assert folder.exists() == kept, (answer, out, err)
            assert process.returncode == (1 if kept else 0), (answer, out, err)
    finally:
        if folder.exists():
            folder.rmdir()


def test_the_guard_page_states_the_exit_statuses_cleanup_uses():
    """chapters/reference/cluster-guard.md tells readers what each exit status of cleanup means."""
    import re
    from pathlib import Path

    from podnotes.cli.cleanup import FAILED, KEPT

    page = Path(__file__).parents[2] / "chapters" / "reference" / "cluster-guard.md"
    text = " ".join(page.read_text().split())
    stated = re.search(r"Exit status 0: nothing left; (\d+): leftovers kept; (\d+): something could not be removed",
                       text)
    assert stated, "the page states cleanup's exit statuses"
    assert (int(stated[1]), int(stated[2])) == (KEPT, FAILED) == (1, 5)
