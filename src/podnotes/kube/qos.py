"""The QoS class of a Pod, as ``status.qosClass`` reports it.

Upstream: ``ComputePodQOS``, ``requirementsQOS`` and ``resourceQOS`` in
``pkg/apis/core/helper/qos/qos.go`` (Kubernetes 1.37). Per container (init and
regular; ephemeral containers have no resources) and per resource (cpu,
memory), requests and limits are compared as quantities after defaulting
(a limit without a request is also the request): equal and non-zero is
Guaranteed, both zero BestEffort, anything else Burstable. The Pod is
Guaranteed or BestEffort only when every container is; with pod-level
``resources`` (PodLevelResources, on by default since 1.34) those alone decide.
"""

from __future__ import annotations

from typing import Any

from .containers import containers
from .defaults import effective_requests
from .quantity import same_quantity

QOS_RESOURCES = ("cpu", "memory")


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort for a Pod spec (a plain dict).

    Raises :class:`podnotes.kube.quantity.QuantityError` (a ValueError) for an
    amount that is not a quantity.
    """
    if isinstance(spec.get("resources"), dict):
        return requirements_qos(spec["resources"])
    pod_qos = ""
    for _, _, container in containers(spec, ("initContainers", "containers")):
        container_qos = requirements_qos(container.get("resources") or {})
        if container_qos == "Burstable" or (pod_qos and pod_qos != container_qos):
            return "Burstable"
        pod_qos = container_qos
    return pod_qos or "BestEffort"


def requirements_qos(resources: dict[str, Any]) -> str:
    """requirementsQOS: the class of one set of requests and limits."""
    requests, limits = effective_requests(resources), resources.get("limits") or {}
    if not requests and not limits:
        return "BestEffort"
    shapes = {resource_qos(requests.get(name), limits.get(name)) for name in QOS_RESOURCES}
    return shapes.pop() if len(shapes) == 1 else "Burstable"


def resource_qos(request: Any, limit: Any) -> str:
    """resourceQOS: Burstable if request != limit, BestEffort if both are zero, else Guaranteed."""
    if not same_quantity(request, limit):
        return "Burstable"
    return "BestEffort" if same_quantity(request, 0) else "Guaranteed"
