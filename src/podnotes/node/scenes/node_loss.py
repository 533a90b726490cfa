"""The node goes away (chapter ``node-loss``): the kubelet is frozen with ``SIGSTOP`` and the control plane's
controllers act on the silence.

Two Pods run first: ``patient``, with the tolerations the DefaultTolerationSeconds admission plugin adds
(``node.kubernetes.io/not-ready`` and ``node.kubernetes.io/unreachable``, ``NoExecute``, 300 s), and ``short``,
which tolerates ``unreachable`` for 5 s only. Then the kubelet gets ``SIGSTOP``: the kernel stops scheduling
it, so it posts no status and renews no Lease, while its containers, children of containerd's shims and not of
the kubelet, keep running. ``SIGSTOP`` rather than ending the process: the kubelet keeps its state and its
connections, as a kubelet cut off by a network partition does, and ``SIGCONT`` brings the same process back
with no new start. A watch on the Node and one on the Pods record, with their arrival times, the Node's
``Ready`` condition going ``Unknown``, the ``unreachable`` taints, the Pods' ``Ready`` going False, the
taint-eviction controller deleting ``short`` and the object staying ``Terminating``; then the scene adds the
``node.kubernetes.io/out-of-service`` taint, after which the Pod garbage collector sets the terminating Pods'
phase to ``Failed`` and deletes them. Finally ``SIGCONT``, the taint removed, and the node is Ready again with
no taint, as the scene found it; an error or a SIGTERM on the way still continues the kubelet and removes the
taint (:func:`kubelet_stopped`).

Sources (kubernetes v1.37.2): ``pkg/controller/nodelifecycle/node_lifecycle_controller.go``
(``tryUpdateNodeHealth``: "Kubelet stopped posting node status."; ``doNoExecuteTaintingPass``,
``doNoScheduleTaintingPass``), ``pkg/controller/util/node/controller_utils.go`` (``MarkPodsNotReady``),
``pkg/controller/tainteviction/taint_eviction.go`` (``addConditionAndDeletePod``: DisruptionTarget,
``DeletionByTaintManager``), ``pkg/controller/podgc/gc_controller.go`` (``gcTerminating``,
``markFailedAndDeletePodWithCondition``), ``plugin/pkg/admission/defaulttolerationseconds``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from ...cluster.watching import BackgroundWatches
from ..runtime import running_tasks

NAME = "node-loss"  # a namespace name is made of it: no underscore
IMAGE = "registry.k8s.io/busybox:1.27.2"
SHORT_TOLERATION = 5  # seconds: tolerationSeconds of the Pod short for node.kubernetes.io/unreachable
GRACE = 3  # terminationGracePeriodSeconds of both Pods: the deletionTimestamp passes within the scene
OUT_OF_SERVICE = {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}
PAST_DEADLINE = 2.0  # seconds the scene waits past short's deletionTimestamp before the out-of-service taint
NOT_READY_TIMEOUT = 60.0
COLLECT_TIMEOUT = 50.0  # the Pod garbage collector runs every 20 s (gcCheckPeriod)
READY_TIMEOUT = 60.0


def pods() -> list[dict]:
    """The scene's two Pods, as created (the admission plugin adds the rest of the tolerations)."""
    def pod(name: str, **spec) -> dict:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"terminationGracePeriodSeconds": GRACE, "dnsPolicy": "Default", **spec,
                         "containers": [{"name": "app", "image": IMAGE, "command": ["sleep", "3600"]}]}}

    return [pod("patient"),
            pod("short", tolerations=[{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                       "effect": "NoExecute", "tolerationSeconds": SHORT_TOLERATION}])]


def observe(context) -> dict:
    from ...cluster import wait_for
    from ...cluster.binaries import find_client, missing_client_reason
    from .debugging import Kubectl

    program = find_client("kubectl")
    if program is None:
        raise RuntimeError(missing_client_reason("kubectl"))
    admin, node = context.admin, context.node
    made = pods()
    with tempfile.TemporaryDirectory(prefix="podnotes-nodeloss-") as work:
        kubectl = Kubectl(program, node.kubeconfig, node.context, context.namespace, Path(work))
        try:
            baseline = set(running_tasks(node.containerd))  # other Pods' containers, if any, are not the scene's
            for pod in made:
                admin.create(pod)
            for pod in made:
                wait_for(admin, pod["metadata"]["name"], "Ready", timeout=60, progress=False)
            with witness_node(admin):
                return _record(context, kubectl, made, baseline)
        finally:
            for pod in made:
                admin.force_delete(pod, ignore_not_found=True)
            if not isinstance(sys.exc_info()[1], KeyboardInterrupt):  # Ctrl-C or SIGTERM: the node stops anyway
                _until(node._node_ready, READY_TIMEOUT, "the node Ready and without taints")


def _record(context, kubectl, made: list[dict], baseline: set[str]) -> dict:
    admin, node = context.admin, context.node
    record: dict = {"settings": _settings(node), "steps": []}
    record["tolerations"] = {p["metadata"]["name"]: admin.get("Pod", p["metadata"]["name"])["spec"]["tolerations"]
                             for p in made}
    watchers = _Watchers(context)

    def own() -> set[str]:
        """The scene's containers (two pause sandboxes, two sleeps): those the node runs beyond ``baseline``;
        an earlier scene's Pods may still be stopping."""
        return set(running_tasks(node.containerd)) - baseline

    watchers.start()
    try:
        _step(record, kubectl, "before", None)
        record["tasks_before"] = len(own())
        record["last_renewal"] = _last_renewal(admin, node.node_name)
        with kubelet_stopped(node) as stopped:
            record["stopped_at"] = stopped.at
            record["kubelet_state"] = _process_state(stopped.pid)
            _until(lambda: _node_ready_status(admin, node.node_name) == "Unknown", NOT_READY_TIMEOUT,
                   "the Node's Ready condition Unknown")
            _until(lambda: all(_pod_ready(admin, p["metadata"]["name"]) == "False" for p in made), 15,
                   "both Pods' Ready False")
            record["tasks_while_stopped"] = len(own())
            record["kubelet_state_while_stopped"] = _process_state(stopped.pid)
            _step(record, kubectl, "not ready", stopped.at)
            _until(lambda: _deletion_time(admin, "short") is not None, SHORT_TOLERATION + 20, "short evicted")
            _step(record, kubectl, "evicted", stopped.at)
            deadline = _deletion_time(admin, "short") or time.time()  # set: the wait above saw it
            time.sleep(max(0.0, deadline + PAST_DEADLINE - time.time()))
            record["past_deadline"] = {"exists": admin.exists("Pod", "short"),
                                       "seconds_past": round(time.time() - deadline, 1)}
            _step(record, kubectl, "past its deadline", stopped.at)
            record["out_of_service_at"] = time.time()
            _taint(admin, node.node_name, add=True)
            _until(lambda: not any(admin.exists("Pod", p["metadata"]["name"]) for p in made), COLLECT_TIMEOUT,
                   "the Pods collected")
            _step(record, kubectl, "collected", stopped.at)
            record["tasks_before_resume"] = len(own())
        record["resumed_at"] = stopped.resumed
        _until(lambda: not own(), 30,
               "the kubelet stopping the deleted Pods' containers")
        record["tasks_gone_at"] = time.time()
        _until(node._node_ready, READY_TIMEOUT, "the node Ready and without taints")
        record["ready_again_at"] = time.time()
        _step(record, kubectl, "back", stopped.at)
    finally:
        watchers.stop()
    record["node_changes"] = watchers.node_changes
    record["pod_changes"] = watchers.pod_changes
    record["events"] = [_event(e) for e in admin.list("Event")]
    return record


def _settings(node) -> dict:
    from ..localnode import NODE_MONITOR_GRACE_PERIOD

    return {"node_monitor_grace_period": NODE_MONITOR_GRACE_PERIOD, "short_toleration": SHORT_TOLERATION,
            "grace": GRACE}


def _step(record: dict, kubectl, step: str, since: float | None) -> None:
    """What ``kubectl get pods`` (and ``get nodes``) print now, with the time since the kubelet stopped."""
    at = time.time()
    runs = [kubectl("get", "pods"), kubectl("get", "nodes")]
    record["steps"].append({"step": step, "after_stop": None if since is None else round(at - since, 1),
                            "runs": runs})


WITNESS = "podnotes-witness"
WITNESS_RENEWAL = 5.0  # seconds between the witness's Lease renewals (a kubelet's: 10 s)


@contextlib.contextmanager
def witness_node(admin):
    """While inside, a second Node, ``podnotes-witness``, Ready and unschedulable, whose Lease a thread renews
    every 5 s as a kubelet would. With every Node of a zone NotReady the node lifecycle controller enters
    "master disruption mode" (``handleDisruption``, ``ComputeZoneState``): it takes the control plane, not the
    nodes, for the culprit, removes the ``NoExecute`` taints and evicts nothing. One Ready Node keeps the zone
    ``Normal``, as the other nodes of a real cluster do. The Node and its Lease are deleted on the way out."""
    from kubernetes import client

    leases = client.CoordinationV1Api(admin.api_client)
    now = _micro_time()
    second = now[:19] + "Z"
    admin.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": WITNESS}, "spec": {"unschedulable": True},
                  "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                             "message": "the scene renews this Node's Lease",
                                             "lastHeartbeatTime": second, "lastTransitionTime": second}]}})
    stop = threading.Event()
    renewing = threading.Thread(target=_renew_lease, args=(leases, stop), daemon=True)
    try:
        leases.create_namespaced_lease("kube-node-lease", {
            "metadata": {"name": WITNESS}, "spec": {"holderIdentity": WITNESS, "leaseDurationSeconds": 40,
                                                    "renewTime": now}})
        renewing.start()
        yield WITNESS
    finally:
        stop.set()
        if renewing.is_alive():
            renewing.join(10)
        with contextlib.suppress(Exception):
            leases.delete_namespaced_lease(WITNESS, "kube-node-lease")
        with contextlib.suppress(Exception):
            admin.core().delete_node(WITNESS)


def _renew_lease(leases, stop: threading.Event) -> None:
    while not stop.wait(WITNESS_RENEWAL):
        with contextlib.suppress(Exception):  # a missed renewal is retried 5 s later, well within 20 s
            leases.patch_namespaced_lease(WITNESS, "kube-node-lease", {"spec": {"renewTime": _micro_time()}})


def _micro_time() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Stopped:
    def __init__(self, pid: int):
        self.pid = pid
        self.at = time.time()
        self.resumed: float | None = None


@contextlib.contextmanager
def kubelet_stopped(node):
    """While inside, the node's kubelet is stopped with ``SIGSTOP``; on the way out, whatever happened
    (an error, Ctrl-C, SIGTERM turned into an exception), ``SIGCONT`` and the out-of-service taint removed,
    so the node comes back. Yields the stop's pid and time (``time.time()``); ``resumed`` is set on exit."""
    found = node._find("kubelet")
    if found is None or found.process.poll() is not None:
        raise RuntimeError("the node's kubelet is not running")
    stopped = _Stopped(found.process.pid)
    os.kill(stopped.pid, signal.SIGSTOP)
    try:
        # The kernel stops every thread of the process on its way back to user space: a moment, not at once.
        _until(lambda: _process_state(stopped.pid) == "T", 5, "the kubelet stopped", interval=0.01)
        yield stopped
    finally:
        os.kill(stopped.pid, signal.SIGCONT)
        stopped.resumed = time.time()
        with contextlib.suppress(Exception):
            _taint(_admin_core(node), node.node_name, add=False)


def _admin_core(node):
    from ...cluster import api

    return _CoreOnly(api.core_v1(node.api_client()))


class _CoreOnly:
    """What :func:`_taint` needs of an admin connection, from a bare CoreV1Api."""

    def __init__(self, core):
        self._core = core

    def core(self):
        return self._core


def _taint(admin, node_name: str, add: bool) -> None:
    """Add or remove the out-of-service taint, keeping the node's other taints: what
    ``kubectl taint nodes NODE node.kubernetes.io/out-of-service=nodeshutdown:NoExecute[-]`` does."""
    core = admin.core()
    current = core.api_client.sanitize_for_serialization(core.read_node(node_name).spec.taints or [])
    taints = [t for t in current if t["key"] != OUT_OF_SERVICE["key"]]
    if add:
        taints.append(OUT_OF_SERVICE)
    core.patch_node(node_name, {"spec": {"taints": taints}})


def _last_renewal(admin, node_name: str) -> float | None:
    """When the kubelet last told the control plane it is alive, as seconds since the epoch: the later of its
    Lease's ``renewTime`` (``kube-node-lease``) and its Ready condition's ``lastHeartbeatTime``; the node
    lifecycle controller counts from either (``tryUpdateNodeHealth``). None when neither is there."""
    from kubernetes import client

    from ...cluster import api
    from ...cluster.watching import parse_time

    found = []
    try:
        lease = client.CoordinationV1Api(admin.api_client).read_namespaced_lease(node_name, "kube-node-lease")
        if lease.spec is not None and lease.spec.renew_time:
            found.append(lease.spec.renew_time.timestamp())
    except Exception as err:
        if not api.is_api_error(err):
            raise
    node = admin.get("Node", node_name)
    ready: dict = next((c for c in node["status"].get("conditions") or [] if c["type"] == "Ready"), {})
    beat = parse_time(ready.get("lastHeartbeatTime"))
    if beat is not None:
        found.append(beat)
    return max(found, default=None)


def _process_state(pid: int) -> str:
    """The state letter of /proc/PID/stat: ``T`` stopped by a signal, ``S`` sleeping, ``R`` running."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _node_ready_status(admin, node_name: str) -> str | None:
    node = admin.get("Node", node_name)
    return next((c["status"] for c in node["status"].get("conditions") or [] if c["type"] == "Ready"), None)


def _pod_ready(admin, name: str) -> str | None:
    try:
        pod = admin.get("Pod", name)
    except Exception:
        return None
    return next((c["status"] for c in pod["status"].get("conditions") or [] if c["type"] == "Ready"), None)


def _deletion_time(admin, name: str) -> float | None:
    from ...cluster.watching import parse_time

    try:
        return parse_time(admin.get("Pod", name)["metadata"].get("deletionTimestamp"))
    except Exception:
        return None


def _event(event: dict) -> dict:
    involved = event.get("involvedObject") or {}
    return {"kind": involved.get("kind"), "name": involved.get("name"), "reason": event.get("reason"),
            "message": event.get("message"), "source": (event.get("source") or {}).get("component")
            or event.get("reportingComponent"), "last": event.get("lastTimestamp") or event.get("eventTime")}


def _until(condition, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


class _Watchers(BackgroundWatches):
    """A watch on the node's Node object and one on the scene's Pods; each change is kept with its arrival
    time as the few fields the chapter reads (:func:`podnotes.node.nodeloss.node_state`, ``pod_state``)."""

    def __init__(self, context):
        self.context = context
        self.node_changes: list[dict] = []
        self.pod_changes: list[dict] = []
        super().__init__(self._nodes, self._pods)

    def _nodes(self) -> None:
        from ...nodeloss import node_state

        def on_change(kind, obj, at):
            if (obj.get("metadata") or {}).get("name") == self.context.node.node_name:
                self.node_changes.append({"at": at, **node_state(obj)})

        with self._connection() as connected:
            self.stream(connected.core().list_node, on_change)

    def _pods(self) -> None:
        from ...nodeloss import pod_state

        def on_change(kind, obj, at):
            self.pod_changes.append({"at": at, "type": kind, **pod_state(obj)})

        with self._connection() as connected:
            self.stream(connected.core().list_namespaced_pod, on_change, self.context.namespace)

    def _connection(self):
        from ... import cluster

        node = self.context.node
        return cluster.open_cluster(node.name, namespace=self.context.namespace, kubeconfig=node.kubeconfig)
