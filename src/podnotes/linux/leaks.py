"""Find, and remove, anything podnotes created that is still there, whichever process created it.

Everything podnotes creates carries a recognisable name that includes the
PID of the process that created it:

- cgroups ``podnotes-NAME-PID-N`` (:mod:`podnotes.linux.cgroups`);
- temporary folders ``podnotes-rootfs-PID-...``, ``podnotes-mountpoint-PID-...``,
  ``podnotes-userns-PID-...``, ``podnotes-discovery-PID-...`` (the cluster
  client's discovery cache) and ``podnotes-controlplane-PID-...``;
- processes carry the environment variable ``PODNOTES_CHILD=PID``;
- network interfaces and network namespaces start with ``podnotes-``; veth
  pairs live inside the network namespaces of podnotes processes and are
  listed with the process that holds them;
- a local node (``podnotes.node``) keeps everything under its work folder
  ``podnotes-node-XXXX``, whose owner record names the process that runs it;
  what a dead node left (containerd shims, containers, their mounts and
  cgroups, veths, its bridge, the folder) is listed per node
  (``podnotes.node.leftovers``).

:func:`leaks` lists what remains, whoever made it. A leftover is *orphaned*
when the process that created it is gone (killed with SIGKILL, a crashed
notebook kernel): nothing will ever remove it but :func:`remove`, which
``podnotes cleanup`` calls and which every run calls once, for its own user's
orphans only, before it creates anything (:func:`reap_orphans_once`). Leftovers of podnotes
processes that are still running (another notebook, another test run) are
listed but left alone unless asked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from podnotes.linux.machine import MOUNTS, _cgroup_mounts, is_linux
from podnotes.linux.processes import MARKER_ENV, pid_exists

PREFIX = "podnotes-"
TEMP_PREFIXES = ("podnotes-rootfs-", "podnotes-mountpoint-", "podnotes-userns-", "podnotes-marker-",
                 "podnotes-discovery-", "podnotes-controlplane-", "podnotes-calltrace-")
NETNS_DIR = Path("/run/netns")
# The names podnotes.linux.cgroups gives: podnotes-NAME-PID-N (other tools may
# use the same prefix for other things, e.g. container images).
CGROUP_NAME = re.compile(r"^podnotes-[a-z]+-(\d+)-\d+$")
TEMP_NAME = re.compile(r"^podnotes-[a-z]+-(\d+)-")
MOUNT_MARKS = ("podnotes-tmpfs",) + TEMP_PREFIXES
KINDS = ("processes", "cgroups", "mounts", "network", "paths")


@dataclass(frozen=True)
class Leftover:
    """One thing podnotes left: ``kind`` is one of KINDS, ``name`` what to show (a path, ``PID command``,
    ``interface NAME``); ``creator`` the PID of the process that made it (None when the name does not say)."""

    kind: str
    name: str
    creator: int | None = None
    pid: int | None = None  # for processes: the leftover process itself
    node: str | None = None  # a local node's work folder name (podnotes.node.leftovers), when a node made it
    node_alive: bool | None = None  # whether that node's owner runs, from its owner record

    @property
    def orphaned(self) -> bool:
        """Nothing alive will remove it: the process that created it is gone. (When the name does not say
        who made it, it is not called orphaned: ``podnotes cleanup --all`` removes such things.)"""
        if self.node is not None:
            return not self.node_alive
        return self.creator is not None and not pid_exists(self.creator)

    def made_by(self) -> str:
        """Who made it, for listings: ``PID 42 (gone)``, ``local node podnotes-node-ab12 (gone, PID 42)``."""
        state = "gone" if self.orphaned else "running"
        if self.node is not None:
            return f"local node {self.node} ({state}" + (f", PID {self.creator})" if self.creator else ")")
        return f"PID {self.creator} ({state})" if self.creator else "unknown"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Leaks:
    cgroups: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    items: tuple[Leftover, ...] = field(default=(), repr=False, compare=False)

    def __bool__(self) -> bool:
        return any((self.cgroups, self.mounts, self.network, self.processes, self.paths))

    def empty(self) -> bool:
        return not self

    def count(self) -> int:
        return sum(len(getattr(self, kind)) for kind in KINDS)

    @classmethod
    def of(cls, items: list[Leftover]) -> Leaks:
        grouped = {kind: sorted(str(item) for item in items if item.kind == kind) for kind in KINDS}
        return cls(**grouped, items=tuple(items))

    def __str__(self) -> str:
        if not self:
            return "nothing left behind"
        lines = [f"{kind}: {', '.join(getattr(self, kind))}" for kind in KINDS if getattr(self, kind)]
        return "\n".join(lines) + "\n(`podnotes cleanup` removes what finished or killed runs left)"



# --- finding --------------------------------------------------------------------------------------
def leftover_cgroups(mounts_file: Path = MOUNTS, created_by: int | None = None) -> list[str]:
    """cgroups named by ``podnotes.linux.cgroups`` (whose names carry the creator's PID)."""
    return sorted(item.name for item in _cgroups(mounts_file) if created_by in (None, item.creator))


def _cgroups(mounts_file: Path = MOUNTS) -> list[Leftover]:
    found = []
    for point in _cgroup_mounts(mounts_file):
        for directory, subdirs, _files in os.walk(point):
            for name in list(subdirs):
                match = CGROUP_NAME.match(name)
                if match:
                    found.append(Leftover("cgroups", os.path.join(directory, name), int(match.group(1))))
                    subdirs.remove(name)
    return found


def leftover_mounts(mounts_file: Path = MOUNTS) -> list[str]:
    return [item.name for item in _mounts(mounts_file)]


def _mounts(mounts_file: Path = MOUNTS) -> list[Leftover]:
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and any(mark in " ".join(fields[:2]) for mark in MOUNT_MARKS):
            match = TEMP_NAME.match(Path(fields[1]).name)
            found.append(Leftover("mounts", " ".join(fields[:3]), int(match.group(1)) if match else None))
    return found


def leftover_network() -> list[str]:
    return [item.name for item in _network(_processes())]


def _network(processes: list[Leftover]) -> list[Leftover]:
    found = [Leftover("network", f"netns {path}") for path in sorted(NETNS_DIR.glob(f"{PREFIX}*"))]
    found += [Leftover("network", f"interface {name}") for _index, name in socket.if_nameindex()
              if name.startswith(PREFIX)]
    host = _netns_of("self")
    seen = {host}
    for process in processes:
        namespace = _netns_of(process.pid)
        if namespace is None or namespace in seen:
            continue
        seen.add(namespace)
        for name in _interfaces_in(process.pid):  # type: ignore[arg-type]
            if name.startswith(PREFIX):
                found.append(Leftover("network", f"interface {name} (in the network namespace of process "
                                                 f"{process.pid})", process.creator))
    return found


def _netns_of(pid) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def _interfaces_in(pid: int) -> list[str]:
    try:
        lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    except OSError:
        return []
    return [line.split(":", 1)[0].strip() for line in lines if ":" in line]


def leftover_processes(created_by: int | None = None) -> list[str]:
    """Processes carrying the podnotes marker (optionally: the one set by the
    process ``created_by``), other than this process and its ancestors."""
    return sorted(item.name for item in _processes() if created_by in (None, item.creator))


def _processes() -> list[Leftover]:
    mine = _ancestors(os.getpid())
    prefix = f"{MARKER_ENV}=".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or another user's
            continue
        marker = next((item[len(prefix):] for item in environ.split(b"\0") if item.startswith(prefix)), None)
        if marker is None or not cmdline:  # no marker, or a zombie / kernel thread
            continue
        creator = int(marker) if marker.isdigit() else None
        found.append(Leftover("processes", f"{entry.name} {cmdline}", creator, int(entry.name)))
    return found


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
    return sorted(item.name for item in _paths(directory) if created_by in (None, item.creator))


def _paths(directory: str | None = None) -> list[Leftover]:
    directory = Path(directory or tempfile.gettempdir())  # type: ignore[assignment]
    found = []
    try:
        entries = list(directory.iterdir())  # type: ignore[union-attr]
    except OSError:
        return []
    for path in entries:
        if path.name.startswith(TEMP_PREFIXES):
            match = TEMP_NAME.match(path.name)
            found.append(Leftover("paths", str(path), int(match.group(1)) if match else None))
    return found


def find(created_by: int | None = None, include_orphans: bool = False) -> list[Leftover]:
    """Every podnotes object on this machine, in use or not; with ``created_by``, those that process made
    (plus, with ``include_orphans``, those of this user whose creator is gone: another user's are theirs)."""
    processes = _processes()
    items = [*processes, *_cgroups(), *_mounts(), *_network(processes), *_paths()]
    items = _with_dead_nodes(items)
    if created_by is None:
        return items
    return [item for item in items
            if item.creator == created_by or include_orphans and item.orphaned and _owned_by_this_user(item)]


def _with_dead_nodes(items: list[Leftover]) -> list[Leftover]:
    """Add what local nodes whose owner is gone left (podnotes.node.leftovers); a process both lists is
    counted once, as the node's."""
    from podnotes.node.leftovers import dead_node_leftovers

    if not is_linux():
        return items  # no local node runs elsewhere
    nodes = dead_node_leftovers()
    node_pids = {item.pid for item in nodes if item.pid is not None}
    node_names = {(item.kind, item.name) for item in nodes}
    kept = [item for item in items if item.pid not in node_pids or item.pid is None]
    kept = [item for item in kept if (item.kind, item.name) not in node_names]
    return kept + nodes


def _left_behind(item: Leftover) -> bool:
    # Mounts and interfaces on the host are never there while an experiment runs (podnotes makes them
    # inside private namespaces), so they count even when their name does not say who made them.
    return item.orphaned or (item.creator is None and item.kind in ("mounts", "network"))


def leaks(settle: float = 5.0, created_by: int | None = None, include_orphans: bool = False,
          everything: bool = False) -> Leaks:
    """What podnotes runs left on this machine, whichever process made it.

    By default: everything whose creator has ended (and host mounts and
    interfaces podnotes never leaves there), but not what podnotes processes
    that are still running use. With ``created_by``: what that process made,
    running or not, plus, with ``include_orphans``, what this user's ended processes left.
    ``everything``: every podnotes object, in use or not. Processes killed a
    moment ago may still be exiting (and a killed run's watchdog removing what
    it made); they get up to ``settle`` seconds before they count.
    On other systems than Linux there are no kernel objects of podnotes' to
    find (its experiments do not run there), only temporary directories.
    """
    if not is_linux():
        return Leaks(paths=leftover_paths(created_by=created_by))
    deadline = time.monotonic() + settle
    while True:
        items = find(created_by, include_orphans)
        if created_by is None and not everything:
            items = [item for item in items if _left_behind(item)]
        found = Leaks.of(items)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def own_leaks(settle: float = 5.0) -> Leaks:
    """What this process created that still exists, plus what this user's ended runs left (orphans nothing
    else will remove): what a notebook checks at its end. Other running sessions' objects, and other
    users' orphans, do not count."""
    return leaks(settle, created_by=os.getpid(), include_orphans=True)


# --- removing -------------------------------------------------------------------------------------
@dataclass
class Removal:
    """What :func:`remove` did: ``removed`` and ``failed`` (leftover, reason)."""

    removed: list[Leftover] = field(default_factory=list)
    failed: list[tuple[Leftover, str]] = field(default_factory=list)

    def summary(self) -> str:
        counts = {kind: sum(1 for item in self.removed if item.kind == kind) for kind in KINDS}
        text = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count) or "nothing"
        if self.failed:
            text += f"; could not remove {len(self.failed)}: " + "; ".join(f"{item} ({why})"
                                                                          for item, why in self.failed[:5])
        return text


def remove(items: list[Leftover]) -> Removal:
    """Remove leftovers: processes first (SIGKILL), then cgroups (after killing what runs in them), mounts
    (lazy unmount), network interfaces and namespaces, and folders. Never raises for one item."""
    result = Removal()
    order = {kind: index for index, kind in enumerate(KINDS)}
    for item in sorted(items, key=lambda leftover: order[leftover.kind]):
        try:
            _REMOVERS[item.kind](item)
            result.removed.append(item)
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            result.failed.append((item, str(err)))
    return result


def _remove_process(item: Leftover) -> None:
    try:
        os.kill(item.pid, signal.SIGKILL)  # type: ignore[arg-type]
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while Path(f"/proc/{item.pid}").exists() and _state(item.pid) not in ("Z", "X", None):  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {item.pid} did not die")
        time.sleep(0.02)


def _state(pid: int) -> str | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), None)


def _remove_cgroup(item: Leftover) -> None:
    from podnotes.linux.cgroups import CgroupV1, CgroupV2

    if item.node is not None:
        _remove_node_cgroup(Path(item.name))
        return
    path = Path(item.name)
    group = (CgroupV2 if (path / "cgroup.kill").exists() or (path / "cgroup.type").exists() else CgroupV1)(
        path.name, {"unified": path})
    group.remove()


def _remove_node_cgroup(top: Path) -> None:
    """A local node's cgroup tree (the kubelet's ``kubepods`` inside): kill what still runs in it, then
    rmdir children first (a cgroup directory goes only when empty)."""
    from podnotes.node import host

    relative = "/" + top.name
    host.kill_processes(host.processes_in_cgroup(relative), grace=0)
    problems = host.remove_cgroups(top.name)
    if top.exists():
        raise RuntimeError("; ".join(problems) or f"{top} is still there")


def _remove_mount(item: Leftover) -> None:
    target = item.name.split()[1]
    try:
        subprocess.run(["umount", "--lazy", target], check=True, capture_output=True, timeout=30)
    except subprocess.CalledProcessError:
        if target in _mount_points():
            raise
        # gone meanwhile: with its parent mount, or removed by another cleanup


def _remove_network(item: Leftover) -> None:
    words = item.name.split()
    if words[0] == "netns":
        subprocess.run(["ip", "netns", "delete", Path(words[1]).name], check=True, capture_output=True, timeout=30)
    elif "(in the network namespace of process" in item.name:
        return  # goes away with the process that holds the namespace
    elif Path("/sys/class/net", words[1]).exists():  # a veth goes with its peer's namespace
        subprocess.run(["ip", "link", "delete", words[1]], check=True, capture_output=True, timeout=30)


def _remove_path(item: Leftover) -> None:
    path = Path(item.name)
    if any(point.startswith(str(path) + "/") or point == str(path) for point in _mount_points()):
        raise RuntimeError("something is still mounted inside")
    try:  # noqa: SIM105 - the except clause says why
        shutil.rmtree(path)
    except FileNotFoundError:
        pass  # removed meanwhile (by the run's own watchdog, say)


def _mount_points() -> list[str]:
    try:
        return [line.split()[1] for line in MOUNTS.read_text().splitlines() if len(line.split()) > 1]
    except OSError:
        return []


_REMOVERS = {"processes": _remove_process, "cgroups": _remove_cgroup, "mounts": _remove_mount,
             "network": _remove_network, "paths": _remove_path}


def orphans(only_removable: bool = False) -> list[Leftover]:
    """Leftovers whose creator is gone: safe to remove while other podnotes sessions run. With
    ``only_removable``, only those this user may remove (root: all; others: their own processes and folders)."""
    return [item for item in find() if item.orphaned and (not only_removable or _removable(item))]


def _removable(item: Leftover) -> bool:
    return os.geteuid() == 0 or item.kind in ("processes", "paths") and _owned_by_this_user(item)


def _owned_by_this_user(item: Leftover) -> bool:
    """Whether ``item`` belongs to the user running this process: the owner of a process, a folder or a cgroup
    directory; mounts and network devices of the host's namespaces, which only root makes, belong to root."""
    uid = os.geteuid()
    try:
        if item.kind == "processes":
            return os.stat(f"/proc/{item.pid}").st_uid == uid
        if item.kind in ("paths", "cgroups"):
            return os.stat(item.name).st_uid == uid
    except OSError:
        return False
    return uid == 0


_reaped = threading.Lock()
_reaped_once: list[Removal] = []


def skip_reaping() -> None:
    """Never reap automatically in this process (``podnotes cleanup`` lists before it removes)."""
    with _reaped:
        _reaped_once.append(Removal())


def reap_orphans_once(stream=None) -> Removal | None:
    """Remove, once per process, what killed runs of this user left (see :func:`orphans`), and say so on
    stderr.

    Called before podnotes creates processes, cgroups or root file systems,
    so a run cleans up after an earlier run that was killed. Another user's
    leftovers (a rootless run's, seen by root) stay for that user, or for
    ``podnotes cleanup``, which lists them all: removing them unasked would
    pull them from under the user's own cleanup. Also starts this
    process's watchdog (``podnotes.linux.watchdog``), which removes what
    this process made as soon as it ends, however it ends."""
    from podnotes.linux.watchdog import ensure_watching

    ensure_watching()
    with _reaped:
        if _reaped_once:
            return None
        found = [item for item in orphans(only_removable=True) if _owned_by_this_user(item)]
        result = remove(found) if found else Removal()
        _reaped_once.append(result)
    if found:
        print(f"podnotes: removed what earlier, killed runs left behind: {result.summary()}",
              file=stream or sys.stderr)
    return result
