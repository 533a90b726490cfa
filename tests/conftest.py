from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_terminal_summary(terminalreporter):
    """The figures of the hostile-input runs (tests/test_hostile_inputs.py), when any ran."""
    from tests import hostile

    for line in hostile.summary():
        terminalreporter.write_line(line)
