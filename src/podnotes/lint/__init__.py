"""Would the API server accept this Pod, and if not, why not?

``lint(source)`` checks Pods and the Pod templates inside Deployments,
ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs, in three layers:

1. reading: YAML syntax, limits, duplicate keys;
2. acceptance: unknown fields, types, required fields, enums, one-of rules,
   quantities, names, references, per-container-kind rules, restart policy per
   context; each such finding is an ``error`` and carries the API server's own
   message;
3. advice (``warning``/``info``): image tags and the pull-policy default,
   resources and QoS, readiness probes, naked Pods, Pod Security Standards.

Every finding has a rule id, a severity, a ``file:line:column`` (None for plain
Python input), the API field path, a plain explanation and a minimal fix.
A finding can be silenced with the annotation
``podnotes.io/ignore: "RULE=reason, RULE2=reason"`` on the object (or on its
Pod template); the reason is required.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..kube.enums import PSS_LEVELS as LEVELS
from ..manifest import Document, Node, iter_load
from . import advice
from .finding import ERROR, INFO, SEVERITIES, UNREADABLE_RULES, WARNING, Finding
from .pod import PodRules, check_label_map, check_metadata
from .schema import KINDS, CatalogueError, available_versions, catalogue, default_version
from .selector import check_label_selector, template_validated
from .structure import StructureChecker, located
from .warnings import check_pod_warnings
from .workload import check_workload, claim_template_names

__all__ = ["Finding", "Options", "READINGS", "lint", "lint_documents", "exit_code", "ERROR", "WARNING", "INFO",
           "SEVERITIES",
           "LEVELS", "IGNORE_ANNOTATION", "available_versions", "default_version", "CatalogueError", "pod_spec_of"]

IGNORE_ANNOTATION = "podnotes.io/ignore"
_CONTEXT = {"Pod": "pod", "Job": "job", "CronJob": "job"}


# How the manifest reaches the API server, for what only that decides (a key given twice, or set again by a
# merge key): "kubectl" - kubectl decodes the file and sends JSON holding the value set last, which the server
# accepts; "raw" - the file's bytes are the request body (application/yaml, as `kubectl create --raw`, curl or a
# client library send it) and the server decodes them strictly (fieldValidation=Strict, kubectl's default) and
# refuses the duplicate.
READINGS = ("kubectl", "raw")


@dataclass
class Options:
    k8s_version: str | None = None
    level: str = "baseline"
    advice: bool = True
    disabled: frozenset[str] = field(default_factory=frozenset)
    reading: str = "kubectl"  # one of READINGS


def lint(source: Any, *, k8s_version: str | None = None, level: str = "baseline", advice: bool = True,
         disable: tuple[str, ...] | list[str] = (), name: str | None = None, reading: str = "kubectl") -> list[Finding]:
    """Check manifests and return every finding, sorted by file and position.

    ``source`` may be a path (file or folder), ``"-"`` for stdin, YAML text,
    bytes, a loaded :class:`~podnotes.manifest.Document` (or a list of them),
    a Node tree, or a plain Python dict (then findings have no line/column).
    ``level`` is the Pod Security Standard to hold Pods to (``baseline``,
    ``restricted``, or ``privileged`` for none); ``advice=False`` keeps only
    what the API server answers: what it would reject and the warnings it
    returns (:mod:`podnotes.lint.warnings`). ``reading`` says how the manifest reaches the
    server (``READINGS``): ``"kubectl"`` (a key given twice is a warning: kubectl
    sends the value set last) or ``"raw"`` (the file is the request body: the server's
    strict decoding refuses it, an error). Raises CatalogueError for a Kubernetes
    version the installed schemas do not cover, ValueError for an unknown level or reading.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {', '.join(READINGS)}, not {reading!r}")
    options = Options(k8s_version, level, advice, frozenset(disable), reading)
    catalogue(k8s_version)  # fail early on an unknown version
    return lint_documents(iter_load(source, name=name), options)


# Findings reported per call; past it one summary finding stands for the rest.
# A Pod of 5,000 containers makes 20,000 findings, which nobody reads and which
# cost seconds to print as SARIF.
MAX_FINDINGS = 2_000


def lint_documents(documents: Iterable[Document], options: Options | None = None, *,
                   limit: int | None = MAX_FINDINGS) -> list[Finding]:
    """Every finding of ``documents``, sorted by file and position; at most ``limit`` (None: all of them).

    Past the limit the rest are summarised by one finding (rule
    ``findings-truncated``) whose severity is the highest of those left out, so
    the exit code stays what all of them would give.
    """
    options = options or Options()
    findings: list[Finding] = []
    scanned: tuple[str | None, bool] = (None, True)  # the last input's text, and whether it may hold a template
    for document in documents:
        if document.text is not scanned[0]:
            scanned = (document.text, _may_hold_template(document.text))
        hint = _template_hint(document) if options.advice and scanned[1] else []
        findings.extend(_about(document, hint + _lint_document(document, options)))
    return ordered(findings, limit)


def ordered(findings: list[Finding], limit: int | None = MAX_FINDINGS) -> list[Finding]:
    """``findings`` sorted by file and position (stable, so one position keeps the order of its checks), cut
    to ``limit`` as :func:`lint_documents` does; parts checked apart and joined in input order come out as one
    pass over all of them would give them."""
    findings.sort(key=lambda f: (f.file or "", f.line or 0, f.column or 0))
    return findings if limit is None else _at_most(findings, limit)


_TEMPLATE = re.compile(r"\{\{-?\s*[.$\w(\"/-].*?\}\}")


def _may_hold_template(text: str | None) -> bool:
    """Whether an input's values could hold template syntax: not without ``{{`` in its text, unless an escape
    (``\\x7b``) could make one; once per input, so no document's tree is walked for nothing."""
    return text is None or "{{" in text or "\\" in text


def _template_hint(document: Document) -> list[Finding]:
    """A value such as ``"{{ .Values.image }}"``: the file is an unrendered Helm or Go template, so what lint
    (and the API server) would see is not what the chart installs."""
    from ..manifest import walk

    if document.root is None:
        return []
    node = next((n for n in walk(document.root) if isinstance(n.value, str) and _TEMPLATE.search(n.value)), None)
    if node is None:
        return []
    return [located("unrendered-template", WARNING, node, f"`{node.value}` is template syntax: this looks like an "
                    "unrendered Helm or Go template, so the other findings are about the template, not about "
                    "what it renders to", at_key=False,
                    fix="render it first: `helm template RELEASE CHART | podnotes lint -f -`")]


def _about(document: Document, findings: list[Finding]) -> list[Finding]:
    """Name the object (kind, namespace, name, document index) on each finding of ``document``."""
    kind, name = _text(document.kind), _text(document.name)
    metadata = document.root.get("metadata") if document.root is not None and document.root.kind == "map" else None
    namespace = _text(metadata.scalar("namespace")) if metadata is not None and metadata.kind == "map" else ""
    # an item of a List reaches the server alone, so the server's messages name its fields without `items[N].`
    item_prefix = document.root.path + "." if document.root is not None and document.root.nested else ""
    for finding in findings:
        if finding.document is None:
            finding.kind, finding.namespace, finding.name, finding.document = kind, namespace, name, document.index
        if item_prefix and finding.server_message:
            finding.server_message = finding.server_message.replace(item_prefix, "")
    return findings


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _at_most(findings: list[Finding], limit: int) -> list[Finding]:
    """The ``limit - 1`` most important findings in their order (unreadable input first, then by
    severity), and one finding that counts the rest and carries their highest severity."""
    if len(findings) <= limit:
        return findings
    order = {severity: rank for rank, severity in enumerate(SEVERITIES)}
    ranked = sorted(range(len(findings)), key=lambda i: (findings[i].rule not in UNREADABLE_RULES,
                                                         order[findings[i].severity]))
    keep = set(ranked[:limit - 1])
    kept = [finding for index, finding in enumerate(findings) if index in keep]
    left = [finding for index, finding in enumerate(findings) if index not in keep]
    counts = Counter(finding.severity for finding in left)
    by_rule = ", ".join(f"{rule} ({count:,})" for rule, count in Counter(f.rule for f in left).most_common(5))
    shown = ", ".join(f"{counts[severity]:,} {severity}" for severity in SEVERITIES if counts[severity])
    worst = min((finding.severity for finding in left), key=order.__getitem__)
    return kept + [Finding(
        "findings-truncated", worst,
        f"{len(left):,} more findings are not shown ({shown}; most often {by_rule}): at most {limit:,} are "
        "reported at once", left[0].file, fix="fix what is shown first, or check fewer objects at a time")]


def exit_code(findings: list[Finding]) -> int:
    """0 clean (or info only), 1 advice only, 2 the server would reject something, 3 unreadable input."""
    if any(f.rule in UNREADABLE_RULES for f in findings):
        return 3
    if any(f.severity == ERROR for f in findings):
        return 2
    if any(f.severity == WARNING for f in findings):
        return 1
    return 0


def pod_spec_of(root: Node) -> tuple[Node | None, str | None]:
    """The Pod spec Node of a checked kind and its context ("pod", "workload", "job")."""
    kind = root.scalar("kind")
    if kind not in KINDS:
        return None, None
    node: Node | None = root
    for key in KINDS[kind][2].split("."):
        node = node.get(key) if node is not None else None
    return node, _CONTEXT.get(kind, "workload")


def _lint_document(document: Document, options: Options) -> list[Finding]:
    file = document.file
    if document.error is not None:
        error = document.error
        return [Finding(error.rule, ERROR, error.message, file, error.line, error.column, error.path,
                        fix=_LOAD_FIXES.get(error.rule, ""))]
    findings = _duplicate_keys(document, options)
    root = document.root
    if root is None:
        return findings
    if root.kind != "map":
        what = "a list" if root.kind == "seq" else "a plain value"
        findings.append(located("not-an-object", ERROR, root, f"this document is {what}, not an object: a manifest "
                                "must be a mapping with apiVersion, kind, metadata and spec (kubectl cannot decode "
                                "it either)", server="Object 'Kind' is missing in the document"))
        return findings
    kind = root.get("kind")
    if kind is None or not isinstance(kind.value, str) or not kind.value:
        findings.append(located("required-field", ERROR, kind or root, "`kind` is missing: say what this is (Pod, "
                                "Deployment, ...)", path="kind", server="Object 'Kind' is missing in the document",
                                fix="kind: Pod"))
        return findings
    if kind.value not in KINDS:
        proper = next((name for name in KINDS if name.lower() == kind.value.lower()), None)
        if proper is not None:
            findings.append(_kind_case(root, kind, proper))
            return findings
        findings.append(located("kind-not-checked", INFO, kind,
                                f"`{kind.value}` objects are not checked (checked kinds: {', '.join(KINDS)})",
                                at_key=False))
        return findings
    api_version, definition, _ = KINDS[kind.value]
    found_version = root.get("apiVersion")
    if found_version is None or found_version.value != api_version:
        shown = found_version.value if found_version is not None else ""
        findings.append(located(
            "api-version", ERROR, found_version or root,
            f"a {kind.value} is `apiVersion: {api_version}`" + (f", not `{shown}`" if shown else " (missing)"),
            at_key=False, path="apiVersion", fix=f"apiVersion: {api_version}",
            server=f'no matches for kind "{kind.value}" in version "{shown}"'))
        if found_version is not None:
            return findings
    checker = StructureChecker(catalogue(options.k8s_version), findings, KINDS[kind.value][2])
    checker.check_object(root, checker.catalogue.object(definition))
    check_metadata(root.get("metadata"), root, True, findings)
    spec, context = pod_spec_of(root)
    selects = context == "workload" or (kind.value == "Job" and _manual_selector(root))
    own_spec = root.get("spec")
    selector = own_spec.get("selector") if selects and own_spec is not None and own_spec.kind == "map" else None
    usable = check_label_selector(selector, kind.value, findings) if selects else True
    if selects and usable and (spec is None or spec.kind == "map"):  # a missing template has no labels either
        _check_selector(root, findings)
    if spec is not None and spec.kind == "map":
        validated_from = len(findings)
        if context != "pod":
            _check_template_metadata(root, kind.value, findings)
        if context != "pod":
            check_workload(root, kind.value, findings)
        PodRules(spec, context, findings, int(checker.catalogue.version.split(".")[1]),  # type: ignore[arg-type]
                 claim_template_names(root), kind.value).run()
        if not usable and not template_validated(kind.value):
            findings[validated_from:] = [f for f in findings[validated_from:]
                                         if not _checked_with_template(f, kind.value)]
        check_pod_warnings(spec, findings, checker.catalogue.version, pod=context == "pod")
        if options.advice:
            advice.check_pod(spec, kind.value, root, options.level, checker.catalogue.version, findings)
    elif spec is None:
        findings.append(located("required-field", ERROR, root, f"this {kind.value} has no Pod spec at "
                                f"`{KINDS[kind.value][2]}`", path=f"{KINDS[kind.value][2]}.containers",
                                server=f"{KINDS[kind.value][2]}.containers: Required value"))
        if context == "job":  # ValidateJobSpec: a Job's Pods must say what happens when they end
            policy = f"{KINDS[kind.value][2]}.restartPolicy"
            findings.append(located("restart-policy-context", ERROR, root, f"a {kind.value}'s Pod template must set "
                                    "`restartPolicy` to OnFailure or Never", path=policy,
                                    server=f'{policy}: Required value: valid values: "OnFailure", "Never"'))
    if not options.advice:
        findings = [f for f in findings if not _advice_only(f)]
    return _suppress(_unique(findings), root, options.disabled)


def _duplicate_keys(document: Document, options: Options) -> list[Finding]:
    """Keys set twice: an error when the file is the request body (the server's strict decoding refuses it),
    advice when kubectl reads it (it sends the value set last and the server accepts the object). Either way
    the message says what both ways do."""
    raw = options.reading == "raw"
    if not raw and not options.advice:
        return []
    return [Finding("duplicate-key", ERROR if raw else WARNING, dup.raw_message if raw else dup.message,
                    document.file, dup.line, dup.column,
                    dup.path, fix="delete the line whose value should not count",
                    server_message=dup.server_message)
            for dup in document.duplicates]


def _check_template_metadata(root: Node, kind: str, findings: list[Finding]) -> None:
    """The Pod template's labels, named as the server names them: ValidatePodTemplateSpec reports
    ``spec.template.labels`` (the template's metadata is inlined); a Job without labels of its own takes the
    template's (SetDefaults_Job), so the server reports them at ``metadata.labels`` too."""
    template_path = KINDS[kind][2].rpartition(".")[0]  # spec.template, spec.jobTemplate.spec.template
    metadata: Node | None = root
    for key in template_path.split(".") + ["metadata"]:
        metadata = metadata.get(key) if metadata is not None else None
    check_metadata(metadata, root, False, findings, f"{template_path}.labels")
    own = root.get("metadata")
    own_labels = own.get("labels") if own is not None else None
    labels = metadata.get("labels") if metadata is not None else None
    if kind == "Job" and labels is not None and labels.kind == "map" and (own_labels is None or not own_labels.value):
        check_label_map(labels, findings, "metadata.labels")


# Checked by ValidateStatefulSetSpec itself, not by ValidatePodTemplateSpecForStatefulSet: still reported when
# the selector is unusable and the template goes unchecked.
_STATEFULSET_OWN = ("spec.template.spec.restartPolicy", "spec.template.spec.activeDeadlineSeconds")


def _checked_with_template(finding: Finding, kind: str) -> bool:
    """An error the server finds only while validating the Pod template, which it skips for a Deployment,
    ReplicaSet or StatefulSet whose selector it cannot use (see :mod:`podnotes.lint.selector`)."""
    path = finding.path or ""
    if finding.severity != ERROR or not path.startswith("spec.template"):
        return False
    return not (kind == "StatefulSet" and path.startswith(_STATEFULSET_OWN))


def _advice_only(finding: Finding) -> bool:
    """A warning of podnotes' own, not one the API server gives (those carry its words in server_message)."""
    return finding.severity == WARNING and not finding.server_message


def _kind_case(root: Node, kind: Node, proper: str) -> Finding:
    """``kind: pod``: kinds are case-sensitive, so the API server's decoder knows no such kind. The server's
    words come from transformDecodeError (k8s.io/apiserver/pkg/endpoints/handlers/rest.go) around the
    scheme's notRegisteredErr (k8s.io/apimachinery/pkg/runtime/error.go)."""
    api_version = root.scalar("apiVersion") or ""
    version = api_version.rpartition("/")[2]
    return located("kind-case", ERROR, kind, f"`kind: {kind.value}` is not a kind: kinds are case-sensitive, "
                   f"and the API server refuses this one; write `kind: {proper}`", at_key=False, path="kind",
                   fix=f"kind: {proper}",
                   server=f'{kind.value} in version "{version}" cannot be handled as a {proper}: no kind '
                          f'"{kind.value}" is registered for version "{api_version}" in scheme '
                          '"pkg/runtime/scheme.go:111"')


def _manual_selector(root: Node) -> bool:
    spec = root.get("spec")
    return spec is not None and spec.scalar("manualSelector") is True


def _check_selector(root: Node, findings: list[Finding]) -> None:
    """A controller's selector must match its own Pod template's labels, or it could never find its Pods.

    No selector at all matches nothing (metav1.LabelSelectorAsSelector(nil) is labels.Nothing()), so the
    server also reports the template's labels; a DaemonSet reports only that (ValidateDaemonSetSpec has no
    Required check of its own), while Deployment, ReplicaSet and a Job with manualSelector also say
    ``spec.selector: Required value``."""
    spec = root.get("spec")
    selector = spec.get("selector") if spec is not None else None
    match = selector.get("matchLabels") if selector is not None else None
    template = spec.get("template") if spec is not None else None
    metadata = template.get("metadata") if template is not None else None
    labels = metadata.get("labels") if metadata is not None else None
    if labels is not None and labels.kind != "map":
        return
    have = {k: v.value for k, v in labels.value.items()} if labels is not None else {}
    if selector is None or (selector.kind == "scalar" and selector.value is None):
        if root.scalar("kind") == "DaemonSet":
            findings[:] = [f for f in findings if not (f.rule == "required-field" and f.path == "spec.selector")]
        if root.scalar("kind") == "Job":  # ValidateJobSpec with manualSelector: the selector is the user's to give
            findings.append(located("required-field", ERROR, spec, "with `manualSelector: true` the Job needs a "  # type: ignore[arg-type]
                                    "`selector`", path="spec.selector", server="spec.selector: Required value",
                                    fix="selector:\n  matchLabels: {app: NAME}"))
        findings.append(_selector_mismatch(labels or metadata or template or spec or root, have,
                                           "there is no selector, so the controller could never find the Pods "
                                           "it creates", "selector:\n  matchLabels: {app: NAME}"))
        return
    if match is None or match.kind != "map":
        return
    wanted = {k: v.value for k, v in match.value.items()}
    missing = {k: v for k, v in wanted.items() if have.get(k) != v}
    if missing:
        findings.append(_selector_mismatch(
            labels or metadata or template or spec,  # type: ignore[arg-type]
            have, "the template's labels do not carry the selector's "
            + ", ".join(f"{k}={v}" for k, v in missing.items()) + ": the controller could never find the Pods it "
            "creates", "labels:\n" + "".join(f"  {k}: {v}\n" for k, v in wanted.items()).rstrip()))


def _selector_mismatch(where: Node, labels: dict, message: str, fix: str) -> Finding:
    shown = ",".join(f'"{k}":"{v}"' for k, v in labels.items())
    return located("selector-mismatch", ERROR, where, message, at_key=True, path="spec.template.metadata.labels",
                   fix=fix, server=f"spec.template.metadata.labels: Invalid value: {{{shown}}}: `selector` does not "
                                   "match template `labels`")


_LOAD_FIXES = {
    "yaml-syntax": "fix the YAML at this position (indent with spaces; close quotes and brackets)",
    "yaml-limit": "split the input or remove the anchors and aliases that multiply it",
    "yaml-tag": "remove the tag; write plain YAML values",
    "unreadable": "pass a readable UTF-8 YAML or JSON file",
}


def _unique(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.line, finding.column, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _ignore_rules(root: Node) -> tuple[dict[str, str], list[Finding]]:
    rules: dict[str, str] = {}
    problems: list[Finding] = []
    spec, _ = pod_spec_of(root)
    holders = [root.get("metadata")]
    if spec is not None and spec is not root.get("spec"):
        template = root.get("spec")
        for key in (KINDS[root.scalar("kind")][2].split(".")[1:-1]):
            template = template.get(key) if template is not None else None
        holders.append(template.get("metadata") if template is not None else None)
    for metadata in holders:
        annotations = metadata.get("annotations") if metadata is not None else None
        node = annotations.get(IGNORE_ANNOTATION) if annotations is not None else None
        if node is None or not isinstance(node.value, str):
            continue
        for item in filter(None, (part.strip() for part in re.split(r"[,\n]", node.value))):
            rule, _, reason = item.partition("=")
            if not reason.strip():
                problems.append(located("ignore-without-reason", WARNING, node,
                                        f"`{rule.strip()}` is ignored without a reason; write `{rule.strip()}=why`",
                                        at_key=False, fix=f"{rule.strip()}=REASON"))
                continue
            rules[rule.strip()] = reason.strip()
    return rules, problems


def _suppress(findings: list[Finding], root: Node, disabled: frozenset[str]) -> list[Finding]:
    ignored, problems = _ignore_rules(root)
    return [f for f in findings if f.rule not in ignored and f.rule not in disabled] + problems
