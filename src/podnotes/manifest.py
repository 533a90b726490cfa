"""Load Kubernetes manifests into a located tree, reading them as kubectl does.

kubectl turns a file into the JSON it sends with Go's YAML library
(k8s.io/apimachinery/pkg/util/yaml over sigs.k8s.io/yaml and go-yaml v2), so
this module composes the YAML with PyYAML (libyaml's C parser when available)
but types every scalar the Go way (:mod:`podnotes.goyaml`: ``y`` is ``true``,
``1e3`` is 1000, ``10:30`` stays text), splits documents at ``---`` lines as
kubectl's reader does, reads a file that starts with ``{`` as a stream of JSON
objects, decodes UTF-16 by its byte-order mark and flattens ``List`` objects.
The rules and their upstream sources are tabled in the reference page
"podnotes lint versus the API server". Each value becomes a :class:`Node`
that remembers its file, line, column and API field path
(``spec.containers[0].livenessProbe.httpGet.port``).

Converting, rather than letting PyYAML construct Python objects, is what makes
the input safe to handle: a tag such as ``!!python/object`` is ignored, as Go
ignores it, and nothing is ever constructed from it. Every input is read by
:mod:`podnotes.inputfile` (at most ``MAX_INPUT_BYTES``, pipes against a
deadline), and then stays within budgets that each message names exactly:

* ``MAX_DOCUMENT_BYTES`` per document: the API server's 3 MiB request limit,
  which applies per object since kubectl sends one request per object;
* ``MAX_DOCUMENTS`` documents per input, empty ones included;
* ``MAX_NODES`` values per document and ``MAX_INPUT_NODES`` per input, aliases
  counted every time they are expanded;
* ``MAX_EXPANDED_BYTES`` of scalar text per document once aliases are
  expanded (what kubectl would send as JSON; measured before expanding, so a
  "billion laughs" file stops in microseconds);
* ``MAX_DEPTH`` levels of nesting;
* numbers of at most ``MAX_NUMBER_CHARS`` characters (longer ones stay
  strings, as Go's YAML reader keeps an integer it cannot hold in a float64).

A key set twice (given twice, or again by a merge key) keeps the value kubectl
keeps and is recorded as a :class:`DuplicateKey`, whose message says what
kubectl and a strict raw YAML request each do. Field paths are built only when
asked for (a Node records its own key and its parent's record, never
the parent Node itself, so a tree holds no reference cycle and is freed as
soon as it is dropped), so an expansion that
repeats long keys costs no memory for paths. :func:`iter_load` yields each
document as soon as it is read, so a long stream is checked in flat memory.

Nothing here raises for bad input: every problem becomes a :class:`LoadError`
on a :class:`Document`, so one broken file in a folder never hides the others.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from podnotes import goyaml, inputfile
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
# The API server's request body limit applies per object (kubectl sends one request per object), so it
# limits each document; an input may hold many of them.
MAX_DOCUMENT_BYTES = MAX_BYTES
# The most one input (a file, stdin, a URL) may hold: read whole, then checked document by document.
MAX_INPUT_BYTES = 32 * 1024 * 1024
# Documents per input, empty ones included (``---`` costs the parser as much as
# a small object), and values per input: together they keep one input's
# reading and checking within about a second.
MAX_DOCUMENTS = 20_000
MAX_INPUT_NODES = 1_000_000
MAX_NUMBER_CHARS = goyaml.MAX_NUMBER_CHARS
# The longest key shown in full inside a field path.
_SHOWN_KEY = 64

YAML_SUFFIXES = (".yaml", ".yml", ".json")

_TAG = goyaml.TAG
_STR_TAG = goyaml.STR
_MAP_TAG, _SEQ_TAG = f"{_TAG}map", f"{_TAG}seq"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# The tag of each plain scalar text seen: the composer asks for every scalar, and manifests repeat the same
# few hundred texts (keys, "TCP", "100m" ...), so one dict lookup answers nearly every call.
_plain_tags: dict[str, str] = {}


class _GoResolve:
    """Resolves plain scalars as Go's YAML reader does (:func:`podnotes.goyaml.resolve_plain`), not as YAML 1.1:
    ``y`` is a boolean, ``1e3`` a number, ``10:30`` and ``=`` are strings. A quoted scalar is a string."""

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG
        if not implicit[0]:
            return _STR_TAG
        tag = _plain_tags.get(value)
        if tag is None:
            tag = goyaml.resolve_plain(value)[0]
            if len(_plain_tags) < 50_000 and len(value) < 64:
                _plain_tags[value] = tag
        return tag

    # The composer calls these around every node for path-dependent resolvers, which are never registered
    # here; answering at once saves a lookup through the loader's long class hierarchy per node.
    def descend_resolver(self, current_node, current_index):
        return None

    def ascend_resolver(self):
        return None


class _GoEscapes:
    """The pure-Python scanner with the double-quoted escapes of Go's reader (go-yaml v2 scannerc.go): it has
    ``\\'`` and, being YAML 1.1, not ``\\/``."""

    ESCAPE_REPLACEMENTS = {**{key: value for key, value in yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.items()
                              if key != "/"}, "'": "'"}


class _PureLoader(_GoEscapes, _GoResolve, yaml.SafeLoader):  # type: ignore[misc]
    """The pure-Python reader with Go's resolution and escapes: for inputs with a ``\\'`` escape, which
    libyaml refuses, and where PyYAML has no libyaml."""


try:
    class _Loader(_GoResolve, yaml.CSafeLoader):
        pass
    LIBYAML = True
except AttributeError:  # PyYAML built without libyaml
    _Loader = _PureLoader  # type: ignore[assignment, misc]
    LIBYAML = False


_TAG_NAMES = {goyaml.INT: "an integer", goyaml.FLOAT: "a floating-point number", goyaml.BOOL: "a boolean",
              goyaml.NULL: "null", goyaml.TIMESTAMP: "a timestamp"}


class BadTaggedValue(ValueError):
    """A scalar whose explicit tag it cannot satisfy (``!!int abc``)."""


def construct_scalar(ynode: yaml.ScalarNode) -> Any:
    """The JSON value of a scalar as kubectl's YAML reader types it (:mod:`podnotes.goyaml`).

    A plain scalar resolves as Go resolves it, then takes its JSON form
    (``8080.0`` -> 8080); a quoted one is a string; an explicit tag go-yaml
    knows must fit (``!!int abc`` raises :class:`BadTaggedValue`), one it does
    not know (``!foo``) is ignored.
    """
    return goyaml.to_json(_go_value(ynode))


def _go_value(ynode: yaml.ScalarNode) -> Any:
    """The value go-yaml gives a scalar, before JSON (a float stays a float: a key ``1e6`` is "1e+06")."""
    text = ynode.value
    if ynode.style is None:
        tag, value = goyaml.resolve_plain(text)
        if tag == ynode.tag:
            return text if tag == goyaml.TIMESTAMP else value
    try:
        return goyaml.resolve_tagged(ynode.tag, text)
    except goyaml.TagMismatch as err:
        name = _TAG_NAMES.get(ynode.tag)
        if name is None:
            raise BadTaggedValue(f"kubectl cannot read this value: yaml: {err}") from None
        kubectl = _clip(str(err), 80)
        raise BadTaggedValue(f"`{_clip(text)}` is not {name}, although its tag "
                             f"{goyaml.short_tag(ynode.tag)} says it is (kubectl: yaml: {kubectl})") from None


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else f"{text[:width]}… ({len(text):,} characters)"


class Node:
    """One value of a manifest, with where it came from.

    ``kind`` is ``"map"`` (``value`` is a dict of key to Node), ``"seq"``
    (a list of Nodes) or ``"scalar"`` (a plain Python value, as the JSON kubectl
    sends holds it). ``line`` and ``column`` (1-based) locate the value; ``key_line`` and
    ``key_column`` locate the key it belongs to (the same as the value for list
    items and the root). Nodes built from plain Python data have no position:
    every location attribute is None.

    ``path`` is the API field path (``spec.containers[0].image``). A Node made
    by the loader stores only where it hangs: its own part of the path
    (``.image``, ``[0]``, ``[app.kubernetes.io/name]``) and that record of its parent,
    and builds the text when asked; a key longer than 64 characters is shortened
    in it. The record holds no Node, so a tree has no reference cycle and is freed
    as soon as it is dropped, without waiting for the garbage collector.
    """

    __slots__ = ("value", "kind", "_where", "file", "line", "column", "key_line", "key_column", "tag", "style",
                 "raw")

    def __init__(self, value: Any, kind: str, path: str | None = "", file: str | None = None,
                 line: int | None = None, column: int | None = None,
                 key_line: int | None = None, key_column: int | None = None,
                 tag: str = "", style: str | None = None, raw: str | None = None,
                 *, parent: Node | None = None, segment: str = ""):
        self.value = value
        self.kind = kind
        # [the parent's record or None, this Node's part of the path, its whole path when set explicitly]
        self._where: list[Any] = [None, segment, path] if parent is None else [parent._where, segment, None]
        self.file = file
        self.line = line
        self.column = column
        self.key_line = line if key_line is None else key_line
        self.key_column = column if key_column is None else key_column
        self.tag = tag
        self.style = style
        self.raw = raw  # the scalar as written, before it is typed (``yes`` -> True)

    @property
    def path(self) -> str:
        where = self._where
        if where[2] is not None:
            return where[2]
        parts = []
        while where is not None and where[2] is None:
            parts.append(where[1])
            where = where[0]
        text = where[2] if where is not None else ""
        for segment in reversed(parts):
            text = (segment[1:] if not text else text + segment) if segment.startswith(".") else text + segment
        return text

    @path.setter
    def path(self, value: str) -> None:
        self._where[2] = value

    @property
    def nested(self) -> bool:
        """Whether this Node was made inside another one (an item of a ``List`` is, though it is a root)."""
        return self._where[0] is not None

    def bracket_key(self, key: str) -> None:
        """Write this map entry's key in brackets (``limits[memory]``), as the server does for map fields."""
        if self._where[0] is not None:
            self._where[1] = f"[{_shown_key(key)}]"
        else:
            base, _, _ = self.path.rpartition(".")
            self._where[2] = f"{base}[{_shown_key(key)}]"

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
        if self.kind != "map":
            return default
        child = self.value.get(key)
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
    """A key set twice in one mapping: given twice, or also set by a merge key (``<<``).

    The two ways to send a manifest disagree about it, and ``message``
    says both: kubectl reads the file with go-yaml v2's lenient decoding
    (k8s.io/apimachinery/pkg/util/yaml YAMLOrJSONDecoder over sigs.k8s.io/yaml
    Unmarshal), keeps the value set last and sends JSON, which the API server
    accepts; a raw YAML request body with ``fieldValidation=Strict`` is read with
    ``YAMLToJSONStrict`` and refused with :attr:`server_message`. The loader
    keeps the value kubectl keeps.
    """

    key: str
    path: str
    first_line: int
    first_column: int
    line: int
    column: int
    value_line: int | None = None  # go-yaml's strict error names the line of the value set second
    merge_line: int | None = None  # the line of the merge key (<<) that set it the second time, if any
    first_merge_line: int | None = None  # the line of the merge key (<<) that set it the first time, if any

    @property
    def message(self) -> str:
        """The finding when kubectl reads the file (``podnotes lint --reading kubectl``)."""
        return f"{self._how()}; sent as a YAML request body with fieldValidation=Strict, the API server refuses " \
               "it, and other tools may keep the other value"

    @property
    def raw_message(self) -> str:
        """The finding when the file is the request body (``--reading raw``): the server refuses it."""
        where = self._how().partition(": kubectl")[0]
        return (f"{where}: sent as the YAML request body with fieldValidation=Strict, the API server refuses "
                "the object (kubectl would send the value set last, and the server would accept it)")

    def _how(self) -> str:
        shown = _clip(self.key)
        if self.merge_line is None and self.first_merge_line is not None:
            how = (f"`{shown}` replaces the value merged by the merge key (<<) at line {self.first_merge_line}: "
                   "kubectl keeps this value and the API server accepts the object")
        elif self.merge_line is not None:
            how = (f"`{shown}` (line {self.first_line}) is set again by the merge key (<<) at line "
                   f"{self.merge_line}: kubectl keeps the value set last (go-yaml sets merged keys where the "
                   "`<<` stands, so it replaces a key written before it) and the API server accepts the object")
        else:
            how = (f"`{shown}` is given twice in this mapping (first at line {self.first_line}, column "
                   f"{self.first_column}): kubectl keeps the second value and the API server accepts the object")
        return how

    @property
    def server_message(self) -> str:
        """What the API server answers to the raw YAML body with fieldValidation=Strict."""
        return (f"error converting YAML to JSON: yaml: unmarshal errors:\n  line {self.value_line or self.line}: "
                f"key \"{_clip(self.key)}\" already set in map")


@dataclass
class LoadError:
    """Why a document could not be read at all."""

    rule: str  # yaml-syntax, yaml-limit, yaml-tag, unreadable
    message: str
    line: int | None = None
    column: int | None = None
    path: str = ""  # the field path where reading stopped, when known (the value nested too deeply)
    # the input as a whole could not be read (missing, unreadable, too large, binary): it holds no document
    whole_input: bool = False


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
    def __init__(self, rule: str, message: str, line: int | None, column: int | None, path: str = ""):
        super().__init__(message)
        self.error = LoadError(rule, message, line, column, path)


def _at(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Converter:
    """Turns one composed PyYAML node graph into a Node tree, within limits.

    ``max_nodes`` is what is left of the document's and the input's value budgets.
    """

    def __init__(self, file: str, max_nodes: int = MAX_NODES, first_line: int = 1, first_column: int = 1):
        self.file = file
        self.nodes = 0
        self.max_nodes = max_nodes
        self.duplicates: list[DuplicateKey] = []
        # where the composed text starts in the input (a JSON object of a JSON stream is composed alone)
        self.line_offset = first_line - 1
        self.column_offset = first_column - 1

    def _at(self, mark: yaml.Mark) -> tuple[int, int]:
        return (mark.line + 1 + self.line_offset,
                mark.column + 1 + (self.column_offset if mark.line == 0 else 0))

    def convert(self, ynode: yaml.Node, parent: Node | None, segment: str, depth: int,
                key_mark: yaml.Mark | None = None) -> Node:
        # the hottest function of reading: one call per value, so attribute lookups are kept local
        self.nodes += 1
        mark = ynode.start_mark
        if self.nodes > self.max_nodes:
            raise _LimitExceeded("yaml-limit", _too_many_values(self.max_nodes), *self._at(mark))
        if depth > MAX_DEPTH:
            raise _LimitExceeded("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels", *self._at(mark),
                                 path=_joined(parent.path, segment) if parent is not None else segment)
        line_offset = self.line_offset
        mark_line = mark.line
        line = mark_line + 1 + line_offset
        column = mark.column + 1 + (self.column_offset if mark_line == 0 else 0)
        if key_mark is None:
            key_line, key_column = line, column
        else:
            key_line = key_mark.line + 1 + line_offset
            key_column = key_mark.column + 1 + (self.column_offset if key_mark.line == 0 else 0)
        kind = ynode.__class__
        tag = ynode.tag
        if kind is _SCALAR:
            if tag == _STR_TAG:
                value = ynode.value  # most scalars: nothing to construct
            else:
                try:
                    value = construct_scalar(ynode)  # type: ignore[arg-type]
                except BadTaggedValue as err:
                    raise _LimitExceeded("yaml-tag", str(err), line, column) from None
            return Node(value, "scalar", "", self.file, line, column, key_line, key_column, tag, ynode.style,  # type: ignore[attr-defined]
                        ynode.value, parent=parent, segment=segment)
        if kind is _SEQUENCE:
            node = Node(None, "seq", "", self.file, line, column, key_line, key_column, tag,
                        parent=parent, segment=segment)
            convert, depth = self.convert, depth + 1
            node.value = [convert(item, node, _INDEX_SEGMENTS[index] if index < 1024 else f"[{index}]", depth)
                          for index, item in enumerate(ynode.value)]
            return node
        node = Node(None, "map", "", self.file, line, column, key_line, key_column, tag, parent=parent,
                    segment=segment)
        entries: dict[str, Node] = {}
        node.value = entries
        self._fill(ynode, node, depth, entries, {}, None)  # type: ignore[arg-type]
        return node

    def _fill(self, ynode: yaml.MappingNode, node: Node, depth: int, entries: dict[str, Node],
              origins: dict[str, yaml.Node | tuple[yaml.Node, yaml.Mark]], merge_mark: yaml.Mark | None) -> None:
        """Set the pairs of ``ynode`` into ``entries`` in go-yaml v2's order (decode.go ``mapping``):
        a later value replaces an earlier one, and a merge key (``<<``) sets the merged keys where it stands,
        replacing keys given before it. Every replacement is recorded: Go's strict reading refuses each one.

        ``origins`` holds, per key, the key node that set it last, paired with the merge key's mark when a
        merge key set it."""
        convert, segments, depth = self.convert, _segments, depth + 1
        file, line_offset, column_offset = self.file, self.line_offset, self.column_offset
        for key_node, value_node in ynode.value:
            if key_node.__class__ is _SCALAR and key_node.tag == _STR_TAG:
                key = key_node.value  # the common case: a string key, nothing to resolve
                if key == "<<" and _is_merge(key_node):
                    self._merge(value_node, node, depth - 1, entries, origins, key_node.start_mark)
                    continue
            else:
                if key_node.value == "<<" and _is_merge(key_node):
                    self._merge(value_node, node, depth - 1, entries, origins, key_node.start_mark)
                    continue
                key = self._key(key_node, node, depth - 1)
            segment = segments.get(key) or _segment(key)
            if key in entries:
                self._duplicate(key, node, segment, origins[key], key_node, value_node, merge_mark)
            origins[key] = key_node if merge_mark is None else (key_node, merge_mark)
            if value_node.__class__ is _SCALAR and value_node.tag == _STR_TAG and depth <= MAX_DEPTH:
                # most values: a string scalar, built here without a call of convert (the same Node it builds)
                self.nodes += 1
                mark, key_mark = value_node.start_mark, key_node.start_mark
                if self.nodes > self.max_nodes:
                    raise _LimitExceeded("yaml-limit", _too_many_values(self.max_nodes), *self._at(mark))
                mark_line, key_line = mark.line, key_mark.line
                text = value_node.value
                entries[key] = Node(text, "scalar", "", file, mark_line + 1 + line_offset,
                                    mark.column + 1 + (column_offset if mark_line == 0 else 0),
                                    key_line + 1 + line_offset,
                                    key_mark.column + 1 + (column_offset if key_line == 0 else 0),
                                    _STR_TAG, value_node.style, text, parent=node, segment=segment)
                continue
            entries[key] = convert(value_node, node, segment, depth, key_node.start_mark)

    def _duplicate(self, key: str, node: Node, segment: str, origin: yaml.Node | tuple[yaml.Node, yaml.Mark],
                   key_node: yaml.Node, value_node: yaml.Node, merge_mark: yaml.Mark | None) -> None:
        first, first_merge = origin if isinstance(origin, tuple) else (origin, None)
        self.duplicates.append(DuplicateKey(
            key, _joined(node.path, segment), *self._at(first.start_mark), *self._at(key_node.start_mark),
            value_line=self._at(value_node.start_mark)[0],
            merge_line=self._at(merge_mark)[0] if merge_mark is not None else None,
            first_merge_line=self._at(first_merge)[0] if first_merge is not None else None))

    def _key(self, key_node: yaml.Node, node: Node, depth: int) -> str:
        """A mapping key as sigs.k8s.io/yaml writes it in JSON (``1`` -> "1", ``y`` -> "true")."""
        if not isinstance(key_node, yaml.ScalarNode):
            raise _LimitExceeded("yaml-syntax", "a mapping key must be a plain value, not a list or mapping "
                                 "(kubectl: yaml: invalid map key)", *self._at(key_node.start_mark))
        if key_node.tag == _STR_TAG:
            return key_node.value  # the common case: no Node needed for a plain key
        try:
            return goyaml.key_text(_go_value(key_node))
        except BadTaggedValue as err:
            raise _LimitExceeded("yaml-tag", str(err), *self._at(key_node.start_mark)) from None
        except goyaml.UnsupportedKey as err:
            raise _LimitExceeded("yaml-syntax", f"the key `{_clip(key_node.value)}` cannot be a JSON key, so "
                                 f"kubectl refuses the document ({err})", *self._at(key_node.start_mark)) from None

    def _merge(self, value_node: yaml.Node, node: Node, depth: int, entries: dict[str, Node],
               origins: dict[str, yaml.Node | tuple[yaml.Node, yaml.Mark]], merge_mark: yaml.Mark) -> None:
        """Apply a ``<<`` merge key as go-yaml v2 does (decode.go ``merge``): one mapping is set in place; a
        list of mappings is set last to first, so the first one that names a key wins."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise _LimitExceeded("yaml-syntax", "a merge key (<<) must refer to a mapping or a list of "
                                     "mappings (kubectl: map merge requires map or sequence of maps as the value)",
                                     *self._at(source.start_mark))
            if depth + 1 > MAX_DEPTH:
                raise _LimitExceeded("yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels",
                                     *self._at(source.start_mark), path=node.path)
            self._fill(source, node, depth + 1, entries, origins, merge_mark)


_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode
_INDEX_SEGMENTS = tuple(f"[{index}]" for index in range(1024))


def _is_merge(key_node: yaml.Node) -> bool:
    """go-yaml v2 isMerge: a key ``<<`` that is plain, or tagged ``!!merge``."""
    return (isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<"
            and (key_node.style is None or key_node.tag == goyaml.MERGE))


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


_segments: dict[str, str] = {}


def _shown_key(key: str) -> str:
    if len(key) <= _SHOWN_KEY:
        return key
    return f"{key[:_SHOWN_KEY - 16]}…({len(key):,} characters)"


def _segment(key: str) -> str:
    """A key's part of a field path: ``.image`` for a plain name, ``[app.kubernetes.io/name]`` otherwise."""
    segment = _segments.get(key)
    if segment is None:
        plain = bool(_IDENTIFIER.match(key)) and len(key) <= _SHOWN_KEY
        segment = f".{key}" if plain else f"[{_shown_key(key)}]"
        if len(_segments) < 10_000 and len(key) <= _SHOWN_KEY:
            _segments[key] = segment
    return segment


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
    opened = getattr(error, "context_mark", None)
    if context and opened is not None and (opened.line + 1, opened.column + 1) != (line, column):
        # The problem is often found only at the end of the input; where the unclosed part began is the clue.
        context = f"{context} that starts at line {opened.line + 1}, column {opened.column + 1}"
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
    if len(data) > MAX_INPUT_BYTES:
        return LoadError("yaml-limit", f"the input is {len(data):,} bytes, more than the {MAX_INPUT_BYTES:,} "
                         "(32 MiB) one input may hold here: split it into several files", None, None,
                         whole_input=True)
    text = goyaml.decode_bytes(data)
    if "\0" in text[:8192]:
        return LoadError("unreadable", "binary data, not a YAML text file (kubectl: yaml: control characters are "
                         "not allowed)", None, None, whole_input=True)
    return text


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


# Where an anchor (``&name``) may start: at a line start, after white space or a flow indicator. A document
# without one has no alias either (the composer refuses an alias to no anchor), so nothing can expand.
_ANCHOR = re.compile(r"(?:^|[\s\[\]{},:])&", re.MULTILINE)

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




def _may_exceed_value_budget(text: str, limit: int) -> bool:
    """Whether a document could hold more than ``limit`` values: then it is scanned event by
    event before it is composed, so it is refused after a cheap pass (libyaml's events cost
    about a third of composing them) instead of after building all its nodes.

    Every value after the first needs one of these characters before it (a line
    break, ``,``, ``:``, ``-``, ``[`` or ``{``), so their count bounds the number
    of values; most inputs are far below it and skip the scan.
    """
    bound = 1 + sum(text.count(char) for char in "\n,:-[{")
    return bound > limit


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
    """Parse a manifest input (YAML documents, or a stream of JSON objects) into located Documents, as
    kubectl reads it (k8s.io/apimachinery/pkg/util/yaml YAMLOrJSONDecoder, then the kubectl builder):

    * bytes are decoded by byte-order mark (UTF-8, UTF-16 LE or BE; :func:`podnotes.goyaml.decode_bytes`);
    * an input whose first non-space character is ``{`` is a stream of JSON objects, one document each; if
      the second object is not JSON, the rest is read as YAML (two or more objects and then junk: an error);
    * empty, comment-only and ``null`` documents are skipped, as a trailing ``---`` is;
    * an object with an ``items`` field (``kind: List``, ``PodList`` ...) stands for its items, a List
      among them for its own items: each is a Document whose field paths start ``items[N]``; ``items``
      that is not a list, or an item that is not a mapping, is an error as kubectl reports it;
    * scalars are typed as Go's YAML reader types them (:mod:`podnotes.goyaml`).

    Never raises for bad input: each problem is a Document with a
    :class:`LoadError` (rule ``yaml-syntax``, ``yaml-limit``, ``yaml-tag``,
    ``not-an-object`` or ``unreadable``) naming the limit it exceeds and, where
    known, its line. An input with more than ``MAX_DOCUMENTS`` documents or
    ``MAX_INPUT_NODES`` values is refused as a whole, with one error.
    """
    if isinstance(text, bytes):
        checked = _check_text(text)
        if isinstance(checked, LoadError):
            return [Document(file, 0, None, error=checked)]
        text = checked
    elif len(text) > MAX_INPUT_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        return [Document(file, 0, None, error=LoadError(
            "yaml-limit", f"the input is larger than {MAX_INPUT_BYTES:,} bytes (32 MiB), the most one input may "
            "hold here: split it into several files"))]
    reading = _Reading(file, text[1:] if text.startswith("\ufeff") else text)
    documents = list(reading.run())
    if reading.refused is not None:
        return [Document(file, 0, None, error=reading.refused)]
    return documents


def iter_text(text: str | bytes, file: str = "<string>") -> Iterator[Document]:
    """:func:`parse_text`, one document at a time: what has been yielded is not kept, so memory stays flat
    in the number of documents. An input refused as a whole ends with the error after the documents read
    before the refusal."""
    if isinstance(text, bytes):
        checked = _check_text(text)
        if isinstance(checked, LoadError):
            yield Document(file, 0, None, error=checked)
            return
        text = checked
    elif len(text) > MAX_INPUT_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        yield Document(file, 0, None, error=LoadError(
            "yaml-limit", f"the input is larger than {MAX_INPUT_BYTES:,} bytes (32 MiB), the most one input may "
            "hold here: split it into several files"))
        return
    yield from _Reading(file, text[1:] if text.startswith("\ufeff") else text).run()


class _Reading:
    """One input on its way to Documents, with the budgets it has left."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text
        self.documents: list[Document] = []
        self.seen = 0
        self.values_left = MAX_INPUT_NODES
        self.refused: LoadError | None = None
        self.emitted = 0

    def _index(self) -> int:
        return self.emitted + len(self.documents)

    def _drain(self) -> list[Document]:
        ready, self.documents = self.documents, []
        self.emitted += len(ready)
        return ready

    def run(self) -> Iterator[Document]:
        """The documents, each as soon as it is read; a refusal of the whole input ends with its error."""
        yaml_from = self.json_stream() if _first_character(self.text) == "{" else 0
        yield from self._drain()
        if yaml_from is not None and self.refused is None:
            yield from self.yaml(yaml_from)
        if self.refused is not None:
            yield Document(self.file, self._index(), None, error=self.refused)

    def _count_document(self, line: int | None, column: int | None) -> bool:
        self.seen += 1
        if self.seen > MAX_DOCUMENTS:
            self.refused = LoadError(
                "yaml-limit", f"this input holds more than {MAX_DOCUMENTS:,} documents (empty ones count), "
                "the most one input may hold here: split it into several files", line, column)
            return False
        return True

    # --- a stream of JSON objects -------------------------------------------
    def json_stream(self) -> int | None:
        """Read the JSON objects at the start of the input; the offset where YAML takes over, or None."""
        text = self.text
        decoder = json.JSONDecoder(parse_constant=_no_json_constant)
        position = _skip_json_space(text, 0)
        objects = 0
        while position < len(text):
            try:
                _, end = decoder.raw_decode(text, position)
            except (ValueError, RecursionError) as err:
                if objects > 1:
                    line, column = _position(text, position)
                    self.documents.append(Document(self.file, self._index(), None, line, error=LoadError(
                        "yaml-syntax", f"after {objects} JSON objects, this is not JSON, so kubectl stops reading "
                        f"the file here ({_clip(str(err), 80)})", line, column)))
                    return None
                return _after_first_newline(text, position)
            objects += 1
            line, column = _position(text, position)
            if not self._count_document(line, column):
                return None
            self._compose(text[position:end], line, column)
            if self.refused is not None:
                return None
            position = _skip_json_space(text, end)
        return None

    # --- YAML documents -------------------------------------------------------
    def yaml(self, start: int) -> Iterator[Document]:
        """Read YAML from ``start``: split into documents at ``---`` lines as kubectl's YAMLReader does
        (k8s.io/apimachinery/pkg/util/yaml), then read each document alone, within its own budgets."""
        text = self.text
        if start:
            line, column = _position(text, start)
            text = "\n" * (line - 1) + " " * (column - 1) + text[start:]
        chunks = _split_documents(text)
        if len(chunks) > MAX_DOCUMENTS:
            self.refused = LoadError(
                "yaml-limit", f"this input holds more than {MAX_DOCUMENTS:,} documents (empty ones count), "
                "the most one input may hold here: split it into several files", *_position(text, chunks[-1][1]))
            return
        for first_line, begin, end, problem in chunks:
            if problem is not None:
                self.documents.append(Document(self.file, self._index(), None, first_line, error=LoadError(
                    "yaml-syntax", f"{problem}: kubectl stops reading the file here (a `---` line may be "
                    "followed by a comment only; start the document on the next line)", first_line, 4)))
                yield from self._drain()
                return
            if end - begin > MAX_DOCUMENT_BYTES // 4 and _utf8_size(text, begin, end) > MAX_DOCUMENT_BYTES:
                self.documents.append(Document(self.file, self._index(), None, first_line, error=LoadError(
                    "yaml-limit", f"this document is larger than {MAX_DOCUMENT_BYTES:,} bytes (3 MiB), the most "
                    "the API server accepts per request (kubectl sends one request per object)", first_line, 1)))
                yield from self._drain()
                continue
            self._yaml_document(text[begin:end], first_line)
            if self.refused is not None:
                return
            yield from self._drain()

    def _yaml_document(self, chunk: str, first_line: int) -> None:
        """One document's text (go-yaml reads only its first document, as kubectl's decoder does)."""
        if not chunk.strip():
            return
        # libyaml refuses Go's \' escape and takes \/, which Go refuses
        loader = _PureLoader if LIBYAML and ("\\'" in chunk or "\\/" in chunk) else _Loader
        file = self.file
        pure = loader is not _Loader or not LIBYAML
        shift = first_line - 1
        try:
            if pure and _flow_depth_exceeds_limit(chunk):
                self.documents.append(Document(file, self._index(), None, first_line, error=LoadError(
                    "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels", first_line, None)))
                return
            if pure or _may_exceed_value_budget(chunk, min(MAX_NODES, self.values_left)):
                # the pure-Python composer recurses, so it must never see nesting beyond the limit
                exceeded = _scan_events(chunk, loader)
                if exceeded is not None:
                    self.documents.append(Document(file, self._index(), None, first_line,
                                                   error=_shifted(exceeded, shift)))
                    return
            ynode = next(iter(yaml.compose_all(chunk, Loader=loader)), None)
            if ynode is None:
                return
            line, column = _at(ynode.start_mark)
            if "*" in chunk and _ANCHOR.search(chunk):
                budget = min(MAX_NODES, self.values_left)
                problem = _expansion_problem(_expanded_size(ynode), budget)
                if problem is not None:
                    if budget < MAX_NODES:
                        self.refused = LoadError("yaml-limit", problem)
                        return
                    self.documents.append(Document(file, self._index(), None, line + shift, error=LoadError(
                        "yaml-limit", problem, line + shift, column)))
                    return
            self._convert(ynode, _Converter(file, min(MAX_NODES, self.values_left), first_line))
        except yaml.YAMLError as err:
            self.documents.append(Document(file, self._index(), None, first_line,
                                           error=_with_hint(_shifted(_syntax_error(err), shift), self.text)))
        except RecursionError:
            self.documents.append(Document(file, self._index(), None, first_line, error=LoadError(
                "yaml-limit", f"values are nested deeper than {MAX_DEPTH} levels")))

    def _compose(self, part: str, line: int, column: int) -> None:
        """One JSON object, composed alone and placed at its line and column."""
        try:
            ynode = yaml.compose(part, Loader=_Loader)
        except yaml.YAMLError:
            ynode = None
        if ynode is None:  # JSON that YAML does not read (a tab inside a line ...): without positions
            try:
                root = from_python(json.loads(part), self.file)
            except (ValueError, RecursionError) as err:
                self.documents.append(Document(self.file, self._index(), None, line, error=LoadError(
                    "yaml-limit", str(err), line, column)))
                return
            self._add(Document(self.file, self._index(), root, line, text=self.text))
            return
        self._convert(ynode, _Converter(self.file, min(MAX_NODES, self.values_left), line, column))

    def _convert(self, ynode: yaml.Node, converter: _Converter) -> None:  # type: ignore[name-defined]
        line, column = converter._at(ynode.start_mark)
        budget = converter.max_nodes
        try:
            root = converter.convert(ynode, None, "", 0)
        except _LimitExceeded as limit:
            if budget < MAX_NODES and converter.nodes > budget:
                self.refused = LoadError("yaml-limit", limit.error.message)
                return
            self.documents.append(Document(self.file, self._index(), None, line,
                                           error=_with_hint(limit.error, self.text)))
            return
        self.values_left -= converter.nodes
        if root.kind == "scalar" and root.value is None:
            return  # an empty, comment-only or null document: kubectl skips it
        self._add(Document(self.file, self._index(), root, line, converter.duplicates, text=self.text))

    def _add(self, document: Document) -> None:
        """Add a document, or the items it stands for when it is a list (kubectl's FlattenListVisitor)."""
        root = document.root
        items = root.get("items") if root is not None and root.kind == "map" else None
        if items is None:
            self.documents.append(document)
            return
        if items.kind == "scalar" and items.value is None:
            return  # `items: null` is a list of no items to kubectl (its detector sees the raw `null`)
        if items.kind != "seq":
            self.documents.append(replace(document, root=None, line=items.line, error=LoadError(
                "not-an-object", f"`items` must be a list of objects, as in every `kind: List`; kubectl refuses "
                f"this one (json: cannot unmarshal {_json_kind(items)} into Go struct field decodeList.items of "
                "type []json.RawMessage)", items.line, items.column)))
            return
        duplicates = document.duplicates
        refused = any(item.kind != "map" for item in items.value)  # kubectl then sends none of the items
        for item in items.value:
            if refused and item.kind == "map":
                continue
            if item.kind != "map":
                self.documents.append(Document(self.file, self._index(), None, item.line, error=LoadError(
                    "not-an-object", f"{item.path} must be an object (a mapping with apiVersion and kind); kubectl "
                    f"refuses the whole list (json: cannot unmarshal {_json_kind(item)} into Go value of type "
                    "map[string]interface {})", item.line, item.column)))
                continue
            if item.get("items") is not None:  # a List inside a List: kubectl flattens it too
                self._add(Document(self.file, self._index(), item, item.line or document.line, duplicates,
                                   text=self.text))
            else:
                self.documents.append(Document(self.file, self._index(), item, item.line or document.line,
                                               duplicates, text=self.text))
            duplicates = []


# A line that starts with ``---``, and a run of consecutive separator lines whose rest is blank or a comment
# (kubectl's YAMLReader accepts those): a run holds no document, so it is passed in one step.
_SEPARATOR = re.compile(r"^---", re.MULTILINE)
# (at most 4,096 lines per match: the engine keeps state per repetition, so an unbounded run would cost memory
# in proportion to its length)
_SEPARATOR_RUN = re.compile(r"(?:^---[^\S\n]*(?:#[^\n]*)?(?:\n|\Z)){1,4096}", re.MULTILINE)


def _split_documents(text: str) -> list[tuple[int, int, int, str | None]]:
    """The documents of a YAML stream as kubectl's YAMLReader splits them: at every line that starts with
    ``---``; what follows ``---`` on that line must be blank or a comment, anything else is kubectl's error
    "invalid Yaml document separator", returned instead of the document before it
    (k8s.io/apimachinery/pkg/util/yaml/decoder.go YAMLReader.Read).

    Returns ``(first line, start offset, end offset, problem or None)`` per document, separator lines
    excluded; nothing between two separators is no document. Linear in the text, and a run of separators is
    passed a few thousand at a time, so 700,000 empty documents cost no Python loop each.
    """
    chunks: list[tuple[int, int, int, str | None]] = []
    begin, line = 0, 1
    while (found := _SEPARATOR.search(text, begin)) is not None:
        start = found.start()
        separator_line = line + text.count("\n", begin, start)
        if start > begin:
            chunks.append((line, begin, start, None))
        run = _SEPARATOR_RUN.match(text, start)
        if run is None:
            end_of_line = text.find("\n", start)
            end_of_line = len(text) if end_of_line < 0 else end_of_line
            rest = text[start + 3:end_of_line].strip()
            if chunks and chunks[-1][2] == start:
                chunks.pop()  # kubectl's reader returns the error instead of the document before it
            chunks.append((separator_line, start, end_of_line, f"invalid Yaml document separator: {_clip(rest)}"))
            return chunks
        begin, line = run.end(), separator_line + text.count("\n", start, run.end())
    if begin < len(text):
        chunks.append((line, begin, len(text), None))
    return chunks


def _utf8_size(text: str, begin: int, end: int) -> int:
    """Bytes of ``text[begin:end]`` in UTF-8, encoding only when the length alone cannot tell."""
    if end - begin > MAX_DOCUMENT_BYTES:
        return end - begin  # at least one byte per character: too large, whatever the characters
    return len(text[begin:end].encode("utf-8", "surrogatepass"))


def _first_character(text: str) -> str:
    """The first character that is not white space (kubectl's JSON sniffing, unicode.IsSpace), or ""."""
    position = 0
    while position < len(text) and text[position].isspace():
        position += 1
    return text[position:position + 1]


def _shifted(error: LoadError, lines: int) -> LoadError:
    return replace(error, line=error.line + lines) if error.line is not None and lines else error


def _json_kind(node: Node) -> str:
    """How encoding/json names the JSON type of a value in "cannot unmarshal X into"."""
    if node.kind == "map":
        return "object"
    if node.kind == "seq":
        return "array"
    if isinstance(node.value, bool):
        return "bool"
    if isinstance(node.value, (int, float)):
        return "number"
    return "string"


def _no_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON_SPACE = " \t\r\n"


def _skip_json_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _JSON_SPACE:
        position += 1
    return position


def _after_first_newline(text: str, position: int) -> int:
    """Where the YAML decoder starts after JSON: whitespace is eaten up to and including the first newline
    (YAMLOrJSONDecoder.consumeWhitespace)."""
    while position < len(text) and text[position].isspace():
        position += 1
        if text[position - 1] == "\n":
            break
    return position


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


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


_INPUT_BUDGET = inputfile.Budget(limit=MAX_INPUT_BYTES)


def yaml_files(folder: Path) -> list[Path]:
    """The manifest files under ``folder``, in a stable order (folders that cannot be listed are skipped)."""
    return inputfile.files_under(folder, YAML_SUFFIXES)[0]


def _unreadable(error: InputError) -> Document:
    rule = "yaml-limit" if error.too_large else "unreadable"
    return Document(error.file, 0, None, error=LoadError(rule, error.message, whole_input=True))


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
        data = inputfile.read_bytes(path, _INPUT_BUDGET, what="the manifest")
    except InputError as err:
        return [_unreadable(err)]
    return parse_text(data, str(path))


def _read_url(url: str) -> list[Document]:
    try:
        data = inputfile.read_url(url, replace(inputfile.URL_BUDGET, limit=MAX_INPUT_BYTES))
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


def iter_load(source: Any, *, name: str | None = None) -> Iterator[Document]:
    """:func:`load`, one document at a time for files, folders, URLs, stdin (``"-"``), bytes and YAML text, so
    a long stream is checked and dropped document by document; other sources as :func:`load` gives them."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield from iter_text(bytes(source), name or "<bytes>")
    elif isinstance(source, str) and source == "-":
        yield from _iter_data(lambda: inputfile.read_stream(sys.stdin, name or "<stdin>", _INPUT_BUDGET),
                              name or "<stdin>")
    elif isinstance(source, str) and inputfile.is_url(source):
        yield from _iter_data(lambda: inputfile.read_url(source, replace(inputfile.URL_BUDGET,
                                                                         limit=MAX_INPUT_BYTES)), source)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        if inputfile.kind_of(path) == "dir":
            files, problems = inputfile.files_under(path, YAML_SUFFIXES)
            yield from (_unreadable(problem) for problem in problems)
            for child in files:
                yield from _iter_data(lambda child=child: inputfile.read_bytes(child, _INPUT_BUDGET,
                                                                               what="the manifest"), str(child))
        else:
            yield from _iter_data(lambda: inputfile.read_bytes(path, _INPUT_BUDGET, what="the manifest"), str(path))
    elif isinstance(source, str):
        yield from iter_text(source, name or "<string>")
    else:
        yield from load(source, name=name)


def _iter_data(read: Any, name: str) -> Iterator[Document]:
    try:
        data = read()
    except InputError as err:
        yield _unreadable(err)
        return
    yield from iter_text(data, name)


def _read_stream(stream: Any, name: str) -> list[Document]:
    try:
        data = inputfile.read_stream(stream, name, _INPUT_BUDGET)
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
