"""Layer 2 of "would the API server accept it?": the Pod rules the schema does not carry.

Each check mirrors one part of the API server's Pod validation
(``pkg/apis/core/validation``): exactly one handler per probe or hook, exactly
one source per volume, names and ports, references between fields, which
fields each kind of container may set, and which restart policies a context
allows. Messages carry the server's own wording in ``server_message``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..kube.containers import containers
from ..kube.defaults import DEFAULT_GRACE_SECONDS, probe_setting
from ..kube.enums import (
    CONTAINER_GROUPS,
    CONTAINER_RESTART_POLICIES,
    LIFECYCLE_HANDLERS,
    POD_RESTART_POLICIES,
    PROBE_HANDLERS,
    PROBES,
    SUPPORTED_LIFECYCLE_HANDLERS,
)
from ..kube.quantity import parse_quantity
from ..manifest import Node
from .finding import ERROR, WARNING, Finding
from .rules_table import (
    CONTAINER_RESTART_RULES_SINCE,
    EPHEMERAL_FORBIDDEN,
    INIT_ONLY_WITH_SIDECAR,
    POD_LEVEL_RESOURCES,
    RELAXED_ENV_NAMES_SINCE,
    RESTART_POLICIES_BY_CONTEXT,
    STANDARD_RESOURCES,
    VOLUME_SERVER_NAMES,
    VOLUME_SOURCE_ORDER,
)
from .structure import did_you_mean, located, unsupported

# A container's restartPolicy since container restart rules (1.35): the server lists the values sorted
# (validateContainerRestartPolicy, pkg/apis/core/validation/validation.go).
SORTED_RESTART_POLICIES = tuple(sorted(POD_RESTART_POLICIES))
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
_ENV_NAME_MESSAGE = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                     "'.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
                     "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                  "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                      "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                      "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")

if TYPE_CHECKING:
    from typing_extensions import TypeIs

_CONTAINER_WORD = {"initContainers": "init container", "containers": "container",
                   "ephemeralContainers": "ephemeral container"}


def _present(node: Node | None) -> TypeIs[Node]:
    return node is not None and not (node.kind == "scalar" and node.value is None)


class PodRules:
    """Checks one Pod spec. ``context`` is "pod", "workload" or "job" (what holds the spec)."""

    def __init__(self, spec: Node, context: str, findings: list[Finding], minor: int = 37,
                 claim_templates: frozenset[str] = frozenset(), owner: str = "Pod"):
        self.spec = spec
        self.context = context
        self.owner = owner  # the kind that holds the spec: Pod, Deployment, StatefulSet ...
        self.findings = findings
        self.minor = minor  # Kubernetes 1.<minor>: some rules changed between releases
        # A StatefulSet's volumeClaimTemplates are volumes of its Pods: mounts may name them.
        self.volume_names: set[str] = set(claim_templates)
        self.targets: set[str] = set()

    def error(self, rule: str, node: Node, message: str, server: str, *, at_key: bool = True, fix: str = "",
              path: str | None = None) -> None:
        self.findings.append(located(rule, ERROR, node, message, at_key=at_key, fix=fix, server=server, path=path))

    def warn(self, rule: str, node: Node, message: str, server: str = "", *, at_key: bool = True, fix: str = "",
             path: str | None = None) -> None:
        self.findings.append(located(rule, WARNING, node, message, at_key=at_key, fix=fix, server=server, path=path))

    def run(self) -> None:
        if self.spec.kind != "map":
            return
        self.check_restart_policy()
        self.check_pod_fields()
        self.check_pod_resources()
        self.check_volumes()
        containers = self.spec.get("containers")
        if not _present(containers) or (containers.kind == "seq" and not containers.value):
            self.error("required-field", containers or self.spec, "a Pod needs at least one container in `containers`",
                       f"{self.spec.path}.containers: Required value", fix="containers:\n- name: app\n  image: IMAGE",
                       path=f"{self.spec.path}.containers")
        self.check_containers()

    # --- restart policy ------------------------------------------------------------
    def check_restart_policy(self) -> None:
        allowed = RESTART_POLICIES_BY_CONTEXT[self.context]
        node = self.spec.get("restartPolicy")
        path = f"{self.spec.path}.restartPolicy"
        if not _present(node):
            if self.context == "job":
                self.error("restart-policy-context", self.spec, "a Job's Pod template must set `restartPolicy` to "
                           "OnFailure or Never (the Pod default, Always, is not allowed for Jobs)",
                           unsupported(Node("Always", "scalar", path), allowed), at_key=True,
                           fix="restartPolicy: Never", path=path)
            return
        if not isinstance(node.value, str) or node.value in allowed:
            return
        if node.value in RESTART_POLICIES_BY_CONTEXT["pod"]:
            why = {"workload": "the controller replaces Pods that stop, so their template may only say Always",
                   "job": "a Job decides itself what happens after a Pod ends, so only OnFailure or Never are "
                          "allowed"}[self.context]
            message = f"`restartPolicy: {node.value}` is not allowed here: {why}"
        else:
            guess = did_you_mean(node.value, allowed)
            message = f"`{node.value}` is not a restart policy ({', '.join(allowed)})" + (
                f"; did you mean `{guess}`?" if guess else "")
        self.error("restart-policy-context" if node.value in RESTART_POLICIES_BY_CONTEXT["pod"] else "invalid-enum",
                   node, message, unsupported(node, allowed), at_key=False, fix=f"restartPolicy: {allowed[0]}")

    # --- Pod-level fields ------------------------------------------------------------
    def check_pod_fields(self) -> None:
        spec = self.spec
        deadline = spec.get("activeDeadlineSeconds")
        if _present(deadline) and isinstance(deadline.value, int) and deadline.value < 1:
            self.error("field-constraint", deadline, "`activeDeadlineSeconds` must be at least 1 second",
                       f"{deadline.path}: Invalid value: {deadline.value}: must be between 1 and 2147483647, inclusive",
                       at_key=False, fix="activeDeadlineSeconds: 600")
        pod_context = spec.get("securityContext")
        for owner in [pod_context] + [c.get("securityContext") for c in self.all_containers()]:
            for key in ("runAsUser", "runAsGroup"):
                self.check_linux_id(owner.get(key) if owner is not None else None, key)
        if pod_context is not None and pod_context.kind == "map":
            # ValidatePodSecurityContext: fsGroup and each supplemental group go through IsValidGroupID
            self.check_linux_id(pod_context.get("fsGroup"), "fsGroup")
            groups = pod_context.get("supplementalGroups")
            for group in groups.value if groups is not None and groups.kind == "seq" else []:
                self.check_linux_id(group, "supplementalGroups")
        self.check_proc_mount()
        self.check_host_process()
        for key, pattern, message in (("hostname", DNS1123_LABEL, _LABEL_MESSAGE),
                                      ("subdomain", DNS1123_LABEL, _LABEL_MESSAGE),
                                      ("serviceAccountName", DNS1123_SUBDOMAIN, _SUBDOMAIN_MESSAGE)):
            if key in ("hostname", "subdomain") and self.owner == "StatefulSet":
                # The StatefulSet controller sets each Pod's hostname to the Pod's name and its subdomain to the
                # set's serviceName (updateIdentity in pkg/controller/statefulset/stateful_set_utils.go), so the
                # template's are never used and the server does not check them (kube-apiserver 1.37 accepts
                # `hostname: Bad_Host` and `subdomain: Bad_Sub` in a StatefulSet's template).
                continue
            node = self.named_field(key)
            # ValidatePodSpec checks these names only when they are not empty: "" means unset.
            if _present(node) and isinstance(node.value, str) and node.value and not pattern.match(node.value):
                self.error("invalid-name", node, f"`{node.value}` is not a valid {key}",
                           f'{node.path}: Invalid value: "{node.value}": {message}', at_key=False,
                           fix=re.sub(r"[^a-z0-9-]+", "-", node.value.lower()).strip("-") or "name")
        priority = spec.get("priority")
        # The Priority admission plugin (plugin/pkg/admission/priority) sees Pods only, not templates; without
        # a class (and no global default) it computes 0, so a priority of 0 is what it would set anyway.
        if self.context == "pod" and _present(priority) and priority.value != 0 \
                and not _present(spec.get("priorityClassName")):
            self.error("priority-admission", priority, "`priority` is computed by the Priority admission plugin "
                       "from `priorityClassName`; written by hand (without a class, which gives 0) it is refused",
                       f"the integer value of priority ({priority.value}) must not be provided in pod spec; "
                       "priority admission controller computed 0 from the given PriorityClass name",
                       fix="remove `priority`; set `priorityClassName` instead")
        if spec.scalar("dnsPolicy") == "None" and not _present(spec.get("dnsConfig")):
            self.error("required-field", spec.get("dnsPolicy") or spec, "`dnsPolicy: None` means \"no DNS "
                       "settings from Kubernetes\", so the Pod must bring its own in `dnsConfig`",
                       f"{spec.path}.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
                       path=f"{spec.path}.dnsConfig", fix="dnsConfig:\n  nameservers: [10.0.0.10]")
        selector = spec.get("nodeSelector")
        if selector is not None and selector.kind == "map":
            check_label_map(selector, self.findings)
        tolerations = spec.get("tolerations")
        for toleration in tolerations.value if tolerations is not None and tolerations.kind == "seq" else []:
            operator = toleration.get("operator") if toleration.kind == "map" else None
            if operator is not None and operator.value == "Exists" and toleration.scalar("value"):
                self.error("field-constraint", operator, "with `operator: Exists` a toleration matches any value, "
                           "so it may not name one",
                           f'{operator.path}: Invalid value: "Exists": value must be empty when `operator` is '
                           "'Exists'", at_key=False, fix="remove `value`, or use operator: Equal")

    def check_linux_id(self, node: Node | None, key: str) -> None:
        """A user or group ID: 0 to 2^31-1 (IsValidUserID, IsValidGroupID in k8s.io/apimachinery)."""
        if _present(node) and isinstance(node.value, int) and not isinstance(node.value, bool) and node.value < 0:
            self.error("field-constraint", node, f"`{key}` holds Linux IDs, which cannot be negative",
                       f"{node.path}: Invalid value: {node.value}: must be between 0 and 2147483647, inclusive",
                       at_key=False, fix=f"{key}: 10001" if key != "supplementalGroups" else "- 10001")

    def check_proc_mount(self) -> None:
        """``procMount: Unmasked`` needs the Pod's own user namespace (``hostUsers: false``): ValidatePodSpec
        since 1.30 (kubernetes/kubernetes#123520, KEP-4265), for Pods and templates alike."""
        if self.minor < 30 or self.spec.scalar("hostUsers") is False:
            return
        for container in self.all_containers():
            context = container.get("securityContext")
            node = context.get("procMount") if context is not None and context.kind == "map" else None
            if _present(node) and node.value == "Unmasked":
                self.error("field-constraint", node, "an unmasked /proc is allowed only in the Pod's own user "
                           "namespace: set `hostUsers: false` in the Pod spec",
                           f'{node.path}: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
                           at_key=False, fix="hostUsers: false (in the Pod spec), or procMount: Default")

    def check_host_process(self) -> None:
        """Windows HostProcess containers (validateWindowsHostProcessPod in pkg/apis/core/validation): the
        Pod and a container may not disagree about hostProcess, all containers or none are HostProcess
        containers, and such a Pod needs ``hostNetwork: true``."""
        spec = self.spec
        pod_options = _path_value(spec, "securityContext", "windowsOptions")
        pod_value = pod_options.scalar("hostProcess") if pod_options is not None else None
        found = host_process = 0
        for container in self.all_containers():
            found += 1
            options = _path_value(container, "securityContext", "windowsOptions")
            node = options.get("hostProcess") if options is not None else None
            value = node.value if _present(node) and isinstance(node.value, bool) else None
            if isinstance(pod_value, bool) and value is not None and value != pod_value:
                self.error("field-constraint", node, "the Pod and this container disagree about `hostProcess`",  # type: ignore[arg-type]
                           f"{node.path}: Invalid value: {str(value).lower()}: pod hostProcess value must be "  # type: ignore[union-attr]
                           f"identical if both are specified, was {str(pod_value).lower()}", at_key=False,
                           fix=f"hostProcess: {str(pod_value).lower()}")
            host_process += value is True or (value is None and pod_value is True)
        if not host_process:
            return
        if host_process != found:
            self.error("field-constraint", spec, "a Pod with a HostProcess container must run all its containers "
                       "as HostProcess containers",
                       f'{spec.path}: Invalid value: "": If pod contains any hostProcess containers then all '
                       "containers must be HostProcess containers", fix="hostProcess: true on every container")
        if spec.scalar("hostNetwork") is not True:
            node = spec.get("hostNetwork") or spec
            self.error("field-constraint", node, "a Pod with HostProcess containers must use the node's network: "
                       "set `hostNetwork: true`",
                       f"{spec.path}.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains "
                       "any hostProcess containers", at_key=node is spec, fix="hostNetwork: true",
                       path=f"{spec.path}.hostNetwork")

    def check_pod_resources(self) -> None:
        """Pod-level ``resources`` (PodLevelResources): only cpu, memory and hugepages-<size> are supported
        there (validatePodResourceName in pkg/apis/core/validation; the name is first checked as any
        resource name, then against the supported set)."""
        resources = self.spec.get("resources")
        if resources is None or resources.kind != "map":
            return
        for group in ("limits", "requests"):
            amounts = resources.get(group)
            for name, amount in amounts.items() if amounts is not None else []:
                if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
                    self.error("invalid-name", amount, f"`{name}` is not a resource name the node knows; at Pod "
                               "level only cpu, memory and hugepages-<size> can be set",
                               f'{amount.path}: Invalid value: "{name}": must be a standard resource type or '
                               "fully qualified", fix="cpu: 500m", path=amount.path)
                elif name not in POD_LEVEL_RESOURCES and not name.startswith("hugepages-"):
                    self.error("invalid-enum", amount, f"`{name}` cannot be set for the whole Pod: Pod-level "
                               "resources are cpu, memory and hugepages-<size>; set it on each container instead",
                               f'{amount.path}: Unsupported value: "{name}": supported values: "cpu", '
                               '"hugepages-", "memory"', fix=f"move `{name}` to the containers' resources",
                               path=amount.path)

    def named_field(self, key: str) -> Node | None:
        """The Node of ``key``; for an empty ``serviceAccountName``, the deprecated ``serviceAccount``, which
        the v1-to-internal conversion copies into it (Convert_v1_PodSpec_To_core_PodSpec), so the server
        checks it under the new name."""
        node = self.spec.get(key)
        if key == "serviceAccountName" and (not _present(node) or node.value == ""):
            old = self.spec.get("serviceAccount")
            if _present(old) and isinstance(old.value, str) and old.value:
                return Node(old.value, "scalar", f"{self.spec.path}.serviceAccountName", old.file, old.line,
                            old.column, old.key_line, old.key_column)
        return node

    def all_containers(self) -> list[Node]:
        return [container for _, _, container in containers(self.spec)]

    # --- volumes --------------------------------------------------------------------
    def check_volumes(self) -> None:
        volumes = self.spec.get("volumes")
        if volumes is None or volumes.kind != "seq":
            return
        seen: set[str] = set()
        for volume in volumes.value:
            if volume.kind != "map":
                continue
            self.check_name(volume, "volume", seen)
            name = volume.scalar("name")
            if isinstance(name, str):
                self.volume_names.add(name)
            entries = volume.value
            sources = [key for key in VOLUME_SOURCE_ORDER if key in entries and _present(entries[key])]
            if not sources:
                self.error("volume-sources", volume, "this volume names no source (emptyDir, configMap, secret, "
                           "persistentVolumeClaim, hostPath, ...): say where its data comes from",
                           f"{volume.path}: Required value: must specify a volume type", fix="emptyDir: {}")
            for source in sources[:1]:
                self.check_file_modes(volume.get(source))
            for extra in sources[1:]:
                node = volume.get(extra)
                server_path = f"{volume.path}.{VOLUME_SERVER_NAMES.get(extra, extra)}"
                self.error("volume-sources", node,
                           f"volume `{name}` has more than one source ({', '.join(sources)}); a volume is exactly "
                           "one kind of storage, so keep one and delete the rest",
                           f"{server_path}: Forbidden: may not specify more than 1 volume type",
                           fix=f"delete `{extra}:` (or move it to a volume of its own)")

    def check_file_modes(self, source: Node | None) -> None:
        """``defaultMode`` and ``items[].mode`` of configMap, secret, downwardAPI and projected volumes are
        permission bits: 0 to 0777 (``validateVolumeSource``' checks of ``fileModeErrorMsg``,
        pkg/apis/core/validation/validation.go)."""
        if source is None or source.kind != "map":
            return
        modes = [source.get("defaultMode")]
        modes += [item.get("mode") for item in _seq_maps(source.get("items"))]
        for projection in _seq_maps(source.get("sources")):
            for inner in projection.value.values() if projection.kind == "map" else []:
                if isinstance(inner, Node) and inner.kind == "map":
                    modes += [item.get("mode") for item in _seq_maps(inner.get("items"))]
        for mode in modes:
            if mode is not None and isinstance(mode.value, int) and not isinstance(mode.value, bool) \
                    and not 0 <= mode.value <= 0o777:
                self.error("field-constraint", mode,
                           f"file mode {mode.value} is not a permission: it must be between 0 and 0777 (octal), "
                           "that is 0 to 511 in decimal",
                           f"{mode.path}: Invalid value: {mode.value}: must be a number between 0 and 0777 "
                           "(octal), both inclusive", fix="defaultMode: 0644")

    # --- containers -------------------------------------------------------------------
    def container_names(self, group: str) -> list[str]:
        items = self.spec.get(group)
        if items is None or items.kind != "seq":
            return []
        return [name for c in items.value if c.kind == "map" and isinstance(name := c.scalar("name"), str)]

    def check_containers(self) -> None:
        # Where the server reports a duplicate name: regular containers among themselves, init containers
        # against regular ones and each other, ephemeral containers against all.
        regular = self.container_names("containers")
        self.targets = set(regular) | set(self.container_names("initContainers"))
        seen_by_group = {"initContainers": set(regular), "containers": set(), "ephemeralContainers": None}
        for group in CONTAINER_GROUPS:
            items = self.spec.get(group)
            if group == "ephemeralContainers" and items is not None and items.kind == "seq" and items.value:
                self.check_ephemeral_on_create(items)
        names_by_group = {group: set(self.targets) if names is None else names
                          for group, names in seen_by_group.items()}
        for group, _, container in containers(self.spec):
            self.check_container(container, group, names_by_group[group])

    def check_ephemeral_on_create(self, containers: Node) -> None:
        if self.context == "pod":
            self.error("ephemeral-on-create", containers,
                       "ephemeral containers cannot be written in a manifest: they are added to a running Pod "
                       "through its `ephemeralcontainers` subresource (`kubectl debug`)",
                       f"{containers.path}: Forbidden: cannot be set on create", fix="remove ephemeralContainers; "
                       "use `kubectl debug -it POD --image=busybox --target=CONTAINER`")
        else:
            self.error("ephemeral-on-create", containers, "a Pod template cannot hold ephemeral containers; add "
                       "them to a running Pod with `kubectl debug`",
                       f"{containers.path}: Forbidden: ephemeral containers not allowed in pod template",
                       fix="remove ephemeralContainers")

    def check_container(self, container: Node, group: str, names: set[str]) -> None:
        word = _CONTAINER_WORD[group]
        self.check_name(container, word, names)
        image = container.get("image")
        if not _present(image) or (isinstance(image.value, str) and not image.value.strip()):
            self.error("required-field", image or container, f"this {word} has no `image`: the kubelet would not "
                       "know what to run", f"{container.path}.image: Required value", fix="image: REGISTRY/NAME:TAG",
                       at_key=image is not None, path=f"{container.path}.image")
        # validateContainersOnlyForPod: image whitespace is checked on Pods, not on Pod templates
        if self.context == "pod" and _present(image) and isinstance(image.value, str) and image.value.strip() \
                and image.value != image.value.strip():
            self.error("invalid-name", image, "the image reference has leading or trailing spaces",
                       f'{image.path}: Invalid value: "{image.value}": must not have leading or trailing whitespace',
                       at_key=False, fix=f"image: {image.value.strip()}")
        sidecar = group == "initContainers" and container.scalar("restartPolicy") == "Always"
        self.check_container_restart_policy(container, group)
        resize = container.get("resizePolicy")
        if group == "initContainers" and _present(resize):
            self.error("init-container-field", resize, "an init container's resources cannot be resized in place, "
                       "so `resizePolicy` is not allowed on it", f"{resize.path}: Invalid value: {resize.to_python()}: "
                       "must not be set for init containers", fix="remove `resizePolicy`")
        if group == "initContainers" and not sidecar:
            for name in INIT_ONLY_WITH_SIDECAR:
                node = container.get(name)
                if _present(node):
                    self.error("init-container-field", node,
                               f"an init container runs once to completion, so `{name}` is not allowed on it "
                               "(only a sidecar, an init container with `restartPolicy: Always`, may have it)",
                               f"{node.path}: Forbidden: may not be set for init containers without "
                               "restartPolicy=Always", fix=f"remove `{name}`, or add `restartPolicy: Always` to "
                               "make this init container a sidecar")
        if group == "ephemeralContainers":
            self.check_ephemeral_target(container)
            for name in EPHEMERAL_FORBIDDEN:
                node = container.get(name)
                if _present(node):
                    self.error("ephemeral-container-field", node,
                               f"an ephemeral container may not set `{name}`: it is a debugging guest with no "
                               "ports, probes, hooks or resource guarantees",
                               f"{node.path}: Forbidden: cannot be set for an Ephemeral Container",
                               fix=f"remove `{name}`")
        self.check_ports(container)
        probes_allowed = (group != "initContainers" or sidecar) and group != "ephemeralContainers"
        for probe in PROBES:
            node = container.get(probe)
            if _present(node) and node.kind == "map" and probes_allowed:
                self.check_probe(node, probe)
        lifecycle = container.get("lifecycle")
        if _present(lifecycle) and lifecycle.kind == "map":
            for hook in ("postStart", "preStop"):
                node = lifecycle.get(hook)
                if _present(node) and node.kind == "map":
                    self.check_handlers(node, LIFECYCLE_HANDLERS, f"{hook} hook")
                    self.check_sleep(node.get("sleep"))
                    tcp = node.get("tcpSocket")
                    if _present(tcp):
                        self.warn("lifecycle-tcp-socket", tcp, f"`tcpSocket` is not supported in a {hook} hook: "
                                  "the API server lets it through unchecked, and the hook fails when it runs",
                                  fix="use exec, httpGet or sleep")
        self.check_resources(container)
        self.check_volume_mounts(container)
        self.check_env(container)

    def check_sleep(self, sleep: Node | None) -> None:
        """A hook's ``sleep.seconds``: from 0 (1.33 on; before, from 1) up to the Pod's grace period
        (validateSleepAction in pkg/apis/core/validation, PodLifecycleSleepActionAllowZero); the server names
        the ``sleep`` field."""
        seconds = sleep.get("seconds") if _present(sleep) and sleep.kind == "map" else None
        if not _present(seconds) or not isinstance(seconds.value, int) or isinstance(seconds.value, bool) \
                or self.minor < 30:
            return
        grace = self.spec.scalar("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
        if not isinstance(grace, int) or grace < 0:
            return  # the grace period's own finding says what is wrong
        lowest = 0 if self.minor >= 33 else 1
        if lowest <= seconds.value <= grace:
            return
        words = "non-negative" if lowest == 0 else "greater than 0"
        self.error("field-constraint", seconds, f"a sleep hook lasts {lowest} to {grace} seconds (at most the "
                   "Pod's terminationGracePeriodSeconds)",
                   f"{sleep.path}: Invalid value: {seconds.value}: must be {words} and less than "  # type: ignore[union-attr]
                   f"terminationGracePeriodSeconds ({grace})", at_key=False, fix=f"seconds: {min(5, grace)}",
                   path=sleep.path)  # type: ignore[union-attr]

    def check_ephemeral_target(self, container: Node) -> None:
        target = container.get("targetContainerName")
        if _present(target) and isinstance(target.value, str) and target.value not in self.targets:
            self.error("ephemeral-container-field", target,
                       f"`targetContainerName` must name an init or regular container of this Pod, and there is no "
                       f"`{target.value}`", f'{target.path}: Not found: "{target.value}"', at_key=False,
                       fix=f"one of: {', '.join(sorted(self.targets)) or 'no containers'}")
        mounts = container.get("volumeMounts")
        for mount in mounts.value if mounts is not None and mounts.kind == "seq" else []:
            for key in ("subPath", "subPathExpr"):
                node = mount.get(key) if mount.kind == "map" else None
                if _present(node) and node.value != "":
                    self.error("ephemeral-container-field", node, f"an ephemeral container may not mount with "
                               f"`{key}` (bind mounts it leaves behind are cleaned up only with the Pod)",
                               f"{node.path}: Forbidden: cannot be set for an Ephemeral Container",
                               fix=f"mount the whole volume: remove `{key}`")

    def check_container_restart_policy(self, container: Node, group: str) -> None:
        node = container.get("restartPolicy")
        if not _present(node):
            return
        if group == "initContainers" and self.minor >= CONTAINER_RESTART_RULES_SINCE:
            if node.value not in POD_RESTART_POLICIES:
                self.error("invalid-enum", node, f"`{node.value}` is not a restart policy (Always makes a sidecar; "
                           "OnFailure and Never override the Pod's policy for this init container)",
                           unsupported(node, SORTED_RESTART_POLICIES), at_key=False, fix="restartPolicy: Always")
        elif group == "initContainers":
            if node.value not in CONTAINER_RESTART_POLICIES:
                self.error("restart-policy-context", node, "before Kubernetes 1.35 an init container's "
                           "`restartPolicy` can only be Always, which turns it into a sidecar that keeps running "
                           "beside the app", unsupported(node, CONTAINER_RESTART_POLICIES), at_key=False,
                           fix="restartPolicy: Always (or target Kubernetes 1.35 or later)")
        elif group == "containers" and self.minor >= CONTAINER_RESTART_RULES_SINCE:
            if node.value not in POD_RESTART_POLICIES:
                self.error("invalid-enum", node, f"`{node.value}` is not a restart policy",
                           unsupported(node, SORTED_RESTART_POLICIES), at_key=False, fix="restartPolicy: Always")
        elif group == "containers":
            self.error("restart-policy-context", node, "`restartPolicy` on a regular container is not allowed: "
                       "restarts are decided by the Pod's `spec.restartPolicy` (a container-level Always exists "
                       "only for init containers, to make sidecars); check the indentation",
                       f"{node.path}: Forbidden: may not be set for non-init containers",
                       fix=f"move it to `{self.spec.path}.restartPolicy` (or target Kubernetes 1.35 or later)")
        else:
            self.error("ephemeral-container-field", node, "an ephemeral container is never restarted; "
                       "`restartPolicy` may not be set", f"{node.path}: Forbidden: cannot be set for an Ephemeral "
                       "Container", fix="remove `restartPolicy`")

    def check_name(self, node: Node, word: str, seen: set[str]) -> None:
        name_node = node.get("name")
        if not _present(name_node):
            self.error("required-field", node, f"every {word} needs a `name`", f"{node.path}.name: Required value",
                       at_key=False, fix="name: NAME", path=f"{node.path}.name")
            return
        name = name_node.value
        if not isinstance(name, str):
            return
        if len(name) > 63 or not DNS1123_LABEL.match(name):
            why = "must be no more than 63 characters" if len(name) > 63 else _LABEL_MESSAGE
            self.error("invalid-name", name_node, f"`{name}` is not a valid {word} name: lower-case letters, digits "
                       "and '-', starting and ending with a letter or digit, at most 63 characters",
                       f'{name_node.path}: Invalid value: "{name}": {why}', at_key=False,
                       fix=re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "name")
        if name in seen:
            self.error("duplicate-name", name_node, f"the name `{name}` is used twice; names must be unique "
                       + ("across init, regular and ephemeral containers" if "container" in word else
                          "within the Pod"), f'{name_node.path}: Duplicate value: "{name}"', at_key=False,
                       fix="rename one of them")
        seen.add(name)

    def check_ports(self, container: Node) -> None:
        ports = container.get("ports")
        if ports is None or ports.kind != "seq":
            return
        names: set[str] = set()
        for port in ports.value:
            if port.kind != "map":
                continue
            number = port.get("containerPort")
            if not _present(number):
                self.error("required-field", port, "every port needs a `containerPort`",
                           f"{port.path}.containerPort: Required value", at_key=False,
                           path=f"{port.path}.containerPort",
                           fix="containerPort: 8080")
            elif isinstance(number.value, int) and not 1 <= number.value <= 65535:
                self.error("field-constraint", number, f"port {number.value} is out of range (1-65535)",
                           f"{number.path}: Invalid value: {number.value}: must be between 1 and 65535, inclusive",
                           at_key=False, fix="containerPort: 8080 (a number from 1 to 65535)")
            host = port.get("hostPort")
            if _present(host) and isinstance(host.value, int) and not 0 <= host.value <= 65535:
                self.error("field-constraint", host, f"host port {host.value} is out of range (1-65535)",
                           f"{host.path}: Invalid value: {host.value}: must be between 1 and 65535, inclusive",
                           at_key=False, fix="hostPort: 8080, or leave hostPort out (it is rarely needed)")
            if self.spec.scalar("hostNetwork") is True and _present(host) and _present(number) \
                    and host.value != number.value:
                self.error("field-constraint", host, "with `hostNetwork: true` the container listens on the node "
                           "itself, so `hostPort` must equal `containerPort`",
                           f"{host.path}: Invalid value: {host.value}: must match `containerPort` when "
                           "`hostNetwork` is true", at_key=False, fix=f"hostPort: {number.value}")
            name = port.get("name")
            if _present(name) and isinstance(name.value, str):
                self.check_port_name(name, names)

    def check_port_name(self, node: Node, names: set[str]) -> None:
        problem = port_name_problem(node.value)
        if problem:
            self.error("invalid-name", node, f"port name `{node.value}` is not valid: {problem}",
                       f'{node.path}: Invalid value: "{node.value}": {problem}', at_key=False,
                       fix="use at most 15 lower-case letters, digits and single '-', e.g. `http`")
        if node.value in names:
            self.error("duplicate-name", node, f"the port name `{node.value}` is used twice in this container",
                       f'{node.path}: Duplicate value: "{node.value}"', at_key=False, fix="rename one of them")
        names.add(node.value)

    # --- probes and hooks ---------------------------------------------------------------
    def check_handlers(self, node: Node, handlers: tuple[str, ...], what: str) -> None:
        present = [name for name in handlers if _present(node.get(name))]
        if not present:
            choices = SUPPORTED_LIFECYCLE_HANDLERS if handlers == LIFECYCLE_HANDLERS else handlers
            self.error("handler-count", node, f"this {what} has no handler: give it exactly one of "
                       f"{', '.join(choices)}", f"{node.path}: Required value: must specify a handler type",
                       fix="httpGet:\n  path: /healthz\n  port: 8080")
        for extra in present[1:]:
            child = node.get(extra)
            assert child is not None  # present
            self.error("handler-count", child,
                       f"this {what} has {len(present)} handlers ({', '.join(present)}); it must have exactly one, "
                       "because the kubelet runs a single check",
                       f"{child.path}: Forbidden: may not specify more than 1 handler type",
                       fix=f"keep `{present[0]}` and delete `{extra}` (or the other way round)")
        for name in present:
            action = node.get(name)
            assert action is not None  # present
            port = action.get("port") if action.kind == "map" else None
            if _present(port) and name in ("httpGet", "tcpSocket", "grpc"):
                self.check_action_port(port, name == "grpc")

    def check_action_port(self, port: Node, numeric_only: bool) -> None:
        value = port.value
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= 65535:
                self.error("field-constraint", port, f"port {value} is out of range (1-65535)",
                           f"{port.path}: Invalid value: {value}: must be between 1 and 65535, inclusive",
                           at_key=False, fix="port: 8080 (a number from 1 to 65535)")
        elif isinstance(value, str) and not numeric_only:
            problem = port_name_problem(value)
            if problem:
                self.error("invalid-name", port, f"`{value}` is neither a port number nor a valid port name: "
                           f"{problem}", f'{port.path}: Invalid value: "{value}": {problem}', at_key=False,
                           fix="use a container port's name (at most 15 characters) or its number")

    def check_probe(self, probe: Node, kind: str) -> None:
        self.check_handlers(probe, PROBE_HANDLERS, kind)
        for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                     "failureThreshold"):
            node = probe.get(name)
            if _present(node) and isinstance(node.value, int) and node.value < 0:
                self.error("field-constraint", node, f"`{name}` cannot be negative",
                           f"{node.path}: Invalid value: {node.value}: must be greater than or equal to 0",
                           at_key=False, fix=f"{name}: 0")
        grace = probe.get("terminationGracePeriodSeconds")
        if _present(grace) and isinstance(grace.value, int):
            if kind == "readinessProbe":
                self.error("field-constraint", grace, "a readiness probe never kills the container, so it has no "
                           "`terminationGracePeriodSeconds`", f"{grace.path}: Invalid value: {grace.value}: must "
                           "not be set for readinessProbes", at_key=False, fix="remove it")
            elif grace.value <= 0:
                self.error("field-constraint", grace, "the grace period after a probe failure must be at least 1 s",
                           f"{grace.path}: Invalid value: {grace.value}: must be greater than 0", at_key=False,
                           fix="terminationGracePeriodSeconds: 10")
        success = probe.get("successThreshold")
        # Defaulting runs first: SetDefaults_Probe turns 0 into 1, so only what stays other than 1 is refused.
        if kind != "readinessProbe" and _present(success) and isinstance(success.value, int) \
                and probe_setting({"successThreshold": success.value}, "successThreshold") != 1:
            self.error("field-constraint", success,
                       f"`successThreshold` of a {kind} must be 1: one success already proves the container "
                       "{}".format("alive" if kind == "livenessProbe" else "started"),
                       f"{success.path}: Invalid value: {success.value}: must be 1", at_key=False,
                       fix="successThreshold: 1")

    # --- resources, mounts, env ------------------------------------------------------
    def check_resources(self, container: Node) -> None:
        resources = container.get("resources")
        if resources is None or resources.kind != "map":
            return
        limits = resources.get("limits")
        requests = resources.get("requests")
        for group in (limits, requests):
            if group is None or group.kind != "map":
                continue
            # In a Pod a limit without a request is also defaulted into requests (SetDefaults_Pod), where the
            # server checks it again; a Pod template is not defaulted so, and only the limit is named.
            defaulted = (f"{resources.path}.requests", requests) if group is limits and self.context == "pod" \
                else None
            self.check_resource_amounts(group, defaulted)
        if limits is None or requests is None or limits.kind != "map" or requests.kind != "map":
            return
        for resource, request in requests.value.items():
            limit = limits.get(resource)
            if limit is None:
                continue
            try:
                too_big = parse_quantity(request.value) > parse_quantity(limit.value)
            except (ValueError, TypeError):
                continue
            if too_big:
                self.error("requests-exceed-limits", request,
                           f"the {resource} request ({request.value}) is larger than its limit ({limit.value}): a "
                           "container cannot be promised more than it is allowed to use",
                           f'{requests.path}: Invalid value: "{request.value}": must be less than or equal to '
                           f"{resource} limit of {limit.value}", fix=f"{resource}: {limit.value}", path=requests.path)

    def check_resource_amounts(self, group: Node, defaulted: tuple[str, Node | None] | None = None) -> None:
        for name, amount in group.value.items():
            paths = [amount.path]
            if defaulted is not None:
                requests_path, requests = defaulted
                if requests is None or requests.kind != "map" or name not in requests.value:
                    paths.append(f"{requests_path}[{name}]")
            if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
                for path in paths:
                    self.error("invalid-name", amount, f"`{name}` is not a resource the node knows: use cpu, memory, "
                               "ephemeral-storage, hugepages-<size>, or a qualified extended name such as "
                               "nvidia.com/gpu" + ("" if path == amount.path else " (the limit is copied into "
                                                   "requests, and checked there again)"),
                               f'{path}: Invalid value: "{name}": must be a standard resource type or fully '
                               "qualified", fix="nvidia.com/gpu: 1", path=path)
                continue
            try:
                negative = parse_quantity(amount.value) < 0
            except (ValueError, TypeError):
                continue
            if negative:
                for path in paths:
                    self.error("field-constraint", amount, f"a {name} amount cannot be negative"
                               + ("" if path == amount.path else " (the limit is also the defaulted request)"),
                               f'{path}: Invalid value: "{amount.value}": must be greater than or equal to 0',
                               at_key=False, fix=f"{name}: {str(amount.value).lstrip('-')}", path=path)

    def check_volume_mounts(self, container: Node) -> None:
        mounts = container.get("volumeMounts")
        if mounts is None or mounts.kind != "seq":
            return
        paths: set[str] = set()
        for mount in mounts.value:
            if mount.kind != "map":
                continue
            name = mount.get("name")
            if _present(name) and isinstance(name.value, str) and name.value not in self.volume_names:
                known = ", ".join(sorted(self.volume_names)) or "none"
                claims = " or volumeClaimTemplates" if self.context == "workload" else ""
                self.error("volume-mount-not-found", name,
                           f"`{name.value}` names no volume of this Pod (volumes{claims}: {known})",
                           f'{name.path}: Not found: "{name.value}"', at_key=False,
                           fix=f"add a volume `{name.value}` under `{self.spec.path}.volumes`")
            path = mount.get("mountPath")
            if not _present(path):
                self.error("required-field", mount, "a volume mount needs a `mountPath`",
                           f"{mount.path}.mountPath: Required value", at_key=False, path=f"{mount.path}.mountPath",
                           fix="mountPath: /data")
            elif isinstance(path.value, str):
                if path.value in paths:
                    self.error("duplicate-name", path, f"`{path.value}` is mounted twice in this container",
                               f'{path.path}: Invalid value: "{path.value}": must be unique', at_key=False,
                               fix="mount each path once")
                paths.add(path.value)

    def check_env(self, container: Node) -> None:
        env = container.get("env")
        if env is None or env.kind != "seq":
            return
        for item in env.value:
            name = item.get("name") if item.kind == "map" else None
            if item.kind == "map" and not _present(name):
                self.error("required-field", item, "every environment variable needs a `name`",
                           f"{item.path}.name: Required value", at_key=False, path=f"{item.path}.name",
                           fix="name: VARIABLE")
                continue
            if name is None or not isinstance(name.value, str):
                continue
            self.check_env_name(name)
            self.check_env_source(item)

    def check_env_name(self, name: Node) -> None:
        if self.minor >= RELAXED_ENV_NAMES_SINCE:
            if name.value and all(" " <= char <= "~" and char != "=" for char in name.value):
                return
            message = "a valid environment variable name must consist only of printable ASCII characters other " \
                      "than '='"
        elif ENV_NAME.match(name.value):
            return
        else:
            message = _ENV_NAME_MESSAGE
        self.error("invalid-name", name, f"`{name.value}` is not a valid environment variable name",
                   f'{name.path}: Invalid value: "{name.value}": {message}', at_key=False,
                   fix=re.sub(r"[^-._a-zA-Z0-9]+", "_", name.value).lstrip("0123456789") or "NAME")

    def check_env_source(self, item: Node) -> None:
        """``value`` or ``valueFrom``, and ``valueFrom`` with exactly one source."""
        source = item.get("valueFrom")
        if not _present(source) or source.kind != "map":
            return
        value = item.get("value")
        if _present(value) and value.value != "":
            self.error("env-source", source, "`value` and `valueFrom` exclude each other: keep one",
                       f"{source.path}: Invalid value: \"\": may not be specified when `value` is not empty",
                       fix="delete `value` or `valueFrom`")
        kinds = [key for key in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
                 if _present(source.get(key))]
        if not kinds:
            self.error("env-source", source, "`valueFrom` needs a source: fieldRef, resourceFieldRef, "
                       "configMapKeyRef or secretKeyRef", f"{source.path}: Invalid value: \"\": must specify one of: "
                       "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                       fix="secretKeyRef: {name: SECRET, key: KEY}")
        elif len(kinds) > 1:
            self.error("env-source", source, f"`valueFrom` names {len(kinds)} sources ({', '.join(kinds)}); "
                       "an environment variable takes its value from exactly one",
                       f'{source.path}: Invalid value: "": may not have more than one field specified at a time',
                       fix=f"keep `{kinds[0]}` only")


_PORT_NAME_CHARACTERS, _LETTER = re.compile(r"[-a-z0-9]+"), re.compile(r"[a-z]")


def port_name_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA service name (what Kubernetes requires of port names), or None."""
    if len(name) > 15:
        return "must be no more than 15 characters"
    if not _PORT_NAME_CHARACTERS.fullmatch(name):
        return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
    if "--" in name:
        return "must not contain consecutive hyphens"
    if not _LETTER.search(name):
        return "must contain at least one letter (a-z)"
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with a hyphen"
    return None


def check_metadata(metadata: Node | None, root: Node, needs_name: bool, findings: list[Finding],
                   labels_path: str | None = None) -> None:
    """Object name and label syntax. ``labels_path`` is the path the server names for the labels: a Pod
    template's metadata is inlined, so ValidatePodTemplateSpec names ``spec.template.labels``."""
    if metadata is None or metadata.kind != "map":
        if needs_name:
            findings.append(located("required-field", ERROR, root, "`metadata.name` is required",
                                    server="metadata.name: Required value: name or generateName is required",
                                    path="metadata.name", fix="metadata:\n  name: NAME"))
        return
    name = metadata.get("name")
    if not _present(name):
        if needs_name and not _present(metadata.get("generateName")):
            findings.append(located("required-field", ERROR, metadata, "`metadata.name` is required",
                                    server="metadata.name: Required value: name or generateName is required",
                                    path="metadata.name", fix="name: NAME"))
    elif isinstance(name.value, str) and (len(name.value) > 253 or not DNS1123_SUBDOMAIN.match(name.value)):
        findings.append(located("invalid-name", ERROR, name, f"`{name.value}` is not a valid object name: lower-case "
                                "letters, digits, '-' and '.', starting and ending with a letter or digit",
                                server=f'metadata.name: Invalid value: "{name.value}": {_SUBDOMAIN_MESSAGE}',
                                fix=re.sub(r"[^a-z0-9.-]+", "-", name.value.lower()).strip("-.")))
    labels = metadata.get("labels")
    if labels is not None and labels.kind == "map":
        check_label_map(labels, findings, labels_path)


_LABEL_VALUE_MESSAGE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                        "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
                        "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
_LABEL_KEY_MESSAGE = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")


def label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return "prefix part " + _SUBDOMAIN_MESSAGE
    if not name or len(name) > 63:
        return "name part must be no more than 63 characters" if name else "name part must be non-empty"
    if not LABEL_NAME.match(name):
        return _LABEL_KEY_MESSAGE
    return None


def check_label_map(labels: Node, findings: list[Finding], path: str | None = None) -> None:
    """Keys and values of a label map (labels, nodeSelector); the server names the whole map (at ``path``, by
    default the map's own) in its message."""
    path = path or labels.path
    for key, value in labels.value.items():
        problem = label_key_problem(key)
        if problem:
            findings.append(located(
                "invalid-name", ERROR, value, f"`{key}` is not a valid label key: an optional DNS prefix and `/`, "
                "then at most 63 letters, digits, '-', '_' or '.'", at_key=True, path=path,
                server=f'{path}: Invalid value: "{key}": {problem}', fix=re.sub(r"[^-A-Za-z0-9_./]+", "-", key)))
        if isinstance(value.value, str) and (len(value.value) > 63 or not LABEL_VALUE.match(value.value)):
            why = "must be no more than 63 characters" if len(value.value) > 63 else _LABEL_VALUE_MESSAGE
            findings.append(located(
                "invalid-name", ERROR, value, f"label value `{value.value}` is not valid: at most 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit", path=path,
                server=f'{path}: Invalid value: "{value.value}": {why}',
                fix="use letters, digits, '-', '_' and '.' only, at most 63"))


def _seq_maps(node: Node | None) -> list[Node]:
    """The mapping items of a sequence node (none when ``node`` is missing or not a sequence)."""
    if node is None or node.kind != "seq":
        return []
    return [item for item in node.value if item.kind == "map"]


def _path_value(node: Node, *keys: str) -> Node | None:
    """The mapping at ``node.keys[0].keys[1]...``, or None when a step is missing or not a mapping."""
    for key in keys:
        child = node.get(key) if node.kind == "map" else None
        if child is None or child.kind != "map":
            return None
        node = child
    return node
