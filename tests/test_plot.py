"""Timeline figures: lanes, labels from LABELS, and the files they render to."""

from __future__ import annotations

import struct

import matplotlib
import pytest

matplotlib.use("Agg")

from podnotes import plot  # noqa: E402
from podnotes.probes import PRESETS, Behaviour, simulate  # noqa: E402


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
