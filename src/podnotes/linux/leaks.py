"""Find anything podnotes created that is still there.

Everything podnotes creates carries a recognisable name: cgroups and network
interfaces start with ``podnotes-``, temporary directories with
``podnotes-rootfs-`` and similar, and every process it starts has the
``PODNOTES_CHILD`` environment variable. ``leaks()`` lists what remains; the
tests and the last cell of each chapter check that the list is empty.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from podnotes.linux.capabilities import MOUNTS, _cgroup_mounts, is_linux
from podnotes.linux.processes import MARKER_ENV

PREFIX = "podnotes-"
TEMP_PREFIXES = ("podnotes-rootfs-", "podnotes-mountpoint-", "podnotes-userns-", "podnotes-marker-")
NETNS_DIR = Path("/run/netns")
# The names podnotes.linux.cgroups gives: podnotes-NAME-PID-N (other tools may
# use the same prefix for other things, e.g. container images).
CGROUP_NAME = re.compile(r"^podnotes-[a-z]+-(\d+)-\d+$")
MOUNT_MARKS = ("podnotes-tmpfs",) + TEMP_PREFIXES


@dataclass(frozen=True)
class Leaks:
    cgroups: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.cgroups, self.mounts, self.network, self.processes, self.paths))

    def empty(self) -> bool:
        return not self


def leftover_cgroups(mounts_file: Path = MOUNTS, created_by: int | None = None) -> list[str]:
    """cgroups named by ``podnotes.linux.cgroups`` (whose names carry the creator's PID)."""
    found = []
    for point in _cgroup_mounts(mounts_file):
        for directory, subdirs, _files in os.walk(point):
            for name in list(subdirs):
                match = CGROUP_NAME.match(name)
                if match and created_by in (None, int(match.group(1))):
                    found.append(os.path.join(directory, name))
                    subdirs.remove(name)
    return sorted(found)


def leftover_mounts(mounts_file: Path = MOUNTS) -> list[str]:
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return []
    return [" ".join(line.split()[:3]) for line in lines
            if any(mark in " ".join(line.split()[:2]) for mark in MOUNT_MARKS)]


def leftover_network() -> list[str]:
    found = [f"netns {path}" for path in sorted(NETNS_DIR.glob(f"{PREFIX}*"))]
    found += [f"interface {name}" for _index, name in socket.if_nameindex() if name.startswith(PREFIX)]
    return found


def leftover_processes(created_by: int | None = None) -> list[str]:
    """Processes carrying the podnotes marker (optionally: the one set by the
    process ``created_by``), other than this process and its ancestors."""
    mine = _ancestors(os.getpid())
    marker = f"{MARKER_ENV}={'' if created_by is None else created_by}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or another user's
            continue
        if any(item == marker if created_by is not None else item.startswith(marker)
               for item in environ.split(b"\0")):
            found.append(f"{entry.name} {cmdline}")
    return sorted(found)


def _ancestors(pid: int) -> set[int]:
    chain = set()
    while pid > 0 and pid not in chain:
        chain.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            break
        pid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
    return chain


def leftover_paths(directory: str | None = None, created_by: int | None = None) -> list[str]:
    """Temporary directories podnotes made (``podnotes-rootfs-PID-...`` and the like)."""
    directory = Path(directory or tempfile.gettempdir())
    prefixes = TEMP_PREFIXES if created_by is None else tuple(f"{prefix}{created_by}-" for prefix in TEMP_PREFIXES)
    return sorted(str(path) for path in directory.iterdir() if path.name.startswith(prefixes))


def leaks(settle: float = 5.0, created_by: int | None = None) -> Leaks:
    """Everything podnotes created that still exists on this machine.

    Processes killed a moment ago may still be exiting; they get up to
    ``settle`` seconds to disappear before they count as leaked. With
    ``created_by``, only cgroups, temporary directories and processes made by
    that process count (useful when other podnotes sessions run on the same
    machine); mounts and network interfaces are always checked. On other
    systems than Linux there are no kernel objects of podnotes' to find (its
    experiments do not run there), only temporary directories."""
    if not is_linux():
        return Leaks(paths=leftover_paths(created_by=created_by))
    deadline = time.monotonic() + settle
    while True:
        found = Leaks(cgroups=leftover_cgroups(created_by=created_by), mounts=leftover_mounts(),
                      network=leftover_network(), processes=leftover_processes(created_by),
                      paths=leftover_paths(created_by=created_by))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def own_leaks(settle: float = 5.0) -> Leaks:
    """``leaks()``, counting only what this process created: what a notebook
    checks at its end, unaffected by other sessions on the machine."""
    return leaks(settle, created_by=os.getpid())
