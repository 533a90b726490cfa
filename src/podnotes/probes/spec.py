"""The parts of a Pod manifest the kubelet's prober and restart logic read,
with the API server's defaults applied.

Defaults are those of :mod:`podnotes.kube.defaults` (``SetDefaults_Probe`` and
``SetDefaults_PodSpec`` in ``pkg/apis/core/v1/defaults.go``): a zero or missing
period is 10 s, timeout 1 s, success and failure thresholds 1 and 3,
``restartPolicy: Always`` and a 30 s ``terminationGracePeriodSeconds``.
Whether the API server accepts a Pod is decided by ``podnotes lint`` alone,
and invalid manifests are refused with its messages, which are the server's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podnotes.kube.defaults import DEFAULT_GRACE_SECONDS, PROBE_DEFAULTS, probe_setting
from podnotes.kube.enums import POD_RESTART_POLICIES, PROBE_FIELDS, PROBE_HANDLERS


class InvalidPod(ValueError):
    """The API server would refuse this Pod; ``messages`` says why, as it would."""

    def __init__(self, messages: list[str], source: str = "the Pod"):
        self.messages = list(messages)
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  {m}" for m in self.messages))


@dataclass(frozen=True)
class ProbeSpec:
    """One probe after defaulting. ``action`` is the handler's own fields."""

    type: str  # startup, liveness, readiness
    handler: str  # exec, httpGet, tcpSocket, grpc
    action: dict = field(default_factory=dict, compare=False, hash=False)
    initial_delay: int = 0
    period: int = PROBE_DEFAULTS["periodSeconds"]
    timeout: int = PROBE_DEFAULTS["timeoutSeconds"]
    success_threshold: int = PROBE_DEFAULTS["successThreshold"]
    failure_threshold: int = PROBE_DEFAULTS["failureThreshold"]
    termination_grace: int | None = None

    def describe(self) -> str:
        """The one-line summary ``kubectl describe pod`` prints."""
        return (f"{self.handler} delay={self.initial_delay}s timeout={self.timeout}s period={self.period}s "
                f"#success={self.success_threshold} #failure={self.failure_threshold}")


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    type: str  # init, sidecar (an init container with restartPolicy Always) or app
    probes: dict[str, ProbeSpec] = field(default_factory=dict, compare=False, hash=False)
    has_pre_stop: bool = False
    image: str = ""
    ports: tuple[tuple[str, int], ...] = ()  # (name, containerPort) of the named ports, in order
    # Container restart rules (1.35+): the container's own restartPolicy (None: the Pod's; a sidecar's Always
    # is its type) and its restartPolicyRules as (action, operator, exit codes), in order.
    restart_policy: str | None = None
    restart_rules: tuple[tuple[str, str, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class PodSpec:
    name: str
    restart_policy: str = "Always"
    grace_seconds: int = DEFAULT_GRACE_SECONDS
    init_containers: tuple[ContainerSpec, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    readiness_gates: tuple[str, ...] = ()
    active_deadline: int | None = None  # activeDeadlineSeconds
    finalizers: tuple[str, ...] = ()  # metadata.finalizers: they keep a deleted object until removed

    @property
    def all_containers(self) -> tuple[ContainerSpec, ...]:
        return self.init_containers + self.containers


def pod_dict(pod: Any) -> tuple[dict, str]:
    """A plain dict for a Pod given as a dict, a ``podnotes.manifest`` Document
    (or list of them) or Node, plus a name for messages (its file if known).

    A Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob stands for
    a Pod made from its Pod template (:func:`pod_from_template`)."""
    if isinstance(pod, dict):
        return pod_from_template(pod) or pod, "the Pod"
    documents = pod if isinstance(pod, list) else [pod]
    for document in documents:
        if hasattr(document, "to_python"):
            data = document.to_python()
            if isinstance(data, dict) and data.get("kind", "Pod") == "Pod":
                return data, str(getattr(document, "file", None) or "the Pod")
            made = pod_from_template(data)
            if made is not None:
                return made, str(getattr(document, "file", None) or f"the {data.get('kind')}")
    raise TypeError(f"expected a Pod manifest (a dict or a loaded manifest), got {type(pod).__name__}")


def pod_from_template(workload: Any) -> dict | None:
    """The Pod a workload's controller would create from its Pod template, or
    None for anything that is not a workload with one.

    Where the template sits is the fact ``podnotes.lint.schema.KINDS`` holds
    (``spec.template`` for Deployment, ReplicaSet, StatefulSet, DaemonSet and
    Job; ``spec.jobTemplate.spec.template`` for CronJob). The Pod takes the
    template's metadata and the workload's name and namespace (a controller
    adds a random suffix to the name; the simulator does not need it).
    """
    from podnotes.lint.schema import KINDS

    if not isinstance(workload, dict) or workload.get("kind") == "Pod" or workload.get("kind") not in KINDS:
        return None
    template: Any = workload
    for key in KINDS[workload["kind"]][2].split(".")[:-1]:
        template = template.get(key) if isinstance(template, dict) else None
    if not isinstance(template, dict):
        return None
    metadata = dict(template.get("metadata") or {})
    owner = workload.get("metadata") or {}
    metadata.setdefault("name", owner.get("name", "pod"))
    if owner.get("namespace"):
        metadata.setdefault("namespace", owner["namespace"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}


def lint_errors(pod: Any) -> list[str]:
    """The API server's messages for what makes ``pod`` invalid, as ``podnotes lint`` reports them
    (located by file and line when ``pod`` is a loaded manifest). Only what the server would reject
    counts: no advice, no Pod Security level."""
    from podnotes.lint import lint

    errors = []
    for finding in lint(pod, level="privileged", advice=False):
        if finding.severity != "error":
            continue
        where = f"{finding.file}:{finding.line}: " if getattr(finding, "line", None) else ""
        errors.append(f"{where}{finding.server_message or finding.message}")
    return errors


def validate(pod: Any) -> dict:
    """Return the Pod as a dict, or raise InvalidPod with the server's messages."""
    data, source = pod_dict(pod)
    errors = lint_errors(pod if not isinstance(pod, dict) else data)
    if errors:
        raise InvalidPod(errors, source)
    return data


def parse_pod(pod: Any, check: bool = True) -> PodSpec:
    """The prober-relevant spec of a Pod, defaults applied; validated unless ``check`` is False."""
    data = validate(pod) if check else pod_dict(pod)[0]
    spec = data.get("spec") or {}
    grace = spec.get("terminationGracePeriodSeconds")
    return PodSpec(
        name=(data.get("metadata") or {}).get("name", "pod"),
        restart_policy=spec.get("restartPolicy") or "Always",
        grace_seconds=DEFAULT_GRACE_SECONDS if grace is None else int(grace),
        init_containers=tuple(_container(c, init=True) for c in spec.get("initContainers") or []),
        containers=tuple(_container(c, init=False) for c in spec.get("containers") or []),
        readiness_gates=tuple(g.get("conditionType", "") for g in spec.get("readinessGates") or []),
        active_deadline=_optional_int(spec.get("activeDeadlineSeconds")),
        finalizers=tuple(str(f) for f in (data.get("metadata") or {}).get("finalizers") or []),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _container(data: dict, init: bool) -> ContainerSpec:
    sidecar = init and data.get("restartPolicy") == "Always"
    kind = "sidecar" if sidecar else ("init" if init else "app")
    probes = {}
    for probe_type, key in PROBE_FIELDS.items():
        if data.get(key):
            probes[probe_type] = parse_probe(probe_type, data[key])
    pre_stop = bool((data.get("lifecycle") or {}).get("preStop"))
    ports = tuple((str(p["name"]), p.get("containerPort")) for p in data.get("ports") or []
                  if isinstance(p, dict) and p.get("name"))
    policy = data.get("restartPolicy") if kind != "sidecar" else None
    return ContainerSpec(name=data.get("name", ""), type=kind, probes=probes, has_pre_stop=pre_stop,
                         image=str(data.get("image") or ""), ports=ports,  # type: ignore[arg-type]
                         restart_policy=policy if isinstance(policy, str) else None,
                         restart_rules=_restart_rules(data.get("restartPolicyRules")))


def _restart_rules(rules: Any) -> tuple[tuple[str, str, tuple[int, ...]], ...]:
    found = []
    for rule in rules if isinstance(rules, list) else []:
        codes = rule.get("exitCodes") if isinstance(rule, dict) else None
        if isinstance(codes, dict):
            values = tuple(int(v) for v in codes.get("values") or [] if isinstance(v, int))
            found.append((str(rule.get("action", "")), str(codes.get("operator", "")), values))
    return tuple(found)


def should_restart(container: ContainerSpec, pod_policy: str, exit_code: int) -> bool:
    """Whether a regular or init container that exited with ``exit_code`` is started again:
    ``ContainerShouldRestart`` (``pkg/api/v1/pod/util.go``, k8s.io/kubernetes v1.37.2). With a container-level
    ``restartPolicy``, the first of its ``restartPolicyRules`` whose exit codes match (``In``/``NotIn``) and
    whose action restarts decides; otherwise the container's policy, else the Pod's."""
    if container.restart_policy is not None:
        for action, operator, values in container.restart_rules:
            matched = exit_code in values
            if (operator == "In" and matched) or (operator == "NotIn" and not matched):
                if action in ("Restart", "RestartAllContainers"):
                    return True
                break
        if container.restart_policy in POD_RESTART_POLICIES:
            return _policy_restarts(container.restart_policy, exit_code)
    return _policy_restarts(pod_policy, exit_code)


def _policy_restarts(policy: str, exit_code: int) -> bool:
    return policy != "Never" and (policy != "OnFailure" or exit_code != 0)


class PortError(ValueError):
    """The kubelet cannot work out which port a probe targets; the message is its own."""


def resolve_port(probe: ProbeSpec, container: ContainerSpec) -> int | None:
    """The port a probe connects to, resolved as the 1.37 kubelet does, or raise
    :class:`PortError` with the kubelet's error text.

    ``httpGet`` and ``tcpSocket`` go through ``probe.ResolveContainerPort``
    (``pkg/probe/util.go``): a number is used as it is, a string is looked up
    among the container's own ``ports[].name`` (``findPortByName``, exact and
    case-sensitive; a numeric string is a name too, since 1.37 no longer falls
    back to ``strconv.Atoi``: kubernetes/kubernetes#139791), and the result
    must be 1-65535. ``grpc.port`` is
    an integer field that the prober uses as it is (``prober.runProbe``).
    ``exec`` has no port (None).
    """
    if probe.handler == "exec":
        return None
    port = probe.action.get("port")
    if probe.handler == "grpc":
        if isinstance(port, bool) or not isinstance(port, int):
            raise PortError(f"grpc.port must be an integer, got {port!r}")
        return port
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise PortError(f"intOrString had no kind: {port!r}")
    if isinstance(port, str):
        named = dict(reversed(container.ports))  # the first port with the name wins
        if port not in named:
            raise PortError(f'port "{port}" not found')
        port = named[port]
        if isinstance(port, bool) or not isinstance(port, int):
            raise PortError(f"invalid port number: {port}")
    if not 0 < port < 65536:
        raise PortError(f"invalid port number: {port}")
    return port


def parse_probe(probe_type: str, data: dict) -> ProbeSpec:
    """Apply ``SetDefaults_Probe``: zero or missing fields get their defaults."""
    handler = next((h for h in PROBE_HANDLERS if data.get(h) is not None), "exec")
    grace = data.get("terminationGracePeriodSeconds")
    return ProbeSpec(
        type=probe_type,
        handler=handler,
        action=dict(data.get(handler) or {}),
        initial_delay=probe_setting(data, "initialDelaySeconds"),
        period=probe_setting(data, "periodSeconds"),
        timeout=probe_setting(data, "timeoutSeconds"),
        success_threshold=probe_setting(data, "successThreshold"),
        failure_threshold=probe_setting(data, "failureThreshold"),
        termination_grace=None if grace is None else int(grace),
    )


# --- changes to a running Pod (ValidatePodUpdate in validation.go) -------------

@dataclass(frozen=True)
class PodUpdate:
    """A change to a running Pod at ``at`` seconds after its creation, of the
    kinds the API server allows and the kubelet acts on: new container images
    (``kubectl set image``; ``images`` maps container names to images) and a
    new ``activeDeadlineSeconds`` (set where there was none, or lowered)."""

    at: float
    images: dict[str, str] = field(default_factory=dict)
    active_deadline_seconds: int | None = None

    def errors(self, spec: PodSpec, current_deadline: int | None) -> list[str]:
        """The API server's messages refusing this update of ``spec`` (empty: accepted)."""
        errors = []
        if self.at < 0:
            errors.append(f"update at {self.at}: the time must be >= 0 seconds")
        for lists, containers in (("initContainers", spec.init_containers), ("containers", spec.containers)):
            for index, container in enumerate(containers):
                image = self.images.get(container.name)
                if image is not None and not str(image).strip():
                    errors.append(f"spec.{lists}[{index}].image: Required value")
        names = {c.name for c in spec.all_containers}
        for name in self.images:
            if name not in names:
                errors.append(f'unable to find container named "{name}"')
        new = self.active_deadline_seconds
        if new is not None:
            if not 1 <= new <= 2147483647:
                errors.append(f"spec.activeDeadlineSeconds: Invalid value: {new}: "
                              "must be between 1 and 2147483647, inclusive")
            elif current_deadline is not None and new > current_deadline:
                errors.append(f"spec.activeDeadlineSeconds: Invalid value: {new}: "
                              "must be less than or equal to previous value")
        return errors
