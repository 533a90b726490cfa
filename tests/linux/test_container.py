from __future__ import annotations

from podnotes.linux import rootfs
from podnotes.linux.cgroups import Limits
from podnotes.linux.container import container_view, run_in_container

from .conftest import needs_root


@needs_root
def test_a_container_has_its_own_root_view_and_budget(no_leaks):
    with rootfs.build_rootfs() as root:
        run = run_in_container(["sh", "-c", "hostname; ls /; ps"], root, hostname="box",
                               limits=Limits(memory_bytes=64 << 20, pids_max=16))
        assert run.returncode == 0, run.stderr
        lines = run.stdout.split()
        assert lines[0] == "box" and "work" not in lines
        assert run.cgroup.startswith("podnotes-container-")
        view = container_view(root, hostname="box")
        assert view.pid == 1 and view.hostname == "box" and view.interface_names == ["lo"]
