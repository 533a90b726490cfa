"""The rule registry (podnotes.lint.rules): every rule is described, sourced and triggered by a fixture, and
every rule id a finding can carry is registered."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest

import podnotes.lint
from podnotes.cli import main
from podnotes.lint.finding import SEVERITIES, UNREADABLE_RULES
from podnotes.lint.rules import CATEGORIES, REGISTRY, all_rules, applies_at, parse_version
from podnotes.lint.schema import available_versions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
PACKAGE = Path(podnotes.lint.__file__).resolve().parent.parent
# Calls whose first argument is a rule id: Finding(...), located(...), the loader's errors, and in the lint
# package the checkers' self.error(...) and self.warn(...).
RULE_CALLS = {"Finding", "located", "LoadError", "_LimitExceeded"}
LINT_RULE_CALLS = frozenset({"error", "warn"})
# pss.Violation(check, ...) carries the upstream check id that lint reports as rule pss-<check>.
CHECK_CALLS = {"Violation"}


def run_lint(*args: str) -> tuple[int, dict]:
    """``podnotes lint ARGS -o json`` in this process: the exit code and the report."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["lint", *args, "-o", "json"])
    return code, json.loads(out.getvalue())


def fixture_args(path: Path) -> list[str]:
    """The options a fixture asks for on its first line (``# podnotes lint --level restricted``)."""
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    return shlex.split(first.removeprefix("# podnotes lint")) if first.startswith("# podnotes lint") else []


def rules_found(path: Path, *extra: str) -> set[str]:
    _, report = run_lint(str(path), *fixture_args(path), *extra)
    return {finding["rule"] for finding in report["findings"]}


def string_constants(node: ast.AST) -> set[str]:
    """The strings an expression can evaluate to: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.IfExp):
        return string_constants(node.body) | string_constants(node.orelse)
    return {node.value} if isinstance(node, ast.Constant) and isinstance(node.value, str) else set()


def literal_first_arguments(names: set[str], lint_names: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """Every string a call named in ``names`` passes as its first argument (or ``rule=``), by source file:
    literals, and each branch of ``a if c else b``; f-strings and variables are not literal and left out.
    ``lint_names`` count only in the modules of podnotes.lint (``self.error`` means a rule only there)."""
    found: dict[str, set[str]] = {}
    for source in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in names | (lint_names if source.parent.name == "lint" else frozenset()):
                continue
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("rule",
                                                                                                       "check")), None)
            if isinstance(first, (ast.Constant, ast.IfExp)):
                found.setdefault(str(source.relative_to(PACKAGE)), set()).update(string_constants(first))
    return found


def test_every_rule_is_described_sourced_and_versioned():
    assert len(REGISTRY) >= 60, "the registry holds the rules"
    for rule in all_rules():
        assert re.fullmatch(r"[a-z][a-z-]*[a-z]|pss-[A-Za-z_]+", rule.id), rule.id
        assert rule.severity in SEVERITIES and rule.category in CATEGORIES, rule
        assert rule.summary.endswith(".") and len(rule.summary) <= 120, rule.id
        assert len(rule.description) > len(rule.summary) // 2 and rule.description != rule.summary, rule.id
        assert rule.remediation and rule.source, rule.id
        assert rule.help_uri.startswith("https://"), rule.id
        if rule.since:
            assert parse_version(rule.since) >= (1, 0), rule.id
        else:  # only rules of podnotes itself have no Kubernetes version
            assert "podnotes" in rule.source or rule.id == "unrendered-template", rule.id


def test_the_readable_flag_matches_the_exit_code_rules():
    assert {rule.id for rule in all_rules() if rule.unreadable} == set(UNREADABLE_RULES)


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_rule_has_a_fixture_that_triggers_it(rule_id):
    path = FIXTURES / f"{rule_id}.yaml"
    assert path.is_file(), f"no fixture for {rule_id}: add tests/fixtures/rules/{rule_id}.yaml"
    assert rule_id in rules_found(path)


def test_every_fixture_is_for_a_registered_rule():
    fixtures = {path.stem for path in FIXTURES.glob("*.yaml")}
    assert fixtures, "the rule fixtures are there"
    assert fixtures - set(REGISTRY) == set()


def test_every_rule_id_in_the_source_is_registered():
    """A rule id written anywhere in the package, as a literal rule of a finding or as a Pod Security check, is
    in the registry (so --disable, --list-rules and SARIF know it)."""
    rules = literal_first_arguments(RULE_CALLS, LINT_RULE_CALLS)
    checks = literal_first_arguments(CHECK_CALLS)
    assert rules and checks, "the scan finds the places that make findings"
    assert sum(map(len, rules.values())) >= 40
    unregistered = {file: ids - set(REGISTRY) for file, ids in rules.items() if ids - set(REGISTRY)}
    unregistered.update({file: {f"pss-{c}" for c in ids} - set(REGISTRY)
                         for file, ids in checks.items() if {f"pss-{c}" for c in ids} - set(REGISTRY)})
    assert unregistered == {}


def test_every_finding_of_every_fixture_carries_a_registered_rule():
    fixtures = sorted(FIXTURES.glob("*.yaml")) + sorted((FIXTURES.parent / "lint").glob("*/*.yaml"))
    assert len(fixtures) > 60
    seen = set()
    for path in fixtures:
        seen |= rules_found(path, "--level", "restricted")
    assert seen - set(REGISTRY) == set()


@pytest.mark.parametrize("rule_id", sorted(r.id for r in all_rules() if r.since
                                           and parse_version(r.since) > parse_version(available_versions()[0])))
def test_a_rule_applies_from_its_first_version_on(rule_id):
    """Version gates agree with the registry: the fixture triggers the rule at ``since`` and not the release
    before (for the Pod Security checks, ``MinimumVersion`` in k8s.io/pod-security-admission/policy)."""
    path = FIXTURES / f"{rule_id}.yaml"
    major, minor = parse_version(REGISTRY[rule_id].since)
    before = f"{major}.{minor - 1}"
    assert before in available_versions() and not applies_at(rule_id, before)
    assert rule_id in rules_found(path, "--k8s-version", REGISTRY[rule_id].since)
    assert rule_id not in rules_found(path, "--k8s-version", before)


def test_rules_older_than_the_oldest_covered_version_apply_there():
    oldest = available_versions()[0]
    old = [r for r in all_rules() if r.since and parse_version(r.since) <= parse_version(oldest)]
    assert len(old) > 40
    for rule in old:
        assert rule.id in rules_found(FIXTURES / f"{rule.id}.yaml", "--k8s-version", oldest), rule.id


def cli_output(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["lint", *args])
    return code, out.getvalue()


def test_list_rules_prints_every_rule_as_text_json_and_yaml():
    import yaml

    code, text = cli_output("--list-rules")
    assert code == 0 and all(rule.id in text for rule in all_rules())
    assert "reading (" in text and "pod-security (" in text
    code, verbose = cli_output("--list-rules", "-v")
    assert code == 0 and REGISTRY["handler-count"].remediation in " ".join(verbose.split())
    for output, parse in (("json", json.loads), ("yaml", yaml.safe_load)):
        code, listed = cli_output("--list-rules", "-o", output)
        assert code == 0
        assert parse(listed) == [rule.as_dict() for rule in all_rules()]


def test_list_rules_for_a_version_leaves_out_the_rules_that_came_later():
    _, listed = cli_output("--list-rules", "-o", "json", "--k8s-version", "1.33")
    ids = {rule["id"] for rule in json.loads(listed)}
    assert ids, "the rules of 1.33"
    assert "pss-hostProbesAndHostLifecycle" not in ids and "pss-procMount_restricted" not in ids
    assert ids == {rule.id for rule in all_rules() if applies_at(rule.id, "1.33")}


def test_list_rules_takes_no_files():
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code, _ = cli_output("--list-rules", str(FIXTURES / "naked-pod.yaml"))
    assert code == 4 and "--list-rules takes no files" in err.getvalue()


def test_sarif_describes_each_rule_from_the_registry():
    path = FIXTURES.parent / "lint" / "bad" / "classic-mistakes.yaml"
    code, text = cli_output(str(path), "-o", "sarif")
    run = json.loads(text)["runs"][0]
    described = run["tool"]["driver"]["rules"]
    assert run["results"] and described, "the findings and their rules"
    assert [rule["id"] for rule in described] == sorted({result["ruleId"] for result in run["results"]})
    for result in run["results"]:
        assert described[result["ruleIndex"]]["id"] == result["ruleId"]
    for entry in described:
        rule = REGISTRY[entry["id"]]
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"] == rule.description
        assert entry["helpUri"] == rule.help_uri and rule.remediation in entry["help"]["text"]
        assert entry["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                          "info": "note"}[rule.severity]
        assert rule.category in entry["properties"]["tags"] and entry["properties"]["source"] == rule.source


def test_list_rules_as_sarif_describes_every_rule_without_results():
    code, text = cli_output("--list-rules", "-o", "sarif")
    run = json.loads(text)["runs"][0]
    assert code == 0 and run["results"] == []
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == set(REGISTRY)


def test_the_report_as_yaml_is_the_json_report():
    import yaml

    path = FIXTURES / "handler-count.yaml"
    code, as_json = cli_output(str(path), "-o", "json")
    code_yaml, as_yaml = cli_output(str(path), "-o", "yaml")
    assert code == code_yaml == 2
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


def test_disable_knows_every_registered_rule():
    code, report = run_lint(str(FIXTURES / "pss-procMount_restricted.yaml"), "--level", "restricted",
                            "--disable", "pss-procMount_restricted")
    assert "pss-procMount_restricted" not in {finding["rule"] for finding in report["findings"]}
    assert report["findings"], "the other findings stay"
