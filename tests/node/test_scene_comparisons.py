"""Reading the scenes' simulated-versus-observed rows from their records (no node needed)."""

from __future__ import annotations

from podnotes.node.agreement import scene_comparisons


def _row(what: str, difference: float | None, agrees: bool = True) -> dict:
    return {"what": what, "simulated": 1.0, "observed": None if difference is None else 1.0 + difference,
            "difference": difference, "tolerance": 2.0, "agrees": agrees}


def test_a_scene_with_one_comparison_and_one_with_a_list():
    one = {"scene": "restart-rules", "rows": [_row("retry: start #1", 0.0), _row("retry: start #2", -0.7)],
           "simulated_phase": "Running", "observed_phase": "Running", "outcomes": {}}
    [found] = scene_comparisons("restart-rules", one)
    assert found.name == "restart-rules" and len(found.rows) == 2
    assert found.largest_difference == 0.7 and found.agrees and not found.removed_before_phase

    many = {"pods": [
        {"name": "web", "rows": [_row("app: SIGTERM", 0.4)], "simulated_phase": "Succeeded",
         "observed_phase": "Succeeded"},
        {"name": "forced", "rows": [_row("object removed", None), _row("app: exit", 3.0, agrees=False)],
         "simulated_phase": "Failed", "observed_phase": "Running"}],
        "endpoints": [{"name": "web", "ready": True}], "gone_at_once": {"forced": True}}
    web, forced = scene_comparisons("termination", many)
    assert (web.name, web.agrees) == ("termination/web", True)
    assert forced.name == "termination/forced" and not forced.agrees and forced.removed_before_phase
    assert forced.largest_difference == 3.0


def test_a_record_without_comparisons():
    assert scene_comparisons("pod-on-a-node", {"scene": "pod-on-a-node", "pods": [{"name": "a"}], "x": [1]}) == []
