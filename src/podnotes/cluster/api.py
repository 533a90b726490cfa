"""The one place the package meets the official Kubernetes client (``kubernetes``, PyPI).

Everything else in :mod:`podnotes.cluster` asks this module for API objects and for
what a failed request means, so the client's classes and exceptions, imported on first
use (importing ``kubernetes`` costs about half a second), stay in one file:

- :func:`core_v1`, :func:`rbac_v1`, :func:`version_api`, :func:`dynamic_client`, :func:`watch`:
  the client's API objects over one ``ApiClient``;
- :func:`failure`: a failed request as the project's errors
  (:class:`~podnotes.cluster.errors.ApiRejected` when the server answered with a Status,
  :class:`~podnotes.cluster.errors.ClusterUnreachable` when it did not answer);
- :func:`is_not_found`, :func:`is_expired`, :func:`is_api_error`: questions about an exception.

The server's error body is a ``metav1.Status`` (k8s.io/apimachinery/pkg/apis/meta/v1/types.go);
410 Gone is what a watch gets when the resource version it resumes from was compacted
(k8s.io/apiserver/pkg/storage/errors.go, ``NewTooLargeResourceVersionError`` / ``Expired``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .errors import ApiRejected, ClusterError, ClusterUnreachable

if TYPE_CHECKING:
    from .connect import Connection


def core_v1(api_client: Any) -> Any:
    """``kubernetes.client.CoreV1Api`` over ``api_client``."""
    from kubernetes import client

    return client.CoreV1Api(api_client)


def rbac_v1(api_client: Any) -> Any:
    """``kubernetes.client.RbacAuthorizationV1Api`` over ``api_client``."""
    from kubernetes import client

    return client.RbacAuthorizationV1Api(api_client)


def version_api(api_client: Any) -> Any:
    """``kubernetes.client.VersionApi`` over ``api_client``."""
    from kubernetes import client

    return client.VersionApi(api_client)


def dynamic_client(api_client: Any, cache_file: str) -> Any:
    """``kubernetes.dynamic.DynamicClient`` with its discovery cache in ``cache_file``. It asks the server
    for its resources at once, so it raises what :func:`failure` translates."""
    from kubernetes.dynamic import DynamicClient

    return DynamicClient(api_client, cache_file=cache_file)


def watch() -> Any:
    """A fresh ``kubernetes.watch.Watch``."""
    from kubernetes import watch as watching

    return watching.Watch()


def is_resource_list(resource: Any) -> bool:
    """Whether a discovered resource is the client's stand-in for a list kind (``PodList``), not a resource."""
    from kubernetes.dynamic.resource import ResourceList

    return isinstance(resource, ResourceList)


def is_unknown_kind(err: BaseException) -> bool:
    """Whether discovery has no resource of the asked apiVersion and kind."""
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    return isinstance(err, ResourceNotFoundError)


def is_api_error(err: BaseException) -> bool:
    """Whether the server answered (an HTTP status), rather than the connection failing."""
    from kubernetes.client.exceptions import ApiException

    return isinstance(err, ApiException) and getattr(err, "status", None) not in (None, 0)


def is_not_found(err: BaseException) -> bool:
    """404 from the server (also the dynamic client's ``NotFoundError``)."""
    return is_api_error(err) and getattr(err, "status", None) == 404


def is_expired(err: BaseException) -> bool:
    """410 Gone: a watch's resource version is too old; list again and resume from there."""
    return is_api_error(err) and getattr(err, "status", None) == 410


def http_error(status: int, reason: str, body: bytes | str | None) -> Exception:
    """The client's exception for an answer outside 2xx to a request sent through its REST client
    directly, so :func:`failure` reads it like any other."""
    from kubernetes.client.exceptions import ApiException

    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return ApiException(status=status, reason=reason, body=text)


def status_of(err: BaseException) -> dict:
    """The Status object the server sent with an error response (``code`` and ``message`` always set)."""
    body = getattr(err, "body", None)
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        status = json.loads(body) if body else {}
    except (TypeError, ValueError):
        status = {}
    if not isinstance(status, dict):
        status = {}
    status.setdefault("code", getattr(err, "status", None))
    status.setdefault("message", str(body or getattr(err, "reason", "")))
    return status


def rejected(err: BaseException, doing: str, hint: str = "") -> ApiRejected:
    """The server's refusal of ``doing`` (e.g. ``"creating pod/web"``) with its Status."""
    status = status_of(err)
    return ApiRejected(f"{doing}: {status.get('message', '')}", status, hint)


def unreachable(connection: Connection, err: BaseException) -> ClusterUnreachable:
    """The API server behind ``connection`` did not answer; the reason in the operating system's words."""
    return ClusterUnreachable(
        f"the API server of {connection.context} at {connection.server} does not answer ({short_reason(err)})",
        hint=f"is the cluster running? `kind get clusters`, `docker ps`; recreate it with "
             f"`podnotes kind up --name {connection.name}`")


def failure(connection: Connection, err: BaseException, doing: str, hint: str = "") -> ClusterError:
    """What a failed request means: the server refused ``doing`` (:class:`ApiRejected`), or it did not
    answer (:class:`ClusterUnreachable`). Errors that already are :class:`ClusterError` pass through."""
    if isinstance(err, ClusterError):
        return err
    if is_api_error(err):
        return rejected(err, doing, hint)
    return unreachable(connection, err)


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")
_TLS = re.compile(r"(certificate verify failed[^'\"()\]]*|wrong version number|unexpected eof[^'\"()\]]*)", re.I)


def short_reason(err: BaseException) -> str:
    """Why a connection failed, in the operating system's words (``Connection refused``) rather than
    urllib3's wrapper text (``HTTPSConnectionPool(host=...): Max retries exceeded ... (Caused by ...``)."""
    text = " ".join(str(err).split()) or type(err).__name__
    for pattern in (_ERRNO, _TLS):
        found = pattern.search(text)
        if found:
            return found.group(1).strip().rstrip(":")
    if "timed out" in text.lower() or "timeout" in type(err).__name__.lower():
        return "no answer in time (timed out)"
    if len(text) < 160:
        return text
    return text[:157].rsplit(" ", 1)[0] + " ..."
