"""Remove what a process created as soon as it ends, even when it was killed with SIGKILL.

A process killed with SIGKILL runs no handler, no ``finally`` and no
``atexit``. The kernel then stops its direct children (their parent-death
signal), but not what those children started outside a PID namespace, nor
cgroups and folders. So the first time a process creates something,
:func:`ensure_watching` starts one small watchdog, detached in a session of
its own, that waits for the process to end (``pidfd_open``, Linux 5.3+; else
polling) and then removes everything named with its PID
(:func:`podnotes.linux.leaks.find`). After a normal end there is nothing left
and the watchdog just exits.

Run as ``python -m podnotes.linux.watchdog PID``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time

from podnotes.linux.processes import MARKER_ENV, pid_exists

_started: list[int] = []
_lock = threading.Lock()


def ensure_watching() -> None:
    """Start the watchdog for this process, once (again in a forked child: it has another PID)."""
    with _lock:
        if os.getpid() in _started:
            return
        _started.append(os.getpid())
    env = {key: value for key, value in os.environ.items() if key != MARKER_ENV}  # not a leftover itself
    try:
        starter = subprocess.Popen([sys.executable, "-m", "podnotes.linux.watchdog", str(os.getpid())],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True, env=env)
        starter.wait(timeout=30)  # it forks the real watchdog and exits, so we keep no child
    except (OSError, subprocess.SubprocessError):
        pass  # without a watchdog the next run still removes orphans (leaks.reap_orphans_once)


def wait_for_end(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        while pid_exists(pid):
            time.sleep(0.2)
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)



def clean_after(pid: int, rounds: int = 5) -> None:
    from podnotes.linux import leaks

    for _ in range(rounds):  # processes may still be forking while the first round kills them
        found = leaks.find(created_by=pid)
        if not found:
            return
        leaks.remove(found)
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    pid = int(argv[0])
    # Opened before forking, while the process is certainly alive (it waits for this starter to exit).
    try:
        fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    except OSError:
        fd = None
    if os.fork():
        return 0  # the starter exits; the watchdog below is adopted by init (or a subreaper)
    if fd is not None:
        select.select([fd], [], [])
        os.close(fd)
    else:
        wait_for_end(pid)
    clean_after(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
