"""Which cluster the kubectl chapter talks to, decided once per run.

In this order:

1. ``PODNOTES_KUBECONFIG`` is set (``python -m podnotes.cluster.controlplane
   -- make book`` sets it): the cluster it names (``PODNOTES_CLUSTER``);
2. a reachable kind cluster ``kind`` (context ``kind-kind``): the reader's own;
3. kube-apiserver and etcd binaries are available (CI builds them): a
   :class:`~podnotes.cluster.controlplane.LocalControlPlane` started for the
   chapter and stopped by :meth:`ChapterCluster.close`;
4. otherwise an :class:`~podnotes.cluster.offline.OfflineCluster`, whose
   answers are predictions, labelled as such.

With ``CI=true`` the offline fallback is an error: CI must show real answers.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from .errors import ClusterError
from .interface import ClusterVerbs

KIND = "kind cluster"
LOCAL = "local API server"
OFFLINE = "simulated"


@dataclass
class ChapterCluster:
    mode: str  # KIND, LOCAL or OFFLINE
    cluster: ClusterVerbs  # Cluster or OfflineCluster
    description: str
    plane: Any = None
    kubeconfig: str | None = None
    context: str | None = None

    @property
    def live(self) -> bool:
        return self.mode != OFFLINE

    def label(self) -> str:
        """How to label an outcome: where it came from (``description`` says more)."""
        return f"[{self.mode}]"

    def kubectl(self, *args: str) -> list[str]:
        """A kubectl command line for this cluster (explicit kubeconfig and context, never the ambient one)."""
        base = ["kubectl"]
        if self.kubeconfig:
            base += ["--kubeconfig", self.kubeconfig]
        if self.context:
            base += ["--context", self.context]
        return base + list(args)

    def close(self) -> None:
        with suppress(Exception):
            self.cluster.close()
        if self.plane is not None:
            self.plane.stop()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _connected(cluster, mode: str, description: str, namespace: str, plane=None) -> ChapterCluster:
    connection = cluster.connection
    kubeconfig = str(connection.kubeconfig[0]) if connection.kubeconfig else None
    return ChapterCluster(mode, cluster, description, plane, kubeconfig, connection.context)


def chapter_cluster(namespace: str = "default", kind_name: str = "kind") -> ChapterCluster:
    from . import open_cluster
    from .binaries import find_binaries
    from .controlplane import ControlPlaneError, LocalControlPlane
    from .offline import OfflineCluster

    explicit = os.environ.get("PODNOTES_KUBECONFIG")
    if explicit:
        name = os.environ.get("PODNOTES_CLUSTER", kind_name)
        cluster = open_cluster(name, namespace, kubeconfig=explicit)
        return _connected(cluster, LOCAL if name != kind_name else KIND, f"context kind-{name} from "
                          "PODNOTES_KUBECONFIG", namespace)
    with suppress(ClusterError):
        cluster = open_cluster(kind_name, namespace)
        return _connected(cluster, KIND, f"context kind-{kind_name}", namespace)
    binaries = find_binaries()
    if binaries is not None:
        plane = LocalControlPlane("podnotes-book", binaries)
        try:
            plane.start()
            cluster = open_cluster(plane.name, namespace, kubeconfig=plane.kubeconfig)
        except (ControlPlaneError, ClusterError):
            plane.stop()
            if _in_ci():
                raise
        else:
            return _connected(cluster, LOCAL, f"kube-apiserver + etcd on {plane.server}, started for this chapter "
                              f"in {plane.start_seconds:.1f} s", namespace, plane)
    if _in_ci():
        raise ClusterError("CI=true but no cluster and no kube-apiserver/etcd binaries: the kubectl chapter would "
                           "only show predictions", hint="run tools/k8s-binaries/build.sh first (.ci/run does)")
    return ChapterCluster(OFFLINE, OfflineCluster(namespace), "no cluster reachable; answers predicted by podnotes")
