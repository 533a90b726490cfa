"""What local nodes whose owner is gone left on this machine, found from ``/proc`` and ``/sys`` alone.

A :class:`podnotes.node.LocalNode` whose Python process was killed (SIGKILL, a crashed test run) cannot stop
what it started. containerd's shims (``containerd-shim-runc-v2 -address WORKDIR/containerd/containerd.sock``)
are re-parented to PID 1 by design and keep the Pods' containers running; with them stay the containers'
mounts (overlay root file systems, ``/dev/shm``, the network namespaces containerd bind-mounts under its state
folder), the kubelet's cgroup tree (``/sys/fs/cgroup/*/podnotes-node-XXXX``, ``kubepods`` inside), the veth
pairs into the Pods' network namespaces, the node's bridge and the work folder. :func:`node_states` tells a
dead node from a live one by its owner record (:mod:`podnotes.node.owner`); :func:`dead_node_leftovers`
lists what the dead ones left as :class:`podnotes.linux.leaks.Leftover` items, which
:func:`podnotes.linux.leaks.remove` removes. A live node's things are never listed as left behind, whatever
bridge it uses.

Work folders from before owner records have none; such a node counts as live while a process it started
directly runs (one whose parent is outside the node and is not PID 1), or, when it has no process at all,
while it may still be waiting for the host lock (its folder is younger than the lock timeout and some process
holds the lock file open).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import host
from .owner import WORKDIR_PREFIX, NodeOwner, OwnerRecordError, read_owner

HOST_LOCK = Path("/run/lock/podnotes-node.lock")  # the same file as podnotes.node.localnode.HOST_LOCK
LOCK_TIMEOUT = 1200.0  # podnotes.node.localnode.LOCK_TIMEOUT: how long a starting node waits for the lock
FRESH_SECONDS = 60.0  # a folder this young without an owner record may belong to a node being created
NETNS_DIR = Path("/run/netns")


@dataclass
class NodeState:
    """One local node's work folder, its owner (None when it has no readable record) and whether it runs."""

    workdir: Path
    owner: NodeOwner | None
    alive: bool
    bridge: str | None
    problem: str | None = None  # why the owner record could not be read

    @property
    def name(self) -> str:
        return self.workdir.name


@dataclass(frozen=True)
class ProcessView:
    pid: int
    ppid: int
    cmdline: str
    cwd: str
    cgroups: tuple[str, ...]


@dataclass
class _Scan:
    processes: list[ProcessView] = field(default_factory=list)

    def mentioning(self, workdir: Path) -> list[ProcessView]:
        marker = str(workdir)
        return [p for p in self.processes if marker in p.cmdline
                or p.cwd == marker or p.cwd.startswith(marker + "/")]

    def in_cgroup(self, name: str) -> list[ProcessView]:
        top = "/" + name
        return [p for p in self.processes if any(c == top or c.startswith(top + "/") for c in p.cgroups)]


def scan_processes() -> _Scan:
    """Every process but this one and zombies: PID, parent, command line, working directory, cgroup paths."""
    scan = _Scan()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            status = (entry / "status").read_text()
            cgroups = tuple(line.split(":", 2)[-1] for line in (entry / "cgroup").read_text().splitlines())
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                cwd = ""
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").split()[:1] == ["Z"]:
            continue  # a zombie holds nothing; PID 1 reaps it once its parent (a killed shim) is gone
        ppid = int(fields.get("PPid", "0").strip() or 0)
        scan.processes.append(ProcessView(int(entry.name), ppid, cmdline, cwd, cgroups))
    return scan


def node_workdirs(directory: Path | None = None) -> list[Path]:
    directory = directory or Path(tempfile.gettempdir())
    try:
        return sorted(path for path in directory.iterdir() if path.name.startswith(WORKDIR_PREFIX) and path.is_dir())
    except OSError:
        return []


def recorded_bridge(workdir: Path) -> str | None:
    """The bridge the node's CNI configuration names (``containerd/net.d/*.conflist``), None when absent."""
    for conflist in sorted((workdir / "containerd" / "net.d").glob("*.conflist")):
        try:
            plugins = json.loads(conflist.read_text()).get("plugins", [])
        except (OSError, ValueError, AttributeError):
            continue
        for plugin in plugins:
            if isinstance(plugin, dict) and plugin.get("type") == "bridge" and plugin.get("bridge"):
                return str(plugin["bridge"])
    return None


def _lock_open_elsewhere() -> bool:
    """Some other process holds the host lock file open: a node runs or waits for its turn."""
    try:
        lock = os.stat(HOST_LOCK)
    except OSError:
        return False
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        if fd_dir.parent.name == str(os.getpid()):
            continue
        try:
            for fd in fd_dir.iterdir():
                try:
                    target = os.stat(fd)
                except OSError:
                    continue
                if (target.st_dev, target.st_ino) == (lock.st_dev, lock.st_ino):
                    return True
        except OSError:
            continue
    return False


def _legacy_alive(workdir: Path, scan: _Scan, lock_open: bool) -> bool:
    mentioning = scan.mentioning(workdir)
    inside = {p.pid for p in mentioning}
    if mentioning:
        return any(p.ppid not in (0, 1) and p.ppid not in inside for p in mentioning)
    try:
        age = time.time() - workdir.stat().st_mtime
    except OSError:
        return False
    return age < FRESH_SECONDS or (lock_open and age < LOCK_TIMEOUT + FRESH_SECONDS)


def node_states(directory: Path | None = None, scan: _Scan | None = None) -> list[NodeState]:
    """Every local node work folder under ``directory`` (the temporary folder), live or dead."""
    scan = scan or scan_processes()
    lock_open: bool | None = None
    states = []
    for workdir in node_workdirs(directory):
        problem = None
        try:
            owner = read_owner(workdir)
        except OwnerRecordError as err:
            owner, problem = None, str(err)
        if owner is not None:
            states.append(NodeState(workdir, owner, owner.alive(), owner.bridge))
            continue
        if lock_open is None:
            lock_open = _lock_open_elsewhere()
        states.append(NodeState(workdir, None, _legacy_alive(workdir, scan, lock_open), recorded_bridge(workdir),
                                problem))
    return states


# --- what a dead node left --------------------------------------------------------------------------------
def _netns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _netns_files(workdir: Path) -> list[str]:
    """containerd's bind mounts of the Pods' network namespaces under the node's state folder."""
    return [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()
            if line.split()[1].startswith(str(workdir) + "/") and line.split()[2] == "nsfs"]


def _peer_indexes(netns_file: str) -> set[int]:
    """Host-side interface indexes of the veth pairs whose other end is in the namespace ``netns_file``."""
    try:
        result = subprocess.run(["nsenter", f"--net={netns_file}", "ip", "-j", "-d", "link", "show"],
                                capture_output=True, text=True, timeout=10)
        links = json.loads(result.stdout or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return set()
    return {link["link_index"] for link in links
            if isinstance(link, dict) and "link_index" in link and link.get("linkinfo", {}).get("info_kind") == "veth"}


def _host_links() -> dict[int, str]:
    links = {}
    for name in host.link_names():
        try:
            links[int(Path(f"/sys/class/net/{name}/ifindex").read_text())] = name
        except (OSError, ValueError):
            continue
    return links


def dead_node_leftovers(states: list[NodeState] | None = None, scan: _Scan | None = None,
                        starting: Path | None = None) -> list:
    """What nodes whose owner is gone left: processes, cgroups, mounts, network (veths, the bridge when no
    live node uses that name, ``/run/netns`` entries of their namespaces) and the work folder, as
    :class:`podnotes.linux.leaks.Leftover` items (``node`` names the node, ``creator`` its owner's PID).
    ``starting``: the work folder of a node that holds the host lock and has not made its bridge yet, so a
    bridge of its name that exists is not its own."""
    from podnotes.linux.leaks import Leftover

    scan = scan or scan_processes()
    states = node_states(scan=scan) if states is None else states
    live_bridges = {state.bridge for state in states if state.alive and state.bridge and state.workdir != starting}
    mine = _ancestors(scan)
    found: list[Leftover] = []
    for state in states:
        if state.alive:
            continue

        def item(kind: str, name: str, pid: int | None = None, state: NodeState = state) -> Leftover:
            return Leftover(kind, name, state.owner.pid if state.owner else None, pid, node=state.name,
                            node_alive=False)

        processes = _processes_of(state, scan, mine)
        found += [item("processes", f"{pid} {p.cmdline[:200] or '(no command line)'}", pid)
                  for pid, p in sorted(processes.items())]
        found += [item("cgroups", str(path)) for path in host.cgroup_dirs(state.name)]
        netns_files = _netns_files(state.workdir)
        found += [item("mounts", line) for line in _mount_lines(state.workdir)]
        found += _network_of(state, netns_files, processes, live_bridges, item)
        found.append(item("paths", str(state.workdir)))
    return found


def _processes_of(state: NodeState, scan: _Scan, mine: set[int]) -> dict[int, ProcessView]:
    """The dead node's processes: those in its cgroup (its containers), and those naming its folder that
    nothing alive outside the node started (re-parented to PID 1 or to a systemd subreaper, or started by
    one of the node's own). A live program that names the folder, such as another run's ``umount``
    removing these very leftovers, is not the node's."""
    in_cgroup = {p.pid: p for p in scan.in_cgroup(state.name)}
    mentioning = {p.pid: p for p in scan.mentioning(state.workdir)}
    commands = {p.pid: p.cmdline for p in scan.processes}
    found = dict(in_cgroup)
    changed = True
    while changed:
        changed = False
        for pid, process in mentioning.items():
            if pid in found:
                continue
            parent = commands.get(process.ppid, "")
            if process.ppid in (0, 1) or process.ppid in found or parent.split(" ", 1)[0].endswith("/systemd"):
                found[pid] = process
                changed = True
    return {pid: process for pid, process in sorted(found.items()) if pid not in mine}


def _mount_lines(workdir: Path) -> list[str]:
    """``source target fstype`` of every mount at or under ``workdir``, deepest (latest) first."""
    lines = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        point = fields[1].replace("\\040", " ")
        if point == str(workdir) or point.startswith(str(workdir) + "/"):
            lines.append(" ".join(fields[:3]))
    return lines[::-1]


def _network_of(state: NodeState, netns_files: list[str], processes: dict, live_bridges: set, item) -> list:
    namespaces = {inode for inode in map(_netns_inode, netns_files) if inode is not None}
    for pid in processes:
        inode = _netns_inode(f"/proc/{pid}/ns/net")
        if inode is not None and inode != _netns_inode("/proc/self/ns/net"):
            namespaces.add(inode)
    found = []
    if NETNS_DIR.is_dir():
        found += [item("network", f"netns {path}") for path in sorted(NETNS_DIR.iterdir())
                  if _netns_inode(str(path)) in namespaces]
    links = _host_links()
    veths = {links[index] for netns in netns_files for index in _peer_indexes(netns) if index in links}
    bridge = state.bridge
    if bridge and bridge not in live_bridges and bridge in links.values():
        veths |= set(host.bridge_ports(bridge))
    found += [item("network", f"interface {name}") for name in sorted(veths)]
    if bridge and bridge not in live_bridges and bridge in links.values():
        found.append(item("network", f"interface {bridge}"))  # after its ports
    return found


def _ancestors(scan: _Scan) -> set[int]:
    """This process and its ancestors: never leftovers, even when they mention a node's folder."""
    parents = {p.pid: p.ppid for p in scan.processes}
    chain, pid = {os.getpid()}, os.getppid()
    while pid > 0 and pid not in chain:
        chain.add(pid)
        pid = parents.get(pid, 0)
    return chain


def remove_dead_nodes(starting: Path | None = None, stream=None) -> str | None:
    """Remove what dead local nodes left; returns the one line saying what was removed (None: nothing).
    ``starting``: the work folder of the node that calls this holding the host lock."""
    from podnotes.linux.leaks import remove

    found = dead_node_leftovers(starting=starting)
    if not found:
        return None
    removal = remove(found)
    nodes = sorted({item.node for item in found})
    line = f"removed what killed local node(s) {', '.join(nodes)} left: {removal.summary()}"
    if stream is not None:
        print(line, file=stream)
    return line
