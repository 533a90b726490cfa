"""The checks of the exercises `replace`, `configerror` and `guaranteed` on Pod objects shaped as the API server returns
them, without a cluster: each state the board can show (tests/workshop/test_kit.py runs them on the node).
Status fields as the kubelet writes them (pkg/kubelet/kubelet_pods.go, convertToAPIContainerStatuses)."""

from __future__ import annotations

import copy

from podnotes.workshop.exercises import (
    CONFIG_ERROR,
    FAILING,
    GUARANTEED,
    NOT_YET,
    PASSED,
    REPLACE,
    REPORTER,
    NamespaceView,
)

from . import solutions


def _with_state(pod: dict, state: dict) -> dict:
    pod = copy.deepcopy(pod)
    pod["metadata"]["uid"] = "u1"
    pod["status"] = {"containerStatuses": [{"name": "app", "state": state, "restartCount": 0}]}
    return pod


WAITING = {"waiting": {"reason": "CreateContainerConfigError",
                       "message": "couldn't find key level in ConfigMap ws-p01/reporter-settings"}}
RUNNING = {"running": {"startedAt": "2026-12-01T00:00:00Z"}}


def _view(pods=(), configmaps=()) -> NamespaceView:
    return NamespaceView("ws-p01", {p["metadata"]["name"]: p for p in pods},
                         {c["metadata"]["name"]: c for c in configmaps})


def test_configerror_states():
    assert CONFIG_ERROR.run(_view()).state == NOT_YET
    waiting = _with_state(REPORTER, WAITING)
    assert CONFIG_ERROR.run(_view([waiting])).detail == "reporter is waiting: CreateContainerConfigError"
    wrong = CONFIG_ERROR.run(_view([waiting], [solutions.REPORTER_SETTINGS_WITHOUT_KEY]))
    assert wrong.state == FAILING and wrong.detail.endswith("has no key level (its keys: colour)") and wrong.hint
    assert CONFIG_ERROR.run(_view([_with_state(REPORTER, RUNNING)], [solutions.REPORTER_SETTINGS])).state == PASSED
    changed = _with_state(REPORTER, RUNNING)
    changed["spec"]["containers"][0]["env"] = [{"name": "LEVEL", "value": "info"}]
    assert CONFIG_ERROR.run(_view([changed])).state == FAILING, "fixing the Pod instead of the cause"


def test_replace_states():
    assert REPLACE.run(_view()).state == NOT_YET
    original = _with_state(solutions.init_first(), RUNNING)
    assert REPLACE.run(_view([original])).detail == "container app of init-first has no env MODE=replaced yet"
    terminating = copy.deepcopy(original)
    terminating["metadata"]["deletionTimestamp"] = "2026-12-01T00:01:00Z"
    assert "Terminating" in REPLACE.run(_view([terminating])).detail
    replaced = _with_state(solutions.init_first_replaced(), {"waiting": {"reason": "PodInitializing"}})
    assert REPLACE.run(_view([replaced])).state == NOT_YET
    assert REPLACE.run(_view([_with_state(solutions.init_first_replaced(), RUNNING)])).state == PASSED


def _classified(pod: dict, qos_class: str, state: dict) -> dict:
    pod = _with_state(pod, state)
    pod["status"]["qosClass"] = qos_class  # set once, at creation (ComputePodQOS, pkg/apis/core/helper/qos)
    return pod


def test_guaranteed_states():
    assert GUARANTEED.run(_view()).state == NOT_YET
    burstable = GUARANTEED.run(_view([_classified(solutions.steady(equal=False), "Burstable", RUNNING)]))
    assert burstable.state == FAILING and burstable.detail == (
        "steady is Burstable: requests differ from limits in app") and burstable.hint
    pending = GUARANTEED.run(_view([_classified(solutions.steady(), "Guaranteed", {"waiting": {}})]))
    assert pending.state == NOT_YET
    assert GUARANTEED.run(_view([_classified(solutions.steady(), "Guaranteed", RUNNING)])).state == PASSED
