"""Follow a Pod through the API's watch stream: wait for a state, or record a timeline.

:func:`observe` turns every change the watch reports (phase, conditions,
container states and flags) and the Pod's Events (probe failures, kills,
back-off) into :class:`podnotes.probes.timeline.Event` records, the schema the
simulator writes, so ``podnotes.plot.compare`` can draw what the cluster did
next to what the simulator predicted. Times are seconds since the Pod's
``creationTimestamp``.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..kube.enums import CONDITIONS, PHASES, TERMINAL_PHASES
from . import api
from .errors import ClusterError
from .objects import Cluster

_PROBE_IN_MESSAGE = re.compile(r"^(Liveness|Readiness|Startup) probe", re.IGNORECASE)


class WaitTimeout(ClusterError):
    """The Pod did not reach the state in time; ``pod`` is the last state seen."""

    def __init__(self, message: str, pod: dict | None, hint: str = ""):
        super().__init__(message, hint)
        self.pod = pod or {}


class PodDeleted(ClusterError):
    """The Pod was deleted while something waited for it."""


class PodEnded(ClusterError):
    """The Pod reached a terminal phase (Succeeded or Failed) from which the awaited state cannot come;
    ``pod`` is its last state."""

    def __init__(self, message: str, pod: dict, hint: str = ""):
        super().__init__(message, hint)
        self.pod = pod


# --- reading a Pod ---------------------------------------------------------------------------
def _status(pod: dict) -> dict:
    return pod.get("status") or {}


def condition_status(pod: dict, condition: str) -> bool | None:
    for entry in _status(pod).get("conditions") or []:
        if entry.get("type") == condition:
            return entry.get("status") == "True"
    return None


def reached(pod: dict, target: str) -> bool:
    """True if the Pod is in phase ``target`` or has condition ``target`` True."""
    if target in PHASES:
        return _status(pod).get("phase") == target
    return condition_status(pod, target) is True


def summary(pod: dict) -> str:
    """kubectl-like one-liner: phase, ready containers, restarts, conditions that are True."""
    status = _status(pod)
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    total = len((pod.get("spec") or {}).get("containers") or []) or len(containers)
    restarts = sum(c.get("restartCount", 0) for c in containers)
    true_conditions = [c["type"] for c in status.get("conditions") or [] if c.get("status") == "True"]
    deleting = " (terminating)" if (pod.get("metadata") or {}).get("deletionTimestamp") else ""
    return (f"{status.get('phase', 'Pending')}{deleting} {ready}/{total} ready, {restarts} restarts; "
            f"true: {', '.join(true_conditions) or 'none'}")


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    moment = text if isinstance(text, dt.datetime) else dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


# --- progress display ---------------------------------------------------------------------
class Progress:
    """One status line: rewritten in place in a terminal, a live-updated output in a notebook,
    silent elsewhere (pipes, CI logs get only the final line)."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self._handle = None
        self._mode = self._detect()

    def _detect(self) -> str:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
                return "notebook"
        except ImportError:
            pass
        return "terminal" if getattr(self.stream, "isatty", lambda: False)() else "quiet"

    def update(self, text: str) -> None:
        line = f"{self.label}: {text}"
        if self._mode == "terminal":
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()
        elif self._mode == "notebook":
            from IPython.display import display

            if self._handle is None:
                self._handle = display({"text/plain": line}, raw=True, display_id=True)
            else:
                self._handle.update({"text/plain": line}, raw=True)
        self._last = line

    def done(self, text: str) -> None:
        self.update(text)
        if self._mode == "terminal":
            self.stream.write("\n")
        elif self._mode == "quiet":
            print(f"{self.label}: {text}", file=self.stream)


# --- waiting -----------------------------------------------------------------------------------
def wait_for(cluster: Cluster, pod: str, until: str = "Ready", timeout: float = 120, *,
             namespace: str | None = None, progress: bool | Progress = True) -> dict:
    """Wait until Pod ``pod`` is in phase ``until`` (Running, Succeeded ...) or has condition ``until``
    (Ready, PodScheduled ...) True; return the Pod. Raises :class:`WaitTimeout`, :class:`PodDeleted`, or
    :class:`PodEnded` when the Pod ends in a phase from which ``until`` can no longer be reached."""
    if until not in PHASES and until not in CONDITIONS:
        raise ValueError(f"until must be a phase ({', '.join(PHASES)}) or a Pod condition, not {until!r}")
    namespace = namespace or cluster.namespace
    display = progress if isinstance(progress, Progress) else (Progress(f"pod/{pod}") if progress else None)
    started = time.monotonic()
    last: dict | None = None
    for kind, current in _pod_changes(cluster, pod, namespace, timeout):
        if kind == "DELETED":
            raise PodDeleted(f"pod/{pod} was deleted while waiting for {until}")
        last = current
        if display:
            display.update(f"{summary(current)} after {time.monotonic() - started:.0f} s")
        if reached(current, until):
            if display:
                display.done(f"{until} after {time.monotonic() - started:.1f} s")
            return current
        phase = _status(current).get("phase")
        if phase in TERMINAL_PHASES and until not in (phase, "PodScheduled", "Initialized"):
            raise PodEnded(f"pod/{pod} ended in phase {phase} and will never be {until}", current,
                           hint=f"`kubectl describe pod {pod} -n {namespace}` shows why")
    state = summary(last) if last else "not found"
    raise WaitTimeout(f"pod/{pod} was not {until} after {timeout:.0f} s (last seen: {state})", last,
                      hint=f"`kubectl describe pod {pod} -n {namespace}` shows its events")


def _pod_changes(cluster: Cluster, pod: str, namespace: str, timeout: float):
    """(type, pod dict) for the Pod's current state and every change until ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    core = cluster.core()
    resource_version = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        stream = api.watch()
        try:
            # deserialize=False: plain dicts as the server sent them, not models that insist on every field.
            for change in stream.stream(core.list_namespaced_pod, namespace, field_selector=f"metadata.name={pod}",
                                        resource_version=resource_version, timeout_seconds=max(1, int(remaining)),
                                        _request_timeout=remaining + 5, deserialize=False):
                obj = change["object"]
                resource_version = (obj.get("metadata") or {}).get("resourceVersion", resource_version)
                yield change["type"], obj
                if time.monotonic() >= deadline:
                    return
        except Exception as err:
            # History compacted (410 Gone); without deserialising the client fails on that event with KeyError.
            if api.is_expired(err) or isinstance(err, KeyError):
                resource_version = None
                continue
            if not api.is_api_error(err) and time.monotonic() >= deadline:
                return
            raise api.failure(cluster.connection, err, f"watching pod/{pod}") from None
        finally:
            stream.stop()


# --- observing -----------------------------------------------------------------------------------
@dataclass
class _Snapshot:
    phase: str | None = None
    conditions: dict[str, bool] = field(default_factory=dict)
    containers: dict[str, dict] = field(default_factory=dict)


def pod_events(previous: _Snapshot, pod: dict, at: float) -> tuple[_Snapshot, list]:
    """Timeline events for what changed between ``previous`` and ``pod``, stamped ``at``."""
    from podnotes.probes.timeline import Event

    status = _status(pod)
    events = []
    current = _Snapshot(phase=status.get("phase"))
    if current.phase and current.phase != previous.phase:
        events.append(Event(time=at, kind="phase", phase=current.phase))
    for entry in status.get("conditions") or []:
        name, value = entry.get("type"), entry.get("status") == "True"
        current.conditions[name] = value
        if previous.conditions.get(name) != value:
            events.append(Event(time=at, kind="condition", condition=name, status=value,
                                reason=entry.get("reason") or None))
    for group in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(group) or []:
            name = entry.get("name")
            state = _container_state(entry)
            current.containers[name] = state
            events.extend(_container_events(name, previous.containers.get(name, {}), state, at))
    return current, events


def _container_state(entry: dict) -> dict:
    state = entry.get("state") or {}
    which = next((key for key in ("waiting", "running", "terminated") if state.get(key) is not None), None)
    detail = state.get(which) or {} if which else {}
    return {
        "state": which,
        "reason": detail.get("reason"),
        "started_at": detail.get("startedAt"),
        "exit_code": detail.get("exitCode"),
        "message": detail.get("message"),
        "restart_count": entry.get("restartCount", 0),
        "ready": bool(entry.get("ready")),
        "started": entry.get("started"),
    }


def _container_events(name: str, before: dict, after: dict, at: float) -> list:
    from podnotes.probes.timeline import Event

    events = []
    state_changed = (before.get("state"), before.get("reason"), before.get("started_at")) != (
        after.get("state"), after.get("reason"), after.get("started_at"))
    if state_changed:
        if after["state"] == "waiting" and after["reason"] == "CrashLoopBackOff":
            events.append(Event(time=at, kind="backoff", container=name, reason="CrashLoopBackOff",
                                message=after.get("message") or None))
        elif after["state"] == "waiting":
            events.append(Event(time=at, kind="waiting", container=name, reason=after.get("reason") or None))
        elif after["state"] == "running":
            events.append(Event(time=at, kind="start", container=name, restart_count=after["restart_count"]))
        elif after["state"] == "terminated":
            events.append(Event(time=at, kind="exit", container=name, exit_code=after.get("exit_code"),
                                reason=after.get("reason") or None, message=after.get("message") or None))
    if after.get("started") is not None and after.get("started") != before.get("started"):
        events.append(Event(time=at, kind="started", container=name, status=bool(after["started"])))
    if after["ready"] != before.get("ready", False if before else None):
        events.append(Event(time=at, kind="ready", container=name, status=after["ready"]))
    return events


def event_from_kubernetes_event(item: dict, at: float):
    """A timeline Event for a Kubernetes Event about the Pod (probe failures, kills, back-off), or None."""
    from podnotes.probes.timeline import Event

    reason, message = item.get("reason", ""), item.get("message", "") or ""
    container = _container_from_field_path((item.get("involvedObject") or {}).get("fieldPath", ""))
    probe = _PROBE_IN_MESSAGE.match(message)
    if reason == "Unhealthy" and probe:
        return Event(time=at, kind="probe", container=container, probe=probe.group(1).lower(), result="failure",
                     message=message)
    if reason == "Killing":
        lowered = message.lower()
        kill_reason = ("LivenessProbe" if "liveness" in lowered else "StartupProbe" if "startup" in lowered
                       else None)
        return Event(time=at, kind="kill", container=container, reason=kill_reason, message=message)
    if reason == "BackOff":
        return Event(time=at, kind="backoff", container=container, reason="CrashLoopBackOff", message=message)
    return None


def _container_from_field_path(field_path: str) -> str | None:
    match = re.search(r"\{(.+?)\}", field_path)
    return match.group(1) if match else None


def observe(cluster: Cluster, pod: str, duration: float, *, namespace: str | None = None,
            on_event: Callable[[Any], None] | None = None, clock: Callable[[], float] = time.time):
    """Record ``duration`` seconds of Pod ``pod`` into a Timeline (source ``observed``).

    Starts from the Pod's current state (stamped when each part began, where
    the status says so), then follows the watch stream of the Pod and of its
    Events. ``on_event`` is called with each timeline Event as it arrives.
    """
    from podnotes.probes.timeline import Timeline

    namespace = namespace or cluster.namespace
    changes: queue.Queue = queue.Queue()
    stop = threading.Event()
    errors: list[BaseException] = []
    started = clock()

    def follow_pod() -> None:
        try:
            for kind, obj in _pod_changes(cluster, pod, namespace, duration):
                changes.put(("pod", kind, obj, clock()))
                if stop.is_set():
                    return
        except BaseException as err:  # reported by the main thread
            errors.append(err)
        finally:
            changes.put(("end", None, None, clock()))

    def follow_events() -> None:
        stream = api.watch()
        try:
            for change in stream.stream(cluster.core().list_namespaced_event, namespace,
                                        field_selector=f"involvedObject.name={pod},involvedObject.kind=Pod",
                                        timeout_seconds=max(1, int(duration)), _request_timeout=duration + 5,
                                        deserialize=False):
                changes.put(("event", change["type"], change["object"], clock()))
                if stop.is_set():
                    return
        except Exception:
            pass  # Events are extra detail; the Pod stream is what must not fail
        finally:
            stream.stop()

    workers = [threading.Thread(target=follow_pod, daemon=True), threading.Thread(target=follow_events, daemon=True)]
    for worker in workers:
        worker.start()
    snapshot = _Snapshot()
    created: float | None = None
    spec: dict = {}
    events: list = []
    seen_events: set[tuple] = set()
    try:
        while True:
            remaining = started + duration - clock()
            try:
                source, kind, obj, at = changes.get(timeout=max(0.05, remaining))
            except queue.Empty:
                break
            if source == "end":
                break
            if source == "pod":
                if kind == "DELETED":
                    break
                if created is None:
                    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp")) or started
                    spec = obj.get("spec") or {}
                snapshot, new = pod_events(snapshot, obj, round(at - created, 3))
            else:
                # A repeated Event (the same kill, the same probe failure) is one object whose count grows:
                # each new count is one more occurrence, at its lastTimestamp.
                occurrence = ((obj.get("metadata") or {}).get("uid", ""), obj.get("count"))
                if occurrence in seen_events or kind == "DELETED":
                    continue
                seen_events.add(occurrence)
                base = created if created is not None else started
                when = parse_time(obj.get("lastTimestamp") or obj.get("eventTime")) or at
                event = event_from_kubernetes_event(obj, round(max(when, base) - base, 3))
                new = [event] if event else []
            for event in new:
                events.append(event)
                if on_event:
                    on_event(event)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=5)
    if errors:
        raise errors[0]
    events.sort(key=lambda e: e.time)
    base = created if created is not None else started
    return Timeline(pod=pod, duration=round(max(clock() - base, 0.0), 3), events=events,
                    containers=containers_of(spec), probes=probes_of(spec), source="observed")


def containers_of(spec: dict) -> list:
    from podnotes.probes.timeline import ContainerInfo

    found = []
    for container in spec.get("initContainers") or []:
        kind = "sidecar" if container.get("restartPolicy") == "Always" else "init"
        found.append(ContainerInfo(container["name"], kind))
    found.extend(ContainerInfo(c["name"], "app") for c in spec.get("containers") or [])
    return found


def probes_of(spec: dict) -> list:
    """Every probe of a Pod spec as the prober sees it, defaults applied (:mod:`podnotes.kube.defaults`)."""
    from podnotes.kube.containers import containers
    from podnotes.kube.defaults import PROBE_FIELDS_DEFAULTED, probe_setting
    from podnotes.kube.enums import PROBE_FIELDS, PROBE_HANDLERS
    from podnotes.probes.timeline import ProbeInfo

    found = []
    for _, _, container in containers(spec, ("initContainers", "containers")):
        for probe_type, field_name in PROBE_FIELDS.items():
            probe = container.get(field_name)
            if not probe:
                continue
            handler = next((h for h in PROBE_HANDLERS if h in probe), "exec")
            settings = {name: probe_setting(probe, name) for name in PROBE_FIELDS_DEFAULTED}
            found.append(ProbeInfo(container=container["name"], probe=probe_type, handler=handler, **settings))
    return found


class BackgroundWatches:
    """Watches that run in threads of their own while a scene acts, each change stamped on arrival.

    A subclass passes the methods that each open one watch (through :meth:`stream`) as ``targets``;
    :meth:`start` starts them, :meth:`stop` ends them within about 5 s (the watches' timeout). A dropped
    watch is opened again, and lists the objects afresh."""

    def __init__(self, *targets: Callable[[], None]):
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=target, daemon=True) for target in targets]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)

    def stream(self, list_function, on_change: Callable[[str, dict, float], None], *args) -> None:
        """Watch ``list_function(*args)`` until :meth:`stop`, calling ``on_change(type, object, time.time())``
        for each change (objects as plain dicts)."""
        while not self._stop.is_set():
            watch = api.watch()
            try:
                for change in watch.stream(list_function, *args, timeout_seconds=5, _request_timeout=10,
                                           deserialize=False):
                    on_change(change["type"], change["object"], time.time())
                    if self._stop.is_set():
                        break
            except Exception:
                time.sleep(0.2)  # a dropped watch is opened again; the objects are listed afresh
            finally:
                watch.stop()
