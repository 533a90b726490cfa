"""Does the simulator agree with a real kubelet? Pair the instants of two timelines and measure the gaps.

The simulator's clock starts when the Pod's first container starts; an observed timeline's clock starts at
the Pod's ``creationTimestamp``, before scheduling, sandbox and network set-up, which the simulator does
not model. So the simulated timeline is shifted by the observed time of the first container start, and
then every instant is compared with its counterpart:

* each container start (the first one and every restart, so back-off waits are included);
* each kill, and the first failed probe of every probe type;
* each change of the Pod's ``Ready`` and ``Initialized`` conditions, and the move to a terminal phase;
* the phase at the end;
* for a deletion whose programs recorded when SIGTERM reached them (the termination scene,
  :mod:`podnotes.node.termination`): each SIGTERM, each exit and the removal of the object.

An instant agrees when the gap is within its tolerance: one probe period (the kubelet's probe tickers run
on their own phase) plus the kubelet's sync latency (PLEG relist every second, status sync, watch delivery)
for every container start and every earlier kill up to that instant, because each step follows from the
kubelet noticing the previous one at its next relist, so latencies add up along the chain. Each
CrashLoopBackOff wait of ``b`` seconds before the instant adds ``b / 2``: the kubelet re-queues a backed-off
Pod at the back-off expiry with jitter factor 0.5 (``pod_workers.go``, ``completeWork`` and
``workerBackOffPeriodJitterFactor``), which the simulator's nominal back-off does not include. Instants
later than the end of the shorter timeline minus their tolerance are not required to have a partner.

What is not compared, and why:

* a condition state that lasted less than the sync latency (a container killed and restarted at once):
  whether any status update shows it is chance;
* ``Initialized`` of a Pod without init containers: True from the sandbox's creation, before the first
  container start that anchors the clocks;
* exec probes that *errored* (``resulted in unknown state``) or failed within a second or two of their
  container stopping: the command ran into the container's exit, and the simulator never probes a
  container that is not running. (Event times have one-second resolution, hence the margin.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from podnotes.kube.enums import PROBE_FIELDS

SYNC_LATENCY = 2.0  # seconds: PLEG relist (1 s) + status manager + watch delivery, on a busy 2-core machine
BACKOFF_JITTER = 0.5  # workerBackOffPeriodJitterFactor


@dataclass(frozen=True)
class Row:
    """One paired instant: ``simulated`` already shifted onto the observed clock."""

    what: str
    simulated: float | None
    observed: float | None
    tolerance: float

    @property
    def difference(self) -> float | None:
        if self.simulated is None or self.observed is None:
            return None
        return self.observed - self.simulated

    @property
    def agrees(self) -> bool:
        return self.difference is not None and abs(self.difference) <= self.tolerance


@dataclass
class Agreement:
    example: str
    offset: float  # observed time of the first container start (the simulated clock's zero)
    rows: list[Row] = field(default_factory=list)
    simulated_phase: str | None = None
    observed_phase: str | None = None

    @property
    def disagreements(self) -> list[Row]:
        return [row for row in self.rows if not row.agrees]

    @property
    def largest_difference(self) -> float:
        gaps = [abs(row.difference) for row in self.rows if row.difference is not None]
        return max(gaps, default=0.0)

    @property
    def ok(self) -> bool:
        return not self.disagreements and self.simulated_phase == self.observed_phase

    def table(self) -> str:
        """A plain-text table: one line per instant, then the phases and the largest difference."""
        lines = [f"{self.example}: simulated clock shifted by {self.offset:+.1f} s (first container start)",
                 f"  {'instant':<42} {'simulated':>9} {'observed':>9} {'diff':>7} {'tol':>6}"]
        for row in self.rows:
            sim = f"{row.simulated:9.1f}" if row.simulated is not None else f"{'-':>9}"
            obs = f"{row.observed:9.1f}" if row.observed is not None else f"{'-':>9}"
            diff = f"{row.difference:+7.1f}" if row.difference is not None else f"{'-':>7}"
            mark = "" if row.agrees else "  <-- differs"
            lines.append(f"  {row.what:<42} {sim} {obs} {diff} {row.tolerance:6.1f}{mark}")
        lines.append(f"  final phase: simulated {self.simulated_phase}, observed {self.observed_phase}")
        lines.append(f"  largest difference: {self.largest_difference:.1f} s")
        return "\n".join(lines)


def compare(example: str, simulated, observed, sync_latency: float = SYNC_LATENCY) -> Agreement:
    """Pair the instants of ``simulated`` and ``observed`` (two :class:`podnotes.probes.timeline.Timeline`)."""
    observed_starts = [e.time for e in observed.select("start")]
    offset = observed_starts[0] if observed_starts else 0.0
    simulated_starts = [e.time for e in simulated.select("start")]
    if simulated_starts:
        offset -= simulated_starts[0]
    horizon = min(simulated.duration + offset, observed.duration)
    agreement = Agreement(example, offset)
    periods = {(p.container, p.probe): p.periodSeconds for p in simulated.probes}
    handlers = {(p.container, p.probe): p.handler for p in simulated.probes}

    def period_of(container: str | None, probe: str | None = None) -> float:
        if probe is not None:
            return float(periods.get((container, probe), 0))
        return float(max((v for (c, _), v in periods.items() if c == container), default=0))

    def pair(what: str, sims: list[float], obss: list[float], allowed: list[float]) -> None:
        for index in range(max(len(sims), len(obss))):
            sim = sims[index] + offset if index < len(sims) else None
            obs = obss[index] if index < len(obss) else None
            tolerance = allowed[min(index, len(allowed) - 1)] if allowed else sync_latency
            earliest = min(t for t in (sim, obs) if t is not None)
            if (sim is None or obs is None) and earliest > horizon - tolerance:
                continue  # too close to the end of the window for its partner to have happened yet
            label = what if max(len(sims), len(obss)) == 1 else f"{what} #{index + 1}"
            agreement.rows.append(Row(label, sim, obs, tolerance))

    def tolerance_at(at: float, period: float) -> float:
        """``at`` on the simulated clock: one period, one sync latency per start so far and per earlier kill,
        and the back-off jitter."""
        starts_so_far = sum(1 for e in simulated.select("start") if e.time <= at + 1e-9)
        kills_before = sum(1 for e in simulated.select("kill") if e.time < at - 1e-9)
        jitter = sum(BACKOFF_JITTER * (e.seconds or 0.0) for e in simulated.select("backoff")
                     if e.seconds and e.time + e.seconds <= at + 1e-9)
        return period + sync_latency * (max(starts_so_far, 1) + kills_before) + jitter

    def tolerances(times: list[float], period: float) -> list[float]:
        return [tolerance_at(t, period) for t in times] or [period + sync_latency]

    for info in simulated.containers:
        name = info.name
        base = period_of(name)
        starts = [e.time for e in simulated.select("start", name)]
        pair(f"{name}: start", starts, [e.time for e in observed.select("start", name)], tolerances(starts, base))
        kills = simulated.kills(name)
        pair(f"{name}: kill", kills, observed.kills(name), tolerances(kills, base))
        if observed.select("stop", name):  # the programs' own records of SIGTERM: the termination sequence
            stops = [e.time for e in simulated.select("stop", name)]
            pair(f"{name}: SIGTERM", stops, [e.time for e in observed.select("stop", name)], tolerances(stops, base))
            exits = [e.time for e in simulated.select("exit", name)]
            pair(f"{name}: exit", exits, [e.time for e in observed.select("exit", name)], tolerances(exits, base))
        for probe in PROBE_FIELDS:  # startup, liveness, readiness
            sim_fail = [e.time for e in simulated.select("probe", name, probe) if e.result != "success"][:1]
            obs_fail = [e.time for e in observed.select("probe", name, probe)
                        if e.result != "success"
                        and not _raced_with_exit(e, observed, handlers.get((name, probe)), sync_latency)][:1]
            if sim_fail or obs_fail:
                pair(f"{name}: first failed {probe} probe", sim_fail, obs_fail,
                     tolerances(sim_fail, period_of(name, probe)))
    any_period = max((float(p.periodSeconds) for p in simulated.probes), default=0.0)
    has_init = any(info.type in ("init", "sidecar") for info in simulated.containers)
    for condition in ("Initialized", "Ready") if has_init else ("Ready",):
        for status in (True, False):
            sims = _condition_changes(simulated, condition, status)
            obss = _condition_changes(observed, condition, status)
            pair(f"{condition} -> {status}", sims, obss, tolerances(sims, any_period))
    for phase in ("Succeeded", "Failed"):
        sims = [t for t, p in simulated.phases() if p == phase][:1]
        pair(f"phase -> {phase}", sims, [t for t, p in observed.phases() if p == phase][:1],
             tolerances(sims, any_period))
    if observed.select("removed"):
        sims = [e.time for e in simulated.select("removed")]
        pair("object removed", sims, [e.time for e in observed.select("removed")], tolerances(sims, any_period))
    agreement.simulated_phase = simulated.phase_at(simulated.duration)
    observed_phases = observed.phases()
    agreement.observed_phase = observed_phases[-1][1] if observed_phases else None
    return agreement


def _wait_before(start: float, timeline, container: str) -> float:
    """The CrashLoopBackOff wait that ended with the start at ``start`` (0 if none did)."""
    waits = [e for e in timeline.select("backoff", container) if e.time <= start and e.seconds]
    if not waits:
        return 0.0
    last = waits[-1]
    return float(last.seconds) if abs(last.time + last.seconds - start) < 1.0 else 0.0


def _raced_with_exit(probe, observed, handler: str | None, sync_latency: float) -> bool:
    """An exec probe that errored, or failed just as its container exited on its own: it ran into the exit."""
    if "errored" in (probe.message or ""):
        return True
    if handler != "exec":
        return False
    window = (probe.time - 1.0, probe.time + sync_latency + 1.0)
    mine = [e for e in observed.events if e.container == probe.container]
    if any(e.kind == "kill" and window[0] <= e.time <= window[1] for e in mine):
        return False  # the failure caused the kill: a real result
    return any(e.kind in ("exit", "backoff") and window[0] <= e.time <= window[1] for e in mine)


def _condition_changes(timeline, condition: str, status: bool, blip: float = SYNC_LATENCY) -> list[float]:
    """Times at which ``condition`` became ``status`` (its first report counts only when it is True).

    A state that lasted less than ``blip`` seconds is dropped with the change that ended it: the simulator
    restarts a killed container in no time, a real kubelet in a fraction of a second, and whether a status
    update catches that moment is chance."""
    settled: dict[float, bool] = {}
    for event in timeline.select("condition", condition=condition):
        settled[round(event.time, 6)] = bool(event.status)  # the last report at an instant wins
    runs: list[tuple[float, bool]] = []
    for at, value in sorted(settled.items()):
        if runs and runs[-1][1] == value:
            continue
        if len(runs) >= 2 and at - runs[-1][0] < blip and runs[-2][1] == value:
            runs.pop()  # the previous state was a blip: as if it never happened
            continue
        runs.append((at, value))
    if runs and not runs[0][1]:
        runs.pop(0)  # starting out False is not a change
    return [at for at, value in runs if value == status]


@dataclass(frozen=True)
class SceneComparison:
    """One simulated-versus-observed comparison a scene recorded: ``name`` is ``scene`` or ``scene/pod``
    (a scene that compares several Pods), ``rows`` the paired instants as the scene wrote them (``what``,
    ``simulated``, ``observed``, ``difference``, ``tolerance`` in seconds, ``agrees``)."""

    name: str
    rows: tuple[dict, ...]
    simulated_phase: str | None
    observed_phase: str | None

    @property
    def largest_difference(self) -> float:
        return max((abs(row["difference"]) for row in self.rows if row["difference"] is not None), default=0.0)

    @property
    def agrees(self) -> bool:
        """Every paired instant within its tolerance (the final phases are compared apart)."""
        return all(row["agrees"] for row in self.rows)

    @property
    def removed_before_phase(self) -> bool:
        """The object was removed (force deletion) while the simulation went on to a terminal phase: the
        observed timeline ends with the last phase the API showed."""
        return any(row["what"] == "object removed" for row in self.rows)


def scene_comparisons(scene: str, record: dict) -> list[SceneComparison]:
    """Every comparison in a scene's record: the record itself, or each item of a list in it, that holds
    ``rows`` next to ``simulated_phase`` and ``observed_phase`` (what :func:`compare` gives, as the scenes
    write it). An item's ``name`` is added to the scene's name."""
    def found(item: dict, name: str) -> list[SceneComparison]:
        if {"rows", "simulated_phase", "observed_phase"} <= item.keys():
            return [SceneComparison(name, tuple(item["rows"]), item["simulated_phase"], item["observed_phase"])]
        return []

    comparisons = found(record, scene)
    for value in record.values():
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                comparisons += found(item, f"{scene}/{item.get('name', '?')}")
    return comparisons
