"""Kubernetes resource quantities (``500m``, ``1Gi``), parsed as the API server does.

The grammar is the one of ``k8s.io/apimachinery/pkg/api/resource``: a signed
decimal number, then either a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal SI
suffix (n u m k M G T P E) or an exponent (``e3``). Anything else is rejected
while the manifest is decoded, before validation starts.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# The expression the server quotes in its error message.
SERVER_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}
_EXPONENT = re.compile(r"[eE][+-]?[0-9]+")

SERVER_MESSAGE = f"quantities must match the regular expression '{SERVER_PATTERN}'"


def parse_quantity(value: str | int | float) -> Decimal:
    """The quantity as a Decimal (``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824); ValueError if invalid."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = value.strip() if isinstance(value, str) else ""
    number = _NUMBER.match(text)
    if not text or number is None:
        raise ValueError(f"{value!r} is not a quantity")
    suffix = text[number.end():]
    try:
        base = Decimal(number.group())
    except InvalidOperation as err:  # pragma: no cover - the regex admits only valid numbers
        raise ValueError(f"{value!r} is not a quantity") from err
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix in _DECIMAL:
        return base * _DECIMAL[suffix]
    if _EXPONENT.fullmatch(suffix):
        return base * Decimal(10) ** int(suffix[1:])
    raise ValueError(f"{value!r} has an unknown suffix {suffix!r}")


def suggest_quantity(text: str) -> str | None:
    """A likely intended spelling for common mistakes (``1Gb`` -> ``1Gi``, ``512MB`` -> ``512Mi``)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgGtTpPeE])i?[bB]?\s*", text)
    if not match:
        return None
    unit = match[2].upper() if match[2] != "k" else "K"
    return f"{match[1]}{unit}i"
