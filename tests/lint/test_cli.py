"""`podnotes lint` and `podnotes explain` as a user runs them: output formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from podnotes.lint.report import json_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
SEED = Path(__file__).resolve().parents[2] / "chapters" / "manifests" / "seed-full-template.yaml"


def podnotes(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, input=stdin,
                          timeout=120)


@pytest.mark.parametrize("path,code", [
    (FIXTURES / "good" / "pod.yaml", 0),
    (FIXTURES / "bad" / "host-access.yaml", 1),
    (FIXTURES / "bad" / "classic-mistakes.yaml", 2),
    (FIXTURES / "bad" / "tab-indent.yaml", 3),
])
def test_exit_codes(path, code):
    result = podnotes("lint", "-f", str(path))
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_text_output_is_file_line_column_severity_rule_message():
    result = podnotes("lint", "-f", str(SEED))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert f"{SEED}:71:7: error [handler-count] " in "\n".join(lines)
    assert lines[-1] == "4 error(s), 3 warning(s), 3 info"


def test_json_output_matches_its_schema():
    result = podnotes("lint", "-f", str(FIXTURES / "bad"), "-o", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, json_schema())
    assert report["exitCode"] == result.returncode == 3  # the folder holds an unreadable file
    assert {f["rule"] for f in report["findings"]} >= {"invalid-enum", "duplicate-key", "yaml-syntax"}


def test_sarif_output_has_real_regions():
    result = podnotes("lint", "-f", str(SEED), "-o", "sarif")
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    regions = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert ("handler-count", 65) in regions and ("volume-sources", 103) in regions
    rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(r["ruleId"] == rules[r["ruleIndex"]] for r in results)


def test_stdin_and_version_and_level():
    pod = (FIXTURES / "good" / "pod.yaml").read_text()
    assert podnotes("lint", "-f", "-", stdin=pod).returncode == 0
    restricted = podnotes("lint", "-f", "-", "--level", "restricted", stdin=pod)
    assert restricted.returncode == 1 and "<stdin>:" in restricted.stdout
    assert podnotes("lint", "-f", "-", "--k8s-version", "1.30", stdin=pod).returncode == 0
    unknown = podnotes("lint", "-f", "-", "--k8s-version", "1.9", stdin=pod)
    assert unknown.returncode == 4 and "not covered" in unknown.stderr


def test_explain_a_field_offline():
    result = podnotes("explain", "pod.spec.containers.imagePullPolicy")
    assert result.returncode == 0
    assert "allowed values: Always, IfNotPresent, Never" in result.stdout
    assert "default: Always if the tag is missing or latest, else IfNotPresent" in result.stdout


def test_explain_rejects_a_field_that_does_not_exist():
    result = podnotes("explain", "spec.containers.flavour")
    assert result.returncode == 4 and "Container has no field `flavour`" in result.stderr


def test_explain_annotates_a_manifest():
    result = podnotes("explain", "-f", str(FIXTURES / "good" / "pod.yaml"))
    assert result.returncode == 0
    assert "# Filled in by the API server" in result.stdout
    assert "spec.containers[0].imagePullPolicy: IfNotPresent" in result.stdout


def test_huge_stdin_is_refused_without_a_traceback():
    result = podnotes("lint", "-f", "-", stdin="a: " + "x" * (20 * 1024 * 1024))
    assert result.returncode == 3
    assert "3 MiB" in result.stdout and "Traceback" not in result.stderr
