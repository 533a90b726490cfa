"""Remove a workshop: every namespace it made (and with each, everything in it: quota, limit range,
account, Role, RoleBinding, the participants' objects), then its records on this machine.

Namespaces are found on the cluster by the label ``podnotes.io/workshop=NAME``, not only from the record,
so ``down`` also removes what a killed ``up`` made after its last record was written. Pods are removed
first with grace period 0, so the namespace controller (kube-controller-manager) finishes quickly; ``down``
then waits until the namespaces are gone and proves it: no object of any listable resource, cluster-wide,
still carries the workshop's label. Running ``down`` again after an interruption finishes the job.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from podnotes.cluster import Cluster, ClusterError
from podnotes.cluster.ownership import _listable

from . import records, rest
from .connection import WORKERS
from .namespace_objects import WORKSHOP_LABEL
from .reset import IMMEDIATELY

DOWN_TIMEOUT = 120.0


@dataclass
class DownReport:
    workshop: str
    namespaces: list[str]
    seconds: float
    left: list[str] = field(default_factory=list)  # what still carries the label: empty when proved gone
    resources_checked: int = 0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: deleting, namespace controller, proof


def workshop_namespaces(cluster: Cluster, workshop: str) -> list[str]:
    found = rest.items(cluster, "v1", "Namespace", labelSelector=f"{WORKSHOP_LABEL}={workshop}")
    return sorted(item["metadata"]["name"] for item in found)


def down(cluster: Cluster, workshop: str, timeout: float = DOWN_TIMEOUT) -> DownReport:
    """Delete the workshop's namespaces, wait until they are gone, prove nothing labelled is left, and
    remove the record folder. Raises ClusterError if something is still there after ``timeout``."""
    started = time.perf_counter()
    namespaces = workshop_namespaces(cluster, workshop)

    def remove(namespace: str) -> None:
        rest.delete_collection(cluster, "v1", "Pod", namespace, IMMEDIATELY)
        rest.delete(cluster, "v1", "Namespace", None, namespace)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(remove, namespaces))
    phases = {"deleting": time.perf_counter() - started}
    deadline = time.monotonic() + timeout
    while remaining := workshop_namespaces(cluster, workshop):
        if time.monotonic() > deadline:
            raise ClusterError(f"{len(remaining)} namespaces of workshop {workshop} are still terminating after "
                               f"{timeout:.0f} s: {', '.join(remaining[:5])}",
                               hint="is kube-controller-manager running? it empties and removes namespaces; "
                                    f"`kubectl get ns {remaining[0]} -o yaml` shows status.conditions")
        time.sleep(0.25)
    phases["namespace controller"] = time.perf_counter() - started - phases["deleting"]
    left, checked = labelled_objects(cluster, workshop)
    phases["proof"] = time.perf_counter() - started - sum(phases.values())
    if not left:
        records.remove(workshop)
    return DownReport(workshop, namespaces, time.perf_counter() - started, left, checked, phases)


def labelled_objects(cluster: Cluster, workshop: str) -> tuple[list[str], int]:
    """Every object of every listable resource, cluster-wide, labelled with the workshop; and how many
    resources were asked."""
    selector = f"{WORKSHOP_LABEL}={workshop}"
    resources = _listable(cluster.dynamic)

    def listed(resource) -> list[str]:
        try:
            items = cluster.dynamic.get(resource, label_selector=selector).to_dict().get("items") or []
        except Exception as err:  # noqa: BLE001 - a resource the server cannot list is reported, not skipped
            if getattr(err, "status", None) in (404, 405):
                return []
            return [f"{resource.kind} (could not list: {str(err).splitlines()[0][:80]})"]
        return [f"{resource.kind.lower()}/{item['metadata']['name']}" +
                (f" in {item['metadata']['namespace']}" if item["metadata"].get("namespace") else "")
                for item in items]

    with ThreadPoolExecutor(WORKERS) as pool:
        found = [entry for entries in pool.map(listed, resources) for entry in entries]
    return found, len(resources)
