"""Connect the instructor to the workshop's cluster through the cluster guard.

A local kind cluster (context ``kind-NAME`` on a loopback address) needs
nothing more. Any other context must be on the recorded allow-list
(:func:`podnotes.workshop.records.allow`, ``podnotes workshop allow-context``);
only then is the guard's loopback check waived, for that context alone. The
guard's other rules (no proxy, no unknown kubeconfig fields, no credential
plugin unless ``allow_credential_plugins``) hold either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from podnotes.cluster import Cluster, UnsafeCluster, api, open_cluster
from podnotes.cluster.connect import kind_context

from . import records

# Requests sent side by side while setting up, checking and tearing down.
WORKERS = 6


@dataclass(frozen=True)
class Place:
    """Which cluster a workshop uses: kind cluster ``cluster``, or the allowed ``context``."""

    cluster: str = "kind"
    context: str | None = None
    kubeconfig: str | None = None
    allow_credential_plugins: bool = False

    @property
    def context_name(self) -> str:
        return self.context or kind_context(self.cluster)


def open_place(place: Place) -> Cluster:
    """A Cluster for ``place``; an allowed context waives the loopback check, nothing else does.
    Raises UnsafeCluster (with the command that allows a context), or the guard's own errors."""
    allowed = False
    if place.context and place.context != kind_context(place.cluster):
        if place.context not in records.allowed_contexts():
            raise UnsafeCluster(
                f"context {place.context!r} is not a local kind cluster and is not on the workshop allow-list "
                f"({records.allow_list_path()}); nothing was sent to it",
                hint=f"if this is the workshop's cluster, allow it by name: `podnotes workshop allow-context "
                     f"{place.context}`")
        allowed = True
    connected = open_cluster(place.cluster, kubeconfig=place.kubeconfig, context=place.context,
                             allow_non_kind_context=allowed,
                             allow_credential_plugins=place.allow_credential_plugins)
    # Several requests go out side by side: give each its own kept-alive connection.
    connected.api_client.rest_client.pool_manager.connection_pool_kw["maxsize"] = WORKERS
    return connected


def place_of(record: records.Record, kubeconfig: str | None = None) -> Place:
    return Place(record.cluster or "kind", None if record.context == kind_context(record.cluster) else
                 record.context, kubeconfig or record.kubeconfig)


def call(cluster: Cluster, what: str, operation):
    """Run one API request; an API error becomes ApiRejected, a lost connection ClusterUnreachable."""
    try:
        return operation()
    except Exception as err:
        raise api.failure(cluster.connection, err, what) from None

