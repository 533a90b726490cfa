"""``kubectl describe pod`` Events and ``kubectl get pod`` RESTARTS from a timeline (podnotes.probes.events)."""

from __future__ import annotations

import pytest

from podnotes.probes import PRESETS, Behaviour, ContainerBehaviour, ProbeAnswers, Steps, simulate
from podnotes.probes.events import describe_text, human_duration, pod_events, pod_uid, restarts_column


def run(name: str, duration: float | None = None):
    chosen = PRESETS[name]
    return simulate(chosen.pod(), chosen.behaviour, duration or chosen.duration)


def rows(timeline, reason):
    return [row for row in pod_events(timeline) if row.reason == reason]


def test_http_liveness_events_use_the_kubelets_messages():
    """pkg/kubelet/prober/prober.go records Warning Unhealthy "%s probe failed: %s"
    (probeType.String() is "Liveness"), with the output of pkg/probe/http/http.go
    DoHTTPProbe "HTTP probe failed with statuscode: %d"; kuberuntime_manager.go
    computePodActions "Container %s failed liveness probe, will be restarted"
    (Killing); kuberuntime_container.go startContainer "Created container: %v" and
    "Started container %v"; doBackOff Warning BackOff "Back-off restarting failed
    container %s in pod %s" with format.Pod's "<name>_<namespace>(<uid>)"."""
    timeline = run("http-liveness")
    unhealthy = rows(timeline, "Unhealthy")
    assert [(r.type, r.source, r.message) for r in unhealthy] == [
        ("Warning", "kubelet", "Liveness probe failed: HTTP probe failed with statuscode: 500")]
    failures = timeline.select("probe", result="failure")
    assert failures and unhealthy[0].count == len(failures)
    assert (unhealthy[0].first, unhealthy[0].last) == (failures[0].time, failures[-1].time)
    killing = rows(timeline, "Killing")
    assert [r.message for r in killing] == ["Container liveness failed liveness probe, will be restarted"]
    assert killing[0].count == len(timeline.kills())
    starts = len(timeline.select("start"))
    assert [(r.message, r.count) for r in rows(timeline, "Created")] == [("Created container: liveness", starts)]
    assert [(r.message, r.count) for r in rows(timeline, "Started")] == [("Started container liveness", starts)]
    assert [r.message for r in rows(timeline, "Pulled")] == [
        'Container image "registry.k8s.io/e2e-test-images/agnhost:2.40" already present on machine']
    backoff = rows(timeline, "BackOff")
    uid = pod_uid("liveness-http")
    assert [(r.type, r.message) for r in backoff] == [
        ("Warning", f"Back-off restarting failed container liveness in pod liveness-http_default({uid})")]
    assert backoff[0].count == len(timeline.select("backoff"))
    scheduled = rows(timeline, "Scheduled")
    assert [(r.source, r.message) for r in scheduled] == [
        ("default-scheduler", "Successfully assigned default/liveness-http to podnotes-node")]


def test_describe_text_counts_repeats_as_kubectl_does():
    """kubectl describe (pkg/describe/describe.go DescribeEvents) prints
    "<age of last> (x<count> over <age of first>)" for an aggregated event, and
    rows ordered by their last timestamp."""
    timeline = run("exec-liveness")  # 180 s; kills at 40 and 110 s (the docs' "after 35 seconds")
    text = describe_text(timeline)
    assert "Events:" in text and "Type     Reason     Age" in text
    kills = timeline.kills()
    assert len(kills) >= 2
    killing = [line for line in text.splitlines() if " Killing " in line]
    assert len(killing) == 1
    age = f"{human_duration(180 - kills[-1])} (x{len(kills)} over {human_duration(180 - kills[0])})"
    assert age in killing[0]
    assert "Liveness probe failed: exit code 1" in text
    lasts = [row.last for row in pod_events(timeline)]
    assert lasts == sorted(lasts)


def test_probe_errors_and_warnings_are_events():
    """prober.go: an error is Warning Unhealthy "%s probe errored and resulted in
    %s state: %s" (unknown); an HTTP 3xx not followed is Warning ProbeWarning
    "%s probe warning: %s" (pkg/probe/http/http.go "Probe terminated redirects")."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{
        "name": "app", "image": "agnhost",
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5},
    }]}}
    behaviour = Behaviour({"app": ContainerBehaviour(probes={
        "liveness": ProbeAnswers(Steps(((0.0, {"status": 302, "body": "moved"}),))),
        "readiness": ProbeAnswers(Steps(((0.0, 200),)))})})
    timeline = simulate(pod, behaviour, 30)
    messages = {(r.type, r.reason, r.message) for r in pod_events(timeline)}
    assert ("Warning", "Unhealthy", 'Readiness probe errored and resulted in unknown state: port "http" not found') \
        in messages
    assert ("Warning", "ProbeWarning", "Liveness probe warning: Probe terminated redirects, Response body: moved") \
        in messages


def test_the_deadline_shows_as_the_pods_reason_and_stopping_events():
    """active_deadline.go sets the status reason DeadlineExceeded (kubectl describe's
    Reason and Message lines); killContainer records Killing "Stopping container %s"."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "activeDeadlineSeconds": 30, "containers": [{"name": "app", "image": "busybox"}]}}
    text = describe_text(simulate(pod, Behaviour(), 60))
    assert "Status:       Failed\nReason:       DeadlineExceeded\n" in text
    assert "Message:      Pod was active on the node longer than the specified deadline" in text
    assert "Stopping container app" in text


@pytest.mark.parametrize("seconds, shown", [
    (0, "0s"), (1, "1s"), (70, "70s"), (119, "119s"), (190, "3m10s"), (300, "5m"), (70 * 60, "70m"),
    (4 * 3600 + 5 * 60, "4h5m"), (3 * 3600, "3h"), (10 * 3600, "10h"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
    (8 * 86400 + 2 * 3600, "8d"),
])
def test_human_duration_matches_apimachinery(seconds, shown):
    """k8s.io/apimachinery/pkg/util/duration HumanDuration (duration_test.go cases)."""
    assert human_duration(seconds) == shown


def test_restarts_column_as_kubectl_get_pod_shows_it():
    """kubectl get pod (pkg/printers/internalversion/printers.go printPod): the sum
    of restartCount and "(<age> ago)" of the newest lastState.terminated.finishedAt."""
    timeline = run("exec-liveness")
    assert restarts_column(timeline, at=10) == "0"
    count = timeline.restart_count(180)
    assert count >= 1
    last_exit = max(e.time for e in timeline.select("exit") if e.time <= 180)
    assert restarts_column(timeline) == f"{count} ({human_duration(180 - last_exit)} ago)"
    assert f"Restarts:     {count} (" in describe_text(timeline)
