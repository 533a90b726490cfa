"""Pictures of Pod timelines: one lane per probe, per container state, and for
readiness, time in seconds along the bottom.

Every word the figures show comes from :data:`LABELS`, so that an edition in
another language swaps one dict. Figures are built without pyplot (a plain
``matplotlib.figure.Figure`` with the Agg canvas), so nothing opens a window
and nothing depends on the session's backend.

The book shows them as SVG (``as_image``): vector drawings stay sharp when a
phone reader zooms in, and their text is drawn as outlines, so Chinese labels
need no font on the reader's machine.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from podnotes.kube.enums import PROBE_FIELDS
from podnotes.probes.timeline import Timeline

#: Every word the figures show, by role. An edition in another language
#: replaces the values; the keys stay.
LABELS = {
    "title": "{pod}",
    "compare_title": "{pod}: simulated and observed",
    "time": "time since the Pod was created (s)",
    "probe_lane": "{probe} probe",
    "container_probe_lane": "{container}:\n{probe} probe",
    "state_lane": "{container}\ncontainer",
    "named_state_lane": "{container}",
    "ready_lane": "Pod Ready /\nendpoint",
    "phase_lane": "Pod phase",
    "probe_success": "probe succeeded",
    "probe_failure": "probe failed",
    "probe_timeout": "probe timed out",
    "probe_error": "probe error (ignored)",
    "running": "running",
    "terminating": "grace period",
    "backoff": "back-off wait",
    "waiting": "waiting",
    "terminated": "terminated",
    "restart": "restart",
    "ready": "Ready",
    "endpoint": "Service endpoint",
    "threshold_failure": "{count}× failed → {action}",
    "threshold_success": "{count}× ok",
    "action_kill": "kill",
    "action_unready": "not ready",
    "action_started": "started",
    "deleted": "deleted (Terminating)",
    "removed": "removed from the API",
    "phase_legend": "phase {phase}",
    "simulated": "simulated",
    "observed": "observed",
    # A probe's type as a probe lane names it ({probe} above).
    "probe_name_liveness": "liveness",
    "probe_name_readiness": "readiness",
    "probe_name_startup": "startup",
}

# Okabe-Ito colours: distinguishable with colour-blindness; markers differ in
# shape too, so the figures read in grey-scale print.
COLOURS = {
    "success": "#009E73", "failure": "#D55E00", "timeout": "#E69F00", "error": "#7F7F7F",
    "running": "#56B4E9", "terminating": "#CC79A7", "backoff": "#F0E442", "waiting": "#BBBBBB",
    "terminated": "#555555", "ready": "#009E73", "endpoint": "#0072B2", "restart": "#000000",
    "Pending": "#BBBBBB", "Running": "#56B4E9", "Succeeded": "#009E73", "Failed": "#D55E00", "Unknown": "#999999",
}
MARKERS = {"success": "o", "failure": "X", "timeout": "s", "error": "D", "removed": "v"}
COLOURS["removed"] = "#000000"
#: The container states a lane draws, in the legend's order.
CONTAINER_STATES = ("waiting", "running", "terminating", "backoff", "terminated")
# Room a phase's name needs beside its text inside its bar, and beside the removal mark at the bar's end (pt).
PHASE_NAME_PADDING_POINTS = 6
REMOVAL_MARK_POINTS = 10
# Latin text in DejaVu Sans (matplotlib's own font); Chinese characters fall back
# to the first CJK font installed (Debian: fonts-wqy-zenhei, fonts-noto-cjk).
FONT_FAMILIES = ("DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP")
#: The column a 390 px phone screen gives a figure (the page's side margins taken off), in CSS px; the
#: site's CSS shows a figure at most that wide, and never wider than its natural size.
PHONE_COLUMN_PX = 342
#: The smallest text, in CSS px, any figure may show in that column (``tests/site`` measures it in Chromium).
MIN_TEXT_PX = 11
FONT_POINTS = 9.5
# Narrow enough that the phone's column shows the whole figure with every label
# at least MIN_TEXT_PX high: 9.5 pt is 12.7 px at natural size, × 342 / 365
# = 11.9 px on the phone; a desktop shows it at its natural size.
WIDTH_INCHES = 3.8
LANE_INCHES = 0.62
# The legend sits under the time axis, in two columns when they fit the figure's width, else in one.
LEGEND_COLUMNS = 2
# matplotlib's legend geometry (rcParams legend.*), in font sizes: sample, gap to the text, between
# columns, and the border.
LEGEND_HANDLE_EM, LEGEND_TEXT_PAD_EM, LEGEND_COLUMN_GAP_EM, LEGEND_BORDER_EM = 2.0, 0.8, 2.0, 0.4
LEGEND_ROW_INCHES = 0.18
TOP_INCHES = 0.4
AXIS_INCHES = 0.62
DPI = 100


@dataclass(frozen=True)
class Lane:
    key: tuple  # ("probe", container, probe) / ("state", container) / ("ready",) / ("phase",)
    label: str


@lru_cache(maxsize=1)
def installed_font_families() -> tuple[str, ...]:
    """The :data:`FONT_FAMILIES` this machine has (asking for a missing one makes
    matplotlib log a warning on every figure)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(family for family in FONT_FAMILIES if family in installed) or ("DejaVu Sans",)


@contextmanager
def labels_in(language: str):
    """Within it, ``LABELS`` holds the words of ``language`` (``podnotes.diagrams.LANGUAGES``): English, or
    the ``timeline`` table of podnotes/data/figure-labels.zh-CN.yml. Raises ``ValueError`` for another."""
    global LABELS
    from podnotes.diagrams import LANGUAGES, label_table

    if language not in LANGUAGES:
        raise ValueError(f"no figure labels in {language!r}; known: {', '.join(LANGUAGES)}")
    saved = LABELS
    if language != "en":
        LABELS = {**saved, **label_table()["timeline"]}
    try:
        yield
    finally:
        LABELS = saved


def bilingual(draw, *timelines: Timeline):
    """``draw(*timelines)`` (:func:`timeline` or :func:`compare`) in English and in Chinese, as a
    ``podnotes.diagrams.BilingualDiagram`` for ``myst_nb.glue`` and a ``glue:figure`` (its ``:alt:`` is the
    pictures' alt text)."""
    from podnotes.diagrams import LANGUAGES, BilingualDiagram, Diagram

    drawn = []
    for language in LANGUAGES:
        with labels_in(language):
            drawn.append(Diagram(name=draw.__name__, figure=draw(*timelines), alt="", language=language))
    return BilingualDiagram(*drawn)


def _not_a_weight_substitution(record) -> bool:
    # CJK fonts such as WenQuanYi Zen Hei come in one weight (medium); matplotlib
    # uses it for normal text and says so on stderr, which would show in notebooks.
    return "Failed to find font weight" not in record.getMessage()


def has_cjk_font() -> bool:
    """Whether a font for the Chinese drawings is installed (one of :data:`FONT_FAMILIES` after the first)."""
    return any(family != FONT_FAMILIES[0] for family in installed_font_families())


@contextmanager
def _style():
    """matplotlib settings for building and rendering figures: fonts with a CJK
    fallback, text as outlines in SVG, and SVG element ids that do not change
    from one build to the next.

    Every drawing is also drawn in Chinese (:func:`bilingual`). Without a CJK font its characters come out
    as boxes and matplotlib warns once per character, on a reader's notebook page: those warnings are
    dropped (the Chinese edition's build says once that the font is missing)."""
    import logging
    import warnings

    import matplotlib

    font_log = logging.getLogger("matplotlib.font_manager")
    font_log.addFilter(_not_a_weight_substitution)
    try:
        with matplotlib.rc_context({"font.family": list(installed_font_families()), "svg.fonttype": "path",
                                    "svg.hashsalt": "podnotes", "font.size": FONT_POINTS}), \
                warnings.catch_warnings():
            if not has_cjk_font():
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
            yield
    finally:
        font_log.removeFilter(_not_a_weight_substitution)


def lanes_for(*timelines: Timeline) -> list[Lane]:
    """The lanes, top to bottom: phase, then per container its probes and state, then readiness.

    Each label says each thing once: a probe lane names its container only when lanes of more than one
    container are drawn, and not when the container is named after the probe (its lanes sit right above
    the container's own lane, which names it); a container named "...container" is not called a
    container twice."""
    containers = _containers(*timelines)
    probed = [name for name in containers if _probes_of(name, *timelines)]
    lanes = [Lane(("phase",), LABELS["phase_lane"])]
    for name in containers:
        for probe in _probes_of(name, *timelines):
            lanes.append(Lane(("probe", name, probe), probe_lane_label(name, probe, len(probed) > 1)))
        lanes.append(Lane(("state", name), state_lane_label(name)))
    lanes.append(Lane(("ready",), LABELS["ready_lane"]))
    return lanes


def _containers(*timelines: Timeline) -> list[str]:
    """The containers of ``timelines``, each once, in the order they are listed."""
    return list(dict.fromkeys(info.name for timeline in timelines for info in timeline.containers))


def _probes_of(container: str, *timelines: Timeline) -> list[str]:
    """The probe types ``container`` has, in ``PROBE_FIELDS`` order (startup, liveness, readiness)."""
    return [probe for probe in PROBE_FIELDS
            if any(p.container == container and p.probe == probe for t in timelines for p in t.probes)]


def probe_lane_label(container: str, probe: str, name_container: bool) -> str:
    """The label of ``container``'s ``probe`` lane: "liveness probe", or with ``name_container``
    "web:\nliveness probe", unless the container's name is the probe's type."""
    words = LABELS.get(f"probe_name_{probe}", probe)
    if name_container and _words(container) != {probe}:
        return LABELS["container_probe_lane"].format(container=container, probe=words)
    return LABELS["probe_lane"].format(container=container, probe=words)


def state_lane_label(container: str) -> str:
    """The label of ``container``'s state lane: "web\ncontainer", or "app-container" alone."""
    role = set(_words(LABELS["state_lane"].format(container=""))) - {""}
    key = "named_state_lane" if role & _words(container) else "state_lane"
    return LABELS[key].format(container=container)


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[^\w]+", text.lower()) if word}


def legend_results(*timelines: Timeline) -> tuple[str, ...]:
    """The probe results drawn in some probe lane of ``timelines``, in ``PROBE_RESULTS`` order."""
    containers = _containers(*timelines)
    drawn = {event.result for timeline in timelines for event in timeline.select("probe")
             if event.container in containers and event.probe in _probes_of(event.container, *timelines)}
    return tuple(result for result in ("success", "failure", "timeout", "error") if result in drawn)


def legend_keys(*timelines: Timeline) -> list[str]:
    """What the legend of a figure of ``timelines`` explains, in its order: exactly the kinds of mark the
    figure draws and does not name where they are. Keys are ``probe_<result>``, the container states of
    ``CONTAINER_STATES``, ``restart``, ``deleted``, ``removed``, ``ready``, ``endpoint``, ``phase:<phase>`` for a phase
    whose spans are all too short to carry its name, and for an overlay ``simulated`` and ``observed``."""
    keys = [f"probe_{result}" for result in legend_results(*timelines)]
    states = {state for timeline in timelines for name in _containers(timeline)
              for _, _, state in container_spans(timeline, name)}
    keys += [state for state in CONTAINER_STATES if state in states]
    if any(timeline.restarts() for timeline in timelines):
        keys.append("restart")
    if any(timeline.deleted_at() is not None for timeline in timelines):
        keys.append("deleted")
    if any(timeline.removed_at() is not None for timeline in timelines):
        keys.append("removed")
    if any(_true_spans(timeline.ready_intervals(), timeline.duration) for timeline in timelines):
        keys.append("ready")
    if any(_true_spans(timeline.endpoint_intervals(), timeline.duration) for timeline in timelines):
        keys.append("endpoint")
    named = {phase for start, end, phase in phase_spans(timelines[0])
             if _phase_is_named(start, end, phase, *timelines)}
    drawn = dict.fromkeys(phase for timeline in timelines for _, _, phase in phase_spans(timeline))
    keys += [f"phase:{phase}" for phase in drawn if phase not in named]
    if len(timelines) > 1:
        keys += ["simulated", "observed"]
    return keys


def legend_columns(*timelines: Timeline) -> int:
    """``LEGEND_COLUMNS``, or 1 where two columns of the legend's labels would be wider than the figure."""
    labels = [legend_handle(key).get_label() for key in legend_keys(*timelines)]
    if not labels:
        return 1
    rows = -(-len(labels) // LEGEND_COLUMNS)
    columns = [labels[index:index + rows] for index in range(0, len(labels), rows)]  # filled top to bottom
    entry = (LEGEND_HANDLE_EM + LEGEND_TEXT_PAD_EM) * FONT_POINTS
    width = sum(entry + max(text_width_points(label) for label in column) for column in columns)
    width += (LEGEND_COLUMN_GAP_EM * (len(columns) - 1) + 2 * LEGEND_BORDER_EM) * FONT_POINTS
    return LEGEND_COLUMNS if width <= WIDTH_INCHES * 72 else 1


def legend_rows(*timelines: Timeline) -> int:
    """Rows of the legend: its entries (``legend_keys``) in ``legend_columns`` columns."""
    return -(-len(legend_keys(*timelines)) // legend_columns(*timelines))


@lru_cache(maxsize=512)
def text_width_points(text: str, points: float = FONT_POINTS) -> float:
    """How wide ``text`` is drawn at ``points`` in the figures' font (the widest line), in points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    font = FontProperties(family=list(installed_font_families()), size=points)
    return max(TextPath((0, 0), line, prop=font).get_extents().width for line in text.split("\n") or [""])


def _axis_end(*timelines: Timeline) -> float:
    """The last second the time axis shows."""
    return max(timeline.duration for timeline in timelines)


def phase_spans(timeline: Timeline) -> list[tuple[float, float, str]]:
    """``(start, end, phase)`` spans of the Pod's phase, ending when the object is removed from the API
    server (a Pod that is gone has no phase)."""
    end_of_object = timeline.removed_at()
    end_of_object = timeline.duration if end_of_object is None else end_of_object
    phases = timeline.phases()
    spans = []
    for index, (start, phase) in enumerate(phases):
        end = min(phases[index + 1][0] if index + 1 < len(phases) else timeline.duration, end_of_object)
        if end > start:
            spans.append((start, end, phase))
    return spans


def _phase_is_named(start: float, end: float, phase: str, *timelines: Timeline) -> bool:
    """Whether a phase span is wide enough to carry its name (centred in it), clear of every removal mark
    of ``timelines``, the timelines the figure draws."""
    points_per_second = (WIDTH_INCHES - LEFT_INCHES - RIGHT_INCHES) * 72 / (_axis_end(*timelines) * 1.02)
    half = text_width_points(phase) / 2
    if (end - start) * points_per_second < 2 * (half + PHASE_NAME_PADDING_POINTS):
        return False
    middle = (start + end) / 2
    removals = [removed for timeline in timelines if (removed := timeline.removed_at()) is not None]
    return all(abs(removed - middle) * points_per_second >= half + REMOVAL_MARK_POINTS for removed in removals)


def bottom_inches(*timelines: Timeline) -> float:
    """Room under the lanes: the time axis with its label, then the legend."""
    return AXIS_INCHES + legend_rows(*timelines) * LEGEND_ROW_INCHES + 0.1


def figure_size(*timelines: Timeline) -> tuple[float, float]:
    """Width and height in inches (pixels = inches × ``DPI``)."""
    return WIDTH_INCHES, TOP_INCHES + bottom_inches(*timelines) + LANE_INCHES * len(lanes_for(*timelines))


def container_spans(timeline: Timeline, container: str) -> list[tuple[float, float, str]]:
    """``(start, end, state)`` spans of one container: waiting, running,
    terminating, backoff or terminated."""
    spans: list[tuple[float, float, str]] = []
    state, since = "waiting", 0.0

    def switch(new_state: str, at: float) -> None:
        nonlocal state, since
        if at > since and state:
            spans.append((since, at, state))
        state, since = new_state, at

    for event in timeline.select(container=container):
        if event.kind == "start":
            switch("running", event.time)
        elif event.kind == "kill":
            switch("terminating", event.time)
        elif event.kind == "exit":
            switch("terminated", event.time)
        elif event.kind == "backoff":
            switch("backoff", event.time)
    if timeline.duration > since:
        spans.append((since, timeline.duration, state))
    return spans


def _true_spans(intervals, duration: float) -> list[tuple[float, float]]:
    """Closed ``(start, end)`` spans of ``intervals`` (an open one ends at ``duration``), empty ones left out."""
    spans = [(start, duration if end is None else end) for start, end in intervals]
    return [(start, end) for start, end in spans if end > start]


def _draw(ax, timeline: Timeline, rows: dict, offset: float = 0.0, height: float = 0.6,
          hollow: bool = False, annotate: bool = True, others: tuple[Timeline, ...] = ()) -> None:
    """Draw ``timeline`` into its lanes; ``others`` are the other timelines of the figure, whose marks the
    phase names keep clear of."""
    duration = timeline.duration
    bars: dict[tuple[float, float, str, str], list[tuple[float, float]]] = defaultdict(list)
    # phase spans, up to the object's removal from the API server
    phase_row = rows[("phase",)] + offset
    for start, end, phase in phase_spans(timeline):
        bars[(phase_row, height, COLOURS.get(phase, "#999999"), f"phase:{phase}")].append((start, end - start))
        if annotate and _phase_is_named(start, end, phase, timeline, *others):
            ax.text((start + end) / 2, phase_row, phase, ha="center", va="center", fontsize=FONT_POINTS)
    removed = timeline.removed_at()
    if removed is not None:
        _mark(ax, [removed], phase_row, "removed", hollow, size=70)
    # container states and restarts
    for info in timeline.containers:
        row = rows.get(("state", info.name))
        if row is None:
            continue
        for start, end, state in container_spans(timeline, info.name):
            bars[(row + offset, height, COLOURS[state], state)].append((start, end - start))
        restarts = timeline.restarts(info.name)
        if restarts:
            ax.scatter(restarts, [row + offset] * len(restarts), marker="|", s=260, linewidths=2.2,
                       color=COLOURS["restart"], zorder=4, label=_MARK + "restart")
    # readiness and endpoint membership
    row = rows[("ready",)] + offset
    for start, end in _true_spans(timeline.ready_intervals(), duration):
        bars[(row + height / 4, height / 2, COLOURS["ready"], "ready")].append((start, end - start))
    for start, end in _true_spans(timeline.endpoint_intervals(), duration):
        bars[(row - height / 4, height / 2, COLOURS["endpoint"], "endpoint")].append((start, end - start))
    for (centre, bar_height, colour, key), spans in bars.items():
        _bars(ax, centre, spans, colour, bar_height, hollow, key)
    # probe attempts, one scatter per lane and result
    points: dict[tuple[float, str], list[float]] = defaultdict(list)
    for event in timeline.select("probe"):
        row = rows.get(("probe", event.container, event.probe))
        if row is not None:
            points[(row + offset, event.result)].append(event.time)  # type: ignore[index]
    for (row, result), times in points.items():
        _mark(ax, times, row, f"probe_{result}", hollow)
    if annotate:
        _annotate_thresholds(ax, timeline, rows, offset)
    deleted = timeline.deleted_at()
    if deleted is not None:
        ax.axvline(deleted, color=DELETION_COLOUR, linestyle=DELETION_STYLE, linewidth=DELETION_WIDTH, zorder=3,
                   label=_MARK + "deleted")


def _annotate_thresholds(ax, timeline: Timeline, rows: dict, offset: float, per_lane: int = 3) -> None:
    """Name the first few thresholds that fired in each probe lane."""
    written: dict[float, int] = defaultdict(int)
    for event in timeline.select("threshold"):
        row = rows.get(("probe", event.container, event.probe))
        if row is None or written[row] >= per_lane:
            continue
        written[row] += 1
        if event.result == "failure":
            action = LABELS["action_kill"] if event.probe in ("liveness", "startup") else LABELS["action_unready"]
            text = LABELS["threshold_failure"].format(count=event.count, action=action)
        elif event.probe == "startup":
            text = LABELS["threshold_success"].format(count=event.count) + " → " + LABELS["action_started"]
        else:
            continue
        ax.annotate(text, (event.time, row + offset), xytext=(4, 9), textcoords="offset points",
                    fontsize=FONT_POINTS, color="#222222", zorder=6)


# The deletion (deletionTimestamp set) is one line across every lane, in both timelines of an overlay.
DELETION_COLOUR, DELETION_WIDTH = "#333333", 1.0
DELETION_STYLE: Final = "--"
#: Drawn marks carry the label ``_mark:<legend key>`` (matplotlib leaves labels starting with "_" out of
#: legends), so that a test can match what is drawn with what the legend lists.
_MARK = "_mark:"


def _bars(ax, row: float, spans: list[tuple[float, float]], colour: str, height: float, hollow: bool,
          key: str) -> None:
    ax.broken_barh(spans, (row - height / 2, height),
                   facecolors="none" if hollow else colour, edgecolors=colour if hollow else "none",
                   linewidth=1.2 if hollow else 0, hatch="///" if hollow else None, zorder=2, label=_MARK + key)


def _mark(ax, times: list[float], row: float, key: str, hollow: bool, size: float = 36) -> None:
    """Point marks of legend key ``key`` (a probe result, or ``removed``) at ``times`` on lane ``row``."""
    kind = key.removeprefix("probe_")
    colour = COLOURS[kind]
    ax.scatter(times, [row] * len(times), marker=MARKERS[kind], s=size, zorder=5,
               facecolors="none" if hollow else colour, edgecolors=colour, linewidths=1.2, label=_MARK + key)


def legend_handle(key: str):
    """The legend's sample of a ``legend_keys`` key, labelled from :data:`LABELS` (a phase by its name)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if key.startswith("probe_") or key == "removed":
        kind = key.removeprefix("probe_")
        return Line2D([], [], linestyle="none", marker=MARKERS[kind], color=COLOURS[kind], label=LABELS[key])
    if key == "deleted":
        return Line2D([], [], color=DELETION_COLOUR, linestyle=DELETION_STYLE, linewidth=DELETION_WIDTH,
                      label=LABELS["deleted"])
    if key == "restart":
        return Line2D([], [], linestyle="none", marker="|", markersize=12, markeredgewidth=2,
                      color=COLOURS["restart"], label=LABELS["restart"])
    if key.startswith("phase:"):
        phase = key.removeprefix("phase:")
        return Patch(color=COLOURS.get(phase, "#999999"), label=LABELS["phase_legend"].format(phase=phase))
    if key == "simulated":
        return Patch(color="#777777", label=LABELS["simulated"])
    if key == "observed":
        return Patch(facecolor="none", edgecolor="#777777", hatch="///", label=LABELS["observed"])
    return Patch(color=COLOURS[key], label=LABELS[key])


def _legend(ax, *timelines: Timeline) -> None:
    handles = [legend_handle(key) for key in legend_keys(*timelines)]
    ax.figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.01), ncol=legend_columns(*timelines),
                     fontsize=FONT_POINTS, labelspacing=0.45, frameon=False)


NOTE_LINE_INCHES = 0.22
NOTE_COLOUR = "#B00020"


TITLE_POINTS = 11
TITLE_LINE_INCHES = 0.2
LEFT_INCHES = 1.25
RIGHT_INCHES = 0.3


def _title_lines(title: str, width_inches: float) -> list[str]:
    """The title wrapped to the figure's width (about 10 characters an inch at 11 points)."""
    import textwrap

    return textwrap.wrap(title, int((width_inches - 0.1) * 10 * 11 / TITLE_POINTS), break_on_hyphens=False)


def _figure(*timelines: Timeline, title: str, notes: int = 0):
    from matplotlib.figure import Figure

    lanes = lanes_for(*timelines)
    width, height = figure_size(*timelines)
    title_lines = _title_lines(title, width)
    extra = NOTE_LINE_INCHES * notes + TITLE_LINE_INCHES * (len(title_lines) - 1)
    top, height = TOP_INCHES + extra, height + extra
    figure = Figure(figsize=(width, height), dpi=DPI)
    # Fixed margins (in inches) instead of a layout engine: as readable, and
    # rendering stays fast for long timelines.
    figure.subplots_adjust(left=LEFT_INCHES / width, right=1 - RIGHT_INCHES / width, top=1 - top / height,
                           bottom=bottom_inches(*timelines) / height)
    ax = figure.add_subplot()
    # The title starts at the figure's left edge, over the lane names: the whole width is its own.
    ax.set_title("\n".join(title_lines), fontsize=TITLE_POINTS, loc="left",
                 x=-(LEFT_INCHES - 0.05) / (width - LEFT_INCHES - RIGHT_INCHES))
    rows = {lane.key: len(lanes) - 1 - index for index, lane in enumerate(lanes)}
    ax.set_yticks([rows[lane.key] for lane in lanes], [lane.label for lane in lanes], fontsize=FONT_POINTS)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    end = max(t.duration for t in timelines)
    ax.set_xlim(-0.01 * end, end * 1.01)
    ax.set_xlabel(LABELS["time"])
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return figure, ax, rows


def _keep_annotations_inside(figure) -> None:
    """Slide an annotation left where it would leave its axes: a kill near the
    end of the time axis reads "3× failed → kill" ending at the axes' edge
    instead of being cut off at the figure's, or written over the lane names."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation

    renderer = FigureCanvasAgg(figure).get_renderer()
    for ax in figure.axes:
        for note in [text for text in ax.texts if isinstance(text, Annotation)]:
            box, inside = note.get_window_extent(renderer), ax.bbox
            dx, dy = note.xyann
            points_per_pixel = 72 / figure.dpi
            if box.x1 > inside.x1:  # slide it left until it ends inside, but never past the left edge
                shift = min(box.x1 - inside.x1, max(0.0, box.x0 - inside.x0))
                dx -= shift * points_per_pixel
            if box.y1 > inside.y1:
                note.set_verticalalignment("top")
                dy = -abs(dy)
            note.xyann = (dx, dy)
    _drop_overlapping_annotations(figure, renderer)


def _drop_overlapping_annotations(figure, renderer) -> None:
    """On a narrow figure two thresholds close in time would print over each
    other: the earlier note stays, a later one that would touch it is left out."""
    from matplotlib.text import Annotation

    for ax in figure.axes:
        kept: list = []
        for note in [text for text in ax.texts if isinstance(text, Annotation)]:
            box = note.get_window_extent(renderer).expanded(1.05, 1.1)
            if any(box.overlaps(other) for other in kept):
                note.remove()
            else:
                kept.append(box)


def timeline(data: Timeline):
    """One figure for one timeline."""
    with _style():
        notes = _note_lines(data.notes, figure_size(data)[0])
        figure, ax, rows = _figure(data, title=LABELS["title"].format(pod=data.pod), notes=len(notes))
        _draw(ax, data, rows)
        _draw_notes(figure, notes)
        _legend(ax, data)
        _keep_annotations_inside(figure)
    return figure


def _note_lines(notes: list[str], width_inches: float) -> list[str]:
    """The notes as "Note: ..." lines that fit the figure's width (about 12 characters an inch at 9.5 points)."""
    import textwrap

    columns = int((width_inches - 0.1) * 12 * 9.5 / FONT_POINTS)
    return [line for note in notes
            for line in textwrap.wrap(f"Note: {note}", columns, subsequent_indent="  ", break_on_hyphens=False)]


def _draw_notes(figure, notes: list[str]) -> None:
    """What the timeline assumed, in red above the chart: a chart drawn from
    assumptions must say so where the chart is seen, not only on a terminal."""
    height = figure.get_figheight()
    for index, note in enumerate(notes):
        figure.text(0.01, 1 - (0.12 + NOTE_LINE_INCHES * (index + 0.5)) / height, note,
                    color=NOTE_COLOUR, fontsize=FONT_POINTS, ha="left", va="center")


def compare(simulated: Timeline, observed: Timeline):
    """Overlay a simulated timeline (upper half of each lane, filled) and an
    observed one (lower half, hollow and hatched)."""
    with _style():
        figure, ax, rows = _figure(simulated, observed,
                                   title=LABELS["compare_title"].format(pod=simulated.pod))
        _draw(ax, simulated, rows, offset=0.18, height=0.3, others=(observed,))
        _draw(ax, observed, rows, offset=-0.18, height=0.3, hollow=True, annotate=False)
        _legend(ax, simulated, observed)
        _keep_annotations_inside(figure)
    return figure


# matplotlib draws SVG text as glyph outlines at 100 units an em (``TextToPath.FONT_SCALE``), scaled by
# ``scale(s -s)`` with s = size in points / 100, inside a drawing whose user unit is one point.
_GLYPH_UNITS_PER_EM = 100
_TEXT_SCALE = re.compile(r'<g (?:style="[^"]*" )?transform="[^"]*?scale\(([\d.e-]+) -[\d.e-]+\)"')
_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?viewBox="[\d.-]+ [\d.-]+ ([\d.]+) [\d.]+"', re.S)


def text_sizes_px(svg: str, column_px: float = PHONE_COLUMN_PX) -> list[float]:
    """The size (em height, CSS px) of every line of text in ``svg``, an SVG this module or
    ``podnotes.diagrams`` rendered, when shown in a column ``column_px`` wide: at most its natural width
    (1 pt = 4/3 px), as the site's CSS shows figures (``max-width: 100%``). Raises ``ValueError`` for an SVG
    without a size in points."""
    size = _SVG_SIZE.search(svg)
    if size is None:
        raise ValueError("not an SVG with a width in pt and a viewBox")
    natural_px = float(size.group(1)) * 4 / 3
    px_per_unit = min(column_px, natural_px) / float(size.group(2))
    return [float(scale) * _GLYPH_UNITS_PER_EM * px_per_unit for scale in _TEXT_SCALE.findall(svg)]


def render(figure, fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes, reproducibly (no timestamps)."""
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    with _style():
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def save(figure, path) -> None:
    from pathlib import Path

    path = Path(path)
    path.write_bytes(render(figure, path.suffix.lstrip(".").lower()))


def as_image(figure):
    """The figure as an IPython SVG image, for notebooks (e.g. ``myst_nb.glue``).

    The book's site shows it at the column's width and links it to the full-size
    drawing (``podnotes.book.sphinxext``)."""
    from IPython.display import SVG

    return SVG(data=render(figure, "svg").decode("utf-8"))
