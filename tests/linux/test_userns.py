"""A hostUsers: false Pod's user namespace built by hand: the kubelet's ID blocks, uid_map parsing, and
the real kernel's answers (user_namespaces(7), capabilities(7), mount_setattr(2); Kubernetes 1.37.2
pkg/kubelet/userns/userns_manager.go)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from podnotes.linux import leaks, userns

from .conftest import needs_root


def test_an_id_map_is_read_line_by_line():
    lines = userns.parse_id_map("         0     131072      65536\n")
    assert lines == [userns.IdMapLine(inside=0, outside=131072, count=65536)]
    assert userns.map_to_host(lines, 0) == 131072
    assert userns.map_to_host(lines, 65535) == 131072 + 65535
    assert userns.map_to_host(lines, 65536) is None, "past the block: unmapped"
    assert userns.map_from_host(lines, 0) is None, "host root has no ID inside"
    assert userns.map_from_host(lines, 131072 + 1000) == 1000


def test_the_initial_namespace_maps_every_id_to_itself():
    (line,) = userns.parse_id_map(userns.HOST_IDENTITY_MAP)
    assert (line.inside, line.outside, line.count) == (0, 0, 2**32 - 1)
    assert userns.map_to_host([line], 4242) == 4242


@pytest.mark.parametrize("text, where", [
    ("0 100000\n", "line 1"),
    ("0 0 1\n0 -5 10\n", "line 2"),
    ("0 100000 0\n", "line 1"),
    ("0 4294967295 2\n", "line 1"),
    ("root 100000 65536", "line 1"),
])
def test_a_bad_id_map_names_its_line(text, where):
    with pytest.raises(userns.IdMapError, match=where):
        userns.parse_id_map(text)


def test_the_kubelet_starts_pod_blocks_at_multiples_of_65536_above_host_root():
    starts = userns.kubelet_first_ids()
    assert starts[0] == 65_536, "the block holding host root (0-65535) is never given to a Pod"
    assert starts[-1] == 2**32 - 65_536
    assert len(starts) == 65_535
    assert userns.kubelet_slot(65_536) == 0 and userns.kubelet_slot(131_072) == 1
    assert userns.kubelet_slot(100_000) is None, "a subuid-style start the kubelet never picks"


@pytest.mark.parametrize("kwargs, message", [
    ({"ids_per_pod": 1000}, "not a multiple of 65536"),
    ({"first_id": 0}, "at least 65536"),
    ({"first_id": 100_000}, "must be a multiple"),
    ({"length": 70_000}, "length 70000"),
])
def test_configurations_the_kubelet_refuses_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        userns.kubelet_first_ids(**kwargs)


def test_a_larger_ids_per_pod_gives_fewer_larger_blocks():
    starts = userns.kubelet_first_ids(ids_per_pod=131_072)
    assert starts[0] == 131_072 and starts[1] == 262_144


def test_capability_count_reads_cap_eff():
    assert userns.capability_count("000001ffffffffff") == 41, "every capability of Linux 5.9+"
    assert userns.capability_count("0000000000000000") == 0


@needs_root
def test_root_in_a_pods_user_namespace_is_an_unprivileged_host_uid(no_leaks):
    result = userns.pod_user_namespace(first=196_608)
    assert result.uid_map == [userns.IdMapLine(0, 196_608, 65_536)]
    assert userns.parse_id_map(result.host.gid_map) == result.uid_map
    assert set(result.host.status_uids) == {196_608}, "real, effective, saved and filesystem uid"
    assert result.host.ps.splitlines()[1].split()[:2] == ["196608", str(result.host.pid)]
    assert result.uid == 0 and result.id_output.startswith("uid=0(root) gid=0(root)")
    assert userns.capability_count(result.cap_eff) >= 38, "every capability, in its own namespace"
    assert result.file_owner_on_host == 196_608
    assert result.shadow_owner == userns.NO_MAPPING_OVERFLOW_UID, "host root is unmapped: nobody"
    assert result.actions["mount a tmpfs in its own mount namespace"] == "allowed"
    refused = {name: outcome for name, outcome in result.actions.items() if outcome != "allowed"}
    assert refused == {
        "read /etc/shadow": "EACCES",
        "enter the host's mount namespace": "EACCES",  # ptrace access to PID 1 is checked first
        "set the host's hostname": "EPERM",
        "signal the host's PID 1": "EPERM",
        "chown a file to an unmapped uid": "EINVAL",
    }
    assert userns.parse_id_map(result.host_users_true) == userns.parse_id_map(userns.HOST_IDENTITY_MAP)


@needs_root
def test_an_idmapped_volume_shows_root_owned_files_as_the_pods_root(no_leaks):
    volume = userns.pod_user_namespace(first=262_144).volume
    assert (volume.host_plain, volume.host_idmapped) == (0, 262_144)
    assert (volume.pod_plain, volume.pod_idmapped) == (userns.NO_MAPPING_OVERFLOW_UID, 0)
    assert volume.writes == {"plain": "EACCES", "idmapped": "allowed"}
    assert volume.written_owner_on_disk == 0 and volume.written_owner_pod == 0


@needs_root
def test_a_random_start_is_one_the_kubelet_could_pick(no_leaks):
    result = userns.pod_user_namespace()
    assert userns.kubelet_slot(result.first) is not None
    assert result.file_owner_on_host == result.first


KILLED_RUN = textwrap.dedent("""
    from podnotes.linux import userns
    while True:
        userns.pod_user_namespace()
""")


@needs_root
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_a_signal_at_any_moment_leaves_no_namespace_mount_or_folder_for_long(sig):
    for delay in (0.3, 0.9, 1.6):
        run = subprocess.Popen([sys.executable, "-c", KILLED_RUN], stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        assert run.poll() is None, f"the run ended before the signal: {run.stderr.read()[-2000:]}"
        run.send_signal(sig)
        run.communicate(timeout=60)
        right_after = leaks.leaks(settle=5, created_by=run.pid)
        if sig != signal.SIGKILL:
            assert right_after.empty(), f"{sig.name} after {delay} s left {right_after}"
        subprocess.run([sys.executable, "-c", "from podnotes.linux.processes import Children; Children().close()"],
                       check=True, timeout=60)
        assert leaks.leaks(settle=5, created_by=run.pid).empty(), "the next run removes a killed run's folder"
        with open("/proc/self/mountinfo") as mounts:
            assert f"podnotes-userns-{run.pid}-" not in mounts.read(), "mounts stay in the dead namespaces"
        assert not any(name.startswith(f"podnotes-userns-{run.pid}-") for name in os.listdir("/tmp"))


def test_the_drawing_pairs_ids_as_the_map_does():
    from podnotes import diagrams

    first = 131_072
    lines = [userns.IdMapLine(0, first, userns.IDS_PER_POD)]
    mapped = [(inside, outside) for inside, outside, kind in diagrams.USERNS_ROWS if kind == "pod"]
    assert len(mapped) == 3
    for inside, outside in mapped:
        uid = int(inside.split()[1])
        offset = int(outside.rpartition("+ ")[2]) if "+" in outside else 0
        assert userns.map_to_host(lines, uid) == first + offset
    assert userns.map_from_host(lines, 0) is None, "the dashed row: host root has no ID in the Pod"
