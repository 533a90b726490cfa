"""The cgroups chapter's three measurements: a memory limit that ends in an
OOM kill, a CPU quota that holds a busy loop to a fraction of a core, and a
process limit that stops a fork bomb.

Each experiment creates its own ``podnotes-`` cgroup, runs a fresh child
inside it (the launcher joins the group before running any code), reads what
the kernel accounted, and removes the group and everything in it.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass

from podnotes.linux.cgroups import Limits, Usage, create_cgroup
from podnotes.linux.launcher import Spec, start
from podnotes.linux.privileges import privileged
from podnotes.linux.processes import Children

MIB = 1024 * 1024

# Grows in steps and reports each step, so the last report shows how far it got.
_ALLOCATE = """
import sys
step, total = int(sys.argv[1]), int(sys.argv[2])
held = []
for done in range(step, total + 1, step):
    held.append(b"x" * (step * 1024 * 1024))  # written, so really charged
    print(done, flush=True)
"""

_SPIN = """
import time
print("spinning", flush=True)
while True:
    pass
"""

# A fork bomb with a safety bound: every child sleeps, the parent forks until
# the kernel refuses (or it reaches `bound`), reports, and the group is removed.
_FORK_UNTIL_REFUSED = """
import os, sys, time
bound = int(sys.argv[1])
forked, refusal = 0, None
while forked < bound:
    try:
        pid = os.fork()
    except OSError as err:
        refusal = err.strerror
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    forked += 1
print(forked, refusal, flush=True)
time.sleep(60)
"""


def killed_by(returncode: int | None) -> str | None:
    """The signal that ended a process, from a Popen return code (-9) or a
    shell-style exit status (137)."""
    if returncode is None:
        return None
    if returncode < 0:
        return signal.Signals(-returncode).name
    if returncode > 128:
        return signal.Signals(returncode - 128).name
    return None


@dataclass(frozen=True)
class MemoryResult:
    version: str
    limit_bytes: int
    wanted_mib: int
    reached_mib: int
    returncode: int
    signal: str | None
    usage: Usage


@privileged("cgroups", "create a cgroup with a memory limit")
def memory_limit(limit_mib: int = 64, allocate_mib: int = 256, step_mib: int = 8) -> MemoryResult:
    """Run a process that allocates ``allocate_mib`` in a group limited to ``limit_mib``."""
    limits = Limits(memory_bytes=limit_mib * MIB)
    with create_cgroup(limits, name="memory") as group, Children() as children:
        argv = [sys.executable, "-c", _ALLOCATE, str(step_mib), str(allocate_mib)]
        launched = start(Spec(argv=argv, cgroup_procs=group.procs_files()), children)
        output, _ = launched.process.communicate(timeout=60)
        launched.close()
        reports = [int(line) for line in output.split()]
        usage = group.usage()
        return MemoryResult(version=group.version, limit_bytes=limit_mib * MIB, wanted_mib=allocate_mib,
                            reached_mib=max(reports, default=0), returncode=launched.process.returncode,
                            signal=killed_by(launched.process.returncode), usage=usage)


@dataclass(frozen=True)
class CpuResult:
    version: str
    quota_us: int
    period_us: int
    seconds: float
    cpu_seconds: float
    share: float  # of one core
    usage: Usage


@privileged("cgroups", "create a cgroup with a CPU quota")
def cpu_limit(percent: float = 20, seconds: float = 2.0, weight: int = 10_000) -> CpuResult:
    """Run an endless busy loop in a group capped at ``percent`` of a core and
    measure the CPU time it gets over ``seconds`` of wall-clock time.

    The group also gets the highest CPU weight, so that other busy processes
    on the machine cannot take its time: what holds it back is the quota."""
    limits = Limits.cpu_percent(percent, cpu_weight=weight)
    with create_cgroup(limits, name="cpu") as group, Children() as children:
        argv = [sys.executable, "-c", _SPIN]
        launched = start(Spec(argv=argv, cgroup_procs=group.procs_files()), children)
        launched.process.stdout.readline()  # spinning
        before, started = group.usage().cpu_usage_usec, time.monotonic()
        time.sleep(seconds)
        after, elapsed = group.usage(), time.monotonic() - started
        launched.close()
    cpu_seconds = (after.cpu_usage_usec - before) / 1e6  # type: ignore[operator]
    return CpuResult(version=group.version, quota_us=limits.cpu_quota_us, period_us=limits.cpu_period_us,  # type: ignore[arg-type]
                     seconds=elapsed, cpu_seconds=cpu_seconds, share=cpu_seconds / elapsed, usage=after)


@dataclass(frozen=True)
class ForkResult:
    version: str
    pids_max: int
    forked: int
    refusal: str | None
    usage: Usage


@privileged("cgroups", "create a cgroup with a process limit")
def pids_limit(pids_max: int = 20, bound: int = 500) -> ForkResult:
    """Fork until refused, in a group allowed ``pids_max`` processes."""
    with create_cgroup(Limits(pids_max=pids_max), name="pids") as group, Children() as children:
        argv = [sys.executable, "-c", _FORK_UNTIL_REFUSED, str(bound)]
        launched = start(Spec(argv=argv, cgroup_procs=group.procs_files()), children)
        forked, _, refusal = launched.process.stdout.readline().strip().partition(" ")
        usage = group.usage()
        launched.close()
    return ForkResult(version=group.version, pids_max=pids_max, forked=int(forked),
                      refusal=None if refusal == "None" else refusal, usage=usage)
