"""The resources scene's recording (:mod:`podnotes.node.scenes.resources`) as the chapter shows it: short
tables, and each value read on the node next to the one the book computes from the Pod spec
(:mod:`podnotes.linux.kube_resources`).
"""

from __future__ import annotations

from ..kube.quantity import whole_units
from ..linux import kube_resources
from . import podcgroups

QOS_PODS = ("guaranteed", "burstable", "besteffort")


def short(name: str) -> str:
    """A container ID cut to 12 digits, a Pod group ``pod<UID>`` to its first 8 UID digits."""
    if name.startswith("pod") and len(name) > 20:
        return name[:11] + "…"
    return name[:12] + "…" if len(name) == 64 else name


def layout(record: dict) -> tuple[str, str]:
    """(cgroup version, driver) the node's Pods were found in."""
    app = record["pods"]["burstable"]["containers"]["app"]
    return app["cgroup_version"], podcgroups.cgroup_driver(tuple(app["chain"]))


def hierarchy_rows(record: dict) -> list[tuple[str, str, str]]:
    """(Pod, QoS class, its container's group from kubepods down, shortened)."""
    rows = []
    for name in QOS_PODS:
        pod = record["pods"][name]
        chain = pod["containers"]["app"]["chain"]
        rows.append((name, pod["qos_class"], "/".join(short(part) for part in chain)))
    return rows


def value_rows(record: dict) -> list[tuple[str, str, str, str, str]]:
    """(group, weight, quota µs, memory limit, mismatches) for each container and Pod group of the QoS
    Pods and the Pod-level one, read on the node; ``ok`` where they match the computed values."""
    rows = []
    for name in (*QOS_PODS, "pod-level"):
        pod, spec = record["pods"][name], record["manifests"][name]["spec"]
        version = next(iter(pod["containers"].values()))["cgroup_version"]
        for container in spec["containers"]:
            read = podcgroups.settings(pod["containers"][container["name"]]["values"])
            wrong = podcgroups.differences(read, kube_resources.container_cgroup_settings(spec, container), version)
            rows.append((f"{name}/{container['name']}", *_shown(read), "; ".join(wrong) or "ok"))
        read = podcgroups.settings(pod["pod_values"])
        wrong = podcgroups.differences(read, kube_resources.pod_cgroup_settings(spec), version, "pod")
        rows.append((f"{name} (Pod)", *_shown(read), "; ".join(wrong) or "ok"))
    return rows


def qos_group_rows(record: dict) -> list[tuple[str, int, int]]:
    """(group, ``cpu.shares`` read, computed) of ``kubepods``, ``burstable`` and ``besteffort`` while the
    scene's Pods ran, the Pods being every active Pod of the node (the test node has no reservations)."""
    from ..kube.quantity import millicores

    specs = [manifest["spec"] for manifest in record["manifests"].values()]
    computed = kube_resources.qos_group_shares(specs, millicores(record["node"]["capacity_cpu"]))
    read = {kube_resources.KUBEPODS: record["pods"]["guaranteed"]["qos_values"],
            "burstable": record["pods"]["burstable"]["qos_values"],
            "besteffort": record["pods"]["besteffort"]["qos_values"]}
    return [(group, podcgroups.settings(values).cpu_weight, computed[group]) for group, values in read.items()]


def _shown(read: podcgroups.Settings) -> tuple[str, str, str]:
    memory = "none" if read.memory_limit_bytes is None else f"{read.memory_limit_bytes // 1024**2}Mi"
    quota = "none" if read.cpu_quota_us is None else str(read.cpu_quota_us)
    return str(read.cpu_weight), quota, memory


def oom_rows(record: dict) -> list[tuple[str, int, int, int]]:
    """(process, oom_score_adj the kubelet (or containerd, for the pause process) asks for, what
    containerd applies on this node, what ``/proc/<pid>/oom_score_adj`` reads) for every container of every
    running Pod, then the Burstable Pod's pause process."""
    capacity = whole_units(record["node"]["capacity_memory"])
    runtime = record["runtime_oom"]

    def applied(asked: int) -> int:
        return podcgroups.applied_oom_score_adj(asked, runtime["containerd_oom_score_adj"],
                                                runtime["restrict_oom_score_adj"])

    rows = []
    for name, pod in record["pods"].items():
        spec = record["manifests"][name]["spec"]
        for container, seen in pod["containers"].items():
            asked = kube_resources.container_oom_score_adj(spec, container, capacity)
            rows.append((f"{name}/{container}", asked, applied(asked), seen["oom_score_adj"]))
    pause = record["pods"]["burstable"]["pause"]["oom_score_adj"]
    rows.append(("burstable/pause", SANDBOX_OOM_SCORE_ADJ, applied(SANDBOX_OOM_SCORE_ADJ), pause))
    return rows


#: containerd's CRI plugin gives the sandbox (pause) process this score (``defaultSandboxOOMAdj``,
#: internal/cri/server/podsandbox/sandbox_run_linux.go; pkg/cri/server/sandbox_run_linux.go in 1.6).
SANDBOX_OOM_SCORE_ADJ = -998


def resize_rows(record: dict, pod: str) -> list[tuple[str, str, str]]:
    """(what, before, after) of one resized Pod's container: its group's values, ID, PID, restarts."""
    before = record["resize"]["before"][pod]["containers"]["app"]
    after = record["resize"]["after"][pod]["containers"]["app"]
    old, new = podcgroups.settings(before["values"]), podcgroups.settings(after["values"])
    old_shown, new_shown = _shown(old), _shown(new)
    return [
        ("cpu weight", old_shown[0], new_shown[0]),
        ("cpu quota µs", old_shown[1], new_shown[1]),
        ("memory limit", old_shown[2], new_shown[2]),
        ("container ID", short(before["container_id"]), short(after["container_id"])),
        ("host PID", str(before["pid"]), str(after["pid"])),
        ("restartCount", str(before["restart_count"]), str(after["restart_count"])),
    ]
