"""Findings as text, JSON or SARIF 2.1.0.

The JSON layout is described by ``podnotes/data/lint-report.schema.json``
(JSON Schema 2020-12), which ships with the package.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from .finding import ERROR, SEVERITIES, UNREADABLE_RULES, Finding

REPORT_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

RULES: dict[str, str] = {
    "yaml-syntax": "The input is not valid YAML.",
    "yaml-limit": "The input is too large, too deeply nested or expands too many aliases.",
    "yaml-tag": "The input uses a YAML tag Kubernetes does not understand.",
    "unreadable": "The input could not be read as UTF-8 text.",
    "no-objects": "The input holds no Kubernetes object (it is empty or only comments).",
    "unrendered-template": "A value holds Helm or Go template syntax ({{ ... }}): render the chart first.",
    "duplicate-key": "A key appears twice in one mapping.",
    "not-an-object": "A document is not a mapping.",
    "api-version": "The apiVersion does not serve this kind.",
    "kind-not-checked": "Objects of this kind are not checked.",
    "kind-case": "A checked kind spelt with the wrong case (kind: pod); kinds are case-sensitive.",
    "selector-mismatch": "A controller's selector does not match its Pod template's labels.",
    "unknown-field": "A field does not exist at this level (strict field validation).",
    "type-mismatch": "A value has the wrong JSON type.",
    "required-field": "A required field is missing.",
    "invalid-enum": "A value is not one of the values the server supports.",
    "invalid-quantity": "A resource quantity does not parse.",
    "invalid-name": "A name, port name or label value breaks the naming rules.",
    "duplicate-name": "A name or mount path is used twice.",
    "handler-count": "A probe or lifecycle hook does not have exactly one handler.",
    "priority-admission": "A hand-written priority, which the Priority admission plugin refuses.",
    "volume-sources": "A volume does not have exactly one source.",
    "volume-mount-not-found": "A volumeMount names no volume of the Pod.",
    "field-constraint": "A number is outside the range the server allows.",
    "number-range": "A number its field's Go type cannot hold (int32/int64 overflow) or JSON cannot carry (.inf, .nan).",
    "requests-exceed-limits": "A resource request is larger than its limit.",
    "restart-policy-context": "The restart policy is not allowed in this context.",
    "init-container-field": "A field an init container may not set (unless it is a sidecar).",
    "ephemeral-container-field": "A field an ephemeral container may not set.",
    "ephemeral-on-create": "Ephemeral containers cannot be part of a manifest.",
    "fractional-memory": "A memory or ephemeral-storage amount that is not a whole number of bytes (server warning).",
    "duplicate-env": "An environment variable set twice, hiding the first value (server warning).",
    "duplicate-port": "A container port declared twice in the Pod, or hostIP without hostPort (server warning).",
    "image-pull-secret": "An image pull secret listed twice or without a name (server warning).",
    "host-alias-ip": "Two hostAliases entries for one IP address (server warning).",
    "env-source": "An environment variable without exactly one source for its value.",
    "lifecycle-tcp-socket": "A lifecycle hook with tcpSocket, which is not supported.",
    "image-tag-missing": "An image without a tag (it means :latest).",
    "image-tag-latest": "An image with the moving :latest tag.",
    "resources-missing": "A container without requests or a memory limit.",
    "readiness-probe-missing": "A serving container without a readiness probe.",
    "probe-port-unknown": "A probe names a port the container does not declare.",
    "qos-class": "The QoS class the Pod gets.",
    "pod-security-level": "The highest Pod Security Standard level the Pod meets.",
    "naked-pod": "A Pod not managed by a controller.",
    "ignore-without-reason": "An ignore annotation without a reason.",
    "findings-truncated": "More findings than are reported at once; this one counts the rest.",
}


def known_rules() -> tuple[str, ...]:
    """Every rule id lint reports, in a stable order: the rules above, then ``pss-<check>`` per Pod Security
    Standards check."""
    from .pss import CHECK_IDS

    return tuple(RULES) + tuple(f"pss-{check}" for check in CHECK_IDS)


def rule_description(rule: str) -> str:
    if rule.startswith("pss-"):
        return f"Pod Security Standards check {rule[4:]}."
    return RULES.get(rule, rule)


def summary(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def excerpt(finding: Finding, text: str) -> str:
    """The source line a finding points at, with a caret under its column."""
    if finding.line is None:
        return ""
    lines = text.splitlines()
    if not 1 <= finding.line <= len(lines):
        return ""
    source = lines[finding.line - 1]
    caret = " " * ((finding.column or 1) - 1) + "^"
    return f"{finding.line:5} | {source}\n      | {caret}"


@dataclass(frozen=True)
class Resources:
    """What kubeconform's summary line counts: objects found, in how many files, and how each fared.

    ``valid``: no error; ``invalid``: the API server would reject it; ``errors``: it could not be read;
    ``skipped``: a kind lint does not check.
    """

    found: int = 0
    files: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0

    def line(self) -> str:
        return (f"Summary: {self.found} resource{'s' * (self.found != 1)} found in {self.files} "
                f"file{'s' * (self.files != 1)} - Valid: {self.valid}, Invalid: {self.invalid}, "
                f"Errors: {self.errors}, Skipped: {self.skipped}")

    def as_dict(self) -> dict:
        return {"found": self.found, "files": self.files, "valid": self.valid, "invalid": self.invalid,
                "errors": self.errors, "skipped": self.skipped}


def count_resources(documents: list, findings: list[Finding]) -> Resources:
    """Count ``documents`` (:class:`podnotes.manifest.Document`) as kubeconform does, from ``findings``."""
    by_document: dict[tuple, set[str]] = {}
    for finding in findings:
        key = (finding.file, finding.document)
        marks = by_document.setdefault(key, set())
        if finding.rule in UNREADABLE_RULES:
            marks.add("errors")
        elif finding.rule == "kind-not-checked":
            marks.add("skipped")
        elif finding.severity == ERROR:
            marks.add("invalid")
    counts = Counter()
    for document in documents:
        marks = by_document.get((document.file, document.index), set())
        if document.error is not None:
            marks = marks | {"errors"}
        fate = next((m for m in ("errors", "invalid", "skipped") if m in marks), "valid")
        counts[fate] += 1
    return Resources(len(documents), len({d.file for d in documents}), counts["valid"], counts["invalid"],
                     counts["errors"], counts["skipped"])


def to_text(findings: list[Finding], *, verbose: bool = False, documents: list | None = None) -> str:
    """One line per finding, ``file:line:col: severity [RULE] Kind/name: message`` (the object as kube-linter
    names it), then the counts; with ``documents``, also kubeconform's summary line."""
    lines = []
    for finding in findings:
        about = f"{finding.object_name}: " if finding.object_name else ""
        lines.append(f"{finding.location}: {finding.severity} [{finding.rule}] {about}{finding.message}")
        if verbose:
            if finding.path:
                lines.append(f"    field:  {finding.path}")
            if finding.server_message:
                lines.append(f"    server: {finding.server_message}")
            if finding.fix:
                lines.append("    fix:    " + finding.fix.replace("\n", "\n            "))
    counts = summary(findings)
    lines.append(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")
    if documents is not None:
        lines.append(count_resources(documents, findings).line())
    return "\n".join(lines)


def to_json(findings: list[Finding], *, k8s_version: str, level: str, exit_code: int,
            documents: list | None = None) -> str:
    """The report ``lint -o json`` prints (schema: :func:`json_schema`). ``documents`` gives the
    ``resources`` counts; without them the counts are taken from the findings alone."""
    report = {
        "version": REPORT_VERSION,
        "tool": "podnotes",
        "k8sVersion": k8s_version,
        "level": level,
        "exitCode": exit_code,
        "summary": summary(findings),
        "resources": count_resources(documents or [], findings).as_dict(),
        "findings": [f.as_dict() for f in findings],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def json_schema() -> dict:
    """The JSON Schema of :func:`to_json`'s output."""
    text = resources.files("podnotes").joinpath("data/lint-report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def to_sarif(findings: list[Finding], *, version: str) -> str:
    rule_ids = sorted({f.rule for f in findings})
    results = []
    for finding in findings:
        location: dict = {"physicalLocation": {"artifactLocation": {"uri": finding.file or "<object>"}}}
        if finding.line is not None:
            region = {"startLine": finding.line}
            if finding.column is not None:
                region["startColumn"] = finding.column
            location["physicalLocation"]["region"] = region
        logical = []
        if finding.path:
            logical.append({"fullyQualifiedName": finding.path, "kind": "member"})
        if finding.object_name:
            logical.append({"name": finding.name, "kind": "resource", "fullyQualifiedName": finding.object_name})
        if logical:
            location["logicalLocations"] = logical
        result = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule),
            "level": {"error": "error", "warning": "warning"}.get(finding.severity, "note"),
            "message": {"text": finding.message},
            "locations": [location],
        }
        properties = {k: v for k, v in (("fix", finding.fix), ("serverMessage", finding.server_message),
                                        ("object", finding.as_dict()["object"])) if v}
        if properties:
            result["properties"] = properties
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "podnotes",
                "version": version,
                "informationUri": "https://github.com/podnotes/podnotes",
                "rules": [{"id": rule, "shortDescription": {"text": rule_description(rule)}} for rule in rule_ids],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
