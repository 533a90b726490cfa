"""Per-container restart rules on the real node (chapter ``09-init-and-ephemeral``).

One Pod with ``restartPolicy: Never`` and two app containers that each override it with their own
``restartPolicy: Never`` and one rule, ``Restart`` when the exit code is ``In [42]``: ``retry`` exits 42 four
seconds after each start, ``stop`` exits 1. The kubelet restarts ``retry`` (at once the first time, then
after the crash back-off) and never ``stop``. The scene records the Pod's timeline for
``OBSERVE_SECONDS``, each container's restart count, last exit code and the kubelet's Events, and compares
the timeline with the simulator's (:mod:`podnotes.node.agreement`, the same tolerances as the examples).

Sources (kubernetes v1.37.2): ``pkg/features/kube_features.go`` (``ContainerRestartRules``: alpha 1.34,
beta and on by default since 1.35), ``staging/src/k8s.io/api/core/v1/types.go`` (``Container.restartPolicy``,
``restartPolicyRules``: rules need the container's ``restartPolicy`` set), ``pkg/api/v1/pod/util.go``
(``ContainerShouldRestart``: the first matching rule, else the container's policy, else the Pod's),
``pkg/kubelet/kuberuntime/kuberuntime_manager.go`` (``computePodActions``, ``doBackOff``).
"""

from __future__ import annotations

import copy

from ...cluster.describe import events_of
from ...probes import Behaviour, ContainerBehaviour

NAME = "restart-rules"
IMAGE = "registry.k8s.io/busybox:1.27.2"
# Twice the kubelet's status latency (podnotes.node.agreement.SYNC_LATENCY): the Pod is Ready for one run of
# both containers, and a shorter spell may never reach the API server (the status manager sends only the
# latest status), which would leave the simulator's Ready instants without a partner.
RUN_SECONDS = 4
OBSERVE_SECONDS = 34.0  # the first run, an immediate restart, a 10 s back-off and the third run (seen up to 6 s late)
RETRY_CODE = 42
STOP_CODE = 1
RULES = [{"action": "Restart", "exitCodes": {"operator": "In", "values": [RETRY_CODE]}}]


def _container(name: str, code: int) -> dict:
    return {"name": name, "image": IMAGE, "command": ["sh", "-c", f"sleep {RUN_SECONDS}; exit {code}"],
            "restartPolicy": "Never", "restartPolicyRules": copy.deepcopy(RULES)}


def manifest() -> dict:
    """The scene's Pod: ``retry`` exits 42, ``stop`` exits 1, both with the rule "restart on 42"."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restart-rules"},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 2, "dnsPolicy": "Default",
                     "containers": [_container("retry", RETRY_CODE), _container("stop", STOP_CODE)]}}


def behaviour() -> Behaviour:
    """What the programs do, for the simulator: each exits after ``RUN_SECONDS`` with its code."""
    return Behaviour({"retry": ContainerBehaviour(exit_after=float(RUN_SECONDS), exit_code=RETRY_CODE),
                      "stop": ContainerBehaviour(exit_after=float(RUN_SECONDS), exit_code=STOP_CODE)})


def container_outcomes(pod: dict) -> dict[str, dict]:
    """Per container of ``pod``: ``restarts`` (restartCount), ``state`` (its kind), ``exit_codes`` of the run
    in ``state`` and in ``lastState`` where they ended (None where not)."""
    found = {}
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        state = status.get("state") or {}
        last = (status.get("lastState") or {}).get("terminated") or {}
        found[status["name"]] = {
            "restarts": status.get("restartCount", 0), "state": next(iter(state), None),
            "exit_code": (state.get("terminated") or {}).get("exitCode"), "last_exit_code": last.get("exitCode")}
    return found


def observe(context) -> dict:
    from ... import cluster
    from ...probes import simulate
    from ..agreement import compare

    pod = manifest()
    node = context.node
    with cluster.open_cluster(node.name, namespace=context.namespace, kubeconfig=node.kubeconfig) as connected:
        connected.create(copy.deepcopy(pod))
        try:
            observed = cluster.observe(connected, pod["metadata"]["name"], OBSERVE_SECONDS)
            final = connected.get("Pod", pod["metadata"]["name"])
            events = connected.list("Event")
        finally:
            connected.force_delete(copy.deepcopy(pod), ignore_not_found=True)
    first_start = min(event.time for event in observed.select("start"))
    simulated = simulate(pod, behaviour(), duration=round(observed.duration - first_start, 1))
    agreement = compare(NAME, simulated, observed)
    return {
        "manifest": pod, "observed": observed.to_dict(), "simulated": simulated.to_dict(),
        "outcomes": container_outcomes(final), "phase": (final.get("status") or {}).get("phase"),
        "events": events_of(final, events), "offset": agreement.offset,
        "rows": [{"what": r.what, "simulated": r.simulated, "observed": r.observed, "difference": r.difference,
                  "tolerance": r.tolerance, "agrees": r.agrees} for r in agreement.rows],
        "simulated_phase": agreement.simulated_phase, "observed_phase": agreement.observed_phase,
    }
