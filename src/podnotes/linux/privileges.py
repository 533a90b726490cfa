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
import re
from dataclasses import dataclass
from pathlib import Path

from podnotes.linux import machine

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
    "linux": "Linux",
    "namespaces": "root (CAP_SYS_ADMIN) or unprivileged user namespaces on Linux",
    "cgroups": "a writable cgroup tree (root, or a subtree delegated to the user) with the cpu, memory and "
               "pids controllers, on Linux",
    # what no user namespace gives: acting on the host's own namespaces (e.g. mounting a /proc
    # for the host's PID namespace, a veth into the host's network namespace)
    "root": "root (CAP_SYS_ADMIN in the host's own namespaces)",
}

# The one command that runs a section elsewhere, from the repository's folder.
COMMANDS = {"linux": "make book", "namespaces": "sudo make book", "cgroups": "sudo make book",
            "root": "sudo make book"}


class NotLinux(RuntimeError):
    """A Linux-only function was called on another system."""


def missing(requirement: str, facts: machine.HostCapabilities | None = None) -> str | None:
    """What this machine lacks for ``requirement``, or None if it has it."""
    if requirement not in REQUIREMENTS:
        raise ValueError(f"unknown requirement {requirement!r}; expected one of {sorted(REQUIREMENTS)}")
    if requirement == "linux":
        return None if machine.is_linux() else REQUIREMENTS["linux"]
    facts = facts or machine.detect()
    able = {"namespaces": facts.can_create_namespaces, "cgroups": facts.can_limit_resources,
            "root": facts.linux and facts.cap_sys_admin}[requirement]
    return None if able else REQUIREMENTS[requirement]


def command_for(requirement: str, facts: machine.HostCapabilities | None = None) -> str:
    """The one command that makes ``requirement`` met here: ``make book`` on a Linux machine, the
    sysctl that lifts a distribution's user-namespace restriction, systemd's delegation for cgroups
    on cgroup v2, or ``sudo make book``."""
    if requirement == "linux" or not machine.is_linux():
        return "make book"
    facts = facts or machine.detect()
    if requirement == "namespaces" and not facts.cap_sys_admin:
        restrictions = machine.user_namespace_restrictions()
        if restrictions:
            return restrictions[0].fix.split(" (")[0] + " && make book"
    if requirement == "cgroups" and not facts.root and facts.cgroup_version == "v2" and facts.systemd:
        return "systemd-run --user --scope -p Delegate=yes make book"
    if requirement == "cgroups" and not facts.root and facts.cgroup_version in ("v1", "hybrid"):
        return f"sudo .venv/bin/python -m podnotes.linux.cgroups delegate {_user_name()} && make book"
    return COMMANDS[requirement]


def linux_only(reason: str):
    """Decorator for functions that read Linux kernel interfaces (``/proc``,
    namespaces, cgroups): elsewhere they raise ``NotLinux`` saying why, so a
    chapter must check ``section("linux", ...)`` before calling them."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if not machine.is_linux():
                raise NotLinux(f"{function.__qualname__} {reason}, which only Linux has; "
                               f"this machine runs {machine.system()}")
            return function(*args, **kwargs)

        return wrapper

    return decorate


@dataclass(frozen=True)
class SectionNote:
    """What a section of a chapter could not run on this machine, why, and the
    command that runs it; shown once, at the top of the section."""

    purpose: str  # what the section's experiments do, e.g. "create namespaces"
    needs: str
    reason: str
    command: str

    def __str__(self) -> str:
        return (f"Not run here: the experiments in this section {self.purpose}, which needs {self.needs}, "
                f"and {self.reason}. On a Linux machine, `{self.command}` in the repository runs them; "
                "the published site shows their real results.")

    def _repr_html_(self) -> str:
        return self.notice()._repr_html_()

    def notice(self):
        """The note in both editions' languages, as a note box (:class:`podnotes.notices.Notice`)."""
        from ..notices import Notice, sentence, zh

        body = str(self).removeprefix("Not run here: ")
        chinese = sentence("section", purpose=zh(self.purpose), needs=zh(self.needs), reason=zh(self.reason),
                           command=self.command)
        return Notice(body[:1].upper() + body[1:], chinese, "Not run on this machine", sentence("section_title"))

    def _repr_pretty_(self, printer, cycle) -> None:  # how IPython shows it as text
        printer.text(str(self))


# Requirements whose section note was shown in this process: a skip they
# explain is then not repeated under every cell.
_noted: set[str] = set()


def why_missing(requirement: str, facts: machine.HostCapabilities | None = None) -> str:
    """Why this machine lacks ``requirement``, as the end of a sentence."""
    if not machine.is_linux():
        return f"this machine runs {machine.system()}, not Linux"
    facts = facts or machine.detect()
    if requirement == "namespaces" and not facts.cap_sys_admin:
        restrictions = machine.user_namespace_restrictions()
        if restrictions:
            return "this normal user may not create user namespaces: " + "; ".join(
                f"{item.sysctl} = {item.value} ({item.explanation})" for item in restrictions)
        return "this normal user may not create user namespaces here"
    if requirement == "root":
        return ("a user namespace gives capabilities only over the namespaces it owns, not the host's, and "
                "this notebook runs as a normal user")
    if requirement == "cgroups" and not facts.root and facts.linux:
        if facts.cgroup_version == "v2":
            return ("this normal user owns no delegated cgroup subtree (cgroups(7), \"Delegation\"); "
                    "systemd gives one to a scope started with Delegate=yes")
        return "this normal user owns no group in the cgroup v1 controller trees, which only root can delegate"
    if not facts.root:
        return "this notebook runs as a normal user, not root"
    if not facts.cap_sys_admin:
        return "this process lacks CAP_SYS_ADMIN"
    if requirement == "cgroups":
        lacking = [name for name in machine.NEEDED_CONTROLLERS if name not in facts.cgroup_controllers]
        if lacking:
            return f"this machine's cgroups lack the {', '.join(lacking)} controller(s)"
        if not facts.cgroup_writable:
            return "the cgroup tree is not writable here"
    return "this machine does not allow it"


def section(requirement: str, purpose: str) -> bool:
    """Whether this machine can run a section's experiments. When it cannot,
    shows one ``SectionNote`` (in a notebook, as a note box) and returns False;
    later skips of the same requirement then stay quiet."""
    lacking = missing(requirement)
    if lacking is None:
        return True
    if required():
        raise PrivilegeRequired(f"{REQUIRE_ENV} is set, but this machine lacks {lacking} to {purpose}")
    note = SectionNote(purpose=purpose, needs=lacking, reason=why_missing(requirement),
                       command=command_for(requirement))
    _noted.add(requirement)
    _show(note)
    return False


def _show(note: SectionNote) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(note)
    else:
        print(note)


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "$USER"


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
    explained = any(needs == result.needs and requirement in _noted for requirement, needs in REQUIREMENTS.items())
    if not explained:
        print(result)
    return False


# --------------------------------------------------------------------------
# What each chapter will run on this machine, read from its ``section(...)`` calls.

CHAPTERS_DIR = Path(__file__).resolve().parents[3] / "chapters"
KERNEL_CHAPTERS = ("02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause")
_SECTION_CALL = re.compile(r"""section\(\s*"(\w+)",\s*"([^"]+)"\s*\)""")


@dataclass(frozen=True)
class SectionPlan:
    """One section of a chapter: what it needs (a key of ``REQUIREMENTS``), whether it runs here for
    real, and otherwise why not and the command that runs it."""

    chapter: str
    requirement: str
    purpose: str
    runs: bool
    reason: str = ""
    command: str = ""


def chapter_plans(chapters_dir: Path = CHAPTERS_DIR, chapters=KERNEL_CHAPTERS,
                  facts: machine.HostCapabilities | None = None) -> list[SectionPlan]:
    """Every section of ``chapters`` (file stems in ``chapters_dir``) that checks ``section(...)``, in
    page order, judged for this machine; empty when the chapters are not there (an installed package)."""
    facts = facts or machine.detect()
    plans = []
    for chapter in chapters:
        try:
            text = (chapters_dir / f"{chapter}.md").read_text()
        except OSError:
            continue
        for requirement, purpose in _SECTION_CALL.findall(text):
            if requirement not in REQUIREMENTS:
                continue
            if missing(requirement, facts) is None:
                plans.append(SectionPlan(chapter, requirement, purpose, True))
            else:
                plans.append(SectionPlan(chapter, requirement, purpose, False, why_missing(requirement, facts),
                                         command_for(requirement, facts)))
    return plans
