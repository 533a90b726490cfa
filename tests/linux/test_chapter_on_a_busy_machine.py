"""The kernel chapters as readers run them on a laptop, while other programs
keep the CPUs busy: chapter 1 as a normal user, chapters 2-6 as root. Their
measurements must hold there too."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from podnotes.book.notebooks import execute_notebook
from podnotes.linux import processes

from ..conftest import ROOT
from .conftest import needs_root

NOBODY = 65534
BUSY_LOOP = "while True: pass"


@pytest.fixture
def two_busy_loops():
    """Two busy loops started from one shell, as a reader's other programs
    (a compiler, a browser tab) would be: not pinned, default priority."""
    shell = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -c '{BUSY_LOOP}' & {sys.executable} -c '{BUSY_LOOP}' & wait"],
        start_new_session=True,
    )
    loops = _wait_for_children(shell.pid, count=2)
    time.sleep(0.5)  # both spinning, and counted in the scheduler's load figures
    yield loops
    os.killpg(shell.pid, signal.SIGKILL)
    shell.wait(timeout=10)


def _wait_for_children(pid: int, count: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [info.pid for info in processes.list_processes()
                 if info.ppid == pid and BUSY_LOOP in " ".join(info.cmdline)]
        if len(found) == count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"the busy loops did not start: {found}")


# The kernel nbclient starts is this interpreter again, from another folder.
PROBE = ("import subprocess, sys; "
         "subprocess.run([sys.executable, '-c', 'import podnotes, ipykernel'], cwd='/', check=True)")


def python_for(uid: int, home) -> tuple[str, dict] | None:
    """An interpreter ``uid`` may run, with the environment that gives it this
    virtual environment's packages. The venv's own interpreter may link to a
    home directory other users cannot enter; a system Python of the same
    version then runs the same packages."""
    import site
    import sysconfig

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [sys.executable] + [path for path in (shutil.which(version, path="/usr/bin:/usr/local/bin"),) if path]
    packages = ":".join([str(ROOT / "src"), sysconfig.get_paths()["purelib"], *site.getsitepackages()])
    for interpreter in candidates:
        env = {"PYTHONPATH": packages} if interpreter != sys.executable else {}
        probe = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                                interpreter, "-c", PROBE],
                               env={"PATH": os.environ["PATH"], "HOME": str(home), **env}, cwd=home,
                               capture_output=True, timeout=60)
        if probe.returncode == 0:
            return interpreter, env
    return None


def cpu_seconds(pids: list[int]) -> float:
    return sum(processes.process_cpu_seconds(pid) for pid in pids)


@pytest.mark.skipif(os.geteuid() != 0, reason="starting the chapter as another user needs root")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
@pytest.mark.notebooks
def test_chapter_1_holds_on_a_busy_machine_as_a_normal_user(two_busy_loops, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    tmp_path.chmod(0o755)
    found = python_for(NOBODY, home)
    if found is None:
        pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} that uid {NOBODY} may run")
    interpreter, python_env = found
    run = textwrap.dedent(
        f"""\
        import os
        from pathlib import Path
        from podnotes.book.notebooks import execute_notebook
        assert os.geteuid() != 0
        result = execute_notebook(Path({str(ROOT / "chapters" / "01-processes.md")!r}))
        print("cells", result.cells)
        """
    )
    before = cpu_seconds(two_busy_loops)
    finished = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         interpreter, "-c", run],
        env={"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", **python_env},
        cwd=home, capture_output=True, text=True, timeout=600,
    )
    busy = cpu_seconds(two_busy_loops) - before
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "cells" in finished.stdout
    # The loops really competed all along (the machine may be shared with more).
    assert busy > 1.0, f"the busy loops ran for only {busy:.2f} CPU seconds"


@pytest.mark.notebooks
@pytest.mark.slow
@needs_root
@pytest.mark.parametrize("chapter", ["02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch",
                                     "06-pod-and-pause"])
def test_privileged_chapters_hold_on_a_busy_machine(chapter, two_busy_loops):
    before = cpu_seconds(two_busy_loops)
    result = execute_notebook(ROOT / "chapters" / f"{chapter}.md")
    assert result.cells > 0
    assert cpu_seconds(two_busy_loops) - before > 0.5, "the busy loops ran meanwhile"
