from __future__ import annotations

import os
import time

import pytest

from podnotes.linux import privileges
from podnotes.linux.leaks import Leaks, leaks


def privileged_here() -> bool:
    return privileges.missing("cgroups") is None and privileges.missing("namespaces") is None


needs_root = pytest.mark.skipif(not privileged_here() and not privileges.required(),
                                reason="needs root (CAP_SYS_ADMIN) and the cpu, memory and pids cgroup controllers")


@pytest.fixture
def no_leaks():
    """Fails the test if it leaves anything podnotes created behind.

    Only what appeared during the test counts: this test process may already
    hold podnotes objects on purpose (the test API server the cluster tests
    start once per session keeps its folder until the session ends), and other
    podnotes sessions may run on the machine."""
    before = set(leaks(settle=0, created_by=os.getpid()).items)
    yield
    deadline = time.monotonic() + 5  # processes killed a moment ago may still be exiting
    while True:
        left = Leaks.of([item for item in leaks(settle=0, created_by=os.getpid()).items if item not in before])
        if left.empty() or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left.empty(), left


REPORT: dict[str, str] = {}  # figures for the terminal summary (leftovers after each signal)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("kernel objects left after signals")
        for key, line in REPORT.items():
            terminalreporter.write_line(f"{key}: {line}")
