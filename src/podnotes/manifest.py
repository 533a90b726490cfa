"""Load Kubernetes manifests into a located tree.

Kubernetes reads YAML 1.1 (through Go's yaml library, then JSON), so this
module parses with PyYAML, which follows the same YAML version: ``0644`` is the
integer 420 and ``yes`` is ``true``. It composes the node graph (libyaml's C
parser when available, the pure-Python one otherwise) and converts it into
:class:`Node` objects that remember their file, line, column and API field
path (``spec.containers[0].livenessProbe.httpGet.port``).

Converting, rather than letting PyYAML construct Python objects, is what makes
the input safe to handle: anchors and aliases are expanded against a node
budget (a "billion laughs" file stops early instead of filling memory), the
nesting depth and the input size are limited, only the standard YAML tags are
accepted, and duplicate keys are recorded with both positions instead of being
silently overwritten.

Nothing here raises for bad input: every problem becomes a :class:`LoadError`
on a :class:`Document`, so one broken file in a folder never hides the others.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

# The API server refuses request bodies larger than 3 MiB, so nothing bigger
# can be a manifest it would accept.
MAX_BYTES = 3 * 1024 * 1024
# A Pod needs about 15 levels; 100 leaves room for any real object.
MAX_DEPTH = 100
# Nodes created per document, aliases counted every time they are expanded.
# A large Pod has about a thousand.
MAX_NODES = 100_000

YAML_SUFFIXES = (".yaml", ".yml", ".json")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_ALLOWED_TAGS = _SCALAR_TAGS | {f"{_TAG}map", f"{_TAG}seq", f"{_TAG}merge"}
_STR_TAG = f"{_TAG}str"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_resolved: dict[tuple[str, bool], str] = {}


class _CachedResolve:
    """Memoises YAML 1.1 tag resolution of plain scalars.

    Manifests repeat the same keys and values (``name``, ``image``, ``80``)
    thousands of times, and resolving a scalar's tag (a chain of regular
    expressions, in Python even under the C parser) was a large part of the
    parse time. The answer depends only on the text and whether it was quoted.
    """

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit[0])
        tag = _resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_resolved) < 50_000 and len(value) < 64:
                _resolved[key] = tag
        return tag


try:
    class _Loader(_CachedResolve, yaml.CSafeLoader):
        pass
    LIBYAML = True
except AttributeError:  # PyYAML built without libyaml
    class _Loader(_CachedResolve, yaml.SafeLoader):  # type: ignore[no-redef]
        pass
    LIBYAML = False

_constructor = SafeConstructor()
_construct = {
    f"{_TAG}int": _constructor.construct_yaml_int,
    f"{_TAG}float": _constructor.construct_yaml_float,
    f"{_TAG}bool": _constructor.construct_yaml_bool,
    f"{_TAG}null": lambda node: None,
}


class Node:
    """One value of a manifest, with where it came from.

    ``kind`` is ``"map"`` (``value`` is a dict of key to Node), ``"seq"``
    (a list of Nodes) or ``"scalar"`` (a plain Python value, as YAML 1.1 reads
    it). ``line`` and ``column`` (1-based) locate the value; ``key_line`` and
    ``key_column`` locate the key it belongs to (the same as the value for list
    items and the root). Nodes built from plain Python data have no position:
    every location attribute is None.
    """

    __slots__ = ("value", "kind", "path", "file", "line", "column", "key_line", "key_column", "tag", "style", "raw")

    def __init__(self, value: Any, kind: str, path: str, file: str | None = None,
                 line: int | None = None, column: int | None = None,
                 key_line: int | None = None, key_column: int | None = None,
                 tag: str = "", style: str | None = None, raw: str | None = None):
        self.value = value
        self.kind = kind
        self.path = path
        self.file = file
        self.line = line
        self.column = column
        self.key_line = line if key_line is None else key_line
        self.key_column = column if key_column is None else key_column
        self.tag = tag
        self.style = style
        self.raw = raw  # the scalar as written, before YAML 1.1 typing (``yes`` -> True)

    def __repr__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else "no position"
        return f"Node({self.path or '<root>'}, {self.kind}, {where})"

    # --- navigation, so rules read like the manifest --------------------------
    def get(self, key: str) -> Node | None:
        """The child Node under ``key`` of a mapping, or None."""
        if self.kind == "map":
            return self.value.get(key)
        return None

    def items(self) -> list[tuple[str, Node]]:
        return list(self.value.items()) if self.kind == "map" else []

    def children(self) -> list[Node]:
        if self.kind == "map":
            return list(self.value.values())
        if self.kind == "seq":
            return list(self.value)
        return []

    def scalar(self, key: str, default: Any = None) -> Any:
        """The plain value under ``key`` if it is a scalar, else ``default``."""
        child = self.get(key)
        if child is None or child.kind != "scalar" or child.value is None:
            return default
        return child.value

    def to_python(self) -> Any:
        """The plain Python value (dicts, lists, scalars) this Node stands for."""
        if self.kind == "map":
            return {key: child.to_python() for key, child in self.value.items()}
        if self.kind == "seq":
            return [child.to_python() for child in self.value]
        return self.value


@dataclass
class DuplicateKey:
    """A key given twice in one mapping. Kubernetes' YAML reader rejects it."""

    key: str
    path: str
    first_line: int
    first_column: int
    line: int
    column: int


@dataclass
class LoadError:
    """Why a document could not be read at all."""

    rule: str  # yaml-syntax, yaml-limit, yaml-tag, unreadable
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class Document:
    """One YAML document of a file (files may hold several, split by ``---``)."""

    file: str
    index: int
    root: Node | None
    line: int = 1
    duplicates: list[DuplicateKey] = field(default_factory=list)
    error: LoadError | None = None
    text: str | None = field(default=None, repr=False)  # the whole input the document came from

    @property
    def kind(self) -> str | None:
        return self.root.scalar("kind") if self.root is not None else None

    @property
    def api_version(self) -> str | None:
        return self.root.scalar("apiVersion") if self.root is not None else None

    @property
    def name(self) -> str | None:
        metadata = self.root.get("metadata") if self.root is not None else None
        return metadata.scalar("name") if metadata is not None else None

    def to_python(self) -> Any:
        return self.root.to_python() if self.root is not None else None


class _LimitExceeded(Exception):
    def __init__(self, rule: str, message: str, line: int | None, column: int | None):
        super().__init__(message)
        self.error = LoadError(rule, message, line, column)


class _Converter:
    """Turns one composed PyYAML node graph into a Node tree, within limits."""

    def __init__(self, file: str):
        self.file = file
        self.nodes = 0
        self.duplicates: list[DuplicateKey] = []

    def convert(self, ynode: yaml.Node, path: str, depth: int,
                key_mark: yaml.Mark | None = None) -> Node:
        self.nodes += 1
        mark = ynode.start_mark
        if self.nodes > MAX_NODES:
            raise _LimitExceeded(
                "yaml-limit",
                f"the document expands to more than {MAX_NODES} values (anchors and aliases are expanded "
                "before Kubernetes sees a manifest; this looks like an alias bomb)",
                mark.line + 1, mark.column + 1)
        if depth > MAX_DEPTH:
            raise _LimitExceeded("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels",
                                 mark.line + 1, mark.column + 1)
        tag = ynode.tag
        if tag not in _ALLOWED_TAGS:
            raise _LimitExceeded(
                "yaml-tag",
                f"the tag {tag!r} is not allowed: Kubernetes reads plain YAML, so only the standard tags "
                "(str, int, float, bool, null, map, seq) have a meaning",
                mark.line + 1, mark.column + 1)
        key_line = key_mark.line + 1 if key_mark is not None else None
        key_column = key_mark.column + 1 if key_mark is not None else None
        if isinstance(ynode, yaml.ScalarNode):
            constructor = _construct.get(tag)
            value = constructor(ynode) if constructor is not None else ynode.value
            return Node(value, "scalar", path, self.file, mark.line + 1, mark.column + 1,
                        key_line, key_column, tag, ynode.style, ynode.value)
        if isinstance(ynode, yaml.SequenceNode):
            items = [self.convert(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(ynode.value)]
            return Node(items, "seq", path, self.file, mark.line + 1, mark.column + 1, key_line, key_column, tag)
        return self._mapping(ynode, path, depth, key_line, key_column)

    def _mapping(self, ynode: yaml.MappingNode, path: str, depth: int,
                 key_line: int | None, key_column: int | None) -> Node:
        mark = ynode.start_mark
        entries: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        seen: dict[str, yaml.Mark] = {}
        for key_node, value_node in ynode.value:
            if key_node.tag == f"{_TAG}merge":
                self._merge(value_node, path, depth, merged)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LimitExceeded("yaml-syntax", "a mapping key must be a plain value, not a list or mapping",
                                     key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_node.tag == _STR_TAG:
                key = key_node.value  # the common case: no Node needed for a plain key
            else:
                key = self.convert(key_node, path, depth + 1).value
                key = key if isinstance(key, str) else _key_text(key)
            child_path = _child_path(path, key)
            if key in seen:
                first = seen[key]
                self.duplicates.append(DuplicateKey(
                    key, child_path, first.line + 1, first.column + 1,
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            seen[key] = key_node.start_mark
            entries[key] = self.convert(value_node, child_path, depth + 1, key_node.start_mark)
        if merged:
            entries = {**{k: v for k, v in merged.items() if k not in entries}, **entries}
        return Node(entries, "map", path, self.file, mark.line + 1, mark.column + 1, key_line, key_column,
                    ynode.tag)

    def _merge(self, value_node: yaml.Node, path: str, depth: int, into: dict[str, Node]) -> None:
        """Apply a ``<<: *anchor`` merge key: the first source that names a key wins."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _LimitExceeded("yaml-syntax", "a merge key (<<) must refer to a mapping",
                                     source.start_mark.line + 1, source.start_mark.column + 1)
            for key, child in self._mapping(source, path, depth + 1, None, None).value.items():
                into.setdefault(key, child)


def _key_text(key: Any) -> str:
    """How Kubernetes' YAML-to-JSON step spells a non-string key (``true`` -> "true")."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


_plain_keys: dict[str, bool] = {}


def _child_path(path: str, key: str) -> str:
    plain = _plain_keys.get(key)
    if plain is None:
        plain = bool(_IDENTIFIER.match(key))
        if len(_plain_keys) < 10_000:
            _plain_keys[key] = plain
    if plain:
        return f"{path}.{key}" if path else key
    return f"{path}[{key}]"


def _mark_of(error: yaml.YAMLError) -> tuple[int | None, int | None]:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _syntax_error(error: yaml.YAMLError) -> LoadError:
    line, column = _mark_of(error)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    message = f"{context}: {problem}" if context else str(problem)
    if "maximum nesting depth" in message:
        return LoadError("yaml-limit", "values are nested deeper than the YAML parser allows (1000 levels)",
                         line, column)
    if isinstance(error, yaml.reader.ReaderError):
        return LoadError("yaml-syntax", f"not a text file: {error.reason} "
                         f"(character {error.character!r} at byte {error.position})", None, None)
    hint = ""
    if "tab" in message or "'\\t'" in message:
        hint = " (YAML indents with spaces, never tabs)"
    return LoadError("yaml-syntax", f"YAML syntax error: {message}{hint}", line, column)


def _check_text(data: bytes) -> str | LoadError:
    if len(data) > MAX_BYTES:
        return LoadError("yaml-limit", f"the input is {len(data):,} bytes; the API server accepts at most "
                         f"{MAX_BYTES:,} bytes (3 MiB) per request", None, None)
    if b"\0" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return LoadError("unreadable", "binary data, not a YAML text file", None, None)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return LoadError("unreadable", f"not UTF-8 text: byte 0x{data[err.start]:02x} at offset {err.start} "
                         "cannot be decoded", None, None)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document has once every alias is expanded, without expanding them.

    Each distinct node's size is computed once (post-order, no recursion), so
    a "billion laughs" document is measured in microseconds.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = ([child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if children_done:
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            open_nodes.discard(key)
            continue
        if key in open_nodes:
            return sys.maxsize  # an alias to one of its own ancestors: endless
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return sys.maxsize
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


_FLOW_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\'\'|[^\'])*\'|#[^\n]*|[\[\]{}]')


def _flow_depth_exceeds_limit(text: str) -> bool:
    """Bracket nesting beyond the limit (quoted text and comments skipped); the pure parser is quadratic in it."""
    depth = 0
    for token in _FLOW_TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth = max(depth - 1, 0)
    return False


def _depth_exceeds_limit(text: str) -> tuple[int, int] | None:
    """Scan events for nesting too deep (the pure-Python composer would recurse itself to death)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark.line + 1, event.start_mark.column + 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def parse_text(text: str | bytes, file: str = "<string>") -> list[Document]:
    """Parse YAML text (one or more documents) into located Documents."""
    if isinstance(text, bytes):
        checked = _check_text(text)
        if isinstance(checked, LoadError):
            return [Document(file, 0, None, error=checked)]
        text = checked
    elif len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return [Document(file, 0, None, error=LoadError(
            "yaml-limit", f"the input is larger than {MAX_BYTES:,} bytes (3 MiB), the most the API server "
            "accepts per request"))]
    documents: list[Document] = []
    has_aliases = "*" in text
    try:
        if not LIBYAML:
            if _flow_depth_exceeds_limit(text):
                return [Document(file, 0, None, error=LoadError(
                    "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels"))]
            too_deep = _depth_exceeds_limit(text)
            if too_deep:
                return [Document(file, 0, None, error=LoadError(
                    "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels", *too_deep))]
        for ynode in yaml.compose_all(text, Loader=_Loader):
            index = len(documents)
            if ynode is None:
                continue
            converter = _Converter(file)
            start = ynode.start_mark.line + 1
            size = _expanded_size(ynode) if has_aliases else 0
            if size > MAX_NODES:
                why = ("an alias refers to a mapping or list that contains it, which expands without end"
                       if size == sys.maxsize else
                       f"the document expands to more than {MAX_NODES} values (anchors and aliases are expanded "
                       "before Kubernetes sees a manifest; this looks like an alias bomb)")
                documents.append(Document(file, index, None, start, error=LoadError(
                    "yaml-limit", why, ynode.start_mark.line + 1, ynode.start_mark.column + 1)))
                continue
            try:
                root = converter.convert(ynode, "", 0)
            except _LimitExceeded as limit:
                documents.append(Document(file, index, None, start, error=limit.error))
                continue
            documents.append(Document(file, index, root, start, converter.duplicates, text=text))
    except yaml.YAMLError as err:
        documents.append(Document(file, len(documents), None, error=_syntax_error(err)))
    except RecursionError:
        documents.append(Document(file, len(documents), None, error=LoadError(
            "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels")))
    return documents


def from_python(obj: Any, file: str | None = None, path: str = "") -> Node:
    """A Node tree for plain Python data (a dict as the kubernetes client gives it); no positions."""
    if isinstance(obj, dict):
        return Node({str(k): from_python(v, file, _child_path(path, str(k))) for k, v in obj.items()},
                    "map", path, file)
    if isinstance(obj, (list, tuple)):
        return Node([from_python(v, file, f"{path}[{i}]") for i, v in enumerate(obj)], "seq", path, file)
    return Node(obj, "scalar", path, file)


def yaml_files(folder: Path) -> list[Path]:
    """The manifest files under ``folder``, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)


def _read_path(path: Path) -> list[Document]:
    if path.is_dir():
        return [doc for child in yaml_files(path) for doc in _read_path(child)]
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return [Document(str(path), 0, None, error=LoadError(
                "yaml-limit", f"the file is {size:,} bytes; the API server accepts at most {MAX_BYTES:,} bytes "
                "(3 MiB) per request"))]
        data = path.read_bytes()
    except OSError as err:
        return [Document(str(path), 0, None, error=LoadError("unreadable", err.strerror or str(err)))]
    return parse_text(data, str(path))


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and (os.path.exists(text) or ": " not in text and not text.lstrip().startswith(("{", "[")))


def load(source: Any, *, name: str | None = None) -> list[Document]:
    """Load manifests from a path (file or folder), ``"-"`` (stdin), YAML text, bytes or a file object.

    Also accepts an already loaded :class:`Document` or list of them (returned
    as they are), plain Python data (a dict or a list of dicts) and model
    objects of the ``kubernetes`` client (``V1Pod``); their Nodes carry no
    line or column.
    """
    if isinstance(source, Document):
        return [source]
    if isinstance(source, list) and all(isinstance(item, Document) for item in source) and source:
        return source
    if isinstance(source, Node):
        return [Document(name or "<object>", 0, source, line=source.line or 1)]
    if hasattr(source, "openapi_types") and hasattr(source, "attribute_map"):
        # a model object of the official kubernetes client (V1Pod ...): its own serializer gives the API's JSON
        from kubernetes.client import ApiClient

        source = ApiClient().sanitize_for_serialization(source)
    if isinstance(source, dict):
        return [Document(name or "<object>", 0, from_python(source), line=None)]
    if isinstance(source, list):
        return [Document(name or "<object>", index, from_python(item), line=None) for index, item in enumerate(source)]
    if isinstance(source, Path):
        return _read_path(source)
    if isinstance(source, bytes):
        return parse_text(source, name or "<bytes>")
    if isinstance(source, str):
        if source == "-":
            return parse_text(_read_stream(sys.stdin), name or "<stdin>")
        if _looks_like_path(source):
            return _read_path(Path(source))
        return parse_text(source, name or "<string>")
    if hasattr(source, "read"):
        return parse_text(_read_stream(source), name or getattr(source, "name", "<stream>"))
    raise TypeError(f"cannot load manifests from a {type(source).__name__}")


def _read_stream(stream: Any) -> bytes:
    """Read at most one byte more than the limit, so a huge stream is refused without reading it all."""
    raw = getattr(stream, "buffer", stream)
    data = raw.read(MAX_BYTES + 1)
    return data.encode("utf-8") if isinstance(data, str) else data


def walk(node: Node) -> Iterator[Node]:
    """Every Node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))
