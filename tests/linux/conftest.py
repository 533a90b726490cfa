from __future__ import annotations

import os

import pytest

from podnotes.linux import privileges
from podnotes.linux.leaks import leaks


def privileged_here() -> bool:
    return privileges.missing("cgroups") is None and privileges.missing("namespaces") is None


needs_root = pytest.mark.skipif(not privileged_here() and not privileges.required(),
                                reason="needs root (CAP_SYS_ADMIN) and the cpu, memory and pids cgroup controllers")


@pytest.fixture
def no_leaks():
    """Fails the test if it leaves anything podnotes created behind."""
    yield
    # Only this test's processes: other podnotes sessions may run on the machine.
    left = leaks(created_by=os.getpid())
    assert left.empty(), left


REPORT: dict[str, str] = {}  # figures for the terminal summary (leftovers after each signal)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("kernel objects left after signals")
        for key, line in REPORT.items():
            terminalreporter.write_line(f"{key}: {line}")
