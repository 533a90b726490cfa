"""The node's parts that need no root: pairing instants, the containerd and CNI configuration, host checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podnotes.node.agreement import BACKOFF_JITTER, SYNC_LATENCY, compare
from podnotes.node.host import HostSnapshot, leftovers, mounts_under
from podnotes.node.runtime import ContainerdLayout, PodNetwork, containerd_config
from podnotes.probes import Event, Timeline
from podnotes.probes.timeline import ContainerInfo, ProbeInfo


def timeline(source: str, duration: float, *events: Event) -> Timeline:
    return Timeline(pod="p", duration=duration, events=list(events), containers=[ContainerInfo("c", "app")],
                    probes=[ProbeInfo("c", "liveness", "exec", periodSeconds=5)], source=source)


def start(t: float, count: int = 0) -> Event:
    return Event(time=t, kind="start", container="c", restart_count=count)


def test_simulated_clock_is_shifted_to_the_first_observed_start():
    simulated = timeline("simulated", 60, start(0), Event(time=40, kind="kill", container="c"), start(41, 1))
    observed = timeline("observed", 62, start(2.5), Event(time=43.0, kind="kill", container="c"), start(44.0, 1))
    agreement = compare("x", simulated, observed)
    assert agreement.offset == 2.5
    kill = next(row for row in agreement.rows if row.what == "c: kill")
    assert kill.simulated == 42.5 and kill.observed == 43.0
    assert kill.tolerance == 5 + SYNC_LATENCY
    assert agreement.ok and agreement.largest_difference == pytest.approx(0.5)


def test_a_late_kill_beyond_the_tolerance_is_reported():
    simulated = timeline("simulated", 60, start(0), Event(time=20, kind="kill", container="c"))
    observed = timeline("observed", 60, start(1), Event(time=30, kind="kill", container="c"))
    agreement = compare("x", simulated, observed)
    assert [row.what for row in agreement.disagreements] == ["c: kill"]
    assert not agreement.ok
    assert "<-- differs" in agreement.table()


def test_missing_partner_counts_unless_near_the_end():
    simulated = timeline("simulated", 60, start(0), start(20, 1), start(58, 2))
    observed = timeline("observed", 60, start(0))
    agreement = compare("x", simulated, observed)
    whats = [row.what for row in agreement.rows]
    assert "c: start #2" in whats  # at 20 s the real restart should have happened: a disagreement
    assert "c: start #3" not in whats  # 58 s is within the tolerance of the window's end: not required
    assert not agreement.ok


def test_restart_after_backoff_gets_half_the_wait_as_extra_tolerance():
    simulated = timeline("simulated", 100, start(0), Event(time=10, kind="backoff", container="c", seconds=40.0),
                         start(50, 1))
    observed = timeline("observed", 100, start(0), start(65, 1))
    agreement = compare("x", simulated, observed)
    row = next(row for row in agreement.rows if row.what == "c: start #2")
    assert row.tolerance == 5 + 2 * SYNC_LATENCY + BACKOFF_JITTER * 40  # two starts so far, one back-off
    assert row.agrees


def test_final_phase_must_match():
    simulated = timeline("simulated", 10, start(0), Event(time=0, kind="phase", phase="Running"))
    observed = timeline("observed", 10, start(0), Event(time=0, kind="phase", phase="Failed"))
    agreement = compare("x", simulated, observed)
    assert (agreement.simulated_phase, agreement.observed_phase) == ("Running", "Failed")
    assert not agreement.ok


def test_containerd_config_keeps_everything_in_its_folder(tmp_path):
    layout = ContainerdLayout(tmp_path / "ctd", tmp_path / "bin")
    text = containerd_config(layout, Path("/usr/lib/cni"))
    paths = [line.split('"')[1] for line in text.splitlines() if '"/' in line]
    assert len(paths) >= 8 and all(p.startswith(str(tmp_path)) or p == "/usr/lib/cni" for p in paths), paths
    assert f'BinaryName = "{tmp_path / "bin" / "runc"}"' in text, "the shim runs the runc built with containerd"
    assert "SystemdCgroup = false" in text and "netns_mounts_under_state_dir = true" in text


def test_containerd_config_is_version_4_with_the_split_cri_plugins(tmp_path):
    """containerd 2.4's config version 4 (version/version.go ConfigVersion; the servers as plugins,
    cmd/containerd/server/config/config.go): the CRI plugin's settings under io.containerd.cri.v1.images /
    io.containerd.cri.v1.runtime / io.containerd.grpc.v1.cri (internal/cri/config/config.go), parsed as TOML
    here as containerd parses it; no drop-in folder of the host is imported."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config = tomllib.loads(containerd_config(ContainerdLayout(tmp_path / "ctd", tmp_path / "bin"), Path("/x")))
    assert config["version"] == 4 and config["imports"] == []
    plugins = config["plugins"]
    assert plugins["io.containerd.server.v1.grpc"]["address"] == str(tmp_path / "ctd" / "containerd.sock")
    assert plugins["io.containerd.server.v1.ttrpc"]["address"].startswith(str(tmp_path))
    assert "grpc" not in config and "ttrpc" not in config, "version 3's top-level server sections are gone"
    assert plugins["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10"
    runtime = plugins["io.containerd.cri.v1.runtime"]
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2" and runc["options"]["SystemdCgroup"] is False
    assert runtime["cni"]["bin_dirs"] == ["/x"] and runtime["restrict_oom_score_adj"] is True
    assert runtime["cdi_spec_dirs"] == [], "the host's /etc/cdi is not read"
    assert plugins["io.containerd.grpc.v1.cri"]["stream_server_address"] == "127.0.0.1"
    assert "io.containerd.grpc.v1.cri" not in str(runtime), "no version 2 section names are left"
    assert {"io.containerd.nri.v1.nri", "io.containerd.image-verifier.v1.bindir"} <= set(config["disabled_plugins"])


def test_cni_config_uses_the_bridge_and_a_private_ipam_folder(tmp_path):
    network = PodNetwork(bridge="pntest0", subnet="10.219.0.0/24")
    config = network.cni_config(tmp_path / "ipam")
    plugin = config["plugins"][0]
    assert plugin["bridge"] == "pntest0" and plugin["isGateway"] and not plugin["ipMasq"]
    assert plugin["ipam"]["dataDir"] == str(tmp_path / "ipam")
    assert network.gateway == "10.219.0.1" and network.prefix_length == 24
    json.dumps(config)


def test_leftovers_names_what_a_node_would_leave(tmp_path):
    snapshot = HostSnapshot.take()
    workdir = tmp_path / "node"
    assert leftovers(snapshot, workdir=workdir, cgroup_name="podnotes-none", bridge="pnnone0") == []
    workdir.mkdir()
    assert leftovers(snapshot, workdir=workdir, cgroup_name="podnotes-none", bridge="pnnone0") == [
        f"directory {workdir}"]
    assert mounts_under(str(workdir)) == []


def test_a_state_shorter_than_the_sync_latency_is_not_compared():
    from podnotes.node.agreement import _condition_changes

    def ready(t: float, status: bool) -> Event:
        return Event(time=t, kind="condition", condition="Ready", status=status)

    simulated = timeline("simulated", 60, ready(0, False), ready(1, True), ready(20, False), ready(20, True))
    observed = timeline("observed", 60, ready(0, False), ready(1, True), ready(20.2, False), ready(20.6, True),
                        ready(40, False))
    assert _condition_changes(simulated, "Ready", True) == [1]
    assert _condition_changes(observed, "Ready", True) == [1]
    assert _condition_changes(observed, "Ready", False) == [40]


def test_an_exec_probe_that_ran_into_the_exit_is_not_a_failed_probe():
    simulated = Timeline(pod="p", duration=60, events=[start(0)], containers=[ContainerInfo("c", "app")],
                         probes=[ProbeInfo("c", "readiness", "exec", periodSeconds=1)])
    raced = Event(time=5.0, kind="probe", container="c", probe="readiness", result="failure",
                  message="Readiness probe failed: ")
    errored = Event(time=9.0, kind="probe", container="c", probe="readiness", result="failure",
                    message="Readiness probe errored and resulted in unknown state: container is in CONTAINER_EXITED")
    real = Event(time=20.0, kind="probe", container="c", probe="readiness", result="failure",
                 message="Readiness probe failed: ")
    observed = Timeline(pod="p", duration=60, source="observed", events=[
        start(0), raced, Event(time=6.0, kind="backoff", container="c"), errored, real],
        containers=[ContainerInfo("c", "app")])
    row = next(row for row in compare("x", simulated, observed).rows if "readiness" in row.what)
    assert row.observed == 20.0


def test_without_root_the_tier_skips_with_a_reason_and_fails_in_ci(monkeypatch):
    from podnotes.node import binaries

    from .support import skip_or_fail

    monkeypatch.setattr(binaries.os, "geteuid", lambda: 1000)
    missing = binaries.missing_prerequisites()
    assert missing and missing[0].startswith("root")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="root"):
        skip_or_fail("no local node: missing " + "; ".join(missing))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI"):
        skip_or_fail("no local node: missing " + "; ".join(missing))
