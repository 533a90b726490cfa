"""Broken Pods on purpose, and what the API server and the kubelet tell about each (chapter ``debugging``).

Six Pods start at once: ``crash`` exits 1 at every start (``Error``, and ``CrashLoopBackOff`` just before
each restart: :mod:`podnotes.node.crashloop` says why; ``kubectl get pod crash --watch`` runs from its
creation until it has shown that word and the next status), ``unhealthy`` fails its
liveness probe (``Unhealthy``, ``Killing``, ``BackOff``), ``no-image`` names an image on 127.0.0.1 at a
port bound by this scene but never listening, so every pull is refused on loopback at once (``ErrImagePull``
then ``ImagePullBackOff``; nothing leaves the host), ``needs-config`` and ``needs-secret`` take an
environment variable from a ConfigMap key and a Secret that are missing (``CreateContainerConfigError``),
and ``target`` runs. The moment each Pod is in its state, the pinned ``kubectl`` shows it (``get pods``,
``describe pod``, ``logs [--previous]``, ``exec``) and the Pod and its Events are kept as they were then;
then two ``kubectl debug --target=app`` ephemeral containers look into ``target``, one as root and one as
user 1000, and the missing key is added to see the kubelet start ``needs-config`` without any change to
the Pod. Every kubectl run is recorded with its command line, output and exit code; the watch of
``crash`` also as the statuses it delivered, each with the time it arrived.

Sources (kubernetes v1.37.2): ``pkg/kubelet/images/image_manager.go`` (``ErrImagePull``,
``ImagePullBackOff``, events ``Pulling``/``Failed``/``BackOff``),
``pkg/kubelet/kuberuntime/kuberuntime_container.go`` (``CreateContainerConfigError``, event ``Failed`` "Error: …"),
``kuberuntime_manager.go`` (``doBackOff``: ``CrashLoopBackOff``, "Back-off restarting failed container"),
``pkg/kubelet/pod_workers.go`` (``completeWork``: the next sync when the back-off ends),
``pkg/kubelet/prober/prober.go`` (``Unhealthy``), ``pkg/kubelet/kubelet_pods.go`` (``makeEnvironmentVariables``:
"couldn't find key …", ``secret "…" not found``).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ...cluster.describe import waiting_reason
from .. import crashloop

NAME = "debugging"
IMAGE = "registry.k8s.io/busybox:1.27.2"
SETTLE_SECONDS = 70.0
# The first CrashLoopBackOff comes 10 s after the second run ends (the kubelet's initial back-off,
# kubelet.go), the next 20 s after the third: the watch can see two of them in this time.
CRASH_WATCH_SECONDS = 45.0
FIX_SECONDS = 40.0
MARKER = "/tmp/only-in-app"
DEBUG_SCRIPT = f"ps; cat /proc/1/root{MARKER}; cat {MARKER}"  # the app's file, then its own


def _pod(name: str, container: dict, **spec) -> dict:
    # dnsPolicy Default: the node runs no cluster DNS, and ClusterFirst would add a MissingClusterDNS
    # warning to every Pod's Events that says nothing about what each Pod shows.
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 2, "dnsPolicy": "Default", **spec,
                     "containers": [{"name": "app", "image": IMAGE, **container}]}}


def broken_pods(unreachable_registry: str) -> list[dict]:
    """The scene's Pods; ``unreachable_registry`` is ``127.0.0.1:PORT`` where nothing listens."""
    return [
        _pod("crash", {"command": ["sh", "-c", "echo 'reading /config/app.conf'; "
                                   "echo 'app: /config/app.conf: no such file' >&2; exit 1"]}),
        _pod("unhealthy", {
            "command": ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600"],
            "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 2,
                              "failureThreshold": 1}}),
        _pod("no-image", {"image": f"{unreachable_registry}/podnotes/missing:1.0"}),
        _pod("needs-config", {"command": ["sh", "-c", "echo level=$LEVEL; sleep 3600"], "env": [
            {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}}]}),
        _pod("needs-secret", {"command": ["sleep", "3600"], "env": [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-token", "key": "token"}}}]}),
        _pod("target", {"command": ["sh", "-c", f"echo 'written by the app' > {MARKER}; exec sleep 3600"]}),
    ]


SETTINGS = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"colour": "blue"}}


USER_1000 = {"securityContext": {"runAsUser": 1000, "runAsGroup": 1000}}


def debug_commands() -> list[list[str]]:
    """``kubectl debug`` without ``-it`` (the scene reads the output with ``kubectl logs``): the default
    profile, as root, and the same with a partial container spec that runs it as user 1000."""
    base = ["debug", "target", f"--image={IMAGE}", "--target=app"]
    return [[*base, "-c", "debugger", "--", "sh", "-c", DEBUG_SCRIPT],
            [*base, "-c", "debugger-1000", "--custom=user-1000.json", "--", "sh", "-c", DEBUG_SCRIPT]]


@contextlib.contextmanager
def unreachable_registry():
    """``127.0.0.1:PORT`` bound by this process and never listening: a connection there is refused at once,
    and no other program can start listening on it while the scene runs."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{holder.getsockname()[1]}"
    finally:
        holder.close()


def conditions_met(pods: dict[str, dict], events: list[dict]) -> set[str]:
    """Which Pods are in the state the chapter shows, in this snapshot: ``crash`` restarted at least twice,
    held back (Event BackOff) and showing how its last run ended, ``no-image`` in ImagePullBackOff, ``needs-config`` and
    ``needs-secret`` in CreateContainerConfigError, ``unhealthy`` with Unhealthy, Killing and BackOff
    recorded, ``target`` Running."""
    def reason(name: str) -> str | None:
        return waiting_reason(pods.get(name) or {})

    recorded = {f"{(e.get('involvedObject') or {}).get('name')}/{e.get('reason')}" for e in events}
    met = {name for name, wanted in WAITING.items() if reason(name) == wanted}
    crash = pods.get("crash") or {}
    if _restarts(crash) >= 2 and "crash/BackOff" in recorded and "terminated" in _state(crash):
        met.add("crash")
    if {"unhealthy/Killing", "unhealthy/BackOff", "unhealthy/Unhealthy"} <= recorded:
        met.add("unhealthy")
    if ((pods.get("target") or {}).get("status") or {}).get("phase") == "Running":
        met.add("target")
    return met


def _state(pod: dict) -> dict:
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return statuses[0].get("state") or {}


def _status_column(runs: list[dict], pod: str) -> str | None:
    rows = [line.split() for line in runs[0]["stdout"].splitlines()[1:]]
    return next((row[2] for row in rows if len(row) > 2 and row[0] == pod), None)


def crash_ended(runs: list[dict]) -> bool:
    """Whether kubectl saw ``crash`` between runs showing how its last run ended (``Error``), and plain
    ``kubectl logs`` read that run."""
    return _status_column(runs, "crash") == "Error" and runs[3]["exit"] == 0


def _restarts(pod: dict) -> int:
    return sum(s.get("restartCount", 0) for s in (pod.get("status") or {}).get("containerStatuses") or [])


CONFIG_ERROR = "CreateContainerConfigError"
WAITING = {"no-image": "ImagePullBackOff", "needs-config": CONFIG_ERROR, "needs-secret": CONFIG_ERROR}
EXPECTED = {*WAITING, "crash", "unhealthy", "target"}
CRASH_WATCH = ("get", "pod", "crash", "--watch")
# What kubectl shows of each Pod, run the moment it is in its state (a crashing container shows Error
# between its runs, and a failing pull ImagePullBackOff only between attempts).
SHOWN = {
    "crash": (("get", "pods"), ("describe", "pod", "crash"), ("logs", "crash", "--previous"), ("logs", "crash")),
    "unhealthy": (("describe", "pod", "unhealthy"),),
    "no-image": (("describe", "pod", "no-image"), ("logs", "no-image")),
    "needs-config": (("describe", "pod", "needs-config"), ("logs", "needs-config")),
    "needs-secret": (("describe", "pod", "needs-secret"),),
    "target": (("exec", "target", "--", "ps"),),
}


def observe(context) -> dict:
    from ...cluster.binaries import find_client, missing_client_reason

    program = find_client("kubectl")
    if program is None:
        raise RuntimeError(missing_client_reason("kubectl"))
    admin, namespace = context.admin, context.namespace
    record: dict = {"namespace": namespace}
    with unreachable_registry() as registry, tempfile.TemporaryDirectory(prefix="podnotes-debug-") as work:
        Path(work, "user-1000.json").write_text(json.dumps(USER_1000))
        kubectl = Kubectl(program, context.node.kubeconfig, context.node.context, namespace, Path(work))
        record["registry"] = registry
        made = broken_pods(registry)
        admin.create(SETTINGS, namespace=namespace)
        watches: list[KubectlWatch] = []
        try:
            for pod in made:
                admin.create(pod, namespace=namespace)
                if pod["metadata"]["name"] == "crash":
                    watches = [KubectlWatch(kubectl, CRASH_WATCH), KubectlWatch(kubectl, (*CRASH_WATCH, "-o", "json"))]
            record.update(_watch_and_diagnose(kubectl, admin, namespace, *watches))
        finally:
            for watch in watches:
                watch.stop()
            for pod in made:
                admin.force_delete(pod, namespace=namespace, ignore_not_found=True)
            admin.delete(SETTINGS, namespace=namespace, ignore_not_found=True)
            record["left_pods"] = _wait_until_no_pods(admin, namespace)
    return record


@dataclass
class Kubectl:
    """Runs the pinned kubectl against the node, with its kubeconfig and context and the scene's namespace
    given explicitly (never the ambient ones), in ``folder``; each call returns what the chapter shows."""

    program: Path
    kubeconfig: Path
    context: str
    namespace: str
    folder: Path

    def argv(self, *args: str) -> list[str]:
        return [str(self.program), f"--kubeconfig={self.kubeconfig}", f"--context={self.context}",
                f"--namespace={self.namespace}", *args]

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.folder)}

    @staticmethod
    def command_line(*args: str) -> str:
        return "kubectl " + " ".join(shlex.quote(arg) for arg in args)

    def __call__(self, *args: str, timeout: float = 30.0) -> dict:
        done = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout,
                              cwd=self.folder, env=self.env())
        return {"command": self.command_line(*args), "stdout": done.stdout, "stderr": done.stderr,
                "exit": done.returncode}


@dataclass
class KubectlWatch:
    """``kubectl ARGS`` (a ``--watch``) running in the background from now on; every line it prints is kept
    with the wall-clock time it arrived. :meth:`stop` ends it as Ctrl-C does (SIGINT)."""

    kubectl: Kubectl
    args: tuple[str, ...]
    lines: list[tuple[float, str]] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.process = subprocess.Popen(self.kubectl.argv(*self.args), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=self.kubectl.folder,
                                        env=self.kubectl.env())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.time(), line))

    def stop(self) -> dict:
        """Stop it (once; later calls return the same) and return the run as the other kubectl runs are
        kept, with ``lines`` (arrival time, line) and ``seconds`` it ran."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)
        stderr = self.process.stderr.read() if self.process.stderr and not self.process.stderr.closed else ""
        if self.process.stderr:
            self.process.stderr.close()
        return {"command": self.kubectl.command_line(*self.args), "stdout": "".join(line for _, line in self.lines),
                "stderr": stderr, "exit": self.process.returncode, "lines": list(self.lines),
                "seconds": round((self.lines[-1][0] if self.lines else time.time()) - self.started, 1)}

    def statuses(self, container: str = "app") -> list[crashloop.WatchedStatus]:
        """With ``-o json``: the container's statuses delivered so far, in arrival order."""
        found = [crashloop.watched_status(pod, at, container)
                 for at, pod in crashloop.stamped_objects(list(self.lines))]
        return [status for status in found if status is not None]


def _snapshot(admin, namespace: str) -> tuple[dict[str, dict], list[dict]]:
    pods = {p["metadata"]["name"]: p for p in admin.list("Pod", namespace=namespace)}
    return pods, admin.list("Event", namespace=namespace)


def _watch_and_diagnose(kubectl: Kubectl, admin, namespace: str, table: KubectlWatch,
                        objects: KubectlWatch) -> dict:
    """Poll the Pods; the moment one is in its state, run its kubectl commands and keep the Pod and its
    Events as they were then. Meanwhile the two watches of ``crash`` run until they have delivered its
    first ``CrashLoopBackOff`` and the status after it, or for ``CRASH_WATCH_SECONDS``."""
    started = time.monotonic()
    shown: dict[str, list[dict]] = {}
    pods: dict[str, dict] = {}
    events: dict[str, list[dict]] = {}

    def crash_loop_over() -> bool:
        sight = crashloop.first_crash_loop(objects.statuses())
        return sight is not None and sight.shown_for is not None

    def watching() -> bool:
        return not crash_loop_over() and time.monotonic() - started < CRASH_WATCH_SECONDS

    while (set(pods) != EXPECTED or watching()) and time.monotonic() - started < SETTLE_SECONDS:
        now_pods, now_events = _snapshot(admin, namespace)
        for name in sorted(conditions_met(now_pods, now_events) - set(pods)):
            runs = [kubectl(*command) for command in SHOWN[name]]
            if name == "crash" and not crash_ended(runs):
                continue  # it moved on while kubectl ran: wait for the next time
            shown[name], pods[name] = runs, now_pods[name]
            uid = now_pods[name]["metadata"]["uid"]
            events[name] = [e for e in now_events if (e.get("involvedObject") or {}).get("uid") == uid]
        time.sleep(0.5)
    _until_caught_up(table, objects)
    watched = table.stop()
    statuses = objects.statuses()
    objects.stop()
    sight = crashloop.first_crash_loop(statuses)
    found: dict = {"settled_after": round(time.monotonic() - started, 1), "met": sorted(pods),
                   "crash_waiting": sight is not None,
                   "crash_watch": {"statuses": [asdict(status) for status in statuses],
                                   "first_crash_loop": asdict(sight) if sight else None,
                                   "seconds": watched["seconds"]}}
    last_pods, _ = _snapshot(admin, namespace)
    found["pods"] = {**last_pods, **pods}
    found["events"] = [event for name in sorted(events) for event in events[name]]
    found["debug"] = _debug(kubectl, admin, namespace)
    found["fix"] = _add_missing_key(kubectl, admin, namespace)
    watched.pop("lines")
    found["kubectl"] = [run for name in sorted(shown) for run in shown[name]] + [watched] \
        + found["debug"].pop("shown") + found["fix"].pop("shown")
    return found


def _until_caught_up(table: KubectlWatch, objects: KubectlWatch, timeout: float = 5.0) -> None:
    """Wait until the table watch has printed a row for every object the JSON watch delivered: the two
    kubectl processes receive the same changes, each at its own pace."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = len(table.lines) - 1  # the header
        if rows >= len(crashloop.stamped_objects(list(objects.lines))):
            return
        time.sleep(0.2)


def _debug(kubectl: Kubectl, admin, namespace: str, timeout: float = 30.0) -> dict:
    """Both ``kubectl debug`` commands, then what each ephemeral container printed."""
    shown = [kubectl(*command) for command in debug_commands()]
    names = ["debugger", "debugger-1000"]
    deadline = time.monotonic() + timeout
    states: dict[str, dict] = {}
    while time.monotonic() < deadline:
        pod = admin.get("Pod", "target", namespace=namespace)
        states = {s["name"]: s.get("state") or {}
                  for s in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []}
        if all("terminated" in states.get(name, {}) for name in names):
            break
        time.sleep(0.5)
    shown += [kubectl("logs", "target", "-c", name) for name in names]
    target = admin.get("Pod", "target", namespace=namespace)
    return {"states": states, "spec": (target.get("spec") or {}).get("ephemeralContainers"), "shown": shown}


def _add_missing_key(kubectl: Kubectl, admin, namespace: str) -> dict:
    """Add ``level`` to ConfigMap settings and time how long the kubelet takes to start needs-config."""
    before = admin.get("Pod", "needs-config", namespace=namespace)
    shown = [kubectl("patch", "configmap", "settings", "-p", '{"data":{"level":"debug"}}')]
    added = time.monotonic()
    pod = before
    while time.monotonic() - added < FIX_SECONDS:
        pod = admin.get("Pod", "needs-config", namespace=namespace)
        if (pod.get("status") or {}).get("phase") == "Running":
            break
        time.sleep(0.5)
    running = (pod.get("status") or {}).get("phase") == "Running"
    seconds = round(time.monotonic() - added, 1)
    shown += [kubectl("get", "pod", "needs-config"), kubectl("logs", "needs-config")]
    return {"running": running, "seconds": seconds if running else None,
            "same_uid": pod["metadata"]["uid"] == before["metadata"]["uid"],
            "restart_count": sum(s.get("restartCount", 0) for s in
                                 (pod.get("status") or {}).get("containerStatuses") or []),
            "shown": shown}


def _wait_until_no_pods(admin, namespace: str, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p["metadata"]["name"] for p in admin.list("Pod", namespace=namespace)]
        if not left:
            return []
        time.sleep(0.5)
    return left
