"""How the kubelet turns a container's ``resources`` into cgroup settings,
and the OOM score each QoS class (:mod:`podnotes.kube.qos`) leads to.

The rules follow the kubelet (``pkg/kubelet/cm`` and ``pkg/kubelet/qos``);
quantities are read by :mod:`podnotes.kube.quantity`:

- ``requests.cpu`` becomes a relative weight: ``cpu.shares`` = millicores ×
  1024 / 1000 (at least 2) on cgroup v1, converted to ``cpu.weight`` on v2
  (by the runtime for a container: ``cgroups.shares_to_weight_quadratic``
  since runc 1.3.2 and crun 1.23, ``cgroups.shares_to_weight`` before; the
  kubelet's own Pod-level group still uses the linear one, v1.37.2);
- ``limits.cpu`` becomes a CFS quota: millicores × period / 1000 µs per
  100 000 µs period (``cpu.cfs_quota_us`` or ``cpu.max``);
- ``limits.memory`` becomes the hard memory limit (``memory.limit_in_bytes``
  or ``memory.max``); above it the kernel's OOM killer ends the container;
- a request left out defaults to the limit, when a limit is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from podnotes.kube.defaults import effective_requests
from podnotes.kube.quantity import millicores, whole_units
from podnotes.linux.cgroups import Limits, shares_to_weight, shares_to_weight_quadratic

CFS_PERIOD_US = 100_000
MIN_SHARES = 2
MAX_SHARES = 262_144
MIN_QUOTA_US = 1_000
GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000


@dataclass(frozen=True)
class CgroupSettings:
    """What the kubelet writes for one container."""

    cpu_shares: int  # v1
    cpu_weight: int  # v2, the container's, as runc >= 1.3.2 / crun >= 1.23 convert it
    cpu_quota_us: int | None  # None: no limit ("max" / -1)
    cpu_period_us: int
    memory_limit_bytes: int | None
    cpu_weight_linear: int = 0  # v2, linear: runc < 1.3.2, crun < 1.23, the kubelet's Pod-level group

    def limits(self) -> Limits:
        return Limits(memory_bytes=self.memory_limit_bytes, cpu_quota_us=self.cpu_quota_us,
                      cpu_period_us=self.cpu_period_us, cpu_weight=self.cpu_weight)

    def files(self, version: str) -> dict[str, str]:
        """The settings as file name -> content for cgroup ``version``."""
        if version == "v2":
            return {"cpu.weight": str(self.cpu_weight),
                    "cpu.max": f"{self.cpu_quota_us if self.cpu_quota_us else 'max'} {self.cpu_period_us}",
                    "memory.max": str(self.memory_limit_bytes or "max")}
        return {"cpu.shares": str(self.cpu_shares),
                "cpu.cfs_quota_us": str(self.cpu_quota_us or -1),
                "cpu.cfs_period_us": str(self.cpu_period_us),
                "memory.limit_in_bytes": str(self.memory_limit_bytes or "unlimited")}


def cgroup_settings(resources: dict | None) -> CgroupSettings:
    resources = resources or {}
    requests, limits = effective_requests(resources), resources.get("limits") or {}
    shares = max(MIN_SHARES, millicores(requests["cpu"]) * 1024 // 1000) if "cpu" in requests else MIN_SHARES
    quota = None
    if "cpu" in limits:
        quota = max(MIN_QUOTA_US, millicores(limits["cpu"]) * CFS_PERIOD_US // 1000)
    memory = whole_units(limits["memory"]) if "memory" in limits else None
    return CgroupSettings(cpu_shares=shares, cpu_weight=shares_to_weight_quadratic(shares),
                          cpu_weight_linear=shares_to_weight(shares), cpu_quota_us=quota,
                          cpu_period_us=CFS_PERIOD_US, memory_limit_bytes=memory)


def container_cgroup_settings(spec: dict, container: dict) -> CgroupSettings:
    """What the kubelet writes for ``container`` of Pod ``spec``: :func:`cgroup_settings`, except that with
    Pod-level ``resources`` a CPU or memory limit the container does not set is the Pod's limit, and a CPU
    request it does not set is then that limit (``getCPULimit``, ``getMemoryLimit`` and
    ``generateLinuxContainerResources`` in pkg/kubelet/kuberuntime/kuberuntime_container_linux.go,
    v1.37.2)."""
    resources = {kind: dict(values) for kind, values in (container.get("resources") or {}).items()}
    pod_limits = (spec.get("resources") or {}).get("limits") or {}
    if pod_limits:
        limits = resources.setdefault("limits", {})
        for name in ("cpu", "memory"):
            if name in pod_limits and name not in limits:
                limits[name] = pod_limits[name]
    return cgroup_settings(resources)


def milli_cpu_to_shares(millicores_: int) -> int:
    """``MilliCPUToShares`` (pkg/kubelet/cm/helpers_linux.go): millicores × 1024 / 1000, between 2 and
    262144; 0 (no request) gives 2."""
    return min(max(MIN_SHARES, millicores_ * 1024 // 1000), MAX_SHARES)


def qos_group_shares(pod_specs: list[dict], allocatable_cpu_millicores: int) -> dict[str, int]:
    """``cpu.shares`` of the kubelet's top groups for the Pods ``pod_specs`` active on a node whose CPU, less
    its reservations, is ``allocatable_cpu_millicores``: ``kubepods`` that CPU as shares
    (``enforceNodeAllocatableCgroups``, pkg/kubelet/cm/node_container_manager_linux.go), ``burstable`` the
    summed CPU requests of the Burstable Pods (Pod-level requests where set), ``besteffort`` always 2
    (``setCPUCgroupConfig``, pkg/kubelet/cm/qos_container_manager_linux.go, v1.37.2)."""
    from podnotes.kube.qos import qos_class

    burstable = sum(_pod_amount(spec, "requests", "cpu") for spec in pod_specs if qos_class(spec) == "Burstable")
    return {KUBEPODS: milli_cpu_to_shares(allocatable_cpu_millicores),
            "burstable": milli_cpu_to_shares(burstable), "besteffort": MIN_SHARES}


def oom_score_adj(qos: str, memory_request_bytes: int = 0, memory_capacity_bytes: int = 1) -> int:
    """The ``oom_score_adj`` the kubelet gives a container: who the kernel's
    OOM killer picks first when the whole node runs out of memory.

    Burstable: ``1000 - 1000 * request / capacity``, kept between 3
    (``1000 + guaranteedOOMScoreAdj``, so that a Burstable container always
    scores above a Guaranteed one using all its memory) and 999 (below
    BestEffort); ``GetContainerOOMScoreAdjust`` in pkg/kubelet/qos/policy.go."""
    if qos == "Guaranteed":
        return GUARANTEED_OOM_SCORE_ADJ
    if qos == "BestEffort":
        return BEST_EFFORT_OOM_SCORE_ADJ
    score = 1000 - (1000 * memory_request_bytes) // memory_capacity_bytes
    return min(max(score, 1000 + GUARANTEED_OOM_SCORE_ADJ), BEST_EFFORT_OOM_SCORE_ADJ - 1)


def container_oom_score_adj(spec: dict, container_name: str, memory_capacity_bytes: int) -> int:
    """The ``oom_score_adj`` the kubelet gives container ``container_name`` of Pod ``spec`` (a plain dict,
    defaulted or not) on a node with ``memory_capacity_bytes``: ``GetContainerOOMScoreAdjust`` in
    pkg/kubelet/qos/policy.go and ``remainingPodMemReqPerContainer`` in pkg/kubelet/qos/helpers.go (v1.37.2).

    Beyond :func:`oom_score_adj`: with Pod-level ``resources.requests.memory`` (PodLevelResources, beta and
    on since 1.34) the part of the Pod's request no container claims is shared equally by all containers
    (regular and init) and added to each one's request; a sidecar (an init container with
    ``restartPolicy: Always``) scores no higher than the regular container with the smallest request.
    Node-critical Pods (priority class system-node-critical or system-cluster-critical) are not modelled.
    Raises ``KeyError`` for a container the spec does not have, ``ValueError`` for a bad quantity."""
    from podnotes.kube.qos import qos_class

    qos = qos_class(spec)
    if qos != "Burstable":
        return oom_score_adj(qos)
    every = {c["name"]: c for group in ("initContainers", "containers") for c in spec.get(group) or []}
    container = every[container_name]
    extra = _unclaimed_pod_memory_per_container(spec)
    score = 1000 - (1000 * (_memory_request(container) + extra)) // memory_capacity_bytes
    if _is_sidecar(spec, container):
        smallest = min(_memory_request(c) for c in spec.get("containers") or [])
        score = min(score, 1000 - (1000 * (smallest + extra)) // memory_capacity_bytes)
    return min(max(score, 1000 + GUARANTEED_OOM_SCORE_ADJ), BEST_EFFORT_OOM_SCORE_ADJ - 1)


def _memory_request(container: dict) -> int:
    return _amount(container, "requests", "memory")


def _amount(container: dict, kind: str, resource: str) -> int:
    """A container's request or limit of ``resource``: millicores for cpu, bytes for memory, 0 when unset."""
    resources = container.get("resources") or {}
    values = effective_requests(resources) if kind == "requests" else resources.get("limits") or {}
    if resource not in values:
        return 0
    return millicores(values[resource]) if resource == "cpu" else whole_units(values[resource])


def _is_sidecar(spec: dict, container: dict) -> bool:
    inits = spec.get("initContainers") or []
    return container.get("restartPolicy") == "Always" and any(c is container for c in inits)


def aggregate_memory_request(spec: dict) -> int:
    """The Pod's memory request from its containers, in bytes: :func:`aggregate`."""
    return aggregate(spec, "requests", "memory")


def aggregate(spec: dict, kind: str, resource: str) -> int:
    """The Pod's ``kind`` ("requests" or "limits") of ``resource`` ("cpu" in millicores, "memory" in bytes)
    from its containers (``AggregateContainerRequests`` / ``PodLimits`` in
    k8s.io/component-helpers/resource/helpers.go): the sum over regular containers and sidecars, or a plain
    init container's amount plus the sidecars started before it, whichever is larger."""
    total = sum(_amount(c, kind, resource) for c in spec.get("containers") or [])
    sidecars_before = 0
    peak_init = 0
    for init in spec.get("initContainers") or []:
        if init.get("restartPolicy") == "Always":
            sidecars_before += _amount(init, kind, resource)
        else:
            peak_init = max(peak_init, sidecars_before + _amount(init, kind, resource))
    return max(total + sidecars_before, peak_init)


def _pod_amount(spec: dict, kind: str, resource: str) -> int:
    """Pod-level resources when the Pod sets them for ``resource``, else the containers' aggregate."""
    pod_level = spec.get("resources") or {}
    values = effective_requests(pod_level) if kind == "requests" else pod_level.get("limits") or {}
    if resource in values:
        return millicores(values[resource]) if resource == "cpu" else whole_units(values[resource])
    return aggregate(spec, kind, resource)


def _limit_declared(spec: dict, resource: str) -> bool:
    every = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    if resource in ((spec.get("resources") or {}).get("limits") or {}):
        return True
    return all(_amount(c, "limits", resource) for c in every)


def pod_cgroup_settings(spec: dict) -> CgroupSettings:
    """What the kubelet writes into a Pod's own group ``pod<UID>`` (``ResourceConfigForPod`` in
    pkg/kubelet/cm/helpers_linux.go, v1.37.2, CPU limits enforced, no Pod overhead). The weight is the
    summed CPU request as shares (at least 2; a BestEffort Pod gets 2); quota and memory limit are set for
    a Guaranteed Pod, and for a Burstable one only when every container (or the Pod-level ``resources``)
    has that limit; the amounts are Pod-level ``resources`` where given, else the containers' sums
    (:func:`aggregate`). v2 weights use the kubelet's linear conversion. Raises ``ValueError`` for a bad
    quantity."""
    from podnotes.kube.qos import qos_class

    qos = qos_class(spec)
    cpu_request = _pod_amount(spec, "requests", "cpu") if qos != "BestEffort" else 0
    shares = max(MIN_SHARES, cpu_request * 1024 // 1000)
    quota = memory = None
    if qos == "Guaranteed" or (qos == "Burstable" and _limit_declared(spec, "cpu")):
        cpu_limit = _pod_amount(spec, "limits", "cpu")
        quota = max(MIN_QUOTA_US, cpu_limit * CFS_PERIOD_US // 1000) if cpu_limit else None
    if qos == "Guaranteed" or (qos == "Burstable" and _limit_declared(spec, "memory")):
        memory = _pod_amount(spec, "limits", "memory") or None
    weight = shares_to_weight(shares)
    return CgroupSettings(cpu_shares=shares, cpu_weight=weight, cpu_weight_linear=weight, cpu_quota_us=quota,
                          cpu_period_us=CFS_PERIOD_US, memory_limit_bytes=memory)


def _unclaimed_pod_memory_per_container(spec: dict) -> int:
    pod_requests = effective_requests(spec.get("resources") or {})
    if "memory" not in pod_requests or not whole_units(pod_requests["memory"]):
        return 0
    count = len(spec.get("containers") or []) + len(spec.get("initContainers") or [])
    unclaimed = max(whole_units(pod_requests["memory"]) - aggregate_memory_request(spec), 0)
    return unclaimed // count


#: The kubelet's top cgroup for Pods (``defaultNodeAllocatableCgroupName`` in
#: pkg/kubelet/cm/node_container_manager_linux.go).
KUBEPODS = "kubepods"
#: The QoS classes with a group of their own under ``kubepods``; a Guaranteed Pod's group sits directly in
#: ``kubepods`` (pkg/kubelet/cm/qos_container_manager_linux.go, ``strings.ToLower`` of the class).
QOS_GROUPS = ("burstable", "besteffort")
#: Prefix of a Pod's group, followed by its UID (``podCgroupNamePrefix``,
#: pkg/kubelet/cm/pod_container_manager_linux.go).
POD_GROUP_PREFIX = "pod"
CGROUP_DRIVERS = ("cgroupfs", "systemd")


def pod_cgroup_path(qos: str, pod_uid: str, driver: str = "cgroupfs") -> tuple[str, ...]:
    """The groups from the cgroup root down to a Pod's own group, as the kubelet names them.

    cgroupfs driver: ``("kubepods", "burstable", "pod<UID>")``; systemd driver: each name becomes a slice
    carrying its parents' names, with ``-`` in the UID escaped as ``_`` (``("kubepods.slice",
    "kubepods-burstable.slice", "kubepods-burstable-pod<UID_>.slice")``; ``ToSystemd`` in
    pkg/kubelet/cm/cgroup_manager_linux.go). Raises ``ValueError`` for an unknown QoS class or driver."""
    if qos not in ("Guaranteed", "Burstable", "BestEffort"):
        raise ValueError(f"unknown QoS class {qos!r}; expected Guaranteed, Burstable or BestEffort")
    if driver not in CGROUP_DRIVERS:
        raise ValueError(f"unknown cgroup driver {driver!r}; expected one of {', '.join(CGROUP_DRIVERS)}")
    names = [KUBEPODS] + ([] if qos == "Guaranteed" else [qos.lower()]) + [POD_GROUP_PREFIX + pod_uid]
    if driver == "cgroupfs":
        return tuple(names)
    escaped = [name.replace("-", "_") for name in names]
    return tuple("-".join(escaped[: depth + 1]) + ".slice" for depth in range(len(escaped)))


def container_cgroup_name(container_id: str, driver: str = "cgroupfs") -> str:
    """A container's group inside its Pod's, as containerd's CRI plugin names it: the container ID with the
    cgroupfs driver, ``cri-containerd-<ID>.scope`` with the systemd driver."""
    if driver not in CGROUP_DRIVERS:
        raise ValueError(f"unknown cgroup driver {driver!r}; expected one of {', '.join(CGROUP_DRIVERS)}")
    return container_id if driver == "cgroupfs" else f"cri-containerd-{container_id}.scope"
