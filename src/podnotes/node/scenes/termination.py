"""The termination sequence on the real node: six Pods deleted at once (a preStop sleep and a plain Pod behind
one Service, a program that ignores SIGTERM, a sidecar pair, a force deletion, a finalizer), with when each
program got SIGTERM and ended, when its EndpointSlice entry changed, when the object went, and the simulator's
prediction of each. The parts that need no node are in :mod:`podnotes.node.termination`."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time

from ...cluster.watching import BackgroundWatches

NAME = "termination"
OBSERVE_SECONDS = 45.0  # from the creations: Ready by ~10 s, deleted 5 s later, the finalizer released 12 s later
RUN_BEFORE_DELETION = 5.0  # seconds Ready before the deletion: longer than a status blip (agreement.SYNC_LATENCY)


def observe(context) -> dict:
    from ..termination import SERVICE, cases, with_records_dir

    folder = context.node.workdir / "termination-records"
    folder.mkdir(mode=0o755, exist_ok=True)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": SERVICE},
               "spec": {"selector": {"app": SERVICE}, "ports": [{"port": 80, "targetPort": 8080}]}}
    chosen = cases()
    manifests = {case.name: with_records_dir(case.manifest, str(folder)) for case in chosen}
    try:
        context.admin.create(service)
        return _run(context, chosen, manifests, folder)
    finally:
        _clean(context, manifests, service)
        _remove_records(folder)


def _remove_records(folder, timeout: float = 20.0) -> None:
    """Remove the records folder. A force-deleted Pod's object is gone at once while its container still
    runs on the node for its 2 s minimum (and writes its heartbeat), so removing once can race with it."""
    deadline = time.monotonic() + timeout
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def _run(context, chosen, manifests, folder) -> dict:
    watchers = _Watchers(context)
    watchers.start()
    try:
        return _delete_and_record(context, chosen, manifests, folder, watchers)
    finally:
        watchers.stop()  # also when the scene fails: no watch outlives it


def _delete_and_record(context, chosen, manifests, folder, watchers) -> dict:
    from ...cluster import wait_for
    from ..termination import FINALIZER_HELD, wall_clock_offset

    admin, namespace = context.admin, context.namespace
    observers = {}
    for case in chosen:
        admin.create(manifests[case.name])
        observers[case.name] = _Observer(context, case.name)
        observers[case.name].start()
    for case in chosen:
        wait_for(admin, case.name, "Ready", timeout=60, progress=False)
    _until(lambda: sum(state[0] for state in watchers.endpoints_now().values()) == 2, 30,
           "both web Pods ready in the EndpointSlice")
    time.sleep(RUN_BEFORE_DELETION)
    deleted: dict[str, float] = {}
    gone_at_once: dict[str, bool] = {}
    for case in chosen:
        deleted[case.name] = time.time()
        admin.delete(manifests[case.name], grace_period=case.delete_grace)
        gone_at_once[case.name] = not admin.exists("Pod", case.name)
    finalized = next(case.name for case in chosen if case.finalizer)
    _until(lambda: _phase(admin, finalized) in ("Succeeded", "Failed"), 30, "the finalized Pod terminal")
    held = {"phase": _phase(admin, finalized), "exists": admin.exists("Pod", finalized),
            "seconds_after_deletion": round(time.time() - deleted[finalized], 1)}
    time.sleep(max(0.0, deleted[finalized] + FINALIZER_HELD - time.time()))
    released = time.time()
    admin.core().patch_namespaced_pod(finalized, namespace, {"metadata": {"finalizers": None}})
    for observer in observers.values():
        observer.join(OBSERVE_SECONDS + 15)
    watchers.stop()  # every change is in; _run stops them again on error
    boot_offset = wall_clock_offset()
    events = admin.list("Event")  # Killing Events outlive their Pods: a force-deleted one's included
    return {
        "pods": [_result(case, observers[case.name], deleted[case.name], watchers, folder, boot_offset, events)
                 for case in chosen],
        "gone_at_once": gone_at_once,
        "finalizer": {**held, "released_after_deletion": round(released - deleted[finalized], 1)},
        "endpoints": watchers.endpoint_changes(deleted),
    }


def _result(case, observer, deleted: float, watchers, folder, boot_offset: float, events: list[dict]) -> dict:
    from ...probes import simulate
    from ..agreement import compare
    from ..termination import killing_events, observed_with_records, parse_record

    if observer.error is not None:
        raise observer.error
    programs = {}
    for container in (c["name"] for key in ("initContainers", "containers")
                      for c in case.manifest["spec"].get(key) or []):
        path = folder / f"{case.name}-{container}"
        programs[container] = parse_record(path.read_text() if path.is_file() else "")
    created = watchers.created[case.name]
    removed = watchers.removed.get(case.name)
    observed = observed_with_records(observer.timeline, created, deleted, removed, programs, boot_offset,
                                     killing_events(events, case.name, created))
    first_start = min(event.time for event in observed.select("start"))
    delete_at = round(deleted - created - first_start, 3)
    simulated = simulate(case.manifest, case.behaviour(delete_at), duration=round(observed.duration - first_start + 2))
    agreement = compare(case.name, simulated, observed)
    marked = watchers.deletion_timestamps.get(case.name)
    return {
        "name": case.name, "delete_grace": case.delete_grace, "delete_at": delete_at, "offset": agreement.offset,
        "deleted": round(deleted - created, 3),
        "deletion_timestamp_after_request": None if marked is None else round(marked - deleted, 1),
        "observed": observed.to_dict(), "simulated": simulated.to_dict(),
        "rows": [{"what": r.what, "simulated": r.simulated, "observed": r.observed, "difference": r.difference,
                  "tolerance": r.tolerance, "agrees": r.agrees} for r in agreement.rows],
        "simulated_phase": agreement.simulated_phase, "observed_phase": agreement.observed_phase,
    }


class _Observer(threading.Thread):
    """podnotes.cluster.observe for one Pod, on its own connection."""

    def __init__(self, context, pod: str):
        super().__init__(daemon=True)
        self.context, self.pod = context, pod
        self.timeline = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from ... import cluster

        node = self.context.node
        try:
            with cluster.open_cluster(node.name, namespace=self.context.namespace,
                                      kubeconfig=node.kubeconfig) as connected:
                self.timeline = cluster.observe(connected, self.pod, OBSERVE_SECONDS)
        except BaseException as err:  # reported by the scene
            self.error = err


class _Watchers(BackgroundWatches):
    """Two watches on the scene's namespace: the Pods (when each got its deletionTimestamp, when it went)
    and the Service's EndpointSlices (each Pod address's ready, serving and terminating), stamped on arrival."""

    def __init__(self, context):
        self.context = context
        self.removed: dict[str, float] = {}
        self.deletion_timestamps: dict[str, float] = {}
        self.created: dict[str, float] = {}
        self.changes: list[tuple[float, str, tuple[bool, bool, bool] | None]] = []
        self._current: dict[str, tuple[bool, bool, bool]] = {}
        self._lock = threading.Lock()
        super().__init__(self._pods, self._slices)

    def endpoints_now(self) -> dict[str, tuple[bool, bool, bool]]:
        with self._lock:
            return dict(self._current)

    def endpoint_changes(self, deleted: dict[str, float]) -> list[dict]:
        """Each change of a web Pod's EndpointSlice entry, in seconds after that Pod's deletion."""
        found = []
        for at, pod, state in self.changes:
            if pod not in deleted:
                continue
            entry = {"pod": pod, "after_deletion": round(at - deleted[pod], 2)}
            entry.update({"in_slice": False} if state is None else
                         {"in_slice": True, "ready": state[0], "serving": state[1], "terminating": state[2]})
            found.append(entry)
        return found

    def _pods(self) -> None:
        from ...cluster.watching import parse_time

        def on_change(kind, obj, at):
            meta = obj.get("metadata") or {}
            name = meta.get("name")
            with self._lock:
                self.created.setdefault(name, parse_time(meta.get("creationTimestamp")) or at)
                if meta.get("deletionTimestamp"):
                    self.deletion_timestamps.setdefault(name, parse_time(meta["deletionTimestamp"]))
                if kind == "DELETED":
                    self.removed.setdefault(name, at)

        with self._connection() as connected:
            self.stream(connected.core().list_namespaced_pod, on_change, self.context.namespace)

    def _slices(self) -> None:
        from kubernetes import client

        from ..termination import endpoint_states

        def on_change(kind, obj, at):
            states = {} if kind == "DELETED" else endpoint_states([obj])
            with self._lock:
                for pod in sorted(set(states) | set(self._current)):
                    new = states.get(pod)
                    if new != self._current.get(pod):
                        self.changes.append((at, pod, new))
                self._current = states

        with self._connection() as connected:
            self.stream(client.DiscoveryV1Api(connected.api_client).list_namespaced_endpoint_slice, on_change,
                        self.context.namespace)

    def _connection(self):
        """A connection of the watch's own: a long-lived watch must not hold the admin connection's pool."""
        from ... import cluster

        node = self.context.node
        return cluster.open_cluster(node.name, namespace=self.context.namespace, kubeconfig=node.kubeconfig)


def _phase(admin, pod: str) -> str | None:
    try:
        return (admin.get("Pod", pod).get("status") or {}).get("phase")
    except Exception:
        return None


def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def _clean(context, manifests: dict[str, dict], service: dict) -> None:
    """Whatever the scene left: finalizers removed, Pods removed at once, the Service deleted."""
    admin = context.admin
    for name, manifest in manifests.items():
        with contextlib.suppress(Exception):
            if admin.exists("Pod", name):
                admin.core().patch_namespaced_pod(name, context.namespace, {"metadata": {"finalizers": None}})
                admin.force_delete(manifest, ignore_not_found=True)
    with contextlib.suppress(Exception):
        admin.delete(service, ignore_not_found=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_exists(admin, name) for name in manifests):
        time.sleep(0.5)


def _exists(admin, name: str) -> bool:
    try:
        return admin.exists("Pod", name)
    except Exception:
        return False
