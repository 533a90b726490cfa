"""The one record every check produces: a :class:`Finding`."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"      # the API server would reject the manifest
WARNING = "warning"  # accepted, but advice says otherwise
INFO = "info"        # worth knowing; never changes the exit code

SEVERITIES = (ERROR, WARNING, INFO)

# Rules meaning "the input could not be read as manifests" (exit code 3): no bytes, no YAML, or a document
# that is a list or a plain value, which kubectl cannot decode into an object either.
UNREADABLE_RULES = frozenset({"yaml-syntax", "yaml-limit", "yaml-tag", "unreadable", "no-objects", "not-an-object"})


@dataclass
class Finding:
    """One problem in one manifest, located as precisely as the input allows.

    ``path`` is the API field path the server itself would print
    (``spec.containers[0].imagePullPolicy``); ``server_message`` is what the API
    server (or its admission step) would answer, empty for pure advice. ``line``
    and ``column`` are 1-based, and None when the manifest came as plain Python
    data without positions.
    """

    rule: str
    severity: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    fix: str = ""
    server_message: str = ""
    # The object the finding is about, as kube-linter and kubeconform name it; empty when unknown
    # (an unreadable document has no kind or name). ``document`` is the 0-based index of the YAML
    # document in its file (documents split by ``---``).
    kind: str = ""
    namespace: str = ""
    name: str = ""
    document: int | None = None

    @property
    def location(self) -> str:
        parts = [self.file or "<object>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    @property
    def object_name(self) -> str:
        """``Kind namespace/name`` (``Pod web/api``; ``Pod api`` when the manifest sets no namespace): the
        kind, then the namespaced name as Kubernetes writes it (types.NamespacedName.String in
        k8s.io/apimachinery). Empty when the document has no kind."""
        if not self.kind:
            return ""
        name = self.name or "<no name>"
        return f"{self.kind} {self.namespace}/{name}" if self.namespace else f"{self.kind} {name}"

    def as_dict(self) -> dict:
        """The finding as the JSON report carries it (camelCase keys, like the Kubernetes API)."""
        return {
            "rule": self.rule, "severity": self.severity, "message": self.message, "file": self.file,
            "line": self.line, "column": self.column, "path": self.path, "fix": self.fix,
            "serverMessage": self.server_message,
            "object": {"kind": self.kind, "namespace": self.namespace, "name": self.name,
                       "documentIndex": self.document} if self.document is not None else None,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} [{self.rule}] {self.message}"
