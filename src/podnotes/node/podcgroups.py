"""Reading, on the host, the cgroups the kubelet made for a Pod and the values written into them.

A process's groups come from ``/proc/<pid>/cgroup`` (``man 7 cgroups``): on cgroup v1 one line per
hierarchy, ``ID:controller[,controller]:/path``; on v2 the single line ``0::/path``. The kubelet places
every Pod under ``kubepods`` (below the node's ``cgroupRoot``), Burstable and BestEffort Pods one level
deeper in ``burstable`` / ``besteffort``, then ``pod<UID>``, then one group per container named by
containerd's CRI plugin (the container ID with the cgroupfs driver, ``cri-containerd-<ID>.scope`` with the
systemd driver, where every kubelet group is a ``.slice``): ``pkg/kubelet/cm/qos_container_manager_linux.go``,
``pod_container_manager_linux.go`` and ``cgroup_manager_linux.go`` (v1.37.2).

The files read, by cgroup version (kernel ``Documentation/admin-guide/cgroup-v1/`` and ``cgroup-v2.rst``):

====================  ===============================  ============
what                  v1 (hierarchy/file)              v2 file
====================  ===============================  ============
CPU weight            ``cpu/cpu.shares``               ``cpu.weight``
CPU quota, period µs  ``cpu/cpu.cfs_quota_us``,        ``cpu.max``
                      ``cpu/cpu.cfs_period_us``
memory limit, bytes   ``memory/memory.limit_in_bytes`` ``memory.max``
process limit         ``pids/pids.max``                ``pids.max``
====================  ===============================  ============
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..linux.kube_resources import KUBEPODS

CGROUP_MOUNT = Path("/sys/fs/cgroup")
#: v1: file name -> the controller whose hierarchy holds it.
V1_FILES = {"cpu.shares": "cpu", "cpu.cfs_quota_us": "cpu", "cpu.cfs_period_us": "cpu",
            "memory.limit_in_bytes": "memory", "pids.max": "pids"}
V2_FILES = ("cpu.weight", "cpu.max", "memory.max", "pids.max")
#: The levels of a container's chain, from the top: where each level's group is relative to the container's.
LEVELS = {"container": 0, "pod": 1, "qos": 2}
#: The kernel's "no memory limit" on v1 (PAGE_COUNTER_MAX pages, rounded to the page size): any value at
#: least this large reads as no limit.
V1_UNLIMITED_MEMORY = 2**62


class CgroupReadError(ValueError):
    """A ``/proc/<pid>/cgroup`` text or cgroup path that is not what the kubelet makes."""


@dataclass(frozen=True)
class ProcessGroups:
    """Where one process sits: ``version`` "v1" or "v2"; ``paths`` maps a v1 controller (``cpu``,
    ``memory``, ``pids`` …) or, on v2, the empty string to the path below the cgroup mount."""

    version: str
    paths: dict[str, str]

    def path_for(self, controller: str) -> str:
        return self.paths[""] if self.version == "v2" else self.paths[controller]

    @property
    def any_path(self) -> str:
        return self.path_for("memory")


def parse_proc_cgroup(text: str) -> ProcessGroups:
    """Parse ``/proc/<pid>/cgroup``. A v1 line naming several controllers (``cpu,cpuacct``) counts for each;
    named hierarchies (``name=systemd``) are kept under their name. Raises :class:`CgroupReadError` for a
    line that is not ``ID:controllers:path`` or for an empty text."""
    paths: dict[str, str] = {}
    unified = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            raise CgroupReadError(f"/proc/<pid>/cgroup line {number}: {line!r} is not ID:controllers:/path")
        if parts[0] == "0" and parts[1] == "":
            unified = parts[2]
            continue
        for controller in parts[1].split(","):
            paths[controller] = parts[2]
    if not paths and unified is None:
        raise CgroupReadError("/proc/<pid>/cgroup is empty")
    has_v1_controllers = any(not name.startswith("name=") for name in paths)
    if has_v1_controllers:
        return ProcessGroups("v1", paths)
    return ProcessGroups("v2", {"": unified or ""})


def kubepods_chain(path: str) -> tuple[str, ...]:
    """The groups of ``path`` from ``kubepods`` (or ``kubepods.slice``) down, without the node's cgroup
    root above it. Raises :class:`CgroupReadError` when the path has no kubepods group."""
    names = [name for name in path.split("/") if name]
    for index, name in enumerate(names):
        if name in (KUBEPODS, f"{KUBEPODS}.slice"):
            return tuple(names[index:])
    raise CgroupReadError(f"{path!r} is not below a {KUBEPODS} group")


def cgroup_driver(chain: tuple[str, ...]) -> str:
    """``systemd`` when the kubelet's groups are slices, else ``cgroupfs``."""
    return "systemd" if chain[0].endswith(".slice") else "cgroupfs"


def level_path(path: str, level: str) -> str:
    """The path of the container's group (``container``), its Pod's (``pod``) or its QoS class's (``qos``:
    for a Guaranteed Pod that is ``kubepods`` itself)."""
    up = LEVELS[level]
    names = [name for name in path.split("/") if name]
    return "/" + "/".join(names[: len(names) - up])


def read_values(groups: ProcessGroups, level: str = "container", mount: Path = CGROUP_MOUNT) -> dict[str, str]:
    """The kubelet's resource files of one level of ``groups``, file name -> content (stripped). A file
    that does not exist on this kernel is left out."""
    values: dict[str, str] = {}
    if groups.version == "v2":
        folder = mount / level_path(groups.path_for(""), level).lstrip("/")
        for name in V2_FILES:
            if (folder / name).is_file():
                values[name] = (folder / name).read_text().strip()
        return values
    for name, controller in V1_FILES.items():
        if controller not in groups.paths:
            continue
        folder = _v1_hierarchy(controller, mount) / level_path(groups.paths[controller], level).lstrip("/")
        if (folder / name).is_file():
            values[name] = (folder / name).read_text().strip()
    return values


def _v1_hierarchy(controller: str, mount: Path) -> Path:
    """The mount of a v1 controller: ``cpu`` lives in ``cpu,cpuacct`` (with a ``cpu`` symlink) on most
    distributions; fall back to the combined name."""
    direct = mount / controller
    if direct.exists():
        return direct
    for candidate in mount.iterdir():
        if controller in candidate.name.split(","):
            return candidate
    return direct


@dataclass(frozen=True)
class Settings:
    """The values the book compares, whatever the version: CPU weight in the version's own unit
    (``cpu.shares`` on v1, ``cpu.weight`` on v2), quota and period in µs (None: no quota), memory limit in
    bytes (None: no limit), process limit (None: ``max``)."""

    cpu_weight: int
    cpu_quota_us: int | None
    cpu_period_us: int
    memory_limit_bytes: int | None
    pids_max: int | None


def settings(values: dict[str, str]) -> Settings:
    """Turn :func:`read_values` into :class:`Settings`. Raises :class:`CgroupReadError` when a CPU or
    memory file is missing."""
    try:
        if "cpu.max" in values:
            quota_text, period_text = values["cpu.max"].split()
            weight = int(values["cpu.weight"])
            memory_text = values["memory.max"]
            quota = None if quota_text == "max" else int(quota_text)
            memory = None if memory_text == "max" else int(memory_text)
        else:
            weight = int(values["cpu.shares"])
            quota = int(values["cpu.cfs_quota_us"])
            quota = None if quota < 0 else quota
            period_text = values["cpu.cfs_period_us"]
            memory = int(values["memory.limit_in_bytes"])
            memory = None if memory >= V1_UNLIMITED_MEMORY else memory
    except (KeyError, ValueError) as err:
        raise CgroupReadError(f"cgroup values incomplete or unreadable ({err}): {values}") from None
    pids_text = values.get("pids.max", "max")
    return Settings(weight, quota, int(period_text), memory, None if pids_text == "max" else int(pids_text))


def read_oom_score_adj(pid: int, proc: Path = Path("/proc")) -> int:
    """``/proc/<pid>/oom_score_adj``, -1000 to 1000 (``man 5 proc``)."""
    return int((proc / str(pid) / "oom_score_adj").read_text().strip())


def applied_oom_score_adj(asked: int, runtime_own: int, restricted: bool) -> int:
    """The score a container's process gets when the kubelet asks for ``asked``: with containerd's
    ``restrict_oom_score_adj`` (rootless and sandboxed setups) never below containerd's own score
    (``WithOOMScoreAdj`` in containerd pkg/cri/opts/spec_linux.go, 1.6; internal/cri/opts in 2.x)."""
    return max(asked, runtime_own) if restricted else asked


def read_process_groups(pid: int, proc: Path = Path("/proc")) -> ProcessGroups:
    return parse_proc_cgroup((proc / str(pid) / "cgroup").read_text())


def differences(read: Settings, expected, version: str, level: str = "container") -> list[str]:
    """What differs between the values read from a group and :class:`podnotes.linux.kube_resources.
    CgroupSettings` computed from the Pod spec; empty when they agree. On v2 a container's weight may come
    from either conversion (runc before 1.3.2 linear, after it the new curve); a Pod's group always uses
    the kubelet's linear one."""
    if version == "v2":
        allowed = {expected.cpu_weight_linear} | ({expected.cpu_weight} if level == "container" else set())
    else:
        allowed = {expected.cpu_shares}
    found = []
    if read.cpu_weight not in allowed:
        found.append(f"cpu weight {read.cpu_weight}, expected {' or '.join(map(str, sorted(allowed)))}")
    if read.cpu_quota_us != expected.cpu_quota_us:
        found.append(f"cpu quota {read.cpu_quota_us} µs, expected {expected.cpu_quota_us}")
    if read.cpu_period_us != expected.cpu_period_us:
        found.append(f"cpu period {read.cpu_period_us} µs, expected {expected.cpu_period_us}")
    if read.memory_limit_bytes != expected.memory_limit_bytes:
        found.append(f"memory limit {read.memory_limit_bytes}, expected {expected.memory_limit_bytes}")
    return found
