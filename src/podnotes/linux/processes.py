"""Plain processes on one host, and the three problems they share.

The helpers start child processes, read what the kernel says about them in
``/proc``, and always stop and reap what they started, also when the caller
is interrupted (Ctrl-C), terminated (SIGTERM, SIGHUP) or killed (SIGKILL):
every child is started with a parent-death signal (``PR_SET_PDEATHSIG``,
through util-linux ``setpriv --pdeathsig KILL``), so the kernel kills it when
the process that started it dies, however that happens.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podnotes.display import FieldTable
from podnotes.linux.machine import is_linux
from podnotes.linux.privileges import linux_only

PROC = Path("/proc")

# Every process podnotes starts carries this variable (set to the PID of the
# process that started it), so that ``podnotes.linux.leaks`` can find any
# that outlive their experiment.
MARKER_ENV = "PODNOTES_CHILD"


@dataclass(frozen=True)
class ProcInfo(FieldTable):
    """One process as ``/proc/PID`` describes it."""

    pid: int
    ppid: int
    name: str
    state: str
    uid: int
    cmdline: tuple[str, ...]

    def _shown_value(self, name: str) -> str | None:
        return shlex.join(self.cmdline) if name == "cmdline" else None



def pid_exists(pid: int) -> bool:
    """Whether a process with this PID exists (signal 0, kill(2)); a process of
    another user that we may not signal exists too."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True

@linux_only("reads /proc")
def read_proc(pid: int, proc: Path = PROC) -> ProcInfo:
    """Read a process's identity from ``/proc``; raises ProcessLookupError
    if it has gone."""
    base = proc / str(pid)
    try:
        status = (base / "status").read_text()
        raw_cmdline = (base / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessLookupError(f"no process {pid} in {proc}") from None
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    return ProcInfo(
        pid=pid,
        ppid=int(fields["PPid"]),
        name=fields["Name"].strip(),
        state=fields["State"].split()[0],
        uid=int(fields["Uid"].split()[0]),
        cmdline=tuple(arg.decode(errors="replace") for arg in raw_cmdline.split(b"\0") if arg),
    )


@linux_only("reads /proc")
def list_pids(proc: Path = PROC) -> list[int]:
    """Every PID this process can see."""
    return sorted(int(entry.name) for entry in proc.iterdir() if entry.name.isdigit())


def list_processes(proc: Path = PROC) -> list[ProcInfo]:
    """Every process this process can see (those that exit meanwhile are skipped)."""
    found = []
    for pid in list_pids(proc):
        try:
            found.append(read_proc(pid, proc))
        except (ProcessLookupError, PermissionError):
            continue
    return found


@linux_only("reads /proc")
def read_environ(pid: int) -> dict[str, str]:
    """Another process's environment, as any process of the same user may read it."""
    raw = (PROC / str(pid) / "environ").read_bytes()
    pairs = (item.decode(errors="replace").split("=", 1) for item in raw.split(b"\0") if b"=" in item)
    return dict(pairs)


class Children:
    """Child processes that are guaranteed to be stopped and reaped.

    Use it as a context manager, or call ``close()``. Either way, whatever is
    still running when the block ends (normally, by an exception, or by
    Ctrl-C) is terminated, and anything left when the interpreter exits is too.
    """

    def __init__(self) -> None:
        from podnotes.linux.leaks import reap_orphans_once

        reap_orphans_once()
        self.started: list[subprocess.Popen] = []
        atexit.register(self.close)
        on_termination(self.close)

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self, argv: Sequence[str], **popen_kwargs) -> subprocess.Popen:
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        popen_kwargs.setdefault("stdout", subprocess.PIPE)
        popen_kwargs.setdefault("stderr", subprocess.PIPE)
        popen_kwargs.setdefault("text", True)
        # A session of its own, so stopping it also stops anything it forked.
        popen_kwargs.setdefault("start_new_session", True)
        env = popen_kwargs.get("env")
        popen_kwargs["env"] = {**(os.environ if env is None else env), MARKER_ENV: str(os.getpid())}
        child = subprocess.Popen(tethered(list(argv), popen_kwargs["env"]), **popen_kwargs)
        self.started.append(child)
        _wait_until_exec_visible(child, list(argv))
        return child

    def python(self, code: str, *args: str, **popen_kwargs) -> subprocess.Popen:
        """Start ``python -c code args...`` with this interpreter."""
        return self.start([sys.executable, "-c", code, *args], **popen_kwargs)

    def running(self) -> list[subprocess.Popen]:
        return [child for child in self.started if child.poll() is None]

    def close(self, grace: float = 2.0) -> None:
        for child in self.started:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.started:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
            # What the child forked may outlive it: a namespace's PID 1 ignores SIGTERM without a handler
            # (pid_namespaces(7)). The group lives on while any member does, so its ID still names it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
            for stream in (child.stdin, child.stdout, child.stderr):
                if stream:
                    stream.close()
        atexit.unregister(self.close)
        forget_on_termination(self.close)


@functools.lru_cache(maxsize=1)
def _setpriv() -> str | None:
    """util-linux ``setpriv`` if it knows ``--pdeathsig`` (util-linux 2.33 and later)."""
    found = shutil.which("setpriv")
    if not found:
        return None
    try:
        usage = subprocess.run([found, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return found if "--pdeathsig" in usage else None


def tethered(argv: list[str], env: dict | None = None) -> list[str]:
    """``argv`` prefixed so that the kernel kills the program when its parent dies
    (``setpriv --pdeathsig KILL -- argv``; PR_SET_PDEATHSIG survives exec). Unchanged when setpriv
    is missing or the program cannot be found (Popen then raises its usual error).

    The signal follows the parent *thread*: start long-lived children from a thread that outlives them."""
    setpriv = _setpriv()
    if setpriv is None or not argv:
        return argv
    program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=(env or os.environ).get("PATH"))
    if program is None or not os.access(program, os.X_OK):
        return argv
    return [setpriv, "--pdeathsig", "KILL", "--", *argv]


# --- SIGTERM and SIGHUP: clean up, then terminate as asked ---------------------------------------
_termination_callbacks: list = []
_termination_lock = threading.RLock()  # the handler may run while the main thread holds it


def on_termination(callback) -> None:
    """Run ``callback`` (stop children, remove a cgroup ...) if this process receives SIGTERM or SIGHUP.

    Installs the handler only where nobody else has one (the signal's action is
    still the default) and only from the main thread. The handler runs the
    callbacks, newest first, then restores the default action and sends itself
    the signal again, so the process still ends the way the sender meant."""
    with _termination_lock:
        _termination_callbacks.append(callback)
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _terminate)


def forget_on_termination(callback) -> None:
    with _termination_lock:
        if callback in _termination_callbacks:
            _termination_callbacks.remove(callback)


def _terminate(number, _frame) -> None:
    with _termination_lock:
        callbacks = list(reversed(_termination_callbacks))
        _termination_callbacks.clear()
    for callback in callbacks:
        try:  # noqa: SIM105 - the except clause says why
            callback()
        except Exception:  # noqa: BLE001 - the process is ending; clean up as much as possible
            pass
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)


def _wait_until_exec_visible(child: subprocess.Popen, argv: list[str], timeout: float = 5.0) -> None:
    # Popen returns once exec() has begun, but /proc may still show the old
    # image's command line and environment for a moment. Wait for the new one.
    if not is_linux():
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if read_proc(child.pid).cmdline == tuple(argv):
                return
        except ProcessLookupError:
            return
        time.sleep(0.001)


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    if child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, sig)


def children() -> Children:
    """A new group of child processes; see ``Children``."""
    return Children()


def signal_from_another_process(target_pid: int, sig: int = signal.SIGTERM) -> int:
    """Have a separate, unrelated process send ``sig`` to ``target_pid``.
    Returns that sender's exit code (0 when the kernel let it)."""
    sender = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.kill(int(sys.argv[1]), int(sys.argv[2]))",
         str(target_pid), str(int(sig))],
        capture_output=True, text=True, timeout=30,
    )
    return sender.returncode


# The loop both the measured workers and the competing hogs run. It pins
# itself to one CPU, so that all of them fight for the same core. A worker is
# given the hogs' PIDs and reads their CPU time from /proc itself, at the start
# and at the end of its own loop, so that its CPU time and theirs cover exactly
# the same moments. Every CPU time is the scheduler's own runtime counter in
# nanoseconds (/proc/PID/schedstat, and CLOCK_PROCESS_CPUTIME_ID for the worker),
# not clock ticks: a crowded worker's quarter of a second is 25 ticks at 100 Hz,
# and a tick either way would move its share by 4 %.
_BUSY_LOOP = """
import os, sys, time
cpu, seconds, hogs = int(sys.argv[1]), float(sys.argv[2]), [int(pid) for pid in sys.argv[3:]]
os.sched_setaffinity(0, {cpu})
def hogs_cpu_seconds():
    return sum(int(open(f"/proc/{pid}/schedstat").read().split()[0]) for pid in hogs) / 1e9
print("ready", flush=True)
hogs_before, cpu_before = hogs_cpu_seconds(), time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)
end = time.monotonic() + seconds
count = 0
while time.monotonic() < end:
    for _ in range(1000):
        count += 1
cpu_after, hogs_after = time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID), hogs_cpu_seconds()
print(count, cpu_after - cpu_before, hogs_after - hogs_before, flush=True)
"""


@dataclass(frozen=True)
class WorkMeasurement(FieldTable):
    """How much work one process got done in ``seconds`` of wall-clock time on
    a CPU it shared with ``hogs`` busy loops.

    ``cpu_seconds`` is the CPU time the worker was given during its loop and
    ``neighbours_cpu_seconds`` what the hogs on its core were given over the
    same moments (both read from the scheduler's runtime counters, in
    nanoseconds: ``clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`` and
    ``/proc/PID/schedstat``, kernel ``Documentation/scheduler/sched-stats.rst``).

    Other programs on the machine change how much CPU time all of these
    processes get, but not how the core divides it among them, nor how much
    work one CPU second does: ``share_of_core`` and ``iterations_per_cpu_second``
    are the figures that hold on a busy machine.
    """

    cpu: int
    seconds: float
    hogs: int
    iterations: int
    cpu_seconds: float
    neighbours_cpu_seconds: float

    @property
    def share_of_core(self) -> float:
        """The worker's part (0..1) of the CPU time its core gave to the processes pinned to it."""
        total = self.cpu_seconds + self.neighbours_cpu_seconds
        return self.cpu_seconds / total if total else 0.0

    @property
    def iterations_per_cpu_second(self) -> float:
        """Work done per second the worker actually ran: its speed while on the CPU."""
        return self.iterations / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def running_fraction(self) -> float:
        """The part (0..1) of its ``seconds`` of wall-clock time the worker spent
        running. Other load can only lower it."""
        return self.cpu_seconds / self.seconds


@linux_only("reads /proc")
def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (``/proc/PID/stat``)."""
    stat = (PROC / str(pid) / "stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / os.sysconf("SC_CLK_TCK")


def _start_hogs(group: Children, cpu: int, count: int, seconds: float) -> list[subprocess.Popen]:
    hogs = [group.python(_BUSY_LOOP, str(cpu), str(seconds + 30)) for _ in range(count)]
    for hog in hogs:
        hog.stdout.readline()  # type: ignore[union-attr]  # wait until each hog is pinned and spinning
    return hogs


def _start_worker(group: Children, cpu: int, seconds: float, hogs: list[subprocess.Popen]) -> subprocess.Popen:
    return group.python(_BUSY_LOOP, str(cpu), str(seconds), *(str(hog.pid) for hog in hogs))


def _worker_result(worker: subprocess.Popen, seconds: float) -> tuple[int, float, float]:
    output, errors = worker.communicate(timeout=seconds + 60)
    if worker.returncode != 0:
        raise RuntimeError(f"measuring process failed: {errors.strip()}")
    iterations, cpu_seconds, hogs_cpu_seconds = output.split()[-3:]
    return int(iterations), float(cpu_seconds), float(hogs_cpu_seconds)


@linux_only("reads /proc")
def measure_work(seconds: float = 1.0, hogs: int = 0, cpu: int | None = None) -> WorkMeasurement:
    """Count loop iterations a process completes in ``seconds`` while ``hogs``
    busy loops run pinned to the same CPU (default: the lowest this process may use)."""
    if cpu is None:
        cpu = min(os.sched_getaffinity(0))
    with children() as group:
        competitors = _start_hogs(group, cpu, hogs, seconds)
        result = _worker_result(_start_worker(group, cpu, seconds, competitors), seconds)
    return WorkMeasurement(cpu, seconds, hogs, *result)


def _combined(rounds: list[WorkMeasurement]) -> WorkMeasurement:
    first = rounds[0]
    return WorkMeasurement(
        first.cpu, sum(r.seconds for r in rounds), first.hogs, sum(r.iterations for r in rounds),
        sum(r.cpu_seconds for r in rounds), sum(r.neighbours_cpu_seconds for r in rounds),
    )


def _alone_and_crowded_at_once(seconds: float, hogs: int, alone_cpu: int,
                               crowded_cpu: int) -> tuple[WorkMeasurement, WorkMeasurement]:
    with children() as group:
        competitors = _start_hogs(group, crowded_cpu, hogs, seconds)
        alone = _start_worker(group, alone_cpu, seconds, [])
        crowded = _start_worker(group, crowded_cpu, seconds, competitors)
        alone_result = _worker_result(alone, seconds)
        crowded_result = _worker_result(crowded, seconds)
    return (WorkMeasurement(alone_cpu, seconds, 0, *alone_result),
            WorkMeasurement(crowded_cpu, seconds, hogs, *crowded_result))


@linux_only("reads /proc")
def compare_alone_and_crowded(seconds: float = 1.0, hogs: int = 3) -> tuple[WorkMeasurement, WorkMeasurement]:
    """Measure a worker alone on one core and, at the same moment, an identical
    worker sharing another core with ``hogs`` busy loops; then the same again
    with the cores traded. Returns (alone, crowded), each the sum of its two
    halves of ``seconds / 2``; ``cpu`` is the core each started on.

    Running both at once means whatever else the machine does at that moment
    affects both alike. Trading cores half-way means a core that does less
    work per CPU second than the other counts alike for both twins too: a
    virtual machine's CPUs are threads of the host, and under emulation or on a
    busy host one of them may be given less of a real core for a while, which
    the guest still accounts as CPU time. On a single-CPU machine the two
    runs happen one after the other.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return measure_work(seconds, 0, cpus[0]), measure_work(seconds, hogs, cpus[0])
    half = seconds / 2
    first = _alone_and_crowded_at_once(half, hogs, cpus[0], cpus[1])
    second = _alone_and_crowded_at_once(half, hogs, cpus[1], cpus[0])
    return _combined([first[0], second[0]]), _combined([first[1], second[1]])


@linux_only("reads /proc")
def available_memory_mib(meminfo: Path = PROC / "meminfo") -> int:
    """Memory the kernel estimates new allocations can still get (MemAvailable)."""
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"{meminfo}: no MemAvailable line")


@dataclass(frozen=True)
class MemoryMeasurement(FieldTable):
    """MemAvailable before, while and after a neighbour holds ``held_mib``."""

    held_mib: int
    neighbour_rss_mib: int
    before_mib: int
    during_mib: int
    after_mib: int
    attempt: int = 1  # which measurement this is: other programs' bursts make one retake it

    @property
    def taken_mib(self) -> int:
        return self.before_mib - self.during_mib

    @property
    def returned_mib(self) -> int:
        return self.after_mib - self.during_mib


_HOLD_MEMORY = """
import sys
# Filled with ones, not zeros: zero-filled allocations may be left untouched
# by the kernel until written, and would not show up as used memory.
buf = b"\\x01" * (int(sys.argv[1]) * 1024 * 1024)
print("holding", flush=True)
sys.stdin.readline()
"""


def _steady_available_memory_mib(samples: int = 5, interval: float = 0.05) -> int:
    # Other activity on the machine moves MemAvailable too; the median of a
    # few readings keeps one burst from deciding the result.
    readings = []
    for _ in range(samples):
        readings.append(available_memory_mib())
        time.sleep(interval)
    return sorted(readings)[len(readings) // 2]


def _rss_mib(pid: int) -> int:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


@linux_only("reads /proc")
def neighbour_size_mib(meminfo: Path = PROC / "meminfo") -> int:
    """How much the memory demo's neighbour holds: an eighth of the machine's
    memory, at most 2 GiB. Large enough to stand out from the kernel's own
    bookkeeping (freed pages wait on per-CPU lists before they count as
    available again), small enough for any machine."""
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return min(2048, int(line.split()[1]) // 1024 // 8)
    raise RuntimeError(f"{meminfo}: no MemTotal line")


@linux_only("reads /proc")
def measure_memory_taken_by_neighbour(held_mib: int | None = None, attempts: int = 3) -> MemoryMeasurement:
    """Let a neighbour process hold ``held_mib`` (default: ``neighbour_size_mib()``)
    and watch MemAvailable move.

    MemAvailable is one figure for the whole machine, so another program that
    allocates or frees a lot during the measurement moves it too. When the
    pool did not move by at least half of ``held_mib`` each way, the
    measurement is taken again, up to ``attempts`` times; the last one is
    returned either way (``attempt`` says which)."""
    if held_mib is None:
        held_mib = neighbour_size_mib()
    for attempt in range(1, attempts + 1):
        measured = _measure_neighbour_once(held_mib, attempt)
        if measured.taken_mib > held_mib / 2 and measured.returned_mib > held_mib / 2:
            break
    return measured


def _measure_neighbour_once(held_mib: int, attempt: int) -> MemoryMeasurement:
    before = _steady_available_memory_mib()
    with children() as group:
        neighbour = group.python(_HOLD_MEMORY, str(held_mib), stdin=subprocess.PIPE)
        if neighbour.stdout.readline().strip() != "holding":  # type: ignore[union-attr]
            raise RuntimeError(f"neighbour failed to allocate {held_mib} MiB: {neighbour.stderr.read().strip()}")  # type: ignore[union-attr]
        during = _available_once_settled(before - held_mib // 2, falling=True)
        rss = _rss_mib(neighbour.pid)
        neighbour.stdin.close()  # type: ignore[union-attr]  # lets it exit
        neighbour.wait(timeout=30)
    # Giving freed pages back can take far longer than taking them when the host is busy
    # (free page reporting works through them in batches): wait longer on the way back.
    after = _available_once_settled(during + held_mib // 2, timeout=30.0)
    return MemoryMeasurement(held_mib, rss, before, during, after, attempt)


def _available_once_settled(expected_mib: int, timeout: float = 10.0, falling: bool = False) -> int:
    # Freed pages can sit on per-CPU lists for a moment before the kernel counts
    # them as available again, and in a virtual machine the balloon driver's free
    # page reporting holds freed pages back while it hands them to the host (seconds
    # for gigabytes); page cache is reclaimed as the neighbour allocates. Give the
    # counter time to catch up, in either direction.
    deadline = time.monotonic() + timeout
    while True:
        available = _steady_available_memory_mib()
        reached = available <= expected_mib if falling else available >= expected_mib
        if reached or time.monotonic() > deadline:
            return available
