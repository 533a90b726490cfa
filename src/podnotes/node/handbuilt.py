"""The Pod the real node built (the pod-on-a-node scene's record) next to the Pod built by hand in the
chapter on the pause container (:class:`podnotes.linux.pod.Pod`): what is the same, what differs, measured
on one side and taken from the rules :class:`~podnotes.linux.pod.Pod` follows on the other."""

from __future__ import annotations

from dataclasses import dataclass

from ..linux import pod, views
from .podhost import short_cgroup


@dataclass(frozen=True)
class NamespaceRow:
    """One namespace kind: whose namespace the pause process and the app container are in, on the real node
    (measured) and in the hand-built Pod (its rules), each ``"pod"``, ``"own"`` or ``"host"``."""

    kind: str
    pause_real: str
    pause_hand: str
    app_real: str
    app_hand: str

    @property
    def same(self) -> bool:
        return (self.pause_real, self.app_real) == (self.pause_hand, self.app_hand)


@dataclass(frozen=True)
class Aspect:
    """One point of comparison, in words: ``real`` (from the record) and ``hand`` (the hand-built Pod)."""

    aspect: str
    real: str
    hand: str


def namespace_rows(record: dict, app: str = "server") -> list[NamespaceRow]:
    """Every kind of ``views.NAMESPACE_KINDS``; raises KeyError when the record lacks the identities."""
    ns = record["namespaces"]
    real = pod.measured_sharing(ns["host"], ns["pause"], {app: ns[app]})
    hand = pod.planned_sharing([app])
    return [NamespaceRow(kind, real[kind]["pause"], hand[kind]["pause"], real[kind][app], hand[kind][app])
            for kind in views.NAMESPACE_KINDS]


def aspects(record: dict) -> list[Aspect]:
    """Who starts the processes, the pause process, the network, the cgroups and the root file system."""
    shim, pause, app = record["processes"][:3]
    network = record["network"]
    return [
        Aspect("who starts it", "kubelet -> CRI -> containerd -> shim -> runc",
               "Python: clone, setns, execve (podnotes.linux.launcher)"),
        Aspect("parent of pause and app", f"{shim['command'].split()[0].rsplit('/', 1)[-1]} "
                                          f"(PID {shim['pid']})", "the notebook's Python process"),
        Aspect("sandbox process", f"{pause['command']} (PID {pause['pid']})", "podnotes.linux.pause"),
        Aspect("network", f"eth0 {network['address']}, veth {network['host_veth']} on {network['bridge']}",
               "lo only: no CNI plugin, no address"),
        Aspect("cgroup", short_cgroup(record["cgroups"][app_role(app)]), "none (left out)"),
        Aspect("root file system", record.get("root_fstype", "?") + " snapshot of the image",
               "an unpacked directory, pivot_root"),
    ]


def app_role(process_role: dict | str) -> str:
    """``"container server"`` -> ``"server"``; a name is returned as it is."""
    role = process_role["role"] if isinstance(process_role, dict) else process_role
    return role.removeprefix("container ")
