"""The exercise set: each has a statement, hints, the objects set-up puts in every namespace, and a check
that reads the participant's namespace through the API.

A check gets a :class:`NamespaceView` (the namespace's Pods, ConfigMaps and Events as the API server
returns them, camelCase keys) and returns a :class:`Result`: ``passed``, ``not yet`` (nothing to judge, or
the kubelet has not got there yet) or ``failing`` (there is something, and it is wrong; ``hint`` says what
to look at). Checks only read; they never change the namespace.

The status fields read are those the kubelet writes (``status.containerStatuses[].state``, ``lastState``,
``restartCount``, ``started``, ``ready``; the ``Ready`` condition) and the Events it records (reason
``Killing``, "Container X failed liveness probe, will be restarted"): see
pkg/kubelet/kuberuntime/kuberuntime_container.go and pkg/kubelet/prober/prober_manager.go upstream, and
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

PASSED, NOT_YET, FAILING = "passed", "not yet", "failing"
PREDICTION_ANNOTATION = "workshop.podnotes.io/predicted-kill"
IMAGE = "registry.k8s.io/busybox:1.27.2"
DEFAULT_PERIOD = 10  # probe periodSeconds when not given (k8s.io/api/core/v1 Probe)
MIN_STARTUP_HOLD = 5  # seconds a startup probe must hold readiness back


@dataclass(frozen=True)
class Result:
    state: str  # passed, not yet, failing
    detail: str
    hint: str = ""


@dataclass
class NamespaceView:
    """What a check may read of one namespace: objects by name (as the API returns them)."""

    namespace: str
    pods: dict[str, dict] = field(default_factory=dict)
    configmaps: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)

    def events_of(self, pod: dict) -> list[dict]:
        uid = (pod.get("metadata") or {}).get("uid")
        return [event for event in self.events if (event.get("involvedObject") or {}).get("uid") == uid]


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` (short, for the board), ``title``, ``chapter`` (where the book explains it),
    ``statement``, ``hints`` (shown one by one), ``check`` and the ``seed`` objects set-up creates."""

    id: str
    title: str
    chapter: str
    statement: str
    hints: tuple[str, ...]
    check: Callable[[NamespaceView], Result]
    seed: tuple[dict, ...] = ()

    def run(self, view: NamespaceView) -> Result:
        try:
            return self.check(view)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            # An object shaped unlike any the API server returns: say so rather than stop the board.
            return Result(FAILING, f"could not read the objects ({type(err).__name__}: {str(err)[:80]})",
                          self.hints[0] if self.hints else "")


# --- helpers over API objects ---------------------------------------------------------------------
def when(text: str | None) -> datetime | None:
    """An RFC 3339 time as the API server writes it (``2026-11-30T21:00:00Z``), or None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def containers(pod: dict, kind: str = "containers") -> list[dict]:
    return list((pod.get("spec") or {}).get(kind) or [])


def statuses(pod: dict, kind: str = "containerStatuses") -> dict[str, dict]:
    return {status["name"]: status for status in (pod.get("status") or {}).get(kind) or []}


def condition(pod: dict, kind: str) -> dict:
    return next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == kind), {})


def _missing(name: str, how: str) -> Result:
    return Result(NOT_YET, f"no Pod {name} in your namespace yet", how)


# --- 1. a liveness kill at a predicted time (chapter "Probe timing") ----------------------------------------
def check_liveness_on_time(view: NamespaceView) -> Result:
    pod = view.pods.get("predicted")
    if pod is None:
        return _missing("predicted", LIVENESS.hints[0])
    probed = [c for c in containers(pod) if c.get("livenessProbe")]
    if not probed:
        return Result(FAILING, "Pod predicted has no container with a livenessProbe", LIVENESS.hints[0])
    container = probed[0]
    annotation = ((pod.get("metadata") or {}).get("annotations") or {}).get(PREDICTION_ANNOTATION)
    try:
        predicted = float(annotation)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return Result(FAILING, f"no prediction: annotation {PREDICTION_ANNOTATION} is {annotation!r}, not a "
                               "number of seconds", LIVENESS.hints[1])
    status = statuses(pod).get(container["name"]) or {}
    terminated = (status.get("lastState") or {}).get("terminated")
    if not status.get("restartCount") or not terminated:
        return Result(NOT_YET, f"container {container['name']} has not been killed yet (predicted: "
                               f"{predicted:g} s after its start)", LIVENESS.hints[2])
    if not any("liveness" in (event.get("message") or "") for event in view.events_of(pod)
               if event.get("reason") == "Killing"):
        return Result(FAILING, f"container {container['name']} stopped by itself (exit code "
                               f"{terminated.get('exitCode')}), not because its liveness probe failed",
                      LIVENESS.hints[0])
    lived = (when(terminated["finishedAt"]) - when(terminated["startedAt"])).total_seconds()  # type: ignore[operator]
    tolerance = (container["livenessProbe"].get("periodSeconds") or DEFAULT_PERIOD) + 2
    if abs(lived - predicted) > tolerance:
        return Result(FAILING, f"killed {lived:.0f} s after its start; you predicted {predicted:g} s "
                               f"(allowed: ±{tolerance} s)", LIVENESS.hints[3])
    return Result(PASSED, f"killed {lived:.0f} s after its start, predicted {predicted:g} s")


LIVENESS = Exercise(
    "liveness", "A liveness kill you predicted", "8. Probes",
    "Create a Pod named `predicted` whose liveness probe starts failing at some point, so that the kubelet "
    f"kills its container. Before you create it, write in the annotation `{PREDICTION_ANNOTATION}` the "
    "number of seconds after the container's start at which you expect the container to stop. The check "
    "passes when the kubelet killed it for its liveness probe within one probe period (plus 2 s) of your "
    "prediction.",
    ("The probe fails when its command exits non-zero: `cat /tmp/healthy` after the program removed "
     "/tmp/healthy (chapters/manifests/exec-liveness.yaml does this).",
     f"Put the prediction in metadata.annotations: `{PREDICTION_ANNOTATION}: \"35\"` (a string).",
     "Wait: the first probe runs initialDelaySeconds after the start, then every periodSeconds; "
     "`kubectl get pod predicted -w` shows RESTARTS go to 1.",
     "Count: the first failing probe, failureThreshold - 1 more periods, then the stop itself: a shell as PID 1 "
     "ignores SIGTERM, so the kubelet waits terminationGracePeriodSeconds (30 s) before SIGKILL. "
     "`podnotes timeline -f your-pod.yaml` computes it."),
    check_liveness_on_time)


# --- 2. the seed's template, accepted (chapter 10) ---------------------------------------------------
def check_seed_accepted(view: NamespaceView) -> Result:
    pod = view.pods.get("nginx")
    if pod is None:
        return _missing("nginx", SEED.hints[0])
    labels = (pod.get("metadata") or {}).get("labels") or {}
    names = {c.get("name") for c in containers(pod)}
    if labels.get("app") != "nginx" or "nginx" not in names or not containers(pod, "initContainers"):
        return Result(FAILING, "Pod nginx is not the seed's Pod (label app=nginx, container nginx, an init "
                               "container)", SEED.hints[1])
    nginx = next(c for c in containers(pod) if c.get("name") == "nginx")
    dropped = [probe for probe in ("startupProbe", "readinessProbe", "livenessProbe") if not nginx.get(probe)]
    if dropped:
        return Result(FAILING, f"the accepted Pod lost its {', '.join(dropped)}: fix probes, do not remove them",
                      SEED.hints[1])
    return Result(PASSED, "the API server accepted the seed's Pod with its three probes")


SEED = Exercise(
    "seed", "The seed's template, accepted", "10. The Pod template",
    "Start from chapters/manifests/seed-full-template.yaml and change it until the API server of the workshop "
    "accepts it in your namespace as Pod `nginx`. Keep its labels, containers and probes: fix them, do not "
    "remove them. The image need not start.",
    ("`podnotes lint -f seed-full-template.yaml` lists what the server would refuse, with lines; "
     "`kubectl create --dry-run=server -f` asks the server itself.",
     "A probe has exactly one handler; the namespace is yours (not default); and your namespace's "
     "LimitRange and ResourceQuota (`kubectl describe quota,limits`) refuse the template's resources."),
    check_seed_accepted)


# --- 3. why is it in CrashLoopBackOff (chapter 7) -----------------------------------------------------
CRASHER = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crasher", "labels": {"app": "crasher"}},
    "spec": {
        "terminationGracePeriodSeconds": 2,
        "containers": [{
            "name": "app", "image": IMAGE,
            "command": ["sh", "-c", 'if [ -z "$GREETING" ]; then echo "crasher: nothing to say" >&2; exit 3; fi; '
                                    'echo "$GREETING"; trap "exit 0" TERM; while true; do sleep 1; done'],
            "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {
                "name": "crasher-config", "key": "greeting", "optional": True}}}],
        }],
    },
}


def check_crashloop(view: NamespaceView) -> Result:
    pod = view.pods.get("crasher")
    if pod is None:
        return Result(NOT_YET, "the Pod crasher is gone", "ask the instructor to reset your namespace "
                                                         "(`podnotes workshop reset NAME`)")
    config = view.configmaps.get("crasher-config")
    status = statuses(pod).get("app") or {}
    running = "running" in (status.get("state") or {})
    if config is None or "greeting" not in (config.get("data") or {}):
        return Result(NOT_YET, f"crasher keeps crashing (restarts: {status.get('restartCount', 0)})",
                      CRASHLOOP.hints[0])
    if not running:
        return Result(NOT_YET, "crasher-config is there; crasher has not restarted with it yet", CRASHLOOP.hints[2])
    return Result(PASSED, f"crasher runs, after {status.get('restartCount', 0)} restarts")


CRASHLOOP = Exercise(
    "crashloop", "Why is crasher in CrashLoopBackOff?", "7. The Pod lifecycle",
    "Your namespace has a Pod `crasher` that is in CrashLoopBackOff. Find out why, from what the API server "
    "and the kubelet tell you, and fix the cause without changing the Pod. The check passes when crasher runs.",
    ("`kubectl logs crasher --previous` shows what the last run said; `kubectl get pod crasher -o yaml` shows "
     "where its environment comes from.",
     "An optional configMapKeyRef lets the container start without the key; the program then has nothing to "
     "say.",
     "The kubelet starts the container again only at the end of the back-off (10 s, doubling up to 5 min); "
     "`kubectl get pod crasher -w` shows it."),
    check_crashloop, seed=(CRASHER,))


# --- 4. an init container finishes before the app starts (chapter 9) -------------------------------------
def check_init_first(view: NamespaceView) -> Result:
    pod = view.pods.get("init-first")
    if pod is None:
        return _missing("init-first", INIT.hints[0])
    inits = containers(pod, "initContainers")
    if not inits:
        return Result(FAILING, "Pod init-first has no init container", INIT.hints[0])
    empty_dirs = {v["name"] for v in (pod.get("spec") or {}).get("volumes") or [] if "emptyDir" in v}
    mounted = lambda c: {m.get("name") for m in c.get("volumeMounts") or []} & empty_dirs  # noqa: E731
    if not any(mounted(i) & mounted(c) for i in inits for c in containers(pod)):
        return Result(FAILING, "no emptyDir volume is mounted by both an init container and an app container",
                      INIT.hints[1])
    init_states = statuses(pod, "initContainerStatuses")
    finished = []
    for init in inits:
        terminated = ((init_states.get(init["name"]) or {}).get("state") or {}).get("terminated")
        if not terminated:
            return Result(NOT_YET, f"init container {init['name']} has not finished", INIT.hints[2])
        if terminated.get("exitCode") != 0:
            return Result(FAILING, f"init container {init['name']} exited with {terminated.get('exitCode')}",
                          INIT.hints[2])
        finished.append(when(terminated.get("finishedAt")))
    app_states = statuses(pod)
    started = [when(((app_states.get(c["name"]) or {}).get("state") or {}).get("running", {}).get("startedAt"))
               for c in containers(pod)]
    if not all(started):
        return Result(NOT_YET, "the app containers are not all running", INIT.hints[2])
    if max(finished) > min(started):  # type: ignore[type-var, operator]
        return Result(FAILING, "an app container started before the init containers finished", INIT.hints[2])
    return Result(PASSED, f"{len(inits)} init container(s) finished, then {len(started)} app container(s) started")


INIT = Exercise(
    "init", "Init container first", "9. Init and ephemeral containers",
    "Create a Pod `init-first` whose init container writes a file into an emptyDir volume, and whose app "
    "container exits with an error unless that file is there. The check passes when the app runs, after the "
    "init container finished.",
    ("spec.initContainers run one after the other, each to completion, before any container of "
     "spec.containers starts (chapters/manifests/web-with-init.yaml).",
     "Both containers mount the same `emptyDir: {}` volume, each with a volumeMounts entry.",
     "`kubectl describe pod init-first` shows each init container's state and exit code; "
     "`kubectl logs init-first -c NAME` its output."),
    check_init_first)


# --- 5. Ready only after the startup probe (chapter "Probe timing") -----------------------------------------
def check_ready_after_startup(view: NamespaceView) -> Result:
    pod = view.pods.get("slow-ready")
    if pod is None:
        return _missing("slow-ready", STARTUP.hints[0])
    probed = [c for c in containers(pod) if c.get("startupProbe") and c.get("readinessProbe")]
    if not probed:
        return Result(FAILING, "no container of slow-ready has both a startupProbe and a readinessProbe",
                      STARTUP.hints[0])
    status = statuses(pod).get(probed[0]["name"]) or {}
    ready = condition(pod, "Ready")
    if ready.get("status") != "True" or not status.get("started"):
        return Result(NOT_YET, "slow-ready is not Ready yet", STARTUP.hints[1])
    started = when(((status.get("state") or {}).get("running") or {}).get("startedAt"))
    held = (when(ready.get("lastTransitionTime")) - started).total_seconds() if started else 0  # type: ignore[operator]
    if held < MIN_STARTUP_HOLD:
        return Result(FAILING, f"Ready {held:.0f} s after the start: the startup probe passed at once",
                      STARTUP.hints[2])
    return Result(PASSED, f"Ready {held:.0f} s after the start, once the startup probe passed")


STARTUP = Exercise(
    "startup", "Ready only after the startup probe", "8. Probes",
    "Create a Pod `slow-ready` whose program needs some seconds to start, with a startup probe that passes "
    "only once it has, and a readiness probe. The check passes when the Pod is Ready, at least "
    f"{MIN_STARTUP_HOLD} s after the container started: readiness is not probed until the startup probe passed.",
    ("chapters/manifests/slow-start.yaml has a startupProbe; the kubelet runs no liveness or readiness probe "
     "before the startup probe succeeded.",
     "`kubectl get pod slow-ready -w` shows READY turn 1/1; `kubectl describe` shows the failed startup "
     "probes as Events.",
     "Make the program create a file after a few seconds (`sleep 8; touch /tmp/started`) and let the startup "
     "probe `cat /tmp/started`."),
    check_ready_after_startup)


# --- 6. an ephemeral container with kubectl debug (chapters 9 and 11) -----------------------------------------
def check_debug(view: NamespaceView) -> Result:
    debugged = [pod for pod in view.pods.values() if containers(pod, "ephemeralContainers")]
    if not debugged:
        return Result(NOT_YET, "no Pod in your namespace has an ephemeral container yet", DEBUG.hints[0])
    for pod in debugged:
        for name, status in statuses(pod, "ephemeralContainerStatuses").items():
            state = status.get("state") or {}
            if "running" in state or "terminated" in state:
                return Result(PASSED, f"ephemeral container {name} ran in Pod {pod['metadata']['name']}")
    return Result(NOT_YET, "the ephemeral container has not started yet", DEBUG.hints[1])


DEBUG = Exercise(
    "debug", "A debugging container in a running Pod", "9. Init and ephemeral containers",
    "Add an ephemeral container to one of your running Pods (for example init-first) with `kubectl debug`, "
    "and run a command in it that looks at the app container's processes. The check passes once an "
    "ephemeral container has run in one of your Pods.",
    (f"`kubectl debug -it init-first --image={IMAGE} --target=app -- sh` adds one and attaches to it; "
     "`ps` then shows the app's processes (--target shares its process namespace).",
     "`kubectl describe pod init-first` lists Ephemeral Containers with their state; an image the node "
     "does not have stays Waiting."),
    check_debug)


# --- 7. a change a Pod refuses: replace it (chapter 11) ------------------------------------------------
REPLACED_ENV = {"name": "MODE", "value": "replaced"}


def check_replaced(view: NamespaceView) -> Result:
    pod = view.pods.get("init-first")
    if pod is None:
        return Result(NOT_YET, "no Pod init-first yet: do the exercise `init` first", REPLACE.hints[0])
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return Result(NOT_YET, "init-first is Terminating: its app gets its grace period to stop", REPLACE.hints[2])
    app = next((c for c in containers(pod) if c.get("name") == "app"), None)
    if app is None:
        return Result(FAILING, "init-first has no container named app", REPLACE.hints[0])
    if REPLACED_ENV not in (app.get("env") or []):
        return Result(NOT_YET, "container app of init-first has no env MODE=replaced yet", REPLACE.hints[1])
    running = "running" in ((statuses(pod).get("app") or {}).get("state") or {})
    if not running:
        return Result(NOT_YET, "the new init-first is not running yet", INIT.hints[2])
    return Result(PASSED, "init-first was replaced and runs with MODE=replaced")


REPLACE = Exercise(
    "replace", "A change a Pod refuses", "11. kubectl",
    "Give the container `app` of your Pod `init-first` (exercise `init`) the environment variable "
    "`MODE=replaced`. The API server refuses that change to a running Pod, whether you send it with "
    "`kubectl apply`, `edit` or `patch`: replace the Pod instead, and do not wait for its grace period. "
    "The check passes when the new init-first runs with MODE=replaced.",
    ("Add the variable to your init-first manifest and try `kubectl apply -f`: read why the server "
     "refuses it (\"… may not change fields other than …\").",
     "`kubectl replace --force -f init-first.yaml` deletes the Pod and creates it again from the file.",
     "A shell as PID 1 ignores SIGTERM, so the deletion waits the whole grace period (30 s): "
     "`--grace-period=0 --force` removes the object at once, and the kubelet still stops the old "
     "container."),
    check_replaced)


# --- 8. a Pod in CreateContainerConfigError (debugging chapter) ------------------------------------------
REPORTER_ENV = [{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "reporter-settings", "key": "level"}}}]
REPORTER: dict = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reporter", "labels": {"app": "reporter"}},
    "spec": {
        "terminationGracePeriodSeconds": 2,
        "containers": [{
            "name": "app", "image": IMAGE,
            "command": ["sh", "-c", 'echo "reporting at level $LEVEL"; trap "exit 0" TERM; '
                                    "while true; do sleep 1 & wait; done"],
            "env": REPORTER_ENV,
        }],
    },
}


def check_config_error(view: NamespaceView) -> Result:
    pod = view.pods.get("reporter")
    if pod is None:
        return Result(NOT_YET, "the Pod reporter is gone", "ask the instructor to reset your namespace "
                                                          "(`podnotes workshop reset NAME`)")
    app = next((c for c in containers(pod) if c.get("name") == "app"), {})
    if app.get("env") != REPORTER_ENV:
        return Result(FAILING, "reporter's environment is not the one set-up gave it: fix the cause, not the Pod",
                      CONFIG_ERROR.hints[1])
    state = (statuses(pod).get("app") or {}).get("state") or {}
    if "running" in state:
        return Result(PASSED, "reporter runs with its LEVEL from reporter-settings")
    waiting = state.get("waiting") or {}
    config = view.configmaps.get("reporter-settings")
    if config is not None and "level" not in (config.get("data") or {}):
        return Result(FAILING, f"ConfigMap reporter-settings has no key level (its keys: "
                               f"{', '.join(sorted(config.get('data') or {})) or 'none'})", CONFIG_ERROR.hints[1])
    return Result(NOT_YET, f"reporter is waiting: {waiting.get('reason', 'not started')}", CONFIG_ERROR.hints[0])


CONFIG_ERROR = Exercise(
    "configerror", "Why does reporter not start?", "Debugging a Pod",
    "Your namespace has a Pod `reporter` whose STATUS is CreateContainerConfigError. Find what it is "
    "missing from what the kubelet tells you, and supply it without changing the Pod. The check passes when "
    "reporter runs.",
    ("`kubectl describe pod reporter`: the container's waiting message and the Event `Failed` name what the "
     "kubelet could not find.",
     "Its environment takes LEVEL from a ConfigMap key: `kubectl create configmap reporter-settings "
     "--from-literal=level=info` creates both the ConfigMap and the key.",
     "The kubelet retries on its own; `kubectl get pod reporter -w` shows it start, with no restart."),
    check_config_error, seed=(REPORTER,))


# --- 9. a Pod in the QoS class Guaranteed (resources chapter) -------------------------------------------
def check_guaranteed(view: NamespaceView) -> Result:
    """The class the API server computed (``status.qosClass``, set at creation by ``ComputePodQOS`` in
    pkg/apis/core/helper/qos), and that the Pod runs."""
    pod = view.pods.get("steady")
    if pod is None:
        return _missing("steady", GUARANTEED.hints[0])
    qos_class = (pod.get("status") or {}).get("qosClass")
    if qos_class != "Guaranteed":
        unequal = [c.get("name", "?") for c in containers(pod)
                   if ((c.get("resources") or {}).get("requests") or {}) !=
                   ((c.get("resources") or {}).get("limits") or {})]
        detail = f"steady is {qos_class or 'not classified yet'}"
        if unequal:
            detail += f": requests differ from limits in {', '.join(unequal)}"
        return Result(FAILING, detail, GUARANTEED.hints[1])
    first = str(containers(pod)[0].get("name", ""))
    if "running" not in ((statuses(pod).get(first) or {}).get("state") or {}):
        return Result(NOT_YET, "steady is Guaranteed but not running yet", GUARANTEED.hints[2])
    return Result(PASSED, "steady is Guaranteed and runs")


GUARANTEED = Exercise(
    "guaranteed", "A Pod the node kills last", "Resources: requests, limits and the kubelet's cgroups",
    f"Run a Pod `steady` (image {IMAGE}, any command that keeps running) whose QoS class is Guaranteed, "
    "within your namespace's quota. The check passes when `kubectl get pod steady -o "
    "jsonpath='{.status.qosClass}'` says Guaranteed and the Pod runs.",
    ("Guaranteed: every container has CPU and memory limits, and requests equal to them. Small values fit "
     "your quota: `kubectl describe quota,limits` shows what is left.",
     "A container without resources gets your namespace's LimitRange defaults (a request of 10m / 16Mi, a "
     "limit of 200m / 64Mi), which differ, so the Pod is Burstable: set requests and limits yourself, "
     "equal. The class is fixed at creation: delete and create the Pod again.",
     "`kubectl describe pod steady` shows why it has not started (Events at the bottom)."),
    check_guaranteed)


EXERCISES: tuple[Exercise, ...] = (CRASHLOOP, LIVENESS, STARTUP, INIT, SEED, DEBUG, REPLACE, CONFIG_ERROR,
                                 GUARANTEED)


def by_id(exercise_id: str) -> Exercise:
    for exercise in EXERCISES:
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(f"no exercise {exercise_id!r}; the exercises are {', '.join(e.id for e in EXERCISES)}")


def seeds() -> list[dict]:
    return [obj for exercise in EXERCISES for obj in exercise.seed]
