"""The one record every check produces: a :class:`Finding`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"      # the API server would reject the manifest
WARNING = "warning"  # accepted, but advice says otherwise
INFO = "info"        # worth knowing; never changes the exit code

SEVERITIES = (ERROR, WARNING, INFO)

# Rules meaning "the input could not be read at all" (exit code 3).
UNREADABLE_RULES = frozenset({"yaml-syntax", "yaml-limit", "yaml-tag", "unreadable"})


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

    @property
    def location(self) -> str:
        parts = [self.file or "<object>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} [{self.rule}] {self.message}"
