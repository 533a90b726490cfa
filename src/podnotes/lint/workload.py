"""The rules of the workload kinds around their Pod template.

Mirrors ``pkg/apis/apps/validation/validation.go`` and
``pkg/apis/batch/validation/validation.go`` (Kubernetes 1.37): the
rolling-update budgets (:mod:`podnotes.kube.workloads`), a rollingUpdate block
under the Recreate or OnDelete strategy, counts and durations that cannot be
negative, a Deployment's progress deadline, a Job's per-index and failure
policies, a CronJob's schedule, time zone and name length (:mod:`podnotes.kube.cron`),
and the names of a StatefulSet's volumeClaimTemplates, which its Pods may mount
like volumes.
"""

from __future__ import annotations

import json

from ..kube.cron import schedule_problem, time_zone_problem
from ..kube.workloads import (
    ACCESS_MODES,
    CRONJOB_NAME_MAX,
    DEFAULT_PROGRESS_DEADLINE_SECONDS,
    MAX_PARALLELISM_FOR_INDEXED,
    NONNEGATIVE,
    BudgetProblem,
    rolling_update_problems,
    statefulset_budget_problems,
)
from ..manifest import Node
from .finding import ERROR, Finding
from .pod import DNS1123_SUBDOMAIN
from .rules_table import ENUMS
from .selector import LABEL_VALUE_MAX_BYTES, label_value_problem
from .structure import did_you_mean, located

# Where each kind keeps its strategy, and the strategy type that takes no rollingUpdate block (None: the
# server ignores the block, as it does for a DaemonSet with OnDelete).
STRATEGY = {"Deployment": ("strategy", "Recreate"), "DaemonSet": ("updateStrategy", None),
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


def check_claim_templates(root: Node, findings: list[Finding]) -> None:
    """The server adds each claim template not already named among the Pod's volumes as a volume
    ``{name, persistentVolumeClaim: {claimName: name}}`` after them, then validates the Pod spec: a template
    without a name leaves that volume without a name and a claim (checked against kube-apiserver 1.37)."""
    spec = root.get("spec")
    templates = _at(spec, "volumeClaimTemplates")
    pod_spec = _at(spec, "template.spec")
    if templates is None or templates.kind != "seq" or pod_spec is None:
        return
    volumes = _at(pod_spec, "volumes")
    existing = [v.scalar("name") for v in volumes.value if v.kind == "map"] \
        if volumes is not None and volumes.kind == "seq" else []
    index = len(volumes.value) if volumes is not None and volumes.kind == "seq" else 0
    for template in templates.value:
        name = _at(template, "metadata.name")
        value = name.value if name is not None and name.kind == "scalar" else None
        if value in existing and value:
            continue
        if not value:
            base = f"{pod_spec.path}.volumes[{index}]"
            for path in (f"{base}.persistentVolumeClaim.claimName", f"{base}.name"):
                findings.append(located("required-field", ERROR, name or template, "this volumeClaimTemplate has "
                                        "no `metadata.name`: the Pods would get a volume without a name",
                                        at_key=name is not None, path=path, fix="metadata: {name: data}",
                                        server=f"{path}: Required value"))
        index += 1


def check_workload(root: Node, kind: str, findings: list[Finding]) -> None:
    """The rules of a workload's own spec (not its Pod template)."""
    spec = root.get("spec")
    if spec is None or spec.kind != "map":
        return
    check_nonnegative(spec, kind, findings)
    if kind in EMPTY_SELECTOR_WORD:
        check_empty_selector(spec, kind, findings)
    if kind == "Deployment":
        check_progress_deadline(spec, findings)
    if kind == "Job":
        check_job(spec, findings)
        check_job_name_labels(root, findings)
    if kind == "CronJob":
        check_cronjob(root, spec, findings)
        job_spec = _at(spec, "jobTemplate.spec")
        if job_spec is not None and job_spec.kind == "map":
            check_job(job_spec, findings)
    if kind == "StatefulSet":
        check_claim_templates(root, findings)
        check_claim_template_specs(root, findings)
    if kind in STRATEGY:
        check_strategy(spec, kind, findings)
    check_template_deadline(spec, kind, findings)
    if kind == "StatefulSet":
        check_statefulset_name(root, findings)


# ValidatePodTemplateSpecForReplicaSet (Deployment and ReplicaSet) and ValidatePodTemplateSpecForStatefulSet:
# the word each uses for a template's activeDeadlineSeconds, which would end every Pod the controller keeps.
_DEADLINE_WORD = {"Deployment": "ReplicaSet", "ReplicaSet": "ReplicaSet", "StatefulSet": "StatefulSet"}


def check_template_deadline(spec: Node, kind: str, findings: list[Finding]) -> None:
    deadline = _at(spec, "template.spec.activeDeadlineSeconds")
    if kind not in _DEADLINE_WORD or deadline is None or (deadline.kind == "scalar" and deadline.value is None):
        return
    findings.append(located("field-constraint", ERROR, deadline, "`activeDeadlineSeconds` ends a Pod after "
                            f"that many seconds, which a {kind} would replace at once: it is not allowed here",
                            fix="remove activeDeadlineSeconds", server=f"{deadline.path}: Forbidden: "
                            f"activeDeadlineSeconds in {_DEADLINE_WORD[kind]} is not Supported"))


def check_statefulset_name(root: Node, findings: list[Finding]) -> None:
    """A StatefulSet names its Pods NAME-0, NAME-1 ... and they become host names: ValidateStatefulSetName
    (pkg/apis/apps/validation) refuses dots."""
    name = _at(root, "metadata.name")
    if name is not None and isinstance(name.value, str) and "." in name.value:
        findings.append(located("invalid-name", ERROR, name, f"`{name.value}` has a dot: a StatefulSet's name "
                                "becomes its Pods' host names, which cannot hold dots", at_key=False,
                                fix=f"name: {name.value.replace('.', '-')}",
                                server=f'metadata.name: Invalid value: "{name.value}": must not contain dots'))


# ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateDaemonSetSpec, ValidateStatefulSetSpec: the word
# each uses in "empty selector is invalid for ..." (a ReplicaSet borrows the Deployment's).
EMPTY_SELECTOR_WORD = {"Deployment": "deployment", "ReplicaSet": "deployment", "DaemonSet": "daemonset",
                       "StatefulSet": "statefulset"}


def check_empty_selector(spec: Node, kind: str, findings: list[Finding]) -> None:
    """A selector with no labels and no expressions would select every Pod of the namespace."""
    selector = spec.get("selector")
    if selector is None or selector.kind != "map":
        return
    if any(_non_empty(selector.get(key)) for key in ("matchLabels", "matchExpressions")):
        return
    findings.append(located("selector-mismatch", ERROR, selector, "an empty selector would select every Pod in the "
                            "namespace; name the template's labels in `matchLabels`", at_key=True,
                            fix="matchLabels: {app: NAME}", server=f"{selector.path}: Invalid value: {{}}: empty "
                            f"selector is invalid for {EMPTY_SELECTOR_WORD[kind]}"))


def _non_empty(node: Node | None) -> bool:
    return node is not None and node.kind in ("map", "seq") and bool(node.value)


def _at(node: Node | None, dotted: str) -> Node | None:
    for key in dotted.split("."):
        node = node.get(key) if node is not None and node.kind == "map" else None
    return node


def _integer(node: Node | None) -> int | None:
    if node is None or node.kind != "scalar" or isinstance(node.value, bool) or not isinstance(node.value, int):
        return None
    return node.value


def _error(node: Node, message: str, server: str, fix: str, *, rule: str = "field-constraint") -> Finding:
    return located(rule, ERROR, node, message, fix=fix, server=server)


def check_nonnegative(spec: Node, kind: str, findings: list[Finding]) -> None:
    for dotted in NONNEGATIVE.get(kind, ()):
        node = _at(spec, dotted)
        value = _integer(node)
        if value is not None and value < 0:
            findings.append(_error(node, f"`{dotted.rsplit('.', 1)[-1]}` cannot be negative",  # type: ignore[arg-type]
                                   f"{node.path}: Invalid value: {value}: must be greater than or equal to 0",  # type: ignore[union-attr]
                                   f"{dotted.rsplit('.', 1)[-1]}: 0"))


def check_progress_deadline(spec: Node, findings: list[Finding]) -> None:
    """ValidateDeploymentSpec: progressDeadlineSeconds (600 unless given) must exceed minReadySeconds."""
    node = spec.get("progressDeadlineSeconds")
    deadline = _integer(node)
    ready = _integer(spec.get("minReadySeconds")) or 0
    if node is not None and deadline is not None and deadline >= 0 and deadline <= ready:
        findings.append(_error(node, "`progressDeadlineSeconds` must be longer than `minReadySeconds`: a rollout "
                               "would be declared stuck before a Pod could count as available",
                               f"{node.path}: Invalid value: {deadline}: must be greater than minReadySeconds",
                               f"progressDeadlineSeconds: {max(ready + 1, DEFAULT_PROGRESS_DEADLINE_SECONDS)}"))


def check_job(spec: Node, findings: list[Finding]) -> None:
    """validateJobSpec: per-index backoff needs Indexed completion, a failure policy's exit codes, and the
    replacement policy a failure policy allows."""
    indexed = spec.scalar("completionMode") == "Indexed"
    per_index = spec.get("backoffLimitPerIndex")
    if _integer(per_index) is not None and not indexed:
        findings.append(_error(per_index, "`backoffLimitPerIndex` counts failures per index, so the Job needs "  # type: ignore[arg-type]
                               "`completionMode: Indexed`",
                               f"{per_index.path}: Invalid value: {per_index.value}: requires indexed completion "  # type: ignore[union-attr]
                               "mode", "completionMode: Indexed"))
    max_failed = spec.get("maxFailedIndexes")
    if _integer(max_failed) is not None and not indexed:
        findings.append(_error(max_failed, "`maxFailedIndexes` counts failed indexes, so the Job needs "  # type: ignore[arg-type]
                               "`completionMode: Indexed`",
                               f"{max_failed.path}: Invalid value: {max_failed.value}: requires indexed completion "  # type: ignore[union-attr]
                               "mode", "completionMode: Indexed"))
    if _integer(max_failed) is not None and _integer(per_index) is None:
        findings.append(located("required-field", ERROR, max_failed, "`maxFailedIndexes` needs "  # type: ignore[arg-type]
                                "`backoffLimitPerIndex`", at_key=True, path=f"{spec.path}.backoffLimitPerIndex",
                                fix="backoffLimitPerIndex: 1",
                                server=f"{spec.path}.backoffLimitPerIndex: Required value: when maxFailedIndexes "
                                       "is specified"))
    completions = _integer(spec.get("completions"))
    if _integer(max_failed) is not None and completions is not None and indexed and _integer(max_failed) > completions:  # type: ignore[operator]
        findings.append(_error(max_failed, "`maxFailedIndexes` cannot exceed the number of indexes (`completions`)",  # type: ignore[arg-type]
                               f"{max_failed.path}: Invalid value: {max_failed.value}: must be less than or equal "  # type: ignore[union-attr]
                               "to completions", f"maxFailedIndexes: {completions}"))
    parallelism = spec.get("parallelism")
    if indexed and (_integer(parallelism) or 0) > MAX_PARALLELISM_FOR_INDEXED:
        findings.append(_error(parallelism, f"an Indexed Job runs at most {MAX_PARALLELISM_FOR_INDEXED:,} Pods at "  # type: ignore[arg-type]
                               "once", f"{parallelism.path}: Invalid value: {parallelism.value}: must be less than "  # type: ignore[union-attr]
                               f"or equal to {MAX_PARALLELISM_FOR_INDEXED} when completion mode is Indexed",
                               f"parallelism: {MAX_PARALLELISM_FOR_INDEXED}"))
    check_job_selector(spec, findings)
    check_success_policy(spec, completions, findings)
    check_failure_policy(spec, _integer(per_index) is not None, findings)
    check_managed_by(spec, findings)
    success = spec.get("successPolicy")
    if success is not None and success.kind == "map" and not indexed:
        findings.append(_error(success, "a `successPolicy` names indexes, so the Job needs "
                               "`completionMode: Indexed`", f"{success.path}: Invalid value: "
                               f"{_go_json(success.to_python())}: requires indexed completion mode",
                               "completionMode: Indexed"))
    failure = spec.get("podFailurePolicy")
    replacement = spec.get("podReplacementPolicy")
    if failure is not None and failure.kind == "map" and replacement is not None \
            and isinstance(replacement.value, str) and replacement.value != "Failed":
        findings.append(_error(replacement, "with a `podFailurePolicy`, a failed Pod is replaced only once it has "
                               "fully terminated: `podReplacementPolicy` must be Failed",
                               f'{replacement.path}: Unsupported value: "{replacement.value}": supported values: '
                               '"Failed"', "podReplacementPolicy: Failed", rule="invalid-enum"))


def check_failure_policy(spec: Node, per_index: bool, findings: list[Finding]) -> None:
    """validatePodFailurePolicy: the template's restartPolicy, one requirement per rule, exit codes."""
    failure = spec.get("podFailurePolicy")
    if failure is None or failure.kind != "map":
        return
    restart = _at(spec, "template.spec.restartPolicy")
    if restart is not None and isinstance(restart.value, str) and restart.value != "Never":
        findings.append(_error(restart, "with a `podFailurePolicy` the Job itself decides about failed Pods, so "
                               "the template's `restartPolicy` must be Never",
                               f'{restart.path}: Invalid value: "{restart.value}": only "Never" is supported when '
                               "podFailurePolicy is specified", "restartPolicy: Never"))
    rules = failure.get("rules")
    for rule in rules.value if rules is not None and rules.kind == "seq" else []:
        if rule.kind != "map":
            continue
        codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if (codes is None) == (conditions is None):
            wording = ("specifying both OnExitCodes and OnPodConditions is not supported" if codes is not None else
                       "specifying one of OnExitCodes and OnPodConditions is required")
            findings.append(_error(rule, "a failure policy rule matches either exit codes or Pod conditions, "
                                   "exactly one of them", f"{rule.path}: Invalid value: {wording}",
                                   "onExitCodes: {operator: In, values: [1]}"))
        action = rule.get("action")
        if action is not None and action.value == "FailIndex" and not per_index:
            findings.append(_error(action, "`FailIndex` fails one index, which needs `backoffLimitPerIndex`",
                                   f'{action.path}: Invalid value: "FailIndex": requires the backoffLimitPerIndex '
                                   "to be set", "backoffLimitPerIndex: 1 (and completionMode: Indexed)"))
        check_exit_codes(codes, findings)


def check_exit_codes(codes: Node | None, findings: list[Finding]) -> None:
    values = _at(codes, "values")
    if values is None or values.kind != "seq":
        return
    numbers = [_integer(value) for value in values.value]
    if codes.scalar("operator") == "In":  # type: ignore[union-attr]
        for value, number in zip(values.value, numbers, strict=False):
            if number == 0:
                findings.append(_error(value, "exit code 0 is success, so it cannot be matched with `operator: In` "
                                       "in a failure policy", f"{value.path}: Invalid value: 0: must not be 0 for "
                                       "the In operator", "use exit codes other than 0"))
    known = [number for number in numbers if number is not None]
    if known != sorted(known):
        findings.append(_error(values, "list the exit codes in ascending order",
                               f"{values.path}: Invalid value: {_go_json(known)}: must be ordered",
                               f"values: {sorted(known)}"))


def check_success_policy(spec: Node, completions: int | None, findings: list[Finding]) -> None:
    rules = _at(spec, "successPolicy.rules")
    for rule in rules.value if rules is not None and rules.kind == "seq" else []:
        if rule.kind != "map":
            continue
        count = rule.get("succeededCount")
        if count is None and rule.get("succeededIndexes") is None:
            findings.append(located("required-field", ERROR, rule, "a success policy rule needs `succeededCount` "
                                    "or `succeededIndexes`", fix="succeededCount: 1",
                                    server=f"{rule.path}: Required value: at least one of succeededCount or "
                                           "succeededIndexes must be specified"))
        if _integer(count) is not None and completions is not None and _integer(count) > completions:  # type: ignore[operator]
            findings.append(_error(count, "`succeededCount` cannot exceed `completions`",
                                   f"{count.path}: Invalid value: {count.value}: must be less than or equal to "
                                   f"{completions} (the number of specified completions)",
                                   f"succeededCount: {completions}"))


def check_managed_by(spec: Node, findings: list[Finding]) -> None:
    """managedBy names the controller that owns the Job: a domain-prefixed path (acme.io/foo)."""
    node = spec.get("managedBy")
    if node is None or not isinstance(node.value, str):
        return
    prefix, slash, rest = node.value.partition("/")
    if slash and rest and DNS1123_SUBDOMAIN.match(prefix) and "." in prefix:
        return
    findings.append(_error(node, "`managedBy` names a controller as a domain-prefixed path such as "
                           "`example.com/job-controller`", f'{node.path}: Invalid value: "{node.value}": must be a '
                           'domain-prefixed path (such as "acme.io/foo")', "managedBy: example.com/job-controller"))


def check_claim_template_specs(root: Node, findings: list[Finding]) -> None:
    """ValidatePersistentVolumeClaimSpec for each claim template: access modes and a storage request."""
    templates = _at(root, "spec.volumeClaimTemplates")
    for template in templates.value if templates is not None and templates.kind == "seq" else []:
        spec = template.get("spec") if template.kind == "map" else None
        if spec is None or spec.kind != "map":
            continue
        modes = spec.get("accessModes")
        if modes is None or (modes.kind == "seq" and not modes.value):
            findings.append(located("required-field", ERROR, modes or spec, "a claim needs at least one access mode "
                                    "(usually ReadWriteOnce)", at_key=True, path=f"{spec.path}.accessModes",
                                    fix="accessModes: [ReadWriteOnce]",
                                    server=f"{spec.path}.accessModes: Required value: at least 1 access mode is "
                                           "required"))
        for mode in modes.value if modes is not None and modes.kind == "seq" else []:
            if isinstance(mode.value, str) and mode.value not in ACCESS_MODES:
                shown = ", ".join(f'"{m}"' for m in ACCESS_MODES)
                findings.append(located("invalid-enum", ERROR, mode, f"`{mode.value}` is not an access mode",
                                        path=modes.path, fix="ReadWriteOnce",
                                        server=f'{modes.path}: Unsupported value: "{mode.value}": supported values: '
                                               f"{shown}"))
        if _at(spec, "resources.requests.storage") is None:
            path = f"{spec.path}.resources[storage]"
            findings.append(located("required-field", ERROR, spec.get("resources") or spec, "a claim must request "
                                    "its size: `resources.requests.storage`", at_key=True, path=path,
                                    fix="resources: {requests: {storage: 1Gi}}", server=f"{path}: Required value"))


def check_job_selector(spec: Node, findings: list[Finding]) -> None:
    """Without ``manualSelector: true`` the Job controller writes the selector itself (from a uid it
    generates), so a hand-written one is refused, and so are the template labels it would have added
    (validateGeneratedSelector in pkg/apis/batch/validation)."""
    selector = spec.get("selector")
    if selector is None or selector.kind != "map":
        return
    if spec.path.endswith("jobTemplate.spec"):  # ValidateCronJobSpec: the Jobs' selectors are always generated
        findings.append(_error(selector, "a CronJob's Jobs get generated selectors: remove `selector` from the "
                               "job template", f"{selector.path}: Invalid value: {_go_json(selector.to_python())}: "
                               "`selector` will be auto-generated", "remove selector", rule="selector-mismatch"))
        return
    if spec.scalar("manualSelector") is True:
        return
    # generateSelector adds the generated batch.kubernetes.io/controller-uid label to the template's labels and
    # to the written selector, which then differs from the generated one: only the selector is refused.
    findings.append(located(
        "selector-mismatch", ERROR, selector, "a Job's selector is generated by the server from a fresh uid; "
        "remove `selector` (or set `manualSelector: true` and make sure it matches only this Job's Pods)",
        at_key=True, fix="remove selector",
        server=f"{selector.path}: Invalid value: (the selector with the generated "
               "batch.kubernetes.io/controller-uid label): `selector` not auto-generated"))


# The labels PrepareForCreate (pkg/registry/batch/job/strategy.go, generateSelector) gives a Job's Pod template,
# each set to the Job's name unless the template already has it.
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")


def check_job_name_labels(root: Node, findings: list[Finding]) -> None:
    """Without ``manualSelector: true`` the server labels the Pod template with the Job's name before it
    validates (generateSelector), so a name that is not a valid label value, one of more than 63 bytes, is
    refused at ``spec.template.labels``. SetDefaults_Job gave a Job without labels of its own the template's
    label map itself, so when the template has labels the server reports ``metadata.labels`` too."""
    name = _at(root, "metadata.name")
    spec = root.get("spec")
    if name is None or not isinstance(name.value, str) or spec is None or spec.scalar("manualSelector") is True:
        return
    why = label_value_problem(name.value)
    labels = _at(spec, "template.metadata.labels")
    given = labels.value if labels is not None and labels.kind == "map" else {}
    if not why or all(key in given for key in JOB_NAME_LABELS):
        return
    own = _at(root, "metadata.labels")
    paths = ["spec.template.labels"]
    if labels is not None and labels.kind == "map" and (own is None or own.kind != "map" or not own.value):
        paths.insert(0, "metadata.labels")
    for path in paths:
        findings.append(located("invalid-name", ERROR, name, f"the server labels this Job's Pods with its name "
                                f"({', '.join(JOB_NAME_LABELS)}), and a label value may have at most 63 "
                                "characters: use a shorter name", at_key=False, path=path,
                                fix=f"name: {name.value[:LABEL_VALUE_MAX_BYTES]}",
                                server=f'{path}: Invalid value: "{name.value}": {why}'))


def check_cronjob(root: Node, spec: Node, findings: list[Finding]) -> None:
    """ValidateCronJob: the schedule, the time zone and the name, which prefixes every Job's name."""
    schedule = spec.get("schedule")
    if schedule is not None and isinstance(schedule.value, str):
        problem = schedule_problem(schedule.value)
        if problem:
            findings.append(_error(schedule, f"`{schedule.value}` is not a schedule the CronJob controller can "
                                   f"read: {problem}", f'{schedule.path}: Invalid value: "{schedule.value}": {problem}',
                                   'schedule: "*/5 * * * *" (minute hour day-of-month month day-of-week)'))
    zone = spec.get("timeZone")
    if zone is not None and isinstance(zone.value, str):
        problem = time_zone_problem(zone.value)
        if problem:
            findings.append(_error(zone, f"`{zone.value}` is not a time zone of the IANA database",
                                   f'{zone.path}: Invalid value: "{zone.value}": {problem}', "timeZone: Etc/UTC"))
    name = _at(root, "metadata.name")
    if name is not None and isinstance(name.value, str) and len(name.value) > CRONJOB_NAME_MAX:
        findings.append(located("invalid-name", ERROR, name, f"a CronJob's name may have at most {CRONJOB_NAME_MAX} "
                                "characters: its Jobs are named after it with a suffix of 11", fix="a shorter name",
                                server=f'metadata.name: Invalid value: "{name.value}": must be no more than '
                                       f"{CRONJOB_NAME_MAX} characters"))


def check_strategy(spec: Node, kind: str, findings: list[Finding]) -> None:
    """Rolling-update rules of a Deployment, DaemonSet or StatefulSet."""
    field, no_rolling = STRATEGY[kind]
    strategy = spec.get(field)
    if strategy is None or strategy.kind != "map":
        return
    if check_strategy_type(strategy, kind, findings):
        return
    rolling = strategy.get("rollingUpdate")
    if rolling is None or rolling.kind != "map":
        return
    chosen = strategy.scalar("type")
    if no_rolling is not None and chosen == no_rolling:
        findings.append(_misplaced_rolling_update(rolling, no_rolling))
        return
    if kind == "DaemonSet" and chosen not in (None, "RollingUpdate"):
        return
    values = {name: node.value for name, node in rolling.value.items() if node.kind == "scalar"}
    problems = statefulset_budget_problems(values) if kind == "StatefulSet" else rolling_update_problems(kind, values)
    for problem in problems:
        findings.append(_budget_finding(rolling, problem))


# The server's words for a strategy type it does not know, which name the whole strategy struct:
# ValidateDeploymentStrategy and ValidateDaemonSetUpdateStrategy (Unsupported), ValidateStatefulSetSpec (Invalid).
_STRATEGY_TYPE_ERRORS = {
    "Deployment": ("Unsupported value", 'supported values: "Recreate", "RollingUpdate"'),
    "DaemonSet": ("Unsupported value", 'supported values: "RollingUpdate", "OnDelete"'),
    "StatefulSet": ("Invalid value", "must be 'RollingUpdate' or 'OnDelete'"),
}


def check_strategy_type(strategy: Node, kind: str, findings: list[Finding]) -> bool:
    """A strategy ``type`` the kind does not know (``recreate``); True when reported. The server names the
    strategy, showing the internal struct with Go's field names."""
    node = strategy.get("type")
    if node is None or node.kind != "scalar" or not isinstance(node.value, str) or node.value in ENUMS[_TYPES[kind]]:
        return False
    allowed = ENUMS[_TYPES[kind]]
    rolling = strategy.get("rollingUpdate")
    shown = {"Type": node.value, "RollingUpdate": None if rolling is None else rolling.to_python()}
    reason, detail = _STRATEGY_TYPE_ERRORS[kind]
    guess = did_you_mean(node.value, allowed)
    findings.append(located("invalid-enum", ERROR, node, f"`{node.value}` is not a strategy type ("
                            f"{', '.join(allowed)})" + (f"; did you mean `{guess}`?" if guess else ""), at_key=False,
                            path=strategy.path, fix=f"type: {guess or allowed[-1]}",
                            server=f"{strategy.path}: {reason}: {_go_json(shown)}: {detail}"))
    return True


_TYPES = {"Deployment": ("DeploymentStrategy", "type"), "DaemonSet": ("DaemonSetUpdateStrategy", "type"),
          "StatefulSet": ("StatefulSetUpdateStrategy", "type")}


def _misplaced_rolling_update(rolling: Node, strategy_type: str) -> Finding:
    if strategy_type == "Recreate":
        server = f"{rolling.path}: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    else:  # the internal struct as JSON, with Go's field names
        shown = {"Partition": rolling.scalar("partition"), "MaxUnavailable": rolling.scalar("maxUnavailable")}
        server = f"{rolling.path}: Invalid value: {_go_json(shown)}: only allowed for updateStrategy 'RollingUpdate'"
    return located("field-constraint", ERROR, rolling, f"`rollingUpdate` has no effect with `type: {strategy_type}`: "
                   "remove it or use RollingUpdate", at_key=True, fix="remove rollingUpdate", server=server)


def _go_json(value: object) -> str:
    """Go's encoding/json of a value (compact, keys in struct order)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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
