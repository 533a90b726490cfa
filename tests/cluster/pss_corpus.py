"""Pods for the Pod Security differential test: every check of pod-security-admission, alone and combined.

Each operator breaks one check (or satisfies it in a way one version allows and another does not) on a
Pod that meets ``restricted``; a second base Pod has an init container and two app containers, so the
plugin's grouping (``containers "a", "b" use hostPorts 80, 81``) shows. Seeded random pairs and triples
combine the operators. Every Pod is valid for the API server, so only admission can refuse it.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable

Operator = Callable[[dict], None]


def restricted_pod(name: str = "pss") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [_container("app")]}}


def grouped_pod() -> dict:
    pod = restricted_pod("group")
    pod["spec"]["initContainers"] = [_container("init")]
    pod["spec"]["containers"] = [_container("web"), _container("sidecar")]
    return pod


def windows_pod() -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "win"},
            "spec": {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True},
                     "containers": [{"name": "app", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}]}}


def _container(name: str) -> dict:
    return {"name": name, "image": "busybox:1.36",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}


def _every(pod: dict) -> list[dict]:
    return [c for group in ("initContainers", "containers") for c in pod["spec"].get(group, [])]


def _context(container_or_spec: dict) -> dict:
    return container_or_spec.setdefault("securityContext", {})


def _pod_set(key: str, value) -> Operator:
    def apply(pod: dict) -> None:
        pod["spec"][key] = copy.deepcopy(value)
    return apply


def _pod_context(key: str, value) -> Operator:
    def apply(pod: dict) -> None:
        _context(pod["spec"])[key] = copy.deepcopy(value)
    return apply


def _containers_context(key: str, value, which: slice = slice(None)) -> Operator:
    def apply(pod: dict) -> None:
        for container in _every(pod)[which]:
            _context(container)[key] = copy.deepcopy(value)
    return apply


def _pod_context_drop(key: str) -> Operator:
    def apply(pod: dict) -> None:
        _context(pod["spec"]).pop(key, None)
    return apply


def _containers_context_drop(key: str, which: slice = slice(None)) -> Operator:
    def apply(pod: dict) -> None:
        for container in _every(pod)[which]:
            _context(container).pop(key, None)
    return apply


def _add_capabilities(caps: list[str], which: slice = slice(None)) -> Operator:
    def apply(pod: dict) -> None:
        for container in _every(pod)[which]:
            _context(container).setdefault("capabilities", {})["add"] = list(caps)
    return apply


def _host_ports(*ports: int) -> Operator:
    def apply(pod: dict) -> None:
        containers = pod["spec"]["containers"]
        for index, port in enumerate(ports):
            container = containers[index % len(containers)]
            container.setdefault("ports", []).append({"containerPort": port, "hostPort": port})
    return apply


def _volumes(*volumes: dict) -> Operator:
    def apply(pod: dict) -> None:
        pod["spec"].setdefault("volumes", []).extend(copy.deepcopy(list(volumes)))
    return apply


def _annotation(key: str, value: str) -> Operator:
    def apply(pod: dict) -> None:
        first = _every(pod)[-1]["name"]
        pod["metadata"].setdefault("annotations", {})[key.replace("NAME", first)] = value
    return apply


def _probe_host(kind: str, host: str, which: slice = slice(None)) -> Operator:
    def apply(pod: dict) -> None:
        for container in pod["spec"]["containers"][which]:
            if kind == "httpGet":
                container["livenessProbe"] = {"httpGet": {"host": host, "port": 8080, "path": "/"}}
            elif kind == "tcpSocket":
                container["readinessProbe"] = {"tcpSocket": {"host": host, "port": 8080}}
            else:
                container["lifecycle"] = {"preStop": {"httpGet": {"host": host, "port": 8080}}}
    return apply


def _user_namespace(pod: dict) -> None:
    pod["spec"]["hostUsers"] = False


def _proc_mount_unmasked(pod: dict) -> None:
    pod["spec"]["hostUsers"] = False
    for container in _every(pod):
        _context(container)["procMount"] = "Unmasked"


OPERATORS: dict[str, Operator] = {
    "hostNetwork": _pod_set("hostNetwork", True),
    "hostPID": _pod_set("hostPID", True),
    "hostIPC": _pod_set("hostIPC", True),
    "privileged all": lambda pod: (_containers_context("privileged", True)(pod),
                                   _containers_context("allowPrivilegeEscalation", True)(pod)),
    "privileged last": lambda pod: (_containers_context("privileged", True, slice(-1, None))(pod),
                                    _containers_context("allowPrivilegeEscalation", True, slice(-1, None))(pod)),
    "add NET_ADMIN all": _add_capabilities(["NET_ADMIN"]),
    "add SYS_TIME, NET_ADMIN last": _add_capabilities(["SYS_TIME", "NET_ADMIN"], slice(-1, None)),
    "add CHOWN (baseline)": _add_capabilities(["CHOWN"]),
    "add NET_BIND_SERVICE (restricted)": _add_capabilities(["NET_BIND_SERVICE"]),
    "no capabilities drop": _containers_context_drop("capabilities"),
    "drop NET_RAW only": _containers_context("capabilities", {"drop": ["NET_RAW"]}),
    "hostPath volume": _volumes({"name": "host", "hostPath": {"path": "/tmp"}}),
    "two hostPath volumes": _volumes({"name": "h1", "hostPath": {"path": "/tmp"}},
                                     {"name": "h2", "hostPath": {"path": "/var"}}),
    "nfs volume": _volumes({"name": "share", "nfs": {"server": "127.0.0.1", "path": "/export"}}),
    "nfs and hostPath volumes": _volumes({"name": "share", "nfs": {"server": "127.0.0.1", "path": "/export"}},
                                         {"name": "host", "hostPath": {"path": "/tmp"}}),
    "configMap volume (allowed)": _volumes({"name": "config", "configMap": {"name": "c"}}),
    "hostPort 80": _host_ports(80),
    "hostPorts 80, 81, 10000": _host_ports(80, 81, 10000),
    "AppArmor pod Unconfined": _pod_context("appArmorProfile", {"type": "Unconfined"}),
    "AppArmor containers Unconfined": _containers_context("appArmorProfile", {"type": "Unconfined"}),
    "AppArmor RuntimeDefault (allowed)": _containers_context("appArmorProfile", {"type": "RuntimeDefault"}),
    "AppArmor annotation unconfined": _annotation("container.apparmor.security.beta.kubernetes.io/NAME",
                                                  "unconfined"),
    "SELinux type spc_t": _pod_context("seLinuxOptions", {"type": "spc_t"}),
    "SELinux user and role": _containers_context("seLinuxOptions", {"user": "system_u", "role": "system_r"}),
    "SELinux container_engine_t": _containers_context("seLinuxOptions", {"type": "container_engine_t"}),
    "SELinux container_t (allowed)": _containers_context("seLinuxOptions", {"type": "container_t"}),
    "procMount Unmasked, hostUsers false": _proc_mount_unmasked,
    "hostUsers false": _user_namespace,
    "seccomp pod Unconfined": _pod_context("seccompProfile", {"type": "Unconfined"}),
    "seccomp containers Unconfined": _containers_context("seccompProfile", {"type": "Unconfined"},
                                                         slice(-1, None)),
    "seccomp unset": _pod_context_drop("seccompProfile"),
    "seccomp unset, one container RuntimeDefault": lambda pod: (
        _pod_context_drop("seccompProfile")(pod),
        _containers_context("seccompProfile", {"type": "RuntimeDefault"}, slice(0, 1))(pod)),
    "seccomp annotation unconfined": lambda pod: (  # the field must not contradict the annotation
        _pod_context_drop("seccompProfile")(pod),
        _annotation("seccomp.security.alpha.kubernetes.io/pod", "unconfined")(pod)),
    "sysctl kernel.msgmax": _pod_context("sysctls", [{"name": "kernel.msgmax", "value": "65536"}]),
    "sysctls new in 1.27, 1.32, 1.37": _pod_context("sysctls", [
        {"name": "net.ipv4.ip_local_reserved_ports", "value": "30000"},
        {"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"},
        {"name": "net.ipv4.tcp_notsent_lowat", "value": "16384"}]),
    "probe host httpGet": _probe_host("httpGet", "127.0.0.1"),
    "probe hosts on two containers": lambda pod: (_probe_host("httpGet", "10.0.0.1", slice(0, 1))(pod),
                                                  _probe_host("tcpSocket", "10.0.0.2", slice(-1, None))(pod)),
    "lifecycle host": _probe_host("lifecycle", "localhost"),
    "runAsNonRoot false on pod": _pod_context("runAsNonRoot", False),
    "runAsNonRoot false on a container": _containers_context("runAsNonRoot", False, slice(-1, None)),
    "runAsNonRoot unset": _pod_context_drop("runAsNonRoot"),
    "runAsUser 0 on pod": _pod_context("runAsUser", 0),
    "runAsUser 0 on containers": _containers_context("runAsUser", 0),
    "runAsUser 1000 (allowed)": _pod_context("runAsUser", 1000),
    "allowPrivilegeEscalation true": _containers_context("allowPrivilegeEscalation", True, slice(0, 1)),
    "allowPrivilegeEscalation unset": _containers_context_drop("allowPrivilegeEscalation"),
}

WINDOWS_OPERATORS: dict[str, Operator] = {
    "windows as it is": lambda pod: None,
    "windows hostProcess": lambda pod: (
        pod["spec"].update(hostNetwork=True),
        _context(pod["spec"]).update(windowsOptions={"hostProcess": True}),
        [_context(c).update(windowsOptions={"hostProcess": True}) for c in pod["spec"]["containers"]]),
    "windows runAsNonRoot unset": _pod_context_drop("runAsNonRoot"),
    "windows hostPort": _host_ports(80),
}


def generate(pairs: int = 120, triples: int = 60, seed: int = 20261130) -> list[tuple[str, dict]]:
    """Every operator on both bases, the Windows cases, and seeded pairs and triples of operators."""
    cases = []
    for base in (restricted_pod, grouped_pod):
        cases.append((f"{base.__name__}: as it is", base()))
        for label, operator in OPERATORS.items():
            pod = base()
            operator(pod)
            cases.append((f"{base.__name__}: {label}", pod))
    for label, operator in WINDOWS_OPERATORS.items():
        pod = windows_pod()
        operator(pod)
        cases.append((label, pod))
    rng = random.Random(seed)
    names = sorted(OPERATORS)
    for size, count in ((2, pairs), (3, triples)):
        for _ in range(count):
            base = rng.choice((restricted_pod, grouped_pod))
            chosen = rng.sample(names, size)
            pod = base()
            for name in chosen:
                OPERATORS[name](pod)
            cases.append((f"{base.__name__}: {' + '.join(chosen)}", pod))
    return cases
