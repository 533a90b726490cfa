"""The few REST calls the workshop makes, sent straight through the guarded client.

The dynamic client looks every kind up in its discovery cache and converts every answer into nested
objects; for the hundreds of small requests of a 40-person set-up that costs more than the requests
themselves. The kinds used here are fixed, so their paths are too (API conventions:
https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris). Every request still goes
through the connection's pinned, proxy-free transport (:mod:`podnotes.cluster.transport`).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from podnotes.cluster import Cluster, api
from podnotes.cluster.objects import FIELD_MANAGER

from .connection import call

PLURALS = {"Namespace": "namespaces", "ResourceQuota": "resourcequotas", "LimitRange": "limitranges",
           "ServiceAccount": "serviceaccounts", "Role": "roles", "RoleBinding": "rolebindings", "Pod": "pods",
           "ConfigMap": "configmaps", "Service": "services", "Event": "events", "Deployment": "deployments",
           "ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "Job": "jobs",
           "CronJob": "cronjobs"}


def path(api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    where = f"/namespaces/{quote(namespace, safe='')}" if namespace and kind != "Namespace" else ""
    return base + where + f"/{PLURALS[kind]}" + (f"/{quote(name, safe='')}" if name else "")


def request(cluster: Cluster, method: str, url_path: str, what: str, body=None, query: dict | None = None,
            content_type: str = "application/json"):
    """Send one request; the parsed JSON answer, or ApiRejected / ClusterUnreachable."""
    client = cluster.api_client

    def send():
        headers = {"Accept": "application/json", "Content-Type": content_type}
        if client.configuration.api_key.get("authorization"):
            headers["Authorization"] = client.configuration.api_key["authorization"]
        url = client.configuration.host + url_path + (f"?{urlencode(query)}" if query else "")
        response = client.rest_client.request(method, url, headers=headers, body=body)
        data = response.read() if hasattr(response, "read") else response.data
        if not 200 <= response.status <= 299:
            raise api.http_error(response.status, response.reason, data)
        return json.loads(data) if data else {}

    return call(cluster, what, send)


def apply(cluster: Cluster, body: dict) -> dict:
    """Server-side apply ``body`` (kubectl apply --server-side --force-conflicts, field manager podnotes)."""
    metadata = body["metadata"]
    where = f"{body['kind'].lower()}/{metadata['name']}" + (f" in {metadata['namespace']}"
                                                              if metadata.get("namespace") else "")
    return request(cluster, "PATCH", path(body["apiVersion"], body["kind"], metadata.get("namespace"),
                                          metadata["name"]),
                   f"applying {where}", body, {"fieldManager": FIELD_MANAGER, "force": "true",
                                                "fieldValidation": "Strict"}, "application/apply-patch+yaml")


def get(cluster: Cluster, api_version: str, kind: str, namespace: str | None, name: str) -> dict | None:
    """The object, or None when the server has none of that name."""
    from podnotes.cluster import ApiRejected

    try:
        return request(cluster, "GET", path(api_version, kind, namespace, name), f"reading {kind.lower()}/{name}")
    except ApiRejected as err:
        if err.status.get("code") == 404:
            return None
        raise


def items(cluster: Cluster, api_version: str, kind: str, namespace: str | None = None, **query) -> list[dict]:
    return request(cluster, "GET", path(api_version, kind, namespace), f"listing {PLURALS[kind]}",
                   query=query or None).get("items") or []


def delete_collection(cluster: Cluster, api_version: str, kind: str, namespace: str, options: dict,
                      **query) -> None:
    request(cluster, "DELETE", path(api_version, kind, namespace), f"deleting every {kind.lower()} in {namespace}",
            options, query or None)


def delete(cluster: Cluster, api_version: str, kind: str, namespace: str | None, name: str,
           options: dict | None = None) -> bool:
    """Delete one object; False when it was not there."""
    from podnotes.cluster import ApiRejected

    try:
        request(cluster, "DELETE", path(api_version, kind, namespace, name), f"deleting {kind.lower()}/{name}",
                options)
        return True
    except ApiRejected as err:
        if err.status.get("code") == 404:
            return False
        raise
