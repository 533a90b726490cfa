"""Apply the book's manifests to a local kind cluster, and watch what happens.

Connect by cluster name (context ``kind-<name>``) through a private client;
the guard in :mod:`podnotes.cluster.connect` refuses anything that is not a
local kind cluster before a single request is sent::

    from podnotes import cluster

    kind = cluster.open_cluster("kind", namespace="lady-killer9")
    kind.create("nginx-test.yaml")
    cluster.wait_for(kind, "nginx-test", "Ready")
    timeline = cluster.observe(kind, "nginx-test", duration=60)
    kind.force_delete("nginx-test.yaml")

Importing this package is cheap; the kubernetes client is imported on first use.
"""

from __future__ import annotations

from .connect import DEFAULT_CLUSTER, Connection, Target, choose_context, connect, is_loopback_server, kind_context
from .errors import (
    ApiRejected,
    BadKubeconfig,
    ClusterError,
    ClusterUnreachable,
    GuardRefused,
    NoKubeconfig,
    NoSuchContext,
    ToolMissing,
    UnsafeCluster,
)
from .objects import FIELD_MANAGER, POD_UPDATE_HINT, Cluster, ManifestProblem, ObjectRef, Outcome, load_documents
from .watching import PodDeleted, PodEnded, Progress, WaitTimeout, observe, summary, wait_for


def open_cluster(name: str = DEFAULT_CLUSTER, namespace: str = "default", **connect_options) -> Cluster:
    """connect() and wrap the connection in a Cluster with default namespace ``namespace``."""
    return Cluster(connect(name, **connect_options), namespace=namespace)


def dry_run(manifest, name: str = DEFAULT_CLUSTER, namespace: str = "default", **connect_options) -> list:
    """Server-side dry run of ``manifest`` on kind cluster ``name``: the server's verdict as lint Findings
    (empty list: accepted)."""
    with open_cluster(name, namespace, **connect_options) as target:
        return target.dry_run(manifest)


__all__ = [
    "DEFAULT_CLUSTER", "FIELD_MANAGER", "POD_UPDATE_HINT",
    "ApiRejected", "BadKubeconfig", "Cluster", "ClusterError", "ClusterUnreachable", "Connection", "GuardRefused",
    "ManifestProblem",
    "NoKubeconfig", "NoSuchContext", "ObjectRef", "Outcome", "Progress", "Target", "ToolMissing",
    "UnsafeCluster", "WaitTimeout", "PodDeleted", "PodEnded",
    "choose_context", "connect", "dry_run", "is_loopback_server", "kind_context", "load_documents",
    "observe", "open_cluster", "summary", "wait_for",
]
