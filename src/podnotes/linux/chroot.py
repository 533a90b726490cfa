"""chroot and pivot_root experiments: a root directory of one's own, and why
chroot alone does not confine root."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from podnotes.display import FieldTable
from podnotes.linux import rootless
from podnotes.linux.launcher import Spec, run_probe, run_program
from podnotes.linux.namespaces import STANDARD_ROOT_ENTRIES, View
from podnotes.linux.privileges import privileged
from podnotes.linux.rootfs import Rootfs


@privileged("namespaces", "change the root directory (chroot needs CAP_SYS_CHROOT)")
def run_chrooted(rootfs: Rootfs | str, argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Run ``argv`` (a program inside the root) with ``rootfs`` as its ``/``,
    and nothing else changed: same PIDs, network, host name and mounts."""
    return run_program(Spec(argv=list(argv), rootfs=str(rootfs), root_mode="chroot"), timeout)




@dataclass(frozen=True)
class EscapeResult(FieldTable):
    confined_root: list[str]
    confined_sees_marker: bool
    escaped_root: list[str]
    escaped_sees_marker: bool

    def _shown_value(self, name: str) -> str | None:
        if name != "escaped_root":
            return None
        if self.escaped_root == self.confined_root:
            return "the same as confined_root"
        standard = [entry for entry in STANDARD_ROOT_ENTRIES if entry in self.escaped_root]
        familiar = ', '.join(standard) or 'none of ' + ', '.join(STANDARD_ROOT_ENTRIES)
        return f"{len(self.escaped_root)} entries, among them {familiar}"


@privileged("namespaces", "chroot and try to break out")
def chroot_escape(rootfs: Rootfs | str, marker: str) -> EscapeResult:
    """Root inside a chroot walks out of it (see ``views.escape_chroot``);
    ``marker`` is a host file that only the escaped process can see."""
    # the probe calls chroot(2) itself: without root it needs a user namespace for CAP_SYS_CHROOT
    own_user = ["user"] if rootless.needs_user_namespace() else []
    return _escape_result(run_probe(Spec(probe="escape_chroot", probe_args=[str(rootfs), marker], unshare=own_user)))


def _escape_result(result: dict) -> EscapeResult:
    return EscapeResult(confined_root=result["confined"]["root_entries"],
                        confined_sees_marker=result["confined"]["marker_visible"],
                        escaped_root=result["escaped"]["root_entries"],
                        escaped_sees_marker=result["escaped"]["marker_visible"])


@privileged("namespaces", "pivot_root in a new mount namespace")
def pivot_root_escape(rootfs: Rootfs | str, marker: str) -> EscapeResult:
    """The same escape attempt after ``pivot_root`` in a new mount namespace,
    where the old root has been unmounted."""
    spec = Spec(probe="try_escape", probe_args=[marker], unshare=["mnt"], rootfs=str(rootfs), root_mode="pivot_root")
    return _escape_result(run_probe(spec))


# /proc/PID/root of a process outside one's user namespace needs CAP_SYS_PTRACE in the host's
# (commoncap cap_ptrace_access_check): a rootless process is refused, so this one needs root
@privileged("root", "pivot_root, then follow /proc/1/root")
def proc_root_escape(rootfs: Rootfs | str, marker: str) -> EscapeResult:
    """After ``pivot_root`` in a new mount namespace but in the host's PID
    namespace, with a fresh ``/proc``: host processes are listed, and the
    ``/proc/PID/root`` link of one (here the launching parent; classically
    PID 1) is the host's root directory, which root with ``CAP_SYS_PTRACE``
    can walk into. ``pivot_root`` confines only together with a PID namespace
    and dropped capabilities."""
    spec = Spec(probe="proc_root_escape", probe_args=[marker], unshare=["mnt"], rootfs=str(rootfs),
                root_mode="pivot_root", mount_proc=True)
    return _escape_result(run_probe(spec))


@privileged("namespaces", "look around from inside a chroot")
def chroot_view(rootfs: Rootfs | str) -> View:
    """What a chrooted process sees: its own files, but everyone's PIDs,
    network interfaces and host name."""
    return View.from_dict(run_probe(Spec(probe="view", rootfs=str(rootfs), root_mode="chroot")))


@privileged("namespaces", "look around after pivot_root")
def pivot_root_view(rootfs: Rootfs | str) -> View:
    """What a process sees after ``pivot_root`` in a new mount namespace with its own ``/proc``."""
    return View.from_dict(run_probe(Spec(probe="view", unshare=["mnt"], rootfs=str(rootfs), root_mode="pivot_root",
                                         mount_proc=True)))
