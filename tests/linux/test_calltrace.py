"""The system calls a launched child records (podnotes.linux.calltrace), and their shell equivalents
(util-linux unshare(1), nsenter(1), mount(8), umount(8), pivot_root(8))."""

from __future__ import annotations

import json

from podnotes.linux import rootfs
from podnotes.linux.calltrace import Call, listing, read_calls, short_names
from podnotes.linux.container import CONTAINER_NAMESPACES, run_in_container

from .conftest import needs_root


def test_each_call_has_its_shell_equivalent():
    cases = [
        (Call("unshare", (["mnt", "uts", "ipc", "pid", "net"],)),
         "unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET)", "unshare -muipn"),
        (Call("setns", ("/proc/4242/ns/net", "net")),
         'setns(open("/proc/4242/ns/net"), CLONE_NEWNET)', "nsenter -t 4242 -n"),
        (Call("write", ("/sys/fs/cgroup/demo/cgroup.procs", "7")),
         'write(open("/sys/fs/cgroup/demo/cgroup.procs"), "7")', "echo $$ > /sys/fs/cgroup/demo/cgroup.procs"),
        (Call("mount", (None, "/", None, ["MS_REC", "MS_PRIVATE"], None)),
         'mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)', "mount --make-rprivate /"),
        (Call("mount", ("/r", "/r", None, ["MS_BIND", "MS_REC"], None)),
         'mount("/r", "/r", NULL, MS_BIND | MS_REC, NULL)', "mount --rbind /r /r"),
        (Call("mount", ("proc", "/proc", "proc", [], None)),
         'mount("proc", "/proc", "proc", 0, NULL)', "mount -t proc proc /proc"),
        (Call("umount2", ("/.oldroot", ["MNT_DETACH"])), 'umount2("/.oldroot", MNT_DETACH)', "umount -l /.oldroot"),
        (Call("pivot_root", (".", ".oldroot")), 'pivot_root(".", ".oldroot")', "pivot_root . .oldroot"),
        (Call("ioctl", ("lo",)), 'ioctl(socket, SIOCSIFFLAGS, "lo" | IFF_UP)', "ip link set lo up"),
        (Call("sethostname", ("box",)), 'sethostname("box")', "hostname box"),
    ]
    for call, c, shell in cases:
        assert (call.c(), call.shell()) == (c, shell)


def test_the_listing_shortens_names_and_fits_the_page(tmp_path):
    trace = tmp_path / "calls.jsonl"
    long_root = "/tmp/" + "r" * 70
    trace.write_text(json.dumps({"call": "mount", "args": [long_root, long_root, None, ["MS_BIND", "MS_REC"], None],
                                 "result": 0}) + "\n")
    calls = read_calls(trace)
    assert len(calls) == 1
    text = listing(calls, {long_root: "$ROOTFS"})
    assert text.splitlines() == ['mount("$ROOTFS", "$ROOTFS", NULL, MS_BIND | MS_REC, NULL)',
                                 "    $ mount --rbind $ROOTFS $ROOTFS"]
    assert read_calls(tmp_path / "none.jsonl") == []


@needs_root
def test_a_container_child_records_its_calls_in_order(no_leaks):
    with rootfs.build_rootfs() as root:
        run = run_in_container(["sh", "-c", "true"], root, hostname="box")
    assert run.returncode == 0, run.stderr
    names = [call.name for call in run.calls]
    assert names, "calls were recorded"
    assert names[0] == "write" and run.calls[0].args[0].endswith("/cgroup.procs")
    assert sorted(run.calls[names.index("unshare")].args[0]) == sorted(CONTAINER_NAMESPACES)
    steps = ["unshare", "fork", "sethostname", "ioctl", "pivot_root", "umount2", "execve"]
    assert [names.index(step) for step in steps] == sorted(names.index(step) for step in steps)
    assert run.calls[-1] == Call("execve", ("sh", ["sh", "-c", "true"]))
    assert run.calls[names.index("fork")].result > 0, "the host PID of the container's PID 1"


def test_short_names_hide_the_machines_cgroup_layout(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
                      "cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"
                      "proc /proc proc rw 0 0\n")
    group = "podnotes-container-7-1"
    calls = [Call("write", (f"/sys/fs/cgroup/memory/machine/abc123/{group}/cgroup.procs", "7")),
             Call("write", (f"/sys/fs/cgroup/pids/{group}/cgroup.procs", "7")),
             Call("mount", ("/tmp/podnotes-rootfs-7-x", "/tmp/podnotes-rootfs-7-x", None, ["MS_BIND"], None))]
    names = short_names(calls, "/tmp/podnotes-rootfs-7-x", group, mounts)
    assert names == {"/tmp/podnotes-rootfs-7-x": "$ROOTFS",
                     f"/sys/fs/cgroup/memory/machine/abc123/{group}": "/sys/fs/cgroup/memory/…/$GROUP",
                     f"/sys/fs/cgroup/pids/{group}": "/sys/fs/cgroup/pids/$GROUP"}
    text = listing(calls, names)
    assert "abc123" not in text and "podnotes-rootfs" not in text
    assert "$ echo $$ > /sys/fs/cgroup/memory/…/$GROUP/cgroup.procs" in text
