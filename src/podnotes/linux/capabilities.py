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


def is_linux() -> bool:
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
        system=platform.system(),
        kernel=platform.release(),
        python=platform.python_version(),
        is_root=is_root(),
        cgroup_version=cgroup_version() if is_linux() else "none",
    )
