"""Results as a reader reads them in a notebook: short lines, one fact a line.

The book's code column holds :data:`COLUMNS` characters of monospace text on a
1366 px screen (and a terminal holds 80 or more), so what the package prints
for a reader wraps there instead of running off to the right.

- :func:`wrap` wraps long lines of text (server messages, lint reports, help);
  :func:`clip` cuts the lines of a wide table, visibly.
- :class:`FieldTable` is a mixin for result dataclasses: IPython shows them as
  a small two-column table (field, value) instead of a one-line repr, and
  ``str()`` gives the same table.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import fields

#: Characters of monospace text that fit the book's code column at 1366 px.
COLUMNS = 84
#: Extra indentation of the continuation lines of a wrapped line.
HANGING_INDENT = 4


def wrap(text: str, width: int = COLUMNS) -> str:
    """``text`` with every line longer than ``width`` wrapped at spaces.

    Continuation lines keep the line's own indentation plus :data:`HANGING_INDENT`
    spaces, so a wrapped line still reads as one item; a word longer than the
    line (a long path or URL) is broken. Lines that fit are left alone.
    """
    return "\n".join(_wrap_line(line, width) for line in text.splitlines())


def clip(text: str, width: int = COLUMNS) -> str:
    """``text`` with every line longer than ``width`` cut to fit, ending in ``...``:
    for wide tables (``/proc/net/dev``) whose first columns are what matters."""
    return "\n".join(line if len(line) <= width else line[: width - 3] + "..." for line in text.splitlines())


def _wrap_line(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.fill(line.strip(), width=width, initial_indent=indent,
                         subsequent_indent=indent + " " * HANGING_INDENT,
                         break_on_hyphens=False, drop_whitespace=True)


def field_table(obj, width: int = COLUMNS) -> str:
    """A dataclass instance as ``ClassName`` and one ``field  value`` line per field,
    long values wrapped under their column."""
    names = [item.name for item in fields(obj)]
    name_width = max(map(len, names), default=0)
    shown = getattr(obj, "_shown_value", lambda name: None)
    lines = [type(obj).__name__]
    for name in names:
        value = shown(name)
        value = _value_text(getattr(obj, name)) if value is None else value
        lead = f"  {name:<{name_width}}  "
        lines.append(textwrap.fill(value, width=max(width, len(lead) + 20), initial_indent=lead,
                                   subsequent_indent=" " * len(lead), break_on_hyphens=False)
                     if len(lead) + len(value) > width else lead + value)
    return "\n".join(lines)


def _value_text(value) -> str:
    if isinstance(value, (list, tuple)) and all(isinstance(item, (str, int, float)) for item in value):
        return ", ".join(map(str, value)) if value else "(none)"
    if isinstance(value, float):
        return repr(round(value, 6))
    return repr(value) if isinstance(value, str) else str(value)


class FieldTable:
    """Mixin for dataclasses: shown as :func:`field_table` in IPython and by ``str()``.

    ``repr()`` stays the dataclass's own (exact, for debugging and tests). A class
    may define ``_shown_value(name) -> str | None`` to summarise a field."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # IPython takes the first class in the MRO that defines either method,
        # and @dataclass writes a __repr__ into each subclass itself.
        cls._repr_pretty_ = FieldTable._repr_pretty_
        cls.__str__ = FieldTable.__str__

    def __str__(self) -> str:
        return field_table(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        first, *rest = field_table(self, COLUMNS - 2).splitlines()
        printer.text(first)
        with printer.indent(2):  # inside a tuple or list, the table stays indented under its name
            for line in rest:
                printer.break_()
                printer.text(line[2:])


# An interpreter named by its full path (``/home/me/project/.venv/bin/python3.12``):
# what a reader needs is that it is Python, not where the building machine keeps it.
_INTERPRETER = re.compile(r"^\S*/python[\d.]*(?=\s|$)")


def short_command(command: str) -> str:
    """A process's command line with a leading interpreter path shortened to its
    role: ``/opt/venv/bin/python3 -m podnotes.linux.pause`` becomes
    ``python -m podnotes.linux.pause``. Other commands are returned unchanged."""
    return _INTERPRETER.sub("python", command.strip(), count=1)


def among_them(entries: list[str], familiar: tuple[str, ...] | list[str], noun: str = "entries") -> str:
    """``"26 entries, among them bin, etc, usr"``: a count and the ``familiar``
    names present, for a listing whose other names belong to one machine."""
    present = [entry for entry in familiar if entry in entries]
    text = f"{len(entries)} {noun}"
    return f"{text}, among them {', '.join(present)}" if present else text


def value_text(value) -> str:
    """One value as a reader reads it: ``None`` as ``-``, ``20.0`` as ``20``,
    ``1.005541`` as ``1.006``, other values as ``str()``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if value != int(value) else f"{value:.0f}"
    return str(value)


def listing(values) -> str:
    """Values joined with commas (:func:`value_text` each), ``(none)`` when empty:
    ``[10.0, 20.0, 40.0]`` becomes ``10, 20, 40``."""
    values = list(values)
    return ", ".join(map(value_text, values)) if values else "(none)"


def table(headers: list[str], rows, width: int = COLUMNS) -> str:
    """Rows of values as a small text table under ``headers``, columns aligned
    (numbers to the right), values as :func:`value_text`, lines clipped to ``width``.
    For results a notebook would otherwise show as a list of tuples."""
    cells = [[value_text(value) for value in row] for row in rows]
    numeric = [all(isinstance(row[index], (int, float)) and not isinstance(row[index], bool) for row in rows)
               for index in range(len(headers))] if rows else [False] * len(headers)
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]

    def line(values) -> str:
        return "  ".join(value.rjust(size) if right else value.ljust(size)
                         for value, size, right in zip(values, widths, numeric, strict=False)).rstrip()

    return clip("\n".join([line(headers)] + [line(row) for row in cells]), width)


def manifest_yaml(manifest: object) -> str:
    """``manifest`` as YAML in its own key order, a multi-line string (a script) as a literal block
    (``|``) so that it reads as the script it is; for showing, not for parsing by machines."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _string(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _string)
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
