"""A container from scratch: one function that combines a root of its own
(``pivot_root``), a view of its own (namespaces) and a budget of its own (a
cgroup), in the order a runtime such as runc applies them."""

from __future__ import annotations

from dataclasses import dataclass

from podnotes.linux.cgroups import Limits, Usage, create_cgroup
from podnotes.linux.launcher import Spec, run_probe, run_program
from podnotes.linux.namespaces import View
from podnotes.linux.privileges import privileged
from podnotes.linux.rootfs import Rootfs

CONTAINER_NAMESPACES = ("pid", "mnt", "uts", "ipc", "net")
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


def container_spec(rootfs: Rootfs | str, hostname: str, cgroup_procs: list[str], **command) -> Spec:
    return Spec(unshare=list(CONTAINER_NAMESPACES), hostname=hostname, loopback_up=True, rootfs=str(rootfs),
                root_mode="pivot_root", mount_proc=True, populate_dev=True, cgroup_procs=cgroup_procs, **command)


@privileged("cgroups", "run a command in namespaces, a new root and a cgroup")
def run_in_container(argv: list[str], rootfs: Rootfs | str, hostname: str = "container",
                     limits: Limits = DEFAULT_LIMITS, timeout: float = 60.0) -> ContainerRun:
    """Run ``argv`` (a program inside ``rootfs``) as a container: new PID,
    mount, UTS, IPC and network namespaces, ``rootfs`` as ``/`` with its own
    ``/proc``, and ``limits`` enforced by a fresh cgroup, removed afterwards."""
    with create_cgroup(limits, name="container") as group:
        spec = container_spec(rootfs, hostname, group.procs_files(), argv=list(argv))
        completed = run_program(spec, timeout)
        return ContainerRun(argv=list(argv), returncode=completed.returncode, stdout=completed.stdout,
                            stderr=completed.stderr, cgroup=group.name, cgroup_version=group.version,
                            limits=limits, usage=group.usage())


@privileged("cgroups", "look around inside a container")
def container_view(rootfs: Rootfs | str, hostname: str = "container", limits: Limits = DEFAULT_LIMITS) -> View:
    """What a process inside such a container sees (``views.view``)."""
    with create_cgroup(limits, name="container") as group:
        return View.from_dict(run_probe(container_spec(rootfs, hostname, group.procs_files(), probe="view")))
