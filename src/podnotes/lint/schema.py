"""The field catalogue: names, types, descriptions and required fields.

The catalogue is read at run time from the JSON schemas that the
``kubernetes-validate`` package ships (generated from the Kubernetes OpenAPI
document, one set per minor release), so nothing about the API is copied into
this repository. Only the data files are read; the package's validator is not
used. What the published schemas leave out on purpose (enums, one-of groups,
defaults) lives in :mod:`podnotes.lint.rules_table`.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

# Where each checked kind is defined, and where its Pod spec sits.
KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (apiVersion, definition, path of the Pod spec)
    "Pod": ("v1", "io.k8s.api.core.v1.Pod", "spec"),
    "Deployment": ("apps/v1", "io.k8s.api.apps.v1.Deployment", "spec.template.spec"),
    "ReplicaSet": ("apps/v1", "io.k8s.api.apps.v1.ReplicaSet", "spec.template.spec"),
    "StatefulSet": ("apps/v1", "io.k8s.api.apps.v1.StatefulSet", "spec.template.spec"),
    "DaemonSet": ("apps/v1", "io.k8s.api.apps.v1.DaemonSet", "spec.template.spec"),
    "Job": ("batch/v1", "io.k8s.api.batch.v1.Job", "spec.template.spec"),
    "CronJob": ("batch/v1", "io.k8s.api.batch.v1.CronJob", "spec.jobTemplate.spec.template.spec"),
}

_REF = "#/$defs/"


class CatalogueError(Exception):
    """The schema data is missing or the version asked for is not covered."""


@dataclass(frozen=True)
class FieldType:
    """What a field holds. ``kind`` is one of object, array, map, string,
    integer, number, boolean, quantity, int-or-string, any."""

    kind: str
    ref: str | None = None          # definition name, for objects
    item: FieldType | None = None   # element type, for arrays and maps
    format: str | None = None       # int32, int64, date-time ...

    def describe(self) -> str:
        if self.kind == "object":
            return short_name(self.ref or "object")
        if self.kind == "array":
            return f"[]{self.item.describe() if self.item else 'any'}"
        if self.kind == "map":
            return f"map[string]{self.item.describe() if self.item else 'any'}"
        if self.kind == "integer":
            return self.format or "integer"
        return self.kind


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    description: str
    required: bool = False
    list_keys: tuple[str, ...] = ()

    @property
    def immutable(self) -> bool:
        return "Cannot be updated" in self.description


@dataclass
class ObjectType:
    name: str
    description: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    short: str = ""

    def __post_init__(self) -> None:
        self.short = short_name(self.name)


def short_name(definition: str) -> str:
    return definition.rsplit(".", 1)[-1]


def _schema_root() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogueError("the kubernetes-validate package (which provides the API schemas) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


@lru_cache(maxsize=1)
def available_versions() -> tuple[str, ...]:
    """Kubernetes minor versions the installed schemas cover, oldest first ("1.25", ...)."""
    versions = []
    for folder in _schema_root().glob("v*-local"):
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local", folder.name)
        if match and (folder / "_definitions.json").is_file():
            versions.append((int(match[1]), int(match[2])))
    if not versions:
        raise CatalogueError(f"no API schemas found under {_schema_root()}")
    return tuple(f"{major}.{minor}" for major, minor in sorted(versions))


def default_version() -> str:
    return available_versions()[-1]


def normalize_version(version: str | None) -> str:
    if version is None:
        return default_version()
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    if not match or f"{match[1]}.{match[2]}" not in available_versions():
        covered = ", ".join(available_versions())
        raise CatalogueError(f"Kubernetes version {version!r} is not covered; the installed schemas cover {covered}")
    return f"{match[1]}.{match[2]}"


class Catalogue:
    """The API types of one Kubernetes version, compiled on first use."""

    def __init__(self, version: str, definitions: dict):
        self.version = version
        self._definitions = definitions
        self._types: dict[str, ObjectType] = {}
        self._field_index: dict[str, list[tuple[str, str]]] | None = None

    def object(self, name: str) -> ObjectType:
        compiled = self._types.get(name)
        if compiled is None:
            compiled = self._compile(name)
            self._types[name] = compiled
        return compiled

    def has(self, name: str) -> bool:
        return name in self._definitions

    def _compile(self, name: str) -> ObjectType:
        raw = self._definitions[name]
        required = tuple(raw.get("required", ()))
        fields = {}
        for field_name, prop in raw.get("properties", {}).items():
            fields[field_name] = FieldSpec(
                field_name, self._type_of(prop), prop.get("description", ""), field_name in required,
                tuple(prop.get("x-kubernetes-list-map-keys", ())))
        return ObjectType(name, raw.get("description", ""), fields, required)

    def _type_of(self, prop: dict) -> FieldType:
        ref = prop.get("$ref")
        if ref:
            target = ref[len(_REF):]
            special = _special_type(target)
            if special:
                return special
            return FieldType("object", ref=target)
        types = prop.get("type", [])
        types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
        if "array" in types:
            return FieldType("array", item=self._type_of(prop.get("items", {})))
        if "object" in types:
            extra = prop.get("additionalProperties")
            return FieldType("map", item=self._type_of(extra) if isinstance(extra, dict) else FieldType("any"))
        if types:
            return FieldType(types[0], format=prop.get("format"))
        return FieldType("any")

    def field_index(self) -> dict[str, list[tuple[str, str]]]:
        """Field name -> (type, path) for every type reachable from a Pod, for wrong-level hints."""
        if self._field_index is None:
            index: dict[str, list[tuple[str, str]]] = {}
            for type_name, path in self.pod_type_paths().items():
                for field_name in self.object(type_name).fields:
                    index.setdefault(field_name, []).append((type_name, f"{path}.{field_name}" if path else field_name))
            self._field_index = index
        return self._field_index

    @cache  # noqa: B019 - one catalogue per version, kept for the process
    def pod_type_paths(self) -> dict[str, str]:
        """The shortest field path from a Pod to each type it contains (breadth first)."""
        paths = {"io.k8s.api.core.v1.Pod": ""}
        queue = ["io.k8s.api.core.v1.Pod"]
        while queue:
            current = queue.pop(0)
            for spec in self.object(current).fields.values():
                kind, target, suffix = spec.type, None, ""
                while kind.kind in ("array", "map") and kind.item is not None:
                    suffix += "[*]" if kind.kind == "array" else "[*]"
                    kind = kind.item
                if kind.kind == "object":
                    target = kind.ref
                if target and target not in paths and not target.startswith("io.k8s.apimachinery.pkg.apis.meta"):
                    base = paths[current]
                    paths[target] = f"{base}.{spec.name}{suffix}" if base else f"{spec.name}{suffix}"
                    queue.append(target)
        return paths


def _special_type(target: str) -> FieldType | None:
    if target == "io.k8s.apimachinery.pkg.api.resource.Quantity":
        return FieldType("quantity")
    if target == "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
        return FieldType("int-or-string")
    if target in ("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"):
        return FieldType("string", format="date-time")
    if target in ("io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
                  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"):
        return FieldType("any")
    return None


@cache
def catalogue(version: str | None = None) -> Catalogue:
    """The catalogue for a Kubernetes minor version ("1.33"); the newest covered one by default."""
    version = normalize_version(version)
    path = _schema_root() / f"v{version}.0-local" / "_definitions.json"
    import orjson  # reads the 1.8 MB of definitions in a third of json.load's time, once per run

    definitions = orjson.loads(path.read_bytes())["$defs"]
    return Catalogue(version, definitions)
