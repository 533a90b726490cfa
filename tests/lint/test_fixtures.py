"""Every fixture gives exactly the findings written in its .expected file (info findings aside)."""

from __future__ import annotations

from pathlib import Path

import pytest

from podnotes.lint import ERROR, INFO, lint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
CASES = sorted(FIXTURES.glob("*/*.yaml"))


def expected_findings(path: Path) -> list[str]:
    return [line.strip() for line in path.with_suffix(".expected").read_text().splitlines() if line.strip()]


def level_of(path: Path) -> str:
    return "restricted" if "# options: level=restricted" in path.read_text() else "baseline"


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_fixture_gives_exactly_its_expected_findings(path):
    found = [f"{f.line}:{f.column} {f.severity} {f.rule} {f.path}".rstrip()
             for f in lint(path, level=level_of(path)) if f.severity != INFO]
    assert found == expected_findings(path)


def test_every_bad_fixture_has_findings_and_every_good_one_has_none():
    assert all(expected_findings(p) for p in CASES if p.parent.name == "bad")
    assert not any(expected_findings(p) for p in CASES if p.parent.name == "good")


def test_errors_carry_the_api_servers_message_and_a_fix():
    for path in CASES:
        for finding in lint(path):
            if finding.severity == ERROR and finding.rule not in ("yaml-syntax",):
                assert finding.server_message, finding
                assert finding.fix, finding
                assert finding.path, finding
