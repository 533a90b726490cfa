"""What the API server accepts but answers with a warning (``kubectl`` prints ``Warning: ...``).

Mirrors ``warningsForPodSpecAndMeta`` in ``pkg/api/pod/warnings.go`` (Kubernetes
1.37), which runs on the defaulted object, so a limit copied into requests is
warned about twice. A warning the server at the chosen version does not give
yet (its rule's ``since`` in ``podnotes.lint.rules``, e.g. duplicate ports
from 1.28) is not reported. Each finding is a ``warning`` whose
``server_message`` is the warning text, word for word; unlike podnotes' own advice these are kept by
``--no-advice``, because they are part of what the server answers.
"""

from __future__ import annotations

from ..kube.containers import containers
from ..kube.quantity import fractional_bytes
from ..manifest import Node
from .finding import WARNING, Finding
from .rules import applies_at
from .structure import located

BYTE_RESOURCES = ("memory", "ephemeral-storage")


def check_pod_warnings(spec: Node, findings: list[Finding], k8s_version: str, *, pod: bool = True) -> None:
    """Every warning the server of ``k8s_version`` (``"1.37"``) gives for this Pod spec (``pod=False``: a Pod
    template's, which is not defaulted as a Pod is), appended to ``findings``."""
    if spec.kind != "map":
        return
    warnings: list[Finding] = []
    check_pull_secrets(spec, warnings)
    check_host_aliases(spec, warnings)
    for _, _, container in containers(spec):
        check_fractional_bytes(container, warnings, pod=pod)
        check_env_duplicates(container, warnings)
    check_ports(spec, warnings)
    findings.extend(warning for warning in warnings if applies_at(warning.rule, k8s_version))


def _warn(rule: str, node: Node, message: str, server: str, fix: str, path: str | None = None, *,
          at_key: bool = True) -> Finding:
    return located(rule, WARNING, node, f"{message} (the API server warns about this)", at_key=at_key,
                   fix=fix, server=server, path=path)


def _items(node: Node | None) -> list[Node]:
    return [item for item in node.value if item.kind == "map"] if node is not None and node.kind == "seq" else []


def check_pull_secrets(spec: Node, findings: list[Finding]) -> None:
    seen: set[str] = set()
    for item in _items(spec.get("imagePullSecrets")):
        name = item.scalar("name", "")
        where = item.get("name") or item
        path = f"{item.path}.name"
        if name in seen:
            findings.append(_warn("image-pull-secret", where, f"the pull secret `{name}` is listed twice",
                                  f'{path}: duplicate name "{name}"', "list each pull secret once", path))
        seen.add(name)
        if name == "":
            findings.append(_warn("image-pull-secret", where, "this pull secret has no name, so it names nothing",
                                  f'{path}: invalid empty name ""', "name: SECRET", path))


def check_host_aliases(spec: Node, findings: list[Finding]) -> None:
    seen: set[str] = set()
    for item in _items(spec.get("hostAliases")):
        ip = item.scalar("ip")
        if not isinstance(ip, str):
            continue
        if ip in seen:
            findings.append(_warn("host-alias-ip", item.get("ip") or item,
                                  f"the address {ip} has two hostAliases entries; /etc/hosts gets both lines",
                                  f'{item.path}.ip: duplicate ip "{ip}"',
                                  "put all hostnames of one address in one entry", f"{item.path}.ip"))
        seen.add(ip)


def check_fractional_bytes(container: Node, findings: list[Finding], *, pod: bool = True) -> None:
    """Memory and ephemeral-storage amounts that are not whole bytes (``100m`` is a tenth of a byte). In a Pod
    a limit without a request is also the request (SetDefaults_Pod), so the server warns about both; a Pod
    template is not defaulted so."""
    resources = container.get("resources")
    if resources is None or resources.kind != "map":
        return
    limits, requests = resources.get("limits"), resources.get("requests")
    for name in BYTE_RESOURCES:
        limit = limits.get(name) if limits is not None else None
        request = requests.get(name) if requests is not None else None
        defaulted = pod and request is None and limit is not None  # SetDefaults_Pod copies the limit
        for group, node in (("limits", limit), ("requests", request if not defaulted else limit)):
            shown = fractional_bytes(node.value) if node is not None and node.kind == "scalar" else None
            if shown is None:
                continue
            path = f"{resources.path}.{group}[{name}]"
            whole = str(node.value).strip()  # type: ignore[union-attr]
            fix = whole[:-1] + "Mi" if whole.endswith("m") else "a whole number of bytes, e.g. 128Mi"
            findings.append(_warn(
                "fractional-memory", node, f"{name} `{node.value}` is not a whole number of bytes"  # type: ignore[arg-type, union-attr]
                + (" (`m` is milli, not mega; write `Mi` or `M`)" if whole.endswith("m") else "")
                + (" (the limit is also the defaulted request)" if group == "requests" and defaulted else ""),
                f'{path}: fractional byte value "{shown}" is invalid, must be an integer', fix, path, at_key=False))


def check_env_duplicates(container: Node, findings: list[Finding]) -> None:
    """A later entry of the same name hides the earlier one; the server warns unless the later value
    refers to the earlier (``X=$(X)more``), which is fine."""
    seen: set[str] = set()
    for item in _items(container.get("env")):
        name = item.scalar("name")
        if not isinstance(name, str):
            continue
        if name not in seen:
            seen.add(name)
            continue
        value = item.scalar("value", "")
        value = value if isinstance(value, str) else str(value)
        reference = f"$({name})"
        if item.get("valueFrom") is not None or value == reference or reference not in value:
            findings.append(_warn("duplicate-env", item.get("name") or item,
                                  f"`{name}` is set twice; only the last value takes effect",
                                  f'{item.path}: hides previous definition of "{name}", which may be dropped '
                                  "when using apply", "delete one of the two entries", at_key=False))


def check_ports(spec: Node, findings: list[Finding]) -> None:
    """The same containerPort/protocol twice in the Pod, across all its containers."""
    seen: dict[str, list[Node]] = {}
    for _, _, container in containers(spec):
        for port in _items(container.get("ports")):
            number, protocol = port.scalar("containerPort"), port.scalar("protocol", "TCP")
            host_ip, host_port = port.scalar("hostIP", ""), port.scalar("hostPort", 0)
            if host_ip and not host_port:
                findings.append(_warn("duplicate-port", port.get("hostIP") or port,
                                      "`hostIP` has no effect without `hostPort`",
                                      f"{port.path}: hostIP set without hostPort: {_go_port(port)}",
                                      "add hostPort, or remove hostIP", port.path))
            for other in seen.get(f"{number}/{protocol}", []):
                problem = _port_clash(port, other)
                if problem:
                    findings.append(_warn("duplicate-port", port, f"port {number}/{protocol} is declared twice "
                                          f"in this Pod ({problem} with {other.path})",
                                          f"{port.path}: {problem} port definition with {other.path}",
                                          "declare each port once", port.path))
            seen.setdefault(f"{number}/{protocol}", []).append(port)


def _port_clash(port: Node, other: Node) -> str | None:
    ip, other_ip = port.scalar("hostIP", ""), other.scalar("hostIP", "")
    host, other_host = port.scalar("hostPort", 0), other.scalar("hostPort", 0)
    if ip == other_ip and host == other_host:
        return "duplicate"
    if not host or not other_host:
        return "overlapping"
    if host == other_host and (ip == "") != (other_ip == ""):
        return "dangerously ambiguous"
    return None


def _go_port(port: Node) -> str:
    """A ContainerPort as Go's ``%+v`` prints it."""
    return (f"{{Name:{port.scalar('name', '')} HostPort:{port.scalar('hostPort', 0)} "
            f"ContainerPort:{port.scalar('containerPort', 0)} Protocol:{port.scalar('protocol', 'TCP')} "
            f"HostIP:{port.scalar('hostIP', '')}}}")
