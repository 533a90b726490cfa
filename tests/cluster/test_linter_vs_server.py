"""Differential check: does `podnotes lint` say what the real API server says, on both ways in?

Every input is a file's bytes. It goes through ``podnotes.lint`` (acceptance rules only: no advice, no Pod
Security level) and, on the real kube-apiserver 1.37.2 with its default admission plugins, through the two
paths of :mod:`.server_paths`: what ``kubectl create -f`` sends after reading the file with the pinned
k8s.io/apimachinery decoder (JSON, empty documents skipped, ``List`` flattened), and the file sent as a raw
YAML body. Both with ``dryRun=All&fieldValidation=Strict``. For each path the verdicts (accept/refuse) must
agree with the linter's, and where both refuse, the field paths too. The corpus: the linter's fixture
manifests, the Pod mutations of :mod:`.mutations`, and :mod:`.corpus` (scalar resolution edge cases, zero
and defaulted fields, workload validation rules, document streams): more than 2,000 files.

Disagreements that are understood are listed in ``KNOWN`` with their cause (and in
chapters/reference/linter-vs-server.md); any other fails the test. The figures go to the test summary and,
with every disagreement, to _build/linter-vs-server.json.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import asdict, dataclass

import pytest
import yaml

from podnotes.lint import ERROR, Options, lint_documents
from podnotes.manifest import load

from ..conftest import BUILD, ROOT
from ..kubectl_decode import kubectl_decode, kubectl_decode_binary
from .conftest import REPORT
from .corpus import Input, all_cases
from .mutations import generate
from .server_paths import Server, Verdict

pytestmark = pytest.mark.cluster

FIXTURES = ROOT / "tests" / "fixtures"
RESULTS = BUILD / "linter-vs-server.json"
_INDICES = re.compile(r"\[[^\]]*\]")
_NAMESPACE_LINE = re.compile(rb"^\s+namespace:.*\n", re.MULTILINE)


@dataclass(frozen=True)
class Known:
    """An understood disagreement: inputs whose label matches ``label`` (a regular expression), on
    ``way`` ("kubectl", "raw" or "both"), for ``reason``."""
    way: str
    label: str
    reason: str

    def explains(self, way: str, label: str) -> bool:
        return self.way in (way, "both") and re.search(self.label, label) is not None


# Understood disagreements, by cause; chapters/reference/linter-vs-server.md tables the same causes. Each
# entry names the inputs it covers, so a new disagreement (a new input, or an entry's input that starts to
# disagree another way) fails the test. "both" covers the kubectl path and the raw-body path.
KNOWN: list[Known] = []


@dataclass
class Case:
    label: str
    way: str               # "kubectl" or "raw"
    lint: Verdict
    server: Verdict

    @property
    def verdicts_agree(self) -> bool:
        return self.lint.rejects == self.server.rejects

    @property
    def decoding_error(self) -> bool:
        """The server could not decode the body (a wrong type, a malformed quantity, strict decoding): it
        stops at the first such error, names the field without list indices, and validates nothing else."""
        return "cannot be handled as a" in self.server.message or "strict decoding error" in self.server.message

    @property
    def paths_comparable(self) -> bool:
        return self.lint.rejects and self.server.rejects and bool(self.server.paths)

    @property
    def paths_agree(self) -> bool:
        if self.decoding_error:
            return ({_INDICES.sub("", p) for p in self.server.paths}
                    <= {_INDICES.sub("", p) for p in self.lint.paths})
        return set(self.lint.paths) == set(self.server.paths)

    @property
    def agrees(self) -> bool:
        return self.verdicts_agree and (not self.paths_comparable or self.paths_agree)

    def explanation(self) -> str | None:
        return next((k.reason for k in KNOWN if k.explains(self.way, self.label)), None)


def fixture_inputs() -> list[Input]:
    found = []
    for path in sorted(FIXTURES.rglob("*.y*ml")):
        content = _NAMESPACE_LINE.sub(b"", path.read_bytes())  # every object goes to the test namespace
        found.append(Input(f"fixture {path.relative_to(ROOT)}", _first_kind(content), "", data=content))
    return found


def mutation_inputs() -> list[Input]:
    return [Input(f"mutation {label}", "Pod", yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
            for label, body in generate()]


def _first_kind(content: bytes) -> str:
    match = re.search(rb"^kind:\s*(\w+)", content, re.MULTILINE)
    return match.group(1).decode() if match else "Pod"


_LIST_ITEM = re.compile(r"^(items\[\d+\]\.)+")


def lint_verdict(item: Input, options: Options) -> Verdict:
    """The linter's verdict. A List's items are checked at ``items[N]...`` in the file, but kubectl sends each
    item alone, so the server names its fields from the item: the comparison drops that prefix."""
    errors = [f for f in lint_documents(load(item.content, name=item.label), options) if f.severity == ERROR]
    paths = {_LIST_ITEM.sub("", f.path) for f in errors if f.path}
    return Verdict(bool(errors), sorted(paths), errors[0].message if errors else "")


_DOCUMENT_MARKER = re.compile(rb"^(---|\.\.\.)(\s|$)", re.MULTILINE)


def sends_raw(item: Input, decoded: dict) -> bool:
    """The raw-body path is a request: one document, of a kind with a URL. The server's YAML decoder reads
    the first document of a body only, so files with document markers go the kubectl way alone."""
    return (len(decoded["objects"]) == 1 and not decoded["error"] and not _DOCUMENT_MARKER.search(item.content)
            and item.kind == decoded["objects"][0].get("kind"))


@pytest.fixture(scope="module")
def server(control_plane):
    target = Server(control_plane, f"differential-{uuid.uuid4().hex[:8]}")
    target.create_namespace()
    yield target
    target.delete_namespace()


def test_linter_and_server_agree(server, control_plane):
    started = time.perf_counter()
    inputs = fixture_inputs() + mutation_inputs() + all_cases()
    assert len(inputs) >= 2000
    # The linter reads each file as the path it is compared with: as kubectl sends it, and as a raw body
    # (where a key given twice is refused by strict decoding): lint --reading kubectl|raw.
    as_kubectl = Options(k8s_version=None, level="privileged", advice=False, reading="kubectl")
    as_raw = Options(k8s_version=None, level="privileged", advice=False, reading="raw")
    decoded = kubectl_decode(kubectl_decode_binary(), [item.content for item in inputs])
    lint = [lint_verdict(item, as_kubectl) for item in inputs]
    via_kubectl = server.map(server.send_objects, decoded)
    raw_items = [(index, item) for index, item in enumerate(inputs) if sends_raw(item, decoded[index])]
    via_raw = server.map(lambda pair: server.send_raw(pair[1].kind, pair[1].content), raw_items)
    cases = [Case(item.label, "kubectl", lint[i], via_kubectl[i]) for i, item in enumerate(inputs)]
    cases += [Case(item.label, "raw", lint_verdict(item, as_raw), verdict)
              for (_, item), verdict in zip(raw_items, via_raw, strict=True) if verdict is not None]
    assert len(cases) >= 2 * 2000 - 500

    disagreements = [c for c in cases if not c.agrees]
    unexplained = [c for c in disagreements if c.explanation() is None]
    summary = _summary(inputs, cases, disagreements, unexplained, control_plane, time.perf_counter() - started)
    REPORT["linter vs server"] = summary
    print(summary)
    BUILD.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "disagreements": [
        {**asdict(c), "known": c.explanation()} for c in disagreements]}, indent=2, ensure_ascii=False))
    for case in unexplained:
        print(f"  UNEXPLAINED [{case.way}] {case.label}: lint {case.lint.rejects} {case.lint.paths} / server "
              f"{case.server.rejects} {case.server.paths} {case.server.message[:160]}")
    assert not unexplained, (f"{len(unexplained)} disagreements are not in KNOWN (see {RESULTS}); fix the linter or "
                             "document the difference in KNOWN and chapters/reference/linter-vs-server.md")
    stale = [known for known in KNOWN if not any(known.explains(c.way, c.label) for c in disagreements)]
    assert not stale, ("these KNOWN entries explain no disagreement any more (fixed?): remove them here and from "
                       "chapters/reference/linter-vs-server.md: " + "; ".join(k.label for k in stale))


def _summary(inputs, cases, disagreements, unexplained, control_plane, seconds: float) -> str:
    parts = []
    for way in ("kubectl", "raw"):
        mine = [c for c in cases if c.way == way]
        agree = sum(c.agrees for c in mine)
        parts.append(f"{way} path {agree}/{len(mine)} agree ({agree / max(1, len(mine)):.1%})")
    return (f"{len(inputs)} files; " + "; ".join(parts) + f"; {len(disagreements) - len(unexplained)} known "
            f"disagreements, {len(unexplained)} unexplained; {control_plane.admission_note}; {seconds:.0f} s")
