"""Reading the files and mounts the kubelet gives every container: ``/proc/self/mountinfo`` lines, a
service-account token's claims, a cgroup's memory use.

Upstream: the kubelet writes ``/etc/hosts`` (``pkg/kubelet/kubelet_pods.go``, ``ensureHostsFile``) and
mounts it with ``/dev/termination-log`` into each container (``makeMounts``); the runtime writes
``/etc/resolv.conf`` from the DNS config the kubelet computes (``pkg/kubelet/network/dns/dns.go``,
``GetPodDNS``) and mounts the sandbox's ``/dev/shm``; service-account tokens are JWTs
(``pkg/serviceaccount/claims.go``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mount:
    """One line of ``/proc/<pid>/mountinfo`` (proc(5)): ``target`` inside the container, ``root`` (the
    path inside the source file system that is mounted there), ``fstype``, ``source``, ``options``
    (the per-superblock ones, e.g. ``size=65536k``) and ``mount_options`` (the per-mount ones, e.g.
    ``rw,relatime,idmapped``: the kernel adds ``idmapped`` for an idmapped mount, fs/proc_namespace.c
    ``show_mnt_opts``)."""

    target: str
    root: str
    fstype: str
    source: str
    options: str
    mount_options: str = ""

    @property
    def idmapped(self) -> bool:
        return "idmapped" in self.mount_options.split(",")


def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def parse_mountinfo(text: str) -> list[Mount]:
    """Every mount of a ``mountinfo`` text, in order. Raises ValueError naming the line number of a line
    without the `` - `` separator."""
    mounts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        before, separator, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not separator or len(fields) < 6 or len(tail) < 2:
            raise ValueError(f"mountinfo line {number}: not in proc(5) format: {line[:80]!r}")
        options = tail[2] if len(tail) > 2 else ""
        mounts.append(Mount(_unescape(fields[4]), _unescape(fields[3]), tail[0], _unescape(tail[1]), options,
                            fields[5]))
    return mounts


def mount_at(mounts: list[Mount], target: str) -> Mount:
    """The mount visible at ``target`` (the last one mounted there); LookupError when there is none."""
    found = [mount for mount in mounts if mount.target == target]
    if not found:
        raise LookupError(f"nothing is mounted at {target}")
    return found[-1]


def mount_origin(mount: Mount, pod_uid: str) -> str:
    """Where a container's mount comes from, in a few words: ``kubelet: etc-hosts`` (a file under the
    kubelet's ``pods/<uid>/``), ``containerd: sandbox …/resolv.conf`` (a file containerd wrote for the
    sandbox), or ``tmpfs of its own`` (a file system mounted there, with its source)."""
    if mount.root == "/":
        return f"{mount.fstype} of its own ({mount.source})"
    marker = f"/pods/{pod_uid}/"
    if marker in mount.root:
        return "kubelet: " + mount.root.split(marker, 1)[1]
    if "/sandboxes/" in mount.root:
        return "containerd: sandbox …/" + mount.root.rsplit("/", 1)[-1]
    return f"{mount.fstype}: {mount.root}"


def tmpfs_size(options: str) -> int:
    """The ``size=`` of tmpfs mount options in bytes (``size=65536k`` -> 67108864); ValueError without one."""
    for option in options.split(","):
        if option.startswith("size="):
            value = option[5:]
            units = {"k": 1024, "m": 1024**2, "g": 1024**3}
            return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)
    raise ValueError(f"no size= in tmpfs options {options!r}")


def jwt_claims(token: str) -> dict:
    """The claims (the middle part) of a JSON Web Token, decoded without checking the signature: what a
    reader may look at, never what a server may trust. Raises ValueError for anything that is not a JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError(f"a JWT has 3 dot-separated parts, this has {len(parts)}")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"the JWT's claims are not base64url JSON: {err}") from err


def memory_charged(cgroup: str, root: Path = Path("/sys/fs/cgroup")) -> dict[str, int]:
    """What the memory controller charges to ``cgroup`` (a path as in ``/proc/<pid>/cgroup``), in bytes:
    ``usage`` (v1 ``memory.usage_in_bytes``, v2 ``memory.current``), ``shmem`` (tmpfs and shared memory
    pages, from ``memory.stat``) and ``limit`` (v1 ``memory.limit_in_bytes``, v2 ``memory.max``; -1 for
    none)."""
    v1 = root / "memory" / cgroup.lstrip("/")
    if (v1 / "memory.usage_in_bytes").exists():
        usage, limit_file = int((v1 / "memory.usage_in_bytes").read_text()), v1 / "memory.limit_in_bytes"
        stat_file = v1 / "memory.stat"
    else:
        v2 = root / cgroup.lstrip("/")
        usage, limit_file, stat_file = int((v2 / "memory.current").read_text()), v2 / "memory.max", v2 / "memory.stat"
    stat = dict(line.split() for line in stat_file.read_text().splitlines() if len(line.split()) == 2)
    limit_text = limit_file.read_text().strip()
    limit = -1 if limit_text == "max" or int(limit_text) >= 2**62 else int(limit_text)
    return {"usage": usage, "shmem": int(stat.get("shmem", 0)), "limit": limit}
