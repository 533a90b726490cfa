"""Which podnotes run made a cluster object, so a later run can find what a killed run left.

Every object podnotes sends carries the label
``app.kubernetes.io/managed-by: podnotes`` (the recommended label of
https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
While a run may still remove an object (inside ``Cluster.cleanup_on_error``,
which ``podnotes apply`` uses for its whole run, and for a workshop namespace),
the object also carries the annotation ``podnotes.io/run: host=HOST pid=PID
start=TICKS``: the machine, the process and its start time (``/proc/PID/stat``
field 22, clock ticks since boot), so a PID reused by another program is not
mistaken for the run. When the run completes, the annotation is removed: the
object is then meant to stay, like anything ``kubectl apply`` creates. An
object whose annotation names a run that is *over* (made on this machine, and
that process with that start time no longer exists) was left by a killed run:
:func:`find_leftovers` lists it and ``podnotes cleanup`` removes it.
"""

from __future__ import annotations

import copy
import os
import socket
from dataclasses import dataclass
from pathlib import Path

MANAGED_BY = {"app.kubernetes.io/managed-by": "podnotes"}
RUN_ANNOTATION = "podnotes.io/run"
SELECTOR = "app.kubernetes.io/managed-by=podnotes"


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


@dataclass(frozen=True)
class Run:
    """One podnotes process: ``host`` (its host name), ``pid`` and ``start`` (clock ticks since boot)."""

    host: str
    pid: int
    start: int

    def __str__(self) -> str:
        return f"host={self.host} pid={self.pid} start={self.start}"

    @classmethod
    def parse(cls, text: str | None) -> Run | None:
        if not isinstance(text, str):
            return None
        fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
        try:
            return cls(fields["host"], int(fields["pid"]), int(fields["start"]))
        except (KeyError, ValueError):
            return None

    @property
    def here(self) -> bool:
        return self.host == socket.gethostname()

    def over(self) -> bool | None:
        """True if this run has ended (its process is gone), None when it ran on another machine."""
        if not self.here:
            return None
        return _start_ticks(self.pid) != self.start

    def describe(self) -> str:
        where = "this machine" if self.here else self.host
        return f"process {self.pid} on {where}"


def current() -> Run:
    return Run(socket.gethostname(), os.getpid(), _start_ticks(os.getpid()) or 0)


def stamp(body: dict, pending: bool = True, run: Run | None = None) -> dict:
    """A copy of ``body`` with the podnotes label, and (``pending``) this run's annotation, in its metadata."""
    stamped = copy.deepcopy(body)
    metadata = stamped.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), **MANAGED_BY}
    annotations = {key: value for key, value in (metadata.get("annotations") or {}).items()
                   if key != RUN_ANNOTATION}
    if pending:
        annotations[RUN_ANNOTATION] = str(run or current())
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    return stamped


RELEASE_PATCH = {"metadata": {"annotations": {RUN_ANNOTATION: None}}}  # JSON merge patch: the run is complete


def owner_of(obj: dict | None) -> Run | None:
    """The run recorded on a live object, or None."""
    metadata = (obj or {}).get("metadata") or {}
    return Run.parse((metadata.get("annotations") or {}).get(RUN_ANNOTATION))


@dataclass(frozen=True)
class ClusterLeftover:
    """A podnotes object on the cluster whose run is over (or, with ``everything``, any podnotes object)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    owner: Run | None

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        made = self.owner.describe() if self.owner else "an unknown run"
        return f"{self.kind.lower()}/{self.name}{where} (made by {made})"


def find_leftovers(cluster, everything: bool = False) -> list[ClusterLeftover]:
    """Every podnotes object whose run annotation names a run that is over, across all listable resources.

    Objects without the annotation were kept on purpose by a run that
    completed and are never listed. ``everything``: also objects of runs on
    other machines (never those of a run still going on here)."""
    found = []
    for resource in _listable(cluster.dynamic):
        try:
            items = cluster.dynamic.get(resource, label_selector=SELECTOR).to_dict().get("items") or []
        except Exception:  # noqa: BLE001 - a resource the user may not list; the others still count
            continue
        for item in items:
            metadata = item.get("metadata") or {}
            owner = owner_of(item)
            if owner is None:
                continue
            state = owner.over()
            if state is False or (state is None and not everything):
                continue
            if metadata.get("deletionTimestamp"):
                continue
            found.append(ClusterLeftover(item.get("apiVersion") or resource.group_version, resource.kind,
                                         metadata.get("name", "?"), metadata.get("namespace"), owner))
    return found


def _listable(dynamic) -> list:
    seen: set[tuple] = set()
    found: list = []
    for entry in dynamic.resources:
        for resource in entry if isinstance(entry, list) else [entry]:  # a kind served twice comes as a list
            if _new_listable(resource, seen):
                found.append(resource)
    return found


def _new_listable(resource, seen: set) -> bool:
    from . import api

    if api.is_resource_list(resource):  # the client's view of "PodList" and the like: not a resource
        return False
    name = getattr(resource, "name", None) or ""
    if "/" in name or "list" not in (getattr(resource, "verbs", None) or []):
        return False
    key = (resource.group, resource.kind)
    if key in seen:
        return False
    seen.add(key)
    return True
