"""kubectl's table for Pods (``kubectl get pods`` and ``-o wide``), from Pod dicts."""

from __future__ import annotations

import time

from .watching import parse_time

COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE")
WIDE_COLUMNS = COLUMNS + ("IP", "NODE", "NOMINATED NODE", "READINESS GATES")


def pod_status(pod: dict) -> str:
    """The STATUS column: Terminating, a container's waiting/terminated reason, or the phase."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        for which in ("waiting", "terminated"):
            reason = (state.get(which) or {}).get("reason")
            if reason:
                return reason
    return status.get("phase") or "Pending"


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600 * 3:
        return f"{seconds // 60}m{seconds % 60}s" if seconds < 600 else f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def pod_row(pod: dict, wide: bool = False, now: float | None = None) -> tuple[str, ...]:
    metadata, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    restarts = sum(c.get("restartCount", 0) for c in containers)
    created = parse_time(metadata.get("creationTimestamp"))
    row = (metadata.get("name", "?"), f"{ready}/{len(spec.get('containers') or [])}", pod_status(pod),
           str(restarts), age((now or time.time()) - created) if created else "<unknown>")
    if wide:
        gates = spec.get("readinessGates") or []
        row += (status.get("podIP") or "<none>", spec.get("nodeName") or "<none>",  # type: ignore[assignment]
                status.get("nominatedNodeName") or "<none>",
                f"{len(gates)}/{len(gates)}" if gates else "<none>")
    return row


def pod_table(pods: list[dict], wide: bool = False, now: float | None = None) -> str:
    """The text `kubectl get pods [-o wide]` prints, or kubectl's message when there are none."""
    if not pods:
        return "No resources found."
    rows = [WIDE_COLUMNS if wide else COLUMNS] + [pod_row(p, wide, now) for p in pods]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
                     for row in rows)
