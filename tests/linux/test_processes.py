from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from podnotes.linux import processes
from podnotes.linux.processes import children


def alive(pid: int) -> bool:
    try:
        return processes.read_proc(pid).state != "Z"
    except ProcessLookupError:
        return False


def test_read_proc_describes_this_process():
    me = processes.read_proc(os.getpid())
    assert me.pid == os.getpid()
    assert me.ppid == os.getppid()
    assert me.uid == os.getuid()
    assert me.cmdline[0] == sys.argv[0] or me.cmdline


def test_read_proc_of_a_missing_process_raises():
    with pytest.raises(ProcessLookupError):
        processes.read_proc(2**22 + 1)


def test_children_are_visible_and_readable():
    with children() as group:
        child = group.start(["sleep", "30"], env={**os.environ, "PODNOTES_MARK": "seen"})
        assert child.pid in processes.list_pids()
        assert processes.read_proc(child.pid).name == "sleep"
        assert processes.read_environ(child.pid)["PODNOTES_MARK"] == "seen"
        assert any(info.pid == child.pid for info in processes.list_processes())
    assert not alive(child.pid)


def test_children_are_stopped_when_the_block_raises():
    with pytest.raises(RuntimeError), children() as group:
        child = group.start(["sleep", "30"])
        raise RuntimeError("boom")
    assert child.returncode is not None
    assert not alive(child.pid)


def test_children_are_stopped_on_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt), children() as group:
        child = group.start(["sh", "-c", "sleep 30 & sleep 30; wait"])
        grandchild_probe = group.start(["sleep", "30"])
        raise KeyboardInterrupt
    assert not alive(child.pid)
    assert not alive(grandchild_probe.pid)


def test_a_child_that_ignores_sigterm_is_killed():
    with children() as group:
        stubborn = group.python("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                "print('ok', flush=True); time.sleep(60)")
        stubborn.stdout.readline()
        group.close(grace=0.2)
    assert stubborn.returncode == -signal.SIGKILL


FORKS_A_SIGTERM_IGNORER = """\
import os, signal, time
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)
    os._exit(0)
print(pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_what_a_child_forked_is_stopped_with_it_even_when_it_ignores_sigterm():
    """The child exits on SIGTERM at once; its own child ignores SIGTERM, as a PID namespace's first process
    does without a handler, and has no parent-death signal of its own: the group's SIGKILL stops it."""
    with children() as group:
        child = group.python(FORKS_A_SIGTERM_IGNORER)
        grandchild = int(child.stdout.readline())
        assert _alive(grandchild)
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), f"{grandchild} outlived its group"


def test_one_process_can_signal_another():
    with children() as group:
        victim = group.start(["sleep", "30"])
        assert processes.signal_from_another_process(victim.pid, signal.SIGTERM) == 0
        assert victim.wait(timeout=10) == -signal.SIGTERM


# CPU sharing is checked with the figures that load elsewhere on the machine
# cannot change (the tests share it with other work): how one core divides its
# time among the processes pinned to it, and the work done per CPU second.


def test_cpu_hogs_on_the_same_core_take_equal_shares_of_it():
    alone = processes.measure_work(seconds=0.5, hogs=0)
    crowded = processes.measure_work(seconds=0.5, hogs=2)
    assert alone.iterations > 0 and crowded.iterations > 0
    assert alone.share_of_core == 1.0 and alone.neighbours_cpu_seconds == 0.0
    assert 0.2 < crowded.share_of_core < 0.47, "three processes share one core about equally"
    assert crowded.neighbours_cpu_seconds > crowded.cpu_seconds
    assert crowded.running_fraction < 0.5, "a worker among three runs for a third of the time at most"


def test_alone_and_crowded_twins_run_on_different_cores_at_the_same_speed():
    # The speeds are iterations per second of the scheduler's runtime counter (sum_exec_runtime, kernel
    # Documentation/scheduler/sched-stats.rst), and the twins trade cores half-way: in a virtual machine
    # under emulation one virtual CPU may get less of the host for a while, which still counts as CPU time.
    alone, crowded = processes.compare_alone_and_crowded(seconds=1.0, hogs=3)
    assert (alone.hogs, crowded.hogs) == (0, 3)
    assert alone.seconds == crowded.seconds == 1.0, "both halves are summed"
    if len(os.sched_getaffinity(0)) > 1:
        assert alone.cpu != crowded.cpu
    assert 0.15 < crowded.share_of_core < 0.35
    assert crowded.running_fraction < 0.4
    assert 0.6 < crowded.iterations_per_cpu_second / alone.iterations_per_cpu_second < 1.6


def test_a_worker_measures_its_neighbours_over_its_own_loop():
    crowded = processes.measure_work(seconds=0.5, hogs=1)
    # Both CPU times cover the same half second on one core: together at most
    # that half second (plus one clock tick of /proc's accounting).
    assert crowded.cpu_seconds + crowded.neighbours_cpu_seconds <= 0.5 + 2 / os.sysconf("SC_CLK_TCK")


def test_process_cpu_seconds_grows_with_work():
    before = processes.process_cpu_seconds(os.getpid())
    deadline = processes.time.process_time() + 0.2
    while processes.time.process_time() < deadline:
        pass
    assert processes.process_cpu_seconds(os.getpid()) - before >= 0.1


def test_a_neighbour_holding_memory_shrinks_what_is_available():
    memory = processes.measure_memory_taken_by_neighbour()
    assert memory.held_mib == processes.neighbour_size_mib()
    assert memory.neighbour_rss_mib >= memory.held_mib
    assert memory.taken_mib > memory.held_mib / 2
    assert memory.returned_mib > memory.held_mib / 2


def test_neighbour_size_is_an_eighth_of_memory_capped_at_2_gib(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        4194304 kB\n")
    assert processes.neighbour_size_mib(meminfo) == 512
    meminfo.write_text("MemTotal:       67108864 kB\n")
    assert processes.neighbour_size_mib(meminfo) == 2048


def test_available_memory_reads_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       1000 kB\nMemAvailable:    2048000 kB\n")
    assert processes.available_memory_mib(meminfo) == 2000
    meminfo.write_text("MemTotal:       1000 kB\n")
    with pytest.raises(RuntimeError, match="MemAvailable"):
        processes.available_memory_mib(meminfo)
