"""Explain Pod fields offline, like ``kubectl explain`` without a cluster.

Two uses:

- :func:`explain_field` takes a field path (``spec.containers.livenessProbe``,
  also ``pod.spec...``, with fuzzy matching of each part) and returns a
  :class:`FieldInfo`: type, description, default, allowed values, one-of group,
  required, immutable. The description comes from the API schemas
  (:mod:`podnotes.lint.schema`); defaults, enums and one-of groups from the
  curated table the schemas lack.
- :func:`annotate` takes a manifest and returns its lines with a one-line
  meaning beside each field, followed by the defaults the API server would fill
  in (pull policy from the tag, restartPolicy, grace period, probe settings),
  marked as defaults.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from .display import COLUMNS
from .kube.containers import containers
from .kube.defaults import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_TERMINATION_MESSAGE_PATH,
    POD_SPEC_DEFAULTS,
    PROBE_DEFAULTS,
    default_pull_policy,
)
from .kube.defaults import FIELD_DEFAULTS as DEFAULTS
from .kube.enums import CONTAINER_RESTART_POLICIES, POD_RESTART_POLICIES, PROBES
from .lint import pod_spec_of
from .lint.rules_table import CONTAINER_RESTART_RULES_SINCE, ENUMS, ONE_OF
from .lint.schema import KINDS, Catalogue, FieldSpec, FieldType, catalogue, normalize_version, short_name
from .lint.structure import did_you_mean
from .manifest import Document, Node, load

# The widest the code column of an annotated manifest gets; longer lines take
# their comment on the lines below.
CODE_COLUMN = 40


class ExplainError(Exception):
    """A field path that names nothing."""


@dataclass
class FieldInfo:
    path: str                      # the resolved path, e.g. pod.spec.containers.livenessProbe
    type: str                      # Go-like type: Probe, []Container, string, int32 ...
    description: str
    required: bool = False
    immutable: bool = False
    default: str | None = None
    allowed: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()   # the group this field belongs to, if any
    fields: list[FieldInfo] = field(default_factory=list)  # filled for objects (one level, or all with recursive)
    corrected: list[tuple[str, str]] = field(default_factory=list)  # (typed, matched) fuzzy corrections
    kind: str = ""                 # the object kind the path starts at, e.g. Pod
    api_version: str = ""          # its apiVersion, e.g. v1 or apps/v1

    def render(self, *, recursive: bool = False, width: int = COLUMNS) -> str:
        """The text ``kubectl explain`` prints: KIND and VERSION, the field and its type, facts (required,
        default, allowed values), the description, then the child fields, each with its first sentence
        (names only with ``recursive``, as kubectl does). Wrapped at word boundaries to ``width`` columns."""
        lines = [f"KIND:       {self.kind}", f"VERSION:    {self.api_version}", ""] if self.kind else []
        lines.append(f"FIELD: {self.path} <{self.type}>")
        facts = []
        if self.required:
            facts.append("required")
        if self.immutable:
            facts.append("cannot be updated")
        if self.default is not None:
            facts.append(f"default: {self.default}")
        if facts:
            lines.append("  " + "; ".join(facts))
        if self.allowed:
            lines.append("  allowed values: " + ", ".join(v or '""' for v in self.allowed))
        if self.one_of:
            lines.append("  one of: " + ", ".join(self.one_of) + " (set exactly one)")
        for typed, matched in self.corrected:
            lines.append(f"  (read `{typed}` as `{matched}`)")
        lines += ["", "DESCRIPTION:", *_wrap(self.description or "(no description)", "    ", width)]
        if self.fields:
            lines += ["", "FIELDS:"]
            lines += _render_fields(self.fields, "  ", recursive, width)
        return "\n".join(lines)


def _render_fields(fields: list[FieldInfo], indent: str, recursive: bool, width: int = COLUMNS) -> list[str]:
    lines = []
    for info in fields:
        tail = " -required-" if info.required else ""
        lines.append(f"{indent}{info.path.rsplit('.', 1)[-1]}\t<{info.type}>{tail}")
        if recursive:
            lines += _render_fields(info.fields, indent + "  ", recursive, width) if info.fields else []
        elif info.description:
            lines += _wrap(first_sentence(info.description, limit=10_000), indent + "  ", width)
    return lines


def _wrap(text: str, indent: str, width: int = COLUMNS) -> list[str]:
    """``text`` wrapped at spaces to ``width`` columns; a word longer than a line (a URL) is never cut."""
    return textwrap.wrap(" ".join(text.split()), max(width, len(indent) + 20), initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


_ROOT_ALIASES = {"pod": "Pod", "pods": "Pod", "po": "Pod", "deployment": "Deployment", "deploy": "Deployment",
                 "deployments": "Deployment", "replicaset": "ReplicaSet", "rs": "ReplicaSet",
                 "statefulset": "StatefulSet", "sts": "StatefulSet", "daemonset": "DaemonSet", "ds": "DaemonSet",
                 "job": "Job", "jobs": "Job", "cronjob": "CronJob", "cj": "CronJob"}


def explain_field(path: str, *, k8s_version: str | None = None, recursive: bool = False) -> FieldInfo:
    """Describe the field at ``path``; a path without a kind prefix starts at a Pod."""
    cat = catalogue(k8s_version)
    parts = [p for p in re.split(r"[.\s]+", re.sub(r"\[[^\]]*\]", "", path.strip())) if p]
    kind = "Pod"
    if parts and parts[0].lower() in _ROOT_ALIASES:
        kind = _ROOT_ALIASES[parts.pop(0).lower()]
    resolved = [kind.lower()]
    current = FieldType("object", ref=KINDS[kind][1])
    owner, spec = None, None
    corrected = []
    for part in parts:
        while current.kind in ("array", "map") and current.item is not None:
            current = current.item
        if current.kind != "object":
            raise ExplainError(f"`{'.'.join(resolved)}` is a {current.describe()}; it has no field `{part}`")
        otype = cat.object(current.ref)  # type: ignore[arg-type]
        name = part if part in otype.fields else did_you_mean(part, list(otype.fields))
        if name is None:
            known = ", ".join(sorted(otype.fields))
            raise ExplainError(f"{otype.short} has no field `{part}` (its fields: {known})")
        if name != part:
            corrected.append((part, name))
        owner, spec = otype.short, otype.fields[name]
        resolved.append(name)
        current = spec.type
    if spec is None:
        description = cat.object(KINDS[kind][1]).description
        info = FieldInfo(kind.lower(), kind, description)
    else:
        info = _info(".".join(resolved), spec, owner, cat.version)  # type: ignore[arg-type]
    info.kind, info.api_version = kind, KINDS[kind][0]
    info.corrected = corrected
    info.fields = _children(cat, current, info.path, recursive, depth=0)
    return info


def _info(path: str, spec: FieldSpec, owner: str, version: str) -> FieldInfo:
    group = next((members for type_name, members in ONE_OF.items() if type_name == owner and spec.name in members),
                 ())
    return FieldInfo(path, spec.type.describe(), spec.description, spec.required, spec.immutable,
                     DEFAULTS.get((owner, spec.name)) or _default_from_text(spec.description),
                     allowed_values(owner, spec, version), group)


def allowed_values(owner: str, spec: FieldSpec, version: str | None = None) -> tuple[str, ...]:
    """The values a string field takes, from the curated tables (the published schemas leave enums out):
    the enums, then the restart policies of a Pod and of a container at Kubernetes ``version`` ("1.37",
    the newest covered by default): only Always (a sidecar) before container restart rules (1.35), the
    Pod's three values since (``validateContainerRestartPolicy``, pkg/apis/core/validation)."""
    if (owner, spec.name) in ENUMS:
        return ENUMS[(owner, spec.name)]
    if spec.name == "restartPolicy":
        minor = int(normalize_version(version).split(".")[1])
        container = POD_RESTART_POLICIES if minor >= CONTAINER_RESTART_RULES_SINCE else CONTAINER_RESTART_POLICIES
        return {"PodSpec": POD_RESTART_POLICIES, "Container": container}.get(owner, ())
    return ()


def _default_from_text(description: str) -> str | None:
    match = re.search(r"Defaults to ([^.;]+?)(?:\.|;|$)", description)
    return match.group(1).strip() if match else None


def _children(cat: Catalogue, kind: FieldType, path: str, recursive: bool, depth: int) -> list[FieldInfo]:
    while kind.kind in ("array", "map") and kind.item is not None:
        kind = kind.item
    if kind.kind != "object" or depth > 12:
        return []
    otype = cat.object(kind.ref)  # type: ignore[arg-type]
    out = []
    for name in sorted(otype.fields):
        spec = otype.fields[name]
        info = _info(f"{path}.{name}", spec, otype.short, cat.version)
        if recursive:
            info.fields = _children(cat, spec.type, info.path, True, depth + 1)
        out.append(info)
    return out


# --- annotated manifests ------------------------------------------------------------------------

@dataclass
class Annotation:
    line: int
    path: str
    meaning: str
    defaulted: bool = False  # True: not in the manifest, the server fills it in


@dataclass
class AnnotatedManifest:
    document: Document
    notes: list[Annotation]
    defaults: list[Annotation]

    def render(self, text: str | None = None, width: int | None = None, columns: int = COLUMNS) -> str:
        """The manifest's lines (own comments removed), each followed by ``# meaning``
        in a column ``width`` characters from the left, wrapped to ``columns``
        characters; then the defaults.

        Without the text (a manifest built from Python data), each field is one ``path: meaning`` line.
        """
        if text is None:
            text = self.document.text
        by_line: dict[int, str] = {}
        for note in self.notes:
            by_line.setdefault(note.line, note.meaning)
        if text is None:
            out = [f"{note.path}: {note.meaning}" for note in self.notes]
        else:
            out = self._beside_the_text(_lines_of(text), by_line, width, columns)
        if self.defaults:
            out.append("")
            out.append("# Filled in by the API server (not in the manifest):")
            for default in self.defaults:
                out += _wrapped(f"{default.path}: {default.meaning}", columns, "#   ", "#       ")
        return "\n".join(out)

    def _beside_the_text(self, all_lines: tuple[str, ...], by_line: dict[int, str], width: int | None,
                         columns: int) -> list[str]:
        start = self.document.line or 1
        lines = []
        for number in range(start, len(all_lines) + 1):
            line = all_lines[number - 1]
            if number > start and line.strip() == "---":
                break
            code = strip_comment(line)
            if code.strip() or not line.strip():
                lines.append((number, code))
        width = width or min(max((len(code) for _, code in lines), default=0) + 2, CODE_COLUMN)
        out = []
        for number, code in lines:
            meaning = by_line.get(number)
            out += _beside(code, meaning, width, columns) if meaning else [code]
        return out


@lru_cache(maxsize=4)
def _lines_of(text: str) -> tuple[str, ...]:
    """The lines of an input, split once however many of its documents are rendered."""
    return tuple(text.splitlines())


@lru_cache(maxsize=4096)
def _wrapped(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> tuple[str, ...]:
    """``text`` wrapped to ``width`` (textwrap, never at hyphens); the same few meanings recur in every
    document of a stream, so each is wrapped once per width."""
    return tuple(textwrap.wrap(text, width, initial_indent=initial_indent, subsequent_indent=subsequent_indent,
                               break_on_hyphens=False))


def _beside(code: str, meaning: str, width: int, columns: int) -> list[str]:
    """``code`` with its meaning as a comment in a column at ``width``, wrapped
    to ``columns``; when the code itself reaches the column, the comment goes
    under it."""
    room = max(columns - width - 3, 24)
    parts = _wrapped(meaning, room) or ("",)
    indent = " " * width
    if len(code) > width:
        return [code] + [f"{indent} # {part}" for part in parts]
    return [f"{code:<{width}} # {parts[0]}"] + [f"{indent} # {part}" for part in parts[1:]]


def strip_comment(line: str) -> str:
    """The line without its YAML comment (a ``#`` outside quotes, at the start or after a space)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and (index == 0 or line[index - 1] in " :[{,-"):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index].rstrip()
    return line.rstrip()


def annotate(source: Any, *, k8s_version: str | None = None) -> list[AnnotatedManifest]:
    """A one-line meaning for each field of each checked manifest, plus the server's defaults."""
    cat = catalogue(k8s_version)
    if isinstance(source, (dict, list)) and not (source and isinstance(source, list)
                                                 and isinstance(source[0], Document)):
        # plain data has no text to print beside: write it as YAML first, once it is known to be within budget
        broken = next((d.error for d in load(source) if d.error is not None), None)
        if broken is not None:
            raise ExplainError(f"cannot explain this data: {broken.message}")
        try:
            source = yaml.safe_dump_all(source if isinstance(source, list) else [source], sort_keys=False)
        except yaml.YAMLError as err:
            raise ExplainError(f"cannot explain this data: {err}") from None
    annotated = (annotate_document(document, cat) for document in load(source))
    return [result for result in annotated if result is not None]


def annotate_document(document: Document, cat: Catalogue) -> AnnotatedManifest | None:
    """One document annotated as :func:`annotate` does, or None when it is not a checked kind (or unreadable);
    for callers that read a stream one document at a time (``podnotes explain -f``)."""
    root = document.root
    if root is None or root.kind != "map" or root.scalar("kind") not in KINDS:
        return None
    notes: list[Annotation] = []
    _annotate(root, FieldType("object", ref=KINDS[root.scalar("kind")][1]), cat, notes)
    spec, context = pod_spec_of(root)
    defaults = workload_defaults(root, cat)
    defaults += pod_defaults(spec, context) if spec is not None and spec.kind == "map" else []
    return AnnotatedManifest(document, notes, defaults)


def _annotate(node: Node, kind: FieldType, cat: Catalogue, notes: list[Annotation]) -> None:
    while kind.kind == "array" and kind.item is not None:
        if node.kind != "seq":
            return
        for item in node.value:
            _annotate(item, kind.item, cat, notes)
        return
    if kind.kind != "object" or node.kind != "map":
        return
    otype = cat.object(kind.ref)  # type: ignore[arg-type]
    for key, child in node.value.items():
        spec = otype.fields.get(key)
        if spec is None:
            notes.append(Annotation(child.key_line or 0, child.path, "unknown field: the API server rejects it"))
            continue
        meaning = MEANINGS.get((otype.short, key)) or first_sentence(spec.description)
        notes.append(Annotation(child.key_line or 0, child.path, meaning))
        if spec.type.kind == "map" and child.kind == "map":
            for entry_key, entry in child.value.items():
                meaning = MAP_ENTRY_MEANINGS.get((key, entry_key)) or MAP_ENTRY_MEANINGS.get((key, "*"))  # type: ignore[assignment]
                if meaning:
                    notes.append(Annotation(entry.key_line or 0, entry.path, meaning))
        _annotate(child, spec.type, cat, notes)


# One-liners where the API's first sentence says little ("Image pull policy").
MEANINGS = {
    ("Pod", "apiVersion"): "API group and version that serve this kind (core group: just v1)",
    ("Pod", "kind"): "what this object is",
    ("Pod", "metadata"): "name, namespace, labels and annotations",
    ("Pod", "spec"): "what the Pod should run: containers, volumes and their settings",
    ("ObjectMeta", "name"): "unique within the namespace; a DNS subdomain (lower case, digits, '-', '.')",
    ("ObjectMeta", "namespace"): "the Kubernetes namespace the Pod lives in (default if not set)",
    ("PodSpec", "initContainers"): "run one at a time, in order, each to success, before the containers",
    ("PodSpec", "containers"): "the app containers, started together once init containers are done",
    ("PodSpec", "restartPolicy"): "what happens when a container exits: Always, OnFailure or Never",
    ("PodSpec", "nodeSelector"): "run only on nodes that carry all these labels",
    ("PodSpec", "imagePullSecrets"): "Secrets with registry credentials for pulling the images",
    ("PodSpec", "hostNetwork"): "true: use the node's network namespace instead of the Pod's own",
    ("PodSpec", "volumes"): "storage the containers can mount; each volume has exactly one source",
    ("Container", "name"): "unique across all containers of the Pod; a DNS label",
    ("Container", "image"): "the image to run: registry/name:tag or @sha256 digest",
    ("Container", "imagePullPolicy"): "when to pull the image: Always, IfNotPresent or Never",
    ("Container", "command"): "replaces the image's ENTRYPOINT; not run through a shell",
    ("Container", "args"): "replaces the image's CMD",
    ("Container", "workingDir"): "the directory the command starts in",
    ("Container", "volumeMounts"): "where the Pod's volumes appear in this container's file system",
    ("Container", "ports"): "ports the container listens on (informational, and names for probes)",
    ("Container", "env"): "environment variables for the container's processes",
    ("Container", "resources"): "requests (reserved when scheduling) and limits (enforced by cgroups)",
    ("Container", "startupProbe"): "holds back liveness and readiness checks until it first succeeds",
    ("Container", "readinessProbe"): "while failing, the Pod gets no Service traffic; nothing restarts",
    ("Container", "livenessProbe"): "after failureThreshold failures in a row, the container is restarted",
    ("Container", "lifecycle"): "hooks run right after start (postStart) and before stop (preStop)",
    ("Container", "restartPolicy"): "overrides the Pod's (since 1.35); Always on an init container: a sidecar",
    ("ContainerPort", "name"): "at most 15 characters; probes and Services can use it instead of the number",
    ("ContainerPort", "containerPort"): "the port number the process listens on inside the Pod",
    ("ContainerPort", "protocol"): "TCP (default), UDP or SCTP",
    ("Probe", "initialDelaySeconds"): "wait this long after the container starts before the first check",
    ("Probe", "periodSeconds"): "seconds between checks (default 10)",
    ("Probe", "timeoutSeconds"): "a check that takes longer fails (default 1 s)",
    ("Probe", "successThreshold"): "successes in a row to count as passing again (1 for liveness/startup)",
    ("Probe", "failureThreshold"): "failures in a row before the probe counts as failed (default 3)",
    ("Probe", "httpGet"): "succeeds on an HTTP status from 200 to 399",
    ("Probe", "tcpSocket"): "succeeds if a TCP connection opens",
    ("Probe", "exec"): "succeeds if the command exits with code 0",
    ("Probe", "grpc"): "succeeds if the gRPC health service answers SERVING",
    ("LifecycleHandler", "exec"): "a command run inside the container",
    ("LifecycleHandler", "httpGet"): "an HTTP GET sent to the container",
    ("LifecycleHandler", "sleep"): "wait this many seconds",
    ("Lifecycle", "postStart"): "runs right after the container is created, beside its entrypoint",
    ("Lifecycle", "preStop"): "runs before the container gets SIGTERM; counts against the grace period",
    ("VolumeMount", "name"): "must name a volume in spec.volumes",
    ("VolumeMount", "mountPath"): "where the volume appears inside the container",
    ("VolumeMount", "readOnly"): "mount it read-only",
    ("Volume", "name"): "a DNS label that volumeMounts refer to",
    ("Volume", "emptyDir"): "an empty directory created with the Pod and deleted with it",
    ("Volume", "hostPath"): "a file or directory of the node itself (breaks the baseline Pod Security level)",
}


# Meanings for entries of map-typed fields, which the schemas describe only as a whole.
MAP_ENTRY_MEANINGS = {
    ("limits", "cpu"): "CPU the container may use at most, in cores (1000m = 1 core); throttled above",
    ("limits", "memory"): "memory the container may use at most (Mi = 2^20 bytes); killed above (OOM)",
    ("requests", "cpu"): "CPU reserved for the container when it is scheduled (1000m = 1 core)",
    ("requests", "memory"): "memory reserved for the container when it is scheduled",
    ("limits", "ephemeral-storage"): "local disk the container may use at most",
    ("requests", "ephemeral-storage"): "local disk reserved for the container",
    ("labels", "*"): "a label: selectors and Services find Pods by these",
    ("annotations", "*"): "an annotation: free-form data for tools, not used for selection",
    ("nodeSelector", "*"): "the node must carry this label for the Pod to be scheduled there",
}


def first_sentence(text: str, limit: int = 90) -> str:
    sentence = re.split(r"(?<=[a-z0-9)])\.\s", text.strip(), maxsplit=1)[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[:limit - 1].rstrip() + "…"


# Where each workload keeps the fields SetDefaults_<Kind> fills in (see DEFAULTS), below the object's spec.
_WORKLOAD_DEFAULTED = {
    "Deployment": ("", "strategy", "strategy.rollingUpdate"),
    "ReplicaSet": ("",),
    "StatefulSet": ("", "updateStrategy", "updateStrategy.rollingUpdate"),
    "DaemonSet": ("", "updateStrategy", "updateStrategy.rollingUpdate"),
    "Job": ("",),
    "CronJob": ("",),
}


def workload_defaults(root: Node, cat: Catalogue) -> list[Annotation]:
    """What the API server would add to a workload's own spec (a Deployment's replicas,
    revisionHistoryLimit, progressDeadlineSeconds, strategy ...), from :data:`DEFAULTS`. A nested object
    the manifest leaves out (``strategy``) is defaulted as a whole, so its fields are listed too; a
    rollingUpdate block only when the strategy is (or defaults to) RollingUpdate."""
    kind = root.scalar("kind")
    spec = root.get("spec")
    if kind not in _WORKLOAD_DEFAULTED or (spec is not None and spec.kind != "map"):
        return []
    out = []
    spec_type = cat.object(KINDS[kind][1]).fields["spec"].type
    for relative in _WORKLOAD_DEFAULTED[kind]:
        node, ftype, path = spec, spec_type, "spec"
        for part in filter(None, relative.split(".")):
            otype = cat.object(ftype.ref)  # type: ignore[arg-type]
            if part not in otype.fields:
                break
            ftype, path = otype.fields[part].type, f"{path}.{part}"
            node = node.get(part) if node is not None and node.kind == "map" else None
        else:
            if relative.endswith("rollingUpdate"):
                strategy = spec.get(relative.split(".")[0]) if spec is not None else None
                chosen = strategy.scalar("type") if strategy is not None and strategy.kind == "map" else None
                if chosen not in (None, "RollingUpdate"):
                    continue
            if node is not None and node.kind != "map":
                continue
            otype = cat.object(ftype.ref)  # type: ignore[arg-type]
            for name in otype.fields:
                value = DEFAULTS.get((otype.short, name))
                if value is not None and (node is None or node.get(name) is None):
                    out.append(Annotation(0, f"{path}.{name}", value, defaulted=True))
    return out


def pod_defaults(spec: Node, context: str | None) -> list[Annotation]:
    """What the API server would add to this Pod spec, each with why."""
    out = []
    path = spec.path

    def add(at: str, text: str) -> None:
        out.append(Annotation(0, at, text, defaulted=True))

    if spec.get("restartPolicy") is None:
        add(f"{path}.restartPolicy", f"{POD_SPEC_DEFAULTS['restartPolicy']} (the Pod default)" if context != "job" else
            "none: a Job template must set OnFailure or Never")
    if spec.get("terminationGracePeriodSeconds") is None:
        add(f"{path}.terminationGracePeriodSeconds", f"{DEFAULT_GRACE_SECONDS} (seconds between SIGTERM and SIGKILL)")
    if spec.get("dnsPolicy") is None:
        add(f"{path}.dnsPolicy", POD_SPEC_DEFAULTS["dnsPolicy"])
    for _, _, container in containers(spec, ("initContainers", "containers")):
        cpath = container.path
        image = container.scalar("image")
        if container.get("imagePullPolicy") is None and isinstance(image, str) and image:
            policy = default_pull_policy(image)
            why = "no tag or :latest" if policy == "Always" else "the image has a fixed tag or digest"
            add(f"{cpath}.imagePullPolicy", f"{policy} ({why})")
        if container.get("terminationMessagePath") is None:
            add(f"{cpath}.terminationMessagePath", DEFAULT_TERMINATION_MESSAGE_PATH)
        ports = container.get("ports")
        for port in ports.value if ports is not None and ports.kind == "seq" else []:
            if port.kind == "map" and port.get("protocol") is None:
                add(f"{port.path}.protocol", "TCP")
        for probe in PROBES:
            node = container.get(probe)
            if node is None or node.kind != "map":
                continue
            for name, value in PROBE_DEFAULTS.items():
                if node.get(name) is None:
                    add(f"{node.path}.{name}", str(value))
            http = node.get("httpGet")
            if http is not None and http.kind == "map" and http.get("scheme") is None:
                add(f"{http.path}.scheme", "HTTP")
    return out


def type_name(kind: FieldType) -> str:
    return kind.describe() if kind.kind != "object" else short_name(kind.ref or "")
