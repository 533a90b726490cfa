"""Control groups, v1 and v2, behind one interface.

A ``Cgroup`` is created with ``create_cgroup()``, given limits with
``apply()``, receives processes (``podnotes.linux.launcher`` writes the
child's PID into ``procs_files()`` before it runs anything), reports
``usage()`` and is removed, its processes killed first, by ``remove()`` or by
leaving its ``with`` block, also on an error or Ctrl-C.

cgroup v1 keeps one tree per controller (``/sys/fs/cgroup/memory/...``,
``/sys/fs/cgroup/cpu/...``), so one group is a directory in each; cgroup v2
has one tree, so one group is one directory. ``FILES`` maps the file names.
Every group podnotes creates is named ``podnotes-...``, which is how
``podnotes.linux.leaks`` finds leftovers.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from podnotes.display import FieldTable
from podnotes.linux.machine import CGROUP_ROOT, MOUNTS, _cgroup_mounts, cgroup_version

CGROUP_PREFIX = "podnotes-"
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")
V2_CONTROLLERS = ("memory", "cpu", "pids")
UNLIMITED = None

# The same idea in both versions: (v1 file, v2 file).
FILES = {
    "add a process": ("cgroup.procs (or tasks, per thread)", "cgroup.procs"),
    "memory limit": ("memory.limit_in_bytes", "memory.max"),
    "memory in use": ("memory.usage_in_bytes", "memory.current"),
    "memory high-water mark": ("memory.max_usage_in_bytes", "memory.peak"),
    "OOM kills": ("memory.oom_control (oom_kill)", "memory.events (oom_kill)"),
    "CPU quota per period": ("cpu.cfs_quota_us, cpu.cfs_period_us", "cpu.max"),
    "CPU weight": ("cpu.shares (default 1024)", "cpu.weight (default 100)"),
    "CPU time used": ("cpuacct.usage (ns)", "cpu.stat (usage_usec)"),
    "CPU throttling": ("cpu.stat (nr_throttled, throttled_time ns)", "cpu.stat (nr_throttled, throttled_usec)"),
    "process limit": ("pids.max", "pids.max"),
    "processes now": ("pids.current", "pids.current"),
    "forks refused": ("pids.events (max)", "pids.events (max)"),
}

_counter = itertools.count(1)


class CgroupError(RuntimeError):
    """A cgroup could not be created, configured or removed; names the file."""


@dataclass(frozen=True)
class Limits(FieldTable):
    """A resource budget. ``None`` means unlimited."""

    memory_bytes: int | None = None
    cpu_quota_us: int | None = None
    cpu_period_us: int = 100_000
    cpu_weight: int | None = None  # v2 scale 1..10000 (100 = default); v1 gets the matching cpu.shares
    pids_max: int | None = None

    @classmethod
    def cpu_percent(cls, percent: float, period_us: int = 100_000, **others) -> Limits:
        """A CPU cap of ``percent`` of one core, e.g. 20 -> 20000 µs per 100000 µs."""
        return cls(cpu_quota_us=int(period_us * percent / 100), cpu_period_us=period_us, **others)


@dataclass(frozen=True)
class Usage:
    """What the kernel accounted for a group (None when this kernel lacks the file)."""

    memory_bytes: int | None
    memory_peak_bytes: int | None
    memory_limit_hits: int | None
    oom_kills: int | None
    cpu_usage_usec: int | None
    cpu_periods: int | None
    cpu_throttled_periods: int | None
    cpu_throttled_usec: int | None
    pids_current: int | None
    pids_limit_hits: int | None


def weight_to_shares(weight: int) -> int:
    """cgroup v2 ``cpu.weight`` (1..10000) to v1 ``cpu.shares`` (2..262144),
    the inverse of the conversion Kubernetes and runc use."""
    return 2 + -(-(weight - 1) * 262142 // 9999)  # rounded up, so converting back gives ``weight``


def shares_to_weight(shares: int) -> int:
    """v1 ``cpu.shares`` to v2 ``cpu.weight`` with the *linear* conversion:
    ``1 + ((shares - 2) * 9999) // 262142``, maps 2..262144 onto 1..10000.

    runc before 1.3.2 and crun before 1.23 used it for containers; the kubelet
    still uses it for the Pod-level and QoS groups it manages itself
    (``getCPUWeight`` in ``pkg/kubelet/cm/cgroup_manager_linux.go``, v1.37.2).
    It sends the v1 default 1024 to 39, not to v2's default 100; runc and crun
    replaced it with :func:`shares_to_weight_quadratic`.
    """
    shares = min(max(shares, 2), 262144)
    return 1 + ((shares - 2) * 9999) // 262142


def shares_to_weight_quadratic(shares: int) -> int:
    """v1 ``cpu.shares`` to v2 ``cpu.weight`` with the conversion of runc >= 1.3.2
    and crun >= 1.23, which write a container's group.

    With ``l = log2(shares)``: ``weight = ceil(10 ** ((l*l + 125*l) / 612 - 7/34))``,
    a quadratic in ``l`` chosen so that the minimum (2 -> 1), the default
    (1024 -> 100) and the maximum (262144 -> 10000) all map onto each other.
    0 means unset and stays 0. Source: ``ConvertCPUSharesToCgroupV2Value`` in
    opencontainers/cgroups (``utils.go``), introduced by
    https://github.com/opencontainers/runc/pull/4785.
    """
    if shares == 0:
        return 0
    if shares <= 2:
        return 1
    if shares >= 262144:
        return 10000
    level = math.log2(shares)
    return math.ceil(10 ** ((level * level + 125 * level) / 612 - 7 / 34))


class Cgroup:
    """One control group; see the module docstring."""

    version = "?"

    def __init__(self, name: str, paths: dict[str, Path]):
        self.name = name
        self.paths = paths  # controller (or "unified") -> directory

    def __repr__(self) -> str:
        return f"<cgroup {self.version} {self.name}: {', '.join(str(p) for p in self.directories())}>"

    def __enter__(self) -> Cgroup:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def directories(self) -> list[Path]:
        return list(dict.fromkeys(self.paths.values()))

    def procs_files(self) -> list[str]:
        """The files a process writes its PID into to join this group."""
        return [str(path / "cgroup.procs") for path in self.directories()]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.directories():
            text = _read(path / "cgroup.procs")
            found.update(int(pid) for pid in (text or "").split())
        return sorted(found)

    def apply(self, limits: Limits) -> None:
        raise NotImplementedError

    def usage(self) -> Usage:
        raise NotImplementedError

    def kill_all(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                raise CgroupError(f"{self}: processes {pids} did not die")
            time.sleep(0.02)

    def remove(self, timeout: float = 5.0) -> None:
        """Kill what runs inside, then remove the group's directories."""
        from podnotes.linux.processes import forget_on_termination

        forget_on_termination(self.remove)
        if not any(path.exists() for path in self.directories()):
            return
        self.kill_all(timeout)
        for path in self.directories():
            _remove_directory(path, timeout)


class CgroupV1(Cgroup):
    version = "v1"

    def apply(self, limits: Limits) -> None:
        if limits.memory_bytes is not None:
            _write(self.paths["memory"] / "memory.limit_in_bytes", limits.memory_bytes)
            # Without swap accounting this file is absent; with it, forbid swapping round the limit.
            memsw = self.paths["memory"] / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                _write(memsw, limits.memory_bytes)
        if limits.cpu_quota_us is not None:
            _write(self.paths["cpu"] / "cpu.cfs_period_us", limits.cpu_period_us)
            _write(self.paths["cpu"] / "cpu.cfs_quota_us", limits.cpu_quota_us)
        if limits.cpu_weight is not None:
            _write(self.paths["cpu"] / "cpu.shares", weight_to_shares(limits.cpu_weight))
        if limits.pids_max is not None:
            _write(self.paths["pids"] / "pids.max", limits.pids_max)

    def limits(self) -> Limits:
        quota = _int(self.paths["cpu"] / "cpu.cfs_quota_us")
        memory = _int(self.paths["memory"] / "memory.limit_in_bytes")
        pids = _read(self.paths["pids"] / "pids.max")
        return Limits(
            memory_bytes=memory if memory is not None and memory < 2**62 else None,
            cpu_quota_us=quota if quota is not None and quota >= 0 else None,
            cpu_period_us=_int(self.paths["cpu"] / "cpu.cfs_period_us") or 100_000,
            cpu_weight=shares_to_weight(_int(self.paths["cpu"] / "cpu.shares") or 1024),
            pids_max=None if pids in (None, "max") else int(pids),
        )

    def usage(self) -> Usage:
        memory, cpu, pids = self.paths["memory"], self.paths["cpu"], self.paths["pids"]
        cpu_stat = _keyed(cpu / "cpu.stat")
        usage_ns = _int(self.paths.get("cpuacct", cpu) / "cpuacct.usage")
        throttled_ns = cpu_stat.get("throttled_time")
        return Usage(
            memory_bytes=_int(memory / "memory.usage_in_bytes"),
            memory_peak_bytes=_int(memory / "memory.max_usage_in_bytes"),
            memory_limit_hits=_int(memory / "memory.failcnt"),
            oom_kills=_keyed(memory / "memory.oom_control").get("oom_kill"),
            cpu_usage_usec=None if usage_ns is None else usage_ns // 1000,
            cpu_periods=cpu_stat.get("nr_periods"),
            cpu_throttled_periods=cpu_stat.get("nr_throttled"),
            cpu_throttled_usec=None if throttled_ns is None else throttled_ns // 1000,
            pids_current=_int(pids / "pids.current"),
            pids_limit_hits=_keyed(pids / "pids.events").get("max"),
        )


class CgroupV2(Cgroup):
    version = "v2"

    @property
    def path(self) -> Path:
        return self.paths["unified"]

    def apply(self, limits: Limits) -> None:
        if limits.memory_bytes is not None:
            _write(self.path / "memory.max", limits.memory_bytes)
            if (self.path / "memory.swap.max").exists():
                _write(self.path / "memory.swap.max", 0)
        if limits.cpu_quota_us is not None:
            _write(self.path / "cpu.max", f"{limits.cpu_quota_us} {limits.cpu_period_us}")
        if limits.cpu_weight is not None:
            _write(self.path / "cpu.weight", limits.cpu_weight)
        if limits.pids_max is not None:
            _write(self.path / "pids.max", limits.pids_max)

    def limits(self) -> Limits:
        quota, _, period = (_read(self.path / "cpu.max") or "max 100000").partition(" ")
        memory = _read(self.path / "memory.max")
        pids = _read(self.path / "pids.max")
        return Limits(
            memory_bytes=None if memory in (None, "max") else int(memory),
            cpu_quota_us=None if quota == "max" else int(quota),
            cpu_period_us=int(period or 100_000),
            cpu_weight=_int(self.path / "cpu.weight"),
            pids_max=None if pids in (None, "max") else int(pids),
        )

    def usage(self) -> Usage:
        cpu_stat = _keyed(self.path / "cpu.stat")
        memory_events = _keyed(self.path / "memory.events")
        return Usage(
            memory_bytes=_int(self.path / "memory.current"),
            memory_peak_bytes=_int(self.path / "memory.peak"),
            memory_limit_hits=memory_events.get("max"),
            oom_kills=memory_events.get("oom_kill"),
            cpu_usage_usec=cpu_stat.get("usage_usec"),
            cpu_periods=cpu_stat.get("nr_periods"),
            cpu_throttled_periods=cpu_stat.get("nr_throttled"),
            cpu_throttled_usec=cpu_stat.get("throttled_usec"),
            pids_current=_int(self.path / "pids.current"),
            pids_limit_hits=_keyed(self.path / "pids.events").get("max"),
        )

    def kill_all(self, timeout: float = 5.0) -> None:
        kill_file = self.path / "cgroup.kill"  # Linux 5.14+: kills the whole subtree at once
        if kill_file.exists() and self.pids():
            _write(kill_file, 1)
        super().kill_all(timeout)


# --------------------------------------------------------------------------
# Creating groups


@dataclass(frozen=True)
class Layout:
    """Where groups are created: the version, and the parent directory per
    controller (v1) or the one parent directory (v2, key ``unified``)."""

    version: str
    parents: dict[str, Path] = field(default_factory=dict)


# cgroup v2 without root: a group delegated to this user that holds no process itself
# (cgroups(7) "Delegation"; the "no internal processes" rule keeps the notebook out of it).
DELEGATED_PARENT_ENV = "PODNOTES_CGROUP_PARENT"


def detect_layout(mounts_file: Path = MOUNTS, own_cgroups: Path = Path("/proc/self/cgroup"),
                  root: Path = CGROUP_ROOT) -> Layout:
    """v1 and hybrid machines: nest each group under this process's own
    cgroup in every controller tree. v2: under the root of the unified tree,
    the only place a new group can get controllers without moving anyone."""
    version = cgroup_version(root, mounts_file)
    mounts = _cgroup_mounts(mounts_file)
    if version == "v2":
        delegated = os.environ.get(DELEGATED_PARENT_ENV)
        if delegated:
            return Layout("v2", {"unified": Path(delegated)})
        unified = next(Path(point) for point, kind in mounts.items() if kind == "cgroup2")
        if not os.access(unified, os.W_OK):
            unified = delegated_v2_parent(unified, own_cgroups) or unified
        return Layout("v2", {"unified": unified})
    if version == "none":
        raise CgroupError(f"no cgroup file system is mounted (see {mounts_file})")
    options = _v1_mount_options(mounts_file)
    own = _own_v1_paths(own_cgroups)
    parents = {}
    for controller in V1_CONTROLLERS:
        point = next((p for p, opts in options.items() if controller in opts), None)
        if point is None:
            continue
        relative = next((path for names, path in own.items() if controller in names), "/")
        parents[controller] = Path(point) / relative.lstrip("/")
        own_subtree = Path(point) / delegated_name()
        if not os.access(parents[controller], os.W_OK) and os.access(own_subtree, os.W_OK):
            parents[controller] = own_subtree
    missing = {"memory", "cpu", "pids"} - set(parents)
    if missing:
        raise CgroupError(f"cgroup v1 controllers not mounted: {', '.join(sorted(missing))} (see {mounts_file})")
    return Layout("v1", parents)


def delegated_v2_parent(unified: Path, own_cgroups: Path = Path("/proc/self/cgroup")) -> Path | None:
    """The top of the subtree delegated to this user that holds this process (the highest writable
    ancestor of its cgroup, e.g. ``user@1000.service`` under ``systemd-run --user --scope -p
    Delegate=yes``), when that is not the process's own group (which holds processes, so it may not
    enable controllers for children: cgroups(7), "no internal processes"). None when nothing is delegated."""
    try:
        own = next(line.split(":", 2)[2] for line in own_cgroups.read_text().splitlines()
                   if line.startswith("0::"))
    except (OSError, StopIteration):
        return None
    path = unified / own.strip().lstrip("/")
    top = None
    while path != unified and unified in path.parents:
        if os.access(path, os.W_OK) and os.access(path / "cgroup.procs", os.W_OK):
            top = path
        path = path.parent
    own_group = unified / own.strip().lstrip("/")
    return top if top is not None and top != own_group else None


def delegated_name(uid: int | None = None) -> str:
    """The group root makes for a user on cgroup v1 (:func:`delegate_v1`): ``podnotes-user-UID``."""
    return f"podnotes-user-{os.getuid() if uid is None else uid}"


def delegate_v1(uid: int, gid: int, mounts_file: Path = MOUNTS) -> list[Path]:
    """As root on a cgroup v1 or hybrid machine: give user ``uid`` a group of its own at the top of
    each controller tree that ``podnotes`` uses, owned by it with its ``cgroup.procs`` and ``tasks``,
    so that its experiments create their groups in it (cgroups(7), "Delegation"; on v1 moving a
    process needs write access to the target's ``cgroup.procs`` only). Returns the directories.
    The command line: ``sudo python -m podnotes.linux.cgroups delegate USER``."""
    made = []
    for point, options in _v1_mount_options(mounts_file).items():
        if not options & set(V1_CONTROLLERS):
            continue
        group = Path(point) / delegated_name(uid)
        group.mkdir(exist_ok=True)
        made.append(group)
        for path in (group, group / "cgroup.procs", group / "tasks"):
            os.chown(path, uid, gid)
    return made


def undelegate_v1(uid: int, mounts_file: Path = MOUNTS, timeout: float = 5.0) -> list[Path]:
    """Remove what :func:`delegate_v1` made for ``uid`` (its own groups inside must be gone); returns them."""
    removed = []
    for point, options in _v1_mount_options(mounts_file).items():
        group = Path(point) / delegated_name(uid)
        if options & set(V1_CONTROLLERS) and group.is_dir():
            _remove_directory(group, timeout)
            removed.append(group)
    return removed


def _v1_mount_options(mounts_file: Path) -> dict[str, set[str]]:
    found = {}
    for line in mounts_file.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup":
            found[fields[1]] = set(fields[3].split(","))
    return found


def _own_v1_paths(own_cgroups: Path) -> dict[frozenset, str]:
    paths = {}
    for line in own_cgroups.read_text().splitlines():
        _, names, path = line.split(":", 2)
        if names:
            paths[frozenset(names.split(","))] = path
    return paths


def create_cgroup(limits: Limits | None = None, name: str = "group", layout: Layout | None = None) -> Cgroup:
    """Create ``podnotes-NAME-PID-N`` and apply ``limits``. On any failure
    nothing is left behind."""
    from podnotes.linux.leaks import reap_orphans_once
    from podnotes.linux.processes import on_termination

    reap_orphans_once()
    layout = layout or detect_layout()
    full_name = f"{CGROUP_PREFIX}{name}-{os.getpid()}-{next(_counter)}"
    if layout.version == "v2":
        parent = layout.parents["unified"]
        _enable_controllers(parent)
        group: Cgroup = CgroupV2(full_name, {"unified": parent / full_name})
    else:
        group = CgroupV1(full_name, {c: parent / full_name for c, parent in layout.parents.items()})
    try:
        for path in group.directories():
            try:
                path.mkdir()
            except OSError as err:
                raise CgroupError(f"cannot create {path}: {err.strerror}") from None
        if limits is not None:
            group.apply(limits)
    except BaseException:
        group.remove()
        raise
    on_termination(group.remove)
    return group


def _enable_controllers(parent: Path) -> None:
    control = parent / "cgroup.subtree_control"
    enabled = set((_read(control) or "").split())
    for controller in V2_CONTROLLERS:
        if controller not in enabled:
            _write(control, f"+{controller}")


# --------------------------------------------------------------------------
# Small file helpers; every error names the file.


def _write(path: Path, value) -> None:
    try:
        with open(path, "w") as target:
            target.write(str(value))
    except OSError as err:
        raise CgroupError(f"cannot write {value!r} to {path}: {err.strerror}") from None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError as err:
        raise CgroupError(f"cannot read {path}: {err.strerror}") from None


def _int(path: Path) -> int | None:
    text = _read(path)
    return None if text in (None, "", "max") else int(text)


def _keyed(path: Path) -> dict[str, int]:
    """Parse ``key value`` lines (cpu.stat, memory.events, pids.events ...)."""
    values = {}
    for line in (_read(path) or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


def _remove_directory(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as err:
            # EBUSY while the last exiting processes are still being released.
            if err.errno != errno.EBUSY or time.monotonic() > deadline:
                raise CgroupError(f"cannot remove {path}: {err.strerror}") from None
            time.sleep(0.02)


def main(argv: list[str]) -> int:
    """``python -m podnotes.linux.cgroups delegate|undelegate USER`` (root, cgroup v1 or hybrid)."""
    import pwd

    if len(argv) != 2 or argv[0] not in ("delegate", "undelegate"):
        print("usage: python -m podnotes.linux.cgroups delegate|undelegate USER", file=sys.stderr)
        return 4
    try:
        account = pwd.getpwnam(argv[1])
    except KeyError:
        print(f"no user {argv[1]!r} on this machine", file=sys.stderr)
        return 4
    if cgroup_version() not in ("v1", "hybrid"):
        print("on cgroup v2, systemd delegates: systemd-run --user --scope -p Delegate=yes COMMAND", file=sys.stderr)
        return 5
    try:
        done = (delegate_v1(account.pw_uid, account.pw_gid) if argv[0] == "delegate"
                else undelegate_v1(account.pw_uid))
    except (OSError, CgroupError) as err:
        print(f"podnotes: {argv[0]} {argv[1]}: {err}", file=sys.stderr)
        return 5
    for group in done:
        print(group)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
