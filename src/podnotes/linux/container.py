"""A container from scratch: one function that combines a root of its own
(``pivot_root``), a view of its own (namespaces) and a budget of its own (a
cgroup), in the order a runtime such as runc applies them."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from podnotes.linux.calltrace import Call, read_calls
from podnotes.linux.cgroups import Limits, Usage, create_cgroup
from podnotes.linux.launcher import Spec, run_probe, run_program
from podnotes.linux.namespaces import View
from podnotes.linux.privileges import privileged
from podnotes.linux.rootfs import Rootfs

CONTAINER_NAMESPACES = ("pid", "mnt", "uts", "ipc", "net")
# What containerd's CRI plugin gives a non-privileged container
# (internal/cri/server/container_create_linux.go): pid, ipc, uts, mnt and net
# (net, ipc and uts joined from the Pod sandbox), a cgroup namespace of its own
# on cgroup v2 only, and a user namespace only when the Pod sets hostUsers: false.
CRI_NAMESPACES = ("pid", "ipc", "uts", "mnt", "net")


def runtime_namespaces(cgroup_v2: bool, host_users: bool = True) -> list[str]:
    """The namespace kinds a non-privileged container gets from containerd's CRI,
    sorted: :data:`CRI_NAMESPACES`, plus ``cgroup`` on cgroup v2, plus ``user``
    when the Pod has ``hostUsers: false`` (KEP-127, user namespaces)."""
    kinds = set(CRI_NAMESPACES) | ({"cgroup"} if cgroup_v2 else set()) | (set() if host_users else {"user"})
    return sorted(kinds)


DEFAULT_LIMITS = Limits(memory_bytes=64 * 1024 * 1024, cpu_quota_us=50_000, pids_max=32)


@dataclass(frozen=True)
class ContainerRun:
    """How a command ran "in a container", and what its cgroup accounted."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    cgroup: str
    cgroup_version: str
    limits: Limits
    usage: Usage
    calls: list[Call] = field(default_factory=list)  # the system calls the child made, in order


def container_spec(rootfs: Rootfs | str, hostname: str, cgroup_procs: list[str], **command) -> Spec:
    return Spec(unshare=list(CONTAINER_NAMESPACES), hostname=hostname, loopback_up=True, rootfs=str(rootfs),
                root_mode="pivot_root", mount_proc=True, populate_dev=True, cgroup_procs=cgroup_procs, **command)


@privileged("cgroups", "run a command in namespaces, a new root and a cgroup")
def run_in_container(argv: list[str], rootfs: Rootfs | str, hostname: str = "container",
                     limits: Limits = DEFAULT_LIMITS, timeout: float = 60.0) -> ContainerRun:
    """Run ``argv`` (a program inside ``rootfs``) as a container: new PID,
    mount, UTS, IPC and network namespaces, ``rootfs`` as ``/`` with its own
    ``/proc``, and ``limits`` enforced by a fresh cgroup, removed afterwards.
    ``calls`` lists the system calls the child made on the way
    (:mod:`podnotes.linux.calltrace`)."""
    scratch_prefix = f"podnotes-calltrace-{os.getpid()}-"
    with create_cgroup(limits, name="container") as group, \
            tempfile.TemporaryDirectory(prefix=scratch_prefix) as scratch:
        trace = Path(scratch) / "calls.jsonl"
        spec = container_spec(rootfs, hostname, group.procs_files(), argv=list(argv), trace=str(trace))
        completed = run_program(spec, timeout)
        return ContainerRun(argv=list(argv), returncode=completed.returncode, stdout=completed.stdout,
                            stderr=completed.stderr, cgroup=group.name, cgroup_version=group.version,
                            limits=limits, usage=group.usage(), calls=read_calls(trace))


@privileged("cgroups", "look around inside a container")
def container_view(rootfs: Rootfs | str, hostname: str = "container", limits: Limits = DEFAULT_LIMITS) -> View:
    """What a process inside such a container sees (``views.view``)."""
    with create_cgroup(limits, name="container") as group:
        return View.from_dict(run_probe(container_spec(rootfs, hostname, group.procs_files(), probe="view")))
