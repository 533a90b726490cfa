"""The participant list: who takes part, and the namespace each gets.

A list is plain text, one participant a line: a login name, then optionally
the name to print on the sheet (``alice  Alice Liu``). Blank lines and lines
starting with ``#`` are skipped. A login name must be a DNS-1123 label
(lower-case letters, digits and ``-``, starting with a letter, ending with a
letter or digit), because it becomes part of a namespace name, which the API
server checks with the same rule (``ValidateNamespaceName`` in
k8s.io/apimachinery/pkg/api/validation, ``IsDNS1123Label``).

Every problem raises :class:`ParticipantError` naming the file, the line and
what is wrong; the file goes through :mod:`podnotes.inputfile` (3 MiB, a
deadline for pipes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podnotes.inputfile import Budget, InputError, read_bytes

MAX_PARTICIPANTS = 200
MAX_NAMESPACE_LENGTH = 63  # a namespace name is a DNS-1123 label: at most 63 characters
_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LIST_BUDGET = Budget(limit=256 * 1024)


class ParticipantError(ValueError):
    """A participant list or workshop name that cannot be used; the message names file and line."""


@dataclass(frozen=True)
class Participant:
    """One person: ``name`` (a DNS-1123 label), ``display`` (what the sheet prints), ``namespace``."""

    name: str
    display: str
    namespace: str


def check_workshop_name(name: str) -> str:
    """``name`` if it can prefix namespace names (a DNS-1123 label of at most 20 characters)."""
    if not isinstance(name, str) or not _LABEL.match(name) or len(name) > 20:
        raise ParticipantError(
            f"workshop name {str(name)[:80]!r} is not a DNS-1123 label of at most 20 characters (lower-case "
            "letters, digits and '-', starting with a letter); it prefixes every namespace name")
    return name


def namespace_for(workshop: str, participant: str) -> str:
    return f"{workshop}-{participant}"


def parse(text: str, workshop: str, source: str = "<participants>") -> list[Participant]:
    """The participants of ``text`` (one a line), in order. Raises ParticipantError for an invalid or
    duplicate name, naming ``source`` and the line; at most MAX_PARTICIPANTS."""
    check_workshop_name(workshop)
    found: list[Participant] = []
    first_line: dict[str, int] = {}
    longest = MAX_NAMESPACE_LENGTH - len(workshop) - 1
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        name = words[0]
        where = f"{source}:{number}"
        if not _LABEL.match(name):
            raise ParticipantError(
                f"{where}: {name[:80]!r} is not a valid participant name: use lower-case letters, digits and "
                "'-', starting with a letter and ending with a letter or digit (it becomes part of a "
                "namespace name, a DNS-1123 label)")
        if len(name) > longest:
            raise ParticipantError(f"{where}: {name[:80]!r} is {len(name)} characters; with the workshop name "
                                   f"{workshop!r} a participant name may have at most {longest}")
        if name in first_line:
            raise ParticipantError(f"{where}: {name!r} is listed twice (first on line {first_line[name]}); "
                                   "each participant needs a name of their own")
        first_line[name] = number
        display = words[1].strip() if len(words) > 1 else name
        found.append(Participant(name, display[:80], namespace_for(workshop, name)))
        if len(found) > MAX_PARTICIPANTS:
            raise ParticipantError(f"{where}: more than {MAX_PARTICIPANTS} participants; one cluster is sized "
                                   "for a room of up to 40")
    if not found:
        raise ParticipantError(f"{source}: no participants (one login name a line, # for comments)")
    return found


def load(path: str, workshop: str) -> list[Participant]:
    """Read and parse a participant list file (``-`` for stdin). Raises ParticipantError."""
    try:
        data = read_bytes(path, LIST_BUDGET, what="the participant list")
    except InputError as err:
        raise ParticipantError(str(err)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ParticipantError(f"{path}:{line}: not UTF-8 text") from None
    return parse(text, workshop, str(path))


def numbered(count: int, workshop: str, prefix: str = "p") -> list[Participant]:
    """``count`` participants called p01, p02 ... (for a room without a list, and for benchmarks)."""
    width = max(2, len(str(count)))
    return parse("\n".join(f"{prefix}{index:0{width}d}" for index in range(1, count + 1)), workshop, "<numbered>")
