"""cgroups: the v1/v2 interface against fake trees, and the three limits for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podnotes.linux import budgets, cgroups
from podnotes.linux.cgroups import CgroupV2, Layout, Limits, create_cgroup, detect_layout

from .conftest import needs_root


def fake_v2_tree(tmp_path: Path) -> Path:
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.subtree_control").write_text("memory\n")
    return root


def test_v2_limits_are_written_to_the_v2_files(tmp_path, monkeypatch):
    root = fake_v2_tree(tmp_path)
    monkeypatch.setattr(cgroups, "_remove_directory", lambda path, timeout: shutil.rmtree(path))
    group = create_cgroup(Limits(memory_bytes=64 << 20, cpu_quota_us=20_000, cpu_weight=50, pids_max=20),
                          name="fake", layout=Layout("v2", {"unified": root}))
    assert isinstance(group, CgroupV2) and group.name.startswith("podnotes-fake-")
    assert (group.path / "memory.max").read_text() == str(64 << 20)
    assert (group.path / "cpu.max").read_text() == "20000 100000"
    assert (group.path / "cpu.weight").read_text() == "50"
    assert (group.path / "pids.max").read_text() == "20"
    assert group.procs_files() == [str(group.path / "cgroup.procs")]
    # the parent was asked for the controllers it did not delegate yet (the fake file keeps the last write)
    assert (root / "cgroup.subtree_control").read_text() == "+pids"
    assert group.limits() == Limits(memory_bytes=64 << 20, cpu_quota_us=20_000, cpu_weight=50, pids_max=20)
    group.remove()
    assert not group.path.exists()


def test_v2_usage_is_parsed_from_stat_and_events_files(tmp_path):
    path = tmp_path / "podnotes-x"
    path.mkdir()
    (path / "memory.current").write_text("1000\n")
    (path / "memory.peak").write_text("4000\n")
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
    (path / "cpu.stat").write_text("usage_usec 500\nuser_usec 400\nnr_periods 10\nnr_throttled 8\nthrottled_usec 900\n")
    (path / "pids.current").write_text("3\n")
    (path / "pids.events").write_text("max 2\n")
    usage = CgroupV2("podnotes-x", {"unified": path}).usage()
    assert usage == cgroups.Usage(memory_bytes=1000, memory_peak_bytes=4000, memory_limit_hits=7, oom_kills=1,
                                  cpu_usage_usec=500, cpu_periods=10, cpu_throttled_periods=8,
                                  cpu_throttled_usec=900, pids_current=3, pids_limit_hits=2)


def test_v1_layout_nests_groups_under_the_callers_own_cgroups(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
        "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n"
        "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
        "cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n")
    own = tmp_path / "cgroup"
    own.write_text("5:pids:/\n4:memory:/session/42\n3:cpu,cpuacct:/user.slice\n0::/\n")
    layout = detect_layout(mounts_file=mounts, own_cgroups=own)
    assert layout.version == "v1"
    assert layout.parents == {"memory": Path("/sys/fs/cgroup/memory/session/42"),
                              "cpu": Path("/sys/fs/cgroup/cpu,cpuacct/user.slice"),
                              "cpuacct": Path("/sys/fs/cgroup/cpu,cpuacct/user.slice"),
                              "pids": Path("/sys/fs/cgroup/pids")}


def test_v2_layout_uses_the_unified_root(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n")
    assert detect_layout(mounts_file=mounts) == Layout("v2", {"unified": Path("/sys/fs/cgroup")})


def test_missing_v1_controllers_are_named(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n")
    own = tmp_path / "cgroup"
    own.write_text("4:memory:/\n")
    with pytest.raises(cgroups.CgroupError, match="cpu, pids"):
        detect_layout(mounts_file=mounts, own_cgroups=own)


def test_a_failed_limit_removes_the_half_made_group(tmp_path, monkeypatch):
    root = fake_v2_tree(tmp_path)
    monkeypatch.setattr(cgroups, "_remove_directory", lambda path, timeout: shutil.rmtree(path))
    monkeypatch.setattr(CgroupV2, "apply", lambda self, limits: cgroups._write(self.path / "no" / "file", 1))
    with pytest.raises(cgroups.CgroupError, match="no/file"):
        create_cgroup(Limits(pids_max=1), layout=Layout("v2", {"unified": root}))
    assert [p.name for p in root.iterdir() if p.is_dir()] == []


@pytest.mark.parametrize("weight", [1, 100, 5000, 10000])
def test_weight_and_shares_convert_back_and_forth(weight):
    assert cgroups.shares_to_weight(cgroups.weight_to_shares(weight)) == weight
    assert cgroups.shares_to_weight(1024) == 39  # the v1 default lands on runc's value


def test_cpu_percent_builds_a_quota():
    assert Limits.cpu_percent(20) == Limits(cpu_quota_us=20_000, cpu_period_us=100_000)


@needs_root
def test_memory_limit_ends_in_an_oom_kill(no_leaks):
    result = budgets.memory_limit(limit_mib=64, allocate_mib=256)
    assert result.signal == "SIGKILL"
    assert result.reached_mib < 64 <= result.wanted_mib
    assert result.usage.oom_kills >= 1


@needs_root
def test_cpu_quota_holds_a_busy_loop_to_a_fifth_of_a_core(no_leaks):
    result = budgets.cpu_limit(percent=20, seconds=1.5)
    assert 0.12 < result.share < 0.28, result
    assert result.usage.cpu_throttled_periods > 0


@needs_root
def test_pids_limit_stops_a_fork_bomb(no_leaks):
    result = budgets.pids_limit(pids_max=20)
    assert result.forked == 19  # the forking process itself is the twentieth
    assert result.refusal == "Resource temporarily unavailable"
    assert result.usage.pids_limit_hits >= 1


@needs_root
def test_an_error_inside_the_block_kills_the_processes_and_removes_the_group(no_leaks):
    import sys

    from podnotes.linux.launcher import Spec, start
    from podnotes.linux.processes import Children

    with pytest.raises(RuntimeError, match="midway"):  # noqa: SIM117 - the inner context needs the outer one
        with create_cgroup(Limits(pids_max=10), name="error") as group, Children() as children:
            launched = start(Spec(argv=[sys.executable, "-c", "import time; time.sleep(60)"],
                                  cgroup_procs=group.procs_files()), children)
            assert group.pids() == [launched.pid]
            raise RuntimeError("midway")
    assert not any(path.exists() for path in group.directories())
    assert launched.process.poll() is not None


def _v2_mount() -> Path | None:
    from podnotes.linux.machine import _cgroup_mounts

    return next((Path(point) for point, kind in _cgroup_mounts(Path("/proc/self/mounts")).items()
                 if kind == "cgroup2"), None)


@needs_root
@pytest.mark.skipif(_v2_mount() is None, reason="no cgroup v2 tree mounted")
def test_a_real_v2_group_takes_a_process_accounts_it_and_is_removed(no_leaks):
    """On hybrid machines the v2 tree has no controllers, but joining, CPU
    accounting (cpu.stat is always there), cgroup.kill and removal are real v2."""
    import os
    import sys

    from podnotes.linux.launcher import Spec, start
    from podnotes.linux.processes import Children

    path = _v2_mount() / f"podnotes-unified-{os.getpid()}-1"
    path.mkdir()
    group = CgroupV2(path.name, {"unified": path})
    with Children() as children, group:  # the group goes first: cgroup.kill ends the process
        launched = start(Spec(argv=[sys.executable, "-c", "import time; print('in', flush=True); time.sleep(60)"],
                              cgroup_procs=group.procs_files()), children)
        launched.process.stdout.readline()
        assert group.pids() == [launched.pid]
        assert (path / "cgroup.procs").read_text().split() == [str(launched.pid)]
        assert group.usage().cpu_usage_usec > 0
    assert not path.exists()
    assert launched.process.returncode == -9, "killed by cgroup.kill, not by the Children group's SIGTERM"


def test_quadratic_conversion_keeps_minimum_default_and_maximum():
    # ConvertCPUSharesToCgroupV2Value, opencontainers/cgroups utils.go (runc PR 4785)
    assert cgroups.shares_to_weight_quadratic(0) == 0, "0 means unset"
    assert cgroups.shares_to_weight_quadratic(2) == 1
    assert cgroups.shares_to_weight_quadratic(1024) == 100
    assert cgroups.shares_to_weight_quadratic(262144) == 10000
    assert cgroups.shares_to_weight_quadratic(256) == 35, "250m: 35, where the linear formula gives 10"
    assert cgroups.shares_to_weight(256) == 10


def test_quadratic_conversion_is_monotonic():
    weights = [cgroups.shares_to_weight_quadratic(shares) for shares in range(2, 262145, 97)]
    assert weights == sorted(weights) and weights[0] == 1
