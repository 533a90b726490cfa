"""podnotes.nodeloss without a node: the prediction against the 1.37.2 controllers' rules
(``tryUpdateNodeHealth``, ``handleDisruption``, ``processPodOnNode``, ``gcTerminating``/``gcOrphaned``), the
reading of a recording as the scene writes it, and the figure's legibility on a phone."""

from __future__ import annotations

import pytest

from podnotes import nodeloss, plot

WEB = nodeloss.LostPod("web")
CACHE = nodeloss.LostPod("cache", toleration_seconds=30)


def test_defaults_notready_after_the_grace_period_then_each_toleration():
    lost = nodeloss.predict([WEB, CACHE], last_renewal=0.0)
    assert lost.control_plane.node_monitor_grace_period == 50
    unknown = lost.at("Node Ready Unknown")
    assert 50 <= unknown <= 55
    for what in ("Pods Ready False", "taint unreachable:NoSchedule", "taint unreachable:NoExecute"):
        assert lost.at(what) == unknown
    assert lost.at("cache: evicted") == unknown + 30
    assert lost.at("web: evicted") == unknown + 300
    assert lost.at("web: Failed and removed") is None, "nobody declared the node gone: no collection"
    assert [i.at for i in lost.instants] == sorted(i.at for i in lost.instants)


def test_an_unknown_last_renewal_widens_the_window_to_a_whole_renewal_interval():
    known = nodeloss.predict([WEB], last_renewal=-3.0).instants[0]
    unknown = nodeloss.predict([WEB]).instants[0]
    assert unknown.tolerance - known.tolerance == pytest.approx(5.0)


def test_a_toleration_without_seconds_is_never_evicted_by_the_unreachable_taint():
    forever = nodeloss.LostPod("daemon", toleration_seconds=None)
    assert nodeloss.predict([forever]).at("daemon: evicted") is None


def test_the_kubelet_back_in_time_cancels_the_evictions():
    back = nodeloss.predict([WEB, CACHE], resumed=70, last_renewal=0.0)
    assert back.at("cache: evicted") is None and back.at("web: evicted") is None
    assert back.at("Node Ready True") > 70 and back.at("taints removed") > back.at("Node Ready True")
    early = nodeloss.predict([WEB], resumed=10)
    assert early.at("Node Ready Unknown") is None, "back before the grace period ran out"


def test_out_of_service_evicts_at_once_and_the_collector_removes_at_its_next_run():
    fenced = nodeloss.predict([WEB, CACHE], out_of_service=120, last_renewal=0.0)
    assert fenced.at("web: evicted") == 120
    assert fenced.at("cache: evicted") == pytest.approx(fenced.at("Node Ready Unknown") + 30)
    for pod in ("web", "cache"):
        assert 120 < fenced.at(f"{pod}: Failed and removed") <= 140


def test_a_deleted_node_is_collected_after_the_quarantine():
    gone = nodeloss.predict([WEB], node_deleted=100)
    assert gone.at("web: Failed and removed") >= 100 + 40


def test_one_node_alone_gets_no_noexecute_taint_and_evicts_nothing():
    alone = nodeloss.ControlPlane(other_ready_nodes=0)
    single = nodeloss.predict([WEB, CACHE], alone)
    assert single.at("Node Ready Unknown") is not None and single.at("Pods Ready False") is not None
    assert single.at("taint unreachable:NoSchedule") is not None
    assert single.at("taint unreachable:NoExecute") is None
    assert single.at("web: evicted") is None and single.at("cache: evicted") is None
    fenced = nodeloss.predict([WEB], alone, out_of_service=60)
    assert fenced.at("web: evicted") == 60, "out-of-service is not the controller's taint: it still evicts"


@pytest.mark.parametrize("bad", [{"last_renewal": 1.0}, {"out_of_service": -1}, {"resumed": -5}])
def test_moments_on_the_wrong_side_of_the_stop_are_refused(bad):
    with pytest.raises(ValueError):
        nodeloss.predict([WEB], **bad)


# --- a recording, shaped as podnotes.node.scenes.node_loss writes it --------------------------------------

T0 = 1_000_000.0


def _node(at, ready, taints=(), reason="KubeletReady"):
    return {"at": T0 + at, "ready": ready, "reason": reason, "message": "", "taints": list(taints)}


def _pod(at, name, phase="Running", ready="True", deleted=None, kind="MODIFIED"):
    return {"at": T0 + at, "type": kind, "pod": name, "phase": phase, "ready": ready,
            "deletion_timestamp": None if deleted is None else T0 + deleted, "disruption": None}


UNREACHABLE = [f"{nodeloss.UNREACHABLE}:NoSchedule", f"{nodeloss.UNREACHABLE}:NoExecute"]
RECORD = {
    "settings": {"node_monitor_grace_period": 20, "short_toleration": 5, "grace": 3},
    "stopped_at": T0, "last_renewal": T0 - 4, "out_of_service_at": T0 + 31, "resumed_at": T0 + 36.4,
    "ready_again_at": T0 + 51,
    "node_changes": [_node(-0.2, "True"), _node(21.2, "Unknown", reason="NodeStatusUnknown"),
                     _node(21.2, "Unknown", UNREACHABLE[:1]), _node(21.3, "Unknown", UNREACHABLE),
                     _node(46.8, "True", UNREACHABLE), _node(51.2, "True")],
    "pod_changes": [_pod(-0.2, "patient", kind="ADDED"), _pod(-0.2, "short", kind="ADDED"),
                    _pod(21.2, "patient", ready="False"), _pod(21.2, "short", ready="False"),
                    _pod(26.3, "short", ready="False", deleted=29.3),
                    _pod(31.4, "patient", ready="False", deleted=34.4),
                    _pod(36.2, "short", "Failed", "False", 29.3),
                    _pod(36.2, "short", "Failed", "False", 36.2, "DELETED"),
                    _pod(36.2, "patient", "Failed", "False", 34.4),
                    _pod(36.2, "patient", "Failed", "False", 36.2, "DELETED")],
    "steps": [{"step": "not ready", "after_stop": 21.3, "runs": [
        {"command": "kubectl get pods", "exit": 0, "stderr": "",
         "stdout": "NAME      READY   STATUS    RESTARTS   AGE\npatient   1/1     Running   0          23s\n"}]}],
}


def test_the_instants_of_a_recording():
    found = nodeloss.observed_instants(RECORD)
    assert found["Node Ready Unknown"] == 21.2
    assert found["taint unreachable:NoSchedule"] == 21.2 and found["taint unreachable:NoExecute"] == 21.3
    assert found["Pods Ready False"] == 21.2
    assert found["short: evicted"] == 26.3 and found["patient: evicted"] == 31.4
    assert found["short: Failed and removed"] == 36.2
    assert found["Node Ready True"] == 46.8 and found["taints removed"] == 51.2


def test_taints_are_removed_only_when_neither_unreachable_nor_not_ready_is_left():
    """Back from SIGSTOP the kubelet may report Ready False ("container runtime is down") for a moment; the
    controller then swaps the unreachable taints for not-ready ones."""
    not_ready = [f"{nodeloss.NOT_READY}:NoSchedule", f"{nodeloss.NOT_READY}:NoExecute"]
    changes = [*RECORD["node_changes"][:4], _node(42.0, "False", UNREACHABLE[1:] + not_ready[:1], "KubeletNotReady"),
               _node(46.3, "False", not_ready, "KubeletNotReady"), _node(52.4, "True", not_ready[1:]),
               _node(56.3, "True")]
    found = nodeloss.observed_instants(dict(RECORD, node_changes=changes))
    assert found["Node Ready True"] == 52.4 and found["taints removed"] == 56.3


def test_a_recording_without_changes_is_refused():
    with pytest.raises(ValueError):
        nodeloss.observed_instants({"stopped_at": T0, "node_changes": [], "pod_changes": []})


def test_the_prediction_for_a_recording_agrees_within_the_tolerances():
    rows = nodeloss.compare(RECORD)
    assert {row.what for row in rows} >= {"Node Ready Unknown", "short: evicted", "patient: evicted",
                                          "short: Failed and removed", "taints removed"}
    assert all(row.agrees for row in rows), [r for r in rows if not r.agrees]
    late = dict(RECORD, node_changes=[_node(-0.2, "True"), _node(45, "Unknown", UNREACHABLE)])
    late_rows = {row.what: row for row in nodeloss.compare(late)}
    assert not late_rows["Node Ready Unknown"].agrees, "a NotReady 24 s late is outside the window"
    assert not late_rows["Node Ready True"].agrees, "an instant that never came has no partner"


def test_an_eviction_whose_two_triggers_overlap_may_come_from_either():
    """Recorded on the real node: the Node went Unknown 4.8 s before the middle of its window (still inside
    it), so short's 5 s toleration ran out 4.4 s early, before the out-of-service taint the scene adds once
    short's deletion deadline has passed. The prediction may not pick the out-of-service taint's narrow window
    alone: the toleration's window overlaps it, and the first trigger to fire is the one that acts."""
    early = dict(RECORD, last_renewal=T0 - 9.8, out_of_service_at=T0 + 19.9, resumed_at=T0 + 32.0,
                 ready_again_at=T0 + 45.0,
                 node_changes=[_node(-0.2, "True"), _node(10.4, "Unknown", reason="NodeStatusUnknown"),
                               _node(10.4, "Unknown", UNREACHABLE[:1]), _node(10.5, "Unknown", UNREACHABLE),
                               _node(40.1, "True", UNREACHABLE), _node(44.2, "True")],
                 pod_changes=[_pod(-0.2, "patient", kind="ADDED"), _pod(-0.2, "short", kind="ADDED"),
                              _pod(10.4, "patient", ready="False"), _pod(10.4, "short", ready="False"),
                              _pod(15.5, "short", ready="False", deleted=18.5),
                              _pod(20.1, "patient", ready="False", deleted=23.1),
                              _pod(30.6, "short", "Failed", "False", 18.5),
                              _pod(30.6, "short", "Failed", "False", 30.6, "DELETED"),
                              _pod(30.6, "patient", "Failed", "False", 23.1),
                              _pod(30.6, "patient", "Failed", "False", 30.6, "DELETED")])
    rows = {row.what: row for row in nodeloss.compare(early)}
    assert rows["short: evicted"].observed == 15.5
    assert rows["short: evicted"].agrees, rows["short: evicted"]
    assert rows["patient: evicted"].agrees, "the out-of-service taint alone evicts patient, at once"
    assert rows["patient: evicted"].tolerance <= 2.0
    assert all(row.agrees for row in rows.values()), [r for r in rows.values() if not r.agrees]
    toleration, fence = (20.2, 9.0), (19.9, 2.0)
    assert nodeloss._earliest([toleration, fence]) == pytest.approx((16.55, 5.35))
    assert nodeloss._earliest([(85.0, 9.0), (120.0, 2.0)]) == (85.0, 9.0), "far apart: the earlier alone"


def test_phases_and_kubectl_cells():
    assert nodeloss.phases_seen(RECORD, "short") == ["Running", "Failed"]
    assert nodeloss.last_state(RECORD, "patient")["type"] == "DELETED"
    with pytest.raises(KeyError):
        nodeloss.last_state(RECORD, "nobody")
    assert nodeloss.kubectl_column(RECORD, "not ready", "patient", "READY") == "1/1"
    assert nodeloss.kubectl_column(RECORD, "not ready", "short", "READY") is None
    with pytest.raises(KeyError):
        nodeloss.step(RECORD, "never")


def test_node_and_pod_states_from_api_objects():
    node = {"spec": {"taints": [{"key": nodeloss.UNREACHABLE, "effect": "NoExecute"}]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                                       "message": nodeloss.STOPPED_MESSAGE}]}}
    assert nodeloss.node_state(node) == {"ready": "Unknown", "reason": "NodeStatusUnknown",
                                         "message": nodeloss.STOPPED_MESSAGE,
                                         "taints": [f"{nodeloss.UNREACHABLE}:NoExecute"]}
    pod = {"metadata": {"name": "short", "deletionTimestamp": "2026-12-01T03:41:30Z"},
           "status": {"phase": "Running", "conditions": [
               {"type": "Ready", "status": "False"},
               {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager", "message": "m"}]}}
    state = nodeloss.pod_state(pod)
    assert state["ready"] == "False" and state["phase"] == "Running" and state["deletion_timestamp"] > 0
    assert state["disruption"] == {"reason": "DeletionByTaintManager", "message": "m"}


def test_the_figures_spans_and_legibility():
    lost = nodeloss.predict([WEB, CACHE], last_renewal=0.0)
    lanes = nodeloss.spans(nodeloss.predicted_instants(lost), ["web", "cache"], lost.end)
    assert [state for _, _, state in lanes["cache"]] == ["Ready", "Unknown", "Terminating"]
    assert lanes["node"][0] == (0.0, lost.at("Node Ready Unknown"), "Ready")
    svg = plot.render(nodeloss.figure(nodeloss.prediction_for(RECORD), nodeloss.observed_instants(RECORD)), "svg")
    sizes = plot.text_sizes_px(svg.decode())
    assert sizes and min(sizes) >= plot.MIN_TEXT_PX


def test_the_figure_comes_in_chinese_too():
    """One execution serves both editions: the figure is drawn with each edition's words (the ``nodeloss``
    table of podnotes/data/figure-labels.zh-CN.yml), legible on a phone in both."""
    import re

    import matplotlib.text

    both = nodeloss.bilingual_figure(nodeloss.prediction_for(RECORD), nodeloss.observed_instants(RECORD))
    chinese = [t.get_text() for t in both.zh.figure.findobj(matplotlib.text.Text) if t.get_text().strip()]
    english = [t.get_text() for t in both.en.figure.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert "seconds after the kubelet stopped" in english and "kubelet 停止后的秒数" in chinese
    assert not [text for text in chinese if re.search(r"[a-z]+ [a-z]+ [a-z]+", text)], chinese
    for drawing in (both.en, both.zh):
        sizes = plot.text_sizes_px(plot.render(drawing.figure, "svg").decode())
        assert sizes and min(sizes) >= plot.MIN_TEXT_PX
