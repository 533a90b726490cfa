"""The termination scene without the node: its Pods, what their programs write, and how the records become
timelines to set beside the simulator's.

Every container of the scene runs :data:`RECORDER`, a busybox shell script that appends to a file on a
hostPath volume: ``start``, a ``beat`` every 0.2 s, ``TERM`` when SIGTERM arrives and ``EXIT`` just before it
exits by itself. Each line carries ``/proc/uptime`` (CLOCK_BOOTTIME, the same inside the container: a Pod has
no time namespace), which :func:`wall_clock_offset` turns into wall-clock time. The last ``beat`` of a
container that never wrote ``EXIT`` is when SIGKILL stopped it (within 0.2 s). A shell runs a trap only
once the foreground command is over, so a ``TERM`` line can be up to 0.2 s late.

Sources (kubernetes/kubernetes v1.37.2): ``CheckGracefulDelete`` (pkg/registry/core/pod/strategy.go),
``BeforeDelete`` (staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go), ``killContainer`` and
``executePreStopHook`` (pkg/kubelet/kuberuntime/kuberuntime_container.go), ``newTerminationOrdering``
(kuberuntime_termination_order.go), ``calculateEffectiveGracePeriod`` (pkg/kubelet/pod_workers.go),
``podToEndpoint`` (staging/src/k8s.io/endpointslice/utils.go), ``runSleepHandler``
(pkg/kubelet/lifecycle/handlers.go).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..probes import Behaviour, ContainerBehaviour
from ..probes.timeline import Event, Timeline

IMAGE = "registry.k8s.io/busybox:1.27.2"
RECORD_MOUNT = "/record"
SERVICE = "web"
FINALIZER = "podnotes.example/hold"
FINALIZER_HELD = 12.0  # seconds after the deletion at which the scene removes the finalizer
BEAT = 0.2  # seconds between heartbeats

RECORDER = """f=${RECORD_DIR:-/record}/$RECORD
up() { cut -d' ' -f1 /proc/uptime; }
on_term() {
  echo "TERM $(up)" >> $f
  if [ "$ON_TERM" = exit ]; then sleep "$EXIT_AFTER"; echo "EXIT $(up)" >> $f; exit 0; fi
}
trap on_term TERM
echo "start $(up)" >> $f
while true; do echo "beat $(up)" >> $f; usleep 200000; done
"""


@dataclass(frozen=True)
class Case:
    """One Pod of the scene: how it is deleted and what the simulator is told of its programs."""

    name: str
    manifest: dict
    containers: dict[str, ContainerBehaviour]
    delete_grace: int | None = None  # DeleteOptions.gracePeriodSeconds; None: the Pod's own
    finalizer: bool = False

    def behaviour(self, delete_at: float) -> Behaviour:
        held = delete_at + FINALIZER_HELD if self.finalizer else None
        return Behaviour(self.containers, delete_at=delete_at, delete_grace_seconds=self.delete_grace,
                         finalizers_removed_at=held)


def recorder(pod: str, name: str, on_term: str = "exit", exit_after: float = 0.0, **fields) -> dict:
    """A container running :data:`RECORDER` into ``/record/<pod>-<name>``; ``on_term`` exit or ignore."""
    env = {"RECORD": f"{pod}-{name}", "ON_TERM": on_term, "EXIT_AFTER": f"{exit_after:g}"}
    return {"name": name, "image": IMAGE, "command": ["sh", "-c", RECORDER],
            "env": [{"name": key, "value": value} for key, value in env.items()],
            "volumeMounts": [{"name": "record", "mountPath": RECORD_MOUNT}], **fields}


def _pod(name: str, containers: list[dict], grace: int, *, init: list[dict] | None = None,
         labels: dict | None = None, finalizers: list[str] | None = None) -> dict:
    metadata: dict = {"name": name, "labels": labels or {"scene": "termination"}}
    if finalizers:
        metadata["finalizers"] = finalizers
    spec: dict = {"terminationGracePeriodSeconds": grace, "containers": containers,
                  "volumes": [{"name": "record", "hostPath": {"path": "RECORDS", "type": "Directory"}}]}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def cases() -> list[Case]:
    """The scene's Pods: two behind a Service (with and without a preStop sleep), a program that ignores
    SIGTERM, a sidecar pair, a force deletion and a finalizer."""
    web = {"scene": "termination", "app": SERVICE}
    on_term = ContainerBehaviour(sigterm_exit_code=0)
    ignores = ContainerBehaviour(sigterm="ignore")
    sleep5: dict[str, Any] = {"lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}
    return [
        Case("web-prestop", _pod("web-prestop", [recorder("web-prestop", "app", **sleep5)], 30, labels=web),
             {"app": ContainerBehaviour(sigterm_exit_code=0, pre_stop_seconds=5.0)}),
        Case("web-plain", _pod("web-plain", [recorder("web-plain", "app")], 30, labels=web), {"app": on_term}),
        Case("ignores-term", _pod("ignores-term", [recorder("ignores-term", "app", on_term="ignore")], 6),
             {"app": ignores}),
        Case("sidecars", _pod("sidecars", [recorder("sidecars", "app", exit_after=2)], 20, init=[
            recorder("sidecars", "log-shipper", restartPolicy="Always"),
            recorder("sidecars", "proxy", exit_after=1, restartPolicy="Always")]),
            {"app": ContainerBehaviour(sigterm_exit_code=0, sigterm_exit_after=2.0),
             "proxy": ContainerBehaviour(sigterm_exit_code=0, sigterm_exit_after=1.0), "log-shipper": on_term}),
        Case("forced", _pod("forced", [recorder("forced", "app", on_term="ignore")], 30), {"app": ignores},
             delete_grace=0),
        Case("finalized", _pod("finalized", [recorder("finalized", "app")], 5, finalizers=[FINALIZER]),
             {"app": on_term}, finalizer=True),
    ]


def with_records_dir(manifest: dict, folder: str) -> dict:
    """The manifest with its hostPath volume pointing at ``folder`` (the scene's own folder on the host)."""
    import copy

    manifest = copy.deepcopy(manifest)
    for volume in manifest["spec"]["volumes"]:
        if volume.get("hostPath", {}).get("path") == "RECORDS":
            volume["hostPath"]["path"] = folder
    return manifest


@dataclass
class ProgramRecord:
    """What one container's recorder wrote, in seconds of CLOCK_BOOTTIME."""

    started: list[float] = field(default_factory=list)
    term: list[float] = field(default_factory=list)
    exited: float | None = None
    last_beat: float | None = None

    @property
    def stopped(self) -> float | None:
        """When the program ended: its own exit, else its last heartbeat (SIGKILL)."""
        return self.exited if self.exited is not None else self.last_beat


def parse_record(text: str) -> ProgramRecord:
    """Read a recorder file; lines that are cut short (a write interrupted by SIGKILL) are skipped."""
    record = ProgramRecord()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        try:
            at = float(parts[1])
        except ValueError:
            continue
        if parts[0] == "start":
            record.started.append(at)
        elif parts[0] == "beat":
            record.last_beat = at
        elif parts[0] == "TERM":
            record.term.append(at)
        elif parts[0] == "EXIT":
            record.exited = at
    return record


def wall_clock_offset() -> float:
    """Seconds to add to a CLOCK_BOOTTIME reading (``/proc/uptime``) to get wall-clock (Unix) time."""
    return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)


def endpoint_states(slices: list[dict]) -> dict[str, tuple[bool, bool, bool]]:
    """(ready, serving, terminating) of every Pod address in the EndpointSlices, by Pod name."""
    states = {}
    for item in slices:
        for endpoint in item.get("endpoints") or []:
            target = endpoint.get("targetRef") or {}
            if target.get("kind") != "Pod":
                continue
            conditions = endpoint.get("conditions") or {}
            states[target["name"]] = (bool(conditions.get("ready")), bool(conditions.get("serving")),
                                      bool(conditions.get("terminating")))
    return states


def observed_with_records(observed: Timeline, created: float, deleted: float, removed: float | None,
                          programs: dict[str, ProgramRecord], boot_offset: float,
                          kills: list[Event] | None = None) -> Timeline:
    """The API server's view of a Pod (``observed``, seconds since ``created``) with what its watch cannot
    show: the deletion request, when SIGTERM reached each program and when it ended (from the programs' own
    records: the API reports exits only with its next status update, and not at all once the object is
    gone), ``kills`` (its ``Killing`` Events, listed after the object went) and when the object was removed.
    ``boot_offset`` turns the records' CLOCK_BOOTTIME into wall-clock time (:func:`wall_clock_offset`)."""
    recorded = {name for name, record in programs.items() if record.term and record.stopped is not None}
    codes = {event.container: event.exit_code for event in observed.events if event.kind == "exit"}
    events = [event for event in observed.events if not (event.kind == "exit" and event.container in recorded)]
    killed = {event.container for event in events if event.kind == "kill"}
    events += [event for event in kills or [] if event.container not in killed]
    events.append(Event(time=round(deleted - created, 3), kind="delete"))
    for container, record in programs.items():
        for at in record.term[:1]:
            events.append(Event(time=round(at + boot_offset - created, 3), kind="stop", container=container))
        if container in recorded:
            code = codes.get(container)
            if code is None:
                code = 0 if record.exited is not None else 137
            events.append(Event(time=round(record.stopped + boot_offset - created, 3), kind="exit",  # type: ignore[operator]
                                container=container, exit_code=code))
    if removed is not None:
        events.append(Event(time=round(removed - created, 3), kind="removed"))
    events.sort(key=lambda event: event.time)
    # once the object is gone nothing more is observed: the timeline ends with its last event
    end = max(event.time for event in events) if removed is not None else max(
        [observed.duration] + [event.time for event in events])
    return Timeline(pod=observed.pod, duration=round(end, 3), events=events, containers=observed.containers,
                    probes=observed.probes, source="observed")


def killing_events(events: list[dict], pod: str, created: float) -> list[Event]:
    """The ``Killing`` Events of Pod ``pod`` among Kubernetes Event objects, as timeline kills (seconds since
    ``created``); they outlive the Pod, so they are read after it has gone."""
    from ..cluster.watching import event_from_kubernetes_event, parse_time

    found = []
    for item in events:
        involved = item.get("involvedObject") or {}
        if involved.get("kind") != "Pod" or involved.get("name") != pod or item.get("reason") != "Killing":
            continue
        when = parse_time(item.get("lastTimestamp") or item.get("eventTime") or
                          (item.get("metadata") or {}).get("creationTimestamp"))
        if when is None:
            continue
        event = event_from_kubernetes_event(item, round(when - created, 3))
        if event is not None and event.container:
            found.append(event)
    return found


def seconds_after(events: list[Event], kind: str, deleted_at: float, container: str | None = None) -> list[float]:
    """Times of ``kind`` events (of ``container``) counted from the deletion, rounded to 0.1 s."""
    return [round(event.time - deleted_at, 1) for event in events
            if event.kind == kind and (container is None or event.container == container)]


# --- for the chapter: the scene's record as overlays, and whether this copy has it ---------------------------

SCENE = "termination"
WHAT = "these deletions on a real kubelet"


def overlays_from_scene(scene: dict | None) -> dict:
    """Each Pod of a scene record as a :class:`podnotes.node.overlays.Overlay` (the simulation shifted onto
    the observed clock); empty when there is no record or it holds an error."""
    from .overlays import Overlay

    if not scene or "error" in scene:
        return {}
    found = {}
    for pod in scene.get("pods") or []:
        rows = pod["rows"]
        gaps = [abs(row["difference"]) for row in rows if row["difference"] is not None]
        found[pod["name"]] = Overlay(
            name=pod["name"], simulated=Timeline.from_dict(pod["simulated"]).shifted(pod["offset"]),
            observed=Timeline.from_dict(pod["observed"]), offset=pod["offset"],
            largest_difference=max(gaps, default=0.0), rows=rows)
    return found


def real_part(chapter: str = "termination", folder=None):
    """``(scene, part)``: the scene's record when it is there, current and without error (else None), and the
    :class:`podnotes.provenance.Part` that tells the reader whether the deletions ran on a real kubelet."""
    from .. import provenance
    from .observe import observations_state, reasons_node_cannot_run
    from .scenes import load_scene

    state = observations_state(folder)
    scene = load_scene(SCENE, state.folder) if state.current else None
    if scene and "error" not in scene and scene.get("pods"):
        return scene, provenance.Part(chapter, WHAT, True, used=provenance._node_used(state.folder))
    cannot = reasons_node_cannot_run()
    if cannot:
        reason = provenance._cannot_sentence(cannot)
    elif not state.present:
        reason = "This machine could run them, but they were not run before this copy was built"
    elif not state.current:
        reason = "The observations on this machine belong to other examples or another Kubernetes release"
    else:
        reason = f"The scene failed on the node: {(scene or {}).get('error', 'no record')}"
    command = provenance.ROOT_BOOK_COMMAND if any(r.startswith("root") for r in cannot) else provenance.BOOK_COMMAND
    fallback = "No observed timeline is drawn here; the simulations above stand alone."
    return None, provenance.Part(chapter, WHAT, False, reason, command, fallback=fallback)


def program_times(scene: dict) -> dict[str, dict[str, dict[str, float | None]]]:
    """For each Pod and container of the scene: SIGTERM and the end of the program, in seconds after the
    Pod's deletion request, as observed (from the programs' records)."""
    found: dict[str, dict[str, dict[str, float | None]]] = {}
    for pod in scene.get("pods") or []:
        observed = Timeline.from_dict(pod["observed"])
        deleted = pod["deleted"]
        per_container: dict[str, dict[str, float | None]] = {}
        for info in observed.containers:
            term = seconds_after(observed.events, "stop", deleted, info.name)
            ended = seconds_after(observed.events, "exit", deleted, info.name)
            ended = [t for t in ended if t >= -0.5]
            per_container[info.name] = {"SIGTERM": term[0] if term else None, "ended": ended[-1] if ended else None}
        found[pod["name"]] = per_container
    return found


def endpoint_rows(scene: dict) -> list[list]:
    """The scene's EndpointSlice changes as table rows: Pod, seconds after its deletion, its entry."""
    rows = []
    for change in scene.get("endpoints") or []:
        if change["in_slice"]:
            entry = ", ".join(f"{key}: {str(change[key]).lower()}" for key in ("ready", "serving", "terminating"))
        else:
            entry = "removed from the slice"
        rows.append([change["pod"], change["after_deletion"], entry])
    return rows


def terminating_at(scene: dict, pod: str) -> float | None:
    """When ``pod``'s EndpointSlice entry turned terminating, in seconds after its deletion (None: never seen)."""
    times = [change["after_deletion"] for change in scene.get("endpoints") or []
             if change["pod"] == pod and change["in_slice"] and change.get("terminating")]
    return times[0] if times else None


def deletion_rows(scene: dict) -> list[list]:
    """Per Pod of the scene: the grace period the delete request asked for and how far after the request the
    API server put ``deletionTimestamp`` (whole seconds: the field has no fraction)."""
    rows = []
    for pod in scene.get("pods") or []:
        asked = "the Pod's" if pod["delete_grace"] is None else pod["delete_grace"]
        rows.append([pod["name"], asked, pod["deletion_timestamp_after_request"]])
    return rows


def race_markdown(scene: dict | None):
    """One paragraph on the race between the EndpointSlice change and SIGTERM as this build's node saw it, in
    English and Chinese (:class:`podnotes.notices.Notice`: one execution serves both editions), or None without
    a record (then the page says nothing of it)."""
    from ..notices import Notice

    if not scene or "error" in scene:
        return None
    times = program_times(scene)
    plain, hooked = terminating_at(scene, "web-plain"), terminating_at(scene, "web-prestop")
    plain_term, hooked_term = times["web-plain"]["app"]["SIGTERM"], times["web-prestop"]["app"]["SIGTERM"]
    if plain is None or hooked is None or plain_term is None or hooked_term is None:
        return None
    race = plain_term - plain
    order = "after" if race >= 0 else "before"
    early = hooked_term - hooked
    english = (
        f"In this build, `web-plain` got `SIGTERM` {abs(race):.1f} s {order} its EndpointSlice entry turned "
        f"terminating: a node's kube-proxy a little behind could still have sent it a new connection. "
        f"`web-prestop`'s entry changed {early:.1f} s before its `SIGTERM`, thanks to the `preStop` sleep.")
    chinese = (
        f"在这次构建中，`web-plain` 在它的 EndpointSlice 条目变为 terminating {'之后' if race >= 0 else '之前'} "
        f"{abs(race):.1f} s 收到了 `SIGTERM`：某个节点上稍有滞后的 kube-proxy 仍可能把新连接发给它。"
        f"`web-prestop` 的条目则在它收到 `SIGTERM` 之前 {early:.1f} s 就已改变，这要归功于 `preStop` 中的 sleep。")
    return Notice(english, chinese)
