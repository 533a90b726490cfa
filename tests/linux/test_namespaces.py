"""Namespaces for real: each kind, joining, and the Pod built from them."""

from __future__ import annotations

import pytest

from podnotes.linux import namespaces, rootfs
from podnotes.linux.launcher import LaunchError, Spec, run_probe
from podnotes.linux.pod import Pod

from .conftest import needs_root

pytestmark = needs_root


def test_pid_namespace_starts_at_one(no_leaks):
    view = namespaces.look_from(["pid"])
    assert view.pid == 1 and view.pids == [1]
    assert view.namespaces["pid"] != namespaces.namespace_ids()["pid"]


def test_uts_namespace_has_its_own_hostname(no_leaks):
    host = namespaces.host_view()
    view = namespaces.look_from(["uts"], hostname="podnotes-test")
    assert view.hostname == "podnotes-test" != host.hostname


def test_network_namespace_starts_with_loopback_down(no_leaks):
    assert namespaces.look_from(["net"]).interfaces == [namespaces.Interface("lo", False, None)]
    up = namespaces.look_from(["net"], loopback_up=True)
    assert up.interfaces == [namespaces.Interface("lo", True, "127.0.0.1")]


def test_mounts_stay_inside_a_private_mount_namespace(no_leaks):
    result = namespaces.private_mount()
    assert result.inside_has_mount and result.inside_entries == ["inside.txt"]
    assert not result.host_has_mount and result.host_entries == []


def test_veth_pair_links_two_network_namespaces(no_leaks):
    result = namespaces.veth_link()
    assert result.reply.startswith("hello across the veth")
    assert result.first.interface("podnotes-veth0").ipv4 == "10.200.0.1"
    assert result.second.interface("podnotes-veth1").ipv4 == "10.200.0.2"


def test_ipc_namespace_hides_queues(no_leaks):
    result = namespaces.private_queue()
    assert result.key in result.inside_queues and result.key not in result.host_queues


def test_user_namespace_root_is_an_ordinary_uid_outside(no_leaks):
    result = namespaces.user_namespace()
    assert result.inside_uid == 0 and result.all_capabilities_inside
    assert result.file_owner_outside == 100_000
    assert result.shadow == "permission denied"


def test_joining_a_held_namespace(no_leaks):
    with namespaces.holder(["uts", "net"], hostname="held") as held:
        assert namespaces.join(held.pid, ["uts"]).hostname == "held"
        assert namespaces.nsenter(held.pid, ["uts"], ["hostname"]).stdout.strip() == "held"
        kinds = {row["type"]: row for row in namespaces.lsns(held.pid)}
        assert kinds["uts"]["nprocs"] == 1 and kinds["uts"]["pid"] == held.pid


def test_a_failing_step_is_reported_with_its_name(no_leaks):
    with pytest.raises(LaunchError, match="joining namespaces"):
        run_probe(Spec(probe="view", join={"net": "/proc/999999999/ns/net"}))


def test_bad_specs_are_refused_before_anything_starts():
    with pytest.raises(ValueError, match="unknown namespace"):
        Spec(probe="view", unshare=["time-travel"])
    with pytest.raises(ValueError, match="mount_proc needs 'mnt'"):
        Spec(probe="view", mount_proc=True)
    with pytest.raises(ValueError, match="exactly one"):
        Spec()


def test_pod_containers_share_network_and_hostname_but_not_mounts(no_leaks):
    with rootfs.build_rootfs() as root, Pod("test-pod") as pod:
        web = pod.start_container("web", root, probe="serve", probe_args=[8080, "hi"])
        reply = pod.run(root, "fetch", [8080])
        assert reply["reply"] == "hi (hostname test-pod)"
        assert reply["namespaces"]["net"] == pod.namespaces()["net"] == web.namespaces()["net"]
        assert reply["namespaces"]["mnt"] != web.namespaces()["mnt"]
        pod.kill("web")
        assert pod.run(root, "fetch", [8080, "127.0.0.1", 0.2])["reply"] is None
        pod.start_container("web", root, probe="serve", probe_args=[8080, "back"])
        assert pod.run(root, "fetch", [8080])["reply"].startswith("back")


def test_shared_pid_namespace_makes_pause_pid_one(no_leaks):
    with rootfs.build_rootfs() as root, Pod("shared", share_process_namespace=True) as pod:
        view = pod.run(root)
        assert "podnotes.linux.pause" in view.commands["1"]


def test_user_namespace_can_map_root_to_the_caller(no_leaks):
    view = namespaces.View.from_dict(run_probe(Spec(probe="view", unshare=["user"], map_root_to_self=True)))
    assert view.uid == 0
    assert view.namespaces["user"] != namespaces.namespace_ids()["user"]


def test_an_ordinary_user_creates_namespaces_inside_a_user_namespace():
    # user_namespaces(7): the creator of a user namespace holds CAP_SYS_ADMIN over the
    # namespaces it owns, so unshare --uts works with --user and is refused without.
    result = namespaces.unprivileged_user_namespace()
    assert result.outside_uid != 0
    assert "not permitted" in result.without_user_namespace.lower()
    if not result.created:
        pytest.skip(f"this kernel refuses unprivileged user namespaces: {result.refusal}")
    assert result.inside_uid == 0 and result.inside_hostname == "inside-userns"


@needs_root
def test_a_new_cgroup_namespace_shows_its_group_as_the_root(no_leaks):
    # cgroup_namespaces(7)
    result = namespaces.cgroup_namespace()
    assert result.group_path_from_host.endswith("/" + result.group)
    assert result.inside_paths == ["/"]


def test_runtime_namespace_kinds_follow_cgroup_version_and_host_users():
    from podnotes.linux.container import runtime_namespaces

    assert runtime_namespaces(cgroup_v2=False) == ["ipc", "mnt", "net", "pid", "uts"]
    assert runtime_namespaces(cgroup_v2=True) == ["cgroup", "ipc", "mnt", "net", "pid", "uts"]
    assert "user" in runtime_namespaces(cgroup_v2=True, host_users=False)


@pytest.mark.parametrize("own_pid_namespace", [False, True], ids=["host-pid-namespace", "new-pid-namespace"])
def test_pid_one_is_spared_the_signals_it_has_no_handler_for(own_pid_namespace):
    """pid_namespaces(7), "The namespace init process": only signals for which init has a handler reach it,
    even from a privileged process; kill(2). A shell without a SIGTERM handler sends itself SIGTERM: as an
    ordinary process it dies of it, as PID 1 of a new PID namespace (unshare -fp) it carries on."""
    import signal
    import subprocess

    script = "kill -TERM $$; echo survived as $$"
    argv = (["unshare", "--fork", "--pid", "--kill-child"] if own_pid_namespace else []) + ["sh", "-c", script]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if own_pid_namespace:
        assert (done.returncode, done.stdout.strip()) == (0, "survived as 1")
    else:
        assert done.returncode == -signal.SIGTERM and done.stdout == ""


@pytest.mark.parametrize(("value", "everywhere"), [("0\n", True), ("1\n", False), ("2\n", False), (None, True)])
def test_fallback_tunnels_follow_the_sysctl(tmp_path, value, everywhere):
    """Linux Documentation/admin-guide/sysctl/net.rst, fb_tunnels_only_for_init_net: 0 (the default)
    puts a loaded tunnel module's fallback device into every new network namespace, 1 only into the
    initial one, 2 into none; kernels before 4.16 have no such sysctl and always do."""
    sysctl = tmp_path / "fb_tunnels_only_for_init_net"
    if value is not None:
        sysctl.write_text(value)
    assert namespaces.fallback_tunnels_everywhere(sysctl) is everywhere


def test_a_new_network_namespace_holds_loopback_and_at_most_fallback_tunnels():
    loopback, *tunnels = namespaces.look_from(["net"]).interfaces
    assert loopback == namespaces.Interface("lo", up=False, ipv4=None)
    assert [i.name for i in tunnels if i.name not in namespaces.FALLBACK_TUNNELS] == []
    if not namespaces.fallback_tunnels_everywhere():
        assert tunnels == []
