"""Tiny root file systems for the chroot, pivot_root and container chapters.

Nothing is downloaded. With Debian's ``busybox-static`` installed, a root is
one static binary plus a symbolic link per command. Without it, the builder
copies a few of the host's programs together with every shared library they
load (as ``ldd`` lists them), which is what "a file system of its own" needs
to contain for those programs to start.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from podnotes.linux.privileges import linux_only

ROOTFS_PREFIX = "podnotes-rootfs-"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
# Enough for the chapters' demonstrations.
DEFAULT_PROGRAMS = ("sh", "ls", "cat", "echo", "hostname", "id", "ps", "sleep", "kill", "mkdir", "touch",
                    "rm", "uname", "wc", "readlink")
DIRECTORIES = ("bin", "dev", "etc", "proc", "sys", "tmp", "root")

_LDD_PATH = re.compile(r"(/\S+)")


class RootfsError(RuntimeError):
    """A program the root needs is missing on this host."""


@dataclass
class Rootfs:
    """A root directory built for experiments; remove it with ``remove()``
    or by using it as a context manager."""

    path: Path
    source: str  # "busybox" or "host"
    programs: list[str] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from podnotes.linux.processes import on_termination

        # Removed at interpreter exit and on SIGTERM too, e.g. when a notebook stops midway.
        atexit.register(self.remove)
        on_termination(self.remove)

    def __enter__(self) -> Rootfs:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def __str__(self) -> str:
        return str(self.path)

    def size_bytes(self) -> int:
        return sum(entry.stat().st_size for entry in self.path.rglob("*")
                   if entry.is_file() and not entry.is_symlink())

    def tree(self) -> list[str]:
        """Top-level entries, as ``ls /`` inside will show them."""
        return sorted(entry.name for entry in self.path.iterdir())

    def remove(self) -> None:
        from podnotes.linux.processes import forget_on_termination

        if self.path.exists():
            shutil.rmtree(self.path)
        atexit.unregister(self.remove)
        forget_on_termination(self.remove)


def find_busybox() -> str | None:
    for candidate in BUSYBOX_CANDIDATES:
        if os.access(candidate, os.X_OK) and _is_static(candidate):
            return candidate
    return None


def _is_static(binary: str) -> bool:
    result = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return "not a dynamic executable" in (result.stdout + result.stderr) or result.returncode != 0


@linux_only("builds a Linux root file system")
def build_rootfs(programs=DEFAULT_PROGRAMS, use_busybox: bool | None = None, parent: str | None = None,
                 hostname: str = "podnotes") -> Rootfs:
    """Create a root file system in a new temporary directory.

    ``use_busybox``: True requires busybox-static, False forces copying host
    programs, None (the default) uses busybox when it is installed.
    """
    from podnotes.linux.leaks import reap_orphans_once

    reap_orphans_once()
    busybox = find_busybox()
    if use_busybox and busybox is None:
        raise RootfsError("busybox-static is not installed (Debian: apt-get install busybox-static)")
    path = Path(tempfile.mkdtemp(prefix=f"{ROOTFS_PREFIX}{os.getpid()}-", dir=parent))
    try:
        for name in DIRECTORIES:
            (path / name).mkdir(exist_ok=True)
        os.chmod(path / "tmp", 0o1777)
        _write_etc(path, hostname)
        if busybox and use_busybox is not False:
            rootfs = Rootfs(path=path, source="busybox", programs=_install_busybox(busybox, path))
        else:
            installed, libraries = _install_host_programs(programs, path)
            rootfs = Rootfs(path=path, source="host", programs=installed, libraries=libraries)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return rootfs


def _write_etc(root: Path, hostname: str) -> None:
    (root / "etc" / "hostname").write_text(f"{hostname}\n")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")


def _install_busybox(busybox: str, root: Path) -> list[str]:
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox" and "/" not in applet:
            (root / "bin" / applet).symlink_to("busybox")
    return sorted(applets)


def _install_host_programs(programs, root: Path) -> tuple[list[str], list[str]]:
    libraries: set[str] = set()
    installed = []
    for name in programs:
        found = shutil.which(name)
        if found is None:
            raise RootfsError(f"program {name!r} is not installed on this host")
        shutil.copy2(os.path.realpath(found), root / "bin" / name)
        libraries.update(shared_libraries(found))
        installed.append(name)
    for library in sorted(libraries):
        target = root / library.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(library), target)
    return installed, sorted(libraries)


def shared_libraries(binary: str) -> list[str]:
    """The shared libraries (and the dynamic loader) ``binary`` loads, by ``ldd``."""
    try:
        result = subprocess.run(["ldd", binary], capture_output=True, text=True)
    except FileNotFoundError:
        return []  # no ldd: not a glibc Linux system, nothing will run in this root anyway
    if result.returncode != 0:
        return []  # a static binary
    paths = []
    for line in result.stdout.splitlines():
        match = _LDD_PATH.search(line.split("=>")[-1])
        if match:
            paths.append(match.group(1))
    return paths
