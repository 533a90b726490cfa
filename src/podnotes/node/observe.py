"""Run the book's examples on a real kubelet and keep what it did, for the chapters to overlay.

    sudo .venv/bin/python -m podnotes.node.observe            # run unless the observations are current
    sudo .venv/bin/python -m podnotes.node.observe --force    # run again anyway
    .venv/bin/python -m podnotes.node.observe --check         # only say whether they are current

The observations go to ``_build/observed`` (``PODNOTES_OBSERVED_DIR`` moves them): one ``<example>.json``
timeline per example, ``agreement.json`` and ``node.json`` (see :mod:`podnotes.node.overlays`). ``node.json``
also holds a digest of what the observations depend on, the examples (manifests, behaviours, durations) and
the pinned Kubernetes release, so a later build knows whether they are still current
(:func:`observations_state`). The real-node tests (``make test PYTEST_ARGS="-m node"``) write the same files.

Exit codes: 0 the observations are current (written now or earlier); 1 ``--check``: they are missing or out
of date; 2 the node could not start, or an example could not run; 5 this machine cannot run a node (the
reason is printed: not Linux, not root, binaries or Debian programs missing); 130 interrupted (Ctrl-C),
143 terminated (SIGTERM): either way the node was stopped and the host cleaned first.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import platform
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CANNOT_RUN = 5
INTERRUPTED = 128 + signal.SIGINT
TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised wherever the program is, so the node stops on the same path as Ctrl-C."""


@contextlib.contextmanager
def sigterm_stops_like_ctrl_c():
    """While inside, SIGTERM raises :class:`Terminated`; a second SIGTERM is ignored so that the node's cleanup
    (``LocalNode.stop``) runs to its end. Only the main thread can install signal handlers: elsewhere this
    does nothing."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class ObservationsState:
    """What ``folder`` holds: ``current`` observations match today's examples and pins."""

    folder: Path
    present: bool
    current: bool
    recorded_digest: str | None
    expected_digest: str

    def describe(self) -> str:
        if not self.present:
            return f"no observations in {self.folder}"
        if not self.current:
            return f"the observations in {self.folder} were recorded for other examples or another Kubernetes pin"
        return f"current observations in {self.folder}"


def examples_digest() -> str:
    """SHA-256 (16 hex digits) of every node example (name, manifest, behaviour, duration), the scenes'
    source (:mod:`podnotes.node.scenes`) and the pinned Kubernetes and etcd versions: what a set of
    observations depends on."""
    from ..cluster.binaries import pinned_versions
    from .examples import examples
    from .scenes import scenes_digest

    described = [[example.name, example.manifest, repr(example.behaviour), example.duration]
                 for example in examples()]
    text = json.dumps({"examples": described, "pins": pinned_versions(), "scenes": scenes_digest()},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def observations_state(folder: Path | None = None) -> ObservationsState:
    from .overlays import node_setup, observed_dir
    from .scenes import scene_names

    folder = folder or observed_dir()
    setup = node_setup(folder)
    present = (bool(setup) and (folder / "agreement.json").is_file()
               and all((folder / "scenes" / f"{name}.json").is_file() for name in scene_names()))
    recorded = setup.get("examples_digest")
    expected = examples_digest()
    return ObservationsState(folder, present, present and recorded == expected, recorded, expected)


def recorded_by_this_package(folder: Path | None = None) -> bool:
    """Whether ``folder`` holds current observations (:func:`observations_state`) that this very package
    recorded (the digest :func:`podnotes.book.build.package_digest` in ``node.json``): a recording the tests
    may read instead of running the same examples on the node again."""
    from ..book.build import package_digest
    from .overlays import node_setup

    state = observations_state(folder)
    return state.current and node_setup(state.folder).get("package_digest") == package_digest()


def reasons_node_cannot_run() -> list[str]:
    """Why this machine cannot run a local node, as short phrases (empty: it can).

    Honours ``PODNOTES_PRETEND_UNPRIVILEGED`` like the privileged chapters do."""
    from ..linux import machine
    from .binaries import missing_prerequisites

    if not machine.is_linux():
        return [f"this copy was built on {platform.system() or 'an unknown system'}, and a kubelet needs Linux"]
    reasons = missing_prerequisites()
    if not machine.detect().root and not any(reason.startswith("root") for reason in reasons):
        reasons.insert(0, "root (the kubelet and containerd need it)")
    return reasons


def observe(folder: Path, name: str = "podnotes-observe", progress=print) -> list:
    """Start a local node, run every example on it at once, then every scene (:mod:`podnotes.node.scenes`),
    write the observations to ``folder``, stop the node and check the host is clean. Returns the runs
    (:class:`podnotes.node.examples.ExampleRun`).

    Raises :class:`podnotes.node.NodeError` when the node cannot start or leaves something behind."""
    from .. import cluster
    from .examples import examples, run_examples
    from .localnode import LocalNode, NodeError
    from .scenes import SceneContext, run_scenes

    node = LocalNode(name)
    started = time.perf_counter()
    try:
        node.start()
        progress(f"node Ready in {time.perf_counter() - started:.1f} s")
        with cluster.open_cluster(node.name, kubeconfig=node.kubeconfig) as admin:  # noqa: SIM117 - the inner context needs the outer one
            with admin.workshop_namespace("book") as namespace:
                @contextlib.contextmanager
                def factory():
                    with cluster.open_cluster(node.name, namespace=namespace,
                                              kubeconfig=node.kubeconfig) as connected:
                        yield connected

                chosen = examples()
                progress(f"running {len(chosen)} examples at once (about {max(e.duration for e in chosen):.0f} s)")
                runs = run_examples(factory, chosen, out_dir=folder)
            run_scenes(SceneContext(node, admin, "", folder, progress))  # each scene gets its own namespace
    except BaseException:
        left = node.stop()
        if left:
            progress(f"stopping the node left things on the host: {'; '.join(left)}")
        raise
    left = node.stop()
    if left:
        raise NodeError(f"the node left things on the host: {'; '.join(left)}")
    return runs


def main(argv: list[str] | None = None) -> int:
    from .localnode import NodeError
    from .overlays import observed_dir

    parser = argparse.ArgumentParser(prog="python -m podnotes.node.observe",
                                     description="Run the book's examples on a real kubelet and keep the "
                                                 "observations the lifecycle, probes and kubectl chapters overlay.")
    parser.add_argument("--out", type=Path, help="folder for the observations (default: _build/observed)")
    parser.add_argument("--force", action="store_true", help="run even when the observations are current")
    parser.add_argument("--check", action="store_true", help="only report whether the observations are current")
    args = parser.parse_args(argv)
    folder = args.out or observed_dir()
    state = observations_state(folder)
    if args.check:
        print(state.describe())
        return 0 if state.current else 1
    if state.current and not args.force:
        print(f"observe: reusing {state.describe()}")
        return 0
    reasons = reasons_node_cannot_run()
    if reasons:
        print("observe: this machine cannot run a local node: " + "; ".join(reasons), file=sys.stderr)
        return CANNOT_RUN
    try:
        with sigterm_stops_like_ctrl_c():
            runs = observe(folder, progress=lambda line: print(f"observe: {line}", file=sys.stderr))
    except NodeError as err:
        print(f"observe: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        terminated = isinstance(err, Terminated)
        print(f"observe: {'terminated' if terminated else 'interrupted'}; the node was stopped", file=sys.stderr)
        return TERMINATED if terminated else INTERRUPTED
    failed = [run for run in runs if run.error is not None]
    for run in runs:
        if run.agreement is not None:
            print(f"observe: {run.example.name}: largest difference {run.agreement.largest_difference:.1f} s"
                  f"{'' if run.agreement.ok else ' (outside tolerance)'}", file=sys.stderr)
    for run in failed:
        print(f"observe: {run.example.name} could not run: {run.error}", file=sys.stderr)
    print(f"observe: wrote {folder}", file=sys.stderr)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
