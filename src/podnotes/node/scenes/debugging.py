"""Broken Pods on purpose, and what the API server and the kubelet tell about each (chapter ``debugging``).

Five Pods start at once: ``crash`` exits 1 at every start (``CrashLoopBackOff``), ``unhealthy`` fails its
liveness probe (``Unhealthy``, ``Killing``, ``BackOff``), ``no-image`` names an image on 127.0.0.1 at a
port bound by this scene but never listening, so every pull is refused on loopback at once (``ErrImagePull``
then ``ImagePullBackOff``; nothing leaves the host), ``needs-config`` and ``needs-secret`` take an
environment variable from a ConfigMap key and a Secret that are missing (``CreateContainerConfigError``),
and ``target`` runs. Then, as the kubectl commands of the chapter would: the Pods' table and Events,
``logs --previous``, ``exec`` (``ps`` in the target), two ephemeral containers targeting ``target``'s app
container (``kubectl debug --target``), one as root and one as user 1000, and the missing key is added to
see the kubelet start ``needs-config`` without any change to the Pod.

Sources (kubernetes v1.37.2): ``pkg/kubelet/images/image_manager.go`` (``ErrImagePull``,
``ImagePullBackOff``, events ``Pulling``/``Failed``/``BackOff``), ``pkg/kubelet/kuberuntime/
kuberuntime_container.go`` (``CreateContainerConfigError``, event ``Failed`` "Error: …"),
``kuberuntime_manager.go`` (``doBackOff``: ``CrashLoopBackOff``, "Back-off restarting failed container"),
``pkg/kubelet/prober/prober.go`` (``Unhealthy``), ``pkg/kubelet/kubelet_pods.go`` (``makeEnvironmentVariables``:
"couldn't find key …", ``secret "…" not found``).
"""

from __future__ import annotations

import contextlib
import socket
import time

from ...cluster.describe import describe_pod, waiting_reason
from ...cluster.tables import pod_table

NAME = "debugging"
IMAGE = "registry.k8s.io/busybox:1.27.2"
SETTLE_SECONDS = 60.0
FIX_SECONDS = 40.0
MARKER = "/tmp/only-in-app"
DEBUG_SCRIPT = (f"ps; echo '--- {MARKER} through /proc/1/root:'; cat /proc/1/root{MARKER}; "
                f"echo '--- {MARKER} in my own file system:'; cat {MARKER}; true")


def _pod(name: str, container: dict, **spec) -> dict:
    # dnsPolicy Default: the node runs no cluster DNS, and ClusterFirst would add a MissingClusterDNS
    # warning to every Pod's Events that says nothing about what each Pod shows.
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 2, "dnsPolicy": "Default", **spec,
                     "containers": [{"name": "app", "image": IMAGE, **container}]}}


def broken_pods(unreachable_registry: str) -> list[dict]:
    """The scene's Pods; ``unreachable_registry`` is ``127.0.0.1:PORT`` where nothing listens."""
    return [
        _pod("crash", {"command": ["sh", "-c", "echo 'reading /config/app.conf'; "
                                   "echo 'app: /config/app.conf: no such file' >&2; exit 1"]}),
        _pod("unhealthy", {
            "command": ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600"],
            "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 2,
                              "failureThreshold": 1}}),
        _pod("no-image", {"image": f"{unreachable_registry}/podnotes/missing:1.0"}),
        _pod("needs-config", {"command": ["sh", "-c", "echo level=$LEVEL; sleep 3600"], "env": [
            {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}}]}),
        _pod("needs-secret", {"command": ["sleep", "3600"], "env": [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-token", "key": "token"}}}]}),
        _pod("target", {"command": ["sh", "-c", f"echo 'written by the app' > {MARKER}; exec sleep 3600"]}),
    ]


SETTINGS = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"colour": "blue"}}


def debug_containers() -> list[dict]:
    """What ``kubectl debug -it target --image=busybox --target=app`` adds, as root and as user 1000."""
    return [{"name": name, "image": IMAGE, "targetContainerName": "app", "command": ["sh", "-c", DEBUG_SCRIPT],
             **({"securityContext": {"runAsUser": 1000, "runAsGroup": 1000}} if user else {})}
            for name, user in (("debugger", None), ("debugger-1000", 1000))]


@contextlib.contextmanager
def unreachable_registry():
    """``127.0.0.1:PORT`` bound by this process and never listening: a connection there is refused at once,
    and no other program can start listening on it while the scene runs."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{holder.getsockname()[1]}"
    finally:
        holder.close()


def conditions_met(pods: dict[str, dict], events: list[dict]) -> set[str]:
    """Which of the states the chapter shows hold in this snapshot: ``crash``, ``no-image``,
    ``needs-config``, ``needs-secret``, ``unhealthy`` (Unhealthy, Killing and BackOff recorded), ``target``."""
    def reason(name: str) -> str | None:
        return waiting_reason(pods.get(name) or {})

    restarts = sum(s.get("restartCount", 0) for s in ((pods.get("crash") or {}).get("status") or {})
                   .get("containerStatuses") or [])
    recorded = {f"{(e.get('involvedObject') or {}).get('name')}/{e.get('reason')}" for e in events}
    met = {name for name, wanted in (("no-image", "ImagePullBackOff"), ("needs-config", CONFIG_ERROR),
                                     ("needs-secret", CONFIG_ERROR)) if reason(name) == wanted}
    if reason("crash") == "CrashLoopBackOff" and restarts >= 2:
        met.add("crash")
    if {"unhealthy/Killing", "unhealthy/BackOff", "unhealthy/Unhealthy"} <= recorded:
        met.add("unhealthy")
    if ((pods.get("target") or {}).get("status") or {}).get("phase") == "Running":
        met.add("target")
    return met


EXPECTED = {"crash", "no-image", "needs-config", "needs-secret", "unhealthy", "target"}
CONFIG_ERROR = "CreateContainerConfigError"


def observe(context) -> dict:
    admin, namespace = context.admin, context.namespace
    core = admin.core()
    record: dict = {"namespace": namespace}
    with unreachable_registry() as registry:
        record["registry"] = registry
        made = broken_pods(registry)
        admin.create(SETTINGS, namespace=namespace)
        for pod in made:
            admin.create(pod, namespace=namespace)
        try:
            record.update(_watch_and_diagnose(context.node, admin, core, namespace))
        finally:
            for pod in made:
                admin.force_delete(pod, namespace=namespace, ignore_not_found=True)
            admin.delete(SETTINGS, namespace=namespace, ignore_not_found=True)
            record["left_pods"] = _wait_until_no_pods(admin, namespace)
    return record


def _snapshot(admin, namespace: str) -> tuple[dict[str, dict], list[dict]]:
    pods = {p["metadata"]["name"]: p for p in admin.list("Pod", namespace=namespace)}
    return pods, admin.list("Event", namespace=namespace)


def _watch_and_diagnose(node, admin, core, namespace: str) -> dict:
    # Every state but crash's lasts once reached; crash is caught while it waits out a back-off, when
    # `kubectl logs --previous` reads the run that just crashed.
    started = time.monotonic()
    while True:
        pods, events = _snapshot(admin, namespace)
        met = conditions_met(pods, events)
        if met == EXPECTED or time.monotonic() - started > SETTLE_SECONDS:
            break
        time.sleep(1.0)
    now = time.time()
    found: dict = {
        "settled_after": round(time.monotonic() - started, 1), "met": sorted(met),
        "get_pods": pod_table(sorted(pods.values(), key=lambda p: p["metadata"]["name"]), now=now),
        "pods": pods, "events": events, "taken_at": now,
        "describe": {name: describe_pod(pod, events, now) for name, pod in pods.items()},
    }
    found["logs"] = {
        "crash --previous": _log(core, "crash", namespace, previous=True),
        "crash": _log(core, "crash", namespace),
        "needs-config": _log(core, "needs-config", namespace),
        "no-image": _log(core, "no-image", namespace),
    }
    found["exec_ps"] = _exec(node, namespace, "target", ["ps"])
    found["debug"] = _debug(admin, core, namespace)
    found["fix"] = _add_missing_key(admin, namespace)
    return found


def _log(core, pod: str, namespace: str, container: str = "app", previous: bool = False) -> dict:
    """The log as ``kubectl logs [--previous]`` reads it, or the API server's refusal."""
    from ...cluster import api

    try:
        return {"text": core.read_namespaced_pod_log(pod, namespace, container=container, previous=previous)}
    except Exception as err:
        if not api.is_api_error(err):
            raise
        status = api.status_of(err)
        return {"error": status.get("message", str(err)), "code": status.get("code")}


def _exec(node, namespace: str, pod: str, command: list[str]) -> str:
    """``kubectl exec POD -- COMMAND``: stdout and stderr through the API server's exec subresource, over a
    WebSocket the official client opens with the node's own kubeconfig (its API server is on loopback)."""
    from kubernetes.stream import stream

    from ...cluster import api

    core = api.core_v1(node.api_client())
    return stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=command, container="app",
                  stderr=True, stdin=False, stdout=True, tty=False)


def _debug(admin, core, namespace: str, timeout: float = 30.0) -> dict:
    """Add both ephemeral containers through the ``ephemeralcontainers`` subresource, as kubectl debug does,
    and read what each printed."""
    body = {"spec": {"ephemeralContainers": debug_containers()}}
    core.patch_namespaced_pod_ephemeralcontainers("target", namespace, body)
    names = [c["name"] for c in debug_containers()]
    deadline = time.monotonic() + timeout
    states: dict[str, dict] = {}
    while time.monotonic() < deadline:
        pod = admin.get("Pod", "target", namespace=namespace)
        states = {s["name"]: s.get("state") or {}
                  for s in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []}
        if all("terminated" in states.get(name, {}) for name in names):
            break
        time.sleep(0.5)
    target = admin.get("Pod", "target", namespace=namespace)
    return {"states": states, "spec": (target.get("spec") or {}).get("ephemeralContainers"),
            "logs": {name: _log(core, "target", namespace, container=name) for name in names}}


def _add_missing_key(admin, namespace: str) -> dict:
    """Add ``level`` to ConfigMap settings and time how long the kubelet takes to start needs-config."""
    before = admin.get("Pod", "needs-config", namespace=namespace)
    admin.replace({**SETTINGS, "data": {**SETTINGS["data"], "level": "debug"}}, namespace=namespace)
    added = time.monotonic()
    pod = before
    while time.monotonic() - added < FIX_SECONDS:
        pod = admin.get("Pod", "needs-config", namespace=namespace)
        if (pod.get("status") or {}).get("phase") == "Running":
            break
        time.sleep(0.5)
    running = (pod.get("status") or {}).get("phase") == "Running"
    return {"running": running, "seconds": round(time.monotonic() - added, 1) if running else None,
            "same_uid": pod["metadata"]["uid"] == before["metadata"]["uid"],
            "restart_count": sum(s.get("restartCount", 0) for s in
                                 (pod.get("status") or {}).get("containerStatuses") or []),
            "log": _log(admin.core(), "needs-config", namespace) if running else None}


def _wait_until_no_pods(admin, namespace: str, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p["metadata"]["name"] for p in admin.list("Pod", namespace=namespace)]
        if not left:
            return []
        time.sleep(0.5)
    return left
