"""Pod Security Standards, check by check as pod-security-admission defines them.

Each function below is one upstream check (same id, same level), looks at the
Pod spec and every init, regular and ephemeral container, and returns the
reason and detail texts the admission plugin prints in
``violates PodSecurity "<level>:<version>": <reason> (<detail>), ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..manifest import Node
from ..kube.containers import containers
from ..kube.enums import PROBES
from ..kube.enums import PSS_LEVELS as LEVELS

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# Safe sysctls and the Kubernetes minor release that allowed each.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced": 0, "net.ipv4.ip_local_port_range": 0, "net.ipv4.ip_unprivileged_port_start": 0,
    "net.ipv4.tcp_syncookies": 0, "net.ipv4.ping_group_range": 0, "net.ipv4.ip_local_reserved_ports": 27,
    "net.ipv4.tcp_keepalive_time": 29, "net.ipv4.tcp_fin_timeout": 29, "net.ipv4.tcp_keepalive_intvl": 29,
    "net.ipv4.tcp_keepalive_probes": 29, "net.ipv4.tcp_rmem": 32, "net.ipv4.tcp_wmem": 32,
}
RESTRICTED_VOLUME_TYPES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                                     "persistentVolumeClaim", "projected", "secret"})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})

# The upstream check ids this module implements; lint reports each as rule ``pss-<id>``.
CHECK_IDS = ("allowPrivilegeEscalation", "appArmorProfile", "capabilities_baseline", "capabilities_restricted",
             "hostNamespaces", "hostPathVolumes", "hostPorts", "hostProbesAndHostLifecycle", "privileged",
             "procMount", "restrictedVolumes", "runAsNonRoot", "runAsUser", "seLinuxOptions",
             "seccompProfile_baseline", "seccompProfile_restricted", "sysctls", "windowsHostProcess")


@dataclass
class Violation:
    check: str        # upstream check id, e.g. "allowPrivilegeEscalation"
    level: str        # the level the check belongs to
    reason: str       # upstream reason text
    detail: str       # upstream detail text
    node: Node        # where to point in the manifest

    @property
    def text(self) -> str:
        return f"{self.reason} ({self.detail})"


@dataclass
class PodSecurityReport:
    """Which Pod Security level a Pod meets, and every violation of the levels above it."""

    level: str
    violations: list[Violation] = field(default_factory=list)

    def at(self, level: str) -> list[Violation]:
        wanted = LEVELS[1:LEVELS.index(level) + 1]
        return [v for v in self.violations if v.level in wanted]

    def server_message(self, level: str, name: str = "pod", version: str = "latest") -> str:
        reasons = ", ".join(v.text for v in self.at(level))
        return f'pods "{name}" is forbidden: violates PodSecurity "{level}:{version}": {reasons}'


_container_cache: dict[int, list[Node]] = {}


def _containers(spec: Node) -> list[Node]:
    cached = _container_cache.get(id(spec))
    if cached is not None:
        return cached
    out = [container for _, _, container in containers(spec)]
    _container_cache[id(spec)] = out
    return out


def _nested(node: Node | None, *keys: str) -> Node | None:
    for key in keys:
        if node is None:
            return None
        node = node.get(key)
    return node


def _value(node: Node | None, *keys: str):
    found = _nested(node, *keys)
    return found.value if found is not None and found.kind == "scalar" else None


def _names(nodes: list[Node]) -> str:
    names = ", ".join(f'"{n.scalar("name", "")}"' for n in nodes)
    return ("container " if len(nodes) == 1 else "containers ") + names


Check = Callable[[Node, int], list[Violation]]


def host_namespaces(spec: Node, minor: int) -> list[Violation]:
    set_ = [key for key in ("hostNetwork", "hostPID", "hostIPC") if spec.scalar(key) is True]
    if not set_:
        return []
    return [Violation("hostNamespaces", "baseline", "host namespaces", ", ".join(f"{k}=true" for k in set_),
                      spec.get(set_[0]))]


def privileged(spec: Node, minor: int) -> list[Violation]:
    bad = [c for c in _containers(spec) if _value(c, "securityContext", "privileged") is True]
    if not bad:
        return []
    return [Violation("privileged", "baseline", "privileged",
                      f"{_names(bad)} must not set securityContext.privileged=true",
                      _nested(bad[0], "securityContext", "privileged"))]


def capabilities_baseline(spec: Node, minor: int) -> list[Violation]:
    out = []
    for container in _containers(spec):
        added = _nested(container, "securityContext", "capabilities", "add")
        if added is None or added.kind != "seq":
            continue
        extra = [item.value for item in added.value if item.value not in BASELINE_CAPABILITIES]
        if extra:
            caps = ", ".join(f'"{cap}"' for cap in extra)
            out.append(Violation("capabilities_baseline", "baseline", "non-default capabilities",
                                 f"{_names([container])} must not include {caps} in securityContext.capabilities.add",
                                 added))
    return out


def host_path_volumes(spec: Node, minor: int) -> list[Violation]:
    volumes = spec.get("volumes")
    bad = [v for v in (volumes.value if volumes is not None and volumes.kind == "seq" else [])
           if v.kind == "map" and v.get("hostPath") is not None]
    if not bad:
        return []
    names = ", ".join(f'"{v.scalar("name", "")}"' for v in bad)
    return [Violation("hostPathVolumes", "baseline", "hostPath volumes",
                      ("volume " if len(bad) == 1 else "volumes ") + names, bad[0].get("hostPath"))]


def host_ports(spec: Node, minor: int) -> list[Violation]:
    out = []
    for container in _containers(spec):
        ports = container.get("ports")
        for port in ports.value if ports is not None and ports.kind == "seq" else []:
            host = port.get("hostPort") if port.kind == "map" else None
            if host is not None and host.value not in (None, 0):
                out.append(Violation("hostPorts", "baseline", "hostPort",
                                     f"{_names([container])} uses hostPort {host.value}", host))
    return out


def seccomp_baseline(spec: Node, minor: int) -> list[Violation]:
    out = []
    for owner, label in [(spec, "pod")] + [(c, _names([c])) for c in _containers(spec)]:
        kind = _nested(owner, "securityContext", "seccompProfile", "type")
        if kind is not None and kind.value == "Unconfined":
            out.append(Violation("seccompProfile_baseline", "baseline", "seccompProfile",
                                 f'{label} must not set securityContext.seccompProfile.type to "Unconfined"', kind))
    return out


def apparmor(spec: Node, minor: int) -> list[Violation]:
    out = []
    for owner, label in [(spec, "pod")] + [(c, _names([c])) for c in _containers(spec)]:
        kind = _nested(owner, "securityContext", "appArmorProfile", "type")
        if kind is not None and kind.value == "Unconfined":
            out.append(Violation("appArmorProfile", "baseline", "forbidden AppArmor profile",
                                 f'{label} must not set securityContext.appArmorProfile.type to "Unconfined"', kind))
    return out


def selinux(spec: Node, minor: int) -> list[Violation]:
    out = []
    for owner, label in [(spec, "pod")] + [(c, _names([c])) for c in _containers(spec)]:
        options = _nested(owner, "securityContext", "seLinuxOptions")
        if options is None or options.kind != "map":
            continue
        problems = []
        if options.scalar("type", "") not in SELINUX_TYPES:
            problems.append(f'type "{options.scalar("type")}"')
        problems += [f'{key} "{options.scalar(key)}"' for key in ("user", "role") if options.scalar(key)]
        if problems:
            out.append(Violation("seLinuxOptions", "baseline", "seLinuxOptions",
                                 f"{label} set forbidden securityContext.seLinuxOptions: {', '.join(problems)}",
                                 options))
    return out


def proc_mount(spec: Node, minor: int, level: str = "baseline") -> list[Violation]:
    if spec.scalar("hostUsers") is False and level == "baseline" and minor >= 35:
        return []
    out = []
    for container in _containers(spec):
        mount = _nested(container, "securityContext", "procMount")
        if mount is not None and mount.value not in (None, "Default"):
            out.append(Violation("procMount" if level == "baseline" else "procMount_restricted", level, "procMount",
                                 f'{_names([container])} must not set securityContext.procMount to "{mount.value}"',
                                 mount))
    return out


def sysctls(spec: Node, minor: int) -> list[Violation]:
    items = _nested(spec, "securityContext", "sysctls")
    if items is None or items.kind != "seq":
        return []
    bad = [item for item in items.value if item.kind == "map"
           and SAFE_SYSCTLS.get(item.scalar("name", ""), 999) > minor]
    if not bad:
        return []
    return [Violation("sysctls", "baseline", "forbidden sysctls", ", ".join(b.scalar("name", "") for b in bad),
                      bad[0])]


def windows_host_process(spec: Node, minor: int) -> list[Violation]:
    owners = [(spec, "pod")] + [(c, _names([c])) for c in _containers(spec)]
    bad = [(owner, label) for owner, label in owners
           if _value(owner, "securityContext", "windowsOptions", "hostProcess") is True]
    if not bad:
        return []
    return [Violation("windowsHostProcess", "baseline", "hostProcess",
                      f"{', '.join(label for _, label in bad)} must not set "
                      "securityContext.windowsOptions.hostProcess=true",
                      _nested(bad[0][0], "securityContext", "windowsOptions", "hostProcess"))]


def host_probes(spec: Node, minor: int) -> list[Violation]:
    if minor < 34:
        return []
    out = []
    for container in _containers(spec):
        handlers = [container.get(p) for p in PROBES]
        lifecycle = container.get("lifecycle")
        handlers += [lifecycle.get(h) for h in ("postStart", "preStop")] if lifecycle is not None else []
        for handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _nested(handler, action, "host") if handler is not None else None
                if host is not None and host.value:
                    out.append(Violation("hostProbesAndHostLifecycle", "baseline", "probe or lifecycle host",
                                         f'{_names([container])} uses probe or lifecycle host "{host.value}"', host))
    return out


def restricted_volumes(spec: Node, minor: int) -> list[Violation]:
    volumes = spec.get("volumes")
    out = []
    for volume in volumes.value if volumes is not None and volumes.kind == "seq" else []:
        if volume.kind != "map":
            continue
        kinds = [key for key in volume.value if key != "name" and key not in RESTRICTED_VOLUME_TYPES]
        for kind in kinds:
            out.append(Violation("restrictedVolumes", "restricted", "restricted volume types",
                                 f'volume "{volume.scalar("name", "")}" uses restricted volume type "{kind}"',
                                 volume.get(kind)))
    return out


def _is_windows(spec: Node) -> bool:
    return _value(spec, "os", "name") == "windows"


def allow_privilege_escalation(spec: Node, minor: int) -> list[Violation]:
    if _is_windows(spec) and minor >= 25:
        return []
    bad = [c for c in _containers(spec) if _value(c, "securityContext", "allowPrivilegeEscalation") is not False]
    if not bad:
        return []
    return [Violation("allowPrivilegeEscalation", "restricted", "allowPrivilegeEscalation != false",
                      f"{_names(bad)} must set securityContext.allowPrivilegeEscalation=false", bad[0])]


def run_as_non_root(spec: Node, minor: int) -> list[Violation]:
    if spec.scalar("hostUsers") is False and minor >= 33:
        return []
    pod_level = _value(spec, "securityContext", "runAsNonRoot")
    bad = [c for c in _containers(spec)
           if _value(c, "securityContext", "runAsNonRoot") is False
           or (_value(c, "securityContext", "runAsNonRoot") is None and pod_level is not True)]
    if pod_level is False:
        return [Violation("runAsNonRoot", "restricted", "runAsNonRoot != true",
                          "pod must not set securityContext.runAsNonRoot=false",
                          _nested(spec, "securityContext", "runAsNonRoot"))]
    if not bad:
        return []
    return [Violation("runAsNonRoot", "restricted", "runAsNonRoot != true",
                      f"pod or {_names(bad)} must set securityContext.runAsNonRoot=true", bad[0])]


def run_as_user(spec: Node, minor: int) -> list[Violation]:
    out = []
    for owner, label in [(spec, "pod")] + [(c, _names([c])) for c in _containers(spec)]:
        user = _nested(owner, "securityContext", "runAsUser")
        if user is not None and user.value == 0:
            out.append(Violation("runAsUser", "restricted", "runAsUser=0", f"{label} must not set runAsUser=0", user))
    return out


def seccomp_restricted(spec: Node, minor: int) -> list[Violation]:
    if _is_windows(spec):
        return []
    pod_type = _value(spec, "securityContext", "seccompProfile", "type")
    bad = []
    for container in _containers(spec):
        own = _value(container, "securityContext", "seccompProfile", "type")
        effective = own if own is not None else pod_type
        if effective not in ("RuntimeDefault", "Localhost"):
            bad.append(container)
    if not bad:
        return []
    who = f"pod or {_names(bad)}" if pod_type is None else _names(bad)
    return [Violation("seccompProfile_restricted", "restricted", "seccompProfile",
                      f'{who} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
                      bad[0])]


def capabilities_restricted(spec: Node, minor: int) -> list[Violation]:
    if _is_windows(spec):
        return []
    no_drop, bad_add = [], []
    for container in _containers(spec):
        caps = _nested(container, "securityContext", "capabilities")
        drop = caps.get("drop") if caps is not None else None
        if drop is None or drop.kind != "seq" or "ALL" not in [item.value for item in drop.value]:
            no_drop.append(container)
        add = caps.get("add") if caps is not None else None
        if add is not None and add.kind == "seq" and any(item.value != "NET_BIND_SERVICE" for item in add.value):
            bad_add.append(container)
    out = []
    if no_drop:
        out.append(Violation("capabilities_restricted", "restricted", "unrestricted capabilities",
                             f'{_names(no_drop)} must set securityContext.capabilities.drop=["ALL"]', no_drop[0]))
    if bad_add:
        out.append(Violation("capabilities_restricted", "restricted", "unrestricted capabilities",
                             f'{_names(bad_add)} must not include capabilities other than "NET_BIND_SERVICE" in '
                             "securityContext.capabilities.add", bad_add[0]))
    return out


def proc_mount_restricted(spec: Node, minor: int) -> list[Violation]:
    return proc_mount(spec, minor, "restricted") if minor >= 35 else []


BASELINE_CHECKS: tuple[Check, ...] = (
    windows_host_process, host_namespaces, privileged, capabilities_baseline, host_path_volumes, host_ports,
    apparmor, selinux, proc_mount, seccomp_baseline, sysctls, host_probes)
RESTRICTED_CHECKS: tuple[Check, ...] = (
    restricted_volumes, allow_privilege_escalation, run_as_non_root, run_as_user, seccomp_restricted,
    capabilities_restricted, proc_mount_restricted)


def evaluate(spec: Node, version: str = "1.37") -> PodSecurityReport:
    """Run every baseline and restricted check on a Pod spec."""
    minor = int(version.split(".")[1])
    try:
        baseline = [v for check in BASELINE_CHECKS for v in check(spec, minor)]
        restricted = [v for check in RESTRICTED_CHECKS for v in check(spec, minor)]
    finally:
        _container_cache.clear()
    level = "privileged" if baseline else "baseline" if restricted else "restricted"
    return PodSecurityReport(level, baseline + restricted)
