"""Layer 3: advice. The API server accepts all of this; experience says otherwise.

Images (tags and the pull-policy default), resources and the QoS class they
lead to, readiness probes, naked Pods, and the Pod Security Standards.
"""

from __future__ import annotations

from ..kube import qos as kube_qos
from ..kube.containers import containers
from ..kube.defaults import DEFAULT_GRACE_SECONDS, parse_image
from ..kube.enums import PROBES
from ..kube.lifecycle import MINIMUM_GRACE_PERIOD_SECONDS, exec_sleep_seconds
from ..kube.quantity import QuantityError, parse_quantity
from ..manifest import Node
from . import pss
from .finding import INFO, WARNING, Finding
from .structure import located


def qos_class(spec: Node) -> str:
    """The QoS class of a Pod spec Node (:func:`podnotes.kube.qos.qos_class`). Amounts that are not
    quantities (decoding reports them) are left out, as if not written."""
    data = _resources_only(spec)
    for _, _, container in containers(data, ("initContainers", "containers")):
        _drop_bad_amounts(container.get("resources"))
    _drop_bad_amounts(data.get("resources"))
    return kube_qos.qos_class(data)


def _resources_only(spec: Node) -> dict:
    """The part of a Pod spec the QoS class reads, as plain data: the Pod's and each container's
    ``resources`` (converting the whole spec costs as much as the rest of the advice)."""
    if spec.kind != "map":
        return {}
    data: dict = {}
    resources = spec.value.get("resources")
    if resources is not None:
        data["resources"] = resources.to_python()
    for group in ("initContainers", "containers"):
        items = spec.value.get(group)
        if items is None:
            continue
        if items.kind != "seq":
            data[group] = None  # not a list: no containers, as the whole spec would say
            continue
        data[group] = [_container_resources(item) for item in items.value]
    return data


def _container_resources(item: Node) -> object:
    if item.kind != "map":
        return item.to_python()
    resources = item.value.get("resources")
    return {} if resources is None else {"resources": resources.to_python()}


def _drop_bad_amounts(resources: object) -> None:
    if not isinstance(resources, dict):
        return
    for group in ("requests", "limits"):
        amounts = resources.get(group)
        if not isinstance(amounts, dict):
            resources.pop(group, None)
            continue
        for name in list(amounts):
            try:
                parse_quantity(amounts[name])
            except (QuantityError, TypeError):
                del amounts[name]


def _resource_map(resources: Node | None, key: str) -> dict[str, str]:
    group = resources.get(key) if resources is not None else None
    if group is None or group.kind != "map":
        return {}
    return {name: str(node.value) for name, node in group.value.items() if node.kind == "scalar"}


def check_images(container: Node, findings: list[Finding]) -> None:
    image = container.get("image")
    if image is None or not isinstance(image.value, str) or not image.value:
        return
    ref = parse_image(image.value)
    if ref.digest is not None:
        return
    policy = container.scalar("imagePullPolicy")
    default = ref.default_pull_policy
    rule = "no tag or `:latest` gives Always, any other tag IfNotPresent"
    if policy:
        explained = f"`imagePullPolicy: {policy}` is set; left out, it would default to {default} ({rule})"
    else:
        explained = f"`imagePullPolicy` is not set, so the server sets {default} ({rule})"
    if ref.tag is None:
        findings.append(located(
            "image-tag-missing", WARNING, image,
            f"`{image.value}` has no tag, so it means `:latest`, whatever that is on the day the node pulls; "
            f"{explained}", at_key=False, fix=f"{image.value}:1.27 (a fixed version, or pin a digest @sha256:...)"))
    elif ref.tag == "latest":
        findings.append(located(
            "image-tag-latest", WARNING, image,
            f"`:latest` moves: two nodes may run different images under one name; {explained}", at_key=False,
            fix=f"{ref.repository}:1.27 (a fixed version, or pin a digest @sha256:...)"))


def check_resources(container: Node, findings: list[Finding]) -> None:
    resources = container.get("resources")
    requests = _resource_map(resources, "requests")
    limits = _resource_map(resources, "limits")
    missing = [f"requests.{r}" for r in ("cpu", "memory") if r not in requests and r not in limits]
    if "memory" not in limits:
        missing.append("limits.memory")
    if missing:
        where = container.get("name") or container
        reasons = []
        if any(m.startswith("requests") for m in missing):
            reasons.append("without requests the scheduler places it blindly and it is evicted early")
        if "limits.memory" in missing:
            reasons.append("without a memory limit it can take the node's memory from its neighbours")
        findings.append(located(
            "resources-missing", WARNING, where,
            f"container `{container.scalar('name', '?')}` sets no {', '.join(missing)}: {'; '.join(reasons)}",
            at_key=True, fix="resources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {memory: 128Mi}"))


def check_probe_ports(container: Node, findings: list[Finding]) -> None:
    """A probe that names a port the container does not declare fails at run time, not at admission."""
    ports = container.get("ports")
    names = {p.scalar("name") for p in (ports.value if ports is not None and ports.kind == "seq" else [])
             if p.kind == "map"}
    for probe in PROBES:
        node = container.get(probe)
        for action in ("httpGet", "tcpSocket"):
            target = node.get(action) if node is not None and node.kind == "map" else None
            port = target.get("port") if target is not None and target.kind == "map" else None
            if port is not None and isinstance(port.value, str) and port.value not in names:
                findings.append(located(
                    "probe-port-unknown", WARNING, port,
                    f"the {probe} uses the port name `{port.value}`, which no port of container "
                    f"`{container.scalar('name', '?')}` declares: the probe will fail on every attempt",
                    at_key=False, fix=f"ports:\n- name: {port.value}\n  containerPort: 8080"))


def check_readiness(container: Node, findings: list[Finding]) -> None:
    ports = container.get("ports")
    serves = ports is not None and ports.kind == "seq" and bool(ports.value)
    if serves and container.get("readinessProbe") is None:
        where = container.get("name") or container
        findings.append(located(
            "readiness-probe-missing", WARNING, where,
            f"container `{container.scalar('name', '?')}` serves ports but has no readinessProbe: it receives "
            "traffic as soon as it starts, before it can answer", at_key=True,
            fix="readinessProbe:\n  httpGet: {path: /ready, port: 80}"))


def check_pod(spec: Node, kind: str, document_root: Node, level: str, version: str,
              findings: list[Finding]) -> pss.PodSecurityReport:
    """All advice for one Pod spec; returns the Pod Security report for callers that show it."""
    containers = spec.get("containers")
    for container in containers.value if containers is not None and containers.kind == "seq" else []:
        if container.kind != "map":
            continue
        check_images(container, findings)
        check_resources(container, findings)
        check_readiness(container, findings)
        check_probe_ports(container, findings)
        check_prestop_sleep(container, spec, findings)
    inits = spec.get("initContainers")
    for container in inits.value if inits is not None and inits.kind == "seq" else []:
        if container.kind == "map":
            check_images(container, findings)
            check_prestop_sleep(container, spec, findings)  # a sidecar (restartPolicy: Always) is stopped the same way
    qos = qos_class(spec)
    findings.append(located("qos-class", INFO, spec, f"QoS class: {qos} ({_QOS_MEANING[qos]})", at_key=True))
    if kind == "Pod":
        where = document_root.get("kind") or document_root
        findings.append(located(
            "naked-pod", INFO, where, "a bare Pod is not replaced if its node fails or it is deleted; "
            "real workloads use a Deployment, StatefulSet, DaemonSet or Job that creates Pods from a template",
            at_key=False))
    report = pss.evaluate(spec, version, metadata=_pod_metadata(kind, document_root), template=kind != "Pod")
    above = {"privileged": "baseline", "baseline": "restricted"}.get(report.level)
    why_not = ""
    if above:
        why_not = f"; not {above}: {report.detail(above)}"
    findings.append(located("pod-security-level", INFO, spec, f"Pod Security level met: {report.level}{why_not}",
                            at_key=True))
    if level != "privileged":
        server = f'violates PodSecurity "{level}:latest": {report.detail(level)}'
        for violation in report.at(level):
            findings.append(located(
                f"pss-{violation.check}", WARNING, violation.node,
                f"Pod Security {level}: {violation.text}", at_key=True, server=server))
    return report


def check_prestop_sleep(container: Node, spec: Node, findings: list[Finding]) -> None:
    """A preStop hook that sleeps so long that the program gets only the kubelet's minimum 2 s between SIGTERM
    and SIGKILL (:mod:`podnotes.kube.lifecycle`): a `sleep` action, or an exec command that states a sleep.
    A `sleep` action longer than the grace period is the API server's error, reported elsewhere."""
    hook = container.get("lifecycle")
    command = _at(hook, "preStop", "exec", "command")
    seconds = _at(hook, "preStop", "sleep", "seconds")
    if seconds is not None and type(seconds.value) is int:
        where, slept = seconds, float(seconds.value)
    elif command is not None and command.kind == "seq" and all(isinstance(arg.value, str) for arg in command.value):
        where, slept = command, exec_sleep_seconds([arg.value for arg in command.value])
    else:
        return
    grace_node = spec.get("terminationGracePeriodSeconds")
    grace = grace_node.value if grace_node is not None and type(grace_node.value) is int else DEFAULT_GRACE_SECONDS
    too_long_for_the_server = where is seconds and slept > grace
    if grace <= 0 or slept == 0 or grace - slept >= MINIMUM_GRACE_PERIOD_SECONDS or too_long_for_the_server:
        return
    name = container.scalar("name") or "this container"
    cut = (f"the kubelet stops the hook when the {grace} s grace period is over" if slept >= grace else
           f"the hook ends {grace - slept:g} s before the {grace} s grace period is over")
    shown = "forever" if slept == float("inf") else f"{slept:g} s"
    need = "a grace period longer than the sleep plus the time the program needs after SIGTERM"
    findings.append(located(
        "prestop-outlasts-grace-period", WARNING, where,
        f"this preStop hook sleeps {shown} and counts against `terminationGracePeriodSeconds` ({grace} s): {cut}, "
        f"then sends SIGTERM and kills `{name}` {MINIMUM_GRACE_PERIOD_SECONDS} s later, so it has "
        f"{MINIMUM_GRACE_PERIOD_SECONDS} s to shut down", at_key=True,
        fix=f"terminationGracePeriodSeconds: {int(slept) + 30 if slept != float('inf') else 60} ({need}), "
            "or a shorter sleep"))


def _at(node: Node | None, *keys: str) -> Node | None:
    for key in keys:
        node = node.get(key) if node is not None and node.kind == "map" else None
    return node


def _pod_metadata(kind: str, root: Node) -> Node | None:
    """The metadata of the Pod (or of the Pod template) whose annotations the Pod Security checks read."""
    path = {"Pod": ("metadata",), "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata")}.get(
        kind, ("spec", "template", "metadata"))
    node: Node | None = root
    for key in path:
        node = node.get(key) if node is not None else None
    return node


_QOS_MEANING = {
    "Guaranteed": "every container's requests equal its limits for cpu and memory; evicted last",
    "Burstable": "some requests or limits are set, not all equal; evicted after BestEffort Pods",
    "BestEffort": "no requests or limits at all; the first to be evicted when the node runs short",
}
