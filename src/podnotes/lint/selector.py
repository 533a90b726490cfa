"""A workload's label selector, checked as the API server checks it.

Two upstream functions decide: ``ValidateLabelSelector`` (k8s.io/apimachinery
``pkg/apis/meta/v1/validation/validation.go``: each requirement's operator, its
values for that operator, its key and each value; ``matchLabels`` as labels),
then ``metav1.LabelSelectorAsSelector`` (``pkg/apis/meta/v1/helpers.go``),
which fails on the same selectors. What the second failure adds depends on the
kind (kube-apiserver 1.37):

* Deployment and ReplicaSet (``ValidateDeploymentSpec``,
  ``ValidateReplicaSetSpec``): ``spec.selector: Invalid value: {...}: invalid
  label selector``, and the Pod template is not validated at all;
* StatefulSet (``ValidateStatefulSetSpec``): the same line without a detail,
  and the template is not validated either (its ``restartPolicy`` and
  ``activeDeadlineSeconds`` are checked outside the template);
* DaemonSet and a Job with ``manualSelector: true`` (``ValidateDaemonSetSpec``,
  ``validateJobSpec``): nothing more; the template is still validated, only the
  selector-matches-labels check is skipped.
"""

from __future__ import annotations

import json

from ..manifest import Node
from .finding import ERROR, Finding
from .pod import LABEL_VALUE, label_key_problem
from .pod import check_label_map as _check_label_map
from .structure import located

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
LABEL_VALUE_MAX_BYTES = 63

# kind -> the detail of the extra "spec.selector: Invalid value" line (None: no such line), and whether the
# Pod template is still validated after a selector the server cannot turn into a labels.Selector
AFTER_INVALID = {
    "Deployment": (": invalid label selector", False),
    "ReplicaSet": (": invalid label selector", False),
    "StatefulSet": ("", False),
    "DaemonSet": (None, True),
    "Job": (None, True),
}

_VALUE_MESSAGE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                  "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def check_label_selector(selector: Node | None, kind: str, findings: list[Finding]) -> bool:
    """Check ``selector`` (a workload's ``spec.selector``); append the server's findings and return whether
    the server could use the selector (True when it is absent or not a mapping: other rules report that)."""
    if selector is None or selector.kind != "map":
        return True
    problems: list[Finding] = []
    labels = selector.get("matchLabels")
    if labels is not None and labels.kind == "map":
        _check_label_map(labels, problems)
    expressions = selector.get("matchExpressions")
    for requirement in expressions.value if expressions is not None and expressions.kind == "seq" else []:
        if requirement.kind == "map":
            problems.extend(requirement_problems(requirement))
    if not problems:
        return True
    findings.extend(problems)
    detail, _ = AFTER_INVALID.get(kind, (None, True))
    if detail is not None:
        findings.append(located("invalid-selector", ERROR, selector, "the controller cannot use this selector, so "
                                f"the API server refuses the {kind} (and checks nothing of its Pod template)",
                                at_key=True, fix="fix the selector's expressions first",
                                server=f"{selector.path}: Invalid value: {go_selector_json(selector)}{detail}"))
    return False


def template_validated(kind: str) -> bool:
    """Whether the server still validates the Pod template of a ``kind`` whose selector is invalid."""
    return AFTER_INVALID.get(kind, (None, True))[1]


def requirement_problems(requirement: Node) -> list[Finding]:
    """ValidateLabelSelectorRequirement: the operator and the values it allows, the key, each value."""
    problems = []
    operator = requirement.get("operator")
    values = requirement.get("values")
    given = values.value if values is not None and values.kind == "seq" else []
    op = operator.value if operator is not None and operator.kind == "scalar" else None
    base = requirement.path
    if op in ("In", "NotIn") and not given:
        problems.append(located("invalid-selector", ERROR, values or requirement, f"`operator: {op}` compares the "
                                "label with `values`: give at least one", at_key=True, path=f"{base}.values",
                                fix="values: [VALUE]", server=f"{base}.values: Required value: must be specified when "
                                "`operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist") and given:
        problems.append(located("invalid-selector", ERROR, values, f"`operator: {op}` looks at the key only: "  # type: ignore[arg-type]
                                "remove `values`", at_key=True, path=f"{base}.values", fix="remove values",
                                server=f"{base}.values: Forbidden: may not be specified when `operator` is 'Exists' "
                                "or 'DoesNotExist'"))
    elif op not in OPERATORS:
        shown = op if isinstance(op, str) else ""
        guess = next((known for known in OPERATORS if known.lower() == shown.lower()), None)
        problems.append(located("invalid-selector", ERROR, operator or requirement, f"`{shown}` is not a selector "
                                f"operator ({', '.join(OPERATORS)})" + (f"; did you mean `{guess}`?" if guess else ""),
                                at_key=operator is None, path=f"{base}.operator", fix=f"operator: {guess or 'In'}",
                                server=f'{base}.operator: Invalid value: "{shown}": not a valid selector operator'))
    key = requirement.get("key")
    key_text = key.value if key is not None and isinstance(key.value, str) else ""
    problem = label_key_problem(key_text)
    if problem:
        problems.append(located("invalid-selector", ERROR, key or requirement, f"`{key_text}` is not a valid label "
                                "key", at_key=key is None, path=f"{base}.key", fix="key: app",
                                server=f'{base}.key: Invalid value: "{key_text}": {problem}'))
    for index, value in enumerate(given):
        text = value.value if isinstance(value.value, str) else ""
        why = label_value_problem(text)
        if why:
            problems.append(located("invalid-selector", ERROR, value, f"`{text}` is not a valid label value",
                                    path=f"{base}.values[{index}]", fix="use letters, digits, '-', '_' and '.' only",
                                    server=f'{base}.values[{index}]: Invalid value: "{text}": {why}'))
    return problems


def label_value_problem(value: str) -> str | None:
    """IsValidLabelValue (k8s.io/apimachinery/pkg/util/validation): at most 63 bytes, the label regex."""
    if len(value.encode()) > LABEL_VALUE_MAX_BYTES:
        return f"must be no more than {LABEL_VALUE_MAX_BYTES} bytes"
    if not LABEL_VALUE.match(value):
        return _VALUE_MESSAGE
    return None


def go_selector_json(selector: Node) -> str:
    """The selector as the server prints it: Go's encoding/json of metav1.LabelSelector (fields in struct
    order, map keys sorted, empty fields left out)."""
    raw = selector.to_python()
    shown: dict = {}
    if raw.get("matchLabels"):
        shown["matchLabels"] = dict(sorted(raw["matchLabels"].items()))
    if raw.get("matchExpressions"):
        shown["matchExpressions"] = [
            {"key": item.get("key") or "", "operator": item.get("operator") or "",
             **({"values": item["values"]} if item.get("values") else {})}
            for item in raw["matchExpressions"] if isinstance(item, dict)]
    return json.dumps(shown, separators=(",", ":"), ensure_ascii=False)
