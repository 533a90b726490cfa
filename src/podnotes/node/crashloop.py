"""When a crash-looping container shows ``CrashLoopBackOff``, read from a watch of its Pod.

On kubernetes v1.37.2 the word is in the status for a moment only, at the end of each back-off:

1. the run ends; the kubelet's next sync writes the status it built at the start of that sync (the run's
   ``terminated`` state, which kubectl prints as ``Error``), then finds the container in its back-off
   (``doBackOff`` in ``pkg/kubelet/kuberuntime/kuberuntime_manager.go``) and keeps the error
   ``CrashLoopBackOff`` in its reason cache (``SyncPod`` in ``pkg/kubelet/kubelet.go``: the status is
   generated before ``containerRuntime.SyncPod``, ``reasonCache.Update`` after it);
2. that error carries when the back-off ends, and the Pod worker syncs the Pod again only then
   (``completeWork`` in ``pkg/kubelet/pod_workers.go``: ``MinBackoffExpiration``);
3. that sync writes ``waiting: CrashLoopBackOff`` from the reason cache (``convertToAPIContainerStatuses`` in
   ``pkg/kubelet/kubelet_pods.go``) and then starts the container; the next run's end replaces it.

So between two runs a Pod may read ``Error`` for the whole back-off and ``CrashLoopBackOff`` just before the
restart; when the kubelet syncs the Pod earlier for another reason (a change to the Pod's spec or labels, a
back-off longer than its one-minute resync; some recordings show a sync within seconds of the exit), the word
shows from that sync until the restart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

BACKOFF_MESSAGE = re.compile(r"^back-off (?P<backoff>\S+) restarting failed container=(?P<container>\S+) "
                             r"pod=(?P<pod>\S+)")


@dataclass
class WatchedStatus:
    """One status of a container as a watch delivered it: ``at`` the wall-clock time it arrived (seconds
    since the epoch), the state's kind (``waiting``, ``running``, ``terminated``), its reason and message,
    the restart count, and when the run in ``lastState`` (or the state, when terminated) ended."""

    at: float
    kind: str
    reason: str
    message: str
    restart_count: int
    ended_at: float | None


@dataclass
class CrashLoopSight:
    """The first ``CrashLoopBackOff`` a watch saw: the back-off the kubelet named (``backoff``, as printed,
    e.g. ``10s``), seconds from the end of the run before it to its arrival (``after_run_ended``), seconds
    the Pod had read ``Error`` before it (``error_for``) and seconds it lasted until the next status
    (``shown_for``, None when the watch ended first), and the restart count it carried."""

    backoff: str
    after_run_ended: float
    error_for: float | None
    shown_for: float | None
    restart_count: int


def stamped_objects(lines: list[tuple[float, str]]) -> list[tuple[float, dict]]:
    """The objects of ``kubectl get --watch -o json`` output given as ``(arrival time, line)`` pairs: kubectl
    prints each object indented, closed by a ``}`` alone on a line, and the object arrived with that line.
    A trailing incomplete object (the watch stopped while printing it) is left out; raises ValueError when a
    complete one is not JSON."""
    objects, buffer = [], []
    for at, line in lines:
        buffer.append(line)
        if line.rstrip("\n") == "}":
            objects.append((at, json.loads("".join(buffer))))
            buffer = []
    return objects


def _epoch(stamp: str | None) -> float | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else None


def watched_status(pod: dict, at: float, container: str) -> WatchedStatus | None:
    """The ``container``'s status in this Pod object, stamped ``at``; None when it has none yet."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    status = next((s for s in statuses if s.get("name") == container), None)
    if status is None or not status.get("state"):
        return None
    kind, state = next(iter(status["state"].items()))
    ended = state if kind == "terminated" else (status.get("lastState") or {}).get("terminated") or {}
    return WatchedStatus(at, kind, state.get("reason", ""), state.get("message", ""),
                         status.get("restartCount", 0), _epoch(ended.get("finishedAt")))


def first_crash_loop(statuses: list[WatchedStatus]) -> CrashLoopSight | None:
    """The first ``waiting: CrashLoopBackOff`` in ``statuses`` (in arrival order), None when there is none.
    Raises ValueError when its message is not the kubelet's back-off message."""
    for index, status in enumerate(statuses):
        if status.kind != "waiting" or status.reason != "CrashLoopBackOff":
            continue
        matched = BACKOFF_MESSAGE.match(status.message)
        if matched is None or status.ended_at is None:
            raise ValueError(f"not a kubelet back-off status: {status}")
        before = [s for s in statuses[:index] if s.kind == "terminated" and s.restart_count == status.restart_count]
        after = statuses[index + 1:]
        return CrashLoopSight(
            backoff=matched["backoff"], after_run_ended=round(status.at - status.ended_at, 1),
            error_for=round(status.at - before[0].at, 1) if before else None,
            shown_for=round(after[0].at - status.at, 1) if after else None,
            restart_count=status.restart_count)
    return None
