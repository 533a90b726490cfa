from __future__ import annotations

import os
import tempfile

import pytest

from podnotes.linux import chroot, rootfs

from .conftest import needs_root


@pytest.mark.parametrize("use_busybox", [False, True])
def test_rootfs_holds_programs_and_their_libraries(use_busybox):
    if use_busybox and rootfs.find_busybox() is None:
        pytest.skip("busybox-static is not installed")
    with rootfs.build_rootfs(use_busybox=use_busybox) as root:
        assert root.path.name.startswith(rootfs.ROOTFS_PREFIX)
        assert {"bin", "etc", "proc", "tmp"} <= set(root.tree())
        assert (root.path / "bin" / "sh").exists()
        if not use_busybox:
            assert any("libc.so" in library for library in root.libraries)
            assert all((root.path / library.lstrip("/")).is_file() for library in root.libraries)
    assert not root.path.exists()


def _rootfs_dirs_of_this_process(parent: str) -> set[str]:
    # Other tests and tiers share the temporary directory and create files there
    # concurrently; only names this process's build_rootfs could make count.
    own_prefix = f"{rootfs.ROOTFS_PREFIX}{os.getpid()}-"
    return {name for name in os.listdir(parent) if name.startswith(own_prefix)}


def test_missing_programs_are_named_and_nothing_is_left(tmp_path):
    with pytest.raises(rootfs.RootfsError, match="no-such-program"):
        rootfs.build_rootfs(programs=("sh", "no-such-program"), use_busybox=False, parent=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_in_the_default_place_leaves_nothing():
    shared = tempfile.gettempdir()
    before = _rootfs_dirs_of_this_process(shared)
    with pytest.raises(rootfs.RootfsError, match="no-such-program"):
        rootfs.build_rootfs(programs=("sh", "no-such-program"), use_busybox=False)
    assert _rootfs_dirs_of_this_process(shared) - before == set()


def test_the_leftover_check_sees_a_directory_build_rootfs_would_make(tmp_path):
    # The check above must be able to fail: a directory named as build_rootfs names them is seen.
    (tmp_path / f"{rootfs.ROOTFS_PREFIX}{os.getpid()}-left").mkdir()
    assert _rootfs_dirs_of_this_process(str(tmp_path)) == {f"{rootfs.ROOTFS_PREFIX}{os.getpid()}-left"}


@needs_root
def test_chroot_hides_host_files_and_keeps_writes_inside(no_leaks):
    with rootfs.build_rootfs() as root:
        result = chroot.run_chrooted(root, ["sh", "-c", "ls /; echo hi > /written-inside"])
        assert result.returncode == 0 and "tmp" in result.stdout and "work" not in result.stdout
        assert (root.path / "written-inside").read_text() == "hi\n"
        assert not os.path.exists("/written-inside")


@needs_root
def test_root_escapes_chroot_but_not_pivot_root(no_leaks):
    with rootfs.build_rootfs() as root, tempfile.NamedTemporaryFile(prefix="podnotes-marker-") as marker:
        chrooted = chroot.chroot_escape(root, marker.name)
        assert not chrooted.confined_sees_marker and chrooted.escaped_sees_marker
        pivoted = chroot.pivot_root_escape(root, marker.name)
        assert not pivoted.escaped_sees_marker and pivoted.escaped_root == pivoted.confined_root


@needs_root
def test_pivot_root_without_a_pid_namespace_leads_out_through_proc(no_leaks):
    # proc(5), /proc/pid/root: the root directory of a host process is the host's /.
    with rootfs.build_rootfs() as root, tempfile.NamedTemporaryFile(prefix="podnotes-marker-") as marker:
        through_proc = chroot.proc_root_escape(root, marker.name)
        assert not through_proc.confined_sees_marker, "not at its own path inside the new root"
        assert through_proc.escaped_sees_marker, "but under /proc/PID/root of a host process"
        assert "bin" in through_proc.escaped_root
