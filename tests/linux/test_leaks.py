"""Nothing podnotes creates outlives its experiment: not on success, not on
an error, not when the experiment is interrupted with Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from podnotes.linux import leaks
from podnotes.linux.leaks import Leaks

from .conftest import needs_root

INTERRUPTED_EXPERIMENT = textwrap.dedent("""
    import time
    from podnotes.linux import namespaces, rootfs
    from podnotes.linux.cgroups import Limits, create_cgroup
    from podnotes.linux.pod import Pod

    with rootfs.build_rootfs() as root, Pod("interrupted") as pod:
        pod.start_container("web", root, probe="serve", probe_args=[8080, "x"])
        with create_cgroup(Limits(pids_max=10), name="interrupted") as group:
            with namespaces.holder(["net", "uts"], hostname="interrupted"):
                print("midway", flush=True)
                time.sleep(120)
""")


@needs_root
def test_sigint_midway_through_an_experiment_leaves_nothing():
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_EXPERIMENT], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "midway", child.stderr.read()
    during = leaks.leaks(created_by=child.pid)
    assert during.cgroups and during.processes and during.paths, "the experiment was really running"
    child.send_signal(signal.SIGINT)
    _, errors = child.communicate(timeout=60)
    assert "KeyboardInterrupt" in errors
    after = leaks.leaks(created_by=child.pid)
    assert after.empty(), after


def test_leaks_are_found_by_name(tmp_path, monkeypatch):
    (tmp_path / "podnotes-rootfs-12-abc").mkdir()
    (tmp_path / "podnotes-rootfs-34-def").mkdir()
    (tmp_path / "unrelated").mkdir()
    assert len(leaks.leftover_paths(str(tmp_path))) == 2
    assert leaks.leftover_paths(str(tmp_path), created_by=12) == [str(tmp_path / "podnotes-rootfs-12-abc")]
    assert leaks.CGROUP_NAME.match("podnotes-memory-12-3") and not leaks.CGROUP_NAME.match("podnotes-img-agn")
    mounts = tmp_path / "mounts"
    mounts.write_text("proc /proc proc rw 0 0\ntmpfs /tmp/podnotes-mountpoint-x tmpfs rw 0 0\n")
    assert leaks.leftover_mounts(mounts) == ["tmpfs /tmp/podnotes-mountpoint-x tmpfs"]
    assert not Leaks() and Leaks(paths=["x"])
