from __future__ import annotations

import dataclasses

import pytest

from podnotes.linux import machine, privileges
from podnotes.linux.privileges import PrivilegeRequired, Skipped, privileged, ran

REAL_DETECT = machine.detect


def unprivileged_facts():
    facts = REAL_DETECT()
    return dataclasses.replace(facts, root=False, cap_sys_admin=False, cgroup_writable=False)


@pytest.fixture
def unprivileged(monkeypatch):
    monkeypatch.setattr(machine, "detect", unprivileged_facts)
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)


@privileged("namespaces", "create namespaces")
def experiment():
    return "ran"


def test_without_privileges_an_experiment_says_what_it_needs(unprivileged):
    result = experiment()
    assert isinstance(result, Skipped)
    assert str(result) == "skipped: needs root (CAP_SYS_ADMIN) on Linux to create namespaces"
    assert ran(result) is False
    assert ran("a real result") is True


def test_required_privileges_turn_a_skip_into_an_error(unprivileged, monkeypatch):
    monkeypatch.setenv(privileges.REQUIRE_ENV, "1")
    with pytest.raises(PrivilegeRequired, match="CAP_SYS_ADMIN"):
        experiment()


def test_a_skip_on_a_capable_machine_is_not_accepted(monkeypatch):
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    if privileges.missing("namespaces") is not None:
        pytest.skip("this machine really lacks the privileges")
    with pytest.raises(PrivilegeRequired, match="yet this machine has"):
        ran(Skipped(needs=privileges.REQUIREMENTS["namespaces"], purpose="create namespaces"))


def test_unknown_requirements_are_refused():
    with pytest.raises(ValueError, match="unknown requirement"):
        privileges.missing("time-travel")
