"""How the programs in a Pod behave: when each process exits and with which
code, how it reacts to SIGTERM, and what each probe target answers over time.

A behaviour is what a manifest cannot say; together they decide the timeline.
Behaviours can be written in YAML or JSON (``podnotes timeline --behaviour``)::

    containers:
      app:                        # container name
        exitAfter: 45             # seconds after each start; omit to run forever
        exitCode: 1
        sigterm: exit             # "exit" (default) or "ignore" (e.g. sh as PID 1)
        sigtermExitAfter: 0       # seconds from SIGTERM to exit when it does exit
        preStopSeconds: 0         # how long a preStop hook runs, if the Pod has one
        probes:
          liveness:
            answers: [[0, 200], [10, 500]]   # [from second, answer]: HTTP status from uptime 0, 500 from 10 s
            delays: [[0, 0], [60, 5]]        # response delay; at or above timeoutSeconds it is a timeout
            clock: uptime                    # "uptime" (since this container started) or "pod"
    tickPhase: 0                  # seconds the probe tickers fire after start + initialDelaySeconds
    deleteAt: 60                  # optional: the Pod is deleted (kubectl delete) at this second

Answers per handler: ``httpGet`` an HTTP status (``null`` = connection
refused), ``tcpSocket`` true/false (listening or not), ``exec`` an exit code,
``grpc`` a serving status (``SERVING``, ``NOT_SERVING``, ``UNKNOWN``).
A probe without answers always succeeds at once.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

CLOCKS = ("uptime", "pod")
SIGTERM_REACTIONS = ("exit", "ignore")


class BehaviourError(ValueError):
    """A behaviour file that cannot be understood; the message names the field."""


@dataclass(frozen=True)
class Steps:
    """A value that changes at given instants: ``((0, 200), (10, 500))`` is
    200 from 0 s, 500 from 10 s on. Before the first instant the first value holds."""

    points: tuple[tuple[float, Any], ...]

    def __post_init__(self):
        if not self.points:
            raise BehaviourError("a schedule needs at least one [time, value] pair")
        times = [t for t, _ in self.points]
        if times != sorted(times):
            raise BehaviourError(f"schedule times must increase: {times}")
        object.__setattr__(self, "_times", times)

    @classmethod
    def constant(cls, value: Any) -> "Steps":
        return cls(((0.0, value),))

    def at(self, t: float) -> Any:
        index = bisect_right(self._times, t)
        return self.points[max(index - 1, 0)][1]


@dataclass(frozen=True)
class ProbeAnswers:
    """What one probe's target answers, and how quickly, over time."""

    answers: Steps | None = None  # None: always healthy
    delays: Steps = Steps.constant(0.0)
    clock: str = "uptime"


@dataclass(frozen=True)
class ContainerBehaviour:
    """How one container's process behaves, each time it is started."""

    exit_after: float | None = None  # seconds after start; None runs until stopped
    exit_code: int = 0
    sigterm: str = "exit"  # or "ignore": then only SIGKILL at the end of the grace period stops it
    sigterm_exit_after: float = 0.0
    sigterm_exit_code: int = 143  # 128 + SIGTERM
    pre_stop_seconds: float = 0.0
    probes: dict[str, ProbeAnswers] = field(default_factory=dict)


DEFAULT_INIT_BEHAVIOUR = ContainerBehaviour(exit_after=1.0, exit_code=0)
DEFAULT_APP_BEHAVIOUR = ContainerBehaviour()


@dataclass(frozen=True)
class Behaviour:
    """Per container behaviour, and the phase of the probe tickers."""

    containers: dict[str, ContainerBehaviour] = field(default_factory=dict)
    # Seconds after start + initialDelaySeconds at which each probe's ticker
    # first fires (0 <= phase < periodSeconds); a float for every probe, or a
    # dict keyed by "container/probe" (e.g. "app/liveness") or by probe type.
    tick_phase: float | dict[str, float] = 0.0
    # When the Pod is deleted (seconds after its creation); None: never.
    delete_at: float | None = None

    def container(self, name: str, init: bool = False) -> ContainerBehaviour:
        if name in self.containers:
            return self.containers[name]
        return DEFAULT_INIT_BEHAVIOUR if init else DEFAULT_APP_BEHAVIOUR

    def phase_for(self, container: str, probe: str) -> float:
        if isinstance(self.tick_phase, dict):
            for key in (f"{container}/{probe}", probe):
                if key in self.tick_phase:
                    return float(self.tick_phase[key])
            return 0.0
        return float(self.tick_phase)

    def with_container(self, name: str, **changes: Any) -> "Behaviour":
        """A copy with one container's behaviour changed (exercises use this)."""
        current = self.containers.get(name, DEFAULT_APP_BEHAVIOUR)
        return replace(self, containers={**self.containers, name: replace(current, **changes)})


# --- reading behaviour files --------------------------------------------------

_CONTAINER_KEYS = {
    "exitAfter": "exit_after", "exitCode": "exit_code", "sigterm": "sigterm",
    "sigtermExitAfter": "sigterm_exit_after", "sigtermExitCode": "sigterm_exit_code",
    "preStopSeconds": "pre_stop_seconds", "probes": "probes",
}


def load_behaviour(path: str | Path) -> Behaviour:
    """Read a behaviour from a YAML or JSON file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise BehaviourError(f"{path}: cannot read: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise BehaviourError(f"{path}{where}: not valid YAML: {getattr(err, 'problem', err)}") from None
    try:
        return behaviour_from_dict(data or {})
    except BehaviourError as err:
        raise BehaviourError(f"{path}: {err}") from None


def behaviour_from_dict(data: dict) -> Behaviour:
    if not isinstance(data, dict):
        raise BehaviourError("a behaviour is a mapping with 'containers', optionally 'tickPhase' and 'deleteAt'")
    _no_unknown(data, {"containers", "tickPhase", "deleteAt"}, "")
    containers = {}
    for name, raw in (data.get("containers") or {}).items():
        containers[str(name)] = _container_from_dict(raw or {}, f"containers.{name}")
    phase = data.get("tickPhase", 0.0)
    if not isinstance(phase, (int, float, dict)):
        raise BehaviourError(f"tickPhase: expected seconds or a mapping, got {phase!r}")
    delete_at = data.get("deleteAt")
    if delete_at is not None and (not isinstance(delete_at, (int, float)) or delete_at < 0):
        raise BehaviourError(f"deleteAt: expected a number of seconds >= 0, got {delete_at!r}")
    return Behaviour(containers=containers, tick_phase=phase, delete_at=delete_at)


def _container_from_dict(raw: dict, path: str) -> ContainerBehaviour:
    if not isinstance(raw, dict):
        raise BehaviourError(f"{path}: expected a mapping")
    _no_unknown(raw, set(_CONTAINER_KEYS), path)
    values: dict[str, Any] = {}
    for key, attribute in _CONTAINER_KEYS.items():
        if key not in raw or key == "probes":
            continue
        values[attribute] = raw[key]
    if values.get("sigterm", "exit") not in SIGTERM_REACTIONS:
        raise BehaviourError(f"{path}.sigterm: must be one of {', '.join(SIGTERM_REACTIONS)}")
    for key in ("exit_after", "sigterm_exit_after", "pre_stop_seconds"):
        if key in values and values[key] is not None and (not isinstance(values[key], (int, float)) or values[key] < 0):
            raise BehaviourError(f"{path}: {key} must be a number of seconds >= 0, got {values[key]!r}")
    probes = {}
    for probe_type, answers in (raw.get("probes") or {}).items():
        if probe_type not in ("startup", "liveness", "readiness"):
            raise BehaviourError(f"{path}.probes.{probe_type}: expected startup, liveness or readiness")
        probes[probe_type] = _answers_from_dict(answers or {}, f"{path}.probes.{probe_type}")
    return ContainerBehaviour(**values, probes=probes)


def _answers_from_dict(raw: dict, path: str) -> ProbeAnswers:
    _no_unknown(raw, {"answers", "delays", "clock"}, path)
    clock = raw.get("clock", "uptime")
    if clock not in CLOCKS:
        raise BehaviourError(f"{path}.clock: must be one of {', '.join(CLOCKS)}")
    answers = _steps(raw["answers"], f"{path}.answers") if "answers" in raw else None
    delays = _steps(raw.get("delays", 0.0), f"{path}.delays")
    return ProbeAnswers(answers=answers, delays=delays, clock=clock)


def _steps(raw: Any, path: str) -> Steps:
    if not isinstance(raw, list):
        return Steps.constant(raw)
    points = []
    for index, item in enumerate(raw):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], (int, float))):
            raise BehaviourError(f"{path}[{index}]: expected [seconds, value], got {item!r}")
        points.append((float(item[0]), item[1]))
    try:
        return Steps(tuple(points))
    except BehaviourError as err:
        raise BehaviourError(f"{path}: {err}") from None


def _no_unknown(raw: dict, known: set[str], path: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        where = f"{path}." if path else ""
        raise BehaviourError(f"{where}{unknown[0]}: unknown field (expected one of {', '.join(sorted(known))})")
