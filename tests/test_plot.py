"""Timeline figures: lanes, labels from LABELS, and the files they render to."""

from __future__ import annotations

import re
import struct

import matplotlib
import pytest

matplotlib.use("Agg")

from podnotes import plot  # noqa: E402
from podnotes.probes import PRESETS, Behaviour, Timeline, simulate  # noqa: E402


def preset_timeline(name, **changes):
    chosen = PRESETS[name]
    behaviour = chosen.behaviour if not changes else Behaviour(chosen.behaviour.containers, **changes)
    return simulate(chosen.pod(), behaviour, chosen.duration)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def all_text(figure) -> list[str]:
    texts = [t.get_text() for t in figure.findobj(matplotlib.text.Text)]
    return [t for t in texts if t]


def test_one_lane_per_probe_container_and_readiness():
    timeline = preset_timeline("slow-start")
    labels = [lane.label for lane in plot.lanes_for(timeline)]
    assert labels == [
        plot.LABELS["phase_lane"],
        plot.LABELS["probe_lane"].format(container="app", probe="startup"),
        plot.LABELS["probe_lane"].format(container="app", probe="liveness"),
        plot.LABELS["probe_lane"].format(container="app", probe="readiness"),
        plot.LABELS["state_lane"].format(container="app"),
        plot.LABELS["ready_lane"],
    ]


def test_every_word_in_the_figure_comes_from_labels(monkeypatch):
    """Swapping LABELS (a translated edition) changes every lane name, legend entry and axis label."""
    translated = {key: f"«{value}»" for key, value in plot.LABELS.items()}
    monkeypatch.setattr(plot, "LABELS", translated)
    figure = plot.timeline(preset_timeline("exec-liveness"))
    words = all_text(figure)
    untranslated = [w for w in words if not (w.startswith("«") or w.replace(".", "").replace("−", "").isdigit()
                                             or w in ("Pending", "Running", "Succeeded", "Failed"))]
    assert untranslated == []
    assert any("kill" in w for w in words)


def test_fired_thresholds_are_annotated():
    figure = plot.timeline(preset_timeline("exec-liveness"))
    expected = plot.LABELS["threshold_failure"].format(count=3, action=plot.LABELS["action_kill"])
    assert expected in all_text(figure)


def test_container_spans_follow_the_events():
    spans = plot.container_spans(preset_timeline("exec-liveness"), "liveness")
    assert spans[:3] == [(0.0, 40.0, "running"), (40.0, 70.0, "terminating"), (70.0, 110.0, "running")]
    crash = plot.container_spans(preset_timeline("crash-loop"), "app")
    assert ("backoff") in {state for _, _, state in crash}


def test_png_has_the_expected_size_and_svg_is_text():
    timeline = preset_timeline("coredns")
    figure = plot.timeline(timeline)
    width, height = plot.figure_size(timeline)
    data = plot.render(figure, "png")
    assert png_size(data) == (round(width * plot.DPI), round(height * plot.DPI))
    assert len(data) > 10_000
    svg = plot.render(figure, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_rendering_is_reproducible():
    timeline = preset_timeline("http-liveness")
    assert plot.render(plot.timeline(timeline)) == plot.render(plot.timeline(timeline))


def test_compare_overlays_two_timelines():
    simulated = preset_timeline("http-liveness")
    observed = preset_timeline("http-liveness", tick_phase=1.5)
    observed.source = "observed"
    figure = plot.compare(simulated, observed)
    words = all_text(figure)
    assert plot.LABELS["simulated"] in words and plot.LABELS["observed"] in words
    assert png_size(plot.render(figure))[0] == round(plot.WIDTH_INCHES * plot.DPI)


def test_compare_copes_with_a_sparse_observed_timeline():
    from podnotes.probes import Event, Timeline
    from podnotes.probes.timeline import ContainerInfo

    simulated = preset_timeline("exec-liveness")
    observed = Timeline("liveness-exec", 90.0, source="observed", containers=[ContainerInfo("liveness", "app")],
                        events=[Event(0.5, "phase", phase="Running"), Event(1.0, "start", container="liveness",
                                                                             restart_count=0),
                                Event(31.0, "probe", container="liveness", probe="liveness", result="failure"),
                                Event(41.0, "kill", container="liveness"), Event(71.0, "exit", container="liveness"),
                                Event(71.5, "start", container="liveness", restart_count=1)])
    data = plot.render(plot.compare(simulated, observed))
    assert png_size(data)[0] == round(plot.WIDTH_INCHES * plot.DPI)


def undrawn_tick_labels(figure) -> set:
    """Tick labels matplotlib keeps for ticks outside the axis limits and does not draw."""
    undrawn = set()
    for ax in figure.axes:
        for axis, (low, high) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low <= tick.get_loc() <= high:
                    undrawn.update((tick.label1, tick.label2))
    return undrawn


def text_outside(figure) -> list[str]:
    """Every piece of text that does not lie wholly inside the figure, and every
    annotation that leaves its axes, with how far it sticks out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    problems = []
    for text in figure.findobj(matplotlib.text.Text):
        if not text.get_text() or not text.get_visible() or text in undrawn_tick_labels(figure):
            continue
        box = text.get_window_extent(renderer)
        limits = [figure.bbox]
        if isinstance(text, matplotlib.text.Annotation):
            limits.append(text.axes.bbox)
        for limit in limits:
            if box.x0 < limit.x0 - 0.5 or box.x1 > limit.x1 + 0.5 or box.y0 < limit.y0 - 0.5 or box.y1 > limit.y1 + 0.5:
                problems.append(f"{text.get_text()!r}: {box.bounds} outside {limit.bounds}")
    return problems


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_no_text_is_clipped_at_the_edges(preset):
    """An annotation near the end of the time axis ("3× failed → kill" at the
    right edge) is written to the left of its point instead of being cut off."""
    timeline = preset_timeline(preset)
    figure = plot.timeline(timeline)
    assert [t for t in figure.findobj(matplotlib.text.Annotation) if t.get_text()] or preset in NO_ANNOTATIONS
    assert text_outside(figure) == []


NO_ANNOTATIONS = {"run-to-completion", "http-liveness", "tcp-liveness-readiness", "coredns", "fail-never", "crash-loop"}


@pytest.mark.parametrize("duration", [35.0, 41.0, 45.0, 60.0])
def test_an_annotation_at_the_right_edge_stays_inside(duration):
    """The exec-liveness kill at 40 s lands at the very right when the timeline ends soon after."""
    chosen = PRESETS["exec-liveness"]
    timeline = simulate(chosen.pod(), chosen.behaviour, duration)
    figure = plot.timeline(timeline)
    kill = plot.LABELS["threshold_failure"].format(count=3, action=plot.LABELS["action_kill"])
    if duration > 40:
        assert kill in all_text(figure)
    assert text_outside(figure) == []


def test_compare_keeps_its_text_inside():
    simulated = preset_timeline("exec-liveness")
    observed = preset_timeline("exec-liveness", tick_phase=1.5)
    observed.source = "observed"
    assert text_outside(plot.compare(simulated, observed)) == []


def test_the_book_gets_a_reproducible_svg_of_reasonable_size():
    figure = plot.timeline(preset_timeline("exec-liveness"))
    image = plot.as_image(figure)
    svg = image.data
    assert svg.startswith("<svg") and "<text" not in svg, "text is drawn as outlines"
    assert 20_000 < len(svg.encode()) < 400_000
    assert plot.as_image(plot.timeline(preset_timeline("exec-liveness"))).data == svg


def test_chinese_labels_are_drawn_with_a_cjk_font(monkeypatch):
    import warnings

    if len(plot.installed_font_families()) < 2:
        pytest.skip("no CJK font installed (Debian: fonts-wqy-zenhei, which `make venv` installs as root)")
    monkeypatch.setitem(plot.LABELS, "time", "自 Pod 创建以来的时间 (秒)")
    monkeypatch.setitem(plot.LABELS, "probe_failure", "探针失败")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = plot.render(plot.timeline(preset_timeline("exec-liveness")), "svg")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert svg.count(b"<path") > 50


def test_long_notes_are_wrapped_to_the_figure_width():
    note = "no behaviour given for the liveness and readiness probes of container " + "a-long-name " * 20
    lines = plot._note_lines([note], 6.0)
    assert len(lines) > 1 and all(len(line) <= 84 for line in lines)
    assert " ".join(line.strip() for line in lines) == f"Note: {note}".strip()


# --- legible on a phone -----------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_letter_is_legible_in_a_phone_column(preset):
    """At the width a 390 px phone gives a figure, no text is under MIN_TEXT_PX (tests/site measures the
    same in Chromium on the built site)."""
    timeline = preset_timeline(preset)
    for figure in (plot.timeline(timeline), plot.compare(timeline, timeline)):
        sizes = plot.text_sizes_px(plot.render(figure, "svg").decode())
        assert len(sizes) > 10, "the figure's text was found"
        assert min(sizes) >= plot.MIN_TEXT_PX, f"{preset}: smallest text {min(sizes):.1f} px"


def test_text_sizes_follow_the_width_the_figure_is_shown_at():
    svg = plot.render(plot.timeline(preset_timeline("exec-liveness")), "svg").decode()
    natural = plot.text_sizes_px(svg, column_px=10_000)  # never shown wider than its natural size
    assert min(natural) == pytest.approx(plot.FONT_POINTS * 4 / 3, rel=0.01)
    assert max(natural) == pytest.approx(11 * 4 / 3, rel=0.01), "the title, 11 pt"
    halved = plot.text_sizes_px(svg, column_px=plot.WIDTH_INCHES * 96 / 2)
    assert min(halved) == pytest.approx(min(natural) / 2, rel=0.01)
    with pytest.raises(ValueError, match="not an SVG"):
        plot.text_sizes_px("<svg></svg>")


# --- the legend lists exactly what is drawn; lanes say each thing once; the removal is drawn -----------------

def chapter_timelines() -> dict:
    """The timelines the chapters draw that need no node: the presets at the chapters' durations
    (07-lifecycle, probe-timing), the deleted goproxy Pod of 07-lifecycle and the deletions of the
    termination chapter (deleted 10 s after the start, drawn for 60 s)."""
    from podnotes.node import termination
    from podnotes.probes import ContainerBehaviour

    durations = {"coredns": 300, "exec-liveness": 180, "http-liveness": 120, "slow-start": 180,
                 "crash-loop": 900, "run-to-completion": 40, "fail-never": 40}
    found = {f"{name} ({seconds} s)": simulate(PRESETS[name].pod(), PRESETS[name].behaviour, seconds)
             for name, seconds in durations.items()}
    draining = Behaviour({"goproxy": ContainerBehaviour(sigterm_exit_after=5.0, sigterm_exit_code=0)},
                         delete_at=30.0)
    found["07-lifecycle deleted"] = simulate(PRESETS["tcp-liveness-readiness"].pod(), draining, 60)
    for case in termination.cases():
        found[f"termination {case.name}"] = simulate(case.manifest, case.behaviour(10.0), 60)
    kept = termination.cases()[-1]
    found["termination finalizer kept"] = simulate(kept.manifest, Behaviour(
        kept.behaviour(10.0).containers, delete_at=10.0), 60)
    return found


CHAPTER_TIMELINES = chapter_timelines()
EVERY_TIMELINE = {**{f"preset {name}": preset_timeline(name) for name in sorted(PRESETS)}, **CHAPTER_TIMELINES}


def drawn_marks(figure) -> dict[str, list]:
    """The marks drawn in the figure's axes that have something to show, by legend key."""
    marks: dict[str, list] = {}
    ax = figure.axes[0]
    for artist in [*ax.collections, *ax.lines]:
        label = artist.get_label()
        if not label.startswith(plot._MARK):
            continue
        if isinstance(artist, matplotlib.lines.Line2D):
            shows = len(artist.get_xdata())
        elif isinstance(artist, matplotlib.collections.PathCollection):
            shows = len(artist.get_offsets())
        else:
            shows = len(artist.get_paths())
        if shows:
            marks.setdefault(label.removeprefix(plot._MARK), []).append(artist)
    return marks


def colours(artist) -> set[tuple]:
    from matplotlib.colors import to_rgba

    if isinstance(artist, matplotlib.lines.Line2D):
        return {to_rgba(artist.get_color()), to_rgba(artist.get_markerfacecolor()),
                to_rgba(artist.get_markeredgecolor())}
    if isinstance(artist, matplotlib.patches.Patch):
        return {tuple(artist.get_facecolor()), tuple(artist.get_edgecolor())}
    return {tuple(c) for c in artist.get_facecolors()} | {tuple(c) for c in artist.get_edgecolors()}


def legend_entries(figure) -> dict[str, object]:
    (legend,) = figure.legends
    return {text.get_text(): handle for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)}


def mark_box(figure, scatter, point):
    """The box (display pixels) of one marker of a scatter drawn at ``point`` (data units)."""
    from matplotlib.transforms import Bbox

    x, y = figure.axes[0].transData.transform(point)
    radius = (scatter.get_sizes()[0] ** 0.5) / 2 * figure.dpi / 72
    return Bbox([[x - radius, y - radius], [x + radius, y + radius]])


def phase_names_inside_their_bars(figure) -> list[str]:
    """Phase names that reach out of their bar or touch the removal mark."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    ax = figure.axes[0]
    marks = drawn_marks(figure)
    bars = [path.get_extents().transformed(ax.transData) for key, artists in marks.items()
            if key.startswith("phase:") for artist in artists for path in artist.get_paths()]
    removals = [mark_box(figure, artist, point) for artist in marks.get("removed", [])
                for point in artist.get_offsets()]
    problems = []
    for text in ax.texts:
        if text.get_text() not in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
            continue
        box = text.get_window_extent(renderer)
        if not any(bar.x0 <= box.x0 and box.x1 <= bar.x1 for bar in bars):
            problems.append(f"{text.get_text()} leaves its bar")
        if any(box.overlaps(mark) for mark in removals):
            problems.append(f"{text.get_text()} touches the removal mark")
    return problems


def check_legend(figure) -> None:
    marks = drawn_marks(figure)
    assert marks, "the figure's marks were found"
    named_in_place = {text.get_text() for text in figure.axes[0].texts}
    expected = {key for key in marks if key.removeprefix("phase:") not in named_in_place}
    entries = legend_entries(figure)
    labels = {plot.legend_handle(key).get_label(): key for key in expected}
    extra = [label for label in entries if label not in labels and label not in
             (plot.LABELS["simulated"], plot.LABELS["observed"])]
    assert extra == [], f"legend entries for marks the figure does not draw: {extra}"
    missing = [labels[label] for label in labels if label not in entries]
    assert missing == [], f"marks drawn but not in the legend: {missing}"
    for label, key in labels.items():
        sample = colours(entries[label]) - {(0.0, 0.0, 0.0, 0.0)}
        assert any(sample & colours(artist) for artist in marks[key]), f"{key}: legend colour differs from the mark"


@pytest.mark.parametrize("name", sorted(EVERY_TIMELINE))
def test_the_legend_lists_exactly_the_marks_drawn(name):
    """Every mark has its entry, every entry its mark, and all of it, legend and phase names too, is
    inside the figure, clear of the removal mark."""
    timeline = EVERY_TIMELINE[name]
    single = plot.timeline(timeline)
    check_legend(single)
    observed = Timeline.from_dict(timeline.to_dict())
    observed.source = "observed"
    figure = plot.compare(timeline, observed.shifted(0.5))
    check_legend(figure)
    for drawn in (single, figure):
        assert text_outside(drawn) == []
        assert phase_names_inside_their_bars(drawn) == []
    entries = legend_entries(figure)
    assert plot.LABELS["simulated"] in entries and plot.LABELS["observed"] in entries


def test_a_legend_leaves_out_what_a_figure_does_not_draw():
    """The old legend listed every state, restart, Ready and endpoint whatever the figure held."""
    run = CHAPTER_TIMELINES["run-to-completion (40 s)"]
    keys = plot.legend_keys(run)
    assert "restart" not in keys and "backoff" not in keys and "terminating" not in keys
    assert "probe_failure" not in keys and "removed" not in keys and "deleted" not in keys
    assert not run.probes and not [key for key in keys if key.startswith("probe_")], "no probe, no probe result"
    assert keys == ["running", "terminated", "ready", "endpoint"]
    assert plot.legend_rows(run) == -(-len(keys) // plot.LEGEND_COLUMNS)


@pytest.mark.parametrize("name", ["07-lifecycle deleted", "termination forced", "termination finalized",
                                  "termination sidecars"])
def test_the_removal_from_the_api_is_marked_on_the_pods_lane(name):
    """The Pod object is removed when the kubelet's final delete finds nothing running and no finalizer
    (pkg/kubelet/status/status_manager.go, canBeDeleted), or at once for a forced deletion without one."""
    timeline = CHAPTER_TIMELINES[name]
    removed = timeline.removed_at()
    assert removed is not None and removed >= timeline.deleted_at()
    figure = plot.timeline(timeline)
    (mark,) = drawn_marks(figure)["removed"]
    rows = {lane.key: len(plot.lanes_for(timeline)) - 1 - index
            for index, lane in enumerate(plot.lanes_for(timeline))}
    assert mark.get_offsets().tolist() == [[removed, rows[("phase",)]]]
    assert plot.LABELS["removed"] in legend_entries(figure)
    assert max(end for _, end, _ in plot.phase_spans(timeline)) <= removed, "no phase after the object is gone"


def test_a_finalizer_keeps_the_object_and_nothing_marks_a_removal():
    kept = CHAPTER_TIMELINES["termination finalizer kept"]
    assert kept.deleted_at() is not None and kept.removed_at() is None
    figure = plot.timeline(kept)
    assert "removed" not in drawn_marks(figure) and plot.LABELS["removed"] not in legend_entries(figure)
    assert plot.phase_spans(kept)[-1][1] == kept.duration


def two_container_timeline():
    from podnotes.probes import ContainerBehaviour

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pair"}, "spec": {"containers": [
        {"name": "liveness", "image": "registry.k8s.io/busybox:1.27.2",
         "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5}},
        {"name": "web-container", "image": "registry.k8s.io/busybox:1.27.2",
         "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5}},
        {"name": "container", "image": "registry.k8s.io/busybox:1.27.2"}]}}
    return simulate(pod, Behaviour({"liveness": ContainerBehaviour()}), 30)


@pytest.mark.parametrize("name", sorted(EVERY_TIMELINE) + ["two containers"])
def test_lane_labels_say_each_thing_once(name):
    """The exec-liveness Pod's container is called liveness: its probe lane read "liveness / liveness probe"."""
    import re

    timeline = EVERY_TIMELINE[name] if name != "two containers" else two_container_timeline()
    labels = [lane.label for lane in plot.lanes_for(timeline)]
    assert len(labels) >= 3
    repeated = {label: words for label in labels
                if len(words := re.findall(r"\w+", label.lower())) != len(set(words))}
    assert repeated == {}
    assert len(set(labels)) == len(labels), "every lane is told apart"


def test_probe_lanes_name_their_container_only_among_several():
    single = plot.lanes_for(preset_timeline("exec-liveness"))
    assert [lane.label for lane in single][1:3] == ["liveness probe", "liveness\ncontainer"]
    labels = [lane.label for lane in plot.lanes_for(two_container_timeline())]
    assert labels == ["Pod phase", "liveness probe", "liveness\ncontainer", "web-container:\nreadiness probe",
                      "web-container", "container", plot.LABELS["ready_lane"]]


# --- the Chinese edition's timelines --------------------------------------------------------------------------


def test_every_timeline_word_has_chinese_or_is_kept_on_purpose():
    from podnotes.diagrams import label_table

    table = label_table()
    assert set(table["timeline"]) | set(table["timeline_kept"]) == set(plot.LABELS)
    assert not set(table["timeline"]) & set(table["timeline_kept"])
    for key, chinese in table["timeline"].items():
        fields = sorted(re.findall(r"{(\w+)}", plot.LABELS[key]))
        assert sorted(re.findall(r"{(\w+)}", chinese)) == fields, f"{key}: the same fields in both languages"
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{key}: {chinese!r} is not Chinese"


def test_the_labels_come_back_after_drawing_in_chinese():
    english = dict(plot.LABELS)
    with plot.labels_in("zh-CN"):
        assert plot.LABELS["phase_lane"] == "Pod 阶段"
        assert plot.probe_lane_label("app", "liveness", False) == "存活探针"
    assert english == plot.LABELS
    with pytest.raises(ValueError, match="fr"), plot.labels_in("fr"):
        pass


@pytest.mark.parametrize("name", sorted(EVERY_TIMELINE))
def test_a_chinese_timeline_keeps_its_text_inside_legible_and_translated(name):
    from podnotes.diagrams import label_table

    timeline = EVERY_TIMELINE[name]
    both = plot.bilingual(plot.timeline, timeline)
    kept = {plot.LABELS[key] for key in label_table()["timeline_kept"]}
    english = {value for key, value in plot.LABELS.items() if "{" not in value and value not in kept}
    words = all_text(both.zh.figure)
    assert words and any(re.search(r"[\u4e00-\u9fff]", word) for word in words)
    assert not english & set(words), sorted(english & set(words))
    assert text_outside(both.zh.figure) == []
    sizes = plot.text_sizes_px(both.zh.svg())
    assert len(sizes) > 10 and min(sizes) >= plot.MIN_TEXT_PX, f"smallest text {min(sizes):.1f} px"
    assert both.en.svg() == plot.render(plot.timeline(timeline), "svg").decode()


def test_a_chinese_comparison_keeps_its_text_inside():
    simulated = preset_timeline("exec-liveness")
    both = plot.bilingual(plot.compare, simulated, simulated)
    assert "模拟" in all_text(both.zh.figure) and "观测" in all_text(both.zh.figure)
    assert text_outside(both.zh.figure) == []


@pytest.mark.parametrize("cjk_font", [False, True])
def test_a_machine_without_a_cjk_font_draws_the_chinese_figure_without_warnings(monkeypatch, cjk_font):
    # A reader's machine without WenQuanYi or Noto CJK (the cgroup v2 machine had none): matplotlib warns once
    # per missing glyph while the Chinese twin of every drawing renders, which showed on the notebook page.
    import warnings

    monkeypatch.setattr(plot, "installed_font_families", lambda: ("DejaVu Sans",))
    monkeypatch.setattr(plot, "has_cjk_font", lambda: cjk_font)  # True: as if the fallback were there
    drawing = plot.bilingual(plot.timeline, preset_timeline("slow-start"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = drawing.zh.svg()
    assert "<svg" in svg
    glyphs = [str(warning.message) for warning in caught if "missing from font" in str(warning.message)]
    if cjk_font:
        assert glyphs, "DejaVu Sans has no Chinese glyphs, so unfiltered rendering warns"
    else:
        assert not glyphs, glyphs[:3]
