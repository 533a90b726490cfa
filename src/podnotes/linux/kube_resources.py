"""How the kubelet turns a container's ``resources`` into cgroup settings,
and the OOM score each QoS class (:mod:`podnotes.kube.qos`) leads to.

The rules follow the kubelet (``pkg/kubelet/cm`` and ``pkg/kubelet/qos``);
quantities are read by :mod:`podnotes.kube.quantity`:

- ``requests.cpu`` becomes a relative weight: ``cpu.shares`` = millicores ×
  1024 / 1000 (at least 2) on cgroup v1, converted to ``cpu.weight`` on v2;
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
from podnotes.linux.cgroups import Limits, shares_to_weight

CFS_PERIOD_US = 100_000
MIN_SHARES = 2
MIN_QUOTA_US = 1_000
GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000


@dataclass(frozen=True)
class CgroupSettings:
    """What the kubelet writes for one container."""

    cpu_shares: int  # v1
    cpu_weight: int  # v2
    cpu_quota_us: int | None  # None: no limit ("max" / -1)
    cpu_period_us: int
    memory_limit_bytes: int | None

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
    return CgroupSettings(cpu_shares=shares, cpu_weight=shares_to_weight(shares), cpu_quota_us=quota,
                          cpu_period_us=CFS_PERIOD_US, memory_limit_bytes=memory)


def oom_score_adj(qos: str, memory_request_bytes: int = 0, memory_capacity_bytes: int = 1) -> int:
    """The ``oom_score_adj`` the kubelet gives a container: who the kernel's
    OOM killer picks first when the whole node runs out of memory."""
    if qos == "Guaranteed":
        return GUARANTEED_OOM_SCORE_ADJ
    if qos == "BestEffort":
        return BEST_EFFORT_OOM_SCORE_ADJ
    score = 1000 - (1000 * memory_request_bytes) // memory_capacity_bytes
    return min(max(score, 2), 999)
