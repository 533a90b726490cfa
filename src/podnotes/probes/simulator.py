"""Simulate what the kubelet does to a Pod: probes, kills, restarts, back-off,
readiness, conditions and phase, as a :class:`~podnotes.probes.timeline.Timeline`.

The rules are those of the 1.37 kubelet; each piece names the upstream function
it mirrors (kubernetes/kubernetes v1.37.2):

* Probe workers (``pkg/kubelet/prober/worker.go``, ``worker.run`` and
  ``worker.doProbe``): one goroutine and ticker per probe and container,
  firing every ``periodSeconds`` for the life of the Pod, across restarts. A
  tick does nothing until the container has run ``initialDelaySeconds`` (whole
  seconds), so the first probe lands in ``[start + delay, start + delay +
  period)``; by default the ticker is aligned so that it fires exactly at
  ``start + delay`` (``Behaviour.tick_phase`` moves it). A worker probes at
  most once per tick: after a kill it sees the new container at its next tick,
  never again at the instant it probed. A probe that outlasts the period
  delays the next one (a Go ticker buffers one tick and drops the rest), so
  probes never overlap.
* Probe results (``prober.probe``): an HTTP 3xx that was not followed (a
  redirect to another host) is a success with a ``ProbeWarning`` event
  (``pkg/probe/http/http.go`` ``DoHTTPProbe``); a probe the kubelet cannot run
  at all, such as an ``httpGet``/``tcpSocket`` port name the container does not
  declare (``pkg/probe/util.go`` ``ResolveContainerPort``), is an error whose
  result the worker throws away: it never counts towards a threshold.
* Initial results: liveness Success, readiness Failure, startup Unknown. While
  the startup probe has not succeeded, liveness and readiness do not run.
  ``lastResult``/``resultRun`` count consecutive equal results: a success
  resets a failure run and vice versa; the cached result only changes when
  the run reaches ``successThreshold`` / ``failureThreshold``. After a
  liveness failure or any startup verdict the worker waits ("on hold") for a
  new container, with its run reset to 0. After the startup probe succeeds the
  readiness worker is triggered at once (``prober_manager.UpdatePodStatus``).
* Kills (``kuberuntime_container.go`` ``killContainer``,
  ``setTerminationGracePeriod``): the grace period is the probe's
  ``terminationGracePeriodSeconds`` for a liveness/startup kill, else the
  Pod's (default 30 s); a preStop hook runs first and its whole seconds are
  taken from the grace period; the process then gets SIGTERM and, if still
  running at the end (at least 2 s), SIGKILL (exit code 137).
* Stopping the whole Pod (``killContainersWithSyncResult`` with
  ``terminationOrdering``, ``kuberuntime_termination_order.go``): when no
  regular container will run again, on deletion and past
  ``activeDeadlineSeconds``, every running container gets its ``Killing``
  event and preStop hook at once, regular containers are stopped at once, and
  each sidecar (init container with ``restartPolicy: Always``) waits for every
  regular container and for the sidecar declared after it to exit, for at most
  its remaining grace period; the whole seconds it waited are taken from it.
  So sidecars stop one by one in reverse order.
* Restarts (``computePodActions``, ``ShouldContainerBeRestarted`` in
  ``pkg/kubelet/container/helpers.go``, ``ContainerShouldRestart`` in
  ``pkg/api/v1/pod/util.go``): a probe kill restarts unless the container's
  own ``restartPolicy``, or else the Pod's, is Never; a process exit restarts
  as the first matching ``restartPolicyRules`` entry with a restart action, the
  container's own policy, or else the Pod's says: under Always, and under
  OnFailure only with a non-zero code (an init container that succeeded is
  done); sidecars always restart. A ``RestartAllContainers`` action restarts
  only its own container here, and the timeline says so in a note; a container
  whose image changed is restarted whatever the policy. Starts go through the
  back-off of :mod:`podnotes.probes.backoff` (``doBackOff``), keyed by
  container name and image (``GetBackoffKey``), so a new image starts afresh.
  Its initial and maximum values come from the kubelet configuration
  (:class:`~podnotes.probes.kubelet.KubeletConfig`).
* ``activeDeadlineSeconds`` (``pkg/kubelet/active_deadline.go``): once the Pod
  has been active that long, Ready goes False (reason PodFailed), every
  container is stopped with the Pod's grace period, nothing restarts, and when
  all have stopped the phase is Failed with reason ``DeadlineExceeded``
  (``generateAPIPodStatus``, ``mergePodStatus`` delays the terminal phase).
* Phase (``getPhase`` in ``pkg/kubelet/kubelet_pods.go``), conditions
  (``status/generate.go``) and endpoint membership
  (``endpointslice/utils.go`` ``podToEndpoint``).
* Deletion (``Behaviour.delete_at``): the API server takes the delete
  request's grace period, else the Pod's (``CheckGracefulDelete`` in
  ``pkg/registry/core/pod/strategy.go``; 0 for a Pod already Succeeded or
  Failed) and sets ``deletionTimestamp`` to the deletion plus that many
  seconds (``BeforeDelete``). The Pod's address stays in its Services'
  EndpointSlices with ``ready: false, terminating: true`` (``podToEndpoint`` in
  ``staging/src/k8s.io/endpointslice/utils.go``), liveness and startup probes
  stop while readiness goes on (``doProbe``), nothing restarts
  (``ShouldContainerBeRestarted``), and every container is killed with the
  kubelet's grace period, the API server's but at least 1 s
  (``calculateEffectiveGracePeriod`` in ``pod_workers.go``), which
  ``killContainer`` raises to 2 s after the preStop hook. A preStop hook that
  outlasts the grace period is no longer waited for: the stop signal goes out
  at the end of the grace period and SIGKILL 2 s later (the one-time 2 s
  extension). Once all have stopped the phase is Succeeded if every container
  exited with 0, else Failed (``getPhase`` with ``podIsTerminal``), and the
  kubelet deletes the object with grace period 0 (``status_manager.go``
  ``canBeDeleted``): it is gone unless ``metadata.finalizers`` is not empty,
  then it stays Terminating until they are removed
  (``Behaviour.finalizers_removed_at``). A deletion with grace period 0 (``kubectl
  delete --force --grace-period=0``) removes the object at once (when it has no
  finalizers); the kubelet still stops the containers, with 1 s and then the 2 s minimum.

The kubelet reacts to every change at once here; a real one adds PLEG and
status latency (about a second), checks the active deadline once a second, and
requeues a Pod in back-off at the back-off's expiry plus up to 50 % jitter
(``podWorkers.completeWork``). Simulations are deterministic: the same input
gives the same timeline.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from podnotes.probes.backoff import CrashLoopBackOff
from podnotes.probes.behaviour import (
    MAX_SECONDS,
    Behaviour,
    BehaviourError,
    ContainerBehaviour,
    answer_problems,
    assumed_healthy,
    name_problems,
)
from podnotes.probes.kubelet import BACKOFF_EXPIRY, KubeletConfig, go_duration
from podnotes.probes.rules import HEALTHY_ANSWER, judge
from podnotes.probes.spec import (
    ContainerSpec,
    InvalidPod,
    PodSpec,
    PodUpdate,
    PortError,
    ProbeSpec,
    parse_pod,
    resolve_port,
    should_restart,
)
from podnotes.probes.timeline import ContainerInfo, Event, ProbeInfo, Timeline

SUCCESS, FAILURE, UNKNOWN = "Success", "Failure", "Unknown"
INITIAL_RESULT = {"liveness": SUCCESS, "readiness": FAILURE, "startup": UNKNOWN}
PROBE_NAME = {"liveness": "Liveness", "readiness": "Readiness", "startup": "Startup"}  # probeType.String()
MIN_GRACE_SECONDS = 2  # minimumGracePeriodInSeconds
MAX_BODY_BYTES = 10 * 1024  # maxRespBodyLength in pkg/probe/http/http.go
DEADLINE_REASON = "DeadlineExceeded"  # pkg/kubelet/active_deadline.go
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
POD_STOP_REASONS = ("PodCompleted", "PodDeletion", DEADLINE_REASON)
EPSILON = 1e-9
# A day with three probes every second is about 173,000 events; the bound keeps
# any simulation's memory and time finite whatever the periods and the duration.
MAX_EVENTS = 200_000
# Each change looks at every container (readiness, phase, conditions), so the
# cost grows with the square of their number; real Pods have a handful.
MAX_CONTAINERS = 100


class SimulationTooLong(ValueError):
    """The simulation would produce more than ``MAX_EVENTS`` events, or the Pod has more than
    ``MAX_CONTAINERS`` containers."""


def simulate(pod: Any, behaviour: Behaviour | None = None, duration: float = 300.0,
             *, check: bool = True, kubelet: KubeletConfig | None = None,
             updates: Iterable[PodUpdate] = ()) -> Timeline:
    """Simulate ``duration`` seconds of ``pod`` (a dict or a loaded manifest)
    whose programs behave as ``behaviour`` says, on a kubelet configured as
    ``kubelet`` (default: a 1.37 kubelet with its default feature gates), with
    the Pod changed at the instants of ``updates`` (new images, a new
    ``activeDeadlineSeconds``). ``duration`` is finite, more than 0 and at most one day.

    Raises :class:`~podnotes.probes.spec.InvalidPod` for a Pod or an update
    the API server would refuse (the Pod's own checks only when ``check``);
    ValueError for a duration out of range;
    :class:`~podnotes.probes.behaviour.BehaviourError` for answers that do not
    fit the probe they answer for (a tcpSocket probe answered "down");
    :class:`SimulationTooLong` past ``MAX_EVENTS`` events or ``MAX_CONTAINERS`` containers.
    """
    duration = check_duration(duration)
    _check_container_count(pod)
    spec = parse_pod(pod, check=check)
    _check_probe_count(spec, duration)
    behaviour = behaviour or Behaviour()
    handlers = {(c.name, probe.type): probe.handler for c in spec.all_containers for probe in c.probes.values()}
    declared = {c.name: tuple(c.probes) for c in spec.all_containers}
    problems = name_problems(behaviour, declared) or answer_problems(behaviour, handlers)
    if problems:
        raise BehaviourError("\n".join(problems))
    timeline = _Simulation(spec, behaviour, duration, kubelet or KubeletConfig(), tuple(updates)).run()
    timeline.notes = assumption_notes(behaviour, declared) + _unsimulated_notes(spec)
    return timeline


def _unsimulated_notes(spec: PodSpec) -> list[str]:
    """One note per container whose restart rules ask for what the simulator does not do."""
    return [f"container {c.name}: the restartPolicyRules action RestartAllContainers restarts only this container "
            "in the simulation, not the whole Pod" for c in spec.all_containers
            if any(action == "RestartAllContainers" for action, _, _ in c.restart_rules)]


def assumption_notes(behaviour: Behaviour, declared: dict[str, tuple[str, ...]]) -> list[str]:
    """One note per container whose probes the behaviour gives no answers for (every attempt then succeeds)."""
    assumed: dict[str, list[str]] = {}
    for container, probe in assumed_healthy(behaviour, declared):
        assumed.setdefault(container, []).append(probe)
    return [f"no behaviour given for the {' and '.join(probes)} probe{'s' if len(probes) > 1 else ''} of "
            f"container {container}: every attempt is assumed to succeed"
            for container, probes in assumed.items()]


def _check_container_count(pod: Any) -> None:
    """Refuse a Pod with more than ``MAX_CONTAINERS`` containers before validating it (which costs as much)."""
    from podnotes.probes.spec import pod_dict

    try:
        spec = pod_dict(pod)[0].get("spec") or {}
        count = sum(len(spec.get(key) or []) for key in ("initContainers", "containers"))
    except (TypeError, AttributeError):
        return  # parse_pod says what is wrong with it
    if count > MAX_CONTAINERS:
        raise SimulationTooLong(f"the Pod has {count:,} containers; the simulator takes at most {MAX_CONTAINERS} "
                                "(each change looks at every container)")


def _check_probe_count(spec: PodSpec, duration: float) -> None:
    """Refuse before simulating when the liveness and readiness probes alone
    would pass ``MAX_EVENTS``: each of them runs every ``periodSeconds`` for as
    long as its container runs (startup probes stop at their first success,
    so they are left out of the estimate)."""
    probes = [probe for container in spec.all_containers for kind, probe in container.probes.items()
              if kind in ("liveness", "readiness")]
    estimate = sum(duration / max(probe.period, 1) for probe in probes)
    if estimate > MAX_EVENTS:
        raise SimulationTooLong(
            f"{len(probes)} liveness and readiness probes over {duration:,.0f} s make about {estimate:,.0f} probe "
            f"events, more than the {MAX_EVENTS:,} the simulator keeps: simulate a shorter --duration")


def check_duration(duration: Any) -> float:
    """``duration`` as seconds, or ValueError unless it is a finite number in (0, one day]."""
    try:
        seconds = float(duration)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"the duration must be a number of seconds, not {duration!r}") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"the duration must be more than 0 and at most {MAX_SECONDS:,.0f} seconds (one day), "
                         f"not {duration}")
    return seconds


@dataclass
class _Worker:
    """One probe worker (``prober/worker.go``), for one probe of one container."""

    spec: ProbeSpec
    slot: _Slot
    anchor: float | None = None  # the ticker fires at anchor + k * period
    last_result: str | None = None
    result_run: int = 0
    cached: str = UNKNOWN
    on_hold: bool = False
    token: int = 0  # bumped to cancel scheduled ticks
    last_attempt: float | None = None  # when doProbe last ran a probe: one per tick at most


@dataclass
class _Stop:
    """A kill whose stop signal has not been sent yet (``killContainer`` after
    the preStop hook, waiting for its turn in ``terminationOrdering``)."""

    instance: int
    ready_at: float  # the preStop hook is over
    grace_left: int  # whole seconds left after the preStop hook
    waits_for: tuple[str, ...] = ()  # containers that must exit first
    turn_deadline: float = 0.0  # waitForTurn gives up here


@dataclass
class _Slot:
    """One container name, across its successive instances."""

    spec: ContainerSpec
    behaviour: ContainerBehaviour
    image: str = ""
    instance: int = -1
    state: str = "waiting"  # waiting, running, terminated (as in containerStatuses)
    started_at: float = 0.0
    last_exit_at: float | None = None  # FinishedAt of the newest exited instance
    last_exit_code: int | None = None
    natural_exit_at: float | None = None
    kill_reason: str | None = None
    stop: _Stop | None = None
    started: bool = False
    ready: bool = False
    workers: dict[str, _Worker] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def running(self) -> bool:
        return self.state == "running"


class _Simulation:
    def __init__(self, spec: PodSpec, behaviour: Behaviour, duration: float, kubelet: KubeletConfig,
                 updates: tuple[PodUpdate, ...]):
        self.spec = spec
        self.behaviour = behaviour
        self.duration = duration
        self.now = 0.0
        self.events: list[Event] = []
        self.queue: list[tuple[float, int, Callable, tuple]] = []
        self.sequence = 0
        initial, maximum = kubelet.crash_loop_backoff()
        self.backoff = CrashLoopBackOff(initial, maximum, BACKOFF_EXPIRY)
        self.slots = [
            _Slot(c, behaviour.container(c.name, init=c.type == "init"), image=c.image)
            for c in spec.all_containers
        ]
        self.by_name = {slot.name: slot for slot in self.slots}
        for slot in self.slots:
            for probe_type in ("startup", "readiness", "liveness"):
                if probe_type in slot.spec.probes:
                    slot.workers[probe_type] = _Worker(slot.spec.probes[probe_type], slot)
                    self._check_phase(slot, probe_type)
        self.app_started_once = False
        self.phase: str | None = None
        self.deleting = False
        self.removed = False
        self.finalizers = bool(spec.finalizers)
        self.active_deadline = spec.active_deadline
        self.deadline_exceeded = False
        self.killed = False  # computePodActions chose KillPod: no container starts again
        self.conditions: dict[str, bool] = {}
        self.endpoint: bool | None = None
        self.updates = sorted(updates, key=lambda update: update.at)
        self._check_updates()

    def _check_phase(self, slot: _Slot, probe_type: str) -> None:
        phase = self.behaviour.phase_for(slot.name, probe_type)
        period = slot.spec.probes[probe_type].period
        if not 0 <= phase < period:
            raise ValueError(f"tick phase of {slot.name}/{probe_type} must be in [0, {period}), got {phase}")

    def _check_updates(self) -> None:
        deadline, errors = self.active_deadline, []
        for update in self.updates:
            errors += update.errors(self.spec, deadline)
            if update.active_deadline_seconds is not None:
                deadline = update.active_deadline_seconds
        if errors:
            raise InvalidPod(errors, "the Pod update")

    # --- the event loop -----------------------------------------------------
    def at(self, time: float, action: Callable, *args: Any) -> None:
        self.sequence += 1
        heapq.heappush(self.queue, (time, self.sequence, action, args))

    def emit(self, kind: str, fields: dict | None = None, **more: Any) -> None:
        if len(self.events) >= MAX_EVENTS:
            raise SimulationTooLong(
                f"the simulation reached {MAX_EVENTS:,} events at {self.now:,.0f} s of {self.duration:,.0f} s: "
                "simulate a shorter --duration")
        self.events.append(Event(time=round(self.now, 6), kind=kind, **(fields or {}), **more))

    def run(self) -> Timeline:
        self._begin()
        while self.queue:
            time, _, action, args = heapq.heappop(self.queue)
            if time > self.duration + EPSILON:
                break
            self.now = time
            action(*args)
        return Timeline(
            pod=self.spec.name,
            duration=self.duration,
            events=self.events,
            containers=[ContainerInfo(s.name, s.spec.type, s.spec.image or None) for s in self.slots],
            probes=[_probe_info(s.name, w.spec) for s in self.slots for w in s.workers.values()],
        )

    def _begin(self) -> None:
        self.emit("condition", condition="PodScheduled", status=True)
        self.emit("condition", condition="PodReadyToStartContainers", status=True)
        first_init = self.spec.init_containers[0].name if self.spec.init_containers else None
        for slot in self.slots:
            reason = "ContainerCreating" if slot.name == first_init or first_init is None else "PodInitializing"
            self.emit("waiting", container=slot.name, reason=reason)
        self._refresh()
        self.at(0.0, self._advance)
        if self.behaviour.delete_at is not None:
            self.at(float(self.behaviour.delete_at), self._delete)
        if self.finalizers and self.behaviour.finalizers_removed_at is not None:
            self.at(float(self.behaviour.finalizers_removed_at), self._remove_finalizers)
        if self.active_deadline is not None:
            self.at(float(self.active_deadline), self._check_deadline)
        for update in self.updates:
            self.at(float(update.at), self._update, update)

    def _stopping(self) -> bool:
        """Nothing (re)starts any more: the Pod is terminal, deleted, past its
        deadline, or stopped because no regular container will run again."""
        return self._terminal() or self.deleting or self.deadline_exceeded or self.killed

    # --- init containers, then the app containers -------------------------
    def _advance(self) -> None:
        """Start the next init container, or the app containers once every
        init container is done (``computeInitContainerActions``)."""
        if self._stopping():
            return
        for slot in self.slots:
            if slot.spec.type == "app":
                break
            if slot.spec.type == "init" and slot.state == "terminated" and slot.last_exit_code == 0:
                continue
            if slot.spec.type == "sidecar" and slot.instance >= 0:
                if slot.started:
                    continue
                return  # wait until the sidecar has started
            if slot.instance < 0:
                self._start(slot)
            return
        for slot in self.slots:
            if slot.spec.type == "app" and slot.instance < 0:
                self._start(slot)

    def _start(self, slot: _Slot) -> None:
        slot.instance += 1
        slot.state = "running"
        slot.started_at = self.now
        slot.kill_reason = None
        slot.stop = None
        self.emit("start", container=slot.name, restart_count=slot.instance)
        if slot.spec.type == "app":
            self.app_started_once = True
        exit_after = slot.behaviour.exit_after
        slot.natural_exit_at = None if exit_after is None else self.now + exit_after
        if exit_after is not None:
            self.at(slot.natural_exit_at, self._natural_exit, slot, slot.instance)  # type: ignore[arg-type]
        for worker in slot.workers.values():
            # doProbe on a new container ID: initial result, off hold; the
            # result run is deliberately not reset.
            worker.cached = INITIAL_RESULT[worker.spec.type]
            worker.on_hold = False
            worker.token += 1
            if worker.anchor is None:
                worker.anchor = (self.now + worker.spec.initial_delay
                                 + self.behaviour.phase_for(slot.name, worker.spec.type))
        if "startup" in slot.workers:
            self._schedule_first(slot.workers["startup"], after=self.now, strictly=False)
        self._refresh()

    # --- probes ---------------------------------------------------------------
    def _schedule_first(self, worker: _Worker, after: float, strictly: bool) -> None:
        """Schedule the first tick at or after ``after`` on which the initial
        delay has passed, and never the tick a probe already ran on: the worker
        is one goroutine that probes at most once per tick (``worker.run``)."""
        slot = worker.slot
        earliest = max(after, slot.started_at + worker.spec.initial_delay)
        strict = strictly and earliest == after
        if worker.last_attempt is not None and earliest <= worker.last_attempt + EPSILON:
            earliest, strict = worker.last_attempt, True
        self.at(_grid_tick(worker.anchor, worker.spec.period, earliest, strict), self._tick, worker, worker.token)  # type: ignore[arg-type]

    def _tick(self, worker: _Worker, token: int) -> None:
        slot = worker.slot
        if token != worker.token or not slot.running or worker.on_hold or self._terminal():
            return
        probe = worker.spec
        if worker.last_attempt is not None and self.now <= worker.last_attempt + EPSILON:
            self._schedule_first(worker, self.now, strictly=True)
            return
        if int(self.now - slot.started_at + EPSILON) < probe.initial_delay:
            self._schedule_first(worker, self.now, strictly=True)
            return
        if (probe.type == "startup") == slot.started:
            return  # startup is done, or liveness/readiness wait for it
        worker.last_attempt = self.now
        result, seconds, message = self._answer(slot, probe)
        self.emit("probe", container=slot.name, probe=probe.type, handler=probe.handler,
                  result="success" if result == "warning" else result, seconds=seconds, message=message)
        if result == "warning":  # prober.probe: a Warning counts as Success, with a ProbeWarning event
            self.at(self.now + seconds, self.emit, "warning", {"container": slot.name, "probe": probe.type,
                    "reason": "ProbeWarning", "message": f"{PROBE_NAME[probe.type]} probe warning: {message}"})
        if seconds > 0:
            self.at(self.now + seconds, self._probe_done, worker, token, self.now, result)
        else:
            self._probe_done(worker, token, self.now, result)

    def _answer(self, slot: _Slot, probe: ProbeSpec) -> tuple[str, float, str]:
        """What one attempt gives: (result, seconds it took, message). Results are
        success, failure, timeout, error (``prober.probe`` returned an error: the
        worker discards it) and, for the event only, warning (counted as success)."""
        try:
            resolve_port(probe, slot.spec)
        except PortError as err:
            return "error", 0.0, str(err)
        answers = slot.behaviour.probes.get(probe.type)
        if answers is None:
            return "success", 0.0, judge(probe.handler, HEALTHY_ANSWER[probe.handler])[1]
        clock = self.now - slot.started_at if answers.clock == "uptime" else self.now
        delay = float(answers.delays.at(clock))
        if delay >= probe.timeout:
            return "timeout", float(probe.timeout), f"timed out after {probe.timeout}s"
        answer = answers.answers.at(clock) if answers.answers else HEALTHY_ANSWER[probe.handler]
        if probe.handler == "httpGet":
            warning = _redirect_warning(answer)
            if warning is not None:
                return "warning", delay, warning
            if isinstance(answer, dict):
                answer = answer.get("status")
        ok, message = judge(probe.handler, answer)
        return ("success" if ok else "failure"), delay, message

    def _probe_done(self, worker: _Worker, token: int, began: float, result: str) -> None:
        if token != worker.token:
            return  # the container changed while the probe ran
        probe = worker.spec
        if result != "error":  # doProbe: "Prober error, throw away the result."
            self._count(worker, SUCCESS if result in ("success", "warning") else FAILURE)
        if not worker.on_hold and token == worker.token and worker.slot.running:
            tick = _grid_tick(worker.anchor, probe.period, began, strict=True)  # type: ignore[arg-type]
            self.at(tick if tick > self.now else self.now, self._tick, worker, token)

    def _count(self, worker: _Worker, outcome: str) -> None:
        """``lastResult``/``resultRun`` and the thresholds (``doProbe``)."""
        probe = worker.spec
        if outcome == worker.last_result:
            worker.result_run += 1
        else:
            worker.last_result, worker.result_run = outcome, 1
        below = (worker.result_run < probe.failure_threshold if outcome == FAILURE
                 else worker.result_run < probe.success_threshold)
        if below:
            return
        if outcome != worker.cached:
            worker.cached = outcome
            self.emit("threshold", container=worker.slot.name, probe=probe.type,
                      result=outcome.lower(), count=worker.result_run)
            self._on_result(worker, outcome)
        if (probe.type == "liveness" and outcome == FAILURE) or probe.type == "startup":
            worker.on_hold, worker.result_run = True, 0

    def _on_result(self, worker: _Worker, outcome: str) -> None:
        slot, probe_type = worker.slot, worker.spec.type
        if outcome == FAILURE and probe_type in ("liveness", "startup") and slot.running and not slot.kill_reason:
            self._kill(slot, "LivenessProbe" if probe_type == "liveness" else "StartupProbe")
        self._refresh()

    def _on_started(self, slot: _Slot) -> None:
        """The container's started flag became true: liveness and readiness may run."""
        for probe_type in ("liveness", "readiness"):
            worker = slot.workers.get(probe_type)
            if worker is None:
                continue
            worker.token += 1
            if probe_type == "readiness" and "startup" in slot.workers:
                # UpdatePodStatus triggers the readiness worker at once, and the
                # trigger resets its ticker (worker.run: probeTicker.Reset).
                worker.anchor = self.now
                self._schedule_first(worker, self.now, strictly=False)
            else:
                self._schedule_first(worker, self.now, strictly="startup" in slot.workers)
        if slot.spec.type == "sidecar":
            self.at(self.now, self._advance)

    # --- stopping and restarting -------------------------------------------------
    def _kill(self, slot: _Slot, reason: str, grace: int | None = None, waits_for: tuple[str, ...] = ()) -> None:
        """``killContainer``: the Killing event, preStop, then (once the
        containers in ``waits_for`` have exited, or the grace period is spent
        waiting) the stop signal, and SIGKILL at the end of the grace period."""
        if grace is None:
            grace = self._grace_for(slot, reason)
        slot.kill_reason = reason
        self.emit("kill", container=slot.name, reason=reason, seconds=float(grace),
                  message=self._kill_message(slot, reason))
        pre_stop = 0.0
        if slot.spec.has_pre_stop and slot.behaviour.pre_stop_seconds > 0 and grace > 0:
            pre_stop = min(slot.behaviour.pre_stop_seconds, float(grace))
            self.emit("hook", container=slot.name, reason="PreStop", seconds=pre_stop)
        left = grace - int(pre_stop)
        ready_at = self.now + pre_stop
        slot.stop = _Stop(slot.instance, ready_at, left, waits_for if left > 0 else (), ready_at + max(left, 0))
        self.at(ready_at, self._take_turn, slot, slot.instance)
        if slot.stop.waits_for:
            self.at(slot.stop.turn_deadline, self._take_turn, slot, slot.instance)

    def _grace_for(self, slot: _Slot, reason: str) -> int:
        """``setTerminationGracePeriod``: the probe's own grace period for its kill, else the Pod's."""
        probe_type = {"LivenessProbe": "liveness", "StartupProbe": "startup"}.get(reason)
        if probe_type and slot.spec.probes[probe_type].termination_grace is not None:
            return slot.spec.probes[probe_type].termination_grace  # type: ignore[return-value]
        return self.spec.grace_seconds

    def _kill_message(self, slot: _Slot, reason: str) -> str:
        """The ``Killing`` event message (``computePodActions``, ``computeInitContainerActions``)."""
        cause = {"LivenessProbe": "failed liveness probe", "StartupProbe": "failed startup probe",
                 "Changed": "definition changed"}.get(reason)
        if cause is None:
            return f"Stopping container {slot.name}"
        if slot.spec.type == "sidecar":
            return f"Init container {slot.name} {cause}"
        message = f"Container {slot.name} {cause}"
        return message + ", will be restarted" if self._restarts_after_kill(slot, reason) else message

    def _take_turn(self, slot: _Slot, instance: int) -> None:
        """``waitForTurn`` is over when the preStop hook has ended and every
        container waited for has exited, or the remaining grace period has
        passed; the seconds waited (truncated) are taken from it, at least 2 s remain."""
        stop = slot.stop
        if stop is None or stop.instance != instance or not slot.running or self.now < stop.ready_at - EPSILON:
            return
        pending = [name for name in stop.waits_for if self.by_name[name].running]
        if pending and self.now < stop.turn_deadline - EPSILON:
            return
        slot.stop = None
        waited = int(self.now - stop.ready_at + EPSILON) if stop.waits_for else 0
        left = max(stop.grace_left - waited, MIN_GRACE_SECONDS)
        self.emit("stop", container=slot.name, seconds=float(left))
        behaviour = slot.behaviour
        if behaviour.sigterm == "exit" and behaviour.sigterm_exit_after <= left:
            exit_at, code = self.now + behaviour.sigterm_exit_after, behaviour.sigterm_exit_code
        else:
            exit_at, code = self.now + left, 137  # SIGKILL
        if slot.natural_exit_at is not None and slot.natural_exit_at <= exit_at:
            return  # it exits by itself first; _natural_exit finishes the kill
        self.at(exit_at, self._exited, slot, slot.instance, code)

    def _kill_pod(self, reason: str, grace: int) -> None:
        """``killContainersWithSyncResult``: stop every running container at once,
        sidecars in reverse order after the regular containers (``newTerminationOrdering``)."""
        running = {slot.name for slot in self.slots if slot.running}
        order = _termination_order(self.spec, running)
        for slot in self.slots:
            if slot.running and slot.kill_reason is None:
                self._kill(slot, reason, grace, order.get(slot.name, ()))

    def _restarts_after_kill(self, slot: _Slot, reason: str) -> bool:
        if reason in POD_STOP_REASONS or self._stopping():
            return False
        # computePodActions: after a probe kill only the container's own policy counts, else the Pod's.
        policy = slot.spec.restart_policy or self.spec.restart_policy
        return slot.spec.type == "sidecar" or reason == "Changed" or policy != "Never"

    def _natural_exit(self, slot: _Slot, instance: int) -> None:
        if instance == slot.instance and slot.running:
            self._exited(slot, instance, slot.behaviour.exit_code)

    def _exited(self, slot: _Slot, instance: int, code: int) -> None:
        if instance != slot.instance or not slot.running:
            return
        previous_exit = slot.last_exit_at
        slot.state = "waiting"
        slot.stop = None
        slot.last_exit_at, slot.last_exit_code = self.now, code
        for worker in slot.workers.values():
            worker.token += 1
            worker.cached = FAILURE  # doProbe on a container that is not running
        reason = "Completed" if code == 0 else "Error"
        self.emit("exit", container=slot.name, exit_code=code, reason=reason,
                  message=_exit_message(code))
        if slot.kill_reason is not None:
            restart = self._restarts_after_kill(slot, slot.kill_reason)
            # The kill and the new start happen in one SyncPod, whose status
            # was read before the kill: doBackOff sees the instance before.
            newest_exit = previous_exit
        else:
            restart = self._restarts_after_exit(slot, code)
            newest_exit = self.now
        if not restart:
            slot.state = "terminated"
        self._refresh()
        if restart:
            self._try_start(slot, newest_exit)
        if slot.spec.type == "init" and code == 0:
            self._advance()
        self._stop_sidecars_when_done()
        for other in self.slots:  # terminationOrdering.containerTerminated
            if other.stop is not None and slot.name in other.stop.waits_for:
                self._take_turn(other, other.stop.instance)

    def _restarts_after_exit(self, slot: _Slot, code: int) -> bool:
        """``ShouldContainerBeRestarted`` with container restart rules (``should_restart``); an init
        container that succeeded is done, whatever the policy."""
        if self._stopping():
            return False
        if slot.spec.type == "sidecar":
            return True
        if slot.spec.type == "init" and code == 0:
            return False
        return should_restart(slot.spec, self.spec.restart_policy, code)

    def _backoff_key(self, slot: _Slot) -> str:
        """``GetBackoffKey``: the container's name and image (a new image, a new back-off)."""
        return f"{slot.name}\0{slot.image}"

    def _try_start(self, slot: _Slot, newest_exit: float | None) -> None:
        key = self._backoff_key(slot)
        wait = self.backoff.decide(key, newest_exit, self.now)
        if wait <= 0:
            self._start(slot)
            return
        # The next sync sees the newest exited instance, which may be the one just killed.
        backoff = self.backoff.current(key)
        if self.backoff.is_in_backoff_since(key, slot.last_exit_at, self.now):  # type: ignore[arg-type]
            wait = slot.last_exit_at + backoff - self.now  # type: ignore[operator]
        self.emit("backoff", container=slot.name, seconds=round(wait, 6), reason="CrashLoopBackOff",
                  message=f"back-off {go_duration(backoff)} restarting failed container={slot.name}")
        self.at(self.now + wait, self._retry, slot, slot.instance)

    def _retry(self, slot: _Slot, instance: int) -> None:
        if instance == slot.instance and slot.state == "waiting" and not self._stopping():
            self._try_start(slot, slot.last_exit_at)

    def _stop_waiting_containers(self) -> None:
        """Containers waiting to restart will not be started again."""
        for slot in self.slots:
            if slot.state == "waiting" and slot.instance >= 0:
                slot.state = "terminated"

    def _stop_probes_for_termination(self) -> None:
        """``StopLivenessAndStartup``: a terminating Pod is only probed for readiness."""
        for slot in self.slots:
            for probe_type in ("liveness", "startup"):
                worker = slot.workers.get(probe_type)
                if worker is not None:
                    worker.on_hold = True
                    worker.token += 1

    def _delete(self) -> None:
        """The Pod gets a deletionTimestamp: stop everything, restart nothing."""
        if self.deleting or self.removed:
            return
        grace = self._api_grace()
        self.deleting = True
        self.emit("delete", seconds=float(grace),
                  message=f"deleted with a grace period of {grace}s: deletionTimestamp = now + {grace}s")
        if grace == 0 and not self.finalizers:
            self._remove("deleted with grace period 0: the object is gone at once")
        if self._terminal():
            self._remove_when_free()
            return
        self._stop_probes_for_termination()
        self._kill_pod("PodDeletion", max(grace, 1))  # calculateEffectiveGracePeriod: at least 1
        self._stop_waiting_containers()
        self._refresh()

    def _api_grace(self) -> int:
        """``CheckGracefulDelete``: the request's grace period, else the Pod's; 0 once the Pod is terminal."""
        if self._terminal():
            return 0
        requested = self.behaviour.delete_grace_seconds
        return self.spec.grace_seconds if requested is None else int(requested)

    def _remove(self, message: str) -> None:
        if not self.removed:
            self.removed = True
            self.emit("removed", message=message)

    def _remove_when_free(self) -> None:
        """The kubelet's final delete (grace period 0) once nothing runs: the object goes unless finalizers hold it."""
        if self.removed:
            return
        if self.finalizers:
            self.emit("update", message="the kubelet is done; metadata.finalizers keep the object Terminating")
            return
        self._remove("every container stopped: the kubelet deleted the object with grace period 0")

    def _remove_finalizers(self) -> None:
        """Whatever owns the finalizers removes them: a deleted Pod whose containers have stopped goes."""
        self.finalizers = False
        self.emit("update", message="metadata.finalizers removed")
        if self.deleting and (self._terminal() or not any(slot.running for slot in self.slots)):
            self._remove("the last finalizer was removed")

    def _check_deadline(self) -> None:
        """``activeDeadlineHandler.ShouldEvict``: active for activeDeadlineSeconds or longer."""
        if self._stopping() or self.active_deadline is None or self.now < self.active_deadline - EPSILON:
            return
        self.deadline_exceeded = True
        grace = max(self.spec.grace_seconds, 1)  # calculateEffectiveGracePeriod
        self.emit("deadline", reason=DEADLINE_REASON, message=DEADLINE_MESSAGE, seconds=float(grace))
        self._stop_probes_for_termination()
        self._kill_pod(DEADLINE_REASON, grace)
        self._stop_waiting_containers()
        self._refresh()

    def _update(self, update: PodUpdate) -> None:
        """A changed Pod spec reaches the kubelet: new images restart their
        containers (``containerChanged``), a new deadline is checked."""
        if self._terminal():
            return
        if update.active_deadline_seconds is not None:
            self.active_deadline = update.active_deadline_seconds
            self.emit("update", message=f"activeDeadlineSeconds set to {self.active_deadline}")
            self.at(max(self.now, float(self.active_deadline)), self._check_deadline)
        for name, image in update.images.items():
            slot = self.by_name[name]
            if image == slot.image:
                continue
            slot.image = image
            self.emit("update", container=name, message=f"image set to {image}")
            if self._stopping() or slot.spec.type == "init":
                continue
            if slot.running and slot.kill_reason is None:
                self._kill(slot, "Changed")
            elif slot.state == "waiting" and slot.instance >= 0:
                self._try_start(slot, slot.last_exit_at)  # the next sync, with a new back-off key

    def _stop_sidecars_when_done(self) -> None:
        """When no regular container will run again, the kubelet stops the Pod
        (``computePodActions``: ``KillPod``), which leaves only sidecars to stop."""
        if self._stopping():
            return
        apps = [s for s in self.slots if s.spec.type == "app"]
        done = all(s.state == "terminated" for s in apps) and any(s.instance >= 0 for s in apps)
        failed_init = any(s.spec.type == "init" and s.state == "terminated" and s.last_exit_code != 0
                          for s in self.slots)
        if done or failed_init:
            self.killed = True  # and InitContainersToStart = nil: sidecars in back-off stay down
            self._kill_pod("PodCompleted", self.spec.grace_seconds)
            self._stop_waiting_containers()

    # --- status: flags, phase, conditions, endpoints ----------------------------
    def _refresh(self) -> None:
        newly_started = []
        for slot in self.slots:
            if slot.spec.type == "init":
                continue
            started = slot.running and _result_or(slot, "startup", True) == SUCCESS
            ready = started and _result_or(slot, "readiness", True) == SUCCESS
            if started != slot.started:
                slot.started = started
                self.emit("started", container=slot.name, status=started)
                if started:
                    newly_started.append(slot)
            if ready != slot.ready:
                slot.ready = ready
                self.emit("ready", container=slot.name, status=ready)
        self._update_phase()
        self._update_conditions()
        for slot in newly_started:
            self._on_started(slot)

    def _terminal(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    def _update_phase(self) -> None:
        if self._terminal():
            return  # generateAPIPodStatus never leaves a terminal phase
        reason = message = None
        if self.deadline_exceeded and not any(slot.running for slot in self.slots):
            # ShouldEvict sets Failed; mergePodStatus holds it back until nothing runs
            phase, reason, message = "Failed", DEADLINE_REASON, DEADLINE_MESSAGE
        else:
            pod_is_terminal = self.deleting and not any(slot.running for slot in self.slots)
            phase = get_phase(self.spec.restart_policy, self.slots, self.app_started_once, pod_is_terminal)
        if phase != self.phase:
            self.phase = phase
            self.emit("phase", phase=phase, **({"reason": reason, "message": message} if reason else {}))  # type: ignore[arg-type]
            if self._terminal():
                for slot in self.slots:
                    if slot.state == "waiting":
                        slot.state = "terminated" if slot.instance >= 0 else slot.state
                if self.deleting:
                    self._remove_when_free()

    def _update_conditions(self) -> None:
        succeeded = self.phase == "Succeeded"
        failed = self.phase == "Failed" or self.deadline_exceeded  # conditions see ShouldEvict's Failed at once
        initialized = succeeded or self.app_started_once or all(
            (s.state == "terminated" and s.last_exit_code == 0) if s.spec.type == "init" else s.started
            for s in self.slots if s.spec.type != "app")
        ready_ones = [s.ready for s in self.slots if s.spec.type != "init"]
        containers_ready = not (succeeded or failed) and all(ready_ones)
        not_ready_reason = "PodCompleted" if succeeded else "PodFailed" if failed else "ContainersNotReady"
        values = {
            "Initialized": (initialized, "PodCompleted" if succeeded else
                            None if initialized else "ContainersNotInitialized"),
            "ContainersReady": (containers_ready, None if containers_ready else not_ready_reason),
        }
        gates_ok = not self.spec.readiness_gates
        ready = containers_ready and gates_ok
        values["Ready"] = (ready, None if ready else
                           not_ready_reason if not containers_ready else "ReadinessGatesNotReady")
        for name, (status, reason) in values.items():
            if self.conditions.get(name) != status:
                self.conditions[name] = status
                self.emit("condition", condition=name, status=status,
                          **({"reason": reason} if reason else {}))  # type: ignore[arg-type]
        endpoint = ready and not (succeeded or failed or self.deleting)
        if endpoint != self.endpoint:
            self.endpoint = endpoint
            terminating = self.deleting and not (succeeded or failed)
            self.emit("endpoint", status=endpoint, **({"reason": "Terminating"} if terminating else {}))  # type: ignore[arg-type]


def _termination_order(spec: PodSpec, running: set[str]) -> dict[str, tuple[str, ...]]:
    """``newTerminationOrdering``: for each sidecar, the running containers it
    waits for: every regular container and the next sidecar declared after it."""
    mains = tuple(c.name for c in spec.containers if c.name in running)
    order: dict[str, tuple[str, ...]] = {}
    later_sidecar = None
    for container in reversed(spec.init_containers):
        if container.type != "sidecar":
            continue
        waits = mains + ((later_sidecar,) if later_sidecar in running else ())
        order[container.name] = waits  # type: ignore[assignment]
        later_sidecar = container.name
    return order


def _redirect_warning(answer: Any) -> str | None:
    """``DoHTTPProbe``: a final 3xx (a redirect the prober did not follow) is a
    Warning whose output is "Probe terminated redirects, Response body: <body>",
    the body cut at 10 KiB. ``answer`` is a status, or ``{"status": ..., "body": ...}``."""
    status, body = (answer.get("status"), answer.get("body") or "") if isinstance(answer, dict) else (answer, "")
    if isinstance(status, bool) or not isinstance(status, int) or not 300 <= status < 400:
        return None
    body = str(body).encode()[:MAX_BODY_BYTES].decode(errors="ignore")
    return f"Probe terminated redirects, Response body: {body}"


def get_phase(restart_policy: str, slots: list[_Slot], app_started_once: bool,
              pod_is_terminal: bool = False) -> str:
    """``getPhase`` (``pkg/kubelet/kubelet_pods.go``) over the containers' states, with container restart
    rules on (the 1.37 default): a failed init container that will not be restarted fails the Pod, and
    stopped containers keep it Running while one of them will be restarted (``should_restart``);
    ``pod_is_terminal``: the Pod is being deleted and nothing runs any more."""
    def restartable(slot: _Slot) -> bool:
        return should_restart(slot.spec, restart_policy, slot.last_exit_code or 0)

    pending_init = failed_init_not_restartable = 0
    for slot in slots:
        if slot.spec.type != "init":
            continue
        if slot.state == "terminated" or (slot.state == "waiting" and slot.last_exit_at is not None):
            if slot.last_exit_code != 0:
                failed_init_not_restartable += not restartable(slot)
            elif slot.state != "terminated":
                pending_init += 1
        else:
            pending_init += 1
    running = waiting = stopped = stopped_not_restartable = succeeded = 0
    for slot in slots:
        if slot.spec.type == "sidecar":
            if slot.running:
                running += 1
                pending_init += not slot.started
            elif slot.state == "waiting" and slot.last_exit_at is None:
                pending_init += 1
                waiting += 1
        elif slot.spec.type == "app":
            if slot.running:
                running += 1
            elif slot.state == "terminated":
                stopped += 1
                succeeded += slot.last_exit_code == 0
                stopped_not_restartable += not restartable(slot)
            elif slot.last_exit_at is not None:
                stopped += 1  # waiting to restart: counts as stopped
                stopped_not_restartable += not restartable(slot)
            else:
                waiting += 1
    if failed_init_not_restartable:
        return "Failed"
    if (pending_init and not app_started_once) or waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if stopped != stopped_not_restartable:
            return "Running"  # at least one container is on its way to a restart
        return "Succeeded" if stopped == succeeded else "Failed"
    return "Pending"


def _result_or(slot: _Slot, probe_type: str, default: bool) -> str:
    worker = slot.workers.get(probe_type)
    if worker is None:
        return SUCCESS if default else FAILURE
    return worker.cached


def _grid_tick(anchor: float, period: float, at_least: float, strict: bool) -> float:
    """The first tick ``anchor + k * period`` at or after (strictly: after) ``at_least``."""
    steps = (at_least - anchor) / period
    k = math.floor(steps + EPSILON) + 1 if strict else math.ceil(steps - EPSILON)
    return round(anchor + k * period, 9)


def _exit_message(code: int) -> str:
    if code == 137:
        return "killed by SIGKILL"
    if code == 143:
        return "exited on SIGTERM"
    return f"exited with code {code}"


def _probe_info(container: str, probe: ProbeSpec) -> ProbeInfo:
    return ProbeInfo(
        container=container, probe=probe.type, handler=probe.handler,
        initialDelaySeconds=probe.initial_delay, periodSeconds=probe.period,
        timeoutSeconds=probe.timeout, successThreshold=probe.success_threshold,
        failureThreshold=probe.failure_threshold,
    )
