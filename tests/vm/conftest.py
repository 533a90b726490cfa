from __future__ import annotations

REPORT: list[str] = []  # the machine's figures (boot, each part, each chapter), printed after the tests


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("cgroup v2 machine")
        for line in REPORT:
            terminalreporter.write_line(line)
