"""Mutations of valid Pods for the linter-versus-server differential check.

Each operator changes one thing a person writing a Pod by hand gets wrong (or
right: some mutations stay valid on purpose, so that a linter that rejects
too much is caught as well). :func:`generate` applies every operator to every
base Pod, then adds pairs of operators chosen by a seeded random generator,
so the set is the same on every run.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable

Mutation = Callable[[dict], None]


def base_pods() -> list[dict]:
    web = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "containers": [{
                "name": "nginx", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
                "livenessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 3},
                "volumeMounts": [{"name": "html", "mountPath": "/usr/share/nginx/html"}],
                "env": [{"name": "TZ", "value": "Asia/Shanghai"}],
            }],
            "volumes": [{"name": "html", "emptyDir": {}}],
        },
    }
    batch = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "batch-job"},
        "spec": {
            "restartPolicy": "Never",
            "initContainers": [{"name": "prepare", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
            "containers": [{"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "echo done"],
                            "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False}}],
        },
    }
    sidecar = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "with-sidecar"},
        "spec": {
            "initContainers": [{"name": "log-shipper", "image": "busybox:1.36", "restartPolicy": "Always",
                                "command": ["sh", "-c", "tail -F /var/log/app.log"]}],
            "containers": [{"name": "app", "image": "python:3.12-slim",
                            "command": ["python", "-m", "http.server", "8000"],
                            "startupProbe": {"httpGet": {"path": "/", "port": 8000}, "failureThreshold": 30,
                                             "periodSeconds": 1}}],
            "terminationGracePeriodSeconds": 10,
        },
    }
    return [web, batch, sidecar]


def _first(pod: dict) -> dict:
    return pod["spec"]["containers"][0]


def _set(path: str, value) -> Mutation:
    def mutate(pod: dict) -> None:
        node = pod
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
        node[last] = value
    return mutate


def _container(key: str, value) -> Mutation:
    def mutate(pod: dict) -> None:
        _first(pod)[key] = value
    return mutate


def _probe(**fields) -> Mutation:
    def mutate(pod: dict) -> None:
        probe = {"exec": {"command": ["true"]}}
        probe.update(fields)
        _first(pod)["livenessProbe"] = probe
    return mutate


def _delete(path: str) -> Mutation:
    def mutate(pod: dict) -> None:
        node = pod
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node.pop(last, None)
    return mutate


def _duplicate_container(pod: dict) -> None:
    pod["spec"]["containers"].append(copy.deepcopy(_first(pod)))


def _mount_missing_volume(pod: dict) -> None:
    _first(pod).setdefault("volumeMounts", []).append({"name": "missing", "mountPath": "/missing"})


def _duplicate_volume(pod: dict) -> None:
    pod["spec"].setdefault("volumes", []).extend([{"name": "scratch", "emptyDir": {}},
                                                   {"name": "scratch", "emptyDir": {}}])


def _two_volume_sources(pod: dict) -> None:
    pod["spec"].setdefault("volumes", []).append({"name": "both", "emptyDir": {}, "hostPath": {"path": "/tmp"}})


def _init_with_readiness(pod: dict) -> None:
    pod["spec"].setdefault("initContainers", []).append(
        {"name": "init-probe", "image": "busybox:1.36", "readinessProbe": {"exec": {"command": ["true"]}}})


def _requests_above_limits(pod: dict) -> None:
    _first(pod)["resources"] = {"requests": {"memory": "256Mi"}, "limits": {"memory": "128Mi"}}


def _env_value_and_value_from(pod: dict) -> None:
    _first(pod)["env"] = [{"name": "POD", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]


def _host_port_mismatch(pod: dict) -> None:
    pod["spec"]["hostNetwork"] = True
    _first(pod)["ports"] = [{"containerPort": 8080, "hostPort": 9090}]


def _duplicate_port_names(pod: dict) -> None:
    _first(pod)["ports"] = [{"name": "web", "containerPort": 80}, {"name": "web", "containerPort": 81}]


def _toleration_exists_with_value(pod: dict) -> None:
    pod["spec"]["tolerations"] = [{"key": "k", "operator": "Exists", "value": "v"}]


def _dns_none_without_config(pod: dict) -> None:
    pod["spec"]["dnsPolicy"] = "None"


def _sidecar_on_app_container(pod: dict) -> None:
    _first(pod)["restartPolicy"] = "Always"


def _two_probe_handlers(pod: dict) -> None:
    _first(pod)["livenessProbe"] = {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}


def _no_probe_handler(pod: dict) -> None:
    _first(pod)["livenessProbe"] = {"periodSeconds": 5}


def _add_container_named(name: str) -> Mutation:
    def mutate(pod: dict) -> None:
        pod["spec"]["containers"].append({"name": name, "image": "busybox:1.36"})
    return mutate


OPERATORS: dict[str, Mutation] = {
    # names
    "pod name uppercase": _set("metadata.name", "Web"),
    "pod name underscore": _set("metadata.name", "web_1"),
    "pod name with dots (valid)": _set("metadata.name", "web.example"),
    "pod name 254 chars": _set("metadata.name", "a" * 254),
    "pod name leading dash": _set("metadata.name", "-web"),
    "container name uppercase": _container("name", "Nginx"),
    "container name 64 chars": _container("name", "c" * 64),
    "container name with dot": _container("name", "nginx.main"),
    "duplicate container names": _duplicate_container,
    "second container valid": _add_container_named("helper"),
    "second container bad name": _add_container_named("Helper_1"),
    # image and policies
    "image empty": _container("image", ""),
    "image missing": lambda pod: _first(pod).pop("image"),
    "image leading space": _container("image", " nginx"),
    "image digest (valid)": _container("image", "nginx@sha256:" + "a" * 64),
    "pull policy lowercase": _container("imagePullPolicy", "always"),
    "pull policy Never (valid)": _container("imagePullPolicy", "Never"),
    "restart policy lowercase": _set("spec.restartPolicy", "never"),
    "restart policy OnFailure (valid)": _set("spec.restartPolicy", "OnFailure"),
    "restart policy Sometimes": _set("spec.restartPolicy", "Sometimes"),
    # ports
    "port 0": _container("ports", [{"containerPort": 0}]),
    "port 65536": _container("ports", [{"containerPort": 65536}]),
    "port negative": _container("ports", [{"containerPort": -1}]),
    "port as string": _container("ports", [{"containerPort": "80"}]),
    "port name uppercase": _container("ports", [{"name": "HTTP", "containerPort": 80}]),
    "port name 16 chars": _container("ports", [{"name": "p" * 16, "containerPort": 80}]),
    "protocol lowercase": _container("ports", [{"containerPort": 80, "protocol": "tcp"}]),
    "protocol SCTP (valid)": _container("ports", [{"containerPort": 80, "protocol": "SCTP"}]),
    "host port 70000": _container("ports", [{"containerPort": 80, "hostPort": 70000}]),
    "duplicate port names": _duplicate_port_names,
    "hostNetwork port mismatch": _host_port_mismatch,
    # resources
    "cpu quantity malformed": _container("resources", {"requests": {"cpu": "1.5.5"}}),
    "memory negative": _container("resources", {"limits": {"memory": "-1Gi"}}),
    "requests above limits": _requests_above_limits,
    "unknown resource name": _container("resources", {"limits": {"gpu": "1"}}),
    "cpu as integer (valid)": _container("resources", {"requests": {"cpu": 1}}),
    # probes
    "probe period 0 (defaulted)": _probe(periodSeconds=0),
    "probe period negative": _probe(periodSeconds=-1),
    "probe timeout negative": _probe(timeoutSeconds=-5),
    "probe failureThreshold negative": _probe(failureThreshold=-1),
    "liveness successThreshold 2": _probe(successThreshold=2),
    "probe two handlers": _two_probe_handlers,
    "probe no handler": _no_probe_handler,
    "probe httpGet port 0": _probe(exec=None, httpGet={"port": 0}),
    "probe httpGet named port missing": _probe(exec=None, httpGet={"port": "metrics"}),
    "probe terminationGracePeriodSeconds 0": _probe(terminationGracePeriodSeconds=0),
    "init container with readiness probe": _init_with_readiness,
    # env, volumes
    "env name with equals": _container("env", [{"name": "A=B", "value": "1"}]),
    "env name with space (valid since 1.30)": _container("env", [{"name": "MY VAR", "value": "1"}]),
    "env value and valueFrom": _env_value_and_value_from,
    "env value as integer": _container("env", [{"name": "N", "value": 3}]),
    "mount of a missing volume": _mount_missing_volume,
    "duplicate volume names": _duplicate_volume,
    "volume with two sources": _two_volume_sources,
    "volume name uppercase": _set("spec.volumes", [{"name": "Data", "emptyDir": {}}]),
    # pod-level fields
    "unknown field in container": _container("imagePullPolice", "Always"),
    "unknown field in spec": _set("spec.restartPolicyy", "Always"),
    "activeDeadlineSeconds 0": _set("spec.activeDeadlineSeconds", 0),
    "terminationGracePeriodSeconds negative": _set("spec.terminationGracePeriodSeconds", -1),
    "runAsUser negative": _set("spec.securityContext", {"runAsUser": -1}),
    "label key with space": _set("metadata.labels", {"bad key": "x"}),
    "label value 64 chars": _set("metadata.labels", {"app": "v" * 64}),
    "nodeSelector value invalid": _set("spec.nodeSelector", {"disk": "ssd!"}),
    "toleration Exists with value": _toleration_exists_with_value,
    "dnsPolicy None without dnsConfig": _dns_none_without_config,
    "restartPolicy Always on an app container": _sidecar_on_app_container,
    "priority without class": _set("spec.priority", 1000),
    "no containers": _set("spec.containers", []),
    "spec missing": _delete("spec"),
    "hostname invalid": _set("spec.hostname", "Host_Name"),
    "serviceAccountName invalid": _set("spec.serviceAccountName", "Bad_Name"),
}


def generate(pairs: int = 60, seed: int = 20261126) -> list[tuple[str, dict]]:
    """Every operator on every base Pod, plus ``pairs`` seeded random pairs of operators."""
    cases = []
    bases = base_pods()
    for base in bases:
        for label, mutate in OPERATORS.items():
            pod = copy.deepcopy(base)
            _apply(mutate, pod)
            cases.append((f"{base['metadata']['name']}: {label}", pod))
    rng = random.Random(seed)
    names = sorted(OPERATORS)
    for _ in range(pairs):
        base = copy.deepcopy(rng.choice(bases))
        first, second = rng.sample(names, 2)
        _apply(OPERATORS[first], base)
        _apply(OPERATORS[second], base)
        cases.append((f"{base['metadata'].get('name', '?')}: {first} + {second}", base))
    return cases


def _apply(mutate: Mutation, pod: dict) -> None:
    try:  # noqa: SIM105 - the except clause says why
        mutate(pod)
    except (KeyError, IndexError, TypeError, AttributeError):
        pass  # the operator does not fit this Pod (e.g. no spec left); the Pod stays as it is
    _drop_nulls(pod)


def _drop_nulls(node) -> None:
    if isinstance(node, dict):
        for key in [k for k, v in node.items() if v is None]:
            del node[key]
        for value in node.values():
            _drop_nulls(value)
    elif isinstance(node, list):
        for value in node:
            _drop_nulls(value)
