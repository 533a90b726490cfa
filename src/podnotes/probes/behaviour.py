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
            # [from second, answer] pairs: status 200 from uptime 0, 500 from 10 s
            answers: [[0, 200], [10, 500]]
            # response delay; at or above timeoutSeconds it is a timeout
            delays: [[0, 0], [60, 5]]
            clock: uptime         # "uptime" (since this container started) or "pod"
    # seconds the probe tickers fire after start + initialDelaySeconds
    tickPhase: 0
    deleteAt: 60                  # optional: the Pod is deleted (kubectl delete) then
    deleteGracePeriodSeconds: 5   # optional: the delete request's grace period
                                  # (--grace-period); 0 with --force; absent: the Pod's
    finalizersRemovedAt: 90       # optional: a controller removes the finalizers

Answers per handler: ``httpGet`` an HTTP status (100-599, ``null`` =
connection refused), ``tcpSocket`` true/false (listening or not), ``exec`` an
exit code (0-255), ``grpc`` a serving status (``SERVING``, ``NOT_SERVING``,
``UNKNOWN``). A probe without answers always succeeds at once; the simulator
lists such probes in ``Timeline.notes`` (:func:`assumed_healthy`), and a
container or probe the Pod does not have is an error (:func:`name_problems`).

Every file is checked against the JSON Schema ``behaviour.schema.json``
shipped next to this module (:func:`json_schema`): times are finite seconds
from 0 to one day, exit codes 0-255, schedules at most 10,000 pairs with
increasing times; :func:`answer_problems` then checks each answer against the
handler of the probe it answers for. Errors name the file, the line and the
field path.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    def constant(cls, value: Any) -> Steps:
        return cls(((0.0, value),))

    def at(self, t: float) -> Any:
        index = bisect_right(self._times, t)  # type: ignore[attr-defined]
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
class BehaviourSource:
    """Where a behaviour came from: the file's name and its located Node tree."""

    file: str
    root: Any

    def where(self, path: list) -> str:
        """``file:line`` of the value at ``path`` (as far as the path exists in the file)."""
        line = _line_of(self.root, path)
        return f"{self.file}:{line}" if line else self.file


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
    # The delete request's gracePeriodSeconds (DeleteOptions; kubectl delete --grace-period, 0 with
    # --force); None: the Pod's terminationGracePeriodSeconds (CheckGracefulDelete).
    delete_grace_seconds: int | None = None
    # When whatever owns the Pod's metadata.finalizers removes them (seconds after its creation); None: never.
    finalizers_removed_at: float | None = None
    # The file it was read from, to name lines in later messages; None for data built in Python.
    source: BehaviourSource | None = field(default=None, compare=False, repr=False)

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

    def with_container(self, name: str, **changes: Any) -> Behaviour:
        """A copy with one container's behaviour changed (exercises use this)."""
        current = self.containers.get(name, DEFAULT_APP_BEHAVIOUR)
        return replace(self, containers={**self.containers, name: replace(current, **changes)})


# --- reading behaviour files --------------------------------------------------

SCHEMA_FILE = "behaviour.schema.json"
# The longest simulation (one day): events grow with duration / periodSeconds.
MAX_SECONDS = 86_400.0
_CONTAINER_KEYS = {
    "exitAfter": "exit_after", "exitCode": "exit_code", "sigterm": "sigterm",
    "sigtermExitAfter": "sigterm_exit_after", "sigtermExitCode": "sigterm_exit_code",
    "preStopSeconds": "pre_stop_seconds",
}
_MAX_SHOWN_ERRORS = 10


def json_schema() -> dict:
    """The JSON Schema (2020-12) of behaviour files, shipped as ``podnotes/probes/behaviour.schema.json``."""
    from importlib import resources

    return json.loads(resources.files("podnotes.probes").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load_behaviour(path: str | Path) -> Behaviour:
    """Read a behaviour from a YAML or JSON file (``"-"`` for stdin).

    The file is read by :func:`podnotes.inputfile.read_bytes` (3 MiB, pipes
    against a deadline) and parsed by :func:`podnotes.manifest.parse_text`,
    with its limits on aliases, nesting and size; then it is checked against
    :func:`json_schema`. Raises :class:`BehaviourError` whose message names
    the file, the line and the field path of each problem
    (``b.yaml:7: containers.app.exitCode: must be an integer, not a string``).
    """
    from podnotes.manifest import SingleDocumentError, load_single_document

    try:
        document, name = load_single_document(path, "the behaviour file")
    except SingleDocumentError as err:
        raise BehaviourError(str(err)) from None
    root = document.root if document is not None else None
    return _from_checked(root.to_python() if root is not None else None, name, root)


def behaviour_from_dict(data: Any) -> Behaviour:
    """A Behaviour from plain data (what a behaviour file holds), checked against :func:`json_schema`.

    Raises :class:`BehaviourError` naming the field path of each problem.
    """
    return _from_checked(data, None, None)


def _from_checked(data: Any, file: str | None, root: Any) -> Behaviour:
    data = {} if data is None else data
    problems = problems_in(data, root)
    if problems:
        where = f"{file}:" if file else ""
        shown = [f"{where}{line}: {message}" if line and file else f"{where}{' ' if where else ''}{message}"
                 for line, message in problems[:_MAX_SHOWN_ERRORS]]
        more = len(problems) - len(shown)
        raise BehaviourError("\n".join(shown) + (f"\n(and {more} more)" if more > 0 else ""))
    behaviour = _build(data)
    return replace(behaviour, source=BehaviourSource(file, root)) if file else behaviour


def problems_in(data: Any, root: Any = None) -> list[tuple[int | None, str]]:
    """Every problem of behaviour data as ``(line, "field.path: what is wrong")``, in file order.

    ``root`` is the located Node the data came from (for line numbers), or None.
    """
    problems = [(_line_of(root, path), f"{_path_text(path)}: must be a finite number, not {value}")
                for path, value in _non_finite(data)]
    non_finite = {message.split(":")[0] for _, message in problems}
    for error in _validator().iter_errors(data):
        if _path_text(list(error.absolute_path)) in non_finite:
            continue
        error = _innermost(error)
        path = list(error.absolute_path)
        message, key = _describe(error)
        if key is not None:
            path.append(key)
        problems.append((_line_of(root, path), f"{_path_text(path) or '(top level)'}: {message}"))
    if not problems:
        problems = _schedule_problems(data, root)
    return sorted(problems, key=lambda item: (item[0] or 0, item[1]))


def _innermost(error):
    """For a value that fits none of the choices (oneOf), the error of the choice meant for its type.

    Choices that fail only because the value has another type (or is not in an
    enum) are dropped; of the rest, the deepest error says the most. When none
    is left, the oneOf error itself stands (its message quotes the field's
    description).
    """
    while error.validator in ("oneOf", "anyOf") and error.context:
        meant = [e for e in error.context if e.relative_path or e.validator not in ("type", "enum", "oneOf")]
        if not meant:
            break
        error = max(meant, key=lambda e: len(e.relative_path))
    return error


def _non_finite(data: Any, path: tuple = ()) -> list[tuple[tuple, float]]:
    """Paths of .inf and .nan values: JSON has no such numbers, and the schema's minimum does not catch NaN."""
    found = []
    stack = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append((where, value))
        elif isinstance(value, dict):
            stack.extend((child, where + (key,)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, where + (index,)) for index, child in enumerate(value))
    return found


_JSON_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _clip(value: Any, width: int = 40) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= width else f"{text[:width]}…"


def _describe(error) -> tuple[str, Any]:
    """A short message for one schema error, and the key it is about (for unknown fields)."""
    kind, schema, instance = error.validator, error.schema, error.instance
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extra = sorted(set(instance) - set(known), key=str)
        return f"unknown field (expected {', '.join(known) or 'none'})", extra[0] if extra else None
    if kind == "type":
        expected = error.validator_value
        names = [_JSON_NAMES.get(t, t) for t in (expected if isinstance(expected, list) else [expected])]
        return f"must be {' or '.join(names)}, not {_json_name(instance)}", None  # type: ignore[arg-type]
    if kind == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return f"must be one of {allowed}, not {_clip(instance)}", None
    if kind == "minimum":
        return f"must be at least {error.validator_value}, not {_clip(instance)}", None
    if kind == "maximum":
        return f"must be at most {error.validator_value:g}, not {_clip(instance)}", None
    if kind == "minItems":
        return f"needs at least {error.validator_value} items", None
    if kind == "maxItems":
        return f"has {len(instance):,} items, more than the {error.validator_value:,} allowed", None
    if kind == "maxProperties":
        return f"has {len(instance):,} entries, more than the {error.validator_value:,} allowed", None
    if kind == "propertyNames":
        return f"{_clip(error.instance)} is not a valid name (1 to 63 characters)", None
    if kind in ("oneOf", "anyOf"):
        description = schema.get("description") or _one_of_text(schema)
        types = [sub.validator_value for sub in error.context or () if sub.validator == "type"]
        if error.context and len(types) == len(error.context):  # every choice refused the value's type
            names = list(dict.fromkeys(_JSON_NAMES.get(t, t) for t in types))
            return f"must be {' or '.join(names)}, not {_json_name(instance)} ({description})", None  # type: ignore[arg-type]
        return f"{_clip(instance)} is not valid here: {description}", None
    return error.message[:200], None


def _one_of_text(schema: dict) -> str:
    words = {"seconds": "a number of seconds (0 to 86400)", "null": "null", "object": "a mapping",
             "boolean": "true or false", "integer": "an integer", "number": "a number", "array": "a list"}
    choices = []
    for choice in schema.get("oneOf", []):
        if "$ref" in choice:
            choices.append(words.get(choice["$ref"].rsplit("/", 1)[-1], choice["$ref"].rsplit("/", 1)[-1]))
        elif "type" in choice:
            choices.append(words.get(choice["type"], choice["type"]))
        elif "enum" in choice:
            choices.append("one of " + ", ".join(map(str, choice["enum"])))
    return "expected " + " or ".join(choices)


def _schedule_problems(data: dict, root: Any) -> list[tuple[int | None, str]]:
    problems = []
    for name, container in (data.get("containers") or {}).items():
        for probe, answers in ((container or {}).get("probes") or {}).items():
            for key in ("answers", "delays"):
                schedule = (answers or {}).get(key)
                if not isinstance(schedule, list):
                    continue
                times = [pair[0] for pair in schedule]
                for index in range(1, len(times)):
                    if times[index] < times[index - 1]:
                        path = ["containers", name, "probes", probe, key, index, 0]
                        problems.append((_line_of(root, path), f"{_path_text(path)}: schedule times must increase "
                                         f"({times[index - 1]:g} comes before {times[index]:g})"))
                        break
    return problems


def _path_text(path: list | tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = _clip(str(part), 64)
            text += f".{part}" if text else part
    return text


def _line_of(root: Any, path: list | tuple) -> int | None:
    """The line of the value at ``path`` in a located Node tree (the key's line for a mapping entry)."""
    node, line = root, getattr(root, "line", None)
    for part in path:
        if node is None:
            break
        if node.kind == "map" and isinstance(part, str):
            node = node.value.get(part)
            line = node.key_line if node is not None else line
        elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.line
        else:
            break
    return line


def _build(data: dict) -> Behaviour:
    """A Behaviour from data that passed the schema."""
    containers = {}
    for name, raw in (data.get("containers") or {}).items():
        raw = raw or {}
        values = {attribute: raw[key] for key, attribute in _CONTAINER_KEYS.items() if key in raw}
        probes = {probe: _answers(answers or {}) for probe, answers in (raw.get("probes") or {}).items()}
        containers[str(name)] = ContainerBehaviour(**values, probes=probes)
    return Behaviour(containers=containers, tick_phase=data.get("tickPhase", 0.0), delete_at=data.get("deleteAt"),
                     delete_grace_seconds=data.get("deleteGracePeriodSeconds"),
                     finalizers_removed_at=data.get("finalizersRemovedAt"))


def _answers(raw: dict) -> ProbeAnswers:
    answers = _steps(raw["answers"]) if "answers" in raw else None
    return ProbeAnswers(answers=answers, delays=_steps(raw.get("delays", 0.0)), clock=raw.get("clock", "uptime"))


def _steps(raw: Any) -> Steps:
    if not isinstance(raw, list):
        return Steps.constant(raw)
    return Steps(tuple((float(time), value) for time, value in raw))


# --- answers against the Pod's probes -----------------------------------------

def _http_status(value: Any) -> bool:
    return type(value) is int and 100 <= value <= 599


_ANSWER_TYPES = {
    "httpGet": ("an HTTP status (100-599), {status, body} or null (connection refused)",
                lambda a: a is None or _http_status(a.get("status") if isinstance(a, dict) else a)),
    "tcpSocket": ("true (listening) or false (connection refused)", lambda a: type(a) is bool),
    "exec": ("an exit code (0-255)", lambda a: type(a) is int and 0 <= a <= 255),
    "grpc": ("SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN",
             lambda a: a in ("SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN")),
}


def name_problems(behaviour: Behaviour, probes_by_container: dict[str, tuple[str, ...]],
                  source: str = "the behaviour") -> list[str]:
    """Containers and probes a behaviour names that the Pod does not have.

    ``probes_by_container`` maps each container of the Pod (init, sidecar and
    regular, in declaration order) to the probe types it declares. A behaviour
    for a container the Pod does not have would be ignored, and the Pod's
    real containers would silently be assumed healthy, so it is an error
    naming the Pod's containers.
    """
    import difflib

    problems = []
    known = ", ".join(probes_by_container) or "none"
    for name, container in behaviour.containers.items():
        where = f"{behaviour.source.where(['containers', name])}: " if behaviour.source else ""
        if name not in probes_by_container:
            close = difflib.get_close_matches(name, list(probes_by_container), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{where}{source} describes container {name!r}, which the Pod does not have "
                            f"(the Pod's containers: {known}){hint}")
            continue
        declared = probes_by_container[name]
        for probe in container.probes:
            if probe not in declared:
                has = ", ".join(declared) if declared else "no probes"
                at = f"{behaviour.source.where(['containers', name, 'probes', probe])}: " if behaviour.source else ""
                problems.append(f"{at}{source} gives answers for the {probe} probe of container {name!r}, which "
                                f"declares {has}")
    return problems


def assumed_healthy(behaviour: Behaviour, probes_by_container: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """The ``(container, probe type)`` pairs the behaviour gives no answers for:
    the simulator assumes each of their attempts succeeds at once."""
    return [(name, probe) for name, declared in probes_by_container.items() for probe in declared
            if probe not in behaviour.container(name).probes]


def answer_problems(behaviour: Behaviour, handlers: dict[tuple[str, str], str]) -> list[str]:
    """Answers that do not fit the handler of the probe they answer for.

    ``handlers`` maps ``(container, probe type)`` to the Pod's handler
    (exec, httpGet, tcpSocket, grpc). A tcpSocket probe is answered with true
    or false, never with a word such as "down".
    """
    problems = []
    for name, container in behaviour.containers.items():
        for probe, answers in container.probes.items():
            handler = handlers.get((name, probe))
            if handler not in _ANSWER_TYPES or answers.answers is None:
                continue
            wanted, fits = _ANSWER_TYPES[handler]
            for index, (_, answer) in enumerate(answers.answers.points):
                if not fits(answer):
                    where = (f"{behaviour.source.where(['containers', name, 'probes', probe, 'answers', index, 1])}: "
                             if behaviour.source else "")
                    problems.append(f"{where}containers.{name}.probes.{probe}.answers[{index}]: the {probe} probe of "
                                    f"container {name} is {handler}, so an answer is {wanted}, not "
                                    f"{_clip(answer)}")
                    break
    return problems
