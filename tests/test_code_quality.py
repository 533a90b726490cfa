"""The code is linted (ruff) and type-checked (mypy) with zero findings, as part of `make test`.

Both tools are pinned in requirements.txt and configured in pyproject.toml (``[tool.ruff]``, ``[tool.mypy]``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON_TREES = ("src", "tests", "benchmarks", "tools")


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_checks_cover_the_agreed_rule_sets():
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11")
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert {"E", "F", "W", "I", "B", "UP", "SIM"} <= set(settings["ruff"]["lint"]["select"])
    assert settings["mypy"]["files"] == ["src/podnotes"]


def test_ruff_finds_nothing():
    trees = [tree for tree in PYTHON_TREES if (ROOT / tree).is_dir()]
    assert "src" in trees and "tests" in trees
    result = run("ruff", "check", "--no-fix", "--output-format", "concise", *trees)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "All checks passed" in result.stdout


@pytest.mark.slow
def test_mypy_finds_nothing_in_the_package():
    result = run("mypy")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
    checked = int(result.stdout.rsplit(" in ", 1)[1].split()[0])
    assert checked >= 80, result.stdout  # every module of src/podnotes, not an empty selection
