"""What ``kubectl describe pod`` prints about why a Pod is not running: each container's State and Last
State, and the Events table, made from the Pod and Event objects the API server returns (camelCase dicts).

Follows kubectl v1.37 (``staging/src/k8s.io/kubectl/pkg/describe/describe.go``):

* ``describeContainerState``: ``State: Waiting`` with ``Reason:`` and, when set, ``Message:``;
  ``Running`` with ``Started:``; ``Terminated`` with ``Reason``, ``Exit Code``, ``Started``, ``Finished``;
  the same for ``Last State``, then ``Ready`` and ``Restart Count``;
* ``DescribeEvents``: the Pod's Events sorted by their last time (``event.SortableEvents``), one row each:
  Type, Reason, Age (``<age of last> (x<count> over <age of first>)`` when counted), From (the source
  component, else the reporting controller) and the message without surrounding blanks; ``<none>`` when
  there is none. Ages are ``duration.HumanDuration`` (:func:`podnotes.probes.events.human_duration`).

Times are RFC 3339 strings as the API server writes them; ``now`` is seconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from podnotes.cluster.watching import parse_time
from podnotes.probes.events import human_duration

EVENT_HEADER = ("Type", "Reason", "Age", "From", "Message")


@dataclass(frozen=True)
class EventRow:
    """One row of the Events table; ``first`` and ``last`` in seconds since the epoch."""

    type: str
    reason: str
    source: str
    message: str
    first: float
    last: float
    count: int

    def age(self, now: float) -> str:
        last = human_duration(max(0.0, now - self.last))
        if self.count > 1:
            return f"{last} (x{self.count} over {human_duration(max(0.0, now - self.first))})"
        return last


def event_rows(events: list[dict]) -> list[EventRow]:
    """Event objects (core/v1, as the kubelet records them) as rows, oldest last-seen first."""
    rows = []
    for event in events:
        first = parse_time(event.get("firstTimestamp") or event.get("eventTime")) or 0.0
        series = event.get("series") or {}
        last = parse_time(series.get("lastObservedTime") or event.get("lastTimestamp")) or first
        count = int(series.get("count") or event.get("count") or 1)
        source = (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""
        rows.append(EventRow(event.get("type") or "", event.get("reason") or "", source,
                             (event.get("message") or "").strip(), first, last, count))
    return sorted(rows, key=lambda row: row.last)


def events_of(pod: dict, events: list[dict]) -> list[dict]:
    """The Events whose involvedObject is ``pod`` (matched by UID, as kubectl's field selector does)."""
    uid = (pod.get("metadata") or {}).get("uid")
    return [event for event in events if (event.get("involvedObject") or {}).get("uid") == uid]


def events_table(rows: list[EventRow], now: float, width: int | None = None) -> str:
    """The ``Events:`` section of ``kubectl describe``, aligned as its tab writer aligns it.

    kubectl prints each message on one line; with ``width`` (characters), a longer line continues on the
    next lines, indented under the Message column (or by six blanks when that column starts too far right)."""
    if not rows:
        return "Events:  <none>"
    cells = [EVENT_HEADER, tuple("-" * len(name) for name in EVENT_HEADER)]
    cells += [(row.type, row.reason, row.age(now), row.source, row.message) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(4)]
    lines = ["Events:"]
    for line in cells:
        left = "  " + "  ".join(c.ljust(w) for c, w in zip(line[:4], widths, strict=True)) + "  "
        lines += _fold(left, line[4], width)
    return "\n".join(lines)


def _fold(left: str, message: str, width: int | None, indent: int = 6) -> list[str]:
    """``left + message`` on one line when it fits in ``width``; else ``left``, then the message folded at
    blanks on lines indented by ``indent``."""
    import textwrap

    if width is None or len(left) + len(message) <= width:
        return [(left + message).rstrip()]
    pad = " " * indent
    return [left.rstrip(), *textwrap.wrap(message, width, initial_indent=pad, subsequent_indent=pad,
                                          break_long_words=False, break_on_hyphens=False)]


def _state_lines(label: str, state: dict, width: int | None = None) -> list[str]:
    if not state:
        return []
    which, detail = next(iter(state.items()))
    lines = [f"{label}{which.capitalize()}"]
    if which == "running":
        lines.append(f"  Started:     {detail.get('startedAt', '')}")
        return lines
    if detail.get("reason"):
        lines.append(f"  Reason:      {detail['reason']}")
    if detail.get("message"):
        lines += _fold("  Message:     ", detail["message"].strip(), None if width is None else width - 4, 4)
    if which == "terminated":
        lines.append(f"  Exit Code:   {detail.get('exitCode')}")
        lines += [f"  Started:     {detail.get('startedAt', '')}", f"  Finished:    {detail.get('finishedAt', '')}"]
    return lines


def container_section(pod: dict, container: str, kind: str = "containerStatuses", width: int | None = None) -> str:
    """One container's ``State``, ``Last State``, ``Ready`` and ``Restart Count`` lines (a long message
    folded at ``width``)."""
    status = next((s for s in (pod.get("status") or {}).get(kind) or [] if s.get("name") == container), None)
    if status is None:
        return f"{container}:\n  State:          Waiting (no status yet)"
    lines = [f"{container}:"]
    for label, key in (("State:          ", "state"), ("Last State:     ", "lastState")):
        lines += ["  " + line for line in _state_lines(label, status.get(key) or {}, width)]
    lines += [f"  Ready:          {str(bool(status.get('ready'))).capitalize()}",
              f"  Restart Count:  {status.get('restartCount', 0)}"]
    return "\n".join(lines)


def waiting_reason(pod: dict, container: str | None = None) -> str | None:
    """The reason of the first waiting container (or of ``container``): CrashLoopBackOff, ErrImagePull …"""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if container is None or status.get("name") == container:
            reason = ((status.get("state") or {}).get("waiting") or {}).get("reason")
            if reason:
                return reason
    return None


def describe_pod(pod: dict, events: list[dict], now: float, width: int | None = None) -> str:
    """The parts of ``kubectl describe pod`` that say why it does not run: name, status, each container,
    and its Events (folded at ``width`` characters, see :func:`events_table`)."""
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    lines = [f"Name:         {metadata.get('name', '')}", f"Namespace:    {metadata.get('namespace', '')}",
             f"Status:       {status.get('phase', 'Pending')}", "Containers:"]
    for container in (pod.get("spec") or {}).get("containers") or []:
        section = container_section(pod, container["name"], width=None if width is None else width - 2)
        lines += ["  " + line for line in section.splitlines()]
    lines.append(events_table(event_rows(events_of(pod, events)), now, width))
    return "\n".join(lines)


def terminal(run: dict, width: int = 84) -> str:
    """A kubectl run (``command``, ``stdout``, ``stderr``) as a terminal shows it: ``$ COMMAND``, then what
    it printed. Lines longer than ``width`` are folded at blanks onto lines indented by six blanks (kubectl
    prints each on one line; a phone does not scroll sideways)."""
    lines = command_lines(run["command"], width)
    for line in (run.get("stdout", "") + run.get("stderr", "")).rstrip("\n").splitlines():
        lines += fold_line(line, width)
    return "\n".join(lines)


def command_lines(command: str, width: int = 84) -> list[str]:
    """``$ COMMAND`` as a shell takes it, split between words with `` \\`` continuations when longer than
    ``width`` (a quoted word is never split)."""
    import shlex

    words = [shlex.quote(word) for word in shlex.split(command)]
    lines: list[list[str]] = [["$"]]
    for word in words:
        if len(" ".join(lines[-1])) + 1 + len(word) + 2 > width and len(lines[-1]) > 1:
            # a quoted word never opens a line: it takes the word before it along (``-c 'script'``)
            carried = [lines[-1].pop()] if word.startswith("'") and len(lines[-1]) > 2 else []
            lines.append(["   ", *carried])
        lines[-1].append(word)
    text = [" ".join(line) for line in lines]
    return [line + " \\" for line in text[:-1]] + text[-1:]


def fold_line(line: str, width: int, indent: int = 6) -> list[str]:
    """``line`` cut at its last blank within ``width``, the rest folded at blanks on lines indented by
    ``indent``; a line without such a blank is kept whole."""
    import textwrap

    line = line.rstrip()
    cut = line.rfind(" ", 0, width + 1)
    if len(line) <= width or cut <= len(line) - len(line.lstrip()):
        return [line]
    pad = " " * indent
    return [line[:cut].rstrip(), *textwrap.wrap(line[cut + 1:].strip(), width, initial_indent=pad,
                                                subsequent_indent=pad, break_long_words=False,
                                                break_on_hyphens=False)]


@dataclass
class Recording:
    """The kubectl runs of a recording (each ``command``, ``stdout``, ``stderr``, ``exit``) and the Pod and
    Event objects read at the same time, for a chapter to show and check. ``record`` None: nothing was
    recorded, :meth:`show` prints nothing and ``real`` is False."""

    record: dict | None
    width: int = 84

    @property
    def real(self) -> bool:
        return self.record is not None

    def runs(self, command: str) -> list[dict]:
        """Every run of ``kubectl ...`` with exactly this command line, in the order they ran."""
        return [run for run in (self.record or {}).get("kubectl", []) if run["command"] == command]

    def run(self, command: str, which: int = 0) -> dict:
        found = self.runs(command)
        if not found:
            raise KeyError(f"`{command}` was not recorded")
        return found[which]

    def show(self, command: str, which: int = 0) -> None:
        """Print the run as a terminal shows it (nothing when there is no recording)."""
        if self.record is not None:
            print(terminal(self.run(command, which), self.width))

    def show_each(self, prefix: str) -> None:
        """Print every run whose command line starts with ``prefix``, in the order they ran."""
        for run in (self.record or {}).get("kubectl", []):
            if run["command"].startswith(prefix):
                print(terminal(run, self.width))

    def pod(self, name: str) -> dict:
        return (self.record or {})["pods"][name]

    def events(self, name: str) -> list[EventRow]:
        """The Pod's Events as rows, oldest last-seen first."""
        return event_rows(events_of(self.pod(name), (self.record or {})["events"]))

    def reasons(self, name: str) -> set[str]:
        return {row.reason for row in self.events(name)}
