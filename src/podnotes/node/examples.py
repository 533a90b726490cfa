"""The examples run on the real node and compared with the simulator: the same manifest on both sides.

Most come from :data:`podnotes.probes.PRESETS` (the documentation's probe examples). Where a preset's
program behaviour cannot be produced by the image as written, the manifest gets an environment variable the
stand-in images understand and the behaviour says the same thing, so both sides still run one manifest.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..probes import Behaviour, ContainerBehaviour, ProbeAnswers, Steps, preset
from .agreement import Agreement, compare


@dataclass(frozen=True)
class NodeExample:
    name: str
    manifest: dict
    behaviour: Behaviour
    duration: float  # seconds to observe, counted from the Pod's creation

    @property
    def pod_name(self) -> str:
        return self.manifest["metadata"]["name"]


@dataclass
class ExampleRun:
    example: NodeExample
    simulated: object = None  # podnotes.probes.Timeline
    observed: object = None
    agreement: Agreement | None = None
    error: BaseException | None = None
    extra: dict = field(default_factory=dict)


def _from_preset(name: str, duration: float) -> NodeExample:
    chosen = preset(name)
    return NodeExample(name, chosen.pod(), chosen.behaviour, duration)


def _slow_start(delay: float = 25.0) -> NodeExample:
    """The documentation's startup-probe example with a server that opens its port after ``delay`` seconds."""
    chosen = preset("slow-start")
    manifest = chosen.pod()
    manifest["spec"]["containers"][0]["env"] = [{"name": "HEALTHZ_START_DELAY", "value": str(int(delay))}]
    behaviour = Behaviour({"app": ContainerBehaviour(sigterm_exit_code=2, probes={
        "startup": ProbeAnswers(Steps(((0.0, None), (delay, 200)))),
        "liveness": ProbeAnswers(Steps(((0.0, 200),))),
        "readiness": ProbeAnswers(Steps(((0.0, 200),))),
    })})
    return NodeExample("slow-start", manifest, behaviour, 70.0)


def _init_containers() -> NodeExample:
    """Two init containers that must finish, in order, before the app container starts."""
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "init-order"}, "spec": {
        "initContainers": [
            {"name": "first", "image": "registry.k8s.io/busybox:1.27.2", "command": ["sh", "-c", "sleep 4"]},
            {"name": "second", "image": "registry.k8s.io/busybox:1.27.2", "command": ["sh", "-c", "sleep 3"]},
        ],
        "containers": [{"name": "app", "image": "registry.k8s.io/busybox:1.27.2",
                        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
                        "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 2}}],
    }}
    behaviour = Behaviour({"first": ContainerBehaviour(exit_after=4.0), "second": ContainerBehaviour(exit_after=3.0),
                           "app": ContainerBehaviour()})
    return NodeExample("init-order", manifest, behaviour, 30.0)


def _never_restart() -> NodeExample:
    """The exec liveness example under ``restartPolicy: Never``: killed once, never restarted, phase Failed."""
    chosen = preset("exec-liveness")
    manifest = copy.deepcopy(chosen.pod())
    manifest["metadata"]["name"] = "liveness-never"
    manifest["spec"]["restartPolicy"] = "Never"
    manifest["spec"]["terminationGracePeriodSeconds"] = 5
    return NodeExample("never-restart", manifest, chosen.behaviour, 70.0)


def _deleted_with_grace() -> NodeExample:
    """A Pod deleted 10 s after its container started, whose PID 1 ignores SIGTERM: SIGKILL after the
    10 s grace period, then phase Failed (exit code 137) before the object goes away."""
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "deleted-with-grace"}, "spec": {
        "terminationGracePeriodSeconds": 10,
        "containers": [{"name": "app", "image": "registry.k8s.io/busybox:1.27.2",
                        "command": ["sh", "-c", "sleep 3600"]}],
    }}
    behaviour = Behaviour({"app": ContainerBehaviour(sigterm="ignore")}, delete_at=10.0)
    return NodeExample("deleted-with-grace", manifest, behaviour, 40.0)


def examples() -> list[NodeExample]:
    return [
        _from_preset("exec-liveness", 110.0),
        _from_preset("http-liveness", 70.0),
        _from_preset("tcp-liveness-readiness", 45.0),
        _slow_start(),
        _from_preset("crash-loop", 150.0),
        _init_containers(),
        _never_restart(),
        _deleted_with_grace(),
    ]


def run_examples(cluster_factory, chosen: list[NodeExample], out_dir: Path | None = None) -> list[ExampleRun]:
    """Run every example at once on the node (one thread each), observe it, simulate it, compare.

    ``cluster_factory()`` returns a context manager giving a podnotes Cluster; each thread opens its own.
    Observed timelines are written to ``out_dir/<example>.json`` when ``out_dir`` is given.
    """
    runs = [ExampleRun(example) for example in chosen]
    threads = [threading.Thread(target=_run_one, args=(cluster_factory, run), daemon=True) for run in runs]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # stagger creations a little so the kubelet is not handed all Pods in one instant
    for thread in threads:
        thread.join()
    if out_dir is not None:
        write_observed(runs, out_dir)
    return runs


def _run_one(cluster_factory, run: ExampleRun) -> None:
    from ..cluster import observe
    from ..probes import simulate

    example = run.example
    try:
        run.simulated = simulate(example.manifest, example.behaviour, example.duration)
        with cluster_factory() as cluster:
            cluster.create(copy.deepcopy(example.manifest))
            timers: list[threading.Timer] = []

            def delete_when_started(event) -> None:
                # The simulator's clock starts with the first container; delete that long after it, as it does.
                if example.behaviour.delete_at is not None and event.kind == "start" and not timers:
                    timers.append(threading.Timer(example.behaviour.delete_at, cluster.delete,
                                                  args=(copy.deepcopy(example.manifest),),
                                                  kwargs={"ignore_not_found": True}))
                    timers[0].start()

            try:
                run.observed = observe(cluster, example.pod_name, example.duration, on_event=delete_when_started)
            finally:
                for timer in timers:
                    timer.cancel()
                cluster.force_delete(copy.deepcopy(example.manifest), ignore_not_found=True)
        run.agreement = compare(example.name, run.simulated, run.observed)
    except BaseException as err:  # reported by the caller, per example
        run.error = err


def recorded_runs(folder: Path, chosen: list[NodeExample]) -> list[ExampleRun]:
    """The runs a recording in ``folder`` (:func:`write_observed`) holds: each example's observed Timeline read
    back, then simulated and compared again exactly as :func:`run_examples` does after a live run. An example
    with no recorded timeline gets ``FileNotFoundError`` as its ``error``."""
    from ..probes import Timeline, simulate

    runs = []
    for example in chosen:
        run = ExampleRun(example)
        path = folder / f"{example.name}.json"
        try:
            run.observed = Timeline.from_json(path.read_text())
            run.simulated = simulate(example.manifest, example.behaviour, example.duration)
            run.agreement = compare(example.name, run.simulated, run.observed)
        except FileNotFoundError as err:
            run.error = err
        runs.append(run)
    return runs


def write_observed(runs: list[ExampleRun], out_dir: Path) -> None:
    """``<example>.json``: the observed Timeline; ``agreement.json``: every paired instant of every example."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for run in runs:
        if run.observed is not None:
            (out_dir / f"{run.example.name}.json").write_text(run.observed.to_json())  # type: ignore[attr-defined]
        if run.agreement is not None:
            agreement = run.agreement
            summary[run.example.name] = {
                "offset": agreement.offset,
                "largest_difference": agreement.largest_difference,
                "simulated_phase": agreement.simulated_phase,
                "observed_phase": agreement.observed_phase,
                "rows": [{"what": r.what, "simulated": r.simulated, "observed": r.observed,
                          "difference": r.difference, "tolerance": r.tolerance, "agrees": r.agrees}
                         for r in agreement.rows],
            }
    (out_dir / "agreement.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "node.json").write_text(json.dumps(node_setup(), indent=2))


def node_setup() -> dict[str, str]:
    """What the observed timelines were recorded on, for the book's status page, and the digest of the
    examples and pins they belong to (:func:`podnotes.node.observe.examples_digest`)."""
    import datetime as dt
    import platform

    from ..book.build import package_digest
    from ..cluster.binaries import pinned_versions
    from ..linux.machine import cgroup_version
    from .binaries import find_node_binaries
    from .observe import examples_digest

    kubernetes, _ = pinned_versions()
    found = find_node_binaries()
    return {
        "kubernetes": kubernetes,
        "containerd": _first_line([str(found.containerd), "--version"]) if found else "unknown",
        "runc": _first_line([str(found.runc), "--version"]) if found else "unknown",
        "kernel": platform.release(),
        "cgroups": cgroup_version(),
        "observed_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "examples_digest": examples_digest(),
        "package_digest": package_digest(),
    }


def _first_line(argv: list[str]) -> str:
    import subprocess

    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout.strip().splitlines() or ["unknown"])[0]
