"""tools/run_tests.py, behind `make test`: which arguments split the suite into its two tiers, and that the
read-only tier names only files that exist and create nothing on the machine."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "tools" / "run_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args,chooses", [
    ([], False),
    (["--durations=25"], False),
    (["--durations", "25", "-p", "no:cacheprovider"], False),
    (["-q", "-x", "--junitxml=out.xml"], False),
    (["tests/test_cli.py"], True),
    (["tests/test_cli.py::test_help"], True),
    (["-k", "lint"], True),
    (["-m", "not node"], True),
    (["-m=browser"], True),
    (["--lf"], True),
    (["--deselect=tests/test_cli.py::x"], True),
])
def test_arguments_that_choose_tests_run_one_pytest(runner, args, chooses):
    assert runner.chooses_tests(args) is chooses


def test_the_read_only_tier_writes_its_own_report_file(runner):
    assert runner.read_only_args(["--junitxml=_build/report.xml", "-q"]) == ["--junitxml=_build/report-read-only.xml",
                                                                             "-q"]


def test_every_read_only_path_exists_and_none_is_a_machine_test(runner):
    assert runner.READ_ONLY
    for path in runner.READ_ONLY:
        assert (ROOT / path).exists(), path
        files = [ROOT / path] if path.endswith(".py") else sorted((ROOT / path).rglob("test_*.py"))
        assert files, path
        for file in files:
            text = file.read_text()
            for marker in ("local_node", "mark.node", "mark.privileged", "mark.cluster", "control_plane"):
                assert marker not in text, f"{file.relative_to(ROOT)} uses {marker}: it belongs to the machine tier"


def test_chosen_tests_run_in_one_pytest(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "run_tests.py"), "tests/test_datafiles.py", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout and "read-only tier" not in result.stdout
