"""The classic probe examples, each a Pod manifest plus how its program behaves.

The manifests are those of the Kubernetes documentation ("Configure Liveness,
Readiness and Startup Probes", ``content/en/examples/pods/probe/``) and the
source note's coredns probes; the behaviours describe what the programs in
them really do:

* ``exec-liveness``: busybox runs ``touch /tmp/healthy; sleep 30; rm -f
  /tmp/healthy; sleep 600``, so ``cat /tmp/healthy`` exits 0 for 30 s and 1
  afterwards. Its PID 1 is ``sh``, which has no SIGTERM handler; the kernel
  does not deliver unhandled signals to a namespace's init process, so only
  the SIGKILL at the end of the 30 s grace period stops it.
* ``http-liveness``: agnhost ``liveness`` serves ``/healthz`` with 200 while it
  has been up for at most 10 s, then 500. A Go program exits with code 2 on
  SIGTERM when it runs as PID 1.
* ``tcp-liveness-readiness``: goproxy listens on 8080 all the time.
* ``slow-start``: a server that needs 95 s before ``/healthz`` answers, guarded
  by a startup probe with a 300 s budget (``failureThreshold: 30`` ×
  ``periodSeconds: 10``).
* ``crash-loop``: a program that exits with code 1 five seconds after each start.
* ``coredns``: the source note's coredns liveness and readiness probes; the
  health endpoint stops answering (hangs) after 120 s of uptime.
* ``run-to-completion`` and ``fail-never``: one-shot programs under
  ``restartPolicy: Never``, exiting with 0 and with 1.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from podnotes.probes.behaviour import Behaviour, ContainerBehaviour, ProbeAnswers, Steps


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    manifest: dict
    behaviour: Behaviour
    duration: float = 300.0

    def pod(self) -> dict:
        """A fresh copy of the manifest, safe to change."""
        return copy.deepcopy(self.manifest)


def _pod(name: str, containers: list[dict], **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"test": name}},
            "spec": {**spec, "containers": containers}}


EXEC_LIVENESS = _pod("liveness-exec", [{
    "name": "liveness",
    "image": "registry.k8s.io/busybox:1.27.2",
    "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
    "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5},
}])

HTTP_LIVENESS = _pod("liveness-http", [{
    "name": "liveness",
    "image": "registry.k8s.io/e2e-test-images/agnhost:2.40",
    "args": ["liveness"],
    "livenessProbe": {
        "httpGet": {"path": "/healthz", "port": 8080, "httpHeaders": [{"name": "Custom-Header", "value": "Awesome"}]},
        "initialDelaySeconds": 3, "periodSeconds": 3,
    },
}])

TCP_LIVENESS_READINESS = _pod("goproxy", [{
    "name": "goproxy",
    "image": "registry.k8s.io/goproxy:0.1",
    "ports": [{"containerPort": 8080}],
    "readinessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 10},
    "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 10},
}])

SLOW_START = _pod("slow-start", [{
    "name": "app",
    "image": "registry.k8s.io/e2e-test-images/agnhost:2.40",
    "args": ["netexec", "--http-port=8080"],
    "ports": [{"name": "liveness-port", "containerPort": 8080}],
    "startupProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "failureThreshold": 30, "periodSeconds": 10},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "failureThreshold": 1, "periodSeconds": 10},
    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
}])

CRASH_LOOP = _pod("crash-loop", [{
    "name": "app",
    "image": "registry.k8s.io/busybox:1.27.2",
    "command": ["sh", "-c", "echo starting; sleep 5; echo giving up; exit 1"],
    "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 1},
}])

COREDNS = _pod("coredns", [{
    "name": "coredns",
    "image": "registry.k8s.io/coredns/coredns:v1.11.3",
    "args": ["-conf", "/etc/coredns/Corefile"],
    "livenessProbe": {
        "failureThreshold": 5, "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
        "initialDelaySeconds": 60, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5,
    },
    "readinessProbe": {
        "failureThreshold": 3, "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"},
        "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1,
    },
}])

RUN_TO_COMPLETION = _pod("run-to-completion", [{
    "name": "job",
    "image": "registry.k8s.io/busybox:1.27.2",
    "command": ["sh", "-c", "echo working; sleep 20; echo done"],
}], restartPolicy="Never")

FAIL_NEVER = _pod("fail-never", [{
    "name": "job",
    "image": "registry.k8s.io/busybox:1.27.2",
    "command": ["sh", "-c", "echo working; sleep 20; echo broken >&2; exit 1"],
}], restartPolicy="Never")


def _steps(*points) -> Steps:
    return Steps(tuple((float(t), v) for t, v in points))


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("exec-liveness", "busybox: cat /tmp/healthy succeeds for 30 s, then fails",
           EXEC_LIVENESS,
           Behaviour({"liveness": ContainerBehaviour(
               exit_after=630.0, sigterm="ignore",
               probes={"liveness": ProbeAnswers(_steps((0, 0), (30, 1)))})}),
           duration=180.0),
    Preset("http-liveness", "agnhost liveness: /healthz answers 200 for 10 s, then 500",
           HTTP_LIVENESS,
           Behaviour({"liveness": ContainerBehaviour(
               sigterm_exit_code=2,
               probes={"liveness": ProbeAnswers(_steps((0, 200), (10, 500)))})}),
           duration=120.0),
    Preset("tcp-liveness-readiness", "goproxy: port 8080 always accepts connections",
           TCP_LIVENESS_READINESS,
           Behaviour({"goproxy": ContainerBehaviour(probes={
               "readiness": ProbeAnswers(_steps((0, True))),
               "liveness": ProbeAnswers(_steps((0, True))),
           })}),
           duration=60.0),
    Preset("slow-start", "a server that needs 95 s to start, guarded by a startup probe",
           SLOW_START,
           Behaviour({"app": ContainerBehaviour(probes={
               "startup": ProbeAnswers(_steps((0, None), (95, 200))),
               "liveness": ProbeAnswers(_steps((0, 200))),
               "readiness": ProbeAnswers(_steps((0, 200))),
           })}),
           duration=180.0),
    Preset("crash-loop", "a program that exits with code 1 five seconds after each start",
           CRASH_LOOP,
           Behaviour({"app": ContainerBehaviour(exit_after=5.0, exit_code=1, probes={
               "readiness": ProbeAnswers(_steps((0, 0))),  # `true` exits with 0
           })}),
           duration=900.0),
    Preset("coredns", "coredns whose /health hangs after 120 s of uptime",
           COREDNS,
           Behaviour({"coredns": ContainerBehaviour(probes={
               "liveness": ProbeAnswers(_steps((0, 200)), delays=_steps((0, 0.002), (120, 3600))),
               "readiness": ProbeAnswers(_steps((0, 200)), delays=_steps((0, 0.002), (120, 3600))),
           })}),
           duration=300.0),
    Preset("run-to-completion", "a one-shot program that succeeds after 20 s (restartPolicy: Never)",
           RUN_TO_COMPLETION,
           Behaviour({"job": ContainerBehaviour(exit_after=20.0, exit_code=0)}),
           duration=40.0),
    Preset("fail-never", "a one-shot program that fails after 20 s (restartPolicy: Never)",
           FAIL_NEVER,
           Behaviour({"job": ContainerBehaviour(exit_after=20.0, exit_code=1)}),
           duration=40.0),
)}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"no preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
