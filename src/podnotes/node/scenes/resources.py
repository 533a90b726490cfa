"""Resources on the real node: the cgroups and values the kubelet writes per QoS class, a real OOM kill,
``oom_score_adj`` per class, an in-place resize through the ``resize`` subresource, and Pod-level resources.

Six Pods start at once (busybox, stand-in images of :mod:`podnotes.images`). For each running one the
scene reads, on the host, ``/proc/<pid>/cgroup`` of the container's process and of its Pod's pause
process, the kubelet's files at the container, Pod and QoS levels (:mod:`podnotes.node.podcgroups`) and
``/proc/<pid>/oom_score_adj``. Then it resizes two Pods (``PATCH pods/<name>/resize``, stable since 1.35:
``InPlacePodVerticalScaling`` GA and locked on in pkg/features/kube_features.go at v1.37.2), one with the
default ``resizePolicy`` (``NotRequired``) and one whose memory says ``RestartContainer``, and reads the
files again. One Pod allocates memory without end under a 32 MiB limit until the kernel kills it. One
writes 32 MiB into its container's writable layer under an ``ephemeral-storage`` limit of 8 MiB until the
kubelet's eviction manager evicts it: the local-storage check (``localStorageEviction`` in
pkg/kubelet/eviction/eviction_manager.go, run at every ``synchronize``, every 10 s, whenever
LocalStorageCapacityIsolation is on), not a node-pressure signal such as ``memory.available``; the usage
comes from the runtime's container stats (containerd refreshes a writable layer's usage every 10 s).
Everything the scene made is deleted before it returns.
"""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path

from .. import podcgroups
from ..runtime import ctr

NAME = "resources"
IMAGE = "registry.k8s.io/busybox:1.27.2"
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
# busybox awk doubles a string for ever: the pages it touches are charged to the container's memory cgroup.
MEMORY_HOG = ["awk", 'BEGIN { s = "x"; while (1) s = s s }']
WAIT_SECONDS = 60.0

GUARANTEED = {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "64Mi"}}
# Memory requests of a GiB: large enough that the kubelet's OOM score formula gives visibly different
# scores on a node of tens of GiB; requests only book memory, nothing here uses it.
BURSTABLE = {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}}
BURSTABLE_RESIZED = {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"cpu": "800m", "memory": "3Gi"}}
RESTARTING = {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}}
RESTARTING_RESIZED = {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "96Mi"}}
POD_LEVEL = {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}}
OOM_LIMIT = {"limits": {"memory": "32Mi"}}
STORAGE_LIMIT = {"limits": {"ephemeral-storage": "8Mi"}}
# 32 MiB of zeros into the container's own file system (its writable layer), then it waits to be evicted.
STORAGE_HOG = ["sh", "-c", "dd if=/dev/zero of=/fill bs=1M count=32 && sleep 3600"]
EVICTION_SECONDS = 60.0  # containerd's stats period (10 s) + the eviction manager's (10 s), with slack


def _container(name: str, resources: dict | None = None, command: list[str] = SLEEPER, **extra) -> dict:
    container = {"name": name, "image": IMAGE, "command": command, **extra}
    if resources is not None:
        container["resources"] = copy.deepcopy(resources)
    return container


def _pod(name: str, containers: list[dict], **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"podnotes.io/scene": NAME}},
            "spec": {"terminationGracePeriodSeconds": 2, "containers": containers, **spec}}


def manifests() -> dict[str, dict]:
    """The scene's Pods by name, as sent to the API server."""
    return {
        "guaranteed": _pod("guaranteed", [_container("app", GUARANTEED)]),
        "burstable": _pod("burstable", [_container("app", BURSTABLE)]),
        "besteffort": _pod("besteffort", [_container("app")]),
        "pod-level": _pod("pod-level", [_container("app", {"requests": {"memory": "512Mi"}}),
                                        _container("helper")], resources=copy.deepcopy(POD_LEVEL)),
        "resize-restart": _pod("resize-restart", [_container(
            "app", RESTARTING, resizePolicy=[{"resourceName": "memory", "restartPolicy": "RestartContainer"}])]),
        "oom": _pod("oom", [_container("hog", OOM_LIMIT, command=MEMORY_HOG)]),
        "evicted": _pod("evicted", [_container("writer", STORAGE_LIMIT, command=STORAGE_HOG)]),
    }


RESIZES = {"burstable": BURSTABLE_RESIZED, "resize-restart": RESTARTING_RESIZED}


def observe(context) -> dict:
    core = context.admin.core()
    namespace = context.namespace
    pods = manifests()
    try:
        for manifest in pods.values():
            core.create_namespaced_pod(namespace, manifest)
        running = [name for name in pods if name not in ("oom", "evicted")]
        live = _wait(core, namespace, running, _is_ready, "Ready")
        node = core.read_node(context.node.node_name)
        record: dict = {"node": _node_memory(node), "runtime_oom": _runtime_oom(context.node), "pods": {}}
        tasks = _task_pids(context.node.containerd)
        for name in running:
            record["pods"][name] = _pod_record(live[name], tasks)
        record["resize"] = _resize(core, namespace, live, context.node.containerd)
        oom = _wait(core, namespace, ["oom"], _was_oom_killed, "OOMKilled and restarted", timeout=WAIT_SECONDS)
        record["oom"] = _oom_record(oom["oom"])
        evicted = _wait(core, namespace, ["evicted"], _was_evicted, "evicted", timeout=EVICTION_SECONDS)
        events = context.admin.list("Event", namespace=namespace)
        record["eviction"] = eviction_record(evicted["evicted"], events)
        record["manifests"] = pods
        return record
    finally:
        _delete_all(core, namespace, list(pods))


# --- waiting -------------------------------------------------------------------------------------------------
def _wait(core, namespace: str, names: list[str], done, what: str, timeout: float = WAIT_SECONDS) -> dict:
    deadline = time.monotonic() + timeout
    latest: dict[str, dict] = {}
    while True:
        for name in names:
            latest[name] = core.api_client.sanitize_for_serialization(core.read_namespaced_pod(name, namespace))
        if all(done(latest[name]) for name in names):
            return latest
        if time.monotonic() > deadline:
            late = [name for name in names if not done(latest[name])]
            states = "; ".join(str(latest[name].get("status", {}).get("containerStatuses")) for name in late)
            raise TimeoutError(f"pods {', '.join(late)} not {what} after {timeout:.0f} s: {states}")
        time.sleep(0.5)


def _is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions") or [])


def _was_oom_killed(pod: dict) -> bool:
    status = (pod.get("status", {}).get("containerStatuses") or [{}])[0]
    last = (status.get("lastState") or {}).get("terminated") or {}
    return status.get("restartCount", 0) >= 1 and last.get("reason") == "OOMKilled"


def _was_evicted(pod: dict) -> bool:
    """Evicted, and its container's end written: the kubelet writes the phase and reason before it has
    killed the container, so a Pod read at once can still show the container running."""
    status = pod.get("status") or {}
    container = (status.get("containerStatuses") or [{}])[0]
    return (status.get("phase") == "Failed" and status.get("reason") == "Evicted"
            and "terminated" in (container.get("state") or {}))


def eviction_record(pod: dict, events: list[dict]) -> dict:
    """What the API shows of an evicted Pod: phase, reason and message, its ``DisruptionTarget`` condition
    (None: the kubelet adds it for node-pressure evictions only, ``synchronize``; the local-storage checks
    call ``evictPod`` without one), the container's end, the kubelet's ``Evicted`` Event messages and the
    seconds from the Pod's creation to the first of them (whole seconds, as Events are stamped)."""
    from datetime import datetime

    def epoch(stamp: str) -> float:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    status = pod["status"]
    target = next((c for c in status.get("conditions") or [] if c["type"] == "DisruptionTarget"), None)
    container = (status.get("containerStatuses") or [{}])[0]
    uid = pod["metadata"]["uid"]
    evicted = [e for e in events if (e.get("involvedObject") or {}).get("uid") == uid and e.get("reason") == "Evicted"]
    stamps = [e.get("firstTimestamp") or e.get("eventTime") for e in evicted]
    return {"phase": status.get("phase"), "reason": status.get("reason"), "message": status.get("message"),
            "disruption_target": target, "container_state": container.get("state"),
            "limit": STORAGE_LIMIT["limits"]["ephemeral-storage"], "events": [e["message"] for e in evicted],
            "seconds": round(epoch(stamps[0]) - epoch(pod["metadata"]["creationTimestamp"]))
            if stamps and stamps[0] else None}


# --- reading the node ----------------------------------------------------------------------------------------
def _node_memory(node) -> dict:
    return {"capacity_memory": node.status.capacity["memory"], "allocatable_memory": node.status.allocatable["memory"],
            "capacity_cpu": node.status.capacity["cpu"], "allocatable_cpu": node.status.allocatable["cpu"],
            "kubelet_version": node.status.node_info.kubelet_version,
            "container_runtime_version": node.status.node_info.container_runtime_version}


def _runtime_oom(node) -> dict:
    """containerd's own ``oom_score_adj`` and whether its CRI plugin keeps containers at or above it
    (``restrict_oom_score_adj``)."""
    containerd = next(p for p in node.processes if p.label == "containerd")
    setting = re.search(r"^\s*restrict_oom_score_adj\s*=\s*(true|false)\s*$", node.containerd.config.read_text(), re.M)
    return {"containerd_oom_score_adj": podcgroups.read_oom_score_adj(containerd.process.pid),
            "restrict_oom_score_adj": bool(setting and setting.group(1) == "true")}


def _task_pids(layout) -> dict[str, int]:
    """containerd task ID (the container or sandbox ID) -> its host PID."""
    pids = {}
    for line in ctr(layout, "tasks", "list").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            pids[parts[0]] = int(parts[1])
    return pids


def _container_id(status: dict) -> str:
    return status["containerID"].split("://", 1)[1]


def _pod_record(pod: dict, tasks: dict[str, int]) -> dict:
    containers = {}
    pod_path = ""
    for status in pod["status"]["containerStatuses"]:
        cid = _container_id(status)
        pid = tasks[cid]
        groups = podcgroups.read_process_groups(pid)
        pod_path = podcgroups.level_path(groups.any_path, "pod")
        containers[status["name"]] = {
            "container_id": cid, "pid": pid, "restart_count": status["restartCount"],
            "cgroup_version": groups.version, "path": groups.any_path,
            "chain": list(podcgroups.kubepods_chain(groups.any_path)),
            "values": podcgroups.read_values(groups, "container"),
            "oom_score_adj": podcgroups.read_oom_score_adj(pid),
            "status_resources": status.get("resources"),
        }
    first = podcgroups.read_process_groups(next(iter(containers.values()))["pid"])
    pause = _pause_in(pod_path, tasks, set(c["container_id"] for c in containers.values()))
    return {
        "uid": pod["metadata"]["uid"], "qos_class": pod["status"]["qosClass"],
        "spec": pod["spec"], "containers": containers,
        "pod_values": podcgroups.read_values(first, "pod"),
        "qos_values": podcgroups.read_values(first, "qos"),
        "pod_chain": list(podcgroups.kubepods_chain(pod_path)),
        "pause": pause,
    }


def _pause_in(pod_path: str, tasks: dict[str, int], container_ids: set[str]) -> dict | None:
    """The sandbox's pause process: the task of this Pod's group that is none of its containers."""
    for task, pid in tasks.items():
        if task in container_ids:
            continue
        try:
            groups = podcgroups.read_process_groups(pid)
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if podcgroups.level_path(groups.any_path, "pod") == pod_path:
            return {"sandbox_id": task, "pid": pid, "command": command,
                    "oom_score_adj": podcgroups.read_oom_score_adj(pid),
                    "chain": list(podcgroups.kubepods_chain(groups.any_path))}
    return None


# --- resize --------------------------------------------------------------------------------------------------
def _resize(core, namespace: str, live: dict, layout) -> dict:
    before_tasks = _task_pids(layout)
    before = {name: _pod_record(live[name], before_tasks) for name in RESIZES}
    started = time.monotonic()
    answers = {}
    for name, resources in RESIZES.items():
        body = {"spec": {"containers": [{"name": "app", "resources": resources}]}}
        answer = core.patch_namespaced_pod_resize(name, namespace, body)
        answers[name] = core.api_client.sanitize_for_serialization(answer)["spec"]["containers"][0]["resources"]
    seen_conditions: dict[str, set[str]] = {name: set() for name in RESIZES}

    def resized(pod: dict) -> bool:
        name = pod["metadata"]["name"]
        conditions = {c["type"] for c in pod["status"].get("conditions") or []}
        seen_conditions[name] |= {c for c in conditions if c.startswith("PodResize")}
        status = pod["status"]["containerStatuses"][0]
        return (_same_resources(status.get("resources") or {}, RESIZES[name]) and _is_ready(pod)
                and not conditions & {"PodResizePending", "PodResizeInProgress"})

    after_pods = _wait(core, namespace, list(RESIZES), resized, "resized")
    seconds = round(time.monotonic() - started, 1)
    after_tasks = _task_pids(layout)
    after = {name: _pod_record(after_pods[name], after_tasks) for name in RESIZES}
    return {"seconds": seconds, "requested": RESIZES, "spec_after_patch": answers,
            "conditions_seen": {name: sorted(seen) for name, seen in seen_conditions.items()},
            "before": before, "after": after}


def _same_resources(status: dict, wanted: dict) -> bool:
    from ...kube.quantity import same_quantity

    for kind in ("requests", "limits"):
        have, want = status.get(kind) or {}, wanted.get(kind) or {}
        if set(have) != set(want) or not all(same_quantity(have[key], want[key]) for key in want):
            return False
    return True


# --- OOM -----------------------------------------------------------------------------------------------------
def _oom_record(pod: dict) -> dict:
    status = pod["status"]["containerStatuses"][0]
    terminated = status["lastState"]["terminated"]
    return {"qos_class": pod["status"]["qosClass"], "restart_count": status["restartCount"],
            "reason": terminated["reason"], "exit_code": terminated["exitCode"],
            "signal": terminated.get("signal"), "limit": OOM_LIMIT["limits"]["memory"],
            "state_now": next(iter(status.get("state") or {}), None)}


def _delete_all(core, namespace: str, names: list[str], timeout: float = 30.0) -> None:
    for name in names:
        try:
            core.delete_namespaced_pod(name, namespace, grace_period_seconds=1)
        except Exception as err:  # already gone (never created, or deleted): nothing to clean
            if getattr(err, "status", None) != 404:
                raise
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pod.metadata.name for pod in core.list_namespaced_pod(namespace).items if pod.metadata.name in names]
        if not left:
            return
        time.sleep(0.5)
    raise TimeoutError(f"pods {', '.join(left)} still present {timeout:.0f} s after deletion")
