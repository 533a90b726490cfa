"""Differential check: does `podnotes lint` say what the real API server says?

Every fixture manifest of the linter's tests and a few hundred generated
mutations of valid Pods go through both ``podnotes.lint`` (acceptance rules
only: no advice, no Pod Security level) and a server-side dry run on the real
kube-apiserver. Verdicts (accept/reject) must agree, and where both reject,
the field paths must be the same. The figures are printed in the test
summary and written, with every disagreement, to _build/linter-vs-server.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from podnotes.cluster import ManifestProblem
from podnotes.lint import ERROR, Options, lint_documents
from podnotes.manifest import load

from ..conftest import BUILD, ROOT
from .conftest import REPORT
from .mutations import generate

pytestmark = pytest.mark.cluster

FIXTURES = ROOT / "tests" / "fixtures"
RESULTS = BUILD / "linter-vs-server.json"
_INDICES = re.compile(r"\[[^\]]*\]")


@dataclass
class Case:
    label: str
    lint_rejects: bool
    server_rejects: bool
    lint_paths: list[str] = field(default_factory=list)
    server_paths: list[str] = field(default_factory=list)
    server_message: str = ""

    @property
    def verdicts_agree(self) -> bool:
        return self.lint_rejects == self.server_rejects

    @property
    def paths_agree(self) -> bool:
        return comparable(self.lint_paths) == comparable(self.server_paths)


def comparable(paths: list[str]) -> set[str]:
    # Type errors reach the server as JSON decoding errors, which name the field without list indices.
    return {_INDICES.sub("", p) for p in paths} if any("[" not in p for p in paths) else set(paths)


def fixture_documents() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(FIXTURES.rglob("*.y*ml")):
        for doc in load(path):
            if doc.error is not None or doc.duplicates or not isinstance(doc.to_python(), dict):
                continue  # unreadable YAML never reaches a server; duplicate keys are lost in JSON
            body = doc.to_python()
            (body.get("metadata") or {}).pop("namespace", None)
            found.append((f"{path.relative_to(ROOT)}:{doc.line}", body))
    return found


def compare(kind_cluster, label: str, body: dict, options: Options) -> Case | None:
    lint_errors = [f for f in lint_documents(load(body, name=label), options) if f.severity == ERROR]
    try:
        server = kind_cluster.dry_run(body)
    except ManifestProblem:
        return None  # no kind or name: nothing to send
    return Case(label, bool(lint_errors), bool(server), sorted({f.path for f in lint_errors}),
                sorted({f.path for f in server}), server[0].server_message if server else "")


def test_linter_and_server_agree(kind_cluster):
    options = Options(k8s_version=None, level="privileged", advice=False)
    fixtures = fixture_documents()
    mutations = generate()
    assert len(mutations) >= 200
    cases = [case for label, body in fixtures + mutations
             if (case := compare(kind_cluster, label, body, options)) is not None]
    rejected_by_both = [c for c in cases if c.lint_rejects and c.server_rejects]
    verdicts = sum(c.verdicts_agree for c in cases)
    paths = sum(c.paths_agree for c in rejected_by_both)
    summary = (f"{verdicts}/{len(cases)} verdicts agree ({verdicts / len(cases):.1%}); field paths agree on "
               f"{paths}/{len(rejected_by_both)} rejected by both ({paths / max(1, len(rejected_by_both)):.1%}); "
               f"{len(fixtures)} fixture documents + {len(mutations)} mutations")
    REPORT["linter vs server"] = summary
    print(summary)
    disagreements = [c for c in cases if not c.verdicts_agree or (c in rejected_by_both and not c.paths_agree)]
    BUILD.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "disagreements": [asdict(c) for c in disagreements]},
                                  indent=2, ensure_ascii=False))
    for case in disagreements:
        print(f"  {case.label}: lint {case.lint_rejects} {case.lint_paths} / server {case.server_rejects} "
              f"{case.server_paths} {case.server_message[:160]}")
    assert len(cases) >= 200
