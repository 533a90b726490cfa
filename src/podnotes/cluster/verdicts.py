"""The API server's answer to a dry run, as :class:`podnotes.lint.Finding` records.

A rejection comes as a Status object: ``reason`` (Invalid, BadRequest,
Forbidden ...), a ``message`` and, for validation errors, ``details.causes``
with one entry per field (``field`` is the same dotted path the linter
prints, ``spec.containers[0].image``). Each cause becomes a Finding whose
rule is ``server-<reason>``; the manifest's Node tree gives the line.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiRejected

_INDEX = re.compile(r"\[[^\]]*\]$")
# A BadRequest has no causes; its message names the fields. Strict decoding lists unknown/duplicate fields
# with full paths; a type error names the Go struct field with the path minus list indices.
_STRICT_FIELD = re.compile(r'(unknown|duplicate) field "([^"]+)"')
_TYPE_ERROR = re.compile(r"cannot unmarshal (\w+) into Go struct field \w+\.([\w.]+) of type ([\w.\[\]]+)")


def findings_from_rejection(rejected: ApiRejected, doc: Any) -> list:
    """One Finding per cause (at least one) for a document the server refused."""
    from podnotes.lint.finding import ERROR, Finding

    status = rejected.status
    message = str(status.get("message", "")).strip()
    file = doc.ref.file if doc is not None else None
    root = getattr(getattr(doc, "source", None), "root", None)
    causes = rejected.causes or causes_from_message(status.get("reason", ""), message)
    findings = []
    for cause in causes:
        path = normalise_path(cause.get("field", ""))
        line, column = locate(root, path)
        if line is None and doc is not None:
            line = doc.ref.line
        reason = cause.get("reason") or status.get("reason") or "Rejected"
        findings.append(Finding(
            rule=f"server-{_kebab(reason)}",
            severity=ERROR,
            message=cause.get("message") or message,
            file=file,
            line=line,
            column=column,
            path=path,
            server_message=message,
        ))
    return findings


def causes_from_message(reason: str, message: str) -> list[dict]:
    """Causes recovered from a BadRequest message (strict decoding or type errors); one blank cause otherwise."""
    causes = [{"reason": f"Field{kind.capitalize()}", "message": f"{kind} field", "field": path}
              for kind, path in _STRICT_FIELD.findall(message)]
    causes += [{"reason": "FieldTypeInvalid", "message": f"a {found} where the API expects {expected}",
                "field": _without_go_types(path)} for found, path, expected in _TYPE_ERROR.findall(message)]
    return causes or [{"reason": reason, "message": message, "field": ""}]


def _without_go_types(path: str) -> str:
    """Drop embedded Go struct names (``livenessProbe.ProbeHandler.exec`` -> ``livenessProbe.exec``):
    JSON field names start with a lower-case letter, Go type names with a capital."""
    return ".".join(part for part in path.split(".") if not part[:1].isupper())


def normalise_path(field: str) -> str:
    """Server field paths as the linter writes them: ``spec.containers[0].ports[0].containerPort``.

    The server writes map keys in brackets too (``metadata.labels[app ]``); those stay as they are.
    """
    return field.strip().lstrip(".").removeprefix("<nil>")


def locate(root: Any, path: str) -> tuple[int | None, int | None]:
    """Line and column of the deepest Node on ``path`` (or its nearest ancestor) in a located tree."""
    if root is None or not path:
        return (None, None)
    from podnotes.manifest import walk

    by_path = {node.path: node for node in walk(root)}
    candidate = path
    while candidate:
        node = by_path.get(candidate)
        if node is not None and node.line is not None:
            return (node.key_line, node.key_column)
        candidate = _parent(candidate)
    return (None, None)


def _parent(path: str) -> str:
    if _INDEX.search(path):
        return _INDEX.sub("", path)
    return path.rpartition(".")[0]


def _kebab(reason: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", str(reason))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "rejected"
