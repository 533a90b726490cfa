"""A Pod's user namespace (``hostUsers: false``), built at kernel level.

With ``hostUsers: false`` the kubelet gives each Pod its own block of 65,536
host IDs and asks the runtime, through CRI, for a user namespace whose ID 0
is the first of them. This module builds the same thing by hand, as root:

- :func:`kubelet_first_ids` is the kubelet's rule for where a Pod's block may
  start (``pkg/kubelet/userns/userns_manager.go``, Kubernetes 1.37.2: blocks
  of ``idsPerPod`` = 65536 IDs from 65536 up to 2^32, a random free one per Pod,
  never the block that holds host root);
- :func:`pod_user_namespace` starts a process in a new user and mount
  namespace, writes ``0 FIRST 65536`` to its ``uid_map`` and ``gid_map``
  (what the runtime writes), reads from the host what ``ps`` and
  ``/proc/PID/status`` say of it, and makes an idmapped mount of a volume
  for it the way containerd 2 and runc 1.2+ mount a Pod's volumes;
- :func:`parse_id_map` and :func:`map_to_host` read ``/proc/PID/uid_map``
  (user_namespaces(7), "User and group ID mappings: uid_map and gid_map").

Everything runs in launched children (``podnotes.linux.launcher``): the
namespaces and the mounts made inside them disappear with those processes,
and the scratch folder (``podnotes-userns-PID-...``) is removed on return,
on error and on Ctrl-C; a killed run's folder is found by
``podnotes.linux.leaks``.
"""

from __future__ import annotations

import functools
import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from podnotes.linux.launcher import Spec, start
from podnotes.linux.privileges import privileged
from podnotes.linux.processes import Children, forget_on_termination, on_termination

IDS_PER_POD = 65_536  # kubeletconfig DefaultKubeletUserNamespacesIDsPerPod
ID_SPACE = 1 << 32  # uid_t is 32 bits; the kubelet's default range is [idsPerPod, 2^32)
NO_MAPPING_OVERFLOW_UID = 65_534  # /proc/sys/kernel/overflowuid: what an unmapped owner looks like
HOST_IDENTITY_MAP = "0 0 4294967295"  # /proc/1/uid_map of the initial user namespace


@dataclass(frozen=True)
class IdMapLine:
    """One line of ``/proc/PID/uid_map``: ``count`` IDs from ``inside`` (as the process's
    namespace sees them) are ``outside`` onwards in the namespace of the reader."""

    inside: int
    outside: int
    count: int


class IdMapError(ValueError):
    """A ``uid_map``/``gid_map`` text that is not lines of three unsigned integers."""


def parse_id_map(text: str) -> list[IdMapLine]:
    """``/proc/PID/uid_map`` text (one ``INSIDE OUTSIDE COUNT`` line per range, whitespace
    separated) as lines; raises :class:`IdMapError` naming the bad line (1-based)."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or not all(re.fullmatch(r"\d+", value) for value in fields):
            raise IdMapError(f"line {number}: expected INSIDE OUTSIDE COUNT, got {line.strip()!r}")
        inside, outside, count = (int(value) for value in fields)
        if count == 0 or inside + count > ID_SPACE or outside + count > ID_SPACE:
            raise IdMapError(f"line {number}: range {line.strip()!r} is empty or passes 2^32")
        lines.append(IdMapLine(inside, outside, count))
    return lines


def map_to_host(lines: list[IdMapLine], inside: int) -> int | None:
    """The host ID that ID ``inside`` of the namespace is, or None when it is unmapped (the
    kernel then shows the overflow ID, 65534, for it)."""
    for line in lines:
        if line.inside <= inside < line.inside + line.count:
            return line.outside + inside - line.inside
    return None


def map_from_host(lines: list[IdMapLine], outside: int) -> int | None:
    """The namespace's ID for host ID ``outside``, or None when the namespace has none."""
    for line in lines:
        if line.outside <= outside < line.outside + line.count:
            return line.inside + outside - line.outside
    return None


def kubelet_first_ids(ids_per_pod: int = IDS_PER_POD, first_id: int | None = None,
                      length: int | None = None) -> range:
    """Where the kubelet may start a Pod's block: every multiple of ``ids_per_pod`` in
    ``[first_id, first_id + length)`` with room for a whole block. Defaults are the kubelet's
    without a ``kubelet`` entry in /etc/subuid: ``first_id`` = ``ids_per_pod``, up to 2^32.
    Raises ValueError for the configurations ``MakeUserNsManager`` refuses."""
    first_id = ids_per_pod if first_id is None else first_id
    length = ID_SPACE - first_id if length is None else length
    if ids_per_pod <= 0 or ids_per_pod % IDS_PER_POD:
        raise ValueError(f"idsPerPod {ids_per_pod} is not a multiple of {IDS_PER_POD}")
    if first_id % ids_per_pod or first_id < ids_per_pod:
        raise ValueError(f"first ID {first_id} must be a multiple of {ids_per_pod}, at least {ids_per_pod}")
    if length % ids_per_pod:
        raise ValueError(f"length {length} is not a multiple of {ids_per_pod}")
    return range(first_id, first_id + length, ids_per_pod)


def kubelet_slot(first: int, ids_per_pod: int = IDS_PER_POD) -> int | None:
    """The kubelet's slot number for a Pod block starting at ``first`` (0 for 65536), or None
    when the kubelet could not have chosen that start."""
    starts = kubelet_first_ids(ids_per_pod)
    return starts.index(first) if first in starts else None


@dataclass(frozen=True)
class HostView:
    """What the host says of the Pod's process: its ``uid_map``/``gid_map`` text, the
    ``Uid:`` line of ``/proc/PID/status`` (real, effective, saved, filesystem) and
    ``ps -o user:12,pid,comm`` (header and one line)."""

    pid: int
    uid_map: str
    gid_map: str
    status_uids: tuple[int, ...]
    ps: str


@dataclass(frozen=True)
class VolumeOwners:
    """Owner uid of the same file (``data``, owned by root on disk) read through the
    plain path and through the idmapped mount, from the host and from the Pod; ``writes``
    says whether the Pod's root could create a file through each path."""

    host_plain: int
    host_idmapped: int
    pod_plain: int
    pod_idmapped: int
    writes: dict[str, str]
    written_owner_on_disk: int | None
    written_owner_pod: int | None


@dataclass(frozen=True)
class PodUserNamespace:
    """The outcome of :func:`pod_user_namespace`: ``first`` is the first host ID of the
    block, ``host`` the host's view, ``inside`` the process's own (uid, ``id`` output,
    CapEff), ``actions`` what root inside tried (``"allowed"`` or the errno name),
    ``file_owner_on_host`` the host owner of a file root made inside, ``volume`` the
    idmapped mount, ``host_users_true`` the ``uid_map`` of a process without a user
    namespace (a Pod with ``hostUsers: true``)."""

    first: int
    count: int
    host: HostView
    uid: int
    id_output: str
    cap_eff: str
    shadow_owner: int
    file_owner_on_host: int
    actions: dict[str, str]
    volume: VolumeOwners
    host_users_true: str = field(default=HOST_IDENTITY_MAP)

    @property
    def uid_map(self) -> list[IdMapLine]:
        return parse_id_map(self.host.uid_map)


def capability_count(cap_eff_hex: str) -> int:
    """How many capabilities a ``CapEff:`` value of /proc/PID/status holds (hex bit mask)."""
    return bin(int(cap_eff_hex, 16)).count("1")


def _status_uids(pid: int) -> tuple[int, ...]:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Uid:"):
                return tuple(int(value) for value in line.split()[1:])
    raise RuntimeError(f"/proc/{pid}/status has no Uid line")


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _host_view(pid: int) -> HostView:
    # USER widened: procps 4.0 prints a uid above 2^31 in the uid column as a negative number
    ps = subprocess.run(["ps", "-o", "user:12,pid,comm", "-p", str(pid)],
                        capture_output=True, text=True, timeout=10).stdout.strip()
    return HostView(pid=pid, uid_map=_read(f"/proc/{pid}/uid_map").strip(),
                    gid_map=_read(f"/proc/{pid}/gid_map").strip(), status_uids=_status_uids(pid), ps=ps)


def _write_maps(pid: int, first: int, count: int) -> None:
    """What the runtime does for the Pod (runc writes them from outside, as root)."""
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{name}", "w") as id_map:
            id_map.write(f"0 {first} {count}\n")


def _volume(scratch: str) -> tuple[str, str]:
    volume, mount_point = os.path.join(scratch, "volume"), os.path.join(scratch, "mnt")
    os.mkdir(volume, 0o755)
    os.mkdir(mount_point, 0o755)
    with open(os.path.join(volume, "data"), "w") as data:
        data.write("owned by root on disk\n")
    return volume, mount_point


def _volume_owners(result: dict, volume: str) -> VolumeOwners:
    written = os.path.join(volume, "written-by-pod-root")
    return VolumeOwners(host_plain=result["host"][0], host_idmapped=result["host"][1],
                        pod_plain=result["pod"][0], pod_idmapped=result["pod"][1], writes=result["writes"],
                        written_owner_on_disk=os.stat(written).st_uid if os.path.exists(written) else None,
                        written_owner_pod=result["written_owner_pod"])


@privileged("root", "write another process's uid_map and make an idmapped mount, as a container runtime does")
def pod_user_namespace(first: int | None = None, count: int = IDS_PER_POD) -> PodUserNamespace:
    """Build a ``hostUsers: false`` Pod's process by hand: a user + mount namespace with
    ``0 first count`` as its uid and gid map (``first`` a random kubelet block when None),
    root inside, an idmapped volume. Raises ``podnotes.linux.launcher.LaunchError`` when a
    step fails; removes the scratch folder whatever happens."""
    first = random.choice(kubelet_first_ids()) if first is None else first
    with Children() as group:
        scratch = tempfile.mkdtemp(prefix=f"podnotes-userns-{os.getpid()}-")
        remove = functools.partial(shutil.rmtree, scratch, ignore_errors=True)
        on_termination(remove)  # SIGTERM/SIGHUP; Ctrl-C and errors take the finally below
        try:
            return _build(group, scratch, first, count)
        finally:
            remove()
            forget_on_termination(remove)


def _build(group: Children, scratch: str, first: int, count: int) -> PodUserNamespace:
    os.chmod(scratch, 0o1777)  # root inside is an unrelated uid on the host
    go_file = os.path.join(scratch, "go")
    volume, mount_point = _volume(scratch)
    pod = start(Spec(probe="pod_user_namespace", probe_args=[scratch, go_file],
                     unshare=["user", "mnt"], handshake=True), group)
    _write_maps(pod.pid, first, count)
    pod.proceed()
    pod.wait_ready()
    host = _host_view(pod.pid)
    mounted = start(Spec(probe="idmapped_volume", unshare=["mnt"],
                         probe_args=[volume, mount_point, f"/proc/{pod.pid}/ns/user"]), group)
    owners = _volume_owners(mounted.result(), volume)
    mounted.close()
    open(go_file, "w").close()
    inside = pod.result()
    pod.close()
    return PodUserNamespace(first=first, count=count, host=host, uid=inside["uid"], id_output=inside["id"],
                            cap_eff=inside["cap_eff"], shadow_owner=inside["shadow_owner"],
                            file_owner_on_host=os.stat(inside["file"]).st_uid, actions=inside["actions"],
                            volume=owners, host_users_true=_read("/proc/self/uid_map").strip())
