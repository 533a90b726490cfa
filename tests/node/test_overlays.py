"""Reading the real-node observations back for the book (no node needed)."""

from __future__ import annotations

import json

from podnotes.node import overlays
from podnotes.probes.timeline import Timeline


def test_nothing_observed_means_no_overlays(tmp_path):
    assert overlays.load_overlays(tmp_path) == {}
    assert overlays.node_setup(tmp_path) == {}


def test_an_observation_is_paired_with_its_simulation_on_the_same_clock(tmp_path):
    simulated = overlays.simulated("exec-liveness")
    observed = Timeline.from_dict({**simulated.shifted(2.5).to_dict(), "source": "observed"})
    (tmp_path / "exec-liveness.json").write_text(observed.to_json())
    rows = [{"what": "liveness: kill #1", "simulated": 42.5, "observed": 43.0,
             "difference": 0.5, "tolerance": 7.0, "agrees": True}]
    (tmp_path / "agreement.json").write_text(json.dumps(
        {"exec-liveness": {"offset": 2.5, "largest_difference": 0.5, "simulated_phase": "Running",
                           "observed_phase": "Running", "rows": rows}}))
    (tmp_path / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2"}))

    found = overlays.load_overlays(tmp_path)
    assert list(found) == ["exec-liveness"]
    overlay = found["exec-liveness"]
    assert overlay.agrees
    assert overlay.simulated.kills() == [t + 2.5 for t in simulated.kills()]
    assert overlay.observed.source == "observed"
    assert overlays.node_setup(tmp_path)["kubernetes"] == "v1.37.2"


def test_a_disagreeing_row_is_reported(tmp_path):
    simulated = overlays.simulated("http-liveness")
    (tmp_path / "http-liveness.json").write_text(simulated.to_json())
    (tmp_path / "agreement.json").write_text(json.dumps(
        {"http-liveness": {"offset": 0.0, "largest_difference": 30.0, "simulated_phase": "Running",
                           "observed_phase": "Running",
                           "rows": [{"what": "x", "simulated": 1.0, "observed": 31.0, "difference": 30.0,
                                     "tolerance": 5.0, "agrees": False}]}}))
    assert not overlays.load_overlays(tmp_path)["http-liveness"].agrees


def test_without_an_observation_the_figure_shows_the_simulation(tmp_path):
    figure = overlays.overlay_figure("tcp-liveness-readiness", {})
    assert figure.axes
