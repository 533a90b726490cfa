"""Read kubeconfig files as untrusted input: every problem is a BadKubeconfig naming file, line and field.

A kubeconfig is YAML with three lists of named entries (``clusters``,
``contexts``, ``users``). kubectl's rules, from client-go
(``tools/clientcmd/loader.go`` and ``api/v1/conversion.go``), apply:

- a ``KUBECONFIG`` list is merged file by file, and the first file that names an
  entry wins; files of the list that do not exist are skipped;
- a name used twice in one file is an error ("duplicate name ... in list");
- relative paths inside an entry (``certificate-authority``,
  ``client-certificate``, ``client-key``, ``tokenFile``) are relative to the
  folder of the file that holds the entry.

What podnotes adds, because the file may come from anywhere: a kubeconfig is
at most ``MAX_KUBECONFIG_BYTES`` of UTF-8 YAML in one document, without
aliases (``*name``), duplicate keys or more than ``MAX_DEPTH`` levels of
nesting, and any file it names must be a regular file of at most
``MAX_REFERENCED_BYTES`` (never a FIFO, a device or a directory, which could
block or never end).
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import BadKubeconfig, NoKubeconfig

MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024
MAX_REFERENCED_BYTES = 1024 * 1024
MAX_DEPTH = 20
SECTIONS = {"clusters": "cluster", "contexts": "context", "users": "user"}

_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; else BadKubeconfig.

    Opened without blocking and checked with fstat on the open descriptor (no
    race between check and read); reads at most ``limit + 1`` bytes whatever
    ``st_size`` claims (``/proc`` files report 0).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise BadKubeconfig(f"{what} {path}: {_strerror(err)}") from None
    try:
        mode = os.fstat(fd).st_mode
        for test, kind in _FILE_KINDS:
            if test(mode):
                raise BadKubeconfig(f"{what} {path} is {kind}, not a regular file; refusing to read it")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise BadKubeconfig(f"{what} {path} is larger than {limit // 1024} KiB; refusing to read it")
        return b"".join(chunks)
    except OSError as err:
        raise BadKubeconfig(f"{what} {path}: {_strerror(err)}") from None
    finally:
        os.close(fd)


def _strerror(err: OSError) -> str:
    return err.strerror or errno.errorcode.get(err.errno or 0, str(err))


@dataclass
class Entry:
    """One named entry of a kubeconfig list, with where it came from."""

    section: str  # clusters, contexts, users
    index: int
    name: str
    body: dict  # the inner mapping (``cluster:``, ``context:`` or ``user:``)
    file: Path
    lines: dict = field(repr=False, default_factory=dict)  # field path tuple -> line

    def where(self, *fields: str) -> str:
        """``FILE:LINE: clusters[0].cluster.server`` for a field of this entry (or the entry itself)."""
        path = (self.section, self.index, SECTIONS[self.section], *fields)
        line = None
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line:
                break
        text = f"{self.section}[{self.index}]" + "".join(f".{part}" for part in path[2:])
        return f"{self.file}:{line}: {text}" if line else f"{self.file}: {text}"

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.body.get(key)
        if value is None:
            if required:
                raise BadKubeconfig(f"{self.where()}: {key} is missing")
            return None
        if not isinstance(value, str):
            raise BadKubeconfig(f"{self.where(key)}: expected a string, not {_kind(value)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.body.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise BadKubeconfig(f"{self.where(key)}: expected true or false, not {value!r}")
        return value

    def data(self, key: str) -> bytes | None:
        """A ``*-data`` field: base64 text, decoded."""
        text = self.string(key)
        if text is None:
            return None
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise BadKubeconfig(f"{self.where(key)}: not valid base64") from None

    def file_contents(self, key: str) -> bytes | None:
        """A path field: the file it names (relative to this kubeconfig's folder), read safely."""
        text = self.string(key)
        if text is None or text == "":
            return None
        if "\0" in text:
            raise BadKubeconfig(f"{self.where(key)}: a path cannot contain a NUL character")
        path = Path(text)
        if not path.is_absolute():
            path = self.file.parent / path
        return read_regular_file(path, MAX_REFERENCED_BYTES, f"{self.where(key)}:")


@dataclass
class Kubeconfig:
    """Merged entries of one or more kubeconfig files (first file naming an entry wins)."""

    files: list[Path]
    clusters: dict[str, Entry] = field(default_factory=dict)
    contexts: dict[str, Entry] = field(default_factory=dict)
    users: dict[str, Entry] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return " + ".join(str(path) for path in self.files)


def kubeconfig_paths(explicit: str | os.PathLike | None = None) -> tuple[list[Path], bool]:
    """The kubeconfig files to read and whether the choice was explicit.

    ``explicit``, else ``PODNOTES_KUBECONFIG``, else ``KUBECONFIG`` (a list, like
    kubectl), else ``~/.kube/config``. Of an explicit file, absence is an error;
    of a list, missing members are skipped like kubectl skips them.
    """
    if explicit:
        return [Path(explicit)], True
    for variable in ("PODNOTES_KUBECONFIG", "KUBECONFIG"):
        value = os.environ.get(variable)
        if value:
            return [Path(part) for part in value.split(os.pathsep) if part], False
    return [Path.home() / ".kube" / "config"], False


def load(paths: list[Path], explicit: bool = False) -> Kubeconfig:
    """Read and merge kubeconfig files; raises NoKubeconfig or BadKubeconfig (never a traceback)."""
    existing = []
    for path in paths:
        if explicit or _exists(path):
            existing.append(path)
    if not existing:
        shown = ", ".join(str(p) for p in paths)
        raise NoKubeconfig(f"no kubeconfig found (looked at {shown})",
                           hint="create a cluster with `podnotes kind up` (writes ~/.kube/config), "
                                "or pass --kubeconfig FILE")
    merged = Kubeconfig(files=existing)
    for path in existing:
        if explicit and not _exists(path):
            raise NoKubeconfig(f"no kubeconfig found (looked at {path}, which does not exist)",
                               hint="create a cluster with `podnotes kind up` (writes ~/.kube/config), "
                                    "or pass --kubeconfig FILE")
        for entry in parse(path):
            getattr(merged, entry.section).setdefault(entry.name, entry)
    return merged


def from_mapping(data: dict, path: Path) -> Kubeconfig:
    """A Kubeconfig from an already parsed mapping (no line numbers), checked like a file."""
    if not isinstance(data, dict):
        raise BadKubeconfig(f"{path}: not a kubeconfig: expected a mapping at the top, not {_kind(data)}")
    merged = Kubeconfig(files=[])
    for section, inner in SECTIONS.items():
        for entry in _section(data, section, inner, path, {}):
            getattr(merged, section).setdefault(entry.name, entry)
    return merged


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def parse(path: Path) -> list[Entry]:
    """The entries of one kubeconfig file, checked for shape."""
    raw = read_regular_file(path, MAX_KUBECONFIG_BYTES, "kubeconfig")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadKubeconfig(f"{path}: not a kubeconfig: byte {err.start} is not UTF-8 text "
                            "(is this a binary file?)") from None
    document, lines = _compose(text, path)
    if document is None:
        return []
    if not isinstance(document, dict):
        raise BadKubeconfig(f"{path}:{lines.get((), 1)}: not a kubeconfig: expected a mapping at the top, "
                            f"not {_kind(document)}")
    for key, expected in (("apiVersion", "v1"), ("kind", "Config")):
        if key in document and document[key] not in (expected, None, ""):
            raise BadKubeconfig(f"{path}:{lines.get((key,), 1)}: {key}: expected {expected!r}, "
                                f"not {document[key]!r}")
    entries = []
    for section, inner in SECTIONS.items():
        entries.extend(_section(document, section, inner, path, lines))
    return entries


def _section(document: dict, section: str, inner: str, path: Path, lines: dict) -> list[Entry]:
    items = document.get(section)
    if items is None:
        return []
    if not isinstance(items, list):
        raise BadKubeconfig(f"{path}:{lines.get((section,), 1)}: {section}: expected a list of entries, "
                            f"not {_kind(items)}")
    found: dict[str, int] = {}
    entries = []
    for index, item in enumerate(items):
        here = f"{path}:{lines.get((section, index), 1)}: {section}[{index}]"
        if not isinstance(item, dict):
            raise BadKubeconfig(f"{here}: expected a mapping with name and {inner}, not {_kind(item)}")
        name = item.get("name")
        if name is None or name == "":
            raise BadKubeconfig(f"{here}: the entry has no name")
        if not isinstance(name, str):
            raise BadKubeconfig(f"{path}:{lines.get((section, index, 'name'), 1)}: {section}[{index}].name: "
                                f"expected a string, not {_kind(name)}")
        if name in found:
            raise BadKubeconfig(f"{path}:{lines.get((section, index, 'name'), 1)}: {section}[{index}].name: "
                                f"duplicate name {name!r} (first used by {section}[{found[name]}]); kubectl "
                                "refuses this file too")
        found[name] = index
        body = item.get(inner)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BadKubeconfig(f"{path}:{lines.get((section, index, inner), 1)}: {section}[{index}].{inner}: "
                                f"expected a mapping, not {_kind(body)}")
        entries.append(Entry(section, index, name, body, path, lines))
    return entries


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    names = {dict: "a mapping", list: "a list", bool: "a boolean", int: "a number", float: "a number",
             type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


# --- YAML, with a line for every field --------------------------------------------------------------
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, path: Path) -> tuple[Any, dict]:
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as err:
            raise BadKubeconfig(f"{path}:{_mark_line(err)}: not a readable kubeconfig: {_problem(err)}") from None
        except RecursionError:
            raise BadKubeconfig(f"{path}: not a readable kubeconfig: nested too deeply") from None
        if node is None:
            return None, {}
        lines: dict = {}
        value = _build(loader, node, (), lines, set(), path)
        return value, lines
    finally:
        loader.dispose()


def _build(loader, node, at: tuple, lines: dict, seen: set, path: Path):
    line = node.start_mark.line + 1
    lines[at] = line
    if id(node) in seen:
        raise BadKubeconfig(f"{path}:{line}: {_dotted(at)}: YAML aliases (*name) are not accepted in a kubeconfig")
    seen.add(id(node))
    if len(at) > MAX_DEPTH:
        raise BadKubeconfig(f"{path}:{line}: {_dotted(at)}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, at, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise BadKubeconfig(f"{path}:{key_node.start_mark.line + 1}: {_dotted(at)}: keys must be strings")
            if key in result:
                raise BadKubeconfig(f"{path}:{key_node.start_mark.line + 1}: {_dotted(at + (key,))}: "
                                    "this key appears twice")
            result[key] = _build(loader, value_node, at + (key,), lines, seen, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, at + (index,), lines, seen, path) for index, item in enumerate(node.value)]
    return _scalar(loader, node, at, path)


def _scalar(loader, node, at: tuple, path: Path):
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as err:
        raise BadKubeconfig(f"{path}:{node.start_mark.line + 1}: {_dotted(at) or 'top'}: "
                            f"{_problem(err) if isinstance(err, yaml.YAMLError) else err}") from None


def _dotted(at: tuple) -> str:
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _mark_line(err: yaml.YAMLError) -> int:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return mark.line + 1 if mark is not None else 1


def _problem(err: yaml.YAMLError) -> str:
    return getattr(err, "problem", None) or str(err).splitlines()[0]
