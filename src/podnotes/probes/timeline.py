"""The timeline of one Pod: what happened to it, second by second.

This module is the one place the event schema lives. The simulator
(:mod:`podnotes.probes.simulator`) produces a :class:`Timeline`, and so does
observing a real Pod on a cluster; both serialise to the same JSON, which
``timeline.schema.json`` (shipped next to this module) describes.

JSON form (``Timeline.to_json()``)::

    {
      "schema": "podnotes.timeline/v1",
      "pod": "liveness-exec",
      "source": "simulated",             # or "observed"
      "duration": 120.0,                 # seconds covered, from Pod creation
      "containers": [{"name": "liveness", "type": "app"}],   # "init", "sidecar" or "app"
      "probes": [{"container": "liveness", "probe": "liveness", "handler": "exec",
                  "initialDelaySeconds": 5, "periodSeconds": 5, "timeoutSeconds": 1,
                  "successThreshold": 1, "failureThreshold": 3}],
      "notes": ["no behaviour given for ..."],   # only when something was assumed
      "events": [{"time": 0.0, "kind": "phase", "phase": "Pending"}, ...]
    }

With the default indent, each event takes one line.

Every event has ``time`` (seconds since the Pod was created) and ``kind``;
the other fields depend on the kind (absent fields are omitted in JSON). The
schema requires only the fields marked *required* below; a simulation fills in
all of them, an observed timeline those the API reported.

==============  =====================================================================
kind            fields
==============  =====================================================================
``probe``       ``container``, ``probe`` (liveness/readiness/startup) and ``result``
                (success/failure/timeout/error) required; ``handler``, ``seconds`` (how
                long the attempt took), ``message`` (what the target answered). An
                ``error`` is a probe the kubelet could not run (e.g. a named port the
                container does not declare; ``message`` is the kubelet's error): it
                records a Warning ``Unhealthy`` event "<Probe> probe errored and
                resulted in unknown state: <message>" and discards the result
``warning``     ``container``, ``probe``, ``reason`` (ProbeWarning) required: the probe
                counted as a success with a warning (an HTTP 3xx the kubelet did not
                follow); ``message`` is the kubelet's event message
``threshold``   ``container``, ``probe``, ``result`` (success/failure) required:
                the kubelet's cached result changed after ``count`` consecutive results
``kill``        ``container`` required; ``reason`` (LivenessProbe, StartupProbe,
                PodCompleted, PodDeletion, DeadlineExceeded, Changed), ``seconds`` (the
                grace period), ``message`` (the kubelet's ``Killing`` event message)
``stop``        ``container`` required: the kubelet asks the runtime to stop the
                container now (the stop signal, SIGKILL after ``seconds``); later than
                the ``kill`` by a preStop hook or, for a sidecar, the wait for its turn
``hook``        ``container`` required; ``reason`` (PreStop), ``seconds`` (how long it ran)
``exit``        ``container`` required; ``exit_code``, ``reason`` (Completed, Error), ``message``
``start``       ``container``, ``restart_count`` required
``waiting``     ``container`` required; ``reason`` (ContainerCreating, PodInitializing)
``backoff``     ``container`` required; ``seconds`` (length of the wait), ``reason``
                (CrashLoopBackOff), ``message``
``started``     ``container``, ``status`` (the container's ``started`` flag, bool)
``ready``       ``container``, ``status`` (the container's ``ready`` flag, bool)
``condition``   ``condition`` (PodScheduled, PodReadyToStartContainers, Initialized,
                ContainersReady, Ready), ``status`` (bool), ``reason``
``phase``       ``phase`` (Pending, Running, Succeeded, Failed, Unknown); ``reason`` and
                ``message`` when the kubelet sets them (DeadlineExceeded)
``endpoint``    ``status`` (true: the Pod's address is a ready endpoint of its Services);
                ``reason`` Terminating when the address stays in the EndpointSlice with
                ``ready: false, terminating: true`` because the Pod is being deleted
``delete``      the Pod was deleted (``metadata.deletionTimestamp`` set; kubectl shows
                Terminating); ``seconds`` (the grace period the API server took: the
                deletionTimestamp is the deletion plus these seconds), ``message``
``removed``     the Pod object is gone from the API server (a deletion with grace period
                0, or the kubelet's final delete once every container stopped and no
                finalizer is left); ``message``
``deadline``    ``activeDeadlineSeconds`` has passed: ``reason`` (DeadlineExceeded),
                ``message`` (the kubelet's), ``seconds`` (the grace period of the kills)
``update``      the Pod's spec was changed (``kubectl set image``, a new
                ``activeDeadlineSeconds``); ``container`` when one container's image
                changed, ``message`` says what changed
==============  =====================================================================
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from podnotes.kube.enums import PROBE_FIELDS

SCHEMA_ID = "podnotes.timeline/v1"
SCHEMA_FILE = Path(__file__).with_name("timeline.schema.json")

EVENT_KINDS = (
    "probe", "threshold", "kill", "hook", "exit", "start", "waiting", "backoff",
    "started", "ready", "condition", "phase", "endpoint", "delete", "removed",
    "warning", "stop", "deadline", "update",
)
PROBE_TYPES = tuple(PROBE_FIELDS)  # startup, liveness, readiness
PROBE_RESULTS = ("success", "failure", "timeout", "error")
CONTAINER_TYPES = ("init", "sidecar", "app")


@dataclass(frozen=True)
class Event:
    """One thing that happened at ``time`` seconds after the Pod was created."""

    time: float
    kind: str
    container: str | None = None
    probe: str | None = None
    handler: str | None = None
    result: str | None = None
    count: int | None = None
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    restart_count: int | None = None
    seconds: float | None = None
    status: bool | None = None
    condition: str | None = None
    phase: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # The instance dict, not dataclasses.asdict: asdict deep-copies every
        # field, which made a day's timeline (173,000 events) take seconds.
        return {key: value for key, value in self.__dict__.items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown event field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    type: str  # one of CONTAINER_TYPES
    image: str | None = None  # as the manifest names it, when known


@dataclass(frozen=True)
class ProbeInfo:
    """A probe's settings after defaulting, as the timeline's lanes need them."""

    container: str
    probe: str
    handler: str
    initialDelaySeconds: int = 0
    periodSeconds: int = 10
    timeoutSeconds: int = 1
    successThreshold: int = 1
    failureThreshold: int = 3


@dataclass
class Timeline:
    """An ordered list of events plus the facts people ask about them."""

    pod: str
    duration: float
    events: list[Event] = field(default_factory=list)
    containers: list[ContainerInfo] = field(default_factory=list)
    probes: list[ProbeInfo] = field(default_factory=list)
    source: str = "simulated"
    # What the timeline assumed because nobody said (probes with no behaviour
    # given are assumed to succeed); shown with every output.
    notes: list[str] = field(default_factory=list)

    def shifted(self, seconds: float) -> Timeline:
        """The same timeline with every instant ``seconds`` later (for overlaying
        a simulation on an observation whose clock started earlier)."""
        moved = [replace(event, time=event.time + seconds) for event in self.events]
        return Timeline(self.pod, self.duration + seconds, moved, list(self.containers), list(self.probes), self.source,
                        list(self.notes))

    # --- selection ------------------------------------------------------------
    def select(self, kind: str | None = None, container: str | None = None,
               probe: str | None = None, **equal: Any) -> list[Event]:
        """Events of ``kind`` (and container, probe, any other field) in time order."""
        found = []
        for event in self.events:
            if kind is not None and event.kind != kind:
                continue
            if container is not None and event.container != container:
                continue
            if probe is not None and event.probe != probe:
                continue
            if any(getattr(event, key) != value for key, value in equal.items()):
                continue
            found.append(event)
        return found

    # --- the facts readers want ---------------------------------------------
    def restarts(self, container: str | None = None) -> list[float]:
        """When each restart happened (a container started again)."""
        return [e.time for e in self.select("start", container) if (e.restart_count or 0) > 0]

    def restart_count(self, at: float, container: str | None = None) -> int:
        """kubectl's RESTARTS at time ``at``: restarts so far, summed over the containers asked for."""
        latest: dict[str, int] = {}
        for event in self.select("start", container):
            if event.time <= at:
                latest[event.container] = event.restart_count or 0  # type: ignore[index]
        return sum(latest.values())

    def kills(self, container: str | None = None) -> list[float]:
        return [e.time for e in self.select("kill", container)]

    def first_probe(self, probe: str, container: str | None = None) -> float | None:
        """When the first probe of this type ran (None if it never did)."""
        attempts = self.select("probe", container, probe)
        return attempts[0].time if attempts else None

    def ready_intervals(self) -> list[tuple[float, float | None]]:
        """The intervals during which the Pod's Ready condition was True; an
        open interval ends with None."""
        return _true_intervals(self.select("condition", condition="Ready"))

    def endpoint_intervals(self) -> list[tuple[float, float | None]]:
        """The intervals during which the Pod was a ready endpoint of its Services."""
        return _true_intervals(self.select("endpoint"))

    def phase_at(self, at: float) -> str | None:
        phases = self.select("phase")
        index = bisect_right([e.time for e in phases], at)
        return phases[index - 1].phase if index else None

    def phases(self) -> list[tuple[float, str]]:
        return [(e.time, e.phase) for e in self.select("phase")]  # type: ignore[misc]

    def deleted_at(self) -> float | None:
        """When the Pod was deleted (None if it was not)."""
        deletions = self.select("delete")
        return deletions[0].time if deletions else None

    def removed_at(self) -> float | None:
        """When the Pod object was removed from the API server (None if it was not): a deletion with grace
        period 0, or the kubelet's final delete once nothing runs and no finalizer is left
        (``pkg/kubelet/status/status_manager.go``, ``canBeDeleted``)."""
        removals = self.select("removed")
        return removals[0].time if removals else None

    def is_ready(self, at: float) -> bool:
        return any(start <= at and (end is None or at < end) for start, end in self.ready_intervals())

    # --- JSON ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = self._header()
        data["events"] = [e.to_dict() for e in self.events]
        return data

    def _header(self) -> dict[str, Any]:
        data = {
            "schema": SCHEMA_ID,
            "pod": self.pod,
            "source": self.source,
            "duration": self.duration,
            "containers": [{k: v for k, v in asdict(c).items() if v is not None} for c in self.containers],
            "probes": [asdict(p) for p in self.probes],
        }
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The JSON text; with ``indent``, the header is indented and each event
        takes one line. Written by orjson: the standard library's encoder took
        about a second for a day of events (173,000), its indenting one five."""
        import orjson

        if indent is None:
            return orjson.dumps(self.to_dict()).decode()
        header = json.dumps(self._header(), indent=indent, ensure_ascii=False)
        pad = " " * indent
        body = _one_per_line([e.to_dict() for e in self.events], pad).decode() if self.events else "[]"
        return f'{header[:-2]},\n{pad}"events": {body}\n}}'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        if data.get("schema") != SCHEMA_ID:
            raise ValueError(f"not a podnotes timeline: schema is {data.get('schema')!r}, expected {SCHEMA_ID!r}")
        return cls(
            pod=data["pod"],
            duration=float(data["duration"]),
            source=data.get("source", "simulated"),
            containers=[ContainerInfo(**c) for c in data.get("containers", [])],
            probes=[ProbeInfo(**p) for p in data.get("probes", [])],
            events=[Event.from_dict(e) for e in data.get("events", [])],
            notes=list(data.get("notes", [])),
        )

    @classmethod
    def from_json(cls, text: str) -> Timeline:
        return cls.from_dict(json.loads(text))


def _one_per_line(events: list[dict[str, Any]], pad: str) -> bytes:
    """The events as a JSON array, one event per line.

    One orjson call for the whole list (a call per event costs ten times as
    much), then a line break at each boundary between two events. Events hold
    no nested objects, so every ``},{`` is a boundary unless a string contains
    one: then the counts differ and each event is written on its own.
    """
    import orjson

    compact = orjson.dumps(events)
    separator = f",\n{pad * 2}".encode()
    if compact.count(b"},{") == len(events) - 1:
        inner = compact[1:-1].replace(b"},{", b"}" + separator + b"{")
    else:
        inner = separator.join([orjson.dumps(event) for event in events])
    return b"[\n" + (pad * 2).encode() + inner + b"\n" + pad.encode() + b"]"


def _true_intervals(changes: Iterable[Event]) -> list[tuple[float, float | None]]:
    intervals: list[tuple[float, float | None]] = []
    opened: float | None = None
    for event in changes:
        if event.status and opened is None:
            opened = event.time
        elif not event.status and opened is not None:
            intervals.append((opened, event.time))
            opened = None
    if opened is not None:
        intervals.append((opened, None))
    return intervals


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``Timeline.to_json()``."""
    return json.loads(SCHEMA_FILE.read_text())
