"""Reading mounts, tokens and memory charges (podnotes.node.podfiles) without a node."""

from __future__ import annotations

import base64
import json

import pytest

from podnotes.node import podfiles

MOUNTINFO = """\
1203 1180 0:151 / / rw,relatime master:540 - overlay overlay rw,lowerdir=/x,upperdir=/y,workdir=/z
1210 1203 8:1 /tmp/podnotes-node-a/kubelet/pods/u1/etc-hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw
1211 1203 0:160 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
1212 1203 0:161 / /cache rw,relatime - tmpfs tmpfs rw,size=32768k
1213 1203 8:1 /my\\040dir /shared rw - ext4 /dev/sda1 rw
"""


def test_mountinfo_lines_become_mounts():
    mounts = podfiles.parse_mountinfo(MOUNTINFO)
    assert len(mounts) == 5
    hosts = podfiles.mount_at(mounts, "/etc/hosts")
    assert hosts.root.endswith("/kubelet/pods/u1/etc-hosts") and hosts.fstype == "ext4"
    assert podfiles.tmpfs_size(podfiles.mount_at(mounts, "/dev/shm").options) == 64 * 1024**2
    assert podfiles.tmpfs_size(podfiles.mount_at(mounts, "/cache").options) == 32 * 1024**2
    assert podfiles.mount_at(mounts, "/shared").root == "/my dir"
    with pytest.raises(LookupError):
        podfiles.mount_at(mounts, "/nowhere")


def test_an_idmapped_mount_is_told_by_its_per_mount_options():
    """The kernel adds ``idmapped`` to a mount's own options (fs/proc_namespace.c ``show_mnt_opts``)."""
    mounts = podfiles.parse_mountinfo(
        "1300 1203 8:1 /var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/data /data "
        "rw,relatime,idmapped - ext4 /dev/sda1 rw\n" + MOUNTINFO)
    data = podfiles.mount_at(mounts, "/data")
    assert data.idmapped and data.mount_options == "rw,relatime,idmapped" and data.options == "rw"
    assert not any(mount.idmapped for mount in mounts if mount.target != "/data")


def test_a_broken_mountinfo_line_is_named():
    with pytest.raises(ValueError, match="line 2"):
        podfiles.parse_mountinfo("1 0 0:1 / / rw - tmpfs x rw\ngarbage\n")
    with pytest.raises(ValueError, match="no size="):
        podfiles.tmpfs_size("rw,relatime")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_token_claims_are_decoded_and_non_tokens_refused():
    claims = {"aud": ["https://kubernetes.default.svc"], "exp": 1_800_003_607, "iat": 1_800_000_000,
              "kubernetes.io": {"namespace": "ns", "pod": {"name": "files"}}}
    assert podfiles.jwt_claims(f"{_b64({'alg': 'RS256'})}.{_b64(claims)}.c2ln\n") == claims
    with pytest.raises(ValueError, match="3 dot-separated parts"):
        podfiles.jwt_claims("not-a-token")
    with pytest.raises(ValueError, match="base64url JSON"):
        podfiles.jwt_claims("a.!!!.c")


def test_memory_charges_are_read_from_v1_and_v2_files(tmp_path):
    v1 = tmp_path / "v1" / "memory" / "n" / "pod1" / "c1"
    v1.mkdir(parents=True)
    (v1 / "memory.usage_in_bytes").write_text("30000000\n")
    (v1 / "memory.limit_in_bytes").write_text("67108864\n")
    (v1 / "memory.stat").write_text("cache 25165824\nshmem 25165824\nrss 100\n")
    assert podfiles.memory_charged("/n/pod1/c1", root=tmp_path / "v1") == {
        "usage": 30000000, "shmem": 25165824, "limit": 67108864}
    v2 = tmp_path / "v2" / "pod1" / "c1"
    v2.mkdir(parents=True)
    (v2 / "memory.current").write_text("1000\n")
    (v2 / "memory.max").write_text("max\n")
    (v2 / "memory.stat").write_text("anon 10\nshmem 0\n")
    assert podfiles.memory_charged("/pod1/c1", root=tmp_path / "v2") == {"usage": 1000, "shmem": 0, "limit": -1}


def test_a_mount_says_where_it_comes_from():
    mounts = {m.target: m for m in podfiles.parse_mountinfo(MOUNTINFO)}
    assert podfiles.mount_origin(mounts["/etc/hosts"], "u1") == "kubelet: etc-hosts"
    assert podfiles.mount_origin(mounts["/dev/shm"], "u1") == "tmpfs of its own (shm)"
    root = "/x/containerd/root/io.containerd.grpc.v1.cri/sandboxes/ab/resolv.conf"
    sandbox = podfiles.Mount("/etc/resolv.conf", root, "ext4", "/dev/vda", "rw")
    assert podfiles.mount_origin(sandbox, "u1") == "containerd: sandbox …/resolv.conf"
