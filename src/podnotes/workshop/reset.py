"""Reset one participant: remove what they made in their namespace and put the exercises' seeds back.

The namespace, its quota, limit range, account, Role and RoleBinding stay, so the participant's
kubeconfig keeps working (deleting the namespace would invalidate the token, which is bound to the
account). Nothing outside that namespace is touched. Pods are removed at once (grace period 0, as
``kubectl delete --force --grace-period=0``): the kubelet still stops their containers, without waiting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from podnotes.cluster import Cluster, ClusterError

from . import rest
from .participants import Participant
from .setup import seed_exercises

# What a participant may create (their Role's rules); each is emptied by one delete-collection request.
RESETTABLE = (("v1", "Pod"), ("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "Deployment"),
              ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
              ("batch/v1", "Job"), ("batch/v1", "CronJob"))
# Made by the controller-manager in every namespace (the cluster's CA for Pods): not the participant's.
KEEP_CONFIGMAPS = "metadata.name!=kube-root-ca.crt"
IMMEDIATELY = {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
               "propagationPolicy": "Background"}


@dataclass
class ResetReport:
    participant: str
    namespace: str
    seconds: float


def empty_namespace(cluster: Cluster, namespace: str, timeout: float = 30.0) -> None:
    """Delete every object a participant can make in ``namespace``, and wait until the Pods are gone."""
    for api_version, kind in RESETTABLE:
        query = {"fieldSelector": KEEP_CONFIGMAPS} if kind == "ConfigMap" else {}
        rest.delete_collection(cluster, api_version, kind, namespace, IMMEDIATELY, **query)
    deadline = time.monotonic() + timeout
    while rest.items(cluster, "v1", "Pod", namespace):
        if time.monotonic() > deadline:
            raise ClusterError(f"Pods in {namespace} still exist {timeout:.0f} s after they were deleted",
                               hint="the API server or a finalizer holds them; `kubectl get pods -n "
                                    f"{namespace} -o yaml` shows metadata.finalizers")
        time.sleep(0.2)


def reset(cluster: Cluster, workshop: str, person: Participant) -> ResetReport:
    started = time.perf_counter()
    empty_namespace(cluster, person.namespace)
    seed_exercises(cluster, workshop, person)
    return ResetReport(person.name, person.namespace, time.perf_counter() - started)
