"""Play the kubelet for a Pod on a control plane that has none.

A real kubelet reports what its containers do by writing the Pod's status
subresource and posting Events. :class:`FakeKubelet` does the same from a
timeline (simulated by ``podnotes.probes.simulate`` or written by hand): it
binds the Pod to a node, as the scheduler would, and then for each instant
of the timeline writes the status those events add up to, and posts
``Unhealthy``/``Killing``/``BackOff`` Events for probe failures, kills and
back-offs, at the timeline's pace times ``speed``.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import OrderedDict

NODE = "podnotes-fake-node"
STATUS_KINDS = ("phase", "condition", "waiting", "start", "exit", "backoff", "ready", "started")



def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubelet:
    def __init__(self, cluster, pod: str, namespace: str):
        from kubernetes import client

        self.cluster, self.pod, self.namespace = cluster, pod, namespace
        self.core = client.CoreV1Api(cluster.api_client)
        self.phase = "Pending"
        self.conditions: OrderedDict[str, dict] = OrderedDict()
        self.containers: OrderedDict[str, dict] = OrderedDict()
        self.init_names: set[str] = set()
        self.writes = 0

    def bind(self) -> None:
        """What the scheduler does: a Binding sets spec.nodeName."""
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": self.pod},
                "target": {"apiVersion": "v1", "kind": "Node", "name": NODE}}
        # The server answers a Binding with a Status, which the generated model cannot read; skip decoding.
        response = self.core.create_namespaced_pod_binding(self.pod, self.namespace, body, _preload_content=False)
        assert response.status == 201, response.data

    def play(self, events, speed: float = 0.05) -> None:
        """Write the status for each instant of ``events`` (timeline Events), sleeping between instants."""
        pod = self.core.read_namespaced_pod(self.pod, self.namespace)
        self.init_names = {c.name for c in pod.spec.init_containers or []}
        for container in (pod.spec.init_containers or []) + pod.spec.containers:
            # No "state" yet: a container is reported once the timeline says what it is doing.
            self.containers[container.name] = {"name": container.name, "image": container.image, "imageID": "",
                                               "ready": False, "restartCount": 0}
        for condition in pod.status.conditions or []:  # PodScheduled, written by the binding
            self.conditions[condition.type] = {"type": condition.type, "status": condition.status,
                                               "lastTransitionTime": now_rfc3339()}
        started = time.monotonic()
        for event in sorted(events, key=lambda e: e.time):
            delay = started + event.time * speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._apply(event)
            # One write per change, as a kubelet that reports every step: several changes at the same
            # simulated instant are still separate states a watcher can see.
            if event.kind in STATUS_KINDS:
                self._write_status()
            if event.kind in ("kill", "backoff") or (event.kind == "probe" and event.result != "success"):
                self._post_event(event)

    def _apply(self, event) -> None:
        if event.kind == "phase":
            self.phase = event.phase
        elif event.kind == "condition":
            entry = {"type": event.condition, "status": "True" if event.status else "False",
                     "lastTransitionTime": now_rfc3339()}
            if event.reason:
                entry["reason"] = event.reason
            self.conditions[event.condition] = entry
        elif event.kind == "waiting":
            self.containers[event.container]["state"] = {"waiting": {"reason": event.reason or "Waiting"}}
        elif event.kind == "backoff":
            self.containers[event.container]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
        elif event.kind == "start":
            container = self.containers[event.container]
            container["restartCount"] = event.restart_count or 0
            container["state"] = {"running": {"startedAt": now_rfc3339()}}
        elif event.kind == "exit":
            terminated = {"exitCode": event.exit_code if event.exit_code is not None else 0,
                          "reason": event.reason or "Completed", "finishedAt": now_rfc3339()}
            self.containers[event.container]["state"] = {"terminated": terminated}
        elif event.kind == "ready":
            self.containers[event.container]["ready"] = bool(event.status)
        elif event.kind == "started":
            self.containers[event.container]["started"] = bool(event.status)

    def _write_status(self) -> None:
        from kubernetes import client

        pod = self.core.read_namespaced_pod(self.pod, self.namespace)
        status = {
            "phase": self.phase,
            "conditions": list(self.conditions.values()),
            "hostIP": "192.0.2.20",
            "initContainerStatuses": [c for n, c in self.containers.items() if n in self.init_names and "state" in c],
            "containerStatuses": [c for n, c in self.containers.items()
                                  if n not in self.init_names and "state" in c],
        }
        body = client.ApiClient().sanitize_for_serialization(pod)
        body["status"] = status
        # Sent as a plain dict through the dynamic client: the generated model would demand fields (imageID ...)
        # that the API itself does not require.
        self.cluster.dynamic.request("put", f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/status", body=body)
        self.writes += 1

    def _post_event(self, event) -> None:
        if event.kind == "probe":
            reason, message = "Unhealthy", f"{event.probe.capitalize()} probe failed: {event.message or 'failure'}"
        elif event.kind == "kill":
            what = {"LivenessProbe": "failed liveness probe", "StartupProbe": "failed startup probe"}
            reason, message = "Killing", f"Container {event.container} {what.get(event.reason, 'stopped')}, " \
                                         "will be restarted"
        else:
            reason, message = "BackOff", f"Back-off restarting failed container {event.container}"
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{self.pod}.{uuid.uuid4().hex[:12]}", "namespace": self.namespace},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": self.pod, "namespace": self.namespace,
                               "fieldPath": f"spec.containers{{{event.container}}}"},
            "reason": reason, "message": message, "type": "Warning",
            "source": {"component": "kubelet", "host": NODE},
            "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339(), "count": 1,
        }
        self.core.create_namespaced_event(self.namespace, body)


def effective_changes(events) -> list[tuple]:
    """The status-visible changes a list of timeline Events makes, in order, without repeats:
    what an observer of the API can possibly see. A flag first seen as False is no change."""
    state: dict[tuple, tuple] = {}
    changes = []
    for event in sorted(events, key=lambda e: e.time):
        if event.kind not in STATUS_KINDS:
            continue
        if event.kind == "phase":
            key, value = ("phase",), (event.phase,)
        elif event.kind == "condition":
            key, value = ("condition", event.condition), (event.status,)
        elif event.kind in ("ready", "started"):
            key, value = (event.kind, event.container), (event.status,)
            if key not in state and not event.status:
                state[key] = value
                continue
        else:
            kind = "waiting" if event.kind == "backoff" else event.kind
            detail = {"waiting": event.reason if event.kind == "waiting" else "CrashLoopBackOff",
                      "start": event.restart_count or 0, "exit": event.exit_code}[kind]
            key, value = ("state", event.container), (kind, detail)
        if state.get(key) != value:
            state[key] = value
            changes.append(key + value)
    return changes
