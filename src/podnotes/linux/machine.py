"""What this machine can do: the facts that decide which experiments run."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP2_SUPER_MAGIC = "cgroup2"


@dataclass(frozen=True)
class HostFacts:
    """The machine facts that change what this book's pages show."""

    system: str
    kernel: str
    python: str
    is_root: bool
    cgroup_version: str  # "v1", "hybrid", "v2" or "none"

    def as_dict(self) -> dict:
        return asdict(self)


# Set to a system name (``Darwin``, ``Windows``) to see the book as a reader on
# that system sees it: every Linux-only experiment then says so instead of running.
PRETEND_SYSTEM_ENV = "PODNOTES_PRETEND_SYSTEM"


def system() -> str:
    """The operating system's name as ``platform.system()`` gives it (``Linux``, ``Darwin``, ``Windows``)."""
    return os.environ.get(PRETEND_SYSTEM_ENV) or platform.system()


def is_linux() -> bool:
    pretended = os.environ.get(PRETEND_SYSTEM_ENV)
    if pretended:
        return pretended.lower() == "linux"
    return sys.platform.startswith("linux")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


MOUNTS = Path("/proc/self/mounts")


def cgroup_version(root: Path = CGROUP_ROOT, mounts_file: Path = MOUNTS) -> str:
    """Classify the cgroup layout: "v2" (unified), "hybrid" (v1 controllers
    plus a v2 tree at ``unified``), "v1", or "none" when not mounted."""
    mounts = _cgroup_mounts(mounts_file)
    root_type = mounts.get(str(root))
    if root_type == "cgroup2":
        return "v2"
    v1_present = any(kind == "cgroup" for kind in mounts.values())
    v2_present = any(kind == "cgroup2" for kind in mounts.values())
    if v1_present and v2_present:
        return "hybrid"
    if v1_present:
        return "v1"
    return "v2" if v2_present else "none"


def _cgroup_mounts(mounts_file: Path) -> dict[str, str]:
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[2] in ("cgroup", "cgroup2"):
            found[fields[1]] = fields[2]
    return found


def host_facts() -> HostFacts:
    return HostFacts(
        system=system(),
        kernel=platform.release(),
        python=platform.python_version(),
        is_root=is_root(),
        cgroup_version=cgroup_version() if is_linux() else "none",
    )


# --------------------------------------------------------------------------
# Everything the chapters check before an experiment, as ``podnotes doctor``
# reports it.

CAP_SYS_CHROOT = 18
CAP_SYS_ADMIN = 21
NEEDED_CONTROLLERS = ("cpu", "memory", "pids")
LINUX_TOOLS = ("unshare", "nsenter", "lsns", "ip", "busybox")
CLUSTER_TOOLS = ("kubectl", "kind", "docker")
USERNS_SYSCTLS = {
    "/proc/sys/user/max_user_namespaces": lambda value: int(value) > 0,
    "/proc/sys/kernel/unprivileged_userns_clone": lambda value: int(value) == 1,  # Debian < 13 patch
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": lambda value: int(value) == 0,  # Ubuntu 23.10+
}


@dataclass(frozen=True)
class HostCapabilities:
    """What this machine lets this process do, for ``podnotes doctor``."""

    linux: bool
    kernel: str
    root: bool
    cap_sys_admin: bool
    user_namespaces: bool
    cgroup_version: str
    cgroup_controllers: tuple[str, ...]
    cgroup_writable: bool
    systemd: bool
    tools: dict

    def as_dict(self) -> dict:
        facts = asdict(self)
        facts["cgroup_controllers"] = list(self.cgroup_controllers)
        return facts

    @property
    def can_create_namespaces(self) -> bool:
        """With CAP_SYS_ADMIN, or rootless inside a user namespace of one's own (podnotes.linux.rootless)."""
        return self.linux and (self.cap_sys_admin or self.user_namespaces)

    @property
    def rootless(self) -> bool:
        """Namespaces are made inside a user namespace: no CAP_SYS_ADMIN, but user namespaces allowed."""
        return self.linux and not self.cap_sys_admin and self.user_namespaces

    @property
    def can_limit_resources(self) -> bool:
        return (self.linux and self.can_create_namespaces and self.cgroup_writable
                and all(name in self.cgroup_controllers for name in NEEDED_CONTROLLERS))


def effective_capabilities(status_file: Path = Path("/proc/self/status")) -> int:
    try:
        for line in status_file.read_text().splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def has_capability(bit: int) -> bool:
    return bool(effective_capabilities() >> bit & 1)


def user_namespaces_allowed(root: bool | None = None) -> bool:
    """Whether this process may create a user namespace. Root only needs the
    kernel to allow them at all; other users also pass distribution switches."""
    root = is_root() if root is None else root
    for path, allows in USERNS_SYSCTLS.items():
        if root and not path.endswith("max_user_namespaces"):
            continue
        try:
            value = Path(path).read_text().strip()
        except OSError:
            if path.endswith("max_user_namespaces"):
                return False
            continue
        if not allows(value):
            return False
    return True


@dataclass(frozen=True)
class UserNamespaceRestriction:
    """A kernel setting that stops normal users from creating user namespaces, and its fix."""

    sysctl: str  # e.g. "kernel.apparmor_restrict_unprivileged_userns"
    value: str
    explanation: str
    fix: str  # the command that lifts it (as root)

    def __str__(self) -> str:
        return f"{self.sysctl} = {self.value}: {self.explanation}; fix: {self.fix}"


_RESTRICTION_TEXT = {
    "user.max_user_namespaces": (
        "the kernel allows no user namespace at all",
        "sudo sysctl -w user.max_user_namespaces=15000"),
    "kernel.unprivileged_userns_clone": (
        "Debian's kernel patch (before Debian 11) keeps user namespaces for root",
        "sudo sysctl -w kernel.unprivileged_userns_clone=1"),
    "kernel.apparmor_restrict_unprivileged_userns": (
        "AppArmor (Ubuntu 23.10 and later) gives a user namespace made by an unconfined program no "
        "capabilities, so the namespaces inside it fail",
        "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile with "
        "'userns,' for the program)"),
}


def user_namespace_restrictions(proc_sys: Path = Path("/proc/sys")) -> list[UserNamespaceRestriction]:
    """The settings in ``proc_sys`` that forbid unprivileged user namespaces here (empty: none does).
    Sources: user_namespaces(7) (``max_user_namespaces``), Debian's
    ``add-sysctl-to-disallow-unprivileged-CLONE_NEWUSER-by-default.patch``, Ubuntu's "Restricted
    unprivileged user namespaces" (23.10 release notes)."""
    found = []
    for path, allows in USERNS_SYSCTLS.items():
        relative = path.removeprefix("/proc/sys/")
        try:
            value = (proc_sys / relative).read_text().strip()
        except OSError:
            continue
        if not allows(value):
            name = relative.replace("/", ".")
            explanation, fix = _RESTRICTION_TEXT[name]
            found.append(UserNamespaceRestriction(name, value, explanation, fix))
    return found


def cgroup_controllers(version: str | None = None, mounts_file: Path = MOUNTS,
                       root: Path = CGROUP_ROOT) -> tuple[str, ...]:
    """Controllers this process can use: on v1 and hybrid machines those
    mounted as v1 hierarchies, on v2 those listed in the root's ``cgroup.controllers``."""
    version = version or cgroup_version(root, mounts_file)
    if version == "v2":
        v2_root = next((Path(point) for point, kind in _cgroup_mounts(mounts_file).items() if kind == "cgroup2"), root)
        try:
            return tuple(sorted((v2_root / "cgroup.controllers").read_text().split()))
        except OSError:
            return ()
    names: set[str] = set()
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return ()
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup":
            names.update(option for option in fields[3].split(",") if option in _V1_CONTROLLERS)
    return tuple(sorted(names))


_V1_CONTROLLERS = {"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb",
                   "net_cls", "net_prio", "perf_event", "rdma", "misc"}


def cgroup_tree_writable(root: Path = CGROUP_ROOT) -> bool:
    """Whether this process may create groups where ``podnotes.linux.cgroups`` creates them: as root
    the tree, as a normal user a subtree delegated to it (owned by it, cgroups(7) "Delegation")."""
    from podnotes.linux import cgroups

    try:
        parents = cgroups.detect_layout(root=root).parents.values()
    except (cgroups.CgroupError, OSError, StopIteration):
        return False
    return bool(parents) and all(os.access(parent, os.W_OK) for parent in parents)


def systemd_running() -> bool:
    # sd_booted(3): systemd is the init system when this directory exists.
    return Path("/run/systemd/system").is_dir()


def find_tools(names=LINUX_TOOLS + CLUSTER_TOOLS) -> dict:
    import shutil

    return {name: shutil.which(name) for name in names}


# Set to 1 to see the book as a reader without root sees it: every privileged
# experiment then reports what it needs instead of running.
PRETEND_ENV = "PODNOTES_PRETEND_UNPRIVILEGED"


def detect() -> HostCapabilities:
    linux = is_linux()
    version = cgroup_version() if linux else "none"
    pretend = os.environ.get(PRETEND_ENV, "").lower() in ("1", "true", "yes")
    return HostCapabilities(
        linux=linux,
        kernel=platform.release(),
        root=is_root() and not pretend,
        cap_sys_admin=linux and has_capability(CAP_SYS_ADMIN) and not pretend,
        # pretending to be unprivileged shows a machine whose distribution forbids user namespaces too
        user_namespaces=linux and user_namespaces_allowed() and not pretend,
        cgroup_version=version,
        cgroup_controllers=cgroup_controllers(version) if linux else (),
        cgroup_writable=linux and cgroup_tree_writable() and not pretend,
        systemd=linux and systemd_running(),
        tools=find_tools(),
    )
