"""Namespaces without root, the way rootless container engines make them.

A process without ``CAP_SYS_ADMIN`` cannot create a mount, UTS, IPC, network
or PID namespace, but it may create a *user* namespace, and inside it, where it
holds every capability, the others: the kernel creates the user namespace first
and makes it the owner of the rest (user_namespaces(7), "Interaction of user
namespaces and other types of namespaces"). Podman, rootless Docker
(RootlessKit) and Buildah all start that way.

The new user namespace needs ID maps before its processes have an identity.
Like those engines, the user's range in ``/etc/subuid`` and ``/etc/subgid`` is
mapped with the setuid helpers ``newuidmap``/``newgidmap`` (shadow-utils; the
Debian package ``uidmap``) when both exist, so that the namespace has 65,536
IDs; otherwise a single line maps root inside to the user outside, which is
what ``unshare --map-root-user`` writes itself.

Sources: user_namespaces(7); newuidmap(1), subuid(5);
containers/storage ``pkg/idtools``, rootless-containers/rootlesskit.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

SUBUID = Path("/etc/subuid")
SUBGID = Path("/etc/subgid")
# rootless engines need at least this many subordinate IDs for a usual image (Podman's warning, 65536)
RECOMMENDED_RANGE = 65_536


@dataclass(frozen=True)
class IdRange:
    """A range of subordinate IDs delegated to a user: ``count`` IDs from ``start``."""

    start: int
    count: int


@dataclass(frozen=True)
class IdMapping:
    """How a rootless user namespace is mapped.

    ``kind`` is ``"subordinate"`` (root inside is the user, IDs 1..count are the
    delegated range, written by ``newuidmap``/``newgidmap``) or ``"single"``
    (only root inside, the user outside, written by the process itself)."""

    kind: str
    uid: int
    gid: int
    uid_range: IdRange | None = None
    gid_range: IdRange | None = None

    def uid_map(self) -> list[tuple[int, int, int]]:
        return _lines(self.uid, self.uid_range)

    def gid_map(self) -> list[tuple[int, int, int]]:
        return _lines(self.gid, self.gid_range)

    def describe(self) -> str:
        if self.kind == "single":
            return f"one ID: root inside is uid {self.uid} outside ({Path(SUBUID)} delegates no range)"
        assert self.uid_range is not None
        return (f"root inside is uid {self.uid} outside, IDs 1-{self.uid_range.count} are "
                f"{self.uid_range.start}-{self.uid_range.start + self.uid_range.count - 1} ({SUBUID}, newuidmap)")


def _lines(outer: int, delegated: IdRange | None) -> list[tuple[int, int, int]]:
    lines = [(0, outer, 1)]
    if delegated is not None:
        lines.append((1, delegated.start, delegated.count))
    return lines


def delegated_range(path: Path, user: str, uid: int) -> IdRange | None:
    """The first range ``path`` (``/etc/subuid`` format, subuid(5): ``NAME_OR_ID:START:COUNT``)
    delegates to ``user`` or ``uid``; None when there is none or the file is unreadable."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) != 3 or fields[0] not in (user, str(uid)):
            continue
        try:
            start, count = int(fields[1]), int(fields[2])
        except ValueError:
            continue
        if count > 0:
            return IdRange(start, count)
    return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def helpers_installed() -> bool:
    return shutil.which("newuidmap") is not None and shutil.which("newgidmap") is not None


def mapping(uid: int | None = None, gid: int | None = None) -> IdMapping:
    """The mapping a rootless namespace of this user gets here."""
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    name = _user_name(uid)
    uids, gids = delegated_range(SUBUID, name, uid), delegated_range(SUBGID, name, uid)
    if uids is not None and gids is not None and helpers_installed():
        return IdMapping("subordinate", uid, gid, uids, gids)
    return IdMapping("single", uid, gid)


def write_maps_with_helpers(pid: int, chosen: IdMapping) -> None:
    """Run ``newuidmap PID ...`` and ``newgidmap PID ...`` for a process that
    has just created its user namespace. Raises ``RuntimeError`` with the
    helper's message when either refuses."""
    import subprocess

    for helper, lines in (("newuidmap", chosen.uid_map()), ("newgidmap", chosen.gid_map())):
        words = [str(number) for line in lines for number in line]
        done = subprocess.run([helper, str(pid), *words], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"{helper} {pid} {' '.join(words)}: {done.stderr.strip() or done.returncode}")


def needs_user_namespace() -> bool:
    """True when this process can make namespaces only inside a user namespace of its own:
    Linux without ``CAP_SYS_ADMIN`` (a normal user, or ``PODNOTES_PRETEND_ROOTLESS=1``)."""
    from podnotes.linux import machine

    if os.environ.get(PRETEND_ROOTLESS_ENV, "").lower() in ("1", "true", "yes"):
        return True
    return machine.is_linux() and not machine.has_capability(machine.CAP_SYS_ADMIN)


# Root can run the rootless path too, to see it without another account.
PRETEND_ROOTLESS_ENV = "PODNOTES_PRETEND_ROOTLESS"
