"""Load Kubernetes manifests into a located tree.

Kubernetes reads YAML 1.1 (through Go's yaml library, then JSON), so this
module parses with PyYAML, which follows the same YAML version: ``0644`` is the
integer 420 and ``yes`` is ``true``. It composes the node graph (libyaml's C
parser when available, the pure-Python one otherwise) and converts it into
:class:`Node` objects that remember their file, line, column and API field
path (``spec.containers[0].livenessProbe.httpGet.port``).

Converting, rather than letting PyYAML construct Python objects, is what makes
the input safe to handle. Every input is read by :mod:`podnotes.inputfile`
(at most 3 MiB, pipes against a deadline), and then stays within budgets that
each message names exactly:

* ``MAX_DOCUMENTS`` documents per input, empty ones included;
* ``MAX_NODES`` values per document and ``MAX_INPUT_NODES`` per input, aliases
  counted every time they are expanded;
* ``MAX_EXPANDED_BYTES`` of scalar text per document once aliases are
  expanded (what kubectl would send as JSON; measured before expanding, so a
  "billion laughs" file stops in microseconds);
* ``MAX_DEPTH`` levels of nesting;
* numbers of at most ``MAX_NUMBER_CHARS`` characters (longer ones stay
  strings, as Go's YAML reader keeps an integer it cannot hold in a float64).

Only the standard YAML tags are accepted, an explicit tag whose value does not
fit (``!!int abc``) is an error at its line, and duplicate keys are recorded
with both positions instead of being silently overwritten. Field paths are
built only when asked for (a Node knows its parent and its own key), so an
expansion that repeats long keys costs no memory for paths.

Nothing here raises for bad input: every problem becomes a :class:`LoadError`
on a :class:`Document`, so one broken file in a folder never hides the others.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from podnotes import inputfile
from podnotes.inputfile import MAX_BYTES, InputError

# A Pod needs about 15 levels; 100 leaves room for any real object.
MAX_DEPTH = 100
# Values per document, aliases counted every time they are expanded.
# A large Pod has about a thousand; checking costs about 12 microseconds of CPU
# per value, so these budgets keep one input within about a second.
MAX_NODES = 50_000
# Scalar text (keys and values) per document once aliases are expanded: what
# kubectl sends is this JSON, and the API server takes at most 3 MiB per request.
MAX_EXPANDED_BYTES = MAX_BYTES
# Documents per input, empty ones included (``---`` costs the parser as much as
# a small object), and values per input: together they keep one input's
# reading and checking within about a second.
MAX_DOCUMENTS = 5_000
MAX_INPUT_NODES = 60_000
# The longest number read as a number. float64 ends at about 1.8e308 (309
# digits); Go's YAML reader keeps a longer integer as a string, and Python's
# int() of a long text is quadratic in its length.
MAX_NUMBER_CHARS = 400
# The longest key shown in full inside a field path.
_SHOWN_KEY = 64

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
_TAG_NAMES = {f"{_TAG}int": "an integer", f"{_TAG}float": "a floating-point number", f"{_TAG}bool": "a boolean"}


class BadTaggedValue(ValueError):
    """A scalar whose explicit tag it cannot satisfy (``!!int abc``)."""


def construct_scalar(ynode: yaml.ScalarNode) -> Any:
    """The value of a scalar as YAML 1.1 types it, within the number budget.

    A plain scalar that looks like a number but cannot be read as one (longer
    than ``MAX_NUMBER_CHARS``, or ``0b_``) stays a string, as Go's YAML reader
    leaves it; an explicitly tagged one raises :class:`BadTaggedValue`.
    """
    tag = ynode.tag
    constructor = _construct.get(tag)
    if constructor is None:
        return ynode.value
    if tag in (f"{_TAG}int", f"{_TAG}float") and len(ynode.value) > MAX_NUMBER_CHARS:
        if _explicit(ynode):
            raise BadTaggedValue(f"a number of {len(ynode.value):,} characters is longer than the "
                                 f"{MAX_NUMBER_CHARS} this reader accepts (float64 ends at about 1.8e308)")
        return ynode.value
    try:
        return constructor(ynode)
    except (ValueError, TypeError, LookupError, ArithmeticError, AttributeError):
        if _explicit(ynode):
            raise BadTaggedValue(f"`{_clip(ynode.value)}` is not {_TAG_NAMES.get(tag, tag)}, although its tag "
                                 f"{tag.replace(_TAG, '!!')} says it is") from None
        return ynode.value


_RESOLVER = yaml.resolver.Resolver()


def _explicit(ynode: yaml.ScalarNode) -> bool:
    """Whether a scalar's tag was written (``!!int abc``) rather than resolved from its plain text."""
    if ynode.style in ("'", '"', "|", ">"):
        return True
    return _RESOLVER.resolve(yaml.ScalarNode, ynode.value, (True, False)) != ynode.tag


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else f"{text[:width]}… ({len(text):,} characters)"


class Node:
    """One value of a manifest, with where it came from.

    ``kind`` is ``"map"`` (``value`` is a dict of key to Node), ``"seq"``
    (a list of Nodes) or ``"scalar"`` (a plain Python value, as YAML 1.1 reads
    it). ``line`` and ``column`` (1-based) locate the value; ``key_line`` and
    ``key_column`` locate the key it belongs to (the same as the value for list
    items and the root). Nodes built from plain Python data have no position:
    every location attribute is None.

    ``path`` is the API field path (``spec.containers[0].image``). A Node made
    by the loader stores only its parent and its own part of the path
    (``.image``, ``[0]``, ``[app.kubernetes.io/name]``) and builds the text when
    asked; a key longer than 64 characters is shortened in it.
    """

    __slots__ = ("value", "kind", "_path", "parent", "segment", "file", "line", "column", "key_line",
                 "key_column", "tag", "style", "raw")

    def __init__(self, value: Any, kind: str, path: str | None = "", file: str | None = None,
                 line: int | None = None, column: int | None = None,
                 key_line: int | None = None, key_column: int | None = None,
                 tag: str = "", style: str | None = None, raw: str | None = None,
                 *, parent: Node | None = None, segment: str = ""):
        self.value = value
        self.kind = kind
        self._path = path if parent is None else None
        self.parent = parent
        self.segment = segment
        self.file = file
        self.line = line
        self.column = column
        self.key_line = line if key_line is None else key_line
        self.key_column = column if key_column is None else key_column
        self.tag = tag
        self.style = style
        self.raw = raw  # the scalar as written, before YAML 1.1 typing (``yes`` -> True)

    @property
    def path(self) -> str:
        if self._path is not None:
            return self._path
        parts = []
        node: Node | None = self
        while node is not None and node._path is None:
            parts.append(node.segment)
            node = node.parent
        text = node._path if node is not None else ""
        for segment in reversed(parts):
            text = (segment[1:] if not text else text + segment) if segment.startswith(".") else text + segment  # type: ignore[operator]
        return text  # type: ignore[return-value]

    @path.setter
    def path(self, value: str) -> None:
        self._path = value

    def bracket_key(self, key: str) -> None:
        """Write this map entry's key in brackets (``limits[memory]``), as the server does for map fields."""
        if self.parent is not None:
            self.segment = f"[{_shown_key(key)}]"
        else:
            base, _, _ = self.path.rpartition(".")
            self._path = f"{base}[{_shown_key(key)}]"

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
    line: int | None = 1  # None for plain Python input
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


def _at(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Converter:
    """Turns one composed PyYAML node graph into a Node tree, within limits.

    ``max_nodes`` is what is left of the document's and the input's value budgets.
    """

    def __init__(self, file: str, max_nodes: int = MAX_NODES):
        self.file = file
        self.nodes = 0
        self.max_nodes = max_nodes
        self.duplicates: list[DuplicateKey] = []

    def convert(self, ynode: yaml.Node, parent: Node | None, segment: str, depth: int,
                key_mark: yaml.Mark | None = None) -> Node:
        self.nodes += 1
        mark = ynode.start_mark
        if self.nodes > self.max_nodes:
            raise _LimitExceeded("yaml-limit", _too_many_values(self.max_nodes), *_at(mark))
        if depth > MAX_DEPTH:
            raise _LimitExceeded("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels", *_at(mark))
        tag = ynode.tag
        if tag not in _ALLOWED_TAGS:
            raise _LimitExceeded(
                "yaml-tag",
                f"the tag {_clip(tag)!r} is not allowed: Kubernetes reads plain YAML, so only the standard tags "
                "(str, int, float, bool, null, map, seq) have a meaning",
                *_at(mark))
        key_line, key_column = _at(key_mark) if key_mark is not None else (None, None)
        line, column = _at(mark)
        if isinstance(ynode, yaml.ScalarNode):
            if tag == _STR_TAG:
                value = ynode.value  # most scalars: nothing to construct
            else:
                try:
                    value = construct_scalar(ynode)
                except BadTaggedValue as err:
                    raise _LimitExceeded("yaml-tag", str(err), line, column) from None
            return Node(value, "scalar", "", self.file, line, column, key_line, key_column, tag, ynode.style,
                        ynode.value, parent=parent, segment=segment)
        if isinstance(ynode, yaml.SequenceNode):
            node = Node([], "seq", "", self.file, line, column, key_line, key_column, tag,
                        parent=parent, segment=segment)
            node.value = [self.convert(item, node, f"[{index}]", depth + 1) for index, item in enumerate(ynode.value)]
            return node
        node = Node({}, "map", "", self.file, line, column, key_line, key_column, tag, parent=parent, segment=segment)
        node.value = self._entries(ynode, node, depth)  # type: ignore[arg-type]
        return node

    def _entries(self, ynode: yaml.MappingNode, node: Node, depth: int) -> dict[str, Node]:
        entries: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        seen: dict[str, yaml.Mark] = {}
        for key_node, value_node in ynode.value:
            if key_node.tag == f"{_TAG}merge":
                self._merge(value_node, node, depth, merged)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LimitExceeded("yaml-syntax", "a mapping key must be a plain value, not a list or mapping",
                                     *_at(key_node.start_mark))
            if key_node.tag == _STR_TAG:
                key = key_node.value  # the common case: no Node needed for a plain key
            else:
                key = self.convert(key_node, node, "", depth + 1).value
                key = key if isinstance(key, str) else _key_text(key)
            segment = _segment(key)
            if key in seen:
                first = seen[key]
                self.duplicates.append(DuplicateKey(
                    key, _joined(node.path, segment), first.line + 1, first.column + 1,
                    *_at(key_node.start_mark)))
            seen[key] = key_node.start_mark
            entries[key] = self.convert(value_node, node, segment, depth + 1, key_node.start_mark)
        if merged:
            entries = {**{k: v for k, v in merged.items() if k not in entries}, **entries}
        return entries

    def _merge(self, value_node: yaml.Node, node: Node, depth: int, into: dict[str, Node]) -> None:
        """Apply a ``<<: *anchor`` merge key: the first source that names a key wins."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _LimitExceeded("yaml-syntax", "a merge key (<<) must refer to a mapping",
                                     *_at(source.start_mark))
            if depth + 1 > MAX_DEPTH:
                raise _LimitExceeded("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels",
                                     *_at(source.start_mark))
            for key, child in self._entries(source, node, depth + 1).items():
                into.setdefault(key, child)


def _too_many_values(limit: int) -> str:
    if limit < MAX_NODES:
        return (f"this input holds more than {MAX_INPUT_NODES:,} values in all its documents, the most one "
                "input may hold here: split it into several files")
    return f"the document holds more than {MAX_NODES:,} values, the most one document may hold here"


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


def _shown_key(key: str) -> str:
    if len(key) <= _SHOWN_KEY:
        return key
    return f"{key[:_SHOWN_KEY - 16]}…({len(key):,} characters)"


def _segment(key: str) -> str:
    """A key's part of a field path: ``.image`` for a plain name, ``[app.kubernetes.io/name]`` otherwise."""
    plain = _plain_keys.get(key)
    if plain is None:
        plain = bool(_IDENTIFIER.match(key)) and len(key) <= _SHOWN_KEY
        if len(_plain_keys) < 10_000 and len(key) <= _SHOWN_KEY:
            _plain_keys[key] = plain
    return f".{key}" if plain else f"[{_shown_key(key)}]"


def _joined(path: str, segment: str) -> str:
    if segment.startswith("."):
        return path + segment if path else segment[1:]
    return path + segment


def _child_path(path: str, key: str) -> str:
    return _joined(path, _segment(key))


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
        return LoadError("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels", line, column)
    if isinstance(error, yaml.reader.ReaderError):
        return LoadError("yaml-syntax", f"not a text file: {error.reason} "
                         f"(character {error.character!r} at byte {error.position})", None, None)
    hint = ""
    if "tab" in message or "'\\t'" in message:
        hint = " (YAML indents with spaces, never tabs)"
    return LoadError("yaml-syntax", f"YAML syntax error: {message}{hint}", line, column)


_TEMPLATE = re.compile(r"\{\{-?\s*[.$\w(\"/-].*?\}\}")


def _with_hint(error: LoadError, text: str) -> LoadError:
    """A YAML syntax error, with what usually causes it: a tab in the indentation of the line it points
    at, or an unrendered Helm/Go template (``{{ .Values.x }}``), which is not YAML until it is rendered."""
    if error.rule != "yaml-syntax":
        return error
    lines = text.splitlines()
    if error.line and 1 <= error.line <= len(lines):
        line = lines[error.line - 1]
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            column = indent.index("\t") + 1
            return replace(error, message=f"a tab character in the indentation (line {error.line}, column "
                           f"{column}): YAML indents with spaces only; replace the tab with spaces "
                           f"({error.message})", column=column)
    if _TEMPLATE.search(text):
        return replace(error, message=f"{error.message}; the file holds {{{{ ... }}}}: a Helm or Go template is "
                       "not YAML until it is rendered: `helm template RELEASE CHART | podnotes lint -f -`")
    return error


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


@dataclass(frozen=True)
class _Size:
    """What a document amounts to once every alias is expanded: values and bytes of scalar text."""

    values: int
    text_bytes: int
    endless: bool = False


def _expanded_size(root: yaml.Node) -> _Size:
    """How many values and how much scalar text the document has once every alias is
    expanded, without expanding them.

    Each distinct node's size is computed once (post-order, no recursion), so
    a "billion laughs" document is measured in microseconds. Text is counted in
    characters of the scalars (keys included), about what its JSON would take.
    """
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = (1, len(node.value))
            continue
        children = ([child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if children_done:
            sizes[key] = (1 + sum(sizes[id(child)][0] for child in children),
                          sum(sizes[id(child)][1] for child in children))
            open_nodes.discard(key)
            continue
        if key in open_nodes:
            return _Size(sys.maxsize, sys.maxsize, endless=True)  # an alias to one of its own ancestors
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return _Size(sys.maxsize, sys.maxsize, endless=True)
            if id(child) not in sizes:
                stack.append((child, False))
    values, text_bytes = sizes[id(root)]
    return _Size(values, text_bytes)


def _expansion_problem(size: _Size, max_values: int) -> str | None:
    """Why a document with aliases is refused, naming the budget it exceeds; None if it fits."""
    if size.endless:
        return "an alias refers to a mapping or list that contains it, which expands without end"
    if size.values > max_values:
        if max_values < MAX_NODES:
            return _too_many_values(max_values)
        return (f"once its anchors and aliases are expanded, the document holds {size.values:,} values, more than "
                f"the {MAX_NODES:,} one document may hold here")
    if size.text_bytes > MAX_EXPANDED_BYTES:
        return (f"once its anchors and aliases are expanded (kubectl sends them expanded), the document holds "
                f"{size.text_bytes:,} characters of keys and values, more than the {MAX_EXPANDED_BYTES:,} bytes "
                "(3 MiB) the API server accepts per request")
    return None


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




def _may_exceed_value_budget(text: str) -> bool:
    """Whether the input could hold more values than an input may: then it is scanned event by
    event before it is composed, so it is refused after a cheap pass (libyaml's events cost
    about a third of composing them) instead of after building all its nodes.

    Every value after the first needs one of these characters before it (a line
    break, ``,``, ``:``, ``-``, ``[`` or ``{``), so their count bounds the number
    of values; most inputs are far below it and skip the scan.
    """
    bound = 1 + sum(text.count(char) for char in "\n,:-[{")
    return bound > MAX_INPUT_NODES


def _scan_events(text: str, loader: type) -> LoadError | None:
    """The first budget the event stream exceeds (nesting, documents, values per document and per
    input), or None.

    Values are counted as the converter counts them (mapping keys are not
    values); aliases count as one here, their expansion is measured per
    document after composing (:func:`_expanded_size`). A syntax error is left
    for the composer to report.
    """
    documents = values = document_values = 0
    expecting_key: list[bool] = []  # per open collection: True when the next item of a mapping is a key
    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event)
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                expecting_key.pop()
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                document_values = 0
                if documents > MAX_DOCUMENTS:
                    return LoadError("yaml-limit", f"this input holds more than {MAX_DOCUMENTS:,} documents (empty "
                                     "ones count), the most one input may hold here: split it into several files",
                                     *_at(event.start_mark))  # type: ignore[arg-type]
                continue
            if kind not in (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent):
                continue
            is_key = bool(expecting_key) and expecting_key[-1]
            if expecting_key and expecting_key[-1] is not None:
                expecting_key[-1] = not is_key
            if not is_key:
                values += 1
                document_values += 1
                if document_values > MAX_NODES:
                    return LoadError("yaml-limit", _too_many_values(MAX_NODES), *_at(event.start_mark))  # type: ignore[arg-type]
                if values > MAX_INPUT_NODES:
                    return LoadError("yaml-limit", _too_many_values(0), *_at(event.start_mark))  # type: ignore[arg-type]
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                expecting_key.append(True if kind is yaml.MappingStartEvent else None)  # type: ignore[arg-type]
                if len(expecting_key) > MAX_DEPTH:
                    return LoadError("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels",
                                     *_at(event.start_mark))  # type: ignore[arg-type]
    except yaml.YAMLError:
        return None
    return None


def parse_text(text: str | bytes, file: str = "<string>") -> list[Document]:
    """Parse YAML text (one or more documents) into located Documents.

    Never raises for bad input: each problem is a Document with a
    :class:`LoadError` (rule ``yaml-syntax``, ``yaml-limit``, ``yaml-tag`` or
    ``unreadable``) naming the limit it exceeds and, where known, its line.
    An input with more than ``MAX_DOCUMENTS`` documents or ``MAX_INPUT_NODES``
    values is refused as a whole, with one error.
    """
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
    seen = 0
    values_left = MAX_INPUT_NODES
    try:
        if not LIBYAML and _flow_depth_exceeds_limit(text):
            return [Document(file, 0, None, error=LoadError(
                "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels"))]
        if not LIBYAML or _may_exceed_value_budget(text):
            # the pure-Python composer recurses, so it must never see nesting beyond the limit
            exceeded = _scan_events(text, _Loader)
            if exceeded is not None:
                return [Document(file, 0, None, error=exceeded)]
        for ynode in yaml.compose_all(text, Loader=_Loader):
            seen += 1
            if seen > MAX_DOCUMENTS:
                line, column = _at(ynode.start_mark) if ynode is not None else (None, None)
                return [Document(file, 0, None, error=LoadError(
                    "yaml-limit", f"this input holds more than {MAX_DOCUMENTS:,} documents (empty ones count), "
                    "the most one input may hold here: split it into several files", line, column))]
            index = len(documents)
            if ynode is None:
                continue
            start = ynode.start_mark.line + 1
            budget = min(MAX_NODES, values_left)
            if has_aliases:
                problem = _expansion_problem(_expanded_size(ynode), budget)
                if problem is not None:
                    if budget < MAX_NODES:
                        return [Document(file, 0, None, error=LoadError("yaml-limit", problem))]
                    documents.append(Document(file, index, None, start, error=LoadError(
                        "yaml-limit", problem, *_at(ynode.start_mark))))
                    continue
            converter = _Converter(file, budget)
            try:
                root = converter.convert(ynode, None, "", 0)
            except _LimitExceeded as limit:
                if budget < MAX_NODES and converter.nodes > budget:
                    return [Document(file, 0, None, error=LoadError("yaml-limit", limit.error.message))]
                documents.append(Document(file, index, None, start, error=_with_hint(limit.error, text)))
                continue
            values_left -= converter.nodes
            documents.append(Document(file, index, root, start, converter.duplicates, text=text))
    except yaml.YAMLError as err:
        documents.append(Document(file, len(documents), None, error=_with_hint(_syntax_error(err), text)))
    except RecursionError:
        documents.append(Document(file, len(documents), None, error=LoadError(
            "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels")))
    return documents


class _PythonLimit(Exception):
    pass


def from_python(obj: Any, file: str | None = None, path: str = "") -> Node:
    """A Node tree for plain Python data (a dict as the kubernetes client gives it); no positions.

    Raises ValueError for data beyond the loader's budgets: deeper than
    ``MAX_DEPTH`` (which also catches a dict that contains itself) or more than
    ``MAX_NODES`` values (shared sub-objects counted every time they appear).
    """
    counter = [0]
    root = _from_python(obj, file, None, "", 0, counter)
    if path:
        root.path = path
    return root


def _from_python(obj: Any, file: str | None, parent: Node | None, segment: str, depth: int,
                 counter: list[int]) -> Node:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise ValueError(f"the object holds more than {MAX_NODES:,} values (shared sub-objects counted each time "
                         "they appear), the most one document may hold here")
    if depth > MAX_DEPTH:
        raise ValueError(f"values are nested deeper than {MAX_DEPTH} levels (or an object contains itself)")
    if isinstance(obj, dict):
        node = Node({}, "map", "", file, parent=parent, segment=segment)
        node.value = {str(k): _from_python(v, file, node, _segment(str(k)), depth + 1, counter)
                      for k, v in obj.items()}
        return node
    if isinstance(obj, (list, tuple)):
        node = Node([], "seq", "", file, parent=parent, segment=segment)
        node.value = [_from_python(v, file, node, f"[{i}]", depth + 1, counter) for i, v in enumerate(obj)]
        return node
    return Node(obj, "scalar", "", file, parent=parent, segment=segment)


def _python_document(obj: Any, name: str, index: int) -> Document:
    try:
        return Document(name, index, from_python(obj), line=None)
    except ValueError as err:
        return Document(name, index, None, line=None, error=LoadError("yaml-limit", str(err)))


def yaml_files(folder: Path) -> list[Path]:
    """The manifest files under ``folder``, in a stable order (folders that cannot be listed are skipped)."""
    return inputfile.files_under(folder, YAML_SUFFIXES)[0]


def _unreadable(error: InputError) -> Document:
    rule = "yaml-limit" if error.too_large else "unreadable"
    return Document(error.file, 0, None, error=LoadError(rule, error.message))


def _read_path(path: Path) -> list[Document]:
    if inputfile.kind_of(path) == "dir":
        files, problems = inputfile.files_under(path, YAML_SUFFIXES)
        documents = [_unreadable(problem) for problem in problems]
        for child in files:
            documents.extend(_read_file(child))
        return documents
    return _read_file(path)


def _read_file(path: Path | str) -> list[Document]:
    try:
        data = inputfile.read_bytes(path, what="the manifest")
    except InputError as err:
        return [_unreadable(err)]
    return parse_text(data, str(path))


def _read_url(url: str) -> list[Document]:
    try:
        data = inputfile.read_url(url)
    except InputError as err:
        return [_unreadable(err)]
    return parse_text(data, url)


def _looks_like_path(text: str) -> bool:
    if not text.strip():
        return False  # empty text is an empty manifest, never the current folder
    return "\n" not in text and (os.path.exists(text) or ": " not in text and not text.lstrip().startswith(("{", "[")))


def load(source: Any, *, name: str | None = None) -> list[Document]:
    """Load manifests from a path (file or folder), an http(s) URL (fetched by
    :func:`podnotes.inputfile.read_url`: 3 MiB, 30 s), ``"-"`` (stdin), YAML text, bytes or a file object.

    Also accepts an already loaded :class:`Document` or list of them (returned
    as they are), plain Python data (a dict or a list of dicts) and model
    objects of the ``kubernetes`` client (``V1Pod``); their Nodes carry no
    line or column. Every file and stream is read by
    :func:`podnotes.inputfile.read_bytes` (3 MiB, pipes against a deadline);
    problems come back as Documents with an error, never as exceptions. Raises
    TypeError only for a ``source`` of a type it does not take.
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
        return [_python_document(source, name or "<object>", 0)]
    if isinstance(source, list):
        if len(source) > MAX_DOCUMENTS:
            return [Document(name or "<object>", 0, None, line=None, error=LoadError(
                "yaml-limit", f"{len(source):,} objects; one input may hold at most {MAX_DOCUMENTS:,}"))]
        return [_python_document(item, name or "<object>", index) for index, item in enumerate(source)]
    if isinstance(source, os.PathLike):
        return _read_path(Path(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return parse_text(bytes(source), name or "<bytes>")
    if isinstance(source, str):
        if source == "-":
            return _read_stream(sys.stdin, name or "<stdin>")
        if inputfile.is_url(source):
            return _read_url(source)
        if _looks_like_path(source):
            return _read_path(Path(source))
        return parse_text(source, name or "<string>")
    if hasattr(source, "read"):
        return _read_stream(source, name or str(getattr(source, "name", "<stream>")))
    raise TypeError(f"cannot load manifests from a {type(source).__name__}")


def _read_stream(stream: Any, name: str) -> list[Document]:
    try:
        data = inputfile.read_stream(stream, name)
    except InputError as err:
        return [_unreadable(err)]
    return parse_text(data, name)


def walk(node: Node) -> Iterator[Node]:
    """Every Node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


class SingleDocumentError(ValueError):
    """A file that should hold one YAML or JSON document could not be read as one;
    the message names the file and, where known, the line."""


def load_single_document(path: str | os.PathLike, what: str) -> tuple[Document | None, str]:
    """Read a configuration-like file (a behaviour file, a kubelet configuration)
    that holds one document: through :func:`podnotes.inputfile.read_bytes`
    (3 MiB, pipes against a deadline) and :func:`parse_text` (its limits on
    aliases, nesting and size). ``what`` names the file in messages.

    Returns ``(document or None for an empty file, the name shown in messages)``;
    raises :class:`SingleDocumentError` for an unreadable file, bad YAML, more than
    one document, or a key given twice.
    """
    from podnotes.inputfile import InputError, read_bytes

    try:
        data = read_bytes(path, what=what)
    except InputError as err:
        raise SingleDocumentError(str(err)) from None
    name = "<stdin>" if str(path) == "-" else str(path)
    documents = parse_text(data, name)
    broken = next((d for d in documents if d.error is not None), None)
    if broken is not None:
        where = f"{name}:{broken.error.line}" if broken.error.line else name  # type: ignore[union-attr]
        problem = "not valid YAML" if broken.error.rule == "yaml-syntax" else "cannot be read"  # type: ignore[union-attr]
        raise SingleDocumentError(f"{where}: {problem}: {broken.error.message}")  # type: ignore[union-attr]
    if len(documents) > 1:
        raise SingleDocumentError(f"{name}:{documents[1].line}: {what} holds one document, not {len(documents)}")
    if documents and documents[0].duplicates:
        duplicate = documents[0].duplicates[0]
        raise SingleDocumentError(f"{name}:{duplicate.line}: {duplicate.path}: given twice (first at line "
                                  f"{duplicate.first_line})")
    return (documents[0] if documents else None), name
