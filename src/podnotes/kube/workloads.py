"""Rules of the workload kinds around their Pod template: rolling-update budgets.

Upstream: ``ValidateRollingUpdateDeployment``, ``ValidateRollingUpdateDaemonSet``,
``ValidatePositiveIntOrPercent``, ``getIntOrPercentValue`` and
``IsNotMoreThan100Percent`` in ``pkg/apis/apps/validation/validation.go``;
``IsValidPercent`` in ``k8s.io/apimachinery/pkg/util/validation``; the
defaults (a Deployment: 25%; a DaemonSet: maxUnavailable 1 and maxSurge 0)
come first, from ``pkg/apis/apps/v1/defaults.go``.

An IntOrString budget given as a string must be a percentage (``"25%"``);
``"1"`` or ``"1.0"`` is refused, and counts as ``strconv.Atoi`` reads it (1, or
0 when it is not an integer) where the two budgets are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PERCENT = re.compile(r"[0-9]+%\Z")
PERCENT_MESSAGE = ("a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
                   "'93%', regex used for validation is '[0-9]+%')")
# The budgets a rolling update gets when the manifest leaves one out.
BUDGET_DEFAULTS = {"Deployment": {"maxUnavailable": "25%", "maxSurge": "25%"},
                   "DaemonSet": {"maxUnavailable": 1, "maxSurge": 0}}


@dataclass(frozen=True)
class BudgetProblem:
    """One refused budget: ``field`` (maxSurge or maxUnavailable), the server's ``reason`` text, and
    ``required`` for a field.Required error (no value shown)."""

    field: str
    reason: str
    required: bool = False


def is_percent(value: Any) -> bool:
    return isinstance(value, str) and PERCENT.match(value) is not None


def budget_value(value: Any) -> int:
    """getIntOrPercentValue: the percentage of ``"25%"``, the integer of ``3``, ``strconv.Atoi`` of any other
    string (``"1"`` -> 1, ``"1.0"`` -> 0)."""
    if is_percent(value):
        return int(value[:-1])
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        number = int(value)
        return number if -2**63 <= number < 2**63 else 0
    return 0


def int_or_percent_problems(name: str, value: Any) -> list[BudgetProblem]:
    """ValidatePositiveIntOrPercent and IsNotMoreThan100Percent for one budget."""
    if isinstance(value, str):
        if not is_percent(value):
            return [BudgetProblem(name, PERCENT_MESSAGE)]
        return []
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [BudgetProblem(name, "must be greater than or equal to 0")]
    return []


def over_100_percent(name: str, value: Any) -> list[BudgetProblem]:
    if is_percent(value) and int(value[:-1]) > 100:
        return [BudgetProblem(name, "must not be greater than 100%")]
    return []


def rolling_update_problems(kind: str, rolling_update: dict[str, Any]) -> list[BudgetProblem]:
    """What the API server refuses in a Deployment's or DaemonSet's ``rollingUpdate``, in its order."""
    budgets = {**BUDGET_DEFAULTS[kind], **{k: v for k, v in rolling_update.items()  # type: ignore[dict-item]
                                            if k in ("maxUnavailable", "maxSurge") and v is not None}}
    unavailable, surge = budgets["maxUnavailable"], budgets["maxSurge"]
    problems = int_or_percent_problems("maxUnavailable", unavailable) + int_or_percent_problems("maxSurge", surge)
    if kind == "Deployment":
        if budget_value(unavailable) == 0 and budget_value(surge) == 0:
            problems.append(BudgetProblem("maxUnavailable", "may not be 0 when `maxSurge` is 0"))
        return problems + over_100_percent("maxUnavailable", unavailable)
    problems += over_100_percent("maxUnavailable", unavailable) + over_100_percent("maxSurge", surge)
    has_unavailable, has_surge = budget_value(unavailable) != 0, budget_value(surge) != 0
    if has_unavailable and has_surge:
        problems.append(BudgetProblem("maxSurge", "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        problems.append(BudgetProblem("maxUnavailable", "cannot be 0 when maxSurge is 0", required=True))
    return problems


def statefulset_budget_problems(rolling_update: dict[str, Any]) -> list[BudgetProblem]:
    """A StatefulSet's ``rollingUpdate``: ``partition`` at least 0, ``maxUnavailable`` (when given) a positive
    number or percentage (ValidateStatefulSetUpdateStrategy)."""
    problems = []
    partition = rolling_update.get("partition")
    if isinstance(partition, int) and not isinstance(partition, bool) and partition < 0:
        problems.append(BudgetProblem("partition", "must be greater than or equal to 0"))
    unavailable = rolling_update.get("maxUnavailable")
    if unavailable is None:
        return problems
    malformed = int_or_percent_problems("maxUnavailable", unavailable)
    problems += malformed
    if not malformed and budget_value(unavailable) == 0:
        problems.append(BudgetProblem("maxUnavailable", "cannot be 0"))
    return problems + over_100_percent("maxUnavailable", unavailable)


# Integer fields that must be >= 0 (ValidateNonnegativeField), by kind, relative to the object's spec.
# Upstream: ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateDaemonSetSpec, ValidateStatefulSetSpec
# (pkg/apis/apps/validation) and validateJobSpec, ValidateCronJobSpec (pkg/apis/batch/validation).
JOB_NONNEGATIVE = ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex",
                   "maxFailedIndexes")
NONNEGATIVE: dict[str, tuple[str, ...]] = {
    "Deployment": ("replicas", "revisionHistoryLimit", "minReadySeconds"),
    "ReplicaSet": ("replicas", "minReadySeconds"),
    "DaemonSet": ("minReadySeconds", "revisionHistoryLimit"),
    "StatefulSet": ("replicas", "minReadySeconds", "ordinals.start"),
    "Job": JOB_NONNEGATIVE,
    "CronJob": ("successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds",
                *(f"jobTemplate.spec.{name}" for name in JOB_NONNEGATIVE)),
}
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
# A CronJob's name becomes the prefix of its Jobs' names, which get an 11-character suffix (ValidateCronJob).
CRONJOB_NAME_MAX = 52

# validateJobSpec: an Indexed Job runs at most this many Pods at once.
MAX_PARALLELISM_FOR_INDEXED = 100_000
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
