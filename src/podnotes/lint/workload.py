"""The rules of Deployment, DaemonSet and StatefulSet around their Pod template.

Mirrors ``pkg/apis/apps/validation/validation.go`` (Kubernetes 1.37): the
rolling-update budgets (:mod:`podnotes.kube.workloads`), a rollingUpdate block
under the Recreate or OnDelete strategy, and the names of a StatefulSet's
volumeClaimTemplates, which its Pods may mount like volumes.
"""

from __future__ import annotations

from ..kube.workloads import BudgetProblem, rolling_update_problems, statefulset_budget_problems
from ..manifest import Node
from .finding import ERROR, Finding
from .structure import located

# Where each kind keeps its strategy, and the strategy type that takes no rollingUpdate block.
STRATEGY = {"Deployment": ("strategy", "Recreate"), "DaemonSet": ("updateStrategy", "OnDelete"),
            "StatefulSet": ("updateStrategy", "OnDelete")}


def claim_template_names(root: Node) -> frozenset[str]:
    """The names of a StatefulSet's volumeClaimTemplates (empty for anything else)."""
    spec = root.get("spec")
    templates = spec.get("volumeClaimTemplates") if spec is not None and spec.kind == "map" else None
    names = set()
    for template in templates.value if templates is not None and templates.kind == "seq" else []:
        metadata = template.get("metadata") if template.kind == "map" else None
        name = metadata.scalar("name") if metadata is not None else None
        if isinstance(name, str):
            names.add(name)
    return frozenset(names)


def check_workload(root: Node, kind: str, findings: list[Finding]) -> None:
    """Rolling-update rules of a Deployment, DaemonSet or StatefulSet."""
    spec = root.get("spec")
    if kind not in STRATEGY or spec is None or spec.kind != "map":
        return
    field, no_rolling = STRATEGY[kind]
    strategy = spec.get(field)
    if strategy is None or strategy.kind != "map":
        return
    rolling = strategy.get("rollingUpdate")
    if rolling is None or rolling.kind != "map":
        return
    chosen = strategy.scalar("type")
    if chosen == no_rolling:
        wording = {"Recreate": "may not be specified when strategy `type` is 'Recreate'",
                   "OnDelete": "only allowed for updateStrategy 'RollingUpdate'"}[no_rolling]
        findings.append(located("field-constraint", ERROR, rolling, f"`rollingUpdate` has no effect with "
                                f"`type: {no_rolling}`: remove it or use RollingUpdate", at_key=True,
                                fix="remove rollingUpdate", server=f"{rolling.path}: Forbidden: {wording}"))
        return
    values = {name: node.value for name, node in rolling.value.items() if node.kind == "scalar"}
    problems = statefulset_budget_problems(values) if kind == "StatefulSet" else rolling_update_problems(kind, values)
    for problem in problems:
        findings.append(_budget_finding(rolling, problem))


def _budget_finding(rolling: Node, problem: BudgetProblem) -> Finding:
    node = rolling.get(problem.field) or rolling
    path = f"{rolling.path}.{problem.field}"
    if problem.required:
        server = f"{path}: Required value: {problem.reason}"
    else:
        value = node.value if node is not rolling else None
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        server = f"{path}: Invalid value: {shown}: {problem.reason}"
    return located("field-constraint", ERROR, node, f"`{problem.field}`: {_plain(problem)}",
                   at_key=node is not rolling, path=path, server=server, fix=_fix(problem))


def _plain(problem: BudgetProblem) -> str:
    if "percent" in problem.reason:
        return "a budget written as text must be a percentage such as `25%`; write a whole number without quotes"
    return problem.reason.replace("`", "")


def _fix(problem: BudgetProblem) -> str:
    if "percent" in problem.reason:
        return f"{problem.field}: 1 (a number) or {problem.field}: 25% (a percentage)"
    if "0" in problem.reason:
        return "maxUnavailable: 1 (one of the two budgets must allow progress)"
    return f"{problem.field}: 25%"
