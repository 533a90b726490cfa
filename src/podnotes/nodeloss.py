"""When a node goes away: what the control plane does, predicted, and the same read from a real node's recording.

A kubelet that stops reporting is noticed by kube-controller-manager, never by the node itself. With the
kubelet silent from time 0, the 1.37 controllers act in this order (kubernetes v1.37.2 source):

1. ``tryUpdateNodeHealth`` (``pkg/controller/nodelifecycle/node_lifecycle_controller.go``) runs every
   ``--node-monitor-period`` (5 s). It keeps the time it last *saw* the node's Lease renewed (the kubelet
   renews it every ``nodeLeaseDurationSeconds / 4`` = 10 s, ``nodeLeaseRenewIntervalFraction`` in
   ``pkg/kubelet/kubelet.go``); once ``--node-monitor-grace-period`` (default 50 s,
   ``RecommendedDefaultNodeLifecycleControllerConfiguration``) has passed since then, it sets every node
   condition to ``Unknown`` with reason ``NodeStatusUnknown`` and message "Kubelet stopped posting node status.".
2. In the same pass ``MarkPodsNotReady`` (``pkg/controller/util/node/controller_utils.go``) sets each Pod's
   ``Ready`` condition to False (Event ``NodeNotReady``), and the node gets the taints
   ``node.kubernetes.io/unreachable:NoSchedule`` (``doNoScheduleTaintingPass``) and ``:NoExecute``
   (``doNoExecuteTaintingPass``, every 100 ms, the first node of a zone at once).
3. The taint-eviction controller (``pkg/controller/tainteviction/taint_eviction.go``) deletes each Pod that
   does not tolerate ``NoExecute`` once its shortest ``tolerationSeconds`` has passed, counted from when it saw
   the taint: it adds the condition ``DisruptionTarget`` (reason ``DeletionByTaintManager``) and deletes the
   Pod with its grace period. The DefaultTolerationSeconds admission plugin gives every Pod 300 s.
4. No kubelet confirms that the containers stopped, so the deleted Pod stays ``Terminating``, phase
   unchanged, after its ``deletionTimestamp``. The Pod garbage collector
   (``pkg/controller/podgc/gc_controller.go``, every 20 s) removes it: ``gcTerminating`` when the node is
   not Ready and has the ``node.kubernetes.io/out-of-service`` taint, ``gcOrphaned`` when the Node object
   is gone (after a 40 s quarantine). Either way ``markFailedAndDeletePodWithCondition`` first sets the
   phase to ``Failed`` (where it is not terminal yet) and then deletes with grace period 0.

With no Node of any zone Ready (``other_ready_nodes=0``) ``handleDisruption`` enters "master disruption
mode": it removes the ``NoExecute`` taints and stops tainting, so nothing is evicted. :func:`predict` models
that design. A race upstream leaves open (kubernetes/kubernetes#111385) can keep one taint anyway: the
taint worker may add it between the pass queueing the node and the mode's ``markNodeAsReachable``, which
checks the Node as listed at the start of the pass and skips it.

Times are seconds after the kubelet stopped. :func:`predict` gives the instants and the window within which
each may fall; :func:`observed_instants` reads the same instants from a recording of the scene
:mod:`podnotes.node.scenes.node_loss`; :func:`compare` pairs them with :class:`podnotes.node.agreement.Row`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .node.agreement import SYNC_LATENCY, Row

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
DEFAULT_TOLERATION_SECONDS = 300  # plugin/pkg/admission/defaulttolerationseconds: --default-unreachable-...
STOPPED_MESSAGE = "Kubelet stopped posting node status."


@dataclass(frozen=True)
class ControlPlane:
    """The settings the timeline depends on, in seconds (defaults: kubernetes v1.37.2), and how many other
    Nodes of the zone stay Ready."""

    node_monitor_grace_period: float = 50.0  # kube-controller-manager --node-monitor-grace-period
    node_monitor_period: float = 5.0  # --node-monitor-period
    lease_renew_interval: float = 10.0  # kubelet: nodeLeaseDurationSeconds (40) x 0.25
    node_status_update_frequency: float = 10.0  # kubelet: nodeStatusUpdateFrequency
    podgc_period: float = 20.0  # gcCheckPeriod
    orphan_quarantine: float = 40.0  # quarantineTime
    other_ready_nodes: int = 1  # 0: every Node of the zone NotReady, "master disruption mode", no eviction


@dataclass(frozen=True)
class LostPod:
    """A Pod on the node: its ``tolerationSeconds`` for ``unreachable:NoExecute`` (None: tolerated forever)
    and its ``terminationGracePeriodSeconds``."""

    name: str
    toleration_seconds: float | None = DEFAULT_TOLERATION_SECONDS
    grace: float = 30.0


@dataclass(frozen=True)
class Instant:
    """One predicted instant: ``at`` seconds after the kubelet stopped, within ``tolerance`` either way."""

    what: str
    at: float
    tolerance: float


@dataclass
class NodeLoss:
    """A predicted node-loss timeline: its instants in time order, and when it ends (``end``, seconds)."""

    control_plane: ControlPlane
    pods: list[LostPod]
    instants: list[Instant] = field(default_factory=list)
    end: float = 0.0

    def at(self, what: str) -> float | None:
        return next((i.at for i in self.instants if i.what == what), None)

    def rows(self) -> list[list]:
        return [[i.what, round(i.at, 1), round(i.tolerance, 1)] for i in self.instants]


def predict(pods: list[LostPod], control_plane: ControlPlane | None = None, *, last_renewal: float | None = None,
            out_of_service: float | None = None, node_deleted: float | None = None,
            resumed: float | None = None, end: float | None = None) -> NodeLoss:
    """The node-loss timeline of ``pods`` when the kubelet stops at 0.

    ``last_renewal``: when the kubelet last renewed its Lease (<= 0; default: half a renewal interval before
    the stop, the middle of the possible range, with a tolerance that covers the whole range).
    ``out_of_service``: when someone adds the out-of-service taint; ``node_deleted``: when someone deletes the
    Node object; ``resumed``: when the kubelet runs again (None: never); ``end``: where the timeline stops
    (default: a little after its last instant). Each instant's tolerance is the period of the loop that acts
    plus one sync latency per step before it, the rule of :mod:`podnotes.node.agreement`. Raises ValueError
    for a ``last_renewal`` after 0 or a negative moment.
    """
    plane = control_plane or ControlPlane()
    renewed = -plane.lease_renew_interval / 2 if last_renewal is None else last_renewal
    if renewed > 0:
        raise ValueError(f"last_renewal must be at or before the stop (0), not {renewed}")
    for name, moment in (("out_of_service", out_of_service), ("node_deleted", node_deleted), ("resumed", resumed)):
        if moment is not None and moment < 0:
            raise ValueError(f"{name} must be at or after the stop (0), not {moment}")
    found = NodeLoss(plane, list(pods))
    period = plane.node_monitor_period
    first = period + SYNC_LATENCY + (0.0 if last_renewal is not None else plane.lease_renew_interval / 2)
    # The controller sees the renewal at its next pass (up to one period later) and marks the node at the first
    # pass after that moment plus the grace period: on average one period after renewal + grace.
    unknown: float | None = renewed + plane.node_monitor_grace_period + period
    if resumed is not None and unknown is not None and resumed < unknown:
        unknown = None  # back before anyone noticed
    add = found.instants.append
    if unknown is not None:
        add(Instant("Node Ready Unknown", unknown, first))
        add(Instant("Pods Ready False", unknown, first + SYNC_LATENCY))
        add(Instant("taint unreachable:NoSchedule", unknown, first + SYNC_LATENCY))
        if plane.other_ready_nodes > 0:
            add(Instant("taint unreachable:NoExecute", unknown, first + SYNC_LATENCY))
    collected = _collection(plane, out_of_service, node_deleted)
    for pod in pods:
        evicted = _eviction(pod, plane, unknown, first + SYNC_LATENCY, out_of_service, resumed)
        if evicted is not None:
            add(Instant(f"{pod.name}: evicted", evicted[0], evicted[1]))
        gone = evicted is not None and collected is not None and evicted[0] <= collected[0]
        if collected is not None and (gone or node_deleted is not None):
            add(Instant(f"{pod.name}: Failed and removed", *collected))
    if resumed is not None:
        ready = resumed + plane.node_status_update_frequency / 2
        ready_tolerance = plane.node_status_update_frequency / 2 + SYNC_LATENCY
        if unknown is not None:
            add(Instant("Node Ready True", ready, ready_tolerance))
            add(Instant("taints removed", ready + period / 2, ready_tolerance + period / 2))
    found.instants.sort(key=lambda instant: instant.at)
    last = max((i.at for i in found.instants), default=0.0)
    found.end = end if end is not None else last + 5
    return found


def _eviction(pod: LostPod, plane: ControlPlane, unknown: float | None, tolerance: float,
              out_of_service: float | None, resumed: float | None) -> tuple[float, float] | None:
    """``(at, tolerance)`` of the taint-eviction controller deleting ``pod``: its toleration after the
    unreachable taint, or at once when the out-of-service taint (which no toleration of this model names)
    comes first; None when neither happens before the kubelet is back.

    Whichever trigger comes first wins, and each is only known within its own window, so the eviction falls
    between the earliest of the windows' starts and the earliest of their ends (:func:`_earliest`): when the
    two windows overlap, either trigger may be the one that acts."""
    candidates = []
    if pod.toleration_seconds is not None and unknown is not None and plane.other_ready_nodes > 0:
        candidates.append((unknown + pod.toleration_seconds, tolerance))
    if out_of_service is not None:
        candidates.append((out_of_service, SYNC_LATENCY))  # a taint someone adds at a known moment
    if not candidates:
        return None
    evicted = _earliest(candidates)
    if resumed is not None and resumed < evicted[0]:
        return None  # the node came back first: the taint went, the eviction was cancelled
    return evicted


def _earliest(windows: list[tuple[float, float]]) -> tuple[float, float]:
    """The window of the first of several events, each given as ``(at, tolerance)`` (seconds): it opens with
    the earliest opening and closes with the earliest closing, returned again as ``(middle, half width)``."""
    opens = min(at - tolerance for at, tolerance in windows)
    closes = min(at + tolerance for at, tolerance in windows)
    return (opens + closes) / 2, (closes - opens) / 2


def _collection(plane: ControlPlane, out_of_service: float | None,
                node_deleted: float | None) -> tuple[float, float] | None:
    """``(at, tolerance)`` of the Pod garbage collector removing terminating (or orphaned) Pods: its next run,
    half a period after the trigger on average; an orphan only after the quarantine as well."""
    half = plane.podgc_period / 2
    if out_of_service is not None:
        return out_of_service + half, half + SYNC_LATENCY
    if node_deleted is not None:
        return node_deleted + plane.orphan_quarantine + plane.podgc_period, plane.podgc_period + SYNC_LATENCY
    return None


# --- reading a recording -----------------------------------------------------------------------------------

def node_state(node: dict) -> dict:
    """The fields of a Node object (JSON, as the API server sends it) the chapter follows: its ``Ready``
    condition's status, reason and message, and its taints as ``key:Effect``."""
    ready: dict = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"),
                       {})
    return {"ready": ready.get("status"), "reason": ready.get("reason"), "message": ready.get("message"),
            "taints": [f"{t['key']}:{t['effect']}" for t in (node.get("spec") or {}).get("taints") or []]}


def pod_state(pod: dict) -> dict:
    """The fields of a Pod object the chapter follows: name, phase, ``Ready`` status, ``deletionTimestamp``
    (seconds since the epoch) and the ``DisruptionTarget`` condition's reason and message."""
    from .cluster.watching import parse_time

    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    target = conditions.get("DisruptionTarget")
    return {"pod": meta.get("name"), "phase": status.get("phase"),
            "ready": (conditions.get("Ready") or {}).get("status"),
            "deletion_timestamp": parse_time(meta.get("deletionTimestamp")),
            "disruption": None if target is None else {"reason": target.get("reason"),
                                                       "message": target.get("message")}}


def _first(changes: list[dict], since: float, test) -> float | None:
    return next((round(c["at"] - since, 2) for c in changes if test(c)), None)


def observed_instants(record: dict) -> dict[str, float]:
    """The instants of a recording (:mod:`podnotes.node.scenes.node_loss`), in seconds after the kubelet
    stopped, named as :func:`predict` names them; an instant that did not happen is missing. Raises
    ValueError when the record has no stop time or no watched change."""
    since = record.get("stopped_at")
    nodes, pods = record.get("node_changes") or [], record.get("pod_changes") or []
    if since is None or not nodes or not pods:
        raise ValueError("the recording holds no kubelet stop or no watched change")
    after = [c for c in nodes if c["at"] >= since]
    found: dict[str, float | None] = {
        "Node Ready Unknown": _first(after, since, lambda c: c["ready"] == "Unknown"),
        "taint unreachable:NoSchedule": _first(after, since, lambda c: f"{UNREACHABLE}:NoSchedule" in c["taints"]),
        "taint unreachable:NoExecute": _first(after, since, lambda c: f"{UNREACHABLE}:NoExecute" in c["taints"]),
    }
    names = sorted({c["pod"] for c in pods})
    not_ready = [_first(pods, since, lambda c, n=n: c["pod"] == n and c["at"] >= since and c["ready"] == "False")
                 for n in names]
    found["Pods Ready False"] = None if None in not_ready else max(t for t in not_ready if t is not None)
    for name in names:
        found[f"{name}: evicted"] = _first(pods, since, lambda c, n=name: c["pod"] == n and c["deletion_timestamp"])
        found[f"{name}: Failed and removed"] = _first(pods, since, lambda c, n=name: c["pod"] == n
                                                       and c["type"] == "DELETED")
    resumed = record.get("resumed_at")
    if resumed is not None:
        back = [c for c in nodes if c["at"] >= resumed]
        found["Node Ready True"] = _first(back, since, lambda c: c["ready"] == "True")
        # A kubelet back from a long stop may first report Ready False ("container runtime is down": its own
        # last runtime check is older than maxWaitForContainerRuntime, 30 s), and the controller swaps the
        # unreachable taints for not-ready ones until Ready: "removed" is when neither is left.
        found["taints removed"] = _first(back, since, lambda c: c["ready"] == "True" and not any(
            t.startswith((UNREACHABLE, NOT_READY)) for t in c["taints"]))
    return {what: at for what, at in found.items() if at is not None}


def prediction_for(record: dict) -> NodeLoss:
    """The prediction with the recording's own settings and moments: the test node's grace period, the Lease's
    last renewal, when the out-of-service taint went on and when the kubelet was continued."""
    since = record["stopped_at"]
    settings = record["settings"]
    plane = ControlPlane(node_monitor_grace_period=settings["node_monitor_grace_period"])
    renewal = record.get("last_renewal")
    pods = [LostPod("patient", DEFAULT_TOLERATION_SECONDS, settings["grace"]),
            LostPod("short", settings["short_toleration"], settings["grace"])]
    return predict(pods, plane, last_renewal=None if renewal is None else min(0.0, renewal - since),
                   out_of_service=record["out_of_service_at"] - since, resumed=record["resumed_at"] - since,
                   end=record["ready_again_at"] - since + 3)


def compare(record: dict) -> list[Row]:
    """Each predicted instant next to the observed one (a missing partner makes the row disagree)."""
    observed = observed_instants(record)
    return [Row(i.what, round(i.at, 1), observed.get(i.what), round(i.tolerance, 1))
            for i in prediction_for(record).instants]


def phases_seen(record: dict, pod: str) -> list[str]:
    """The phases a Pod showed in the watch, in order, each once: ``Running``, then ``Failed`` just before
    the Pod garbage collector deleted it."""
    seen: list[str] = []
    for change in record.get("pod_changes") or []:
        if change["pod"] == pod and change["phase"] and (not seen or seen[-1] != change["phase"]):
            seen.append(change["phase"])
    return seen


def last_state(record: dict, pod: str) -> dict:
    """The last state a watch delivered of ``pod`` (its DELETED event carries the object as deleted)."""
    states = [c for c in record.get("pod_changes") or [] if c["pod"] == pod]
    if not states:
        raise KeyError(f"no watched change of the Pod {pod}")
    return states[-1]


# --- the picture -------------------------------------------------------------------------------------------

#: Every word the figure shows, by role (an edition in another language swaps the values).
LABELS = {
    "node": "Node", "taint": "unreachable\ntaint", "pod": "Pod {pod}",
    "Ready": "Ready", "Unknown": "Unknown / not Ready", "NoExecute": "NoExecute taint",
    "Terminating": "Terminating", "removed": "Failed, removed",
    "time": "seconds after the kubelet stopped", "simulated": "predicted", "observed": "observed",
}
STATE_COLOURS = {"Ready": "#009E73", "Unknown": "#E69F00", "NoExecute": "#D55E00", "Terminating": "#CC79A7"}


def spans(instants: dict[str, float], pods: list[str], end: float) -> dict[str, list[tuple[float, float, str]]]:
    """Each lane's ``(start, end, state)`` spans from a set of named instants (:func:`predict`'s or
    :func:`observed_instants`'): ``node`` (Ready, Unknown, Ready again), ``taint`` (the NoExecute taint) and
    one lane per Pod (Ready, not Ready, Terminating until removed)."""
    def cut(points: list[tuple[float | None, str | None]]) -> list[tuple[float, float, str]]:
        marks = [(at, state) for at, state in points if at is not None]
        found = []
        for (start, state), (stop, _) in zip(marks, [*marks[1:], (end, None)], strict=True):
            if state is not None and stop > start:
                found.append((start, min(stop, end), state))
        return found

    get = instants.get
    lanes = {"node": cut([(0.0, "Ready"), (get("Node Ready Unknown"), "Unknown"), (get("Node Ready True"), "Ready")]),
             "taint": cut([(get("taint unreachable:NoExecute"), "NoExecute"), (get("taints removed"), None)])}
    for pod in pods:
        lanes[pod] = cut([(0.0, "Ready"), (get("Pods Ready False"), "Unknown"), (get(f"{pod}: evicted"), "Terminating"),
                          (get(f"{pod}: Failed and removed"), None)])
    return lanes


def bilingual_figure(predicted: NodeLoss, observed: dict[str, float] | None = None):
    """:func:`figure` with English and with Chinese labels (the ``nodeloss`` table of
    podnotes/data/figure-labels.zh-CN.yml), as a ``podnotes.diagrams.BilingualDiagram``: one execution serves
    both editions, each showing its own."""
    from .diagrams import BilingualDiagram, Diagram, label_table

    chinese = {**LABELS, **label_table()["nodeloss"]}
    return BilingualDiagram(Diagram("node-loss", figure(predicted, observed), alt="", language="en"),
                            Diagram("node-loss", figure(predicted, observed, labels=chinese), alt="",
                                    language="zh"))


def figure(predicted: NodeLoss, observed: dict[str, float] | None = None, title: str = "",
           labels: dict[str, str] | None = None):
    """The predicted timeline (filled, upper half of each lane) and, when given, the observed instants
    (hatched, lower half); an X marks a Pod's removal. A ``matplotlib.figure.Figure`` 3.8 in wide, with
    ``labels`` (default :data:`LABELS`, the English words)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from . import plot

    words = labels or LABELS

    pods = [pod.name for pod in predicted.pods]
    keys = ["node", "taint", *pods]
    lane_labels = [words["node"], words["taint"], *(words["pod"].format(pod=p) for p in pods)]
    rows = {key: len(keys) - 1 - index for index, key in enumerate(keys)}
    legend_rows = (5 + (2 if observed is not None else 0) + 1) // 2
    legend_inches = legend_rows * 0.22 + 0.1
    height = plot.TOP_INCHES + plot.LANE_INCHES * len(keys) + plot.AXIS_INCHES + legend_inches
    width = plot.WIDTH_INCHES
    end = predicted.end
    with plot._style():
        fig = Figure(figsize=(width, height), dpi=plot.DPI)
        fig.subplots_adjust(left=plot.LEFT_INCHES / width, right=1 - plot.RIGHT_INCHES / width,
                            top=1 - plot.TOP_INCHES / height,
                            bottom=(plot.AXIS_INCHES + legend_inches) / height)
        ax = fig.add_subplot()
        if title:
            ax.set_title(title, fontsize=plot.TITLE_POINTS, loc="left")
        ax.set_yticks([rows[k] for k in keys], lane_labels)
        ax.set_ylim(-0.6, len(keys) - 0.4)
        ax.set_xlim(0, end)
        ax.set_xlabel(words["time"])
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        layers = [(predicted_instants(predicted), 0.18 if observed is not None else 0.0, False)]
        if observed is not None:
            layers.append((observed, -0.18, True))
        size = 0.3 if observed is not None else 0.5
        for instants, offset, hollow in layers:
            for key, found in spans(instants, pods, end).items():
                for start, stop, state in found:
                    colour = STATE_COLOURS[state]
                    ax.barh(rows[key] + offset, stop - start, left=start, height=size, zorder=2,
                            color="none" if hollow else colour, edgecolor=colour, hatch="///" if hollow else None,
                            linewidth=1.0 if hollow else 0)
            for pod in pods:
                gone = instants.get(f"{pod}: Failed and removed")
                if gone is not None:
                    ax.plot([gone], [rows[pod] + offset], marker="X", color="#000000", markersize=7, zorder=3,
                            linestyle="none")
        handles: list = [Patch(color=STATE_COLOURS[s], label=words[s]) for s in STATE_COLOURS]
        handles.append(ax.plot([], [], marker="X", color="#000000", linestyle="none", label=words["removed"])[0])
        if observed is not None:
            handles += [Patch(color="#777777", label=words["simulated"]),
                        Patch(facecolor="none", edgecolor="#777777", hatch="///", label=words["observed"])]
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 0.0), ncol=2, frameon=False,
                   fontsize=plot.FONT_POINTS, handlelength=1.2, columnspacing=0.8, borderaxespad=0.2)
    return fig


def predicted_instants(predicted: NodeLoss) -> dict[str, float]:
    return {instant.what: instant.at for instant in predicted.instants}


# --- what the chapter prints -------------------------------------------------------------------------------

def step(record: dict, name: str) -> dict:
    """One recorded moment of the scene (``before``, ``not ready``, ``evicted``, ``past its deadline``,
    ``collected``, ``back``): its ``after_stop`` (seconds) and the kubectl ``runs``. Raises KeyError."""
    found = [s for s in record.get("steps") or [] if s["step"] == name]
    if not found:
        raise KeyError(f"no recorded step {name!r}")
    return found[0]


def step_text(record: dict, name: str, width: int = 84) -> str:
    """The kubectl runs of one step as a terminal shows them, under a line saying when they ran."""
    from .cluster.describe import terminal

    found = step(record, name)
    when = ("before the kubelet stopped" if found["after_stop"] is None
            else f"{found['after_stop']:.0f} s after the kubelet stopped")
    return "\n".join([f"# {when}", *(terminal(run, width) for run in found["runs"])])


def kubectl_column(record: dict, name: str, pod: str, column: str, command: str = "kubectl get pods") -> str | None:
    """One cell of a recorded ``kubectl get`` table (None when the row or the table is missing)."""
    run = next((r for r in step(record, name)["runs"] if r["command"] == command), None)
    lines = (run or {}).get("stdout", "").splitlines()
    if not lines:
        return None
    header = lines[0].split()
    row = next((line.split() for line in lines[1:] if line.split() and line.split()[0] == pod), None)
    if row is None or column not in header:
        return None
    return row[header.index(column)]


def agreement_rows(rows: list[Row]) -> list[list]:
    """The comparison as table rows: instant, predicted, observed, difference, tolerance (seconds)."""
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1) + 0.0  # + 0.0: never "-0"

    return [[row.what, row.simulated, rounded(row.observed), rounded(row.difference), row.tolerance] for row in rows]
