from __future__ import annotations

import dataclasses

import pytest

from podnotes.linux import machine, privileges
from podnotes.linux.privileges import PrivilegeRequired, Skipped, privileged, ran

REAL_DETECT = machine.detect


def unprivileged_facts():
    facts = REAL_DETECT()
    return dataclasses.replace(facts, root=False, cap_sys_admin=False, cgroup_writable=False, user_namespaces=False)


def rootless_facts():
    facts = REAL_DETECT()
    return dataclasses.replace(facts, linux=True, root=False, cap_sys_admin=False, cgroup_writable=False,
                               user_namespaces=True)


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
    assert str(result) == ("skipped: needs root (CAP_SYS_ADMIN) or unprivileged user namespaces on Linux "
                           "to create namespaces")
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


def test_a_normal_user_with_user_namespaces_creates_namespaces_but_not_the_hosts(monkeypatch):
    monkeypatch.setattr(machine, "detect", rootless_facts)
    monkeypatch.delenv(privileges.REQUIRE_ENV, raising=False)
    assert privileges.missing("namespaces") is None
    assert privileges.missing("root") == privileges.REQUIREMENTS["root"]
    assert privileges.missing("cgroups") is not None, "no delegated subtree in these facts"
    assert "user namespace" in privileges.why_missing("root")


def test_the_command_for_a_distribution_restriction_is_its_sysctl(monkeypatch, tmp_path):
    restricted = tmp_path / "kernel" / "apparmor_restrict_unprivileged_userns"
    restricted.parent.mkdir()
    restricted.write_text("1\n")
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "max_user_namespaces").write_text("0\n")
    found = machine.user_namespace_restrictions(tmp_path)
    assert [item.sysctl for item in found] == ["user.max_user_namespaces",
                                               "kernel.apparmor_restrict_unprivileged_userns"]
    assert found[1].fix.startswith("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")
    real = machine.user_namespace_restrictions
    monkeypatch.setattr(machine, "user_namespace_restrictions", lambda: real(tmp_path))
    monkeypatch.setattr(machine, "detect", unprivileged_facts)
    monkeypatch.delenv(machine.PRETEND_SYSTEM_ENV, raising=False)
    if not machine.is_linux():
        pytest.skip("the command is Linux's")
    assert privileges.command_for("namespaces") == "sudo sysctl -w user.max_user_namespaces=15000 && make book"
    assert "max_user_namespaces = 0" in privileges.why_missing("namespaces")
