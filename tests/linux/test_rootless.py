"""The kernel experiments as a normal user runs them: inside a user namespace of the user's own, as
rootless Podman and Docker do (user_namespaces(7); newuidmap(1)), with cgroups from a subtree
delegated to the user (cgroups(7), "Delegation"). Every test here runs as a real unprivileged
account (``tests/linux/normal_user.py``), not as root pretending."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from podnotes.linux import cgroups, leaks, machine, rootless
from podnotes.linux.launcher import Spec, rootless_spec

from .normal_user import NormalUser, delegated_v2_parent_of, normal_user

pytestmark = pytest.mark.skipif(not machine.is_linux(), reason="Linux kernel experiments")


@pytest.fixture(scope="module")
def reader() -> NormalUser:
    user = normal_user()
    if not machine.user_namespaces_allowed(root=False):
        pytest.skip(f"this kernel forbids unprivileged user namespaces: {machine.user_namespace_restrictions()}")
    return user


@pytest.fixture
def delegated(reader):
    """The cgroup subtrees the account owns: on v1 and hybrid made by root, as `podnotes.linux.cgroups delegate`
    does, and removed afterwards; on v2 the one its processes already sit in (systemd's Delegate=yes, or the
    same ownership set up by hand, as the cgroup v2 machine of tools/vm does). Whatever the account's runs
    left in them is removed."""
    if machine.cgroup_version() in ("v1", "hybrid"):
        made = cgroups.delegate_v1(reader.uid, reader.gid)
        assert made, "at least the memory, cpu and pids trees"
    else:
        parent = delegated_v2_parent_of(reader)
        if parent is None:
            pytest.skip("no cgroup v2 subtree is delegated to the account (systemd-run --user --scope -p Delegate=yes)")
        made = [parent]
    yield made
    for item in leaks.find():
        if item.kind == "cgroups" and in_subtrees(item.name, made):
            leaks.remove([item])
    if machine.cgroup_version() in ("v1", "hybrid"):
        assert cgroups.undelegate_v1(reader.uid) == made


def in_subtrees(name: str, parents) -> bool:
    return any(Path(name).is_relative_to(parent) and Path(name) != Path(parent) for parent in parents)


EVERY_NAMESPACE_EXPERIMENT = textwrap.dedent("""
    import json, os, sys, tempfile
    from podnotes.linux import chroot, machine, namespaces, rootfs, rootless
    from podnotes.linux.pod import Pod
    from podnotes.linux.privileges import missing

    if sys.argv[1] == "single":
        from pathlib import Path
        rootless.SUBUID = rootless.SUBGID = Path("/nonexistent")  # a user /etc/subuid delegates nothing to
    facts = machine.detect()
    out = {"uid": os.getuid(), "rootless": facts.rootless, "missing": missing("namespaces"),
           "mapping": rootless.mapping().kind}
    view = namespaces.look_from(["pid", "uts", "ipc", "net"], hostname="rootless", loopback_up=True)
    out["view"] = [view.pid, view.pids, view.hostname, [(i.name, i.up) for i in view.interfaces], view.uid]
    out["mount"] = namespaces.private_mount().inside_has_mount
    out["ipc"] = namespaces.private_queue().inside_queues
    veth = namespaces.veth_link()
    out["veth"] = [veth.reply, veth.first.interface_names, veth.second.interface_names]
    user = namespaces.user_namespace()
    out["user"] = [user.inside_uid, user.all_capabilities_inside, user.file_owner_outside, user.outside_root,
                   user.shadow]
    with rootfs.build_rootfs() as root:
        out["chroot"] = chroot.run_chrooted(root, ["/bin/sh", "-c", "ls /"]).stdout.split()
        with tempfile.NamedTemporaryFile(prefix=f"podnotes-marker-{os.getpid()}-") as marker:
            escape = chroot.chroot_escape(root, marker.name)
            out["chroot_escape"] = [escape.confined_sees_marker, escape.escaped_sees_marker]
            out["pivot"] = chroot.pivot_root_escape(root, marker.name).escaped_sees_marker
        out["pivot_view"] = chroot.pivot_root_view(root).mounts
        with Pod("rootless-pod") as pod:
            pod.start_container("web", root, probe="serve", probe_args=[8080, "hello"])
            reply = pod.run(root, probe="fetch", probe_args=[8080])
            out["pod"] = [reply["reply"], pod.namespaces()["user"] != namespaces.namespace_ids()["user"]]
    print(json.dumps(out))
""")


@pytest.mark.parametrize("mapping", ["subordinate", "single"])
def test_every_namespace_experiment_runs_for_a_normal_user(reader, mapping):
    done = reader.python(EVERY_NAMESPACE_EXPERIMENT, mapping)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["uid"] == reader.uid != 0 and out["rootless"] and out["missing"] is None
    if mapping == "single" or not rootless.helpers_installed():
        assert out["mapping"] == "single"
    pid, pids, hostname, interfaces, uid = out["view"]
    assert (pid, pids, hostname, uid) == (1, [1], "rootless", 0), "PID 1, alone, its own host name, root inside"
    assert interfaces == [["lo", True]], "a network namespace of its own, loopback up"
    assert out["mount"] is True and out["ipc"] == [0x504F44]
    reply, first, second = out["veth"]
    assert reply == "hello across the veth (hostname veth-first)"
    assert "podnotes-veth0" in first and "podnotes-veth1" in second
    inside_uid, all_caps, owner, outside_root, shadow = out["user"]
    assert inside_uid == 0 and all_caps and shadow == "permission denied"
    assert owner == outside_root != 0
    assert outside_root == (reader.uid if out["mapping"] == "single" else
                            rootless.delegated_range(rootless.SUBUID, reader.name, reader.uid).start)  # type: ignore[union-attr]
    assert "bin" in out["chroot"] and out["pivot"] is False
    assert out["chroot_escape"] == [False, True], "root in a user namespace still walks out of a chroot"
    assert out["pivot_view"] == ["/", "/proc"]
    assert out["pod"] == ["hello (hostname rootless-pod)", True], "a Pod with a user namespace of its own"


def test_without_delegation_a_normal_user_gets_no_cgroup(reader):
    if machine.cgroup_version() == "v2":
        pytest.skip("on cgroup v2 the answer depends on systemd's delegation")
    done = reader.python("from podnotes.linux import machine, privileges; f = machine.detect();"
                         "print(f.can_limit_resources, privileges.command_for('cgroups'))")
    assert done.returncode == 0, done.stderr
    able, command = done.stdout.split(" ", 1)
    assert able == "False"
    assert command.strip() == f"sudo .venv/bin/python -m podnotes.linux.cgroups delegate {reader.name} && make book"


CONTAINER_IN_A_DELEGATED_CGROUP = textwrap.dedent("""
    import json
    from podnotes.linux import rootfs
    from podnotes.linux.cgroups import Limits
    from podnotes.linux.container import run_in_container

    with rootfs.build_rootfs() as root:
        run = run_in_container(["/bin/sh", "-c", "echo $$; hostname"], root, hostname="box",
                               limits=Limits(pids_max=10, memory_bytes=64 << 20))
    print(json.dumps({"out": run.stdout.split(), "code": run.returncode, "cgroup": run.cgroup,
                      "pids_max": run.limits.pids_max, "calls": [c.name for c in run.calls]}))
""")


def test_a_container_with_limits_runs_in_a_delegated_subtree(reader, delegated):
    done = reader.python(CONTAINER_IN_A_DELEGATED_CGROUP)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["code"] == 0 and out["out"] == ["1", "box"], "PID 1 in its own PID and UTS namespaces"
    assert out["pids_max"] == 10
    assert out["calls"][0] == "write" and "unshare" in out["calls"]
    assert not [item for item in leaks.find() if item.kind == "cgroups"
                and in_subtrees(item.name, delegated)], "its group is gone"


KILLED_ROOTLESS_RUN = textwrap.dedent("""
    import os, time
    from podnotes.linux import namespaces, rootfs
    from podnotes.linux.cgroups import Limits, create_cgroup
    from podnotes.linux.pod import Pod

    with rootfs.build_rootfs() as root, Pod("killed-rootless") as pod:
        pod.start_container("web", root, probe="serve", probe_args=[8080, "x"])
        with create_cgroup(Limits(pids_max=10), name="rootless"):
            with namespaces.holder(["net"]) as a, namespaces.holder(["net"], user_namespace_of=a.pid) as b:
                namespaces.connect_veth(a.pid, b.pid, "podnotes-r0", "podnotes-r1", "10.202.0.1", "10.202.0.2")
                print("midway", flush=True)
                time.sleep(600)
""")


def _watchdog_of(pid: int) -> int | None:
    from pathlib import Path

    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"podnotes.linux.watchdog" in words and str(pid).encode() in words:
            return int(entry.name)
    return None


def _python_pid_under(runuser_pid: int) -> int:
    """The Python process runuser started (runuser, then env's exec of Python)."""
    from pathlib import Path

    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if f"\nPPid:\t{runuser_pid}\n" in status:
            return int(entry.name)
    raise AssertionError(f"no child of runuser {runuser_pid}")


def test_a_killed_rootless_run_is_found_and_removed(reader, delegated):
    """SIGKILL to a rootless run and to its watchdog (as an OOM kill of the session would): the
    kernel ends the processes in its user namespace, and what remains (its cgroup in the delegated
    subtree, its root file system) is found by the user's own `podnotes cleanup` and removed."""
    child = reader.popen(KILLED_ROOTLESS_RUN)
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line.strip() == "midway", child.stderr.read()[-3000:]  # type: ignore[union-attr]
        python = _python_pid_under(child.pid)
        running = {item.kind for item in leaks.find(created_by=python)}
        assert {"processes", "cgroups", "paths"} <= running, running
        assert any("podnotes-r0" in item.name for item in leaks.find(created_by=python)), \
            "the veth inside the rootless network namespace is seen"
        watchdog = _watchdog_of(python)
        assert watchdog, "the run has a watchdog"
        os.kill(watchdog, signal.SIGKILL)
        os.kill(python, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    time.sleep(1)
    left = leaks.leaks(settle=5, created_by=python)
    assert not left.processes, f"the kernel ended them with their parent: {left.processes}"
    assert left.cgroups and left.paths, f"a killed watchdog leaves its cgroup and folder: {left}"
    listed = reader.python("import sys; from podnotes.cli import main; sys.exit(main(sys.argv[1:]))",
                           "cleanup", "--machine-only", "--dry-run", "-o", "json")
    assert listed.returncode == 1, listed.stderr
    names = [item["name"] for item in json.loads(listed.stdout)["machine"]]
    assert set(left.cgroups) <= set(names) and set(left.paths) <= set(names), names
    removed = reader.python("import sys; from podnotes.cli import main; sys.exit(main(sys.argv[1:]))",
                            "cleanup", "--machine-only", "--yes")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert leaks.leaks(settle=5, created_by=python).empty()


def test_rootless_specs_put_new_namespaces_inside_a_user_namespace(monkeypatch):
    monkeypatch.setenv(rootless.PRETEND_ROOTLESS_ENV, "1")
    spec = rootless_spec(Spec(probe="view", unshare=["pid", "mnt"], mount_proc=True))
    assert spec.unshare == ["user", "pid", "mnt"]
    assert spec.map_root_to_self != spec.map_subordinate_ids, "one way of writing the ID maps"
    chrooted = rootless_spec(Spec(probe="view", rootfs="/tmp", root_mode="chroot"))
    assert chrooted.unshare == ["user"], "chroot needs CAP_SYS_CHROOT, which a user namespace gives"
    host_pids = rootless_spec(Spec(probe="view", unshare=["mnt"], rootfs="/tmp", mount_proc=True))
    assert host_pids.bind_host_proc and not host_pids.mount_proc, "no proc mount for the host's PID namespace"
    monkeypatch.delenv(rootless.PRETEND_ROOTLESS_ENV)
    if machine.has_capability(machine.CAP_SYS_ADMIN):
        assert rootless_spec(spec := Spec(probe="view", unshare=["pid", "mnt"])) == spec, "root: unchanged"


def test_subuid_ranges_are_read_as_subuid5_says(tmp_path):
    subuid = tmp_path / "subuid"
    subuid.write_text("alice:100000:65536\n1001:200000:1000\nbroken line\nbob:x:1\ncarol:300000:0\n")
    assert rootless.delegated_range(subuid, "alice", 1000) == rootless.IdRange(100000, 65536)
    assert rootless.delegated_range(subuid, "dave", 1001) == rootless.IdRange(200000, 1000), "by uid"
    assert rootless.delegated_range(subuid, "bob", 1002) is None
    assert rootless.delegated_range(subuid, "carol", 1003) is None, "an empty range delegates nothing"
    assert rootless.delegated_range(tmp_path / "missing", "alice", 1000) is None
    mapping = rootless.IdMapping("subordinate", 1000, 1000, rootless.IdRange(100000, 65536),
                                 rootless.IdRange(100000, 65536))
    assert mapping.uid_map() == [(0, 1000, 1), (1, 100000, 65536)]


FORBIDDEN_HERE = textwrap.dedent("""
    import json
    from podnotes.linux import machine, namespaces, privileges

    facts = machine.detect()
    tried = namespaces.unprivileged_user_namespace()
    print(json.dumps({"user_namespaces": facts.user_namespaces, "missing": privileges.missing("namespaces"),
                      "why": privileges.why_missing("namespaces"), "command": privileges.command_for("namespaces"),
                      "restrictions": [str(item) for item in machine.user_namespace_restrictions()],
                      "refusal": tried.refusal, "created": tried.created}))
""")


def _in_a_namespace_forbidding_user_namespaces(user: NormalUser, code: str) -> dict:
    """Run ``code`` as ``user`` inside a user namespace whose ``user.max_user_namespaces`` is 0: that
    limit is kept per user namespace (user_namespaces(7), /proc/sys/user), so the machine's stays as it
    is while the process sees a kernel that forbids them, as a reader on such a distribution does."""
    from podnotes.linux import syscalls

    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    out_read, out_write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked child
        try:
            os.close(ready_read)
            os.close(go_write)
            os.close(out_read)
            syscalls.unshare(syscalls.flags_for(["user"]))
            os.write(ready_write, b"x")
            os.read(go_read, 1)
            with open("/proc/sys/user/max_user_namespaces", "w") as limit:
                limit.write("0")
            os.dup2(out_write, 1)
            env = user.environment()
            os.execvpe("setpriv", ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--clear-groups",
                                   "--inh-caps=-all", user.interpreter, "-c", code], env)
        finally:
            os._exit(127)
    os.close(ready_write)
    os.close(go_read)
    os.close(out_write)
    os.read(ready_read, 1)
    for name, outer in (("uid_map", user.uid), ("gid_map", user.gid)):
        with open(f"/proc/{child}/{name}", "w") as id_map:
            id_map.write(f"0 0 1\n{outer} {outer} 1\n")
    os.write(go_write, b"x")
    with os.fdopen(out_read) as output:
        text = output.read()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, text
    return json.loads(text.splitlines()[-1])


def test_a_kernel_that_forbids_user_namespaces_is_explained_with_the_fix(reader):
    seen = _in_a_namespace_forbidding_user_namespaces(reader, FORBIDDEN_HERE)
    assert seen["restrictions"] == ["user.max_user_namespaces = 0: the kernel allows no user namespace at all; "
                                    "fix: sudo sysctl -w user.max_user_namespaces=15000"]
    assert seen["user_namespaces"] is False and seen["missing"] is not None
    assert not seen["created"] and seen["refusal"], "the kernel really refuses: unshare says why"
    assert "user.max_user_namespaces = 0" in seen["why"]
    assert seen["command"] == "sudo sysctl -w user.max_user_namespaces=15000 && make book"


def test_joining_a_rootless_namespace_joins_its_user_namespace_first(reader):
    """A container of a rootless Pod: setns(2) into namespaces a user namespace owns needs
    CAP_SYS_ADMIN there, so the spec joins that user namespace before the others."""
    code = textwrap.dedent("""
        import json
        from podnotes.linux import namespaces
        from podnotes.linux.launcher import Spec, rootless_spec
        with namespaces.holder(["net", "uts"], hostname="held") as held:
            spec = rootless_spec(Spec(probe="view", join={"net": namespaces.ns_path(held.pid, "net")}))
            own = rootless_spec(Spec(probe="view", join={"net": "/proc/self/ns/net"}))
            print(json.dumps([list(spec.join), spec.unshare, list(own.join)]))
    """)
    done = reader.python(code)
    assert done.returncode == 0, done.stderr[-2000:]
    joined, unshared, own = json.loads(done.stdout.splitlines()[-1])
    assert joined == ["user", "net"] and unshared == [], "the owner first, and no user namespace of its own"
    assert own == ["net"], "its own user namespace is not joined again (setns would refuse)"


def test_on_cgroup_v2_the_delegated_subtree_is_the_top_the_user_owns(reader):
    """The layout of ``systemd-run --user --scope -p Delegate=yes``: the user's manager
    (``user@UID.service``) and everything under it belong to the user (systemd.resource-control(5),
    Delegate=), the slices above to root. Groups go under the manager, the top of the delegated
    subtree, not the scope, which holds processes. Read as the user, in a copy of that tree."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    scratch = Path(tempfile.mkdtemp(prefix="reader-cgroup2-", dir="/tmp"))  # pytest's folders are root's only
    try:
        _check_delegated_v2_parent(reader, scratch, subprocess)
    finally:
        shutil.rmtree(scratch)


def _check_delegated_v2_parent(reader, scratch, subprocess) -> None:
    os.chmod(scratch, 0o755)
    unified = scratch / "cgroup2"
    manager = unified / "user.slice" / f"user-{reader.uid}.slice" / f"user@{reader.uid}.service"
    scope = manager / "app.slice" / "run-r1.scope"
    scope.mkdir(parents=True)
    for path in (unified, unified / "user.slice", manager.parent):
        os.chmod(path, 0o755)
    for directory in (manager, manager / "app.slice", scope):
        (directory / "cgroup.procs").write_text("")
    subprocess.run(["chown", "-R", f"{reader.uid}:{reader.gid}", str(manager)], check=True)
    own = scratch / "cgroup"
    own.write_text(f"0::/{scope.relative_to(unified)}\n")
    code = ("import sys; from pathlib import Path; from podnotes.linux.cgroups import delegated_v2_parent; "
            "print(delegated_v2_parent(Path(sys.argv[1]), Path(sys.argv[2])))")
    done = reader.python(code, str(unified), str(own))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(manager)
    own.write_text(f"0::/{manager.parent.relative_to(unified)}\n")  # a login session: nothing delegated
    assert reader.python(code, str(unified), str(own)).stdout.strip() == "None"
