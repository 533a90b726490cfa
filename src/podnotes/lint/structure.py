"""Layer 1 of "would the API server accept it?": decoding.

Walks a manifest against the field catalogue the way the API server decodes a
request with strict field validation: every field must exist at its level, have
the right JSON type, and quantities must parse. Enum values that the schema
omits are checked here too, because they are a property of one field.
"""

from __future__ import annotations

from ..kube.quantity import SERVER_MESSAGE as QUANTITY_MESSAGE
from ..kube.quantity import QuantityError, parse_quantity, suggest_quantity, unsupported_number
from ..manifest import Node
from .finding import ERROR, Finding
from .rules_table import ENUMS
from .schema import Catalogue, CatalogueError, FieldType, ObjectType, short_name

_JSON_TYPE = {bool: "bool", int: "number", float: "number", str: "string"}
# What a Go integer field holds (format in the OpenAPI schema; int64 when none is given).
INTEGER_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
# Fields whose value the Pod rules check in context (they differ per container kind or workload).
# Enums whose server message depends on where they stand, checked by the rules of their context instead:
# restart policies (podnotes.lint.pod), and strategy types, which the server reports for the whole strategy
# (podnotes.lint.workload.check_strategy_type).
_CONTEXT_ENUMS = {("PodSpec", "restartPolicy"), ("Container", "restartPolicy"), ("EphemeralContainer", "restartPolicy"),
                  ("DeploymentStrategy", "type"), ("StatefulSetUpdateStrategy", "type"),
                  ("DaemonSetUpdateStrategy", "type")}


def located(rule: str, severity: str, node: Node, message: str, *, at_key: bool = False, path: str | None = None,
            fix: str = "", server: str = "") -> Finding:
    """A Finding placed at a Node's value (or at its key)."""
    line, column = (node.key_line, node.key_column) if at_key else (node.line, node.column)
    return Finding(rule, severity, message, node.file, line, column, node.path if path is None else path,
                   fix, server)


# Fields the OpenAPI schema lists as required but the API server does not: Go structs (not pointers), so it
# decodes a missing one as the zero value and validates that (kube-apiserver 1.37: a Deployment without
# `spec` is refused for `spec.selector`, the template's labels and containers; ValidateCronJobSpec ->
# ValidateJobTemplateSpec and validateJobSpec refuse an empty template for its Pod spec's containers and
# restartPolicy, which the Pod-spec rules report).
_DECODED_EMPTY = frozenset({
    ("Deployment", "spec"), ("ReplicaSet", "spec"), ("StatefulSet", "spec"), ("DaemonSet", "spec"),
    ("CronJob", "spec"), ("DeploymentSpec", "template"), ("StatefulSetSpec", "template"),
    ("DaemonSetSpec", "template"), ("JobSpec", "template"), ("CronJobSpec", "jobTemplate"),
})


# Per object type, what check_object looks up for every field: the enums checked here (those checked in context
# left out) and the required fields decoded as empty structs; built once per type, not per field.
_TABLES: dict[int, tuple[ObjectType, dict[str, tuple[str, ...]], frozenset[str]]] = {}


def _tables_of(otype: ObjectType) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    known = _TABLES.get(id(otype))
    if known is None or known[0] is not otype:
        enums = {key: allowed for (owner, key), allowed in ENUMS.items()
                 if owner == otype.short and (owner, key) not in _CONTEXT_ENUMS}
        decoded = frozenset(name for owner, name in _DECODED_EMPTY if owner == otype.short)
        known = _TABLES[id(otype)] = (otype, enums, decoded)
    return known[1], known[2]


def unsupported(node: Node, allowed: tuple[str, ...], path: str | None = None) -> str:
    values = ", ".join(f'"{value}"' for value in allowed)
    return f'{path or node.path}: Unsupported value: "{node.value}": supported values: {values}'


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    import difflib  # only for a misspelt field or value, not on every run

    by_case = {choice.lower(): choice for choice in choices}
    if word.lower() in by_case:
        return by_case[word.lower()]
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(by_case), n=1, cutoff=0.75)
        close = [by_case[close[0]]] if close else []
    return close[0] if close else None


def _go_type(kind: FieldType) -> str:
    return {"string": "string", "boolean": "bool", "number": "float64", "quantity": "resource.Quantity",
            "int-or-string": "intstr.IntOrString", "any": "interface {}"}.get(kind.kind) or (
        kind.format or "int64" if kind.kind == "integer" else
        f"[]{_go_type(kind.item)}" if kind.kind == "array" and kind.item else
        f"map[string]{_go_type(kind.item)}" if kind.kind == "map" and kind.item else
        f"v1.{short_name(kind.ref or 'object')}")


def _json_type(node: Node) -> str:
    if node.kind == "map":
        return "object"
    if node.kind == "seq":
        return "array"
    return _JSON_TYPE.get(type(node.value), "string")


class StructureChecker:
    """Checks one document against the catalogue, appending to ``findings``."""

    def __init__(self, catalogue: Catalogue, findings: list[Finding], pod_spec_path: str = "spec"):
        self.catalogue = catalogue
        self.findings = findings
        self.pod_spec_path = pod_spec_path

    def check_object(self, node: Node, otype: ObjectType) -> None:
        if node.kind != "map":
            return
        fields, short = otype.fields, otype.short
        enums, decoded_empty = _tables_of(otype)
        check_value = self.check_value
        for key, child in node.value.items():
            spec = fields.get(key)
            if spec is None:
                self.unknown_field(key, child, otype)
                continue
            check_value(child, spec.type, short, key)
            allowed = enums.get(key)
            if allowed is not None and child.kind == "scalar" and isinstance(child.value, str) \
                    and child.value not in allowed:
                self.bad_enum(child, allowed)
        for name in otype.required:
            if name in decoded_empty:
                self.check_decoded_empty(node, otype, name)
                continue
            child = node.value.get(name)
            if child is None or (child.kind == "scalar" and child.value in (None, "")):
                self.findings.append(located(
                    "required-field", ERROR, child or node,
                    f"`{name}` is required in {otype.short}", at_key=child is not None,
                    path=_join(node.path, name), fix=f"add `{name}:` here",
                    server=f"{_join(node.path, name)}: Required value"))

    def check_decoded_empty(self, node: Node, otype: ObjectType, name: str) -> None:
        """A missing (or null) struct the server validates as its zero value: its own required fields are
        reported where they would be, as for ``Deployment`` without ``spec`` (``spec.selector: Required
        value``) or a CronJob without ``spec`` (``spec.schedule``)."""
        child = node.value.get(name)
        ref = otype.fields[name].type.ref if name in otype.fields else None
        if ref is None or (child is not None and not (child.kind == "scalar" and child.value is None)):
            return
        empty = Node({}, "map", None, node.file, node.line, node.column, node.key_line, node.key_column,
                     parent=node, segment=f".{name}")
        self.check_object(empty, self.catalogue.object(ref))

    def check_value(self, node: Node, kind: FieldType, owner: str, field_name: str) -> None:
        if node.kind == "scalar" and node.value is None:
            return  # null means "not set"
        expected = kind.kind
        if expected == "object":
            if node.kind != "map":
                return self.mismatch(node, kind, owner, field_name)
            return self.check_object(node, self.catalogue.object(kind.ref))  # type: ignore[arg-type]
        if expected in ("array", "map"):
            want = "seq" if expected == "array" else "map"
            if node.kind != want:
                return self.mismatch(node, kind, owner, field_name)
            if want == "seq":
                item_name, item = f"{field_name}[]", kind.item
                for child in node.value:
                    self.check_value(child, item, owner, item_name)  # type: ignore[arg-type]
                return None
            for key, child in node.value.items():
                child.bracket_key(key)  # the server writes map keys in brackets: limits[memory]
                self.check_value(child, kind.item, owner, f"{field_name}[{key}]")  # type: ignore[arg-type]
            return None
        if node.kind != "scalar":
            if expected != "any":
                self.mismatch(node, kind, owner, field_name)
            return None
        value = node.value
        if isinstance(value, float) and unsupported_number(value):
            return self.not_json(node)
        if expected == "string":
            ok = isinstance(value, str)
        elif expected == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok:
                return self.check_integer_range(node, kind, owner)
        elif expected == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif expected == "boolean":
            ok = isinstance(value, bool)
        elif expected == "int-or-string":
            ok = isinstance(value, (int, str)) and not isinstance(value, bool)
        elif expected == "quantity":
            return self.check_quantity(node)
        else:
            ok = True
        if not ok:
            self.mismatch(node, kind, owner, field_name)
        return None

    def check_quantity(self, node: Node) -> None:
        try:
            parse_quantity(node.value)
        except QuantityError as err:
            guess = suggest_quantity(str(node.value)) if isinstance(node.value, str) else None
            hint = f"; did you mean `{guess}`?" if guess else ""
            shown = _clip(str(node.value))
            self.findings.append(located(
                "invalid-quantity", ERROR, node,
                f"`{shown}` is not a Kubernetes quantity (use a number with a suffix such as 500m, 128Mi, "
                f"1Gi or 1G; there is no `b`/`B` for bytes){hint}",
                fix=f"{guess}" if guess else "write e.g. 512Mi or 1Gi", server=err.server or QUANTITY_MESSAGE))

    def check_integer_range(self, node: Node, kind: FieldType, owner: str) -> None:
        """An integer beyond its Go type (``periodSeconds: 2147483648`` in an int32) fails JSON decoding."""
        go_type = kind.format if kind.format in INTEGER_RANGES else "int64"
        low, high = INTEGER_RANGES[go_type]
        if low <= node.value <= high:
            return
        literal = _clip(str(node.value))
        self.findings.append(located(
            "number-range", ERROR, node,
            f"`{literal}` does not fit this field, an {go_type} ({low:,} to {high:,})",
            fix=f"use a number between {low} and {high}",
            server=f"json: cannot unmarshal number {literal} into Go struct field {owner}.{_bare(node.path)} "
                   f"of type {go_type}"))

    def not_json(self, node: Node) -> None:
        """``.inf`` and ``.nan`` are YAML numbers that JSON has no spelling for: the YAML-to-JSON step fails."""
        self.findings.append(located(
            "number-range", ERROR, node,
            f"`{node.raw or node.value}` (infinity or not-a-number) cannot be sent: JSON has no such numbers",
            fix="write a finite number", server=unsupported_number(node.value) or ""))

    def mismatch(self, node: Node, kind: FieldType, owner: str, field_name: str) -> None:
        got = _json_type(node)
        hint = fix = ""
        if kind.kind == "string" and node.kind == "scalar":
            hint = f"; quote it: `\"{_raw_text(node)}\"` (YAML reads it as a {got})"
        elif kind.kind in ("integer", "number") and isinstance(node.value, str):
            quoted = node.style in ("'", '"')
            digits = node.value.strip().lstrip("-+")
            if quoted and digits.isdigit():
                hint = "; remove the quotes"
            elif not quoted and digits.isdigit():
                # An integer too long for any number type: Go's YAML reader keeps such a scalar as a string.
                hint = f"; a number of {len(digits):,} digits is too large for any number, so YAML reads it as text"
                fix = f"write a number that fits {_go_type(kind)}"
        elif kind.kind == "array" and node.kind == "map":
            hint = "; write it as a list (each item starts with `- `)"
        value_text = got
        if got == "number" and kind.kind == "integer":
            value_text = f"number {_clip(_raw_text(node))}"  # encoding/json names the literal of a number
        self.findings.append(located(
            "type-mismatch", ERROR, node,
            f"`{field_name}` must be {kind.describe()}, not {got}{hint}", fix=fix or hint.lstrip("; "),
            server=f"json: cannot unmarshal {value_text} into Go struct field {owner}.{_bare(node.path)} "
                   f"of type {_go_type(kind)}"))

    def bad_enum(self, node: Node, allowed: tuple[str, ...]) -> None:
        guess = did_you_mean(str(node.value), allowed)
        hint = f"; did you mean `{guess}`?" if guess else ""
        listed = ", ".join(value or '""' for value in allowed)
        self.findings.append(located(
            "invalid-enum", ERROR, node, f"`{node.value}` is not one of {listed}{hint}",
            fix=guess or allowed[0], server=unsupported(node, allowed)))

    def unknown_field(self, key: str, node: Node, otype: ObjectType) -> None:
        since = self.added_later(key, otype)
        if since is not None:
            self.findings.append(located(
                "unknown-field", ERROR, node, f"unknown field `{key}` in {otype.short}: Kubernetes "
                f"{self.catalogue.version} does not have it; it was added in {since}{_feature_note(key, node, since)}",
                at_key=True, fix=f"check against {since} or later (--k8s-version {since}) if the cluster runs it; "
                                 "otherwise remove the field",
                server=f'strict decoding error: unknown field "{node.path}"'))
            return
        hint = ""
        guess = did_you_mean(key, list(otype.fields))
        hint = f"; did you mean `{guess}`?" if guess else self.wrong_level_hint(key, otype)
        self.findings.append(located(
            "unknown-field", ERROR, node, f"unknown field `{key}` in {otype.short}{hint}", at_key=True,
            fix=f"rename it to `{guess}`" if guess else "remove it or move it to the level it belongs to",
            server=f'strict decoding error: unknown field "{node.path}"'))


    def added_later(self, key: str, otype: ObjectType) -> str | None:
        """The first Kubernetes version newer than the one checked whose ``otype`` has the field ``key``."""
        from .schema import available_versions, catalogue

        newer = [v for v in available_versions() if _minor(v) > _minor(self.catalogue.version)]
        for version in newer:
            try:
                fields = catalogue(version).object(otype.name).fields
            except (KeyError, CatalogueError):
                continue
            if key in fields:
                return version
        return None

    def wrong_level_hint(self, key: str, otype: ObjectType) -> str:
        """Where a misplaced field belongs: one level down first, else anywhere in a Pod."""
        for name, spec in otype.fields.items():
            inner = spec.type
            while inner.kind in ("array", "map") and inner.item is not None:
                inner = inner.item
            if inner.kind == "object" and key in self.catalogue.object(inner.ref).fields:  # type: ignore[arg-type]
                return f"; `{key}` belongs inside `{name}` (`{name}.{key}`), not directly in {otype.short}: " \
                       "check the indentation"
        homes = [(t, p) for t, p in self.catalogue.field_index().get(key, []) if t != otype.name]
        if not homes:
            return ""
        home_type, home_path = homes[0]
        if home_path.startswith("spec.") and self.pod_spec_path != "spec":
            home_path = self.pod_spec_path + home_path[len("spec"):]
        return f"; `{key}` belongs to {short_name(home_type)} (`{home_path}`), not to {otype.short}: " \
               "check the indentation"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _feature_note(key: str, node: Node, since: str) -> str:
    """What a field added in a later version is for, where readers look for it by that name."""
    if key == "restartPolicy" and ".initContainers[" in node.path:
        return (f" (sidecar containers, `restartPolicy: Always` on an init container, need Kubernetes {since} or "
                "later: alpha behind the SidecarContainers feature gate in 1.28, on by default since 1.29)")
    return ""


def _bare(path: str) -> str:
    """A field path without list indexes and map keys, as encoding/json names a struct field."""
    return ".".join(part.split("[")[0] for part in path.split("."))


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else f"{text[:width]}… ({len(text):,} characters)"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _raw_text(node: Node) -> str:
    if node.raw is not None:
        return node.raw
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value)
