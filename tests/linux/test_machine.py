from __future__ import annotations

import pytest

from podnotes.linux import machine

V1_HYBRID = """\
sysfs /sys sysfs rw 0 0
tmpfs /sys/fs/cgroup tmpfs ro 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
"""
V1_ONLY = """\
tmpfs /sys/fs/cgroup tmpfs ro 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
"""
V2 = "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n"


@pytest.mark.parametrize(
    "mounts, expected",
    [(V1_HYBRID, "hybrid"), (V1_ONLY, "v1"), (V2, "v2"), ("proc /proc proc rw 0 0\n", "none")],
)
def test_cgroup_layout_is_classified_from_the_mount_table(tmp_path, mounts, expected):
    mounts_file = tmp_path / "mounts"
    mounts_file.write_text(mounts)
    assert machine.cgroup_version(mounts_file=mounts_file) == expected


def test_unreadable_mount_table_means_no_cgroups(tmp_path):
    assert machine.cgroup_version(mounts_file=tmp_path / "missing") == "none"


def test_host_facts_describe_this_machine():
    facts = machine.host_facts()
    assert facts.system == "Linux"
    assert facts.kernel
    assert facts.cgroup_version in {"v1", "hybrid", "v2"}
    assert set(facts.as_dict()) == {"system", "kernel", "python", "is_root", "cgroup_version"}


def test_v2_controllers_come_from_the_root_cgroup(tmp_path):
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    mounts = tmp_path / "mounts"
    mounts.write_text(f"cgroup2 {root} cgroup2 rw 0 0\n")
    assert machine.cgroup_controllers(mounts_file=mounts, root=root) == ("cpu", "cpuset", "io", "memory", "pids")


def test_v1_controllers_come_from_the_mount_options(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(V1_HYBRID)
    assert machine.cgroup_controllers(mounts_file=mounts) == ("cpu", "cpuacct", "memory")


def test_capability_bits_are_read_from_status(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\t0000000000200000\n")
    assert machine.effective_capabilities(status) == 1 << machine.CAP_SYS_ADMIN


def test_detect_reports_this_machine():
    facts = machine.detect()
    assert facts.linux and facts.cgroup_version == machine.cgroup_version()
    assert facts.can_create_namespaces == (facts.cap_sys_admin and facts.linux)
    assert set(facts.tools) == set(machine.LINUX_TOOLS + machine.CLUSTER_TOOLS)
