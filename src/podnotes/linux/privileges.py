"""Experiments that need privileges, and what happens on machines without them.

A privileged experiment called where it cannot run returns a ``Skipped``
value that says what it needs, so that a notebook still runs to the end on a
laptop, in a hosted notebook service or as a normal user. Two things keep
skips honest:

- ``ran(result)`` is how a cell decides whether to check a result. It accepts
  a skip only when this machine really lacks the privilege.
- With ``PODNOTES_REQUIRE_PRIVILEGED=1`` (as CI sets it), a skip is an error,
  so the real experiments are exercised on every build.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from podnotes.linux import capabilities

REQUIRE_ENV = "PODNOTES_REQUIRE_PRIVILEGED"


class PrivilegeRequired(RuntimeError):
    """A privileged experiment could not run where it was required to."""


@dataclass(frozen=True)
class Skipped:
    """An experiment that did not run, and why."""

    needs: str
    purpose: str

    def __str__(self) -> str:
        return f"skipped: needs {self.needs} to {self.purpose}"

    def _repr_pretty_(self, printer, cycle) -> None:  # how IPython shows it
        printer.text(str(self))


REQUIREMENTS = {
    "namespaces": "root (CAP_SYS_ADMIN) on Linux",
    "cgroups": "root (CAP_SYS_ADMIN) on Linux with the cpu, memory and pids cgroup controllers",
}


def missing(requirement: str, facts: capabilities.Capabilities | None = None) -> str | None:
    """What this machine lacks for ``requirement``, or None if it has it."""
    if requirement not in REQUIREMENTS:
        raise ValueError(f"unknown requirement {requirement!r}; expected one of {sorted(REQUIREMENTS)}")
    facts = facts or capabilities.detect()
    able = facts.can_create_namespaces if requirement == "namespaces" else facts.can_limit_resources
    return None if able else REQUIREMENTS[requirement]


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").lower() in ("1", "true", "yes")


def skip_unless(requirement: str, purpose: str) -> Skipped | None:
    """None when the experiment can run; a ``Skipped`` otherwise, or
    ``PrivilegeRequired`` when privileged runs are required."""
    lacking = missing(requirement)
    if lacking is None:
        return None
    if required():
        raise PrivilegeRequired(f"{REQUIRE_ENV} is set, but this machine lacks {lacking} to {purpose}")
    return Skipped(needs=lacking, purpose=purpose)


def privileged(requirement: str, purpose: str):
    """Decorator: the function returns ``Skipped`` instead of running when
    ``requirement`` is not met."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            skipped = skip_unless(requirement, purpose)
            if skipped is not None:
                return skipped
            return function(*args, **kwargs)

        wrapper.requirement = requirement
        return wrapper

    return decorate


def ran(result) -> bool:
    """True when ``result`` is a real result, to be checked. False for a skip
    that this machine justifies; a skip on a machine that could have run the
    experiment, or any skip when privileged runs are required, raises."""
    if not isinstance(result, Skipped):
        return True
    if required():
        raise PrivilegeRequired(f"{REQUIRE_ENV} is set, but an experiment was {result}")
    for requirement, needs in REQUIREMENTS.items():
        if needs == result.needs and missing(requirement) is None:
            raise PrivilegeRequired(f"an experiment was {result}, yet this machine has {needs}")
    print(result)
    return False
