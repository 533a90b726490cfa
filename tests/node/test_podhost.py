"""The host's view of a Pod (podnotes.node.podhost), on fake /proc and /sys trees and real `ip` lines."""

from __future__ import annotations

import pytest

from podnotes.node import podhost


def fake_process(proc, pid, ppid, argv):
    folder = proc / str(pid)
    folder.mkdir(parents=True)
    (folder / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (folder / "status").write_text(f"Name:\tx\nPid:\t{pid}\nPPid:\t{ppid}\n")


def test_the_tree_is_shim_then_pause_then_containers(tmp_path):
    fake_process(tmp_path, 900, 1, ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "abc"])
    fake_process(tmp_path, 910, 900, ["/pause"])
    fake_process(tmp_path, 920, 900, ["httpd", "-f", "-p", "8080"])
    tree = podhost.process_tree(910, {"server": 920}, proc=tmp_path)
    assert [(p.role, p.pid, p.ppid) for p in tree] == [
        ("shim", 900, 1), ("sandbox (pause)", 910, 900), ("container server", 920, 900)]
    assert tree[0].command.startswith("/usr/bin/containerd-shim-runc-v2 -namespace k8s.io")


def test_a_container_under_another_parent_is_an_error(tmp_path):
    fake_process(tmp_path, 900, 1, ["shim"])
    fake_process(tmp_path, 910, 900, ["/pause"])
    fake_process(tmp_path, 930, 1, ["sh"])
    with pytest.raises(ValueError, match="not the Pod's shim 900"):
        podhost.process_tree(910, {"app": 930}, proc=tmp_path)


def test_ip_lines_give_the_veth_peer_and_the_address():
    assert podhost.parse_link("3: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue") == ("eth0", 12)
    address = podhost.parse_address("3: eth0    inet 10.217.0.5/24 brd 10.217.0.255 scope global eth0")
    assert address == "10.217.0.5/24"
    with pytest.raises(ValueError, match="not a veth line"):
        podhost.parse_link("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")
    with pytest.raises(ValueError, match="no IPv4 address"):
        podhost.parse_address("")


def test_the_host_end_is_found_by_its_ifindex(tmp_path):
    for name, index in (("lo", 1), ("pnnode0", 5), ("veth1a2b3c4d", 12)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "ifindex").write_text(f"{index}\n")
    assert podhost.interface_by_index(12, sys_net=tmp_path) == "veth1a2b3c4d"
    with pytest.raises(LookupError):
        podhost.interface_by_index(99, sys_net=tmp_path)


def test_the_cgroup_path_comes_from_the_named_controller_or_the_unified_line(tmp_path):
    v1 = "12:pids:/n/kubepods/besteffort/pod1/c1\n9:memory:/n/kubepods/besteffort/pod1/c1\n0::/\n"
    fake_process(tmp_path, 5, 1, ["x"])
    (tmp_path / "5" / "cgroup").write_text(v1)
    assert podhost.cgroup_path(5, "memory", proc=tmp_path) == "/n/kubepods/besteffort/pod1/c1"
    (tmp_path / "5" / "cgroup").write_text("0::/kubepods.slice/pod1/c1\n")
    assert podhost.cgroup_path(5, "memory", proc=tmp_path) == "/kubepods.slice/pod1/c1"


def test_a_peer_address_is_made_plain():
    assert podhost.plain_ip("10.217.0.2\n") == "10.217.0.2"
    assert podhost.plain_ip("[::ffff:10.217.17.2]") == "10.217.17.2", "IPv4 peer of an IPv6 socket"
    assert podhost.plain_ip("fd00::5") == "fd00::5"
    with pytest.raises(ValueError):
        podhost.plain_ip("<html>error</html>")


def test_cgroup_paths_print_as_a_tree_with_short_ids():
    pause, app = "d19793dcc0c5" + "0" * 52, "1f35eecf6a8f" + "1" * 52
    lines = podhost.path_tree({"pause": f"/root/kubepods/besteffort/pod7a/{pause}",
                               "server": f"/root/kubepods/besteffort/pod7a/{app}"})
    assert lines == ["/root", "  kubepods", "    besteffort", "      pod7a",
                     "        d19793dcc0c5…  (pause)", "        1f35eecf6a8f…  (server)"]
    assert podhost.short_id("pod7a") == "pod7a"
    with pytest.raises(ValueError, match="not an absolute path"):
        podhost.path_tree({"x": "kubepods/pod1"})


def test_a_container_cgroup_is_shortened_to_its_kubelet_levels():
    path = "/podnotes-node-x/kubepods/burstable/pod7aa44c00-edaf-4041-9663-4f677ed3c592/" + "1f35eecf6a8f" + "0" * 52
    assert podhost.short_cgroup(path) == "…/kubepods/burstable/pod7aa44c00…/1f35eecf6a8f…"
    with pytest.raises(ValueError):
        podhost.short_cgroup("/kubepods")
