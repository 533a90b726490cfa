"""Pod Security Standards, check by check, as the pod-security admission plugin evaluates them.

Source: k8s.io/pod-security-admission v0.37.2 (``policy/check_*.go``, ``policy/registry.go``,
``policy/checks.go``, ``admission/admission.go``). Each :class:`Check` has the upstream id and level and one
:class:`VersionedCheck` per version the upstream check changed at (:data:`CHECKS`; the table of gates is
:func:`version_gates`). A check looks at the Pod's metadata and spec (every init, regular and ephemeral
container) and returns at most one :class:`Violation`: the plugin groups what one check finds into one
reason and one detail (``hostPort (containers "a", "b" use hostPorts 80, 81)``), with the same plurals,
quoting and sorting. At ``restricted`` some restricted checks replace baseline ones (``OverrideCheckIDs``),
and the order of reasons is the plugin's: baseline check ids, then restricted ones, each sorted.

The enforce message is ``pods "NAME" is forbidden: violates PodSecurity "LEVEL:VERSION": REASON (DETAIL),
...`` (:meth:`PodSecurityReport.server_message`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ..kube.enums import PROBES
from ..manifest import Node

LATEST_MINOR = 37  # the newest version any check changed at; newer versions evaluate as this one

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# Safe sysctls and the minor release whose sysctls check first allowed each (check_sysctls.go).
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced": 0, "net.ipv4.ip_local_port_range": 0, "net.ipv4.ip_unprivileged_port_start": 0,
    "net.ipv4.tcp_syncookies": 0, "net.ipv4.ping_group_range": 0, "net.ipv4.ip_local_reserved_ports": 27,
    "net.ipv4.tcp_keepalive_time": 29, "net.ipv4.tcp_fin_timeout": 29, "net.ipv4.tcp_keepalive_intvl": 29,
    "net.ipv4.tcp_keepalive_probes": 29, "net.ipv4.tcp_rmem": 32, "net.ipv4.tcp_wmem": 32,
    "net.ipv4.tcp_slow_start_after_idle": 37, "net.ipv4.tcp_notsent_lowat": 37,
}
RESTRICTED_VOLUME_TYPES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                                     "persistentVolumeClaim", "projected", "secret"})
# The volume sources restrictedVolumes names, in the order of its switch; any other source is "unknown".
NAMED_VOLUME_TYPES = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
                      "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
                      "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO",
                      "storageos")
SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_CONTAINER_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")  # visitContainers' order


@dataclass
class Violation:
    check: str        # upstream check id, e.g. "allowPrivilegeEscalation"
    level: str        # the level the check belongs to
    reason: str       # upstream ForbiddenReason
    detail: str       # upstream ForbiddenDetail ("" for none)
    node: Node        # where to point in the manifest

    @property
    def text(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


@dataclass
class PodSecurityReport:
    """Which Pod Security level a Pod meets at ``version``, and the violations at each level."""

    level: str
    version: str = "latest"
    by_level: dict[str, list[Violation]] = field(default_factory=dict)

    @property
    def violations(self) -> list[Violation]:
        """Every violation: those at baseline, then the restricted-only ones."""
        baseline = self.by_level.get("baseline", [])
        return baseline + [v for v in self.by_level.get("restricted", []) if v.level == "restricted"]

    def at(self, level: str) -> list[Violation]:
        """The violations the plugin reports when it enforces ``level``, in its order."""
        return list(self.by_level.get(level, []))

    def detail(self, level: str) -> str:
        return ", ".join(v.text for v in self.at(level))

    def server_message(self, level: str, name: str = "pod", version: str | None = None) -> str:
        return (f'pods "{name}" is forbidden: violates PodSecurity "{level}:{version or self.version}": '
                f"{self.detail(level)}")


# --- how a check sees the Pod -----------------------------------------------------------------------------
@dataclass
class PodView:
    metadata: Node | None
    spec: Node
    containers: list[Node]
    created: bool = True  # a Pod as the API server stored it, not a workload's template

    def annotations(self) -> dict[str, str]:
        found = _nested(self.metadata, "annotations")
        if found is None or found.kind != "map":
            return {}
        return {k: str(v.value) for k, v in found.value.items() if v.kind == "scalar" and v.value is not None}

    @property
    def user_namespace(self) -> bool:
        return self.spec.scalar("hostUsers") is False  # relaxPolicyForUserNamespacePod

    @property
    def windows(self) -> bool:
        return _value(self.spec, "os", "name") == "windows"


def _containers(spec: Node) -> list[Node]:
    out: list[Node] = []
    for group in CONTAINER_GROUPS:
        items = spec.get(group)
        if items is not None and items.kind == "seq":
            out.extend(item for item in items.value if item.kind == "map")
    return out


def _nested(node: Node | None, *keys: str) -> Node | None:
    for key in keys:
        if node is None or node.kind != "map":
            return None
        node = node.value.get(key)
    return node


def _value(node: Node | None, *keys: str):
    found = _nested(node, *keys)
    return found.value if found is not None and found.kind == "scalar" else None


def _seq(node: Node | None) -> list[Node]:
    return list(node.value) if node is not None and node.kind == "seq" else []


def _text(node: Node) -> str:
    return "" if node.kind != "scalar" or node.value is None else _go_string(node.value)


def _go_string(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _name(container: Node) -> str:
    return _go_string(container.scalar("name", ""))


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _join_quote(items: list[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def _containers_phrase(names: list[str]) -> str:
    return f"{_plural('container', 'containers', len(names))} {_join_quote(names)}"


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


CheckFn = Callable[[PodView], "Violation | None"]


# --- baseline checks ----------------------------------------------------------------------------------------
def _app_armor_field(owner: Node) -> tuple[str, str] | None:
    """(type, localhostProfile) of a securityContext.appArmorProfile, or None where none is set."""
    profile = _nested(owner, "securityContext", "appArmorProfile")
    if profile is None or profile.kind != "map":
        return None
    return _go_string(profile.scalar("type", "")), _go_string(profile.scalar("localhostProfile", ""))


def _app_armor_from_annotation(value: str) -> tuple[str, str] | None:
    """podutil.ApparmorFieldForAnnotation: the field the API server makes of a beta annotation value."""
    if value == "unconfined":
        return "Unconfined", ""
    if value == "runtime/default":
        return "RuntimeDefault", ""
    if value.startswith("localhost/") and value != "localhost/":
        return "Localhost", value.removeprefix("localhost/")
    return None


def _container_app_armor(pod: PodView, container: Node) -> tuple[str, str] | None:
    """The container's AppArmor profile as the plugin sees it after the API server created the Pod: since
    1.30 a beta annotation without a container field becomes that field, unless it equals the Pod's own
    (registry/core/pod/strategy.go, applyAppArmorVersionSkew; not for Windows Pods)."""
    own = _app_armor_field(container)
    if own is not None or pod.windows or not pod.created:
        return own
    annotation = pod.annotations().get(APPARMOR_CONTAINER_ANNOTATION + _name(container))
    derived = _app_armor_from_annotation(annotation) if annotation is not None else None
    return derived if derived is not None and derived != _app_armor_field(pod.spec) else None


def app_armor_profile(pod: PodView) -> Violation | None:
    setters, values, where = [], set(), []
    allowed = ("RuntimeDefault", "Localhost")
    pod_profile = _app_armor_field(pod.spec)
    if pod_profile is not None and pod_profile[0] not in allowed:
        setters.append("pod")
        values.add(pod_profile[0])
        where.append(_nested(pod.spec, "securityContext", "appArmorProfile") or pod.spec)
    containers = []
    for container in pod.containers:
        profile = _container_app_armor(pod, container)
        if profile is not None and profile[0] not in allowed:
            containers.append(_name(container))
            values.add(profile[0])
            where.append(_nested(container, "securityContext", "appArmorProfile") or container)
    if containers:
        setters.append(_containers_phrase(containers))
    annotations = sorted(f"{key}={_go_quote(value)}" for key, value in pod.annotations().items()
                         if key.startswith(APPARMOR_CONTAINER_ANNOTATION) and not (
                             value in ("", "runtime/default") or value.startswith("localhost/")))
    bad_values = sorted(values) + annotations
    if annotations:
        setters.append(_plural("annotation", "annotations", len(annotations)))
        where.append(_nested(pod.metadata, "annotations") or pod.spec)
    if not setters:
        return None
    return Violation("appArmorProfile", "baseline",
                     _plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad_values)),
                     f"{' and '.join(setters)} must not set AppArmor profile type to {_join_quote(bad_values)}",
                     where[0])


def capabilities_baseline(pod: PodView) -> Violation | None:
    containers, extra, where = [], set(), None
    for container in pod.containers:
        added = _nested(container, "securityContext", "capabilities", "add")
        forbidden = [_text(item) for item in _seq(added) if _text(item) not in BASELINE_CAPABILITIES]
        if forbidden:
            containers.append(_name(container))
            extra.update(forbidden)
            where = where or added
    if not containers:
        return None
    return Violation("capabilities_baseline", "baseline", "non-default capabilities",
                     f"{_containers_phrase(containers)} must not include {_join_quote(sorted(extra))} in "
                     "securityContext.capabilities.add", where or pod.spec)


def host_namespaces(pod: PodView) -> Violation | None:
    used = [key for key in ("hostNetwork", "hostPID", "hostIPC") if pod.spec.scalar(key) is True]
    if not used:
        return None
    return Violation("hostNamespaces", "baseline", "host namespaces", ", ".join(f"{k}=true" for k in used),
                     pod.spec.get(used[0]) or pod.spec)


def host_path_volumes(pod: PodView) -> Violation | None:
    bad = [v for v in _seq(pod.spec.get("volumes")) if v.kind == "map" and v.get("hostPath") is not None]
    if not bad:
        return None
    names = [_go_string(v.scalar("name", "")) for v in bad]
    return Violation("hostPathVolumes", "baseline", "hostPath volumes",
                     f"{_plural('volume', 'volumes', len(names))} {_join_quote(names)}",
                     bad[0].get("hostPath") or bad[0])


def host_ports(pod: PodView) -> Violation | None:
    containers, ports, where = [], set[str](), None
    for container in pod.containers:
        found = [host for port in _seq(container.get("ports")) if port.kind == "map"
                 and (host := port.get("hostPort")) is not None and isinstance(host.value, int) and host.value != 0]
        if found:
            containers.append(_name(container))
            ports.update(str(p.value) for p in found)
            where = where or found[0]
    if not containers:
        return None
    return Violation("hostPorts", "baseline", "hostPort",
                     f"{_containers_phrase(containers)} {_plural('uses', 'use', len(containers))} "
                     f"{_plural('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}", where or pod.spec)


def host_probes_and_host_lifecycle(pod: PodView) -> Violation | None:
    containers, hosts, where = set(), set(), None
    for container in pod.containers:
        lifecycle = container.get("lifecycle")
        handlers = [container.get(p) for p in PROBES]
        handlers += [lifecycle.get(h) for h in ("postStart", "preStop")] if lifecycle is not None else []
        for handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _nested(handler, action, "host")
                if host is not None and _text(host):
                    containers.add(_name(container))
                    hosts.add(_text(host))
                    where = where or host
    if not containers:
        return None
    return Violation("hostProbesAndHostLifecycle", "baseline", "probe or lifecycle host",
                     f"{_containers_phrase(sorted(containers))} {_plural('uses', 'use', len(containers))} "
                     f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
                     f"{_join_quote(sorted(hosts))}", where or pod.spec)


def privileged(pod: PodView) -> Violation | None:
    bad = [c for c in pod.containers if _value(c, "securityContext", "privileged") is True]
    if not bad:
        return None
    return Violation("privileged", "baseline", "privileged",
                     f"{_containers_phrase([_name(c) for c in bad])} must not set securityContext.privileged=true",
                     _nested(bad[0], "securityContext", "privileged") or bad[0])


def _proc_mounts(pod: PodView) -> tuple[str, Node] | None:
    """The detail and the first node for containers that set a procMount other than Default."""
    containers, kinds, where = [], set(), None
    for container in pod.containers:
        mount = _nested(container, "securityContext", "procMount")
        if mount is not None and mount.kind == "scalar" and mount.value is not None and mount.value != "Default":
            containers.append(_name(container))
            kinds.add(_text(mount))
            where = where or mount
    if where is None:
        return None
    detail = f"{_containers_phrase(containers)} must not set securityContext.procMount to {_join_quote(sorted(kinds))}"
    return detail, where


def proc_mount_1_0(pod: PodView) -> Violation | None:
    found = _proc_mounts(pod)
    return Violation("procMount", "baseline", "procMount", *found) if found else None


def proc_mount_1_35(pod: PodView) -> Violation | None:
    return None if pod.user_namespace else proc_mount_1_0(pod)


def _se_linux_options(pod: PodView, allowed: frozenset) -> Violation | None:
    setters, types, flags, where = [], set(), set(), []

    def bad(owner: Node) -> bool:
        options = _nested(owner, "securityContext", "seLinuxOptions")
        if options is None or options.kind != "map":
            return False
        kind = _go_string(options.scalar("type", ""))
        wrong = False
        if kind not in allowed:
            types.add(kind)
            wrong = True
        for key in ("user", "role"):
            if _go_string(options.scalar(key, "")):
                flags.add(key)
                wrong = True
        if wrong:
            where.append(options)
        return wrong

    if bad(pod.spec):
        setters.append("pod")
    containers = [_name(c) for c in pod.containers if bad(c)]
    if containers:
        setters.append(_containers_phrase(containers))
    if not setters:
        return None
    data = [f"{_plural('type', 'types', len(types))} {_join_quote(sorted(types))}"] if types else []
    data += [f"{key} may not be set" for key in ("user", "role") if key in flags]
    return Violation("seLinuxOptions", "baseline", "seLinuxOptions",
                     f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}",
                     where[0])


def se_linux_options_1_0(pod: PodView) -> Violation | None:
    return _se_linux_options(pod, SELINUX_TYPES_1_0)


def se_linux_options_1_31(pod: PodView) -> Violation | None:
    return _se_linux_options(pod, SELINUX_TYPES_1_31)


def _valid_seccomp_annotation(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_1_0(pod: PodView) -> Violation | None:
    annotations = pod.annotations()
    keys = [SECCOMP_POD_ANNOTATION] + [SECCOMP_CONTAINER_ANNOTATION + _name(c) for c in pod.containers]
    forbidden = sorted({f"{key}={_go_quote(annotations[key])}" for key in keys
                        if key in annotations and not _valid_seccomp_annotation(annotations[key])})
    if not forbidden:
        return None
    return Violation("seccompProfile_baseline", "baseline", "seccompProfile",
                     f"forbidden {_plural('annotation', 'annotations', len(forbidden))} {', '.join(forbidden)}",
                     _nested(pod.metadata, "annotations") or pod.spec)


def _seccomp_type(owner: Node) -> tuple[bool, str, Node | None]:
    """(a seccompProfile is set, its type as Go reads it, the node)."""
    profile = _nested(owner, "securityContext", "seccompProfile")
    if profile is None or profile.kind != "map":
        return False, "", None
    return True, _go_string(profile.scalar("type", "")), profile


def _seccomp_explicit(pod: PodView) -> tuple[list[str], set[str], list[Node], bool, list[str]]:
    """Setters of a bad type, the bad types, where, whether the pod sets a good type, containers unset."""
    setters, values, where = [], set(), []
    pod_set, pod_type, node = _seccomp_type(pod.spec)
    pod_good = pod_set and pod_type in ("RuntimeDefault", "Localhost")
    if pod_set and not pod_good:
        setters.append("pod")
        values.add(pod_type)
        where.append(node or pod.spec)
    explicit, implicit = [], []
    for container in pod.containers:
        is_set, kind, node = _seccomp_type(container)
        if is_set and kind not in ("RuntimeDefault", "Localhost"):
            explicit.append(_name(container))
            values.add(kind)
            where.append(node or container)
        elif not is_set and not pod_good:
            implicit.append(container)
    if explicit:
        setters.append(_containers_phrase(explicit))
    return setters, values, where, pod_good, [_name(c) for c in implicit]


def seccomp_profile_baseline_1_19(pod: PodView) -> Violation | None:
    setters, values, where, _, _ = _seccomp_explicit(pod)
    if not setters:
        return None
    return Violation("seccompProfile_baseline", "baseline", "seccompProfile",
                     f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                     f"{_join_quote(sorted(values))}", where[0])


def sysctls_since(minor: int) -> CheckFn:
    allowed = frozenset(name for name, since in SAFE_SYSCTLS.items() if since <= minor)

    def sysctls(pod: PodView) -> Violation | None:
        items = [item for item in _seq(_nested(pod.spec, "securityContext", "sysctls")) if item.kind == "map"]
        bad = [item for item in items if _go_string(item.scalar("name", "")) not in allowed]
        if not bad:
            return None
        return Violation("sysctls", "baseline", "forbidden sysctls",
                         ", ".join(_go_string(item.scalar("name", "")) for item in bad), bad[0])
    return sysctls


def windows_host_process(pod: PodView) -> Violation | None:
    def bad(owner: Node) -> bool:
        return _value(owner, "securityContext", "windowsOptions", "hostProcess") is True

    setters = ["pod"] if bad(pod.spec) else []
    containers = [c for c in pod.containers if bad(c)]
    if containers:
        setters.append(_containers_phrase([_name(c) for c in containers]))
    if not setters:
        return None
    owner = pod.spec if bad(pod.spec) else containers[0]
    return Violation("windowsHostProcess", "baseline", "hostProcess",
                     f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
                     _nested(owner, "securityContext", "windowsOptions", "hostProcess") or owner)


# --- restricted checks --------------------------------------------------------------------------------------
def allow_privilege_escalation_1_8(pod: PodView) -> Violation | None:
    bad = [c for c in pod.containers if _value(c, "securityContext", "allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return Violation("allowPrivilegeEscalation", "restricted", "allowPrivilegeEscalation != false",
                     f"{_containers_phrase([_name(c) for c in bad])} must set "
                     "securityContext.allowPrivilegeEscalation=false", bad[0])


def allow_privilege_escalation_1_25(pod: PodView) -> Violation | None:
    return None if pod.windows else allow_privilege_escalation_1_8(pod)


def capabilities_restricted_1_22(pod: PodView) -> Violation | None:
    missing_drop, adding, forbidden, where = [], [], set(), None
    for container in pod.containers:
        caps = _nested(container, "securityContext", "capabilities")
        if caps is None or caps.kind != "map":
            missing_drop.append(_name(container))
            where = where or container
            continue
        if "ALL" not in [_text(item) for item in _seq(caps.get("drop"))]:
            missing_drop.append(_name(container))
            where = where or caps
        added = [_text(item) for item in _seq(caps.get("add")) if _text(item) != "NET_BIND_SERVICE"]
        if added:
            adding.append(_name(container))
            forbidden.update(added)
            where = where or caps.get("add")
    details = []
    if missing_drop:
        details.append(f'{_containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{_containers_phrase(adding)} must not include {_join_quote(sorted(forbidden))} in "
                       "securityContext.capabilities.add")
    if not details:
        return None
    return Violation("capabilities_restricted", "restricted", "unrestricted capabilities", "; ".join(details),
                     where or pod.spec)


def capabilities_restricted_1_25(pod: PodView) -> Violation | None:
    return None if pod.windows else capabilities_restricted_1_22(pod)


def proc_mount_restricted(pod: PodView) -> Violation | None:
    found = _proc_mounts(pod)
    return Violation("procMount_restricted", "restricted", "procMount", *found) if found else None


def restricted_volumes(pod: PodView) -> Violation | None:
    names, kinds, where = [], set(), None
    for volume in _seq(pod.spec.get("volumes")):
        if volume.kind != "map":
            continue
        sources = [key for key in volume.value if key != "name"]
        if any(key in RESTRICTED_VOLUME_TYPES for key in sources):
            continue
        names.append(_go_string(volume.scalar("name", "")))
        kinds.add(next((kind for kind in NAMED_VOLUME_TYPES if kind in sources), "unknown"))
        where = where or volume
    if not names:
        return None
    return Violation("restrictedVolumes", "restricted", "restricted volume types",
                     f"{_plural('volume', 'volumes', len(names))} {_join_quote(names)} "
                     f"{_plural('uses', 'use', len(names))} "
                     f"{_plural('restricted volume type', 'restricted volume types', len(kinds))} "
                     f"{_join_quote(sorted(kinds))}", where or pod.spec)


def run_as_non_root_1_0(pod: PodView) -> Violation | None:
    setters, where = [], None
    pod_value = _value(pod.spec, "securityContext", "runAsNonRoot")
    if pod_value is False:
        setters.append("pod")
        where = _nested(pod.spec, "securityContext", "runAsNonRoot")
    explicit, implicit = [], []
    for container in pod.containers:
        value = _value(container, "securityContext", "runAsNonRoot")
        if value is False:
            explicit.append(_name(container))
            where = where or _nested(container, "securityContext", "runAsNonRoot")
        elif value is None and pod_value is not True:
            implicit.append(container)
    if explicit:
        setters.append(_containers_phrase(explicit))
    if setters:
        return Violation("runAsNonRoot", "restricted", "runAsNonRoot != true",
                         f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false", where or pod.spec)
    if implicit:
        return Violation("runAsNonRoot", "restricted", "runAsNonRoot != true",
                         f"pod or {_containers_phrase([_name(c) for c in implicit])} must set "
                         "securityContext.runAsNonRoot=true", implicit[0])
    return None


def run_as_non_root_1_35(pod: PodView) -> Violation | None:
    return None if pod.user_namespace else run_as_non_root_1_0(pod)


def run_as_user_1_23(pod: PodView) -> Violation | None:
    setters, where = [], None
    if _value(pod.spec, "securityContext", "runAsUser") == 0:
        setters.append("pod")
        where = _nested(pod.spec, "securityContext", "runAsUser")
    containers = [c for c in pod.containers if _value(c, "securityContext", "runAsUser") == 0]
    if containers:
        setters.append(_containers_phrase([_name(c) for c in containers]))
        where = where or _nested(containers[0], "securityContext", "runAsUser")
    if not setters:
        return None
    return Violation("runAsUser", "restricted", "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0",
                     where or pod.spec)


def run_as_user_1_35(pod: PodView) -> Violation | None:
    return None if pod.user_namespace else run_as_user_1_23(pod)


def seccomp_profile_restricted_1_19(pod: PodView) -> Violation | None:
    setters, values, where, _, implicit = _seccomp_explicit(pod)
    if setters:
        return Violation("seccompProfile_restricted", "restricted", "seccompProfile",
                         f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                         f"{_join_quote(sorted(values))}", where[0])
    if implicit:
        first = next(c for c in pod.containers if _name(c) == implicit[0])
        return Violation("seccompProfile_restricted", "restricted", "seccompProfile",
                         f"pod or {_containers_phrase(implicit)} must set securityContext.seccompProfile.type to "
                         '"RuntimeDefault" or "Localhost"', first)
    return None


def seccomp_profile_restricted_1_25(pod: PodView) -> Violation | None:
    return None if pod.windows else seccomp_profile_restricted_1_19(pod)


# --- the registry ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionedCheck:
    since: int                          # the minor release (1.since) this behaviour starts at
    run: CheckFn
    change: str                         # what this version does, for the table of gates
    overrides: tuple[str, ...] = ()     # baseline checks it replaces at restricted


@dataclass(frozen=True)
class Check:
    id: str
    level: str
    versions: tuple[VersionedCheck, ...]

    def at(self, minor: int) -> VersionedCheck | None:
        """The behaviour in force at 1.minor, or None before the check exists."""
        current = None
        for version in self.versions:
            if version.since <= minor:
                current = version
        return current


def _sysctl_versions() -> tuple[VersionedCheck, ...]:
    since = sorted(set(SAFE_SYSCTLS.values()))
    return tuple(VersionedCheck(minor, sysctls_since(minor), "allows " + ", ".join(
        sorted(n for n, s in SAFE_SYSCTLS.items() if s == minor))) for minor in since)


CHECKS: tuple[Check, ...] = (
    Check("appArmorProfile", "baseline", (VersionedCheck(0, app_armor_profile, "type RuntimeDefault or Localhost; "
                                                         "beta annotations runtime/default or localhost/*"),)),
    Check("capabilities_baseline", "baseline", (VersionedCheck(0, capabilities_baseline,
                                                               "adds only the 13 default capabilities"),)),
    Check("hostNamespaces", "baseline", (VersionedCheck(0, host_namespaces, "no hostNetwork, hostPID, hostIPC"),)),
    Check("hostPathVolumes", "baseline", (VersionedCheck(0, host_path_volumes, "no hostPath volume"),)),
    Check("hostPorts", "baseline", (VersionedCheck(0, host_ports, "no hostPort"),)),
    Check("hostProbesAndHostLifecycle", "baseline", (VersionedCheck(
        34, host_probes_and_host_lifecycle, "probes and lifecycle handlers set no host"),)),
    Check("privileged", "baseline", (VersionedCheck(0, privileged, "no privileged container"),)),
    Check("procMount", "baseline", (
        VersionedCheck(0, proc_mount_1_0, "procMount Default"),
        VersionedCheck(35, proc_mount_1_35, "any procMount when hostUsers: false"))),
    Check("seLinuxOptions", "baseline", (
        VersionedCheck(0, se_linux_options_1_0, "type container_t, container_init_t or container_kvm_t; "
                                                "no user or role"),
        VersionedCheck(31, se_linux_options_1_31, "also type container_engine_t"))),
    Check("seccompProfile_baseline", "baseline", (
        VersionedCheck(0, seccomp_profile_baseline_1_0, "seccomp annotations runtime/default, docker/default "
                                                        "or localhost/*"),
        VersionedCheck(19, seccomp_profile_baseline_1_19, "seccompProfile.type RuntimeDefault or Localhost "
                                                          "where set (annotations no longer checked)"))),
    Check("sysctls", "baseline", _sysctl_versions()),
    Check("windowsHostProcess", "baseline", (VersionedCheck(0, windows_host_process, "no hostProcess"),)),
    Check("allowPrivilegeEscalation", "restricted", (
        VersionedCheck(8, allow_privilege_escalation_1_8, "allowPrivilegeEscalation: false"),
        VersionedCheck(25, allow_privilege_escalation_1_25, "Pods with os.name windows exempt"))),
    Check("capabilities_restricted", "restricted", (
        VersionedCheck(22, capabilities_restricted_1_22, 'drop ["ALL"], add only NET_BIND_SERVICE',
                       ("capabilities_baseline",)),
        VersionedCheck(25, capabilities_restricted_1_25, "Pods with os.name windows exempt",
                       ("capabilities_baseline",)))),
    Check("procMount_restricted", "restricted", (
        VersionedCheck(35, proc_mount_restricted, "procMount Default, also with hostUsers: false",
                       ("procMount",)),)),
    Check("restrictedVolumes", "restricted", (
        VersionedCheck(0, restricted_volumes, "only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                                              "persistentVolumeClaim, projected, secret", ("hostPathVolumes",)),)),
    Check("runAsNonRoot", "restricted", (
        VersionedCheck(0, run_as_non_root_1_0, "runAsNonRoot: true on the Pod or every container"),
        VersionedCheck(35, run_as_non_root_1_35, "not required when hostUsers: false"))),
    Check("runAsUser", "restricted", (
        VersionedCheck(23, run_as_user_1_23, "no runAsUser: 0"),
        VersionedCheck(35, run_as_user_1_35, "allowed when hostUsers: false"))),
    Check("seccompProfile_restricted", "restricted", (
        VersionedCheck(19, seccomp_profile_restricted_1_19, "seccompProfile.type RuntimeDefault or Localhost "
                                                            "on the Pod or every container",
                       ("seccompProfile_baseline",)),
        VersionedCheck(25, seccomp_profile_restricted_1_25, "Pods with os.name windows exempt",
                       ("seccompProfile_baseline",)))),
)
CHECK_IDS = tuple(check.id for check in CHECKS)


def _ordered(level: str) -> list[Check]:
    """The plugin's order: baseline ids sorted (Go byte order), then restricted ids sorted."""
    baseline = sorted((c for c in CHECKS if c.level == "baseline"), key=lambda c: c.id)
    restricted = sorted((c for c in CHECKS if c.level == "restricted"), key=lambda c: c.id)
    return baseline if level == "baseline" else baseline + restricted


def checks_at(level: str, minor: int) -> list[tuple[Check, VersionedCheck]]:
    """The checks the plugin runs to enforce ``level`` at 1.minor, in its order, overrides applied."""
    return list(_checks_at(level, min(minor, LATEST_MINOR)))


@functools.cache
def _checks_at(level: str, minor: int) -> tuple[tuple[Check, VersionedCheck], ...]:
    # the same few tables for every Pod checked: built once per level and release
    return tuple(_active_checks(level, minor))


def _active_checks(level: str, minor: int) -> list[tuple[Check, VersionedCheck]]:
    active = [(check, version) for check in _ordered(level) if (version := check.at(minor)) is not None]
    overridden = {o for check, version in active if check.level == "restricted" for o in version.overrides}
    return [(check, version) for check, version in active
            if level == "baseline" or check.id not in overridden]


def minor_of(version: str) -> int:
    """``1.33``, ``v1.33``, ``latest`` -> the minor release the checks run at."""
    text = str(version).strip().lstrip("v")
    if text in ("", "latest"):
        return LATEST_MINOR
    major, _, minor = text.partition(".")
    if major != "1" or not minor.split(".")[0].isdigit():
        raise ValueError(f"not a Kubernetes version: {version!r} (expected latest or v1.N)")
    return int(minor.split(".")[0])


def _run_once(versioned: VersionedCheck, pod: PodView, found: dict[int, Violation | None]) -> Violation | None:
    key = id(versioned)
    if key not in found:
        found[key] = versioned.run(pod)
    return found[key]


def version_gates() -> list[tuple[str, str, str, str, str]]:
    """The table of gates: (check id, level, since, what it does from then, baseline checks it replaces)."""
    return [(check.id, check.level, f"1.{version.since}", version.change, ", ".join(version.overrides))
            for check in CHECKS for version in check.versions]


def evaluate(spec: Node, version: str = "latest", metadata: Node | None = None,
             template: bool = False) -> PodSecurityReport:
    """Run the checks of both levels on a Pod spec (a Node map) at ``version`` (``latest`` or ``1.N``), with
    the Pod's ``metadata`` for the annotation checks. ``template``: the spec is a workload's Pod template,
    which the plugin checks (to warn) as written, without what the API server changes in a Pod it creates.
    Raises ValueError for a version that is not 1.N."""
    minor = minor_of(version)
    pod = PodView(metadata, spec, _containers(spec), created=not template)
    found: dict[int, Violation | None] = {}  # each check runs once, though both levels hold the baseline ones
    by_level = {level: [v for _, versioned in _checks_at(level, min(minor, LATEST_MINOR))
                        if (v := _run_once(versioned, pod, found)) is not None]
                for level in ("baseline", "restricted")}
    level = "privileged" if by_level["baseline"] else "baseline" if by_level["restricted"] else "restricted"
    label = "latest" if str(version).strip() in ("", "latest") else f"v1.{minor}"
    return PodSecurityReport(level, label, by_level)
