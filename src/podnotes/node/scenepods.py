"""Creating a scene's Pods on the real node and removing them again, whatever happens in between."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


def wait_for_service_account(admin, namespace: str, name: str = "default", timeout: float = 30.0) -> None:
    """Wait until the service-account controller has made ServiceAccount ``name`` in ``namespace``: until
    then the ServiceAccount admission plugin rejects every Pod there (plugin/pkg/admission/serviceaccount,
    ``admission.go``). Raises TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not admin.exists("ServiceAccount", name, namespace):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no ServiceAccount {namespace}/{name} after {timeout:.0f} s")
        time.sleep(0.2)


@contextlib.contextmanager
def running(admin, namespace: str, manifests: list[dict], until: str = "Ready",
            timeout: float = 60.0) -> Iterator[dict[str, dict]]:
    """Create the Pods ``manifests`` in ``namespace``, wait until each reached ``until`` (a phase or a
    condition, :func:`podnotes.cluster.wait_for`) and yield them by name as the API server returned them.
    On leaving, however it is left, delete them (grace period 0) and wait until they are gone."""
    from ..cluster import wait_for

    wait_for_service_account(admin, namespace)
    try:
        for manifest in manifests:
            admin.create(manifest, namespace=namespace)
        yield {m["metadata"]["name"]: wait_for(admin, m["metadata"]["name"], until, timeout=timeout,
                                               namespace=namespace, progress=False) for m in manifests}
    finally:
        for manifest in manifests:
            admin.delete(manifest, namespace=namespace, grace_period=0, wait=True, timeout=30,
                         ignore_not_found=True)
