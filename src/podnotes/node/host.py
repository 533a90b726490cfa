"""What a local node leaves on the host, and how to take it all away again.

A kubelet and containerd touch more of the machine than their own folders: cgroups, mounts, network
namespaces, veth pairs and a bridge, a few sysctls, and some fixed paths (``/var/lib/kubelet/device-plugins``,
``/var/log/containers``, ``/var/lib/cni``, ``/run/containerd``). :class:`HostSnapshot` records the state
before the node starts; :func:`leftovers` lists everything that differs afterwards, and the cleanup
functions remove it. Each function works from ``/proc`` and ``/sys`` directly, so it also finds what a
crashed program left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Paths the kubelet, containerd or the CNI library use whatever their configuration says.
FIXED_PATHS = (
    Path("/var/lib/kubelet"),
    Path("/var/log/containers"),
    Path("/var/log/pods"),
    Path("/var/lib/cni"),
    Path("/run/containerd"),
)
# The kubelet sets these (container_manager_linux.go, setupKernelTunables) unless told to fail instead.
KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)


@dataclass
class HostSnapshot:
    """The parts of the host a node changes, as they were before it started."""

    sysctls: dict[str, str] = field(default_factory=dict)
    existing_paths: dict[str, set[str]] = field(default_factory=dict)  # path -> its entries (empty if missing)
    missing_paths: set[str] = field(default_factory=set)

    @classmethod
    def take(cls) -> HostSnapshot:
        snapshot = cls()
        for name in KUBELET_SYSCTLS:
            snapshot.sysctls[name] = _read_sysctl(name)
        for path in FIXED_PATHS:
            if path.exists():
                snapshot.existing_paths[str(path)] = _tree(path)
            else:
                snapshot.missing_paths.add(str(path))
        return snapshot


def _read_sysctl(name: str) -> str:
    return (Path("/proc/sys") / name).read_text().strip()


def _tree(path: Path) -> set[str]:
    entries = set()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            entries.add(os.path.join(root, name))
    return entries


# --- finding things ---------------------------------------------------------------------------------------
def processes_mentioning(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose command line or working directory contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if marker in cmdline or cwd.startswith(marker):
            found.append((int(entry.name), cmdline))
    return found


def processes_in_cgroup(cgroup: str) -> list[int]:
    """PIDs whose cgroup (in any hierarchy) lies under ``cgroup`` (a path like ``/podnotes-node-ab12``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            lines = (entry / "cgroup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            path = line.split(":", 2)[-1]
            if path == cgroup or path.startswith(cgroup + "/"):
                found.append(int(entry.name))
                break
    return found


def mounts_under(prefix: str) -> list[str]:
    """Mount points at or below ``prefix``, deepest last as the kernel lists them."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix.rstrip("/") + "/"):
            points.append(point)
    return points


def cgroup_dirs(name: str) -> list[Path]:
    """Every directory called ``name`` right under a cgroup hierarchy root (v1 controllers and v2)."""
    found: list[Path] = []
    if not CGROUP_ROOT.is_dir():
        return found
    candidates = [CGROUP_ROOT / name]
    candidates += [hierarchy / name for hierarchy in CGROUP_ROOT.iterdir() if hierarchy.is_dir()]
    for path in candidates:
        if path.is_dir() and path not in found:
            found.append(path)
    return found


def link_names() -> set[str]:
    return set(os.listdir("/sys/class/net"))


def bridge_ports(bridge: str) -> list[str]:
    ports = Path("/sys/class/net") / bridge / "brif"
    return sorted(os.listdir(ports)) if ports.is_dir() else []


# --- the proof --------------------------------------------------------------------------------------------
def leftovers(snapshot: HostSnapshot, *, workdir: Path, cgroup_name: str, bridge: str,
              veths: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Everything a stopped node still has on the host; an empty list means the host is as it was."""
    marker = str(workdir)
    found = [f"process {pid}: {cmd[:160]}" for pid, cmd in processes_mentioning(marker)]
    found += [f"process {pid} in cgroup /{cgroup_name}" for pid in processes_in_cgroup("/" + cgroup_name)]
    found += [f"mount {point}" for point in mounts_under(marker)]
    found += [f"cgroup {path}" for path in cgroup_dirs(cgroup_name)]
    links = link_names()
    if bridge in links:
        found.append(f"bridge {bridge}")
    found += [f"veth {name}" for name in sorted(veths & links)]
    if workdir.exists():
        found.append(f"directory {workdir}")
    for name, was in snapshot.sysctls.items():
        now = _read_sysctl(name)
        if now != was:
            found.append(f"sysctl {name} = {now} (was {was})")
    for path in snapshot.missing_paths:
        if Path(path).exists():
            found.append(f"path {path} (did not exist before)")
    for path, before in snapshot.existing_paths.items():
        if Path(path).exists():
            found += [f"path {extra}" for extra in sorted(_tree(Path(path)) - before)]
    return found


# --- cleanup ------------------------------------------------------------------------------------------------
def kill_processes(pids: list[int], grace: float = 5.0) -> None:
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def unmount_under(prefix: str) -> list[str]:
    """Unmount everything at or below ``prefix``, deepest first; returns what would not go."""
    stuck = []
    for point in reversed(mounts_under(prefix)):
        result = subprocess.run(["umount", point], capture_output=True, text=True)
        if result.returncode != 0:
            result = subprocess.run(["umount", "-l", point], capture_output=True, text=True)
            if result.returncode != 0:
                stuck.append(f"{point}: {result.stderr.strip()}")
    return stuck


def remove_cgroups(name: str, attempts: int = 50) -> list[str]:
    """rmdir the ``name`` subtree in every hierarchy, children first (cgroup dirs only go when empty)."""
    problems = []
    for top in cgroup_dirs(name):
        for attempt in range(attempts):
            try:
                for root, dirs, _ in os.walk(top, topdown=False):
                    for directory in dirs:
                        os.rmdir(os.path.join(root, directory))
                os.rmdir(top)
                break
            except FileNotFoundError:
                break
            except OSError as err:
                if attempt == attempts - 1:
                    problems.append(f"{top}: {err}")
                time.sleep(0.1)
    return problems


def delete_link(name: str) -> None:
    if name in link_names():
        subprocess.run(["ip", "link", "delete", name], capture_output=True)


def restore_sysctls(snapshot: HostSnapshot) -> None:
    for name, value in snapshot.sysctls.items():
        path = Path("/proc/sys") / name
        if path.read_text().strip() != value:
            path.write_text(value)


def restore_paths(snapshot: HostSnapshot) -> None:
    """Remove fixed paths that did not exist before, and entries added to those that did."""
    for path in snapshot.missing_paths:
        if Path(path).is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif Path(path).exists() or Path(path).is_symlink():
            Path(path).unlink()
    for path, before in snapshot.existing_paths.items():
        if not Path(path).exists():
            continue
        for extra in sorted(_tree(Path(path)) - before, key=len, reverse=True):
            target = Path(extra)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists() or target.is_symlink():
                target.unlink(missing_ok=True)
