"""Namespace experiments, each run in fresh child processes.

Every function starts its own children through ``podnotes.linux.launcher``,
lets them report what they see (``podnotes.linux.views``), and returns that
as data a notebook cell can assert on. The calling process's own namespaces
never change, and nothing outlives the call: namespaces disappear with the
last process in them, and the processes are stopped on exit, error or Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from podnotes.display import FieldTable, among_them, short_command
from podnotes.linux import views
from podnotes.linux.launcher import Spec, _owning_user_namespace, run_probe, run_program, start
from podnotes.linux.privileges import linux_only, privileged
from podnotes.linux.processes import Children

NAMESPACE_KINDS = views.NAMESPACE_KINDS
PAUSE_ARGV = (sys.executable, "-m", "podnotes.linux.pause")
# Names a page may show of the host's own interfaces and top-level directories: every
# Linux machine has them, unlike the rest of the building machine's listing.
FAMILIAR_INTERFACES = ("lo", "eth0")
STANDARD_ROOT_ENTRIES = ("bin", "etc", "usr", "var")
# The fallback device a loaded tunnel module adds to every new network namespace while
# net.core.fb_tunnels_only_for_init_net is 0, its default (Linux
# Documentation/admin-guide/sysctl/net.rst, "fb_tunnels_only_for_init_net").
FALLBACK_TUNNELS = ("tunl0", "gre0", "gretap0", "erspan0", "sit0", "ip6tnl0", "ip6gre0", "ip_vti0",
                    "ip6_vti0")
FB_TUNNELS_SYSCTL = Path("/proc/sys/net/core/fb_tunnels_only_for_init_net")


def fallback_tunnels_everywhere(sysctl: Path = FB_TUNNELS_SYSCTL) -> bool:
    """Whether a new network namespace also gets the fallback tunnel devices (``tunl0``, ``sit0``
    ...) of the tunnel modules loaded: ``fb_tunnels_only_for_init_net`` is 0 (the kernel's default)
    or absent (kernels before 4.16). Source: Linux Documentation/admin-guide/sysctl/net.rst."""
    try:
        return sysctl.read_text().strip() == "0"
    except OSError:
        return True


@dataclass(frozen=True)
class Interface:
    name: str
    up: bool
    ipv4: str | None


@dataclass(frozen=True)
class View:
    """What one process saw: its PID, the PIDs in its /proc, its host name,
    network interfaces, mounts, IDs and namespace identities."""

    pid: int
    ppid: int
    pids: list[int]
    commands: dict[str, str]
    hostname: str
    interfaces: list[Interface]
    mounts: list[str]
    uid: int
    gid: int
    namespaces: dict[str, str]
    root_entries: list[str]
    sysv_queues: list[int]

    @classmethod
    def from_dict(cls, data: dict) -> View:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["interfaces"] = [Interface(**item) for item in data.get("interfaces", [])]
        return cls(**values)

    #: True for :func:`host_view`'s result: what every ordinary process of this machine sees.
    is_host: bool = False

    @property
    def interface_names(self) -> list[str]:
        return [interface.name for interface in self.interfaces]

    def interfaces_text(self) -> str:
        """``"lo UP 127.0.0.1, eth1 DOWN"``: each interface, its state and IPv4 address."""
        return ", ".join(f"{i.name} {'UP' if i.up else 'DOWN'} {i.ipv4 or ''}".strip() for i in self.interfaces)

    def shown_commands(self) -> dict[str, str]:
        """``commands`` (PID -> command line) with a leading interpreter path shortened
        to ``python``, as ``podnotes.display.short_command`` does."""
        return {pid: short_command(command) for pid, command in self.commands.items()}

    def describe(self, host: View | None = None) -> str:
        """The facts worth printing, one a line (the full view lists every mount and PID).

        What equals ``host``'s view (default: this view itself when it is the host's)
        is named as the host's, with a count and a few standard names instead of the
        building machine's own host name, interfaces and top-level directories."""
        host = host or (self if self.is_host else None)
        processes = f"{len(self.pids)} process" + ("" if len(self.pids) == 1 else "es")
        lines = [f"PID {self.pid}, sees {processes} in /proc"]
        if host is not None and self.hostname == host.hostname:
            lines.append("host name: the host's")
        else:
            lines.append(f"host name: {self.hostname}")
        if host is not None and self.interfaces == host.interfaces:
            shown = among_them(self.interface_names, FAMILIAR_INTERFACES, 'interfaces')
            lines.append(f"interfaces: the host's {shown}")
        else:
            lines.append(f"interfaces: {self.interfaces_text() or '(none)'}")
        lines.append(f"user ID: {self.uid}")
        if host is not None and self.root_entries == host.root_entries:
            lines.append(f"root directory: the host's, {among_them(self.root_entries, STANDARD_ROOT_ENTRIES)}")
        else:
            lines.append(f"root directory: {len(self.root_entries)} entries: {', '.join(self.root_entries)}")
        return "\n".join(lines)

    def interface(self, name: str) -> Interface:
        return next(item for item in self.interfaces if item.name == name)


def ns_path(pid: int, kind: str) -> str:
    return f"/proc/{pid}/ns/{kind}"


@linux_only("reads /proc")
def namespace_ids(pid: int | str = "self") -> dict[str, str]:
    """``{"net": "net:[4026531840]", ...}`` for a process, from ``/proc/PID/ns``."""
    return views.namespace_ids(pid)


def shared_namespaces(first: dict[str, str], second: dict[str, str]) -> list[str]:
    """The kinds two processes share (same identity), e.g. ``["cgroup", "user"]``."""
    return sorted(kind for kind in first if first[kind] == second.get(kind))


@linux_only("reads /proc")
def host_view() -> View:
    """The view of a plain child process: what every ordinary process sees."""
    return View.from_dict({**run_probe(Spec(probe="view")), "is_host": True})


@privileged("namespaces", "create namespaces")
def look_from(unshare: list[str], hostname: str | None = None, loopback_up: bool = False) -> View:
    """The view of a child in new namespaces of the given kinds. A new PID
    namespace comes with a new mount namespace and its own ``/proc``."""
    unshare = list(unshare)
    mount_proc = "pid" in unshare
    if mount_proc and "mnt" not in unshare:
        unshare.append("mnt")
    spec = Spec(probe="view", unshare=unshare, hostname=hostname, loopback_up=loopback_up, mount_proc=mount_proc)
    return View.from_dict(run_probe(spec))


# --------------------------------------------------------------------------
# Mount namespace


@dataclass(frozen=True)
class MountResult(FieldTable):
    target: str
    inside_entries: list[str]
    inside_has_mount: bool
    host_entries: list[str]
    host_has_mount: bool


@privileged("namespaces", "create a mount namespace")
def private_mount() -> MountResult:
    """Mount a tmpfs inside a new mount namespace (with private propagation)
    and compare what the child and the host see at that path."""
    target = tempfile.mkdtemp(prefix=f"podnotes-mountpoint-{os.getpid()}-")
    try:
        inside = run_probe(Spec(probe="mount_tmpfs", probe_args=[target], unshare=["mnt"]))
        return MountResult(target=target, inside_entries=inside["entries"], inside_has_mount=target in inside["mounts"],
                           host_entries=sorted(os.listdir(target)), host_has_mount=target in views.mount_points())
    finally:
        shutil.rmtree(target, ignore_errors=True)


# --------------------------------------------------------------------------
# Network namespaces


@contextmanager
def holder(unshare: list[str], hostname: str | None = None, loopback_up: bool = True, group: Children | None = None,
           user_namespace_of: int | None = None):
    """Keep new namespaces alive with a pause process; yields its ``Launched``
    handle (``.pid`` is the process to join). Stops it on exit. With
    ``user_namespace_of`` (a PID), the new namespaces belong to that process's
    user namespace, as they must for a veth between them without root."""
    own_group = group is None
    group = group or Children()
    try:
        # loopback of its own network namespace only: the host's is not this experiment's to touch
        spec = Spec(argv=list(PAUSE_ARGV), unshare=list(unshare), hostname=hostname,
                    loopback_up=loopback_up and "net" in unshare, env=dict(os.environ),
                    join=owning_user_namespace(user_namespace_of))
        launched = start(spec, group)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        if own_group:
            group.close()


def owning_user_namespace(pid: int | None) -> dict[str, str]:
    """``{"user": "/proc/PID/ns/user"}`` when ``pid`` lives in a user namespace other than this
    process's (a rootless experiment), to join before anything else; ``{}`` otherwise."""
    if pid is None:
        return {}
    owner = _owning_user_namespace(ns_path(pid, "net"))
    return {"user": owner} if owner else {}


def join(pid: int, kinds: list[str], probe: str = "view", probe_args: list | None = None, **spec_fields):
    """Run a probe in the namespaces of ``pid`` (setns), like ``nsenter -t PID``."""
    spec = Spec(probe=probe, probe_args=probe_args or [], join={kind: ns_path(pid, kind) for kind in kinds},
                **spec_fields)
    result = run_probe(spec)
    return View.from_dict(result) if probe == "view" else result


def nsenter(pid: int, kinds: list[str], argv: list[str]) -> subprocess.CompletedProcess:
    """The same with util-linux ``nsenter``: run ``argv`` in ``pid``'s namespaces."""
    flags = {"mnt": "--mount", "uts": "--uts", "ipc": "--ipc", "net": "--net", "pid": "--pid",
             "user": "--user", "cgroup": "--cgroup"}
    if "user" not in kinds and owning_user_namespace(pid):
        kinds = ["user", *kinds]  # rootless: the owning user namespace first, as setns(2) requires
    command = ["nsenter", f"--target={pid}", *(flags[kind] for kind in kinds), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def lsns(pid: int) -> list[dict]:
    """``lsns`` for one process: the namespaces it is in, with inode numbers,
    how many processes share each, and the lowest PID in each."""
    result = subprocess.run(["lsns", "--json", "--task", str(pid), "--output", "NS,TYPE,NPROCS,PID,COMMAND"],
                            capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)["namespaces"]


def connect_veth(pid_a: int, pid_b: int, name_a: str, name_b: str, address_a: str, address_b: str,
                 prefix: int = 24) -> None:
    """Create a veth pair with one end in each process's network namespace,
    address both ends and bring them up (netlink, through pyroute2).

    The pair is created inside the first namespace with its peer placed
    directly in the second, so it never exists in the host's namespace and
    disappears when the namespaces do. The netlink work runs in a child
    process: pyroute2 drives its own event loop, which cannot run inside a
    notebook kernel's."""
    arguments = [pid_a, pid_b, name_a, name_b, address_a, address_b, prefix]
    argv = [sys.executable, "-c", _VETH_CHILD, json.dumps(arguments)]
    owner = owning_user_namespace(pid_a)
    if owner:  # rootless: only inside the user namespace that owns both network namespaces
        result = run_program(Spec(argv=argv, join=owner, env=dict(os.environ)), timeout=60)
    else:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"creating veth pair {name_a}/{name_b} failed: {result.stderr.strip()}")


_VETH_CHILD = ("import json, sys; from podnotes.linux.namespaces import _connect_veth; "
               "_connect_veth(*json.loads(sys.argv[1]))")


def _connect_veth(pid_a, pid_b, name_a, name_b, address_a, address_b, prefix) -> None:
    from pyroute2 import IPRoute

    with IPRoute(netns=ns_path(pid_a, "net"), flags=0) as ipr:
        ipr.link("add", ifname=name_a, kind="veth", peer={"ifname": name_b, "net_ns_pid": pid_b})
        _address_and_up(ipr, name_a, address_a, prefix)
    with IPRoute(netns=ns_path(pid_b, "net"), flags=0) as ipr:
        _address_and_up(ipr, name_b, address_b, prefix)


def _address_and_up(ipr, name: str, address: str, prefix: int) -> None:
    index = ipr.link_lookup(ifname=name)[0]
    ipr.addr("add", index=index, address=address, prefixlen=prefix)
    ipr.link("set", index=index, state="up")


@dataclass(frozen=True)
class VethResult:
    first: View
    second: View
    reply: str | None


@privileged("namespaces", "create network namespaces and a veth pair")
def veth_link(address_a: str = "10.200.0.1", address_b: str = "10.200.0.2", port: int = 8080) -> VethResult:
    """Two network namespaces joined by a veth pair; a server in the first
    answers a client in the second across the link."""
    with Children() as group, holder(["net", "uts"], hostname="veth-first", group=group) as first, \
            holder(["net"], group=group, user_namespace_of=first.pid) as second:
        connect_veth(first.pid, second.pid, "podnotes-veth0", "podnotes-veth1", address_a, address_b)
        # In the first's UTS namespace too, so the reply names "veth-first", not the host
        server = start(Spec(probe="serve", probe_args=[port, "hello across the veth", address_a],
                            join={"net": ns_path(first.pid, "net"), "uts": ns_path(first.pid, "uts")}), group)
        server.wait_ready()
        reply = join(second.pid, ["net"], probe="fetch", probe_args=[port, address_a])["reply"]
        server.close()
        return VethResult(first=join(first.pid, ["net"]), second=join(second.pid, ["net"]), reply=reply)


# --------------------------------------------------------------------------
# IPC and user namespaces


@dataclass(frozen=True)
class IpcResult(FieldTable):
    key: int
    inside_queues: list[int]
    host_queues: list[int]


@privileged("namespaces", "create an IPC namespace")
def private_queue(key: int = 0x504F44) -> IpcResult:
    """Create a System V message queue inside a new IPC namespace."""
    inside = run_probe(Spec(probe="create_queue", probe_args=[key], unshare=["ipc"]))
    return IpcResult(key=key, inside_queues=inside["sysv_queues"], host_queues=views.sysv_queue_keys())


@dataclass(frozen=True)
class UserResult(FieldTable):
    """What root in a new user namespace could do: ``outside_root`` is the host uid that
    root inside maps to (``uid_map``'s first line), ``written_by`` who wrote the map."""

    inside_uid: int
    all_capabilities_inside: bool
    file_owner_outside: int
    shadow: str
    uid_map: str
    outside_root: int
    written_by: str


@privileged("namespaces", "create a user namespace and write its ID map")
def user_namespace(outside_first_uid: int = 100_000, count: int = 65_536) -> UserResult:
    """Become root in a new user namespace whose root is ``outside_first_uid``
    outside, create a file, and try to read a root-only host file.

    Without root the map can only name what the user owns (user_namespaces(7),
    "Defining user and group ID mappings"): the range ``/etc/subuid`` delegates,
    written by ``newuidmap``/``newgidmap``, or else the user's own uid alone,
    written directly after ``deny`` to ``setgroups``; the arguments are then ignored."""
    from podnotes.linux import rootless

    scratch = tempfile.mkdtemp(prefix=f"podnotes-userns-{os.getpid()}-")
    os.chmod(scratch, 0o1777)
    chosen = rootless.mapping() if rootless.needs_user_namespace() else None
    if chosen is not None and chosen.uid_range is not None:
        outside_first_uid, count = chosen.uid_range.start, chosen.uid_range.count
    elif chosen is not None:
        outside_first_uid, count = chosen.uid, 1
    uid_map = f"0 {outside_first_uid} {count}"
    try:
        with Children() as group:
            launched = start(Spec(probe="identity", probe_args=[scratch], unshare=["user"], handshake=True), group)
            written_by = _write_user_namespace_maps(launched.pid, uid_map, chosen)
            launched.proceed()
            inside = launched.result()
            launched.close()
        return UserResult(inside_uid=inside["uid"], all_capabilities_inside=inside["all_capabilities"],
                          file_owner_outside=os.stat(inside["file"]).st_uid, shadow=inside["shadow"],
                          uid_map=uid_map, outside_root=outside_first_uid, written_by=written_by)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_user_namespace_maps(pid: int, uid_map: str, chosen) -> str:
    """Write ``uid_map`` (and the same gid map) for ``pid``; returns who wrote them."""
    if chosen is not None and chosen.uid_range is not None:
        assert chosen.gid_range is not None
        gid_map = f"0 {chosen.gid_range.start} {chosen.gid_range.count}"
        for helper, line in (("newuidmap", uid_map), ("newgidmap", gid_map)):
            subprocess.run([helper, str(pid), *line.split()], check=True, capture_output=True, timeout=10)
        return "newuidmap and newgidmap (setuid helpers, /etc/subuid and /etc/subgid)"
    if chosen is not None:  # one's own IDs only, and no setgroups(2) inside
        with open(f"/proc/{pid}/setgroups", "w") as setgroups:
            setgroups.write("deny")
        gid_map = f"0 {chosen.gid} 1"
        maps = {"uid_map": uid_map, "gid_map": gid_map}
        writer = "this user, its own uid only (no range in /etc/subuid)"
    else:
        maps = {"uid_map": uid_map, "gid_map": uid_map}
        writer = "root, in the parent user namespace"
    for name, line in maps.items():
        with open(f"/proc/{pid}/{name}", "w") as id_map:
            id_map.write(line)
    return writer


NOBODY_UID = 65534
UNPRIVILEGED_UNSHARE = ("unshare", "--user", "--map-root-user", "--uts", "--net", "--ipc")
INSIDE_SCRIPT = "hostname inside-userns && id -u && hostname && readlink /proc/self/ns/uts"


@dataclass(frozen=True)
class UnprivilegedResult(FieldTable):
    """What an ordinary user could do: ``outside_uid`` is the caller's uid,
    ``without_user_namespace`` the error of ``unshare --uts`` alone (``""`` when it
    worked), ``inside_uid``/``inside_hostname`` what the shell reported inside the
    user namespace it created first (``None`` when the kernel refused it)."""

    outside_uid: int
    without_user_namespace: str
    inside_uid: int | None
    inside_hostname: str | None
    refusal: str

    @property
    def created(self) -> bool:
        return self.inside_uid is not None


@linux_only("create namespaces as an ordinary user")
def unprivileged_user_namespace() -> UnprivilegedResult:
    """As an unprivileged user (``nobody`` when called by root): try ``unshare --uts``
    alone, which needs ``CAP_SYS_ADMIN`` and fails, then ``unshare --user
    --map-root-user --uts --net --ipc``, which creates the user namespace first and
    the others inside it, owned by it (user_namespaces(7), "Interaction of user
    namespaces and other types of namespaces"). Rootless containers rely on this.
    The kernel can forbid it (``user.max_user_namespaces`` = 0, Debian's
    ``kernel.unprivileged_userns_clone`` = 0, Ubuntu's AppArmor restriction):
    ``refusal`` then holds unshare's message."""
    as_user: dict[str, Any] = {"user": NOBODY_UID, "group": NOBODY_UID, "extra_groups": []} if os.geteuid() == 0 else {}
    outside_uid = NOBODY_UID if as_user else os.geteuid()
    alone = subprocess.run(["unshare", "--uts", "true"], capture_output=True, text=True, timeout=10, cwd="/",
                           **as_user)
    inside = subprocess.run([*UNPRIVILEGED_UNSHARE, "sh", "-c", INSIDE_SCRIPT], capture_output=True, text=True,
                            timeout=10, cwd="/", **as_user)
    lines = inside.stdout.split()
    created = inside.returncode == 0 and len(lines) >= 2
    return UnprivilegedResult(outside_uid=outside_uid,
                              without_user_namespace="" if alone.returncode == 0 else _last_line(alone.stderr),
                              inside_uid=int(lines[0]) if created else None,
                              inside_hostname=lines[1] if created else None,
                              refusal="" if created else _last_line(inside.stderr))


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


@dataclass(frozen=True)
class CgroupNamespaceResult(FieldTable):
    """``/proc/self/cgroup`` paths of a process placed in ``group``, seen from the
    host's cgroup namespace (``host_paths``) and from a new one (``inside_paths``)."""

    group: str
    host_paths: list[str]
    inside_paths: list[str]

    @property
    def group_path_from_host(self) -> str:
        """The group's path as the host's namespace shows it, its parents
        elided (``".../podnotes-cgroupns-..."``): where it sits is this machine's own."""
        found = next((path for path in self.host_paths if path.endswith("/" + self.group)), None)
        if found is None:
            return "not listed"
        return found if found.count("/") == 1 else ".../" + self.group


@privileged("cgroups", "create a cgroup and a cgroup namespace")
def cgroup_namespace() -> CgroupNamespaceResult:
    """Put a child into a new cgroup, once as is and once after
    ``unshare(CLONE_NEWCGROUP)``, and compare what ``/proc/self/cgroup`` says.
    Inside the new namespace the group is the root, ``/`` (cgroup_namespaces(7));
    containerd gives every non-privileged container one on cgroup v2."""
    from podnotes.linux import cgroups

    with cgroups.create_cgroup(name="cgroupns") as group:
        procs = group.procs_files()
        host = run_probe(Spec(probe="cgroup_membership", cgroup_procs=procs))
        inside = run_probe(Spec(probe="cgroup_membership", cgroup_procs=procs, unshare=["cgroup"]))
        return CgroupNamespaceResult(group=group.name, host_paths=host["paths"], inside_paths=inside["paths"])
