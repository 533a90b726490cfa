"""The progress board: every participant's checks, as text for the terminal and as a static HTML page the
instructor can project (it reloads itself while ``check --watch`` rewrites it).

One check round reads the whole room in three list requests (Pods, ConfigMaps and Events of every
namespace, filtered here to the workshop's namespaces), then runs each exercise's check on each namespace:
the round costs the same few requests for 5 participants or 40.
"""

from __future__ import annotations

import html
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from podnotes.cluster import Cluster

from . import records, rest
from .exercises import EXERCISES, FAILING, NOT_YET, PASSED, Exercise, NamespaceView, Result
from .participants import Participant

MARKS = {PASSED: "passed", NOT_YET: "not yet", FAILING: "FAILING"}
REFRESH_SECONDS = 5


@dataclass
class Board:
    """``results[participant][exercise id]``: one Result per cell; ``seconds``: how long the round took."""

    workshop: str
    people: list[Participant]
    exercises: tuple[Exercise, ...]
    results: dict[str, dict[str, Result]] = field(default_factory=dict)
    seconds: float = 0.0
    taken_at: float = 0.0

    def count(self, state: str) -> int:
        return sum(1 for row in self.results.values() for result in row.values() if result.state == state)

    def passed(self, participant: str, exercise_id: str) -> bool:
        return self.results[participant][exercise_id].state == PASSED


def read_views(cluster: Cluster, namespaces: set[str]) -> dict[str, NamespaceView]:
    """The Pods, ConfigMaps and Events of ``namespaces``: three cluster-wide lists, read side by side."""
    kinds = {"pods": "Pod", "configmaps": "ConfigMap", "events": "Event"}
    with ThreadPoolExecutor(len(kinds)) as pool:
        futures = {plural: pool.submit(rest.items, cluster, "v1", kind) for plural, kind in kinds.items()}
        lists = {plural: future.result() for plural, future in futures.items()}
    return views_from_lists(namespaces, lists)


def views_from_lists(namespaces: set[str], lists: dict[str, list[dict]]) -> dict[str, NamespaceView]:
    views = {namespace: NamespaceView(namespace) for namespace in namespaces}
    for kind in ("pods", "configmaps"):
        for item in lists.get(kind, []):
            view = views.get(item["metadata"].get("namespace"))
            if view is not None:
                getattr(view, kind)[item["metadata"]["name"]] = item
    for event in lists.get("events", []):
        view = views.get(event["metadata"].get("namespace"))
        if view is not None:
            view.events.append(event)
    return views


def check_round(cluster: Cluster, workshop: str, people: list[Participant],
                chosen: tuple[Exercise, ...] = EXERCISES) -> Board:
    """Run every check for every participant once."""
    started = time.perf_counter()
    views = read_views(cluster, {person.namespace for person in people})
    board = Board(workshop, people, chosen, taken_at=time.time())
    for person in people:
        board.results[person.name] = {exercise.id: exercise.run(views[person.namespace]) for exercise in chosen}
    board.seconds = time.perf_counter() - started
    return board


def text(board: Board, hints: bool = True) -> str:
    """The board as a table (participant x exercise), then the hint of every failing cell."""
    from podnotes.display import table

    headers = ["PARTICIPANT"] + [exercise.id.upper() for exercise in board.exercises]
    rows = [[person.name] + [MARKS[board.results[person.name][e.id].state] for e in board.exercises]
            for person in board.people]
    lines = [table(headers, rows, width=200)]
    total = len(board.people) * len(board.exercises)
    lines.append(f"{board.count(PASSED)}/{total} passed, {board.count(FAILING)} failing, "
                 f"{board.count(NOT_YET)} not yet; round took {board.seconds:.2f} s at "
                 f"{time.strftime('%H:%M:%S', time.localtime(board.taken_at))}")
    if hints:
        stuck = [(person, exercise, board.results[person.name][exercise.id]) for person in board.people
                 for exercise in board.exercises if board.results[person.name][exercise.id].state == FAILING]
        for person, exercise, result in stuck:
            lines.append(f"  {person.name} {exercise.id}: {result.detail}" + (f"; hint: {result.hint}"
                                                                               if result.hint else ""))
    return "\n".join(lines)


def html_page(board: Board, refresh: int | None = REFRESH_SECONDS) -> str:
    """A self-contained page (no script, no external file) for projecting; ``refresh`` seconds reload."""
    head = "".join(f'<th title="{html.escape(e.title)}">{html.escape(e.id)}</th>' for e in board.exercises)
    rows = []
    for person in board.people:
        cells = []
        for exercise in board.exercises:
            result = board.results[person.name][exercise.id]
            tip = html.escape(result.detail + (f" (hint: {result.hint})" if result.hint else ""))
            state = result.state.replace(" ", "-")
            cells.append(f'<td class="{state}" title="{tip}">{html.escape(MARKS[result.state])}</td>')
        rows.append(f"<tr><th>{html.escape(person.name)}</th>{''.join(cells)}</tr>")
    stuck = "".join(
        f"<li><b>{html.escape(person.name)}</b> {html.escape(exercise.id)}: "
        f"{html.escape(board.results[person.name][exercise.id].detail)}"
        + (f" <i>hint: {html.escape(board.results[person.name][exercise.id].hint)}</i>"
           if board.results[person.name][exercise.id].hint else "") + "</li>"
        for person in board.people for exercise in board.exercises
        if board.results[person.name][exercise.id].state == FAILING)
    legend = "".join(f"<li><b>{html.escape(e.id)}</b>: {html.escape(e.title)} ({html.escape(e.chapter)})</li>"
                     for e in board.exercises)
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    total = len(board.people) * len(board.exercises)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(board.workshop)}: progress</title><style>"
        "body{font:16px/1.3 sans-serif;margin:1em}table{border-collapse:collapse}"
        "th,td{border:1px solid #999;padding:.25em .6em;text-align:center}"
        "td.passed{background:#b7e4b0}td.failing{background:#f4b6b0;font-weight:bold}"
        "td.not-yet{background:#eee;color:#555}th{text-align:left}.wide{overflow-x:auto}"
        "ul.stuck{font-size:14px}</style></head><body>"
        f"<h1>Workshop {html.escape(board.workshop)}</h1>"
        f"<p>{board.count(PASSED)} of {total} passed, {board.count(FAILING)} failing; checked at "
        f"{time.strftime('%H:%M:%S', time.localtime(board.taken_at))} in {board.seconds:.2f} s.</p>"
        f'<div class="wide"><table><thead><tr><th>participant</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        + (f'<h2>Failing</h2><ul class="stuck">{stuck}</ul>' if stuck else "")
        + f"<h2>Exercises</h2><ul>{legend}</ul></body></html>\n")


def write_html(board: Board, record: records.Record, refresh: int | None = REFRESH_SECONDS) -> str:
    path = record.folder / "board.html"
    record.folder.mkdir(parents=True, exist_ok=True)
    records.write_atomically(path, html_page(board, refresh))
    return str(path)
