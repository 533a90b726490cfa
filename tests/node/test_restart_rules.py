"""Per-container restart rules (KEP-5307) on the real node (podnotes.node.scenes.restart_rules): under a Pod's
``restartPolicy: Never``, the container whose exit code matches its rule ``Restart In [42]`` is restarted,
with the crash back-off, and the one that exits 1 is not; the simulator predicts the same instants.

Upstream (kubernetes v1.37.2): pkg/features/kube_features.go (ContainerRestartRules: beta, on by default since
1.35), pkg/api/v1/pod/util.go (ContainerShouldRestart), pkg/kubelet/kuberuntime/kuberuntime_manager.go
(computePodActions, doBackOff).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from podnotes.cluster.describe import event_rows

from .conftest import REPORT


@pytest.fixture(scope="module")
def record(local_node, tmp_path_factory):
    from podnotes import cluster
    from podnotes.node.scenes import SceneContext, restart_rules

    folder = tmp_path_factory.mktemp("restart-rules-scene")
    started = time.monotonic()
    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117 - the inner context needs the outer one
        with admin.workshop_namespace("scene") as namespace:
            found = restart_rules.observe(SceneContext(local_node, admin, namespace, folder, lambda line: None))
    REPORT.append(f"scene restart_rules: {time.monotonic() - started:.1f} s")
    keep = os.environ.get("PODNOTES_KEEP_SCENE")  # to look at a recording while working on the chapter
    if keep:
        Path(keep).write_text(json.dumps(found, indent=2, default=str))
    return found


def test_the_api_server_kept_the_rules(record):
    spec = {c["name"]: c for c in record["manifest"]["spec"]["containers"]}
    assert spec["retry"]["restartPolicyRules"] == [
        {"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]


def test_exit_42_restarts_and_exit_1_does_not(record):
    outcomes = record["outcomes"]
    assert set(outcomes) == {"retry", "stop"}
    assert outcomes["stop"] == {"restarts": 0, "state": "terminated", "exit_code": 1, "last_exit_code": None}
    retry = outcomes["retry"]
    assert retry["restarts"] >= 2, retry  # at once after run 1, after a 10 s back-off after run 2
    assert 42 in (retry["exit_code"], retry["last_exit_code"]), retry
    assert record["phase"] == "Running", "a container that will run again keeps the Pod Running"


def test_the_kubelet_events_count_the_starts_and_the_back_off(record):
    assert record["events"], "no Events recorded"
    # v1.37.2's kubelet says "Container started" and names the container in involvedObject.fieldPath
    started = {e["involvedObject"]["fieldPath"]: e.get("count", 1) for e in record["events"]
               if e["reason"] == "Started"}
    assert started["spec.containers{stop}"] == 1
    assert started["spec.containers{retry}"] == 3  # at 0 s, 4 s and after the 10 s back-off
    backoff = [row.message for row in event_rows(record["events"]) if row.reason == "BackOff"]
    assert backoff and all(m.startswith("Back-off restarting failed container retry ") for m in backoff)


def test_the_simulator_agrees_with_the_node(record):
    rows = record["rows"]
    assert rows, "nothing was compared"
    assert {"Ready -> True", "Ready -> False"} <= {row["what"] for row in rows}, "the one Ready spell is compared"
    starts = [row for row in rows if row["what"].startswith("retry: start")]
    assert len(starts) >= 3, rows
    assert all(row["agrees"] for row in rows), [row for row in rows if not row["agrees"]]
    assert record["simulated_phase"] == record["observed_phase"] == "Running"
