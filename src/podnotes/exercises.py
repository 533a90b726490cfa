"""Self-checking exercises: the reader writes an answer into a cell, and
:func:`check` says whether it is right, with a hint when it is not, never
with the answer itself.

Each exercise is an :class:`Exercise` in :data:`EXERCISES`, keyed
``"CHAPTER/NAME"``. Where the answer is a fact the package already computes
(the namespaces a runtime creates, the kubelet's back-off, the cpu.weight
conversion), the exercise asks the package, so the book and its checks cannot
drift apart. In a chapter::

    answer = ...  # your answer
    exercises.check("resources/weight-500m", answer)

prints ``Right: ...`` or ``Not yet: <hint>``. ``...`` (Ellipsis, the cell's
starting value) means no answer yet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podnotes.linux import cgroups, container, kube_resources, pod, views
from podnotes.probes import kubelet


@dataclass(frozen=True)
class Verdict:
    """The result of :func:`check`: ``right`` and a sentence for the reader."""

    right: bool
    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def _repr_html_(self) -> str:
        # A paragraph wraps on a phone; a text output would keep the sentence on one long line. Both editions
        # show this one execution, so the sentence comes in both languages (podnotes.notices).
        from podnotes.notices import Notice, zh

        return Notice(self.message, zh(self.message), paragraph_class="podnotes-verdict")._repr_html_()


@dataclass(frozen=True)
class Exercise:
    """One checkable question. ``judge(answer)`` returns ``None`` for a right
    answer and a hint otherwise; ``praise`` is said when it is right."""

    key: str
    judge: Callable[[Any], str | None]
    praise: str = "that is it."


class UnknownExercise(KeyError):
    pass


def check(key: str, answer: Any) -> Verdict:
    """Judge ``answer`` for exercise ``key``; raises :class:`UnknownExercise` for
    a key not in :data:`EXERCISES`. Never raises for a malformed answer: that is
    a wrong answer with a hint about the expected form."""
    try:
        exercise = EXERCISES[key]
    except KeyError:
        raise UnknownExercise(f"no exercise {key!r}; known: {', '.join(sorted(EXERCISES))}") from None
    if answer is Ellipsis:
        return Verdict(False, "No answer yet: replace ... with your answer and run the cell again.")
    try:
        hint = exercise.judge(answer)
    except (TypeError, ValueError, AttributeError):
        hint = "that answer has the wrong form; read the question again for what to write."
    if hint is None:
        return Verdict(True, f"Right: {exercise.praise}")
    return Verdict(False, f"Not yet: {hint}")


# Answer readers: each turns what a reader may write into one comparable form.

def _words(answer) -> set[str]:
    """``"pid, net"``, ``["PID", "net"]`` or ``{"pid"}`` -> ``{"pid", "net"}``."""
    if isinstance(answer, str):
        answer = re.split(r"[\s,;]+", answer)
    return {str(item).strip().lower() for item in answer if str(item).strip()}


def _namespace_kinds(answer) -> set[str]:
    aliases = {"mount": "mnt", "network": "net", "cgroups": "cgroup"}
    return {aliases.get(word, word) for word in _words(answer)}


def _text(answer) -> str:
    return str(answer).strip()


def _number(answer) -> float:
    if isinstance(answer, bool):
        raise TypeError("a yes/no is not a number")
    if isinstance(answer, str):
        answer = answer.strip().removesuffix("s").strip()
    return float(answer)


def _same_set(expected: set[str], missing_hint: Callable[[set[str]], str],
              extra_hint: Callable[[set[str]], str]) -> Callable[[Any], str | None]:
    def judge(answer) -> str | None:
        given = _namespace_kinds(answer)
        if given - expected:
            return extra_hint(given - expected)
        if expected - given:
            return missing_hint(expected - given)
        return None
    return judge


def _exact_number(expected: float, hints: dict[float, str], otherwise: str,
                  tolerance: float = 0.0) -> Callable[[Any], str | None]:
    def judge(answer) -> str | None:
        value = _number(answer)
        if math.isclose(value, expected, abs_tol=tolerance):
            return None
        for wrong, hint in hints.items():
            if math.isclose(value, wrong, abs_tol=tolerance):
                return hint
        return otherwise
    return judge


def _one_of(accepted: set[str], hints: dict[str, str], otherwise: str,
            normalise: Callable[[str], str] = str.lower) -> Callable[[Any], str | None]:
    accepted = {normalise(item) for item in accepted}
    hints = {normalise(key): value for key, value in hints.items()}

    def judge(answer) -> str | None:
        if not isinstance(answer, str):
            answer = getattr(answer, "__name__", answer)
        given = normalise(_text(answer))
        if given in accepted:
            return None
        return hints.get(given, otherwise)
    return judge


def _capability(text: str) -> str:
    return "CAP_" + text.strip().upper().removeprefix("CAP_")


def _backoff_before_restart(restart: int) -> float:
    """Seconds the kubelet waits before restart number ``restart`` (1-based) of a
    container that crashes at once: the first is immediate, then the back-off
    starts at ``INITIAL_BACKOFF`` and doubles up to ``MAX_BACKOFF``
    (pkg/kubelet/kuberuntime, ``doBackOff``)."""
    if restart <= 1:
        return 0.0
    return min(kubelet.INITIAL_BACKOFF * 2 ** (restart - 2), kubelet.MAX_BACKOFF)


def _pair(expected: tuple[float, float], hint_first: str, hint_second: str) -> Callable[[Any], str | None]:
    def judge(answer) -> str | None:
        first, second = (_number(value) for value in answer)
        if not math.isclose(first, expected[0]):
            return hint_first
        if not math.isclose(second, expected[1]):
            return hint_second
        return None
    return judge


def _proc_root_of_a_host_process(answer) -> str | None:
    path = _text(answer).rstrip("/")
    if re.fullmatch(r"/proc/(\d+|PID|pid)/root", path):
        return None
    if path in ("/proc/self/root", "/proc/thread-self/root"):
        return "that is your own root; you want a host process's."
    if re.fullmatch(r"/proc/(\d+|PID|pid)/cwd", path):
        return "close: the link you want is the root, not the working directory."
    return "look at what proc(5) says each /proc/PID entry links to, for a host process."


def _field_path(text: str) -> str:
    return re.sub(r"\[\d+\]", "", text.strip().removeprefix(".")).lower()


def _dynamic_loader(answer) -> str | None:
    """The loader's file name differs per architecture (ld-linux-x86-64.so.2, ld-linux-aarch64.so.1,
    ld64.so.2, ...): any of them is right, with or without its folder."""
    name = _text(answer).rsplit("/", 1)[-1].lower()
    if re.fullmatch(r"ld-linux[\w.-]*\.so(\.\d+)?|ld64\.so\.\d+|ld\.so(\.\d+)?", name):
        return None
    if name.startswith("lib"):
        return "programs name that one as a library (readelf -d shows it as NEEDED); you want the other."
    return "readelf -l on any program of the list shows the file the kernel starts first."


def _option(text: str) -> str:
    return text.strip().lower().lstrip("-").split("=", 1)[0]


def _folder(text: str) -> str:
    """``/var/run/netns/NAME/`` -> ``/run/netns``: /var/run is a link to /run, and a namespace's own file counts."""
    path = text.strip().rstrip("/").lower().removeprefix("/var")
    return re.sub(r"^/run/netns/[^/]+$", "/run/netns", path)


def _signal(text: str) -> str:
    name = text.strip().upper()
    numbers = {"9": "SIGKILL", "15": "SIGTERM", "2": "SIGINT"}
    return numbers.get(name, "SIG" + name.removeprefix("SIG"))


def _kind(text: str) -> str:
    word = text.strip().lower().removesuffix("probe")
    return {"mount": "mnt", "network": "net"}.get(word, word)


def _component(text: str) -> str:
    return text.strip().lower().removeprefix("kube-")
# The termination chapter's answers, from the simulator (podnotes.probes.simulate follows killContainer,
# newTerminationOrdering and CheckGracefulDelete of the 1.37 sources).

def _busybox(name: str, **fields) -> dict:
    return {"name": name, "image": "registry.k8s.io/busybox:1.27.2", **fields}


def _deleted_pod(containers: list[dict], init: list[dict] | None = None, grace: int = 30) -> dict:
    spec: dict = {"terminationGracePeriodSeconds": grace, "containers": containers}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "exercise"}, "spec": spec}


def _sigkill_after_overrunning_prestop() -> float:
    from podnotes.probes import Behaviour, ContainerBehaviour, simulate

    # An exec hook: the API server refuses a sleep action longer than the grace period.
    hook = {"preStop": {"exec": {"command": ["sh", "-c", "sleep 45"]}}}
    pod = _deleted_pod([_busybox("app", lifecycle=hook)])
    behaviour = Behaviour({"app": ContainerBehaviour(sigterm="ignore", pre_stop_seconds=45.0)}, delete_at=10.0)
    return simulate(pod, behaviour, 120).select("exit")[0].time - 10.0


def _sidecar_stop_order() -> list[str]:
    from podnotes.probes import Behaviour, simulate

    pod = _deleted_pod([_busybox("app")], init=[_busybox(name, restartPolicy="Always") for name in "abc"])
    timeline = simulate(pod, Behaviour(delete_at=10.0), 120)
    return [str(event.container) for event in timeline.select("stop") if event.container != "app"]


def _deletion_timestamp_after_request(requested: int) -> float:
    from podnotes.probes import Behaviour, simulate

    timeline = simulate(_deleted_pod([_busybox("app")]), Behaviour(delete_at=10.0, delete_grace_seconds=requested))
    return float(timeline.select("delete")[0].seconds)  # type: ignore[arg-type]


def _in_order(expected: Callable[[], list[str]]) -> Callable[[Any], str | None]:
    def judge(answer) -> str | None:
        items = re.split(r"[\s,;]+", answer.strip()) if isinstance(answer, str) else answer
        given = [str(item).strip().lower() for item in items if str(item).strip()]
        wanted = expected()
        if sorted(given) != sorted(wanted):
            return f"name each of the {len(wanted)} sidecars once."
        if given == list(reversed(wanted)):
            return "that is the order they were declared and started in; stopping goes the other way."
        return None if given == wanted else "each sidecar waits for the one declared after it."
    return judge


def _computed_number(compute: Callable[[], float], hints: dict[float, str], otherwise: str
                     ) -> Callable[[Any], str | None]:
    def judge(answer) -> str | None:
        return _exact_number(compute(), hints, otherwise)(answer)
    return judge


def _near_number(compute: Callable[[], float], within: float, hints: dict[float, str], otherwise: str
                 ) -> Callable[[Any], str | None]:
    """Right within ``within`` of ``compute()``: for answers read from a timeline whose loops run on their
    own phase."""
    def judge(answer) -> str | None:
        return _exact_number(compute(), hints, otherwise, tolerance=within)(answer)
    return judge


def _default_eviction_after_stop() -> float:
    """Seconds from the kubelet's stop to the eviction of a Pod with the default 300 s toleration, the Lease
    renewed just before the stop (:func:`podnotes.nodeloss.predict`, defaults of kubernetes v1.37.2)."""
    from podnotes import nodeloss

    return float(nodeloss.predict([nodeloss.LostPod("web")], last_renewal=0.0).at("web: evicted") or 0.0)


_RUNTIME_KINDS = set(container.runtime_namespaces(cgroup_v2=True, host_users=True))
_RESTARTS = (4, 10)

EXERCISES: dict[str, Exercise] = {exercise.key: exercise for exercise in [
    # 1. processes
    Exercise("processes/share-with-two-hogs", _exact_number(
        1 / 3, {0.5: "count the worker itself among the processes that want the core.",
                1 / 2: "count the worker itself among the processes that want the core."},
        "the scheduler splits one busy core fairly among every process that wants it.", tolerance=0.02),
        "three processes want one core, each gets a third."),
    Exercise("processes/other-users-environ", _one_of(
        {"PermissionError", "EACCES"}, {"FileNotFoundError": "PID 1 always exists; what stops you is who you are.",
                                        "OSError": "a more precise exception: which OSError subclass?"},
        "as an ordinary user, try open('/proc/1/environ') and read the exception's name.", normalise=str.lower),
        "only a process that may ptrace the target can read its environment."),
    # 2. chroot
    Exercise("chroot/dynamic-loader", _dynamic_loader,
        "the dynamic loader: the kernel starts it, and it maps the libraries the program needs."),
    Exercise("chroot/second-chroot-capability", _one_of(
        {"CAP_SYS_CHROOT"}, {"CAP_SYS_ADMIN": "that one is for mount and pivot_root; chroot() checks a narrower one."},
        "chroot(2) names the capability it checks in its ERRORS section.", normalise=_capability),
        "and Docker and containerd keep it by default, so it is not what confines a container."),
    Exercise("chroot/way-out-after-pivot-root", _proc_root_of_a_host_process,
        "a PID namespace hides every host process, which is why runtimes use one."),
    # 3. namespaces
    Exercise("namespaces/remount-proc", _one_of(
        {"mount-proc"}, {"mount": "a new mount namespace alone keeps the host's /proc; which option also mounts one?",
                         "fork": "the command has that one already.", "pid": "the command has that one already."},
        "ps reads /proc, which still shows the PID namespace it was mounted from; read unshare(1)'s options.",
        normalise=_option),
        "it implies --mount and mounts a fresh /proc inside the new namespaces."),
    Exercise("namespaces/netns-pin-dir", _one_of(
        {"/run/netns"}, {"/proc/pid/ns": "that is where the namespace file comes from, not where ip pins it.",
                         "/proc/self/ns": "that is where the namespace file comes from, not where ip pins it.",
                         "/etc/netns": "that folder holds per-namespace configuration files such as resolv.conf."},
        "ip-netns(8) names the folder in its description; or run ip netns add and look where it mounted.",
        normalise=_folder),
        "a bind mount there holds a reference until ip netns delete unmounts it."),
    Exercise("namespaces/runtime-kinds", _same_set(
        _RUNTIME_KINDS,
        lambda missing: ("on cgroup v2 there is one more, the one that makes the container's cgroup look like /."
                         if missing == {"cgroup"} else f"{len(missing)} kind(s) missing."),
        lambda extra: ("a user namespace only with hostUsers: false." if "user" in extra
                       else f"not created for a non-privileged container: {len(extra)} of yours.")),
        "five always, and cgroup on cgroup v2; user only with hostUsers: false."),
    Exercise("namespaces/unprivileged-first", _one_of(
        {"user"}, {"pid": "an unprivileged process cannot create that one on its own.",
                   "mnt": "an unprivileged process cannot create that one on its own."},
        "which namespace makes its creator root with every capability inside it?"),
        "inside it the creator has CAP_SYS_ADMIN over the namespaces it then creates."),
    # 4. cgroups
    Exercise("cgroups/threads-under-quota", _exact_number(
        25,
        {100: "the quota is shared by every thread of the group, not given to each.",
         6.25: "that is each thread's part; the question asks for all four together.",
         400: "four cores could give 400 ms, but the quota caps the whole group."},
        "cpu.max is quota then period, in microseconds, for the whole group."),
        "25 000 µs = 25 ms per 100 ms period for all threads together."),
    Exercise("cgroups/forks-under-pids-max", _exact_number(
        49,
        {50: "the forking process is in the group too and counts against pids.max.",
         51: "pids.max is a ceiling on the processes in the group, the parent included."},
        "count the processes in the group when the last fork succeeds."),
        "the parent plus 49 children make 50."),
    # 5. container from scratch
    Exercise("container/clone-into-cgroup", _one_of(
        {"CLONE_INTO_CGROUP"}, {"CLONE_NEWCGROUP": "that one makes a cgroup namespace: it changes what the process "
                                                   "sees, not which group counts it."},
        "clone(2) lists the flags of clone3(); one of them takes a cgroup's file descriptor.",
        normalise=lambda text: "CLONE_" + text.strip().upper().removeprefix("CLONE_")),
        "the child is counted from its first instruction on."),
    Exercise("container/signal-that-ends-pid1", _one_of(
        {"SIGKILL"}, {"SIGTERM": "PID 1 of a namespace gets no default action for a signal it has no handler for.",
                      "SIGINT": "PID 1 of a namespace gets no default action for a signal it has no handler for.",
                      "SIGHUP": "PID 1 of a namespace gets no default action for a signal it has no handler for."},
        "pid_namespaces(7) names the signals an ancestor namespace can always deliver to PID 1.",
        normalise=_signal),
        "from an ancestor namespace it is always delivered; the kubelet sends it after the grace period."),
    Exercise("container/pid-inside", _exact_number(
        1, {}, "the container has a PID namespace of its own; what number does its first process get?"),
        "the first process of a new PID namespace is its PID 1."),
    Exercise("container/kinds-not-created", _same_set(
        set(views.NAMESPACE_KINDS) - set(container.CONTAINER_NAMESPACES),
        lambda missing: f"{len(missing)} kind(s) missing: compare CONTAINER_NAMESPACES with the seven kinds.",
        lambda extra: "run_in_container does create some of those; look at CONTAINER_NAMESPACES."),
        "a real runtime adds cgroup (on v2) and, with hostUsers: false, user."),
    # 6. Pod and pause
    Exercise("pod/new-sandbox-call", _one_of(
        {"RunPodSandbox"}, {"CreateContainer": "that one makes a container inside a sandbox that exists.",
                            "StartContainer": "that one starts a container inside a sandbox that exists.",
                            "CreatePodSandbox": "close: the CRI makes and starts a sandbox in one call."},
        "the CRI's api.proto lists the RuntimeService's methods; one of them makes a Pod sandbox.",
        normalise=lambda text: text.strip().lower().removeprefix("runtimeservice/").removeprefix("/")),
        "a new sandbox: a new pause process, a new network namespace, usually a new IP."),
    Exercise("pod/shared-kinds", _same_set(
        set(pod.POD_NAMESPACES),
        lambda missing: f"{len(missing)} more: what do containers of a Pod share besides the network?",
        lambda extra: ("PID only with shareProcessNamespace: true." if "pid" in extra
                       else "each container keeps that one of its own.")),
        "the pause process holds net, uts and ipc."),
    Exercise("pod/second-bind-error", _one_of(
        {"EADDRINUSE", "Address already in use", "OSError: [Errno 98] Address already in use"},
        {"ECONNREFUSED": "that is what a client gets when nobody listens; here someone does."},
        "both containers share one network namespace: what does bind() say for a port in use?",
        normalise=str.upper),
        "one network namespace, one set of ports."),
    # 7. lifecycle
    Exercise("lifecycle/phase-onfailure", _one_of(
        {"Running"}, {"Succeeded": "only when every container has terminated successfully.",
                      "Pending": "every container has started at least once."},
        "getPhase looks at every container, not just the one that exited.", normalise=str.lower),
        "one container still runs."),
    Exercise("lifecycle/backoff-4th-and-10th", _pair(
        tuple(_backoff_before_restart(n) for n in _RESTARTS),  # type: ignore[arg-type]
        "the first restart is immediate; the back-off starts at 10 s and doubles.",
        "the back-off stops doubling at a maximum."),
        "40 s, then it is capped at 300 s."),
    Exercise("lifecycle/traffic-condition", _one_of(
        {"Ready"}, {"Running": "that is a phase: it says a container runs, not that its program can serve.",
                    "ContainersReady": "close: endpoints follow the Pod-level one, which counts the Pod's gates too.",
                    "Initialized": "that one turns true long before the program can serve.",
                    "PodScheduled": "that one turns true long before the program can serve."},
        "kubectl get pod -o yaml lists the conditions; the endpoints follow one of them.",
        normalise=lambda text: text.strip().lower().removeprefix("status.conditions.")),
        "readiness probes and readiness gates feed it; EndpointSlices follow it."),
    # 8. probes
    Exercise("probes/largest-success-status", _exact_number(
        399, {400: "the upper bound is excluded: look what /status/400 gave.",
              299: "redirects count as success too.", 200: "more than one status is a success."},
        "pkg/probe/http/http.go compares the status with two bounds."),
        "200 <= status < 400."),
    Exercise("probes/tcp-on-failing-server", _one_of(
        {"success"}, {"failure": "a TCP probe sends no request: what does it check?",
                      "timeout": "the port accepted the connection at once."},
        "run check({'tcpSocket': {'port': server.http_port}}) while /healthz fails.",
        normalise=lambda text: text.strip().lower().removesuffix("ful")),
        "the port accepts connections; nothing more is checked."),
    Exercise("probes/starts-as-failure", _one_of(
        {"readiness"}, {"liveness": "that one starts as Success: nobody is killed before a probe has failed.",
                        "startup": "that one starts as Unknown."},
        "which probe keeps a Pod out of its Services until it has succeeded once?", normalise=_kind),
        "a Pod is not Ready before its first readiness probe succeeds."),
    Exercise("probes/coredns-503-kill", _exact_number(
        40, {50: "the first failure is probe number one, not zero.",
             45: "a 503 comes back at once: no timeout is added.",
             25: "the period is 10 s, the timeout does not apply here."},
        "count the probes from the first failure to the fifth, 10 s apart."),
        "the fifth failure is 4 periods after the first."),
    Exercise("probes/readiness-window", _exact_number(
        15, {10: "the failure can begin just after a successful probe.",
             20: "three failures, not four."},
        "how many periods can pass before the third failure in a row?"),
        "three periods of 5 s."),
    # 9. init and ephemeral
    Exercise("init/failing-init-phase", _one_of(
        {"Pending"}, {"Failed": "only with restartPolicy: Never; here the kubelet retries.",
                      "Running": "no app container has started."},
        "which phase does a Pod have while its init containers have not all succeeded?",
        normalise=str.lower),
        "init containers run before the Pod is Running."),
    Exercise("init/sidecar-field", _one_of(
        {"spec.initContainers"}, {"spec.containers": "that makes it an ordinary app container.",
                                  "spec.ephemeralContainers": "those are for debugging, never restarted."},
        "a sidecar is a restartable init container: under which list?", normalise=_field_path),
        "with restartPolicy: Always."),
    Exercise("init/debug-reach-app", _one_of(
        {"net"}, {"pid": "ps showed that this one is not shared here.",
                  "mnt": "each container has its own.",
                  "ipc": "that one is shared too, but it carries no ports.",
                  "uts": "that one is shared too, but it carries no ports."},
        "localhost:80 is a port on an interface: which namespace holds interfaces and ports?",
        normalise=_kind),
        "every container of a Pod shares the pause process's network namespace."),
    # 10. Pod template
    Exercise("template/pull-policy-untagged", _one_of(
        {"Always"}, {"IfNotPresent": "that is the default for a fixed tag; what is the tag here?"},
        "no tag means :latest; what does the server choose for :latest?", normalise=str.lower),
        "a moving tag is re-checked on every start."),
    Exercise("template/deployment-restart-policy", _one_of(
        {"spec.template.spec.restartPolicy"},
        {"spec.restartPolicy": "in a Deployment, the Pod's spec sits inside the template.",
         "restartPolicy": "give the whole field path, from the Deployment's spec."},
        "where does a Deployment keep the Pod spec?", normalise=_field_path),
        "and only Always is allowed there."),
    Exercise("template/probe-port", _exact_number(
        80, {8080: "that is where the probe points now: every check there is refused.",
             443: "the default configuration serves plain HTTP only."},
        "look at containerPort in the corrected template, or at nginx's default server block."),
        "the port the program really serves; `port: http` names it."),
    # resources (the Pods in Kubernetes part)
    Exercise("resources/quota-250m", _exact_number(
        kube_resources.cgroup_settings({"limits": {"cpu": "250m"}}).cpu_quota_us,  # type: ignore[arg-type]
        {250: "the quota is in microseconds per 100 000 µs period, not millicores.",
         256: "that is the shares of a 250m request; a limit becomes a quota."},
        "millicores × period / 1000, with a period of 100 000 µs."),
        "a quarter of each 100 ms period."),
    Exercise("resources/weight-500m", _exact_number(
        cgroups.shares_to_weight_quadratic(512),
        {cgroups.shares_to_weight(512):
             "that is the older linear formula; current runc and crun use the quadratic one.",
         512: "that is cpu.shares (v1); convert it to cpu.weight (v2)."},
        "first cpu.shares = millicores × 1024 / 1000, then the quadratic conversion."),
        "shares 512, weight by runc >= 1.3.2's conversion."),
    Exercise("resources/oomkilled-exit-code", _exact_number(
        128 + 9,
        {9: "that is the signal's number; a process killed by a signal reports 128 plus it.",
         1: "1 is an ordinary error exit; the kernel killed this process with a signal.",
         0: "0 is a clean exit; this process was killed."},
        "the OOM killer sends SIGKILL; a process killed by signal N is reported as 128 + N."),
        "SIGKILL is 9: 128 + 9."),
    Exercise("resources/pod-group-memory", _one_of(
        {str(kube_resources.pod_cgroup_settings({"containers": [
            {"name": "a", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}},
            {"name": "b", "resources": {"requests": {"cpu": "100m"}}}]}).memory_limit_bytes)},
        {str(1024**3): "that is a's own limit; when does the kubelet put a memory limit on the Pod's group?",
         "1gi": "that is a's own limit; when does the kubelet put a memory limit on the Pod's group?",
         "0": "0 would be no memory at all; write None for no limit."},
        "a Burstable Pod's group gets a memory limit only when every container declares one."),
        "b declares no memory limit, so the Pod's group has none."),
    # A Pod on a real node
    Exercise("pod-on-a-node/sandboxes-and-shims", _pair(
        (1, 1), "one sandbox per Pod: the containers are created inside it.",
        "containerd-shim-runc-v2 serves a whole sandbox; the containers are its children."),
        "one RunPodSandbox, one shim, then CreateContainer and StartContainer per container."),
    Exercise("pod-on-a-node/veth-peer-index", _exact_number(
        17, {3: "3 is eth0's own index inside the Pod's namespace.",
             0: "look at the number after @if."},
        "`eth0@ifN`: N is the index of the peer, the host end."),
        "interface 17 on the node is the veth's other end."),
    # Shared storage and the files the kubelet writes
    Exercise("pod-on-a-node/source-rewritten", _one_of(
        {"MASQUERADE", "SNAT"},
        {"DNAT": "DNAT rewrites the destination; here the source address changed.",
         "REDIRECT": "REDIRECT sends the packet to the node itself; the source address changed here.",
         "ACCEPT": "ACCEPT lets the packet through unchanged."},
        "the target that replaces the source address with the outgoing interface's.",
        normalise=lambda text: text.strip().upper()),
        "MASQUERADE (or SNAT): source NAT, which the network model rules out between Pods."),
    Exercise("shared-storage/tmpfs-charged", _exact_number(
        24, {0: "tmpfs pages are memory, charged to the cgroup of the process that wrote them.",
             32: "the sizeLimit bounds the volume; the charge is what was written."},
        "how much was written into the Memory emptyDir?"),
        "tmpfs pages count against the writer's memory limit."),
    Exercise("shared-storage/tmpfs-over-the-limit", _one_of(
        {"OOMKilled"},
        {"Error": "the program did not fail by itself: the kernel killed it at the cgroup's limit.",
         "Evicted": "eviction is the kubelet's answer to a node short of memory; this is the container's own limit.",
         "Completed": "it did not finish: the kernel killed it."},
        "tmpfs pages count against the writer's memory limit; what does the kernel do at the limit?",
        normalise=lambda text: text.strip().lower()),
        "the OOM killer ends it at 64 MiB: OOMKilled, exit code 137."),
    Exercise("shared-storage/dns-policy-none", _one_of(
        {"None"}, {"Default": "Default copies the node's resolv.conf; dnsConfig only adds to it.",
                   "ClusterFirst": "ClusterFirst writes the cluster DNS server, then adds dnsConfig."},
        "which policy takes resolv.conf from dnsConfig alone?", normalise=str.lower),
        "dnsPolicy: None, and dnsConfig must then name at least one nameserver."),
    # user namespaces
    Exercise("user-namespaces/host-uid-of-1000", _exact_number(
        197_608, {196_608: "that is where uid 0 of the Pod lands; uid 1000 is further into the block.",
                  1000: "that is the uid inside; the host stores the uid the map gives.",
                  65_534: "65534 is how an unmapped owner looks; uid 1000 is mapped."},
        "count into the block: the first ID of the block is uid 0 inside."),
        "196608 + 1000: each uid inside is the first host ID of the block plus itself."),
    Exercise("user-namespaces/idmapped-owner-inside", _exact_number(
        0, {196_608: "that is what the host sees through the mount; the Pod's namespace maps it back.",
            65_534: "that is what the plain path shows; the idmapped mount shifts the owner first."},
        "follow the owner twice: through the mount's map, then through the Pod's namespace."),
        "the mount shifts 0 to 196608 and the Pod's map brings it back to 0."),
    Exercise("user-namespaces/relaxed-checks", _same_set(
        {"runasnonroot", "runasuser"},
        lambda missing: f"{len(missing)} of the two is missing: which fields say who the container runs as?",
        lambda extra: "restricted still holds a user-namespaced Pod to that check; "
                      "only the checks about running as root move."),
        "runAsNonRoot and runAsUser: root in its own user namespace is not the node's root."),
    # 11. kubectl
    Exercise("kubectl/force-delete-grace", _exact_number(
        2, {0: "only the API object goes at once; the kubelet still gives the program a minimum.",
            30: "that is the default grace period, which --force overrides."},
        "look for minimumGracePeriodInSeconds in the kubelet's kuberuntime_manager.go."),
        "the kubelet sends SIGTERM and waits at least 2 s."),
    # termination
    Exercise("termination/prestop-overrun", _computed_number(
        _sigkill_after_overrunning_prestop,
        {30: "at 30 s the stop signal is sent; the program ignores it. What minimum does killContainer give?",
         75: "the hook is not waited for beyond the grace period.",
         47: "the hook is cut off at the grace period, not when it ends."},
        "the hook counts against the grace period, and it is waited for at most that long."),
        "30 s for the hook, then the one-time 2 s."),
    Exercise("termination/sidecar-order", _in_order(_sidecar_stop_order), "the last declared goes first."),
    Exercise("termination/deletion-timestamp", _computed_number(
        lambda: _deletion_timestamp_after_request(10),
        {30: "the delete request's grace period wins over the Pod's.",
         0: "deletionTimestamp is a deadline, not the moment of the request."},
        "CheckGracefulDelete takes the request's grace period; the timestamp is now plus that."),
        "now plus the request's 10 s."),
    Exercise("kubectl/resize-subresource", _one_of(
        {"resize", "pods/resize"}, {"status": "status is the kubelet's; resources are changed elsewhere.",
                                    "scale": "scale belongs to Deployments and ReplicaSets, not Pods."},
        "Kubernetes 1.35 made changing a running Pod's CPU and memory stable; through which subresource?",
        normalise=lambda text: text.strip().lower().removeprefix("pods/")),
        "kubectl patch pod NAME --subresource resize ..."),
    Exercise("kubectl/apply-port-change-reason", _one_of(
        {"Invalid"}, {"success": "server-side apply stores the object through the same update path and its checks.",
                      "accepted": "server-side apply stores the object through the same update path and its checks.",
                      "Conflict": "a conflict is about two field managers; nobody else owns the port.",
                      "Forbidden": "that is the cause's type inside the message; the Status's reason is another word."},
        "print(refusal.reason) above shows what replace got; does apply go another way?",
        normalise=str.lower),
        "the same Pod update validation refuses the port."),
    Exercise("kubectl/delete-ignoring-sigterm", _exact_number(
        5, {30: "the Pod sets its own grace period.", 0: "the kubelet waits before SIGKILL.",
            60: "that is with --grace-period=60; without it, the Pod's own value counts."},
        "SIGTERM is ignored, so the program runs until SIGKILL; when does that come?", tolerance=1.0),
        "SIGTERM, the Pod's grace period, then SIGKILL."),
    Exercise("kubectl/what-binds-pods", _one_of(
        {"scheduler"}, {"kubelet": "a kubelet runs Pods already bound to its node; who binds them?",
                        "controller-manager": "its controllers create Pods, they do not choose nodes.",
                        "apiserver": "the API server stores spec.nodeName; another component writes it."},
        "which component sets spec.nodeName of a Pod that has none?", normalise=_component),
        "nothing chooses a node without it, so the Pod stays Pending."),
    Exercise("debugging/missing-secret-status", _one_of(
        {"CreateContainerConfigError"},
        {"ErrImagePull": "the image is on the node; the kubelet fails one step later, building the container.",
         "ImagePullBackOff": "the image is on the node; the kubelet fails one step later, building the container.",
         "CrashLoopBackOff": "the program never ran, so it never crashed.",
         "Pending": "that is the phase; kubectl's STATUS column shows the container's waiting reason instead."},
        "the kubelet cannot build the container's environment: which waiting reason says so?"),
        "the kubelet cannot make the container's configuration, and says so in one word."),
    Exercise("debugging/previous-logs", _one_of(
        {"--previous", "-p", "previous"},
        {"-f": "following prints the new run's output as it comes; you want the run that ended.",
         "--follow": "following prints the new run's output as it comes; you want the run that ended.",
         "--all-containers": "there is only one container; you want its last run, not its siblings."},
        "kubectl logs has a flag for the container's run before the current one."),
        "it reads the log of the run that just ended (lastState.terminated)."),
    Exercise("debugging/proc-root-as-other-user", _one_of(
        {"EACCES", "Permission denied", "PermissionError"},
        {"ENOENT": "the file is there: the same command as root printed it.",
         "No such file or directory": "the file is there: the same command as root printed it.",
         "EPERM": "close: open(2) reports a failed access check with another errno."},
        "the kernel checks ptrace access before it lets you into another process's /proc/PID/root."),
        "another user, without CAP_SYS_PTRACE, may not enter the target's root."),
    # node loss
    Exercise("node-loss/eviction-time", _near_number(
        _default_eviction_after_stop, 10,
        {300: "the 300 s count from the moment the node is tainted, not from the kubelet's stop.",
         50: "that is about when the node turns NotReady; the Pod's toleration comes on top.",
         55: "that is about when the node turns NotReady; the Pod's toleration comes on top."},
        "first the node monitor grace period (50 s), then the Pod's toleration for the unreachable taint."),
        "NotReady after the 50 s grace period (plus up to a monitor period), then 300 s of toleration."),
    Exercise("node-loss/phase-while-terminating", _one_of(
        {"Running"},
        {"Failed": "only the Pod garbage collector writes Failed, just before it deletes the Pod, and it does so "
                   "only on an out-of-service or deleted Node.",
         "Terminating": "Terminating is what kubectl prints for a deletionTimestamp; it is not a phase.",
         "Unknown": "no 1.37 controller writes the phase Unknown; what did the kubelet last write?",
         "Pending": "the Pod had been running; who would move it back?"},
        "the phase is written by the kubelet, which is gone; what did it last write?", normalise=str.lower),
        "nobody who may change the phase has done so: it stays Running while the object is Terminating."),
    Exercise("node-loss/single-node-eviction", _exact_number(
        0, {3: "with every Node of the zone NotReady the controller suspects itself: master disruption mode."},
        "how many Nodes of the zone are Ready once the only one is lost, and what does the controller make of it?"),
        "no Node of the zone is Ready, so the controller removes NoExecute taints and evicts nothing."),
]}
