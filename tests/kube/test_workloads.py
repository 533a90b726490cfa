"""Rolling-update budgets as pkg/apis/apps/validation/validation.go checks them (checked against
kube-apiserver 1.37 by tests/cluster/test_linter_vs_server.py through the lint fixtures)."""

from __future__ import annotations

import pytest

from podnotes.kube.workloads import PERCENT_MESSAGE, budget_value, rolling_update_problems, statefulset_budget_problems


@pytest.mark.parametrize("value, number", [("25%", 25), (3, 3), ("1", 1), ("1.0", 0), ("x", 0), (True, 0)])
def test_budget_values_as_get_int_or_percent_value_reads_them(value, number):
    assert budget_value(value) == number


def reasons(problems):
    return [(p.field, p.reason) for p in problems]


def test_quoted_numbers_are_not_percentages():
    assert reasons(rolling_update_problems("Deployment", {"maxSurge": "1"})) == [("maxSurge", PERCENT_MESSAGE)]
    assert reasons(rolling_update_problems("Deployment", {"maxUnavailable": "1.0", "maxSurge": 0})) == [
        ("maxUnavailable", PERCENT_MESSAGE), ("maxUnavailable", "may not be 0 when `maxSurge` is 0")]


@pytest.mark.parametrize("budgets", [{"maxUnavailable": 0, "maxSurge": 0}, {"maxUnavailable": "0%", "maxSurge": "0%"}])
def test_a_deployment_needs_one_budget_above_zero(budgets):
    assert reasons(rolling_update_problems("Deployment", budgets)) == [
        ("maxUnavailable", "may not be 0 when `maxSurge` is 0")]


def test_defaults_fill_in_before_the_check():
    """25% each for a Deployment; maxUnavailable 1, maxSurge 0 for a DaemonSet (apps/v1 defaults.go)."""
    assert rolling_update_problems("Deployment", {"maxSurge": 0}) == []
    assert reasons(rolling_update_problems("DaemonSet", {"maxSurge": 1})) == [
        ("maxSurge", "may not be set when maxUnavailable is non-zero")]
    assert rolling_update_problems("DaemonSet", {"maxSurge": 1, "maxUnavailable": 0}) == []
    problems = rolling_update_problems("DaemonSet", {"maxUnavailable": 0})
    assert reasons(problems) == [("maxUnavailable", "cannot be 0 when maxSurge is 0")] and problems[0].required


def test_limits_of_percentages_and_signs():
    assert reasons(rolling_update_problems("Deployment", {"maxUnavailable": "150%", "maxSurge": "150%"})) == [
        ("maxUnavailable", "must not be greater than 100%")]
    assert reasons(rolling_update_problems("Deployment", {"maxUnavailable": -1})) == [
        ("maxUnavailable", "must be greater than or equal to 0")]


def test_statefulset_budgets():
    assert reasons(statefulset_budget_problems({"maxUnavailable": 0, "partition": -1})) == [
        ("partition", "must be greater than or equal to 0"), ("maxUnavailable", "cannot be 0")]
    assert reasons(statefulset_budget_problems({"maxUnavailable": "1"})) == [("maxUnavailable", PERCENT_MESSAGE)]
    assert statefulset_budget_problems({"maxUnavailable": 2, "partition": 0}) == []
