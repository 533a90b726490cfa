"""A running Pod as the host sees it: its processes (the shim, ``/pause``, the containers' programs), its
network namespace with the veth pair the CNI bridge plugin made, and its cgroups.

Everything here reads ``/proc``, ``/sys`` and ``ip`` output on the node; nothing is changed.
Upstream: the shim is containerd's ``runtime/v2/runc`` (``containerd-shim-runc-v2``), the veth pair and the
address come from the CNI ``bridge`` and ``host-local`` plugins (containernetworking/plugins,
``plugins/main/bridge/bridge.go``), the cgroup path is the kubelet's (``pkg/kubelet/cm/pod_container_manager_linux.go``:
``<cgroup root>/kubepods/<qos>/pod<uid>/<container id>`` with the cgroupfs driver).
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
SYS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class HostProcess:
    """A process on the host: ``pid`` and ``ppid`` as the host numbers them, ``command`` its command line
    (arguments joined by spaces, at most 120 characters), ``role`` what it is for the Pod."""

    pid: int
    ppid: int
    command: str
    role: str


def command_line(pid: int, proc: Path = PROC) -> str:
    """The command line of ``pid``, arguments joined by spaces; raises FileNotFoundError when it is gone."""
    raw = (proc / str(pid) / "cmdline").read_bytes()
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def parent_pid(pid: int, proc: Path = PROC) -> int:
    """The PPid field of ``/proc/<pid>/status``."""
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise ValueError(f"/proc/{pid}/status has no PPid line")


def process_tree(pause_pid: int, containers: dict[str, int], proc: Path = PROC) -> list[HostProcess]:
    """The shim (the parent of ``pause_pid``), the pause process, then each container's main process
    (``containers``: name -> host PID), in that order. Raises ValueError when a container's process is not
    a child of the same shim (one shim serves the whole Pod in containerd 1.6 and later)."""
    shim = parent_pid(pause_pid, proc)
    tree = [HostProcess(shim, parent_pid(shim, proc), command_line(shim, proc)[:120], "shim"),
            HostProcess(pause_pid, shim, command_line(pause_pid, proc)[:120], "sandbox (pause)")]
    for name, pid in containers.items():
        ppid = parent_pid(pid, proc)
        if ppid != shim:
            raise ValueError(f"container {name}: PID {pid}'s parent is {ppid}, not the Pod's shim {shim}")
        tree.append(HostProcess(pid, ppid, command_line(pid, proc)[:120], f"container {name}"))
    return tree


@dataclass(frozen=True)
class PodNetworkView:
    """The Pod's network as both sides see it: ``netns`` (the namespace file containerd mounted), the Pod's
    ``interface`` (``eth0``) and ``address`` (``10.217.0.5/24``), its ``peer_index`` (the host end's
    ifindex), and the host end: ``host_veth`` and the ``bridge`` it is plugged into."""

    netns: str
    interface: str
    address: str
    peer_index: int
    host_veth: str
    bridge: str

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]


_LINK = re.compile(r"^\d+:\s+(?P<name>[^@:]+)@if(?P<peer>\d+):")
_ADDR = re.compile(r"\binet (?P<address>[\d.]+/\d+)")


def parse_link(line: str) -> tuple[str, int]:
    """``3: eth0@if12: <BROADCAST,…>`` (one line of ``ip -o link``) -> ("eth0", 12). ValueError otherwise."""
    matched = _LINK.match(line.strip())
    if not matched:
        raise ValueError(f"not a veth line of `ip -o link`: {line.strip()[:80]!r}")
    return matched.group("name"), int(matched.group("peer"))


def parse_address(text: str) -> str:
    """The first IPv4 address with its prefix in ``ip -o addr`` output; ValueError when there is none."""
    matched = _ADDR.search(text)
    if not matched:
        raise ValueError(f"no IPv4 address in {text.strip()[:80]!r}")
    return matched.group("address")


def plain_ip(text: str) -> str:
    """An address as a server may print it, plain: ``[::ffff:10.217.0.2]`` (an IPv4 peer of an IPv6
    socket) -> ``10.217.0.2``. Raises ValueError for text that is not an address."""
    address = ipaddress.ip_address(text.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _in_netns(netns: str, *command: str) -> str:
    result = subprocess.run(["nsenter", f"--net={netns}", *command], capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise RuntimeError(f"nsenter --net={netns} {' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


def interface_by_index(index: int, sys_net: Path = SYS_NET) -> str:
    """The host interface whose ifindex is ``index``; LookupError when none has it."""
    for link in sys_net.iterdir():
        try:
            if int((link / "ifindex").read_text()) == index:
                return link.name
        except (OSError, ValueError):
            continue
    raise LookupError(f"no host interface has ifindex {index}")


def pod_network(netns: str, interface: str = "eth0") -> PodNetworkView:
    """Read the Pod's side inside ``netns`` (``ip -o link``/``addr``) and find the host end of its veth."""
    name, peer = parse_link(_in_netns(netns, "ip", "-o", "link", "show", interface).splitlines()[0])
    address = parse_address(_in_netns(netns, "ip", "-o", "-4", "addr", "show", interface))
    host_veth = interface_by_index(peer)
    master = SYS_NET / host_veth / "master"
    bridge = master.resolve().name if master.exists() else ""
    return PodNetworkView(netns, name, address, peer, host_veth, bridge)


def cgroup_path(pid: int, controller: str = "memory", proc: Path = PROC) -> str:
    """The cgroup of ``pid`` in ``controller``'s hierarchy (cgroup v1), or the unified one (v2)."""
    lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    for line in lines:
        if line.startswith("0::"):
            return line[3:]
    raise ValueError(f"/proc/{pid}/cgroup names no {controller} hierarchy and no unified one")



def short_id(name: str, keep: int = 12) -> str:
    """A 64-hex-digit container or sandbox ID shortened as crictl prints it (``d19793dcc0c5…``); any other
    name unchanged."""
    return name[:keep] + "…" if re.fullmatch(r"[0-9a-f]{64}", name) else name


def path_tree(paths: dict[str, str]) -> list[str]:
    """Paths that share their beginning as an indented tree, one component a line, IDs shortened, each
    path's label after its last component: ``{"pause": "/r/kubepods/pod1/<id>"}`` ->
    ``["/r", "  kubepods", "    pod1", "      d19793dcc0c5…  (pause)"]``. Raises ValueError for a relative
    path."""
    lines: list[str] = []
    seen: list[tuple[str, ...]] = []
    for label, path in paths.items():
        if not path.startswith("/"):
            raise ValueError(f"{label}: {path!r} is not an absolute path")
        parts = [part for part in path.split("/") if part]
        for depth, part in enumerate(parts):
            prefix = tuple(parts[:depth + 1])
            last = depth == len(parts) - 1
            if prefix in seen and not last:
                continue
            seen.append(prefix)
            text = ("/" if depth == 0 else "") + short_id(part)
            lines.append("  " * depth + text + (f"  ({label})" if last else ""))
    return lines


def short_cgroup(path: str) -> str:
    """``/root/kubepods/besteffort/pod<uid>/<id>`` -> ``…/kubepods/besteffort/pod7aa44c00…/1f35eecf6a8f…``;
    ValueError for a path with fewer than four components."""
    parts = [part for part in path.split("/") if part]
    if len(parts) < 4:
        raise ValueError(f"{path!r} is not a container cgroup under kubepods")
    kubepods, qos, pod_dir, container = parts[-4:]
    return f"…/{kubepods}/{qos}/{pod_dir[:11]}…/{short_id(container)}"
