"""Timeline figures: lanes, labels from LABELS, and the files they render to."""

from __future__ import annotations

import struct

import matplotlib

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
