"""A timeline as ``kubectl describe pod`` shows its Events, and ``kubectl get pod`` its RESTARTS.

Each kubelet action in a :class:`~podnotes.probes.timeline.Timeline` becomes
the Event the kubelet records, with upstream's reason and message
(kubernetes/kubernetes v1.37):

* ``Scheduled`` (default-scheduler): "Successfully assigned <ns>/<pod> to <node>"
  (``pkg/scheduler/schedule_one.go``);
* ``Pulled``: ``Container image "<image>" already present on machine``
  (``pkg/kubelet/images/image_manager.go``, an image already pulled);
* ``Created`` "Created container: <name>", ``Started`` "Started container <name>"
  (``pkg/kubelet/kuberuntime/kuberuntime_container.go`` ``startContainer``);
* ``Unhealthy`` (Warning): "<Probe> probe failed: <output>" and
  "<Probe> probe errored and resulted in unknown state: <error>"; ``ProbeWarning``
  "<Probe> probe warning: <output>" (``pkg/kubelet/prober/prober.go``
  ``probe``); an HTTP answer outside 200-399 reads "HTTP probe failed with
  statuscode: <code>" (``pkg/probe/http/http.go`` ``DoHTTPProbe``), a gRPC one
  ``service unhealthy (responded with "<status>")`` (``pkg/probe/grpc/grpc.go``);
* ``Killing``: "Container <name> failed liveness probe, will be restarted",
  "Stopping container <name>" (``kuberuntime_manager.go`` ``computePodActions``,
  ``kuberuntime_container.go`` ``killContainer``);
* ``BackOff`` (Warning): "Back-off restarting failed container <name> in pod
  <pod>_<ns>(<uid>)" (``kuberuntime_manager.go`` ``doBackOff``, ``format.Pod``);
* past ``activeDeadlineSeconds`` the kubelet records no event of its own: the
  Pod's status gets ``Reason: DeadlineExceeded`` and its message
  (``pkg/kubelet/active_deadline.go``, ``generateAPIPodStatus``), which
  ``kubectl describe pod`` prints above the Events, and each container its
  ``Killing`` "Stopping container <name>".

Identical events are counted, not repeated, as the event correlator of
client-go does (``tools/record/events_cache.go``), and kubectl shows them as
``<age> (x<count> over <age of the first>)``; ages are taken at the end of the
timeline and written as ``duration.HumanDuration`` does
(``k8s.io/apimachinery/pkg/util/duration``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from podnotes.probes.timeline import Event, Timeline

PROBE_NAME = {"liveness": "Liveness", "readiness": "Readiness", "startup": "Startup"}
NODE = "podnotes-node"
NAMESPACE = "default"


@dataclass(frozen=True)
class PodEvent:
    """One row of ``kubectl describe pod`` Events: ``count`` identical events
    between ``first`` and ``last`` (seconds since the Pod was created)."""

    type: str  # Normal or Warning
    reason: str
    source: str  # kubelet, default-scheduler
    message: str
    first: float
    last: float
    count: int = 1


def pod_uid(pod: str) -> str:
    """A stable UID for a simulated Pod (a real one is random): the same name gives the same UID."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"podnotes:pod/{NAMESPACE}/{pod}"))


def pod_events(timeline: Timeline) -> list[PodEvent]:
    """The Events of the Pod, counted as the event correlator counts them, ordered by their last occurrence."""
    images = {c.name: c.image for c in timeline.containers}
    rows: dict[tuple[str, str, str, str], PodEvent] = {}
    for event in timeline.events:
        for type_, reason, source, message in _recorded(event, timeline.pod, images):
            key = (type_, reason, source, message)
            seen = rows.get(key)
            if seen is None:
                rows[key] = PodEvent(type_, reason, source, message, event.time, event.time)
            else:
                rows[key] = PodEvent(type_, reason, source, message, seen.first, event.time, seen.count + 1)
    return sorted(rows.values(), key=lambda row: (row.last, row.first))


def _recorded(event: Event, pod: str, images: dict[str, str | None]) -> list[tuple[str, str, str, str]]:
    kind = event.kind
    if kind == "condition" and event.condition == "PodScheduled" and event.status:
        return [("Normal", "Scheduled", "default-scheduler", f"Successfully assigned {NAMESPACE}/{pod} to {NODE}")]
    if kind == "start":
        name = event.container or ""
        pulled = [("Normal", "Pulled", "kubelet", f'Container image "{images[name]}" already present on machine')
                  ] if images.get(name) else []
        return pulled + [("Normal", "Created", "kubelet", f"Created container: {name}"),
                         ("Normal", "Started", "kubelet", f"Started container {name}")]
    if kind == "probe" and event.result in ("failure", "timeout"):
        return [("Warning", "Unhealthy", "kubelet", f"{PROBE_NAME[event.probe or '']} probe failed: "
                                                    f"{probe_output(event)}")]
    if kind == "probe" and event.result == "error":
        return [("Warning", "Unhealthy", "kubelet",
                 f"{PROBE_NAME[event.probe or '']} probe errored and resulted in unknown state: {event.message}")]
    if kind == "warning":
        return [("Warning", event.reason or "ProbeWarning", "kubelet", event.message or "")]
    if kind == "kill":
        return [("Normal", "Killing", "kubelet", event.message or f"Stopping container {event.container}")]
    if kind == "backoff":
        return [("Warning", "BackOff", "kubelet", f"Back-off restarting failed container {event.container} in pod "
                 f"{pod}_{NAMESPACE}({pod_uid(pod)})")]
    return []


def probe_output(event: Event) -> str:
    """What the kubelet's probe returned as output for a failed attempt, as far as the timeline knows it.

    An HTTP status becomes ``HTTP probe failed with statuscode: <code>``, a
    gRPC status ``service unhealthy (responded with "<status>")``; an exec
    probe's output is what the command printed, which a behaviour does not
    say, so its exit code is shown instead.
    """
    message = event.message or ""
    if event.handler == "httpGet" and message.startswith("HTTP "):
        return f"HTTP probe failed with statuscode: {message[5:]}"
    if event.handler == "grpc" and message.startswith("status "):
        return f'service unhealthy (responded with "{message[7:]}")'
    if event.handler in ("httpGet", "tcpSocket") and message == "connection refused":
        return "dial tcp: connect: connection refused"
    return message


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: 45s, 5m3s, 12m, 3h5m, 2d4h."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    return f"{hours // 24}d"


def restarts_column(timeline: Timeline, at: float | None = None) -> str:
    """``kubectl get pod``'s RESTARTS at ``at`` (default: the end): the sum of
    the containers' restart counts and, since kubectl 1.22, ``(<age> ago)`` of
    the newest ``lastState.terminated.finishedAt`` (``printPod`` in
    ``pkg/printers/internalversion/printers.go``): an exit after which the
    container was started again or waits in back-off to be."""
    at = timeline.duration if at is None else at
    count = timeline.restart_count(at)
    if not count:
        return "0"
    later: dict[str, float] = {}
    for event in timeline.events:
        if event.kind in ("start", "backoff") and event.time <= at:
            later[event.container or ""] = event.time
    exits = [e.time for e in timeline.select("exit") if e.time <= later.get(e.container or "", -1.0)]
    return f"{count} ({human_duration(at - max(exits))} ago)" if exits else str(count)


def describe_text(timeline: Timeline) -> str:
    """The Events table of ``kubectl describe pod``, preceded by the Pod's name, phase and RESTARTS."""
    end = timeline.duration
    phases = [e for e in timeline.select("phase") if e.time <= end]
    last = phases[-1] if phases else None
    lines = [f"Name:         {timeline.pod}",
             f"Namespace:    {NAMESPACE}",
             f"Status:       {last.phase if last else 'Pending'}"]
    if last is not None and last.reason:
        lines += [f"Reason:       {last.reason}", f"Message:      {last.message or ''}"]
    lines += [f"Restarts:     {restarts_column(timeline)}",
              f"Simulated:    {human_duration(end)} (ages below are taken at that instant)"]
    for note in timeline.notes:
        lines.append(f"Note:         {note}")
    rows = [(row.type, row.reason, _age(row, end), f"{row.source}", row.message) for row in pod_events(timeline)]
    lines.append("Events:")
    if not rows:
        lines.append("  <none>")
        return "\n".join(lines) + "\n"
    header = ("Type", "Reason", "Age", "From", "Message")
    table = [header, tuple("-" * len(h) for h in header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        lines.append("  " + cells + "  " + row[4])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _age(row: PodEvent, end: float) -> str:
    if row.count == 1:
        return human_duration(end - row.last)
    return f"{human_duration(end - row.last)} (x{row.count} over {human_duration(end - row.first)})"
