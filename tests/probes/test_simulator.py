"""The simulator against the kubelet's rules. Each test names the upstream
function or test it mirrors (kubernetes/kubernetes, 1.30-1.35)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podnotes.probes import (
    Behaviour,
    ContainerBehaviour,
    InvalidPod,
    KubeletConfig,
    KubeletConfigError,
    PodUpdate,
    ProbeAnswers,
    Steps,
    simulate,
)
from podnotes.probes.backoff import CrashLoopBackOff
from podnotes.probes.spec import lint_errors, parse_pod, parse_probe


def pod(*containers, init=(), **spec) -> dict:
    body = {"containers": list(containers), **spec}
    if init:
        body["initContainers"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "demo"}, "spec": body}


def container(name="app", **fields) -> dict:
    return {"name": name, "image": "registry.k8s.io/busybox:1.27.2", **fields}


def http(path="/healthz", port=8080, **fields) -> dict:
    return {"httpGet": {"path": path, "port": port}, **fields}


def answers(*points, delays=None) -> ProbeAnswers:
    steps = Steps(tuple((float(t), v) for t, v in points))
    if delays is None:
        return ProbeAnswers(steps)
    return ProbeAnswers(steps, delays=Steps(tuple((float(t), v) for t, v in delays)))


def behave(name="app", tick_phase=0.0, **fields) -> Behaviour:
    return Behaviour({name: ContainerBehaviour(**fields)}, tick_phase=tick_phase)


def probe_times(timeline, probe, result=None):
    return [e.time for e in timeline.select("probe", probe=probe) if result is None or e.result == result]


# --- defaults and validation ---------------------------------------------------

def test_probe_defaults():
    """SetDefaults_Probe (pkg/apis/core/v1/defaults.go): period 10, timeout 1,
    success 1, failure 3; initialDelaySeconds is not defaulted (0)."""
    probe = parse_probe("liveness", {"tcpSocket": {"port": 80}})
    assert (probe.period, probe.timeout, probe.success_threshold, probe.failure_threshold, probe.initial_delay) == (
        10, 1, 1, 3, 0)
    zeros = parse_probe("readiness", {"tcpSocket": {"port": 80}, "periodSeconds": 0, "timeoutSeconds": 0})
    assert (zeros.period, zeros.timeout) == (10, 1)


def test_pod_defaults():
    """SetDefaults_PodSpec: restartPolicy Always; DefaultTerminationGracePeriodSeconds = 30."""
    spec = parse_pod(pod(container()))
    assert spec.restart_policy == "Always"
    assert spec.grace_seconds == 30


INVALID = {
    "liveness successThreshold": (
        {"livenessProbe": http(successThreshold=2)},
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"),
    "startup successThreshold": (
        {"startupProbe": http(successThreshold=3)},
        "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"),
    "two handlers": (
        {"livenessProbe": {**http(), "tcpSocket": {"port": 8080}}},
        "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"),
    "no handler": (
        {"readinessProbe": {"periodSeconds": 5}},
        "spec.containers[0].readinessProbe: Required value: must specify a handler type"),
    "readiness grace period": (
        {"readinessProbe": http(terminationGracePeriodSeconds=10)},
        "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: "
        "must not be set for readinessProbes"),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_invalid_probes_are_refused_with_the_api_server_message(case):
    """validateLivenessProbe / validateStartupProbe ("must be 1"), validateHandler
    ("may not specify more than 1 handler type", "must specify a handler type"),
    validateReadinessProbe ("must not be set for readinessProbes") in
    pkg/apis/core/validation/validation.go."""
    fields, message = INVALID[case]
    manifest = pod(container(**fields))
    with pytest.raises(InvalidPod) as refused:
        simulate(manifest, duration=10)
    assert message in refused.value.messages
    assert message in str(refused.value)
    assert message in lint_errors(manifest)


def test_refusal_carries_the_linters_messages():
    """The simulator refuses with exactly what ``podnotes lint`` reports as errors."""
    manifest = pod(container(livenessProbe=http(successThreshold=2)))
    with pytest.raises(InvalidPod) as refused:
        simulate(manifest)
    assert refused.value.messages == lint_errors(manifest)


def test_probes_on_regular_init_containers_are_refused():
    """validation.go: probes "may not be set for init containers without restartPolicy=Always"."""
    manifest = pod(container(), init=[container("setup", readinessProbe=http())])
    with pytest.raises(InvalidPod, match="initContainers\\[0\\].readinessProbe"):
        simulate(manifest)


# --- when probes run -------------------------------------------------------------

def test_first_probe_runs_at_start_plus_initial_delay_by_default():
    """worker.doProbe skips ticks while int(now - startedAt) < initialDelaySeconds
    (TestInitialDelay in pkg/kubelet/prober/worker_test.go)."""
    timeline = simulate(pod(container(livenessProbe=http(initialDelaySeconds=7, periodSeconds=4))), duration=30)
    assert probe_times(timeline, "liveness")[:3] == [7.0, 11.0, 15.0]


@settings(max_examples=60, deadline=None)
@given(delay=st.integers(0, 30), period=st.integers(1, 20), fraction=st.floats(0, 0.999))
def test_first_probe_lands_within_one_period_after_the_delay(delay, period, fraction):
    """worker.run starts a ticker independent of the container start, so the
    first executed probe is the first tick with elapsed >= delay: it lands in
    [start + delay, start + delay + period)."""
    phase = fraction * period
    manifest = pod(container(livenessProbe=http(initialDelaySeconds=delay, periodSeconds=period)))
    timeline = simulate(manifest, Behaviour(tick_phase=phase), duration=delay + 2 * period)
    first = timeline.first_probe("liveness")
    assert delay <= first < delay + period
    assert first == pytest.approx(delay + phase, abs=1e-6)  # event times are kept to the microsecond


def test_tick_phase_outside_the_period_is_refused():
    with pytest.raises(ValueError, match="tick phase"):
        simulate(pod(container(livenessProbe=http(periodSeconds=5))), Behaviour(tick_phase=5.0))


def test_initial_results_before_any_probe_ran():
    """worker.doProbe sets the initial value for a new container: readiness
    Failure (not Ready), liveness Success (no kill), startup Unknown (not started)."""
    manifest = pod(container(readinessProbe=http(initialDelaySeconds=20), livenessProbe=http(initialDelaySeconds=20)))
    timeline = simulate(manifest, duration=30)
    assert not timeline.is_ready(19.0)
    assert timeline.is_ready(20.0)
    assert timeline.kills() == []
    started = simulate(pod(container(startupProbe=http(initialDelaySeconds=10))), duration=30)
    assert [(e.time, e.status) for e in started.select("started")] == [(10.0, True)]


def test_liveness_and_readiness_wait_for_the_startup_probe():
    """doProbe returns early for liveness/readiness while !c.Started
    (TestLivenessProbeDisabledByStarted); startup stops once started
    (TestStartupProbeDisabledByStarted)."""
    manifest = pod(container(startupProbe=http(periodSeconds=10, failureThreshold=30),
                             livenessProbe=http(periodSeconds=10), readinessProbe=http(periodSeconds=10)))
    behaviour = behave(probes={"startup": answers((0, 503), (42, 200))})
    timeline = simulate(manifest, behaviour, duration=120)
    started_at = timeline.select("started", status=True)[0].time
    assert started_at == 50.0
    assert min(probe_times(timeline, "liveness")) > started_at
    assert min(probe_times(timeline, "readiness")) >= started_at
    assert max(probe_times(timeline, "startup")) == started_at


def test_readiness_runs_at_once_when_the_startup_probe_succeeds():
    """prober_manager.UpdatePodStatus triggers the readiness worker of a started,
    not-ready container; e2e "should be ready immediately after startupProbe succeeds"."""
    manifest = pod(container(startupProbe=http(periodSeconds=10, failureThreshold=10),
                             readinessProbe=http(periodSeconds=60)))
    timeline = simulate(manifest, behave(probes={"startup": answers((0, 500), (25, 200))}), duration=100)
    assert timeline.first_probe("readiness") == 30.0
    assert timeline.ready_intervals() == [(30.0, None)]


def test_a_success_resets_the_failure_run():
    """worker.doProbe keeps one lastResult/resultRun pair; the cached result only
    changes at failureThreshold consecutive failures (TestFailureThreshold)."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=3)))
    pattern = [(0, 200), (1, 500), (3, 200), (4, 500), (6, 200), (7, 500)]
    timeline = simulate(manifest, behave(probes={"liveness": answers(*pattern)}), duration=30)
    # probes at 0..: fail at 1,2 / ok 3 / fail 4,5 / ok 6 / fail 7,8,9 -> third consecutive failure at 9
    assert timeline.kills()[0] == 9.0


def test_readiness_needs_success_threshold_consecutive_successes():
    """TestSuccessThreshold: the cached result flips to Success after successThreshold successes."""
    manifest = pod(container(readinessProbe=http(periodSeconds=2, successThreshold=3)))
    timeline = simulate(manifest, behave(probes={"readiness": answers((0, 200), (3, 500), (5, 200))}), duration=30)
    # 0 ok, 2 ok, 4 fail, 6 ok, 8 ok, 10 ok -> Ready at 10
    assert timeline.ready_intervals() == [(10.0, None)]
    threshold = timeline.select("threshold", probe="readiness")[0]
    assert (threshold.result, threshold.count) == ("success", 3)


def test_after_a_liveness_kill_the_new_container_needs_the_full_threshold_again():
    """After a liveness failure the worker goes on hold and resets resultRun to 0
    (TestOnHoldOnLivenessOrStartupCheckFailure, TestResultRunOnLivenessCheckFailure)."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=3)))
    timeline = simulate(manifest, behave(probes={"liveness": answers((0, 500))}), duration=10)
    kills = timeline.kills()
    # failures at 0, 1, 2; restart at 2; the worker sees the new container at its
    # next tick: failures at 3, 4, 5
    assert kills[:2] == [2.0, 5.0]
    assert {e.count for e in timeline.select("threshold", probe="liveness")} == {3}


def test_a_slow_probe_delays_the_next_one_instead_of_overlapping():
    """worker.run: the probe runs synchronously; Go's ticker buffers one tick, so
    a probe longer than the period is followed by the next one at once."""
    manifest = pod(container(readinessProbe=http(periodSeconds=2, timeoutSeconds=5, failureThreshold=100)))
    behaviour = behave(probes={"readiness": answers((0, 200), delays=[(0, 0.1), (4, 60)])})
    timeline = simulate(manifest, behaviour, duration=25)
    timeouts = probe_times(timeline, "readiness", "timeout")
    assert timeouts[:3] == [4.0, 9.0, 14.0]


# --- handler outcomes ---------------------------------------------------------

@pytest.mark.parametrize("handler, answer, result", [
    ({"httpGet": {"port": 80}}, 200, "success"),
    ({"httpGet": {"port": 80}}, 399, "success"),
    ({"httpGet": {"port": 80}}, 400, "failure"),
    ({"httpGet": {"port": 80}}, 199, "failure"),
    ({"httpGet": {"port": 80}}, None, "failure"),
    ({"exec": {"command": ["true"]}}, 0, "success"),
    ({"exec": {"command": ["false"]}}, 1, "failure"),
    ({"tcpSocket": {"port": 80}}, True, "success"),
    ({"tcpSocket": {"port": 80}}, False, "failure"),
    ({"grpc": {"port": 9000}}, "SERVING", "success"),
    ({"grpc": {"port": 9000}}, "NOT_SERVING", "failure"),
])
def test_handler_outcomes(handler, answer, result):
    """pkg/probe/http/http.go DoHTTPProbe (200 <= code < 400), exec.go (exit 0),
    tcp.go DoTCPProbe (connects), grpc.go (SERVING)."""
    timeline = simulate(pod(container(readinessProbe=handler)), behave(probes={"readiness": answers((0, answer))}),
                        duration=5)
    assert timeline.select("probe")[0].result == result


def test_a_timeout_is_a_failure():
    """prober.runProbe: a probe that exceeds timeoutSeconds fails (for exec since ExecProbeTimeout GA)."""
    manifest = pod(container(livenessProbe={"exec": {"command": ["slow"]}, "periodSeconds": 10, "timeoutSeconds": 2}))
    timeline = simulate(manifest, behave(probes={"liveness": answers((0, 0), delays=[(0, 2)])}), duration=40)
    assert set(e.result for e in timeline.select("probe")) == {"timeout"}
    assert timeline.kills() == [22.0]  # attempts at 0, 10, 20, each answered by the timeout 2 s later


# --- kills and grace periods -----------------------------------------------------

def test_liveness_kill_uses_the_pod_grace_period_by_default():
    """killContainer / setTerminationGracePeriod: a process that ignores SIGTERM
    is killed (SIGKILL, 137) when the Pod's 30 s grace period runs out."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=1)))
    timeline = simulate(manifest, behave(sigterm="ignore", probes={"liveness": answers((0, 500))}), duration=40)
    kill = timeline.select("kill")[0]
    exit_ = timeline.select("exit")[0]
    assert (kill.time, kill.seconds, kill.reason) == (0.0, 30.0, "LivenessProbe")
    assert (exit_.time, exit_.exit_code) == (30.0, 137)


def test_probe_level_grace_period_overrides_the_pods():
    """setTerminationGracePeriod: probe.terminationGracePeriodSeconds wins for a
    liveness or startup kill."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=1, terminationGracePeriodSeconds=5)),
                   terminationGracePeriodSeconds=60)
    timeline = simulate(manifest, behave(sigterm="ignore", probes={"liveness": answers((0, 500))}), duration=20)
    assert timeline.select("kill")[0].seconds == 5.0
    assert timeline.select("exit")[0].time == 5.0


def test_pre_stop_counts_against_the_grace_period():
    """killContainer: preStop runs first and its whole seconds are taken from the
    grace period; at least minimumGracePeriodInSeconds (2) remain for SIGTERM."""
    hooked = container(livenessProbe=http(periodSeconds=1, failureThreshold=1),
                       lifecycle={"preStop": {"exec": {"command": ["sleep", "8"]}}})
    behaviour = behave(sigterm="ignore", pre_stop_seconds=8.0, probes={"liveness": answers((0, 500))})
    timeline = simulate(pod(hooked, terminationGracePeriodSeconds=20), behaviour, duration=40)
    assert timeline.select("hook")[0].seconds == 8.0
    assert timeline.select("exit")[0].time == 20.0  # 8 s hook + the 12 s left
    long_hook = behave(sigterm="ignore", pre_stop_seconds=30.0, probes={"liveness": answers((0, 500))})
    timeline = simulate(pod(hooked, terminationGracePeriodSeconds=20), long_hook, duration=40)
    assert timeline.select("exit")[0].time == 22.0  # hook cut at 20 s, then the 2 s minimum


def test_readiness_failure_never_restarts_anything():
    """Readiness results only feed SetContainerReadiness; computePodActions acts on liveness and startup only."""
    manifest = pod(container(readinessProbe=http(periodSeconds=5)))
    timeline = simulate(manifest, behave(probes={"readiness": answers((0, 200), (30, 503))}), duration=120)
    assert timeline.kills() == [] and timeline.restarts() == []
    assert timeline.ready_intervals() == [(0.0, 40.0)]
    assert timeline.endpoint_intervals() == [(0.0, 40.0)]
    assert timeline.phase_at(100) == "Running"


def test_restart_policy_never_kills_without_restarting():
    """computePodActions: a liveness failure adds the container to ContainersToKill,
    and to ContainersToStart only if restartPolicy != Never."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=2)), restartPolicy="Never")
    timeline = simulate(manifest, behave(probes={"liveness": answers((0, 500))}), duration=60)
    assert timeline.kills() == [1.0]
    assert "will be restarted" not in timeline.select("kill")[0].message
    assert timeline.restarts() == []
    assert timeline.phase_at(60) == "Failed"


def test_on_failure_restarts_a_liveness_kill_whatever_the_exit_code():
    """computePodActions restarts probe-killed containers under OnFailure even when they exit 0."""
    manifest = pod(container(livenessProbe=http(periodSeconds=1, failureThreshold=1)), restartPolicy="OnFailure")
    timeline = simulate(manifest, behave(sigterm_exit_code=0, probes={"liveness": answers((0, 500))}), duration=3)
    assert timeline.select("exit")[0].exit_code == 0
    assert timeline.restarts()[0] == 0.0


def test_a_containers_own_restart_policy_overrides_the_pods():
    """Container restart rules (1.35+, on in 1.37): ShouldContainerBeRestarted calls ContainerShouldRestart
    (pkg/api/v1/pod/util.go), which reads the container's restartPolicy before the Pod's; getPhase keeps the
    Pod Running while a stopped container will be restarted (kubelet_pods.go, stoppedNotRestartable)."""
    once = container("once", restartPolicy="Never")
    alone = simulate(pod(once), Behaviour({"once": ContainerBehaviour(exit_after=5, exit_code=1)}), duration=60)
    assert alone.restarts() == [] and alone.phase_at(60) == "Failed", "Never wins over the Pod's Always"
    retried = simulate(pod(container("job", restartPolicy="OnFailure"), restartPolicy="Never"),
                       Behaviour({"job": ContainerBehaviour(exit_after=5, exit_code=1)}), duration=60)
    assert retried.restarts()[:2] == [5.0, 20.0] and retried.phase_at(60) == "Running", "OnFailure wins over Never"
    done = simulate(pod(container("job", restartPolicy="OnFailure"), restartPolicy="Never"),
                    Behaviour({"job": ContainerBehaviour(exit_after=5, exit_code=0)}), duration=60)
    assert done.restarts() == [] and done.phase_at(60) == "Succeeded"


def test_restart_rules_match_exit_codes_before_the_policy():
    """FindMatchingContainerRestartRule: the first rule whose exitCodes match (In / NotIn) with action Restart
    restarts the container; no match falls back to its restartPolicy."""
    rules = [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]
    manifest = pod(container("job", restartPolicy="Never", restartPolicyRules=rules))
    again = simulate(manifest, Behaviour({"job": ContainerBehaviour(exit_after=5, exit_code=42)}), duration=30)
    assert again.restarts()[0] == 5.0 and again.phase_at(30) == "Running"
    other = simulate(manifest, Behaviour({"job": ContainerBehaviour(exit_after=5, exit_code=1)}), duration=30)
    assert other.restarts() == [] and other.phase_at(30) == "Failed"
    assert other.notes == []
    everything = [{"action": "RestartAllContainers", "exitCodes": {"operator": "NotIn", "values": [0]}}]
    noted = simulate(pod(container("job", restartPolicy="Never", restartPolicyRules=everything)),
                     Behaviour({"job": ContainerBehaviour(exit_after=5, exit_code=1)}), duration=30)
    assert any("RestartAllContainers" in note for note in noted.notes), "what is not simulated is said"


def test_an_init_container_that_will_not_be_retried_fails_the_pod():
    """getPhase: failedInitializationNotRestartable > 0 gives Failed, even under the Pod's Always, when the init
    container's own restartPolicy is Never; a probe-killed container restarts unless its own policy is Never
    (computePodActions)."""
    init = container("prepare", restartPolicy="Never")
    timeline = simulate(pod(container(), init=[init]),
                        Behaviour({"prepare": ContainerBehaviour(exit_after=2, exit_code=1)}), duration=30)
    assert [e.container for e in timeline.select("start")] == ["prepare"]
    assert timeline.phase_at(30) == "Failed"
    killed = pod(container(restartPolicy="Never", livenessProbe=http(periodSeconds=1, failureThreshold=2)))
    probed = simulate(killed, behave(probes={"liveness": answers((0, 500))}), duration=60)
    assert probed.kills() == [1.0] and probed.restarts() == [] and probed.phase_at(60) == "Failed"


def test_startup_failure_kills_after_its_budget():
    """A startup probe fails after failureThreshold x periodSeconds and the
    container is killed like a liveness failure (TestStartupProbeFailureThreshold)."""
    manifest = pod(container(startupProbe=http(periodSeconds=10, failureThreshold=30)))
    timeline = simulate(manifest, behave(probes={"startup": answers((0, None))}), duration=400)
    kill = timeline.select("kill")[0]
    assert (kill.time, kill.reason) == (290.0, "StartupProbe")  # 30 attempts: 0, 10, ..., 290


# --- restart back-off ---------------------------------------------------------------

def test_crash_loop_back_off_sequence():
    """kuberuntime_manager.go doBackOff with client-go flowcontrol.Backoff
    (Next, IsInBackOffSince): the first restart is immediate, then 10, 20, 40,
    80, 160 s and 300 s from then on."""
    timeline = simulate(pod(container()), behave(exit_after=1.0, exit_code=1), duration=2000)
    waits = [e.seconds for e in timeline.select("backoff")]
    assert waits[:8] == [10, 20, 40, 80, 160, 300, 300, 300]
    starts = [e.time for e in timeline.select("start")]
    assert starts[:3] == [0.0, 1.0, 12.0]  # crash at 1 -> restart at once; crash at 2 -> wait 10


def test_back_off_resets_after_ten_minutes_of_running():
    """flowcontrol.Backoff hasExpired: an entry older than 600 s (2 x max) at the
    container's finish time starts over: immediate restart, then 10 s."""
    backoff = CrashLoopBackOff()
    assert backoff.decide("app", None, 0.0) == 0.0  # never exited: start, no entry
    assert backoff.decide("app", 5.0, 5.0) == 0.0  # first exit: start, entry at 10 s
    assert backoff.decide("app", 6.0, 6.0) == 10.0
    assert backoff.decide("app", 6.0, 16.0) == 0.0  # waited: 20 s next
    assert backoff.current("app") == 20.0
    assert backoff.decide("app", 16.0 + 601, 16.0 + 601) == 0.0  # ran > 10 min: expired
    assert backoff.current("app") == 10.0
    timeline = simulate(pod(container()), behave(exit_after=700.0, exit_code=1), duration=2200)
    assert timeline.select("backoff") == []


def test_liveness_kills_back_off_against_the_previous_exit():
    """doBackOff reads the pod status from before the kill, so it compares with
    the previous exited instance: repeated liveness kills restart at once until
    a container runs for less than the current back-off."""
    from podnotes.probes import PRESETS

    preset = PRESETS["http-liveness"]
    timeline = simulate(preset.manifest, preset.behaviour, duration=300)
    assert timeline.kills()[:5] == [18.0, 36.0, 54.0, 72.0, 108.0]
    assert timeline.restarts()[:5] == [18.0, 36.0, 54.0, 92.0, 148.0]
    assert [e.seconds for e in timeline.select("backoff")][:2] == [20.0, 40.0]


# --- phase ----------------------------------------------------------------------

@pytest.mark.parametrize("policy, code, phase, restarts", [
    ("Always", 0, "Running", True),
    ("Always", 1, "Running", True),
    ("OnFailure", 0, "Succeeded", False),
    ("OnFailure", 1, "Running", True),
    ("Never", 0, "Succeeded", False),
    ("Never", 1, "Failed", False),
])
def test_phase_after_the_container_exits(policy, code, phase, restarts):
    """getPhase (kubelet_pods.go) with ShouldContainerBeRestarted (container/helpers.go):
    a restarting container keeps the Pod Running (CrashLoopBackOff is not a phase)."""
    timeline = simulate(pod(container(), restartPolicy=policy), behave(exit_after=10.0, exit_code=code), duration=60)
    assert timeline.phase_at(5) == "Running"
    assert timeline.phase_at(60) == phase
    assert bool(timeline.restarts()) == restarts
    assert [p for _, p in timeline.phases()][0] == "Pending"


def test_ready_condition_follows_readiness_and_terminal_phase():
    """status/generate.go: ContainersReady/Ready False with reason PodCompleted once Succeeded."""
    timeline = simulate(pod(container(), restartPolicy="Never"), behave(exit_after=10.0), duration=20)
    ready = timeline.select("condition", condition="Ready")
    assert (ready[-1].time, ready[-1].status, ready[-1].reason) == (10.0, False, "PodCompleted")


# --- init containers and sidecars -------------------------------------------------------

def test_init_containers_run_one_at_a_time_before_the_app():
    """computeInitContainerActions: one init container at a time, in order; app
    containers start when all have succeeded (Initialized condition)."""
    manifest = pod(container(), init=[container("first"), container("second")])
    behaviour = Behaviour({"first": ContainerBehaviour(exit_after=3.0), "second": ContainerBehaviour(exit_after=4.0)})
    timeline = simulate(manifest, behaviour, duration=20)
    starts = [(e.container, e.time) for e in timeline.select("start")]
    assert starts == [("first", 0.0), ("second", 3.0), ("app", 7.0)]
    initialized = timeline.select("condition", condition="Initialized")
    assert [(e.time, e.status) for e in initialized] == [(0.0, False), (7.0, True)]
    assert timeline.phase_at(6) == "Pending" and timeline.phase_at(7) == "Running"


def test_a_failed_init_container_fails_the_pod_under_never():
    """getPhase: failedInitialization > 0 and restartPolicy Never -> Failed; the app never starts."""
    manifest = pod(container(), init=[container("setup")], restartPolicy="Never")
    timeline = simulate(manifest, Behaviour({"setup": ContainerBehaviour(exit_after=2.0, exit_code=1)}), duration=30)
    assert timeline.phase_at(30) == "Failed"
    assert [e.container for e in timeline.select("start")] == ["setup"]


def test_a_failed_init_container_is_retried_with_back_off_under_always():
    manifest = pod(container(), init=[container("setup")])
    timeline = simulate(manifest, Behaviour({"setup": ContainerBehaviour(exit_after=2.0, exit_code=1)}), duration=60)
    assert timeline.restarts("setup")[:2] == [2.0, 14.0]
    assert timeline.phase_at(60) == "Pending"


def test_sidecars_start_first_and_keep_running():
    """A restartable init container (restartPolicy: Always) must be started before
    the next init container runs, and stays running with the app."""
    sidecar = container("proxy", restartPolicy="Always", startupProbe=http(periodSeconds=2))
    manifest = pod(container(), init=[sidecar, container("migrate")], restartPolicy="Never")
    behaviour = Behaviour({
        "proxy": ContainerBehaviour(probes={"startup": answers((0, 503), (3, 200))}),
        "migrate": ContainerBehaviour(exit_after=5.0),
        "app": ContainerBehaviour(exit_after=10.0),
    })
    timeline = simulate(manifest, behaviour, duration=40)
    starts = [(e.container, e.time) for e in timeline.select("start")]
    assert starts == [("proxy", 0.0), ("migrate", 4.0), ("app", 9.0)]
    # the app finishes at 19: the sidecar is stopped, then the Pod succeeds
    assert timeline.select("kill", container="proxy")[0].time == 19.0
    assert timeline.phase_at(18) == "Running" and timeline.phase_at(40) == "Succeeded"


def test_sidecars_restart_even_under_never():
    """computeInitContainerActions restarts a failed restartable init container whatever the Pod's policy."""
    sidecar = container("proxy", restartPolicy="Always")
    manifest = pod(container(), init=[sidecar], restartPolicy="Never")
    timeline = simulate(manifest, Behaviour({"proxy": ContainerBehaviour(exit_after=5.0, exit_code=1)}), duration=30)
    assert timeline.restarts("proxy")[:1] == [5.0]
    assert timeline.phase_at(30) == "Running"


# --- determinism -----------------------------------------------------------------

def test_same_input_same_timeline():
    from podnotes.probes import PRESETS

    for preset in PRESETS.values():
        first = simulate(copy.deepcopy(preset.manifest), preset.behaviour, preset.duration).to_json()
        again = simulate(copy.deepcopy(preset.manifest), preset.behaviour, preset.duration).to_json()
        assert first == again


@settings(max_examples=60, deadline=None)
@given(delay=st.integers(0, 20), period=st.integers(1, 15), failures=st.integers(1, 6),
       sick_from=st.integers(0, 60))
def test_liveness_kill_time_follows_from_the_fields(delay, period, failures, sick_from):
    """worker.doProbe: the kill is decided on the failureThreshold-th consecutive
    failure, (failureThreshold - 1) periods after the first failing probe."""
    manifest = pod(container(livenessProbe=http(initialDelaySeconds=delay, periodSeconds=period,
                                                 failureThreshold=failures)))
    behaviour = behave(probes={"liveness": answers((0, 200), (sick_from, 500))})
    timeline = simulate(manifest, behaviour, duration=delay + sick_from + (failures + 2) * period)
    first_failure = delay + max(0, -(-(sick_from - delay) // period)) * period
    assert timeline.kills()[0] == first_failure + (failures - 1) * period


# --- deletion ------------------------------------------------------------------

def test_a_deleted_pod_leaves_the_endpoints_at_once_and_ends_terminal():
    """endpointslice podToEndpoint: ready = serving && !terminating; worker.doProbe
    stops liveness/startup of a deleted Pod and keeps readiness going;
    getPhase with podIsTerminal: Succeeded when every container exited 0."""
    manifest = pod(container(readinessProbe=http(periodSeconds=5), livenessProbe=http(periodSeconds=5)))
    behaviour = Behaviour({"app": ContainerBehaviour(sigterm_exit_after=7.0, sigterm_exit_code=0)}, delete_at=30.0)
    timeline = simulate(manifest, behaviour, duration=60)
    assert timeline.deleted_at() == 30.0
    assert timeline.endpoint_intervals() == [(0.0, 30.0)]
    assert timeline.is_ready(35.0), "still Ready (serving) while terminating"
    assert max(probe_times(timeline, "liveness")) < 30.0 and max(probe_times(timeline, "readiness")) == 35.0
    kill = timeline.select("kill")[0]
    assert (kill.time, kill.reason, kill.seconds) == (30.0, "PodDeletion", 30.0)
    assert timeline.phase_at(36.9) == "Running" and timeline.phase_at(37.0) == "Succeeded"


def test_a_deleted_pod_is_never_restarted_and_fails_on_sigkill():
    """ShouldContainerBeRestarted: no restart once the Pod has a deletionTimestamp;
    a container killed at the end of the grace period (137) makes the Pod Failed."""
    manifest = pod(container(), terminationGracePeriodSeconds=10)
    timeline = simulate(manifest, Behaviour({"app": ContainerBehaviour(sigterm="ignore")}, delete_at=5.0), duration=60)
    assert timeline.select("exit")[0].time == 15.0 and timeline.select("exit")[0].exit_code == 137
    assert timeline.restarts() == [] and timeline.phase_at(60) == "Failed"
    looping = simulate(pod(container()), Behaviour({"app": ContainerBehaviour(exit_after=1.0, exit_code=1)},
                                                   delete_at=5.0), duration=100)
    assert [t for t in looping.restarts() if t > 5.0] == []
    assert looping.phase_at(100) == "Failed"


# --- one probe per tick -------------------------------------------------------------

def _assert_one_probe_per_tick(timeline):
    """No worker (container, probe type) ever runs two probes at one instant."""
    seen = {}
    for event in timeline.select("probe"):
        key = (event.container, event.probe)
        assert seen.get(key, -1.0) < event.time, f"{key} probed twice at {event.time}"
        seen[key] = event.time


def test_an_always_failing_liveness_probe_runs_once_per_tick():
    """worker.run calls doProbe once per probeTicker tick; after a liveness failure
    doProbe sets onHold and resultRun = 0 and only a tick that sees a new container
    ID resumes probing (pkg/kubelet/prober/worker.go, worker.run and worker.doProbe;
    TestOnHoldOnLivenessOrStartupCheckFailure in worker_test.go). So with
    initialDelaySeconds 0 and failureThreshold 1, one attempt and one restart at
    t = 0, the next attempt at the next tick (10 s), not again at t = 0."""
    manifest = pod(container(livenessProbe=http(initialDelaySeconds=0, failureThreshold=1)))
    timeline = simulate(manifest, behave(probes={"liveness": answers((0, 500))}), duration=100)
    assert probe_times(timeline, "liveness") == [0.0, 10.0, 20.0, 30.0, 50.0, 90.0]
    assert [e.time for e in timeline.select("start")][:2] == [0.0, 0.0]
    assert timeline.restart_count(0.0) == 1
    # a kill at every attempt; doBackOff lets the restarts at 0, 10 and 20 through
    # (back-off 10 s, then 20 s), holds the one killed at 30 until 30 + 20 s and
    # the one killed at 50 until 50 + 40 s; ticks in between find no running container
    assert timeline.kills() == [0.0, 10.0, 20.0, 30.0, 50.0, 90.0]
    assert timeline.restarts() == [0.0, 10.0, 20.0, 50.0, 90.0]
    _assert_one_probe_per_tick(timeline)


def test_a_failing_startup_probe_resumes_at_the_next_tick_after_the_restart():
    """worker.doProbe puts the startup worker on hold after its verdict (PR #121206,
    TestOnHoldOnLivenessOrStartupCheckFailure); the restarted container is probed
    on the worker's next tick."""
    manifest = pod(container(startupProbe=http(periodSeconds=5, failureThreshold=1)))
    timeline = simulate(manifest, behave(probes={"startup": answers((0, None))}), duration=20)
    assert probe_times(timeline, "startup") == [0.0, 5.0, 10.0, 20.0]  # 10 + back-off 10 s
    assert timeline.kills() == [0.0, 5.0, 10.0, 20.0]
    _assert_one_probe_per_tick(timeline)


@settings(max_examples=80, deadline=None)
@given(delay=st.integers(0, 5), period=st.integers(1, 7), failures=st.integers(1, 3),
       sick_from=st.integers(0, 12), sigterm_after=st.sampled_from([0.0, 0.5, 3.0]),
       probe=st.sampled_from(["liveness", "startup"]))
def test_no_worker_probes_twice_in_one_tick(delay, period, failures, sick_from, sigterm_after, probe):
    """worker.run: one doProbe per tick of a ticker that lives across restarts, so
    consecutive instant probes of one worker are whole periods apart."""
    field_name = {"liveness": "livenessProbe", "startup": "startupProbe"}[probe]
    manifest = pod(container(**{field_name: http(initialDelaySeconds=delay, periodSeconds=period,
                                                   failureThreshold=failures)}))
    behaviour = behave(sigterm_exit_after=sigterm_after,
                       probes={probe: answers((0, 200 if probe == "liveness" else None), (sick_from, 500))})
    timeline = simulate(manifest, behaviour, duration=60)
    times = probe_times(timeline, probe)
    assert times, "the probe ran"
    assert all(later - earlier >= period - 1e-6 for earlier, later in zip(times, times[1:], strict=False))


# --- ports the kubelet cannot resolve --------------------------------------------------

def test_a_named_port_the_container_does_not_declare_is_an_error_at_every_attempt():
    """probe.ResolveContainerPort / findPortByName (pkg/probe/util.go) fail with
    'port "http" not found' (1.37, kubernetes/kubernetes#139791; earlier kubelets
    said 'strconv.Atoi: parsing "http": invalid syntax'); prober.runProbe returns Unknown with that error,
    prober.probe records "Readiness probe errored and resulted in unknown state",
    and worker.doProbe throws the result away ("Prober error, throw away the
    result"): readiness keeps its initial Failure (never Ready) and liveness its
    initial Success (never killed), whatever the target would answer."""
    manifest = pod(container(ports=[{"name": "metrics", "containerPort": 9090}],
                             readinessProbe=http(port="http", periodSeconds=5),
                             livenessProbe={"tcpSocket": {"port": "admin"}, "periodSeconds": 5, "failureThreshold": 1}))
    refusing = behave(probes={"readiness": answers((0, None)), "liveness": answers((0, False))})
    timeline = simulate(manifest, refusing, duration=60)
    attempts = timeline.select("probe")
    assert len(attempts) == 26  # 13 ticks each, 0..60 s
    assert {e.result for e in attempts} == {"error"}
    assert {e.message for e in timeline.select("probe", probe="readiness")} == {'port "http" not found'}
    assert {e.message for e in timeline.select("probe", probe="liveness")} == {'port "admin" not found'}
    assert timeline.ready_intervals() == [] and timeline.endpoint_intervals() == []
    assert timeline.kills() == [] and timeline.select("threshold") == []
    assert timeline.phase_at(60) == "Running"


def test_a_declared_named_port_resolves_to_its_container_port():
    """findPortByName matches ports[].name and uses containerPort; then the
    target's answers count as usual."""
    manifest = pod(container(ports=[{"name": "http", "containerPort": 8080}],
                             livenessProbe=http(port="http", periodSeconds=1, failureThreshold=2)))
    timeline = simulate(manifest, behave(probes={"liveness": answers((0, 200), (5, 500))}), duration=10)
    assert {e.result for e in timeline.select("probe")} == {"success", "failure"}
    assert timeline.kills()[0] == 6.0


def test_a_startup_probe_on_a_missing_port_never_starts_the_container():
    """A discarded startup result leaves startup Unknown: the container is never
    started (UpdatePodStatus), so liveness and readiness never run
    (doProbe gates them on c.Started), and nothing is killed."""
    manifest = pod(container(startupProbe=http(port="health", periodSeconds=2, failureThreshold=1),
                             livenessProbe=http(periodSeconds=2), readinessProbe=http(periodSeconds=2)))
    timeline = simulate(manifest, duration=30)
    assert {e.result for e in timeline.select("probe", probe="startup")} == {"error"}
    assert probe_times(timeline, "liveness") == [] and probe_times(timeline, "readiness") == []
    assert timeline.select("started", status=True) == [] and timeline.kills() == []


@pytest.mark.parametrize("handler, message", [
    ({"httpGet": {"path": "/", "port": "8080"}}, 'port "8080" not found'),
    ({"tcpSocket": {"port": "8080"}}, 'port "8080" not found'),
    ({"tcpSocket": {"port": 70000}}, "invalid port number: 70000"),
    ({"grpc": {"port": "grpc"}}, "grpc.port must be an integer, got 'grpc'"),
])
def test_ports_the_api_server_refuses_are_errors_on_the_node(handler, message):
    """The API server refuses these (ValidatePortNumOrName: a port name needs a
    letter; grpc.port is an int32); unchecked, the 1.37 kubelet's
    ResolveContainerPort treats a numeric string as a name (no strconv.Atoi
    fallback any more) and checks 1-65535; the gRPC prober uses the integer as is."""
    manifest = pod(container(readinessProbe=handler))
    with pytest.raises(InvalidPod):
        simulate(manifest, duration=5)
    timeline = simulate(manifest, duration=5, check=False)
    assert {(e.result, e.message) for e in timeline.select("probe")} == {("error", message)}


# --- ProbeWarning -------------------------------------------------------------------------

REDIRECT_BODY = '<a href="http://0.0.0.0/">Found</a>.\n\n'


def test_a_redirect_to_another_host_succeeds_with_a_probe_warning_event():
    """e2e "should *not* be restarted with a non-local redirect http liveness probe"
    (test/e2e/common/node/container_probe.go): RedirectChecker does not follow a
    redirect to another host (http.ErrUseLastResponse), DoHTTPProbe returns
    Warning "Probe terminated redirects, Response body: <body>" and prober.probe
    records a ProbeWarning event "<Probe> probe warning: <output>" and counts a success."""
    manifest = pod(container(livenessProbe=http(path="/redirect?loc=http%3A%2F%2F0.0.0.0%2F",
                                                initialDelaySeconds=15, failureThreshold=1)))
    behaviour = behave(probes={"liveness": answers((0, {"status": 302, "body": REDIRECT_BODY}))})
    timeline = simulate(manifest, behaviour, duration=60)
    assert timeline.restarts() == [] and timeline.kills() == []
    assert {e.result for e in timeline.select("probe")} == {"success"}
    warnings = timeline.select("warning")
    assert [e.time for e in warnings] == probe_times(timeline, "liveness") == [15.0, 25.0, 35.0, 45.0, 55.0]
    assert {(e.reason, e.probe, e.message) for e in warnings} == {
        ("ProbeWarning", "liveness", "Liveness probe warning: Probe terminated redirects, Response body: "
                                     + REDIRECT_BODY)}


def test_any_final_3xx_is_a_warning_that_counts_as_success():
    """DoHTTPProbe: 300 <= status < 400 is Warning; the readiness worker counts it
    as Success (successThreshold), the ProbeWarning comes when the probe returns;
    the body in the message is cut at maxRespBodyLength (10 KiB)."""
    manifest = pod(container(readinessProbe=http(periodSeconds=5, successThreshold=2, timeoutSeconds=2)))
    behaviour = behave(probes={"readiness": answers((0, {"status": 307, "body": "x" * 20000}), delays=[(0, 0.5)])})
    timeline = simulate(manifest, behaviour, duration=12)
    assert timeline.ready_intervals() == [(5.5, None)]
    warning = timeline.select("warning")[0]
    assert warning.time == 0.5
    assert warning.message == "Readiness probe warning: Probe terminated redirects, Response body: " + "x" * 10240
    plain = simulate(manifest, behave(probes={"readiness": answers((0, 399))}), duration=1)
    assert plain.select("warning")[0].message.endswith("Response body: ")
    same_host = simulate(manifest, behave(probes={"readiness": answers((0, 200))}), duration=1)
    assert same_host.select("warning") == []  # a followed redirect ends in its final status


def test_a_startup_probe_warning_names_the_startup_probe():
    """probeType.String() is "Startup" in the event message (prober_manager.go)."""
    manifest = pod(container(startupProbe=http(periodSeconds=5)))
    timeline = simulate(manifest, behave(probes={"startup": answers((0, 301))}), duration=5)
    assert timeline.select("started", status=True)[0].time == 0.0
    assert timeline.select("warning")[0].message.startswith("Startup probe warning: Probe terminated redirects")


# --- activeDeadlineSeconds ------------------------------------------------------------------

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


def test_active_deadline_fails_the_pod_with_deadline_exceeded():
    """pkg/kubelet/active_deadline.go: pastActiveDeadline once now - status.startTime
    >= activeDeadlineSeconds; ShouldEvict makes generateAPIPodStatus set phase
    Failed, reason DeadlineExceeded and its message, so Ready/ContainersReady turn
    False (PodFailed) at once; the pod worker stops every container with the Pod's
    grace period (calculateEffectiveGracePeriod) and mergePodStatus only reports
    Failed once none runs. Nothing restarts (restartPolicy Always)."""
    manifest = pod(container(readinessProbe=http(periodSeconds=5)), activeDeadlineSeconds=40,
                   terminationGracePeriodSeconds=10)
    timeline = simulate(manifest, behave(sigterm="ignore"), duration=120)
    deadline = timeline.select("deadline")
    assert [(e.time, e.reason, e.message) for e in deadline] == [(40.0, "DeadlineExceeded", DEADLINE_MESSAGE)]
    kill = timeline.select("kill")[0]
    assert (kill.time, kill.seconds, kill.message) == (40.0, 10.0, "Stopping container app")
    assert timeline.select("exit")[0].time == 50.0  # SIGKILL at the end of the grace period
    assert timeline.ready_intervals() == [(0.0, 40.0)] and timeline.endpoint_intervals() == [(0.0, 40.0)]
    ready = timeline.select("condition", condition="Ready")[-1]
    assert (ready.time, ready.status, ready.reason) == (40.0, False, "PodFailed")
    assert timeline.phase_at(49.9) == "Running"
    failed = timeline.select("phase")[-1]
    assert (failed.time, failed.phase, failed.reason, failed.message) == (50.0, "Failed", "DeadlineExceeded",
                                                                          DEADLINE_MESSAGE)
    assert timeline.restarts() == []


def test_an_updated_active_deadline_terminates_the_pod():
    """Conformance: "Pods should allow activeDeadlineSeconds to be updated"
    (test/e2e/common/node/pods.go) sets activeDeadlineSeconds 5 on a running
    Pod and waits for it to end with reason DeadlineExceeded; ValidatePodUpdate
    allows setting it or lowering it, never raising or removing it."""
    manifest = pod(container("pause"))
    timeline = simulate(manifest, duration=60, updates=[PodUpdate(at=20, active_deadline_seconds=5)])
    assert timeline.select("update")[0].time == 20.0
    assert timeline.select("deadline")[0].time == 20.0  # already active for longer than 5 s
    assert timeline.phases()[-1] == (20.0, "Failed")
    assert timeline.select("phase")[-1].reason == "DeadlineExceeded"
    later = simulate(manifest, duration=60, updates=[PodUpdate(at=10, active_deadline_seconds=30)])
    assert later.select("deadline")[0].time == 30.0
    with pytest.raises(InvalidPod, match="must be less than or equal to previous value"):
        simulate(pod(container(), activeDeadlineSeconds=10), updates=[PodUpdate(at=1, active_deadline_seconds=20)])
    with pytest.raises(InvalidPod, match="must be between 1 and 2147483647"):
        simulate(manifest, updates=[PodUpdate(at=1, active_deadline_seconds=0)])


def test_the_deadline_stops_init_containers_and_containers_in_back_off():
    """The deadline counts from the Pod's start, initialization included; a
    container waiting in CrashLoopBackOff is never started again and the Pod
    fails at once when nothing is running."""
    manifest = pod(container(), init=[container("setup")], activeDeadlineSeconds=5)
    slow_init = Behaviour({"setup": ContainerBehaviour(exit_after=60.0)})
    timeline = simulate(manifest, slow_init, duration=60)
    assert [e.container for e in timeline.select("start")] == ["setup"]
    assert timeline.select("kill")[0].time == 5.0
    assert timeline.phases()[-1] == (5.0, "Failed")
    looping = simulate(pod(container(), activeDeadlineSeconds=30), behave(exit_after=1.0, exit_code=1), duration=120)
    assert timeline.select("kill", container="app") == []
    assert looping.phases()[-1] == (30.0, "Failed") and max(looping.restarts()) < 30.0


# --- sidecar termination order --------------------------------------------------------------

def _sidecars(*names):
    return [container(name, restartPolicy="Always") for name in names]


def test_sidecars_stop_in_reverse_order_after_the_main_containers():
    """e2e_node "should terminate sidecars in reverse order after all main containers
    have exited" (test/e2e_node/container_lifecycle_test.go); computePodActions sets
    KillPod when no regular container will run again, killContainersWithSyncResult
    builds newTerminationOrdering: each sidecar's killContainer records Killing at
    once, then waitForTurn blocks until every main container and the sidecar
    declared after it have exited, and its whole seconds of waiting are taken from
    the grace period (kuberuntime_termination_order.go,
    TestTerminationOrderingSidecarsInReverseOrder)."""
    manifest = pod(container(), init=_sidecars("first", "second", "third"), restartPolicy="Never")
    behaviour = Behaviour({"app": ContainerBehaviour(exit_after=10.0),
                           "first": ContainerBehaviour(sigterm_exit_after=1.0),
                           "second": ContainerBehaviour(sigterm_exit_after=2.0),
                           "third": ContainerBehaviour(sigterm_exit_after=3.0)})
    timeline = simulate(manifest, behaviour, duration=40)
    assert {(e.container, e.time) for e in timeline.select("kill")} == {("first", 10.0), ("second", 10.0),
                                                                        ("third", 10.0)}
    stops = [(e.container, e.time, e.seconds) for e in timeline.select("stop")]
    assert stops == [("third", 10.0, 30.0), ("second", 13.0, 27.0), ("first", 15.0, 25.0)]
    exits = [(e.container, e.time) for e in timeline.select("exit")]
    assert exits == [("app", 10.0), ("third", 13.0), ("second", 15.0), ("first", 16.0)]
    assert timeline.phases()[-1] == (16.0, "Succeeded")


def test_a_sidecar_waiting_for_its_turn_keeps_at_least_two_seconds():
    """waitForTurn gives up when the remaining grace period has passed; killContainer
    then stops the container with minimumGracePeriodInSeconds (2 s)
    (TestTerminationOrderingObeysGrace). PreStop hooks run at once, before the wait."""
    manifest = pod(container(), init=[container("first", restartPolicy="Always",
                                                lifecycle={"preStop": {"exec": {"command": ["sleep", "3"]}}}),
                                      container("second", restartPolicy="Always")],
                   restartPolicy="Never", terminationGracePeriodSeconds=20)
    behaviour = Behaviour({"app": ContainerBehaviour(exit_after=10.0),
                           "first": ContainerBehaviour(sigterm="ignore", pre_stop_seconds=3.0),
                           "second": ContainerBehaviour(sigterm="ignore")})
    timeline = simulate(manifest, behaviour, duration=60)
    assert [(e.container, e.time) for e in timeline.select("hook")] == [("first", 10.0)]
    assert [(e.container, e.time, e.seconds) for e in timeline.select("stop")] == [
        ("second", 10.0, 20.0), ("first", 30.0, 2.0)]  # first waited 17 of its 17 s left after preStop
    assert [(e.container, e.time, e.exit_code) for e in timeline.select("exit")][1:] == [
        ("second", 30.0, 137), ("first", 32.0, 137)]


def test_a_sidecar_waits_only_for_the_next_sidecar_and_the_main_containers():
    """newTerminationOrdering: the prerequisite is the sidecar declared right after
    this one; one that is not running (here in back-off) is already done, so the
    sidecar before it does not wait for the ones after it."""
    manifest = pod(container(), init=_sidecars("first", "crashing", "last"), restartPolicy="Never")
    behaviour = Behaviour({"app": ContainerBehaviour(exit_after=30.0),
                           "first": ContainerBehaviour(sigterm_exit_after=1.0),
                           "crashing": ContainerBehaviour(exit_after=12.0, exit_code=1),
                           "last": ContainerBehaviour(sigterm_exit_after=5.0)})
    timeline = simulate(manifest, behaviour, duration=60)
    stops = {e.container: e.time for e in timeline.select("stop")}
    assert timeline.restarts("crashing")[:1] == [12.0]
    assert stops["first"] == stops["last"] == 30.0


def test_deletion_stops_main_containers_first_then_sidecars():
    """On deletion the same killContainersWithSyncResult ordering applies, with the
    deletion grace period as the override: sidecars wait for the regular containers."""
    manifest = pod(container(), init=_sidecars("proxy"))
    behaviour = Behaviour({"app": ContainerBehaviour(sigterm_exit_after=4.0),
                           "proxy": ContainerBehaviour(sigterm_exit_after=1.0)}, delete_at=20.0)
    timeline = simulate(manifest, behaviour, duration=60)
    assert [(e.container, e.time) for e in timeline.select("stop")] == [("app", 20.0), ("proxy", 24.0)]
    assert [(e.container, e.time) for e in timeline.select("exit")] == [("app", 24.0), ("proxy", 25.0)]
    assert timeline.select("stop", container="proxy")[0].seconds == 26.0


def test_a_sidecar_liveness_kill_says_init_container():
    """computeInitContainerActions: "Init container <name> failed liveness probe"
    (no ", will be restarted"), and the sidecar restarts whatever the Pod's policy."""
    manifest = pod(container(), init=[container("proxy", restartPolicy="Always",
                                                livenessProbe=http(periodSeconds=1, failureThreshold=1))],
                   restartPolicy="Never")
    timeline = simulate(manifest, Behaviour({"proxy": ContainerBehaviour(
        probes={"liveness": answers((0, 200), (3, 500))})}), duration=10)
    assert timeline.select("kill")[0].message == "Init container proxy failed liveness probe"
    assert timeline.restarts("proxy")[0] == 3.0


# --- kubelet configuration: restart back-off ---------------------------------------------------

def _waits(kubelet=None, duration=1500.0, exit_after=1.0):
    timeline = simulate(pod(container()), behave(exit_after=exit_after, exit_code=1), duration=duration,
                        kubelet=kubelet)
    return [e.seconds for e in timeline.select("backoff")], timeline


def test_default_back_off_doubles_from_10_to_300_seconds():
    """newCrashLoopBackOff (pkg/kubelet/kubelet.go) on a 1.37 kubelet:
    initialCrashLoopBackOff 10 s; KubeletCrashLoopBackOffMax is on by default
    (pkg/features/kube_features.go, beta since 1.35) and defaults
    crashLoopBackOff.maxContainerRestartPeriod to MaxContainerBackOff, 300 s
    (pkg/kubelet/apis/config/v1beta1/defaults.go). The kubelet's messages print
    the back-off as a Go duration."""
    waits, timeline = _waits()
    assert waits[:8] == [10, 20, 40, 80, 160, 300, 300, 300]
    messages = [e.message for e in timeline.select("backoff")]
    assert messages[3] == "back-off 1m20s restarting failed container=app"
    assert messages[5] == "back-off 5m0s restarting failed container=app"
    assert _waits(KubeletConfig())[0] == waits


def test_max_container_restart_period_caps_the_back_off():
    """KubeletCrashLoopBackOffMax: boMax = crashLoopBackOff.maxContainerRestartPeriod,
    and the initial back-off is lowered to it when larger (newCrashLoopBackOff)."""
    assert _waits(KubeletConfig(max_container_restart_period=60.0))[0][:7] == [10, 20, 40, 60, 60, 60, 60]
    assert _waits(KubeletConfig(max_container_restart_period=5.0), duration=60)[0][:4] == [5, 5, 5, 5]


def test_reduce_default_crash_loop_back_off_decay():
    """ReduceDefaultCrashLoopBackOffDecay (alpha since 1.33, off by default):
    reducedInitialCrashLoopBackOff 1 s, reducedMaxCrashLoopBackOff 60 s; but with
    KubeletCrashLoopBackOffMax on (the 1.37 default) the defaulted 300 s
    maxContainerRestartPeriod replaces the 60 s maximum, so 60 s needs either that
    gate off or maxContainerRestartPeriod: 60s. The 600 s reset window
    (HasExpiredFunc) stays whatever the maximum."""
    reduced = {"ReduceDefaultCrashLoopBackOffDecay": True}
    assert _waits(KubeletConfig(reduced))[0][:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    expected = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert _waits(KubeletConfig(reduced, max_container_restart_period=60.0))[0][:9] == expected
    without_max = KubeletConfig({**reduced, "KubeletCrashLoopBackOffMax": False})
    assert _waits(without_max)[0][:9] == expected
    assert without_max.crash_loop_backoff() == (1.0, 60.0)
    old_defaults = KubeletConfig({"KubeletCrashLoopBackOffMax": False})
    assert old_defaults.crash_loop_backoff() == (10.0, 300.0)
    # the entry expires 600 s after its last update, not at 2 x 60 s: a container
    # that runs 130 s between crashes still backs off; one that runs 700 s does not
    assert _waits(without_max, duration=1000, exit_after=130.0)[0][:4] == [1, 2, 4, 8]
    assert _waits(without_max, duration=3000, exit_after=700.0)[0] == []


@pytest.mark.parametrize("config, message", [
    (dict(max_container_restart_period=0.5), "must be set between 1s and 300s"),
    (dict(max_container_restart_period=301.0), "(got: 301 seconds) must be set between 1s and 300s"),
    (dict(feature_gates={"KubeletCrashLoopBackOffMax": False}, max_container_restart_period=60.0),
     "FeatureGate KubeletCrashLoopBackOffMax not enabled, CrashLoopBackOff.MaxContainerRestartPeriod must not be set"),
    (dict(feature_gates={"ExecProbeTimeout": False}), "feature is locked to true"),
    (dict(feature_gates={"NoSuchGate": True}), "featureGates.NoSuchGate: not a feature gate"),
    (dict(feature_gates={"ReduceDefaultCrashLoopBackOffDecay": "yes"}), "expected true or false"),
])
def test_kubelet_configuration_the_kubelet_refuses(config, message):
    """ValidateKubeletConfiguration (pkg/kubelet/apis/config/validation/validation.go):
    maxContainerRestartPeriod between 1s and 300s, and only with its gate on;
    ExecProbeTimeout is locked to true since 1.35 (kube_features.go)."""
    with pytest.raises(KubeletConfigError) as refused:
        KubeletConfig(**config)
    assert message in str(refused.value)


def test_kubelet_configuration_file(tmp_path):
    """A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file gives the
    same options: featureGates and crashLoopBackOff.maxContainerRestartPeriod as a
    Go duration; other kubelet fields are ignored."""
    from podnotes.probes import load_kubelet_config
    from podnotes.probes.kubelet import parse_duration, parse_feature_gates

    path = tmp_path / "kubelet.yaml"
    path.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                    "syncFrequency: 1m\nfeatureGates:\n  ReduceDefaultCrashLoopBackOffDecay: true\n"
                    "crashLoopBackOff:\n  maxContainerRestartPeriod: 1m30s\n")
    config = load_kubelet_config(path)
    assert config.crash_loop_backoff() == (1.0, 90.0)
    assert [parse_duration(text) for text in ("300s", "5m", "1m30s", "1.5s", "500ms")] == [300, 300, 90, 1.5, 0.5]
    assert parse_feature_gates("ReduceDefaultCrashLoopBackOffDecay=true,KubeletCrashLoopBackOffMax=false") == {
        "ReduceDefaultCrashLoopBackOffDecay": True, "KubeletCrashLoopBackOffMax": False}
    path.write_text("kind: KubeletConfiguration\ncrashLoopBackOff:\n  maxContainerRestartPeriod: soon\n")
    with pytest.raises(KubeletConfigError, match=r"kubelet.yaml: crashLoopBackOff.maxContainerRestartPeriod: "
                                                 r"time: invalid duration 'soon'"):
        load_kubelet_config(path)
    path.write_text("kind: KubeletConfiguration\ncrashLoopBackOff:\n  maxContainerRestartPeriod: 10m\n")
    with pytest.raises(KubeletConfigError, match="must be set between 1s and 300s"):
        load_kubelet_config(path)


# --- image updates reset the back-off -----------------------------------------------------------

def test_an_image_update_resets_the_back_off():
    """e2e "should have their auto-restart back-off timer reset on image update"
    (test/e2e/common/node/pods.go): GetBackoffKey (pkg/kubelet/kuberuntime/helpers.go)
    includes the image, so doBackOff finds no entry for the new image: a container
    waiting in CrashLoopBackOff starts at the next sync and the sequence starts
    again at the initial back-off."""
    before = simulate(pod(container()), behave(exit_after=1.0, exit_code=1), duration=400)
    assert [e.seconds for e in before.select("backoff") if e.time < 200] == [10, 20, 40, 80, 160]
    update = PodUpdate(at=200, images={"app": "registry.k8s.io/e2e-test-images/nginx:1.14-4"})
    after = simulate(pod(container()), behave(exit_after=1.0, exit_code=1), duration=400, updates=[update])
    assert [(e.time, e.container, e.message) for e in after.select("update")] == [
        (200.0, "app", "image set to registry.k8s.io/e2e-test-images/nginx:1.14-4")]
    assert 200.0 in after.restarts()  # waiting since 156 for 160 s: started at once instead
    assert [e.seconds for e in after.select("backoff") if e.time > 200][:3] == [10, 20, 40]


def test_an_image_update_restarts_a_running_container_whatever_the_policy():
    """computePodActions: a running container whose definition changed is killed
    with "Container <name> definition changed, will be restarted" and restarted
    "regardless of the restart policy"; a sidecar's message says "Init container"."""
    manifest = pod(container(), init=[container("proxy", restartPolicy="Always")], restartPolicy="Never")
    update = PodUpdate(at=30, images={"app": "busybox:1.37", "proxy": "envoy:v2"})
    timeline = simulate(manifest, duration=60, updates=[update])
    kills = {e.container: e.message for e in timeline.select("kill")}
    assert kills == {"app": "Container app definition changed, will be restarted",
                     "proxy": "Init container proxy definition changed"}
    assert timeline.restarts("app") == [30.0] and timeline.restarts("proxy") == [30.0]
    with pytest.raises(InvalidPod, match='unable to find container named "web"'):
        simulate(manifest, updates=[PodUpdate(at=1, images={"web": "nginx"})])
    with pytest.raises(InvalidPod, match=r"spec.containers\[0\].image: Required value"):
        simulate(manifest, updates=[PodUpdate(at=1, images={"app": " "})])


def test_a_sidecar_in_back_off_stays_down_once_the_main_containers_are_done():
    """computePodActions: KillPod, and "to prevent the restartable init containers
    to keep pod alive" InitContainersToStart = nil: a crash-looping sidecar is not
    started again after the main container has finished."""
    manifest = pod(container(), init=_sidecars("flaky", "slow"), restartPolicy="Never")
    behaviour = Behaviour({"app": ContainerBehaviour(exit_after=20.0),
                           "flaky": ContainerBehaviour(exit_after=3.0, exit_code=1),
                           "slow": ContainerBehaviour(sigterm="ignore")})
    timeline = simulate(manifest, behaviour, duration=120)
    # flaky crashed at 19 and would restart at 39; slow is still being stopped until 50
    assert [(e.time, e.seconds) for e in timeline.select("backoff", "flaky")][-1] == (19.0, 20.0)
    assert [e.time for e in timeline.select("start") if e.time > 20.0] == []
    assert timeline.phases()[-1] == (50.0, "Succeeded")
