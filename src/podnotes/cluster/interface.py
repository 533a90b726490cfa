"""The verbs every cluster in this package offers: the real one (:class:`~podnotes.cluster.objects.Cluster`,
over a guarded connection) and the offline stand-in (``podnotes.cluster.offline.OfflineCluster``,
which predicts the server's answers). Chapters and the command line program against this Protocol, so
either can stand behind a page.

Manifests are what :func:`podnotes.manifest.load` accepts (a path, YAML text, or Python objects);
``namespace`` is kubectl's ``-n``. Every verb returns one :class:`~podnotes.cluster.objects.Outcome`
per object, in the manifest's order, or raises a :class:`~podnotes.cluster.errors.ClusterError`.
"""

from __future__ import annotations

import builtins
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from .objects import Outcome


@runtime_checkable
class ClusterVerbs(Protocol):
    namespace: str

    def create(self, manifest: Any, namespace: str | None = None) -> list[Outcome]:
        """POST each object (``kubectl create``)."""

    def replace(self, manifest: Any, namespace: str | None = None, *, force: bool = False) -> list[Outcome]:
        """PUT each object; with ``force``, delete and create what cannot be updated (``kubectl replace --force``)."""

    def delete(self, manifest: Any, namespace: str | None = None, *, grace_period: int | None = None,
               wait: bool = False, timeout: float = 60, ignore_not_found: bool = False) -> list[Outcome]:
        """DELETE each object with the grace period given, waiting until it is gone when ``wait``."""

    def force_delete(self, manifest: Any, namespace: str | None = None, *,
                     ignore_not_found: bool = False) -> list[Outcome]:
        """DELETE with ``gracePeriodSeconds: 0`` (``kubectl delete --force --grace-period=0``)."""

    def get(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> dict:
        """The object as the server stores it."""

    def list(self, kind: str, namespace: str | None = None, api_version: str = "v1") -> list[dict]:
        """The objects of ``kind`` in ``namespace``."""

    def exists(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> bool:
        """Whether the object is stored."""

    def dry_run(self, manifest: Any, namespace: str | None = None) -> builtins.list[Any]:
        """The server's verdict on creating the objects, as lint Findings (empty: accepted)."""

    def workshop_namespace(self, prefix: str = "podnotes") -> AbstractContextManager[str]:
        """A namespace of its own, removed with everything in it when the block ends."""

    def close(self) -> None:
        """Release the connection (and any discovery cache)."""
