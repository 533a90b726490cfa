"""Findings as text, JSON, YAML or SARIF 2.1.0; the rule registry as text (``lint --list-rules``) and as
Markdown (the reference page "Lint rules").

The JSON layout is described by ``podnotes/data/lint-report.schema.json``
(JSON Schema 2020-12), which ships with the package.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .finding import ERROR, INFO, SEVERITIES, UNREADABLE_RULES, WARNING, Finding
from .rules import CATEGORIES, POD_SECURITY, PROJECT_URI, REGISTRY, Rule

REPORT_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


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
    ``skipped``: a kind lint does not check. ``unreadable`` counts inputs (files, URLs, stdin) that could not
    be read at all (missing, not readable, too large, binary): they hold no resource and are not among the
    ``files``; each has its own finding naming it, and they make the exit code 3.
    """

    found: int = 0
    files: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0
    unreadable: int = 0

    def line(self) -> str:
        text = (f"Summary: {self.found} resource{'s' * (self.found != 1)} found in {self.files} "
                f"file{'s' * (self.files != 1)} - Valid: {self.valid}, Invalid: {self.invalid}, "
                f"Errors: {self.errors}, Skipped: {self.skipped}")
        if self.unreadable:
            text += f"; {self.unreadable} input{'s' * (self.unreadable != 1)} could not be read"
        return text

    def as_dict(self) -> dict:
        return {"found": self.found, "files": self.files, "valid": self.valid, "invalid": self.invalid,
                "errors": self.errors, "skipped": self.skipped, "unreadable": self.unreadable}


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
    counts: Counter[str] = Counter()
    inputs = [d for d in documents if d.error is None or not d.error.whole_input]
    for document in inputs:
        marks = by_document.get((document.file, document.index), set())
        if document.error is not None:
            marks = marks | {"errors"}
        fate = next((m for m in ("errors", "invalid", "skipped") if m in marks), "valid")
        counts[fate] += 1
    return Resources(len(inputs), len({d.file for d in inputs}), counts["valid"], counts["invalid"],
                     counts["errors"], counts["skipped"], len(documents) - len(inputs))


# A field path longer than this is shortened in the text output (a value nested a hundred levels deep)
_PATH_SHOWN = 100


def to_text(findings: list[Finding], *, verbose: bool = False, documents: list | None = None,
            counted: list[Finding] | None = None) -> str:
    """Per finding ``file:line:col: severity [RULE] Kind name: field.path: message`` (the location as compilers
    print it, the object as kube-linter names it, the field path as kubectl prints it; info lines, which are
    about the whole object, leave the path out) and, for an error, the API server's own words on the next line;
    ``verbose`` adds the fix, the server's words for warnings and the path of info lines. Then the counts;
    with ``documents``, also kubeconform's summary line. The counts are those of ``counted`` when given (every
    finding, where ``findings`` were cut to the most important), else of ``findings``."""
    lines = []
    for finding in findings:
        about = f"{finding.object_name}: " if finding.object_name else ""
        shows_path = finding.path and (verbose or finding.severity != INFO)  # an info line is about the object
        path = f"{_shown_path(finding.path)}: " if shows_path else ""
        lines.append(f"{finding.location}: {finding.severity} [{finding.rule}] {about}{path}{finding.message}")
        if finding.server_message and (verbose or finding.severity == ERROR):
            lines.append("    server: " + finding.server_message.replace("\n", "\n            "))
        if verbose and finding.fix:
            lines.append("    fix:    " + finding.fix.replace("\n", "\n            "))
    every = findings if counted is None else counted
    counts = summary(every)
    lines.append(f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")
    if documents is not None:
        lines.append(count_resources(documents, every).line())
    return "\n".join(lines)


def _shown_path(path: str) -> str:
    return path if len(path) <= _PATH_SHOWN else f"{path[:_PATH_SHOWN // 2]}...{path[-_PATH_SHOWN // 2:]}"


def report(findings: list[Finding], *, k8s_version: str, level: str, exit_code: int,
           documents: list | None = None, counted: list[Finding] | None = None) -> dict:
    """The report ``lint -o json`` and ``-o yaml`` print (schema: :func:`json_schema`). ``documents`` gives
    the ``resources`` counts; without them the counts are taken from the findings alone. ``summary`` and
    ``resources`` count ``counted`` when given (every finding, where ``findings`` were cut)."""
    every = findings if counted is None else counted
    return {
        "version": REPORT_VERSION,
        "tool": "podnotes",
        "k8sVersion": k8s_version,
        "level": level,
        "exitCode": exit_code,
        "summary": summary(every),
        "resources": count_resources(documents or [], every).as_dict(),
        "findings": [f.as_dict() for f in findings],
    }


def dumps_readable(value: Any, one_per_line: tuple[str, ...] = ()) -> str:
    """``value`` as JSON laid out as ``json.dumps(value, indent=2)`` does, except that each item of a list
    under a key in ``one_per_line`` is written on one line of its own. Those are the long lists (one item per
    finding), and Python's JSON encoder is written in C only for output without indentation, so they are
    encoded there: for a stream of a thousand Pods the report takes a tenth of the time."""
    def encode(item: Any, indent: str, key: str | None = None) -> str:
        inner = indent + "  "
        if isinstance(item, dict) and item:
            fields = [f"{inner}{json.dumps(name, ensure_ascii=False)}: {encode(part, inner, name)}"
                      for name, part in item.items()]
            return "{\n" + ",\n".join(fields) + f"\n{indent}}}"
        if isinstance(item, list) and item:
            if key in one_per_line:
                entries = [inner + json.dumps(part, ensure_ascii=False) for part in item]
            else:
                entries = [inner + encode(part, inner) for part in item]
            return "[\n" + ",\n".join(entries) + f"\n{indent}]"
        return json.dumps(item, ensure_ascii=False)

    return encode(value, "")


def to_json(findings: list[Finding], *, k8s_version: str, level: str, exit_code: int,
            documents: list | None = None, counted: list[Finding] | None = None) -> str:
    """:func:`report` as JSON."""
    return dumps_readable(report(findings, k8s_version=k8s_version, level=level, exit_code=exit_code,
                                 documents=documents, counted=counted), one_per_line=("findings",))


def to_yaml(data: object) -> str:
    """``data`` (a report, or the rule list) as block-style YAML, keys in their given order."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def json_schema() -> dict:
    """The JSON Schema of :func:`to_json`'s output."""
    from importlib import resources  # only here: it costs every other run of lint a few milliseconds

    text = resources.files("podnotes").joinpath("data/lint-report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def to_sarif(findings: list[Finding], *, version: str, rules: tuple[str, ...] | None = None) -> str:
    """A SARIF 2.1.0 log of ``findings``. ``tool.driver.rules`` describes, from the rule registry, the rules
    the findings carry, or every rule of ``rules`` (``lint --list-rules -o sarif`` passes them all)."""
    used = sorted({f.rule for f in findings} | set(rules or ()))
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
            "ruleIndex": used.index(finding.rule),
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
                "informationUri": PROJECT_URI,
                "rules": [sarif_rule(rule) for rule in used],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return dumps_readable(log, one_per_line=("results",))


_SARIF_LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}
# GitHub code scanning's problem.severity: what it filters and sorts alerts by.
_PROBLEM_SEVERITY = {ERROR: "error", WARNING: "warning", INFO: "recommendation"}


def sarif_rule(rule_id: str) -> dict:
    """The SARIF ``reportingDescriptor`` of a rule, from the registry: short and full description, help text
    (the remediation), helpUri (the upstream source or document), the default level, and properties (tags,
    category, upstream source, first Kubernetes version)."""
    rule = REGISTRY.get(rule_id)
    if rule is None:  # not registered: tests/lint/test_rules_registry.py keeps this from happening
        return {"id": rule_id, "shortDescription": {"text": rule_id}}
    tags = ["kubernetes", rule.category] + (["security"] if rule.category == POD_SECURITY else [])
    properties = {"tags": tags, "category": rule.category, "source": rule.source,
                  "problem.severity": _PROBLEM_SEVERITY[rule.severity]}
    if rule.since:
        properties["kubernetesVersion"] = rule.since
    return {
        "id": rule.id,
        "name": "".join(part[:1].upper() + part[1:] for part in rule.id.replace("_", "-").split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.remediation}\nSource: {rule.source}",
                 "markdown": f"{rule.remediation}\n\nSource: [{rule.source}]({rule.help_uri})"},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": properties,
    }


def rules_text(rules: tuple[Rule, ...], *, verbose: bool = False, width: int = 100) -> str:
    """The rules as ``lint --list-rules`` prints them: grouped by category, one line per rule (id, severity,
    first Kubernetes version, summary); ``verbose`` adds the description, the fix and the upstream source."""
    id_width = max((len(rule.id) for rule in rules), default=0)
    lines: list[str] = []
    for category in CATEGORIES:
        group = [rule for rule in rules if rule.category == category]
        if not group:
            continue
        lines.append(("\n" if lines else "") + f"{category} ({len(group)} rule{'s' * (len(group) != 1)})")
        for rule in group:
            since = f"{rule.since}+" if rule.since else "-"
            lead = f"  {rule.id:<{id_width}}  {rule.severity:<7}  {since:<5}  "
            lines.append(textwrap.fill(rule.summary, width=max(width, len(lead) + 30), initial_indent=lead,
                                       subsequent_indent=" " * len(lead), break_on_hyphens=False))
            if verbose:
                for label, text in (("", rule.description), ("fix: ", rule.remediation),
                                    ("source: ", f"{rule.source} <{rule.help_uri}>")):
                    lines.append(textwrap.fill(label + text, width=width, initial_indent=" " * 6,
                                               subsequent_indent=" " * 8, break_on_hyphens=False))
    return "\n".join(lines)


def rules_markdown(rules: tuple[Rule, ...]) -> str:
    """The rules as MyST Markdown for the reference page "Lint rules": per rule a definition (severity, first
    Kubernetes version, summary, description, fix, linked upstream source). No headings: the page gives each
    category its own section."""
    parts: list[str] = []
    for rule in rules:
        since = f"Kubernetes {rule.since} and later" if rule.since else "a rule of podnotes itself"
        parts.append(f"`{rule.id}`\n: **{rule.severity}**, {since}. {rule.summary}\n\n"
                     f"  {rule.description}\n\n  Fix: {rule.remediation}\n\n"
                     f"  Source: [{rule.source}]({rule.help_uri})\n")
    return "\n".join(parts)
