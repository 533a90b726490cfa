"""The simulator against a real kubelet: every example runs on the local node and in the simulator, and the
instants (starts, kills, first failed probes, Ready and Initialized changes) and final phase must agree.

All examples run at once, so the whole module takes as long as the longest example (about 2.5 minutes).
Observed timelines are written to ``_build/observed/<example>.json`` for the probes chapter."""

from __future__ import annotations

import contextlib

import pytest

from .conftest import REPORT

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def example_runs(local_node, repo_root):
    """Every example's run on the node, compared with the simulator. When ``make book`` has just recorded them
    with this very package (CI builds the book first), that recording is compared again instead of running
    the same examples a second time; otherwise they run here, and the scenes too, so the recording this run
    leaves is complete for ``make book`` to reuse."""
    from podnotes.node.examples import examples, recorded_runs
    from podnotes.node.observe import recorded_by_this_package
    from podnotes.node.overlays import node_setup

    folder = repo_root / "_build" / "observed"
    if recorded_by_this_package(folder):
        REPORT.append(f"examples: the recording make book made at {node_setup(folder)['observed_at']} "
                      "with this package, compared again")
        runs = recorded_runs(folder, examples())
    else:
        runs = _run_here(local_node, folder)
    REPORT.append("simulated vs observed (seconds since the Pod was created):")
    for run in runs:
        if run.agreement is not None:
            REPORT.extend(run.agreement.table().splitlines())
        else:
            REPORT.append(f"{run.example.name}: failed to run: {run.error!r}")
    return {run.example.name: run for run in runs}


def _run_here(local_node, folder):
    from podnotes import cluster
    from podnotes.node.examples import examples, run_examples
    from podnotes.node.scenes import SceneContext, run_scenes

    with cluster.open_cluster(local_node.name, kubeconfig=local_node.kubeconfig) as admin:  # noqa: SIM117 - the inner context needs the outer one
        with admin.workshop_namespace("probes") as namespace:
            @contextlib.contextmanager
            def factory():
                with cluster.open_cluster(local_node.name, namespace=namespace,
                                          kubeconfig=local_node.kubeconfig) as connected:
                    yield connected

            runs = run_examples(factory, examples(), out_dir=folder)
        run_scenes(SceneContext(local_node, admin, "", folder, progress=REPORT.append))
    return runs


EXAMPLE_NAMES = ["exec-liveness", "http-liveness", "tcp-liveness-readiness", "slow-start", "crash-loop",
                 "init-order", "never-restart"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_simulator_agrees_with_the_kubelet(example_runs, name):
    run = example_runs[name]
    if run.error is not None:
        raise run.error
    agreement = run.agreement
    assert agreement.rows, f"{name}: nothing to compare"
    assert agreement.ok, agreement.table()


def test_observed_timelines_are_written(example_runs, repo_root):
    from podnotes.probes import Timeline

    for name in EXAMPLE_NAMES:
        path = repo_root / "_build" / "observed" / f"{name}.json"
        timeline = Timeline.from_json(path.read_text())
        assert timeline.source == "observed" and timeline.events


def test_liveness_kill_restarts_and_never_does_not(example_runs):
    """The facts behind the comparison, stated directly on the observed timelines."""
    http = example_runs["http-liveness"].observed
    assert http.restarts("liveness"), "the failing HTTP liveness probe never restarted the container"
    never = example_runs["never-restart"].observed
    assert never.restarts("liveness") == []
    assert never.phases()[-1][1] == "Failed"
    crash = example_runs["crash-loop"].observed
    assert crash.select("backoff", "app"), "no CrashLoopBackOff seen"
    init = example_runs["init-order"].observed
    first_exit = [e.time for e in init.select("exit", "first")]
    second_start = [e.time for e in init.select("start", "second")]
    app_start = [e.time for e in init.select("start", "app")]
    assert first_exit and second_start and app_start
    assert first_exit[0] <= second_start[0] <= app_start[0]
