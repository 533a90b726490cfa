"""The two ways a manifest file reaches the API server, for the differential test.

* the kubectl path: ``kubectl create/apply -f FILE`` decodes the file on the client
  (``tools/kubectl-decode``, built from the pinned k8s.io/apimachinery: tests/kubectl_decode.py) and
  POSTs each object as JSON;
* the raw-body path: the file's bytes POSTed as ``application/yaml``, decoded by the server itself
  (``k8s.io/apimachinery/pkg/runtime/serializer/yaml``, strict: duplicate keys refused).

Both use ``dryRun=All&fieldValidation=Strict`` (kubectl's default ``--validate=strict``), many requests at a
time over one connection pool, against the test control plane only (loopback).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import urllib3

from podnotes.cluster.verdicts import causes_from_message, normalise_path

QUERY = "dryRun=All&fieldValidation=Strict&fieldManager=kubectl-create"
WORKERS = 8

# kind -> (API prefix, group/version, plural): the kinds the corpus sends
RESOURCES = {
    "Pod": ("api", "v1", "pods"),
    "Deployment": ("apis", "apps/v1", "deployments"),
    "ReplicaSet": ("apis", "apps/v1", "replicasets"),
    "StatefulSet": ("apis", "apps/v1", "statefulsets"),
    "DaemonSet": ("apis", "apps/v1", "daemonsets"),
    "Job": ("apis", "batch/v1", "jobs"),
    "CronJob": ("apis", "batch/v1", "cronjobs"),
    "ConfigMap": ("api", "v1", "configmaps"),
    "Service": ("api", "v1", "services"),
}


@dataclass
class Verdict:
    """What one path said about one file: refused or not, the field paths named, the first message."""
    rejects: bool
    paths: list[str] = field(default_factory=list)
    message: str = ""


class Server:
    """Dry-run POSTs to one namespace of the test control plane."""

    def __init__(self, control_plane, namespace: str):
        pki = control_plane.workdir / "pki"
        self.base = control_plane.server
        assert self.base.startswith("https://127.0.0.1:")
        self.namespace = namespace
        self.http = urllib3.PoolManager(maxsize=WORKERS, ca_certs=str(pki / "ca.crt"),
                                        cert_file=str(pki / "admin.crt"), key_file=str(pki / "admin.key"),
                                        retries=False, timeout=urllib3.Timeout(total=60))

    def url(self, kind: str) -> str | None:
        if kind not in RESOURCES:
            return None
        prefix, group_version, plural = RESOURCES[kind]
        return f"{self.base}/{prefix}/{group_version}/namespaces/{self.namespace}/{plural}?{QUERY}"

    def post(self, url: str, body: bytes, content_type: str) -> Verdict:
        answer = self.http.request("POST", url, body=body, headers={"Content-Type": content_type})
        if answer.status in (200, 201):
            return Verdict(False)
        return rejection(answer.status, answer.data)

    def send_objects(self, decoded: dict) -> Verdict:
        """kubectl's path: every object the file held, as JSON; a client-side decoding error refuses."""
        if decoded["error"]:
            return Verdict(True, [], decoded["error"])
        verdicts = []
        for obj in decoded["objects"]:
            url = self.url(obj.get("kind", "")) if isinstance(obj, dict) else None
            if url is None or obj.get("apiVersion") != RESOURCES[obj["kind"]][1]:
                verdicts.append(Verdict(True, [], f"kubectl: no resource for {obj.get('apiVersion')}/"
                                                  f"{obj.get('kind')} in this corpus"))
                continue
            (obj.get("metadata") or {}).pop("namespace", None)
            verdicts.append(self.post(url, json.dumps(obj).encode(), "application/json"))
        return merge(verdicts)

    def send_raw(self, kind: str, content: bytes) -> Verdict | None:
        url = self.url(kind)
        return None if url is None else self.post(url, content, "application/yaml")

    def map(self, function, items: list) -> list:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(function, items))

    def create_namespace(self, labels: dict[str, str] | None = None) -> None:
        body = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": self.namespace, "labels": labels or {}}})
        answer = self.http.request("POST", f"{self.base}/api/v1/namespaces", body=body.encode(),
                                   headers={"Content-Type": "application/json"})
        assert answer.status == 201, answer.data[:300]

    def wait_for_service_account(self, timeout: float = 30.0) -> None:
        """The ServiceAccount admission plugin needs the namespace's default ServiceAccount, which
        kube-controller-manager creates a moment after the namespace."""
        url = f"{self.base}/api/v1/namespaces/{self.namespace}/serviceaccounts/default"
        deadline = time.monotonic() + timeout
        while self.http.request("GET", url).status != 200:
            assert time.monotonic() < deadline, f"no default ServiceAccount in {self.namespace} after {timeout} s"
            time.sleep(0.1)

    def post_status(self, url: str, body: bytes) -> tuple[int, dict]:
        answer = self.http.request("POST", url, body=body, headers={"Content-Type": "application/json"})
        return answer.status, json.loads(answer.data)

    def post_warnings(self, url: str, body: bytes) -> tuple[int, list[str]]:
        """The status and the texts of the ``Warning: 299 - "..."`` headers (RFC 7234) of the answer."""
        answer = self.http.request("POST", url, body=body, headers={"Content-Type": "application/json"})
        return answer.status, [warning_text(value) for value in answer.headers.getlist("Warning")]

    def delete_namespace(self) -> None:
        self.http.request("DELETE", f"{self.base}/api/v1/namespaces/{self.namespace}")


def warning_text(header: str) -> str:
    """``299 - "text with \\" escapes"`` -> the text."""
    code, _, rest = header.partition(" - ")
    assert code.strip() == "299", header
    return json.loads(rest.strip())


def rejection(status: int, data: bytes) -> Verdict:
    try:
        answer = json.loads(data)
    except ValueError:
        return Verdict(True, [], f"HTTP {status}: {data[:300]!r}")
    message = str(answer.get("message", ""))
    causes = (answer.get("details") or {}).get("causes") or causes_from_message(answer.get("reason", ""), message)
    return Verdict(True, sorted({normalise_path(c.get("field", "")) for c in causes} - {""}), message)


def merge(verdicts: list[Verdict]) -> Verdict:
    refused = [v for v in verdicts if v.rejects]
    if not refused:
        return Verdict(False)
    return Verdict(True, sorted({p for v in refused for p in v.paths}), refused[0].message)
