"""A corpus of manifests for comparing linters: every kind ``podnotes lint`` reads, mistakes of every kind.

``corpus(count)`` returns ``count`` documents cycling through Pod, Deployment,
ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Service and ConfigMap. About
half are clean; each of the others carries exactly one seeded mistake, so a
tool either finds it or not:

- schema mistakes, which a JSON-schema validator can see: a wrong type, an
  unknown field, a missing required field;
- mistakes the API server's validation code finds and the OpenAPI schema
  cannot express: duplicate container names, a probe with two handlers, an
  invalid port name, a volumeMount naming no volume, a malformed quantity, an
  unknown imagePullPolicy, a restartPolicy the workload kind refuses
  (``k8s.io/kubernetes/pkg/apis/core/validation/validation.go``,
  ``pkg/apis/apps/validation``, ``pkg/apis/batch/validation``);
- a Pod Security Standards "baseline" violation (a privileged container),
  which the API server admits unless the namespace enforces the level
  (``k8s.io/pod-security-admission/policy/check_privileged.go``).

Clean documents follow the advice podnotes gives (pinned image, requests and
limits, readiness probe), so a finding on one of them is a false positive.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

import yaml

POD_KINDS = ("Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob")
KINDS = POD_KINDS + ("Service", "ConfigMap")
API_VERSIONS = {"Pod": "v1", "Service": "v1", "ConfigMap": "v1", "Deployment": "apps/v1", "ReplicaSet": "apps/v1",
                "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}

# mistake: (layer, kinds it applies to)
MISTAKES: dict[str, tuple[str, tuple[str, ...]]] = {
    "wrong-type": ("schema", KINDS),
    "unknown-field": ("schema", KINDS),
    "missing-required": ("schema", POD_KINDS + ("Service",)),
    "duplicate-container-name": ("semantic", POD_KINDS),
    "probe-handler-count": ("semantic", POD_KINDS),
    "bad-port-name": ("semantic", POD_KINDS),
    "mount-without-volume": ("semantic", POD_KINDS),
    "bad-quantity": ("semantic", POD_KINDS),
    "bad-pull-policy": ("semantic", POD_KINDS),
    "restart-policy-for-kind": ("semantic", POD_KINDS[1:]),
    "pss-privileged": ("pss", POD_KINDS),
}
LAYERS = ("schema", "semantic", "pss")


@dataclass
class Manifest:
    index: int
    kind: str
    name: str
    mistake: str | None  # a key of MISTAKES, None for a clean document
    text: str

    @property
    def layer(self) -> str | None:
        return MISTAKES[self.mistake][0] if self.mistake else None


def corpus(count: int, seed: int = 14, mistake_rate: float = 0.5) -> list[Manifest]:
    """``count`` documents; the first N of a larger corpus are the corpus of size N."""
    rng = random.Random(seed)
    manifests = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        mistake = None
        if rng.random() < mistake_rate:
            mistake = rng.choice([name for name, (_, kinds) in MISTAKES.items() if kind in kinds])
        name = f"{kind.lower()}-{index:05d}"
        body = _object(kind, name, rng)
        if mistake:
            _SEED[mistake](body, kind)
        manifests.append(Manifest(index, kind, name, mistake, yaml.dump(body, Dumper=yaml.CSafeDumper,
                                                                        sort_keys=False)))
    return manifests


def _container(name: str, rng: random.Random) -> dict:
    return {
        "name": name,
        "image": f"registry.example.com/{name}:1.{rng.randrange(30)}.{rng.randrange(10)}",
        "ports": [{"name": "http", "containerPort": rng.choice([80, 8080, 9000])}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "env": [{"name": "MODE", "value": "production"}],
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
    }


def _pod_spec(rng: random.Random) -> dict:
    containers = [_container("app", rng)]
    if rng.random() < 0.3:
        containers.append(_container("sidecar", rng))
        containers[1]["ports"] = [{"name": "metrics", "containerPort": 9090}]
        containers[1]["readinessProbe"]["httpGet"]["port"] = "metrics"
    return {"containers": containers, "volumes": [{"name": "cache", "emptyDir": {}}]}


def _object(kind: str, name: str, rng: random.Random) -> dict:
    meta = {"name": name, "namespace": "shop", "labels": {"app": name}}
    head = {"apiVersion": API_VERSIONS[kind], "kind": kind, "metadata": meta}
    if kind == "Service":
        return {**head, "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80,
                                                                        "targetPort": "http"}]}}
    if kind == "ConfigMap":
        return {**head, "data": {"MODE": "production", "LOG_LEVEL": "info"}}
    spec = _pod_spec(rng)
    if kind == "Pod":
        return {**head, "spec": spec}
    template = {"metadata": {"labels": {"app": name}}, "spec": spec}
    if kind == "Job":
        spec["restartPolicy"] = "Never"
        return {**head, "spec": {"backoffLimit": 3, "template": template}}
    if kind == "CronJob":
        spec["restartPolicy"] = "OnFailure"
        return {**head, "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    workload = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        workload["replicas"] = 3
    if kind == "StatefulSet":
        workload["serviceName"] = name
    return {**head, "spec": workload}


def pod_spec_of(body: dict) -> dict:
    kind = body["kind"]
    if kind == "Pod":
        return body["spec"]
    if kind == "CronJob":
        return body["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return body["spec"]["template"]["spec"]


def _app(body: dict) -> dict:
    return pod_spec_of(body)["containers"][0]


def _wrong_type(body: dict, kind: str) -> None:
    if kind == "Service":
        body["spec"]["ports"][0]["port"] = "eighty"
    elif kind == "ConfigMap":
        body["data"]["RETRIES"] = 3
    else:
        _app(body)["ports"][0]["containerPort"] = "8080x"


def _unknown_field(body: dict, kind: str) -> None:
    if kind == "Service":
        body["spec"]["selectr"] = body["spec"].pop("selector")
    elif kind == "ConfigMap":
        body["datas"] = body.pop("data")
    else:
        _app(body)["imagePullPolcy"] = "IfNotPresent"


def _missing_required(body: dict, kind: str) -> None:
    if kind == "Service":
        del body["spec"]["ports"][0]["port"]
    else:
        del _app(body)["name"]


def _duplicate_container_name(body: dict, kind: str) -> None:
    containers = pod_spec_of(body)["containers"]
    twin = copy.deepcopy(containers[0])
    twin["ports"] = [{"name": "admin", "containerPort": 9901}]
    twin["readinessProbe"]["httpGet"]["port"] = "admin"
    containers.append(twin)


def _probe_handler_count(body: dict, kind: str) -> None:
    _app(body)["readinessProbe"]["exec"] = {"command": ["cat", "/tmp/ready"]}


def _bad_port_name(body: dict, kind: str) -> None:
    app = _app(body)
    app["ports"][0]["name"] = "HTTP_port"
    app["readinessProbe"]["httpGet"]["port"] = "HTTP_port"


def _mount_without_volume(body: dict, kind: str) -> None:
    _app(body)["volumeMounts"].append({"name": "config", "mountPath": "/etc/app"})


def _bad_quantity(body: dict, kind: str) -> None:
    resources = _app(body)["resources"]
    resources["requests"]["memory"] = resources["limits"]["memory"] = "128Mb"


def _bad_pull_policy(body: dict, kind: str) -> None:
    _app(body)["imagePullPolicy"] = "Nerver"


def _restart_policy_for_kind(body: dict, kind: str) -> None:
    pod_spec_of(body)["restartPolicy"] = "Always" if kind in ("Job", "CronJob") else "Never"


def _pss_privileged(body: dict, kind: str) -> None:
    _app(body)["securityContext"] = {"privileged": True}


_SEED = {
    "wrong-type": _wrong_type, "unknown-field": _unknown_field, "missing-required": _missing_required,
    "duplicate-container-name": _duplicate_container_name, "probe-handler-count": _probe_handler_count,
    "bad-port-name": _bad_port_name, "mount-without-volume": _mount_without_volume, "bad-quantity": _bad_quantity,
    "bad-pull-policy": _bad_pull_policy, "restart-policy-for-kind": _restart_policy_for_kind,
    "pss-privileged": _pss_privileged,
}
assert set(_SEED) == set(MISTAKES)
