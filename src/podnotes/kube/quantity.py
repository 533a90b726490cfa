"""Kubernetes resource quantities (``500m``, ``1Gi``, ``1e9``, ``1Pi``, ``500u``), parsed as the API server does.

The one parser of quantities in the package: lint, the QoS class, the cgroup
settings of the Linux chapters and the offline cluster all read them here.

The grammar is the one of ``k8s.io/apimachinery/pkg/api/resource``: a signed
decimal number, then either a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal SI
suffix (n u m k M G T P E) or an exponent (``e3``). Anything else is rejected
while the manifest is decoded, before validation starts.

Errors carry the server's own message (``ErrFormatWrong``, ``ErrNumeric``,
``ErrSuffix`` in ``quantity.go``). Like ``suffixHandler.interpret`` in
``suffix.go``, an exponent must fit an int64 (``1E99999999999999999999`` is
"unable to parse quantity's suffix") and is then narrowed to an int32. A
number that JSON cannot carry (``.inf``, ``.nan``) never reaches the quantity
parser: the YAML-to-JSON step refuses it (``json: unsupported value: +Inf``).
Values come back as exact Decimals; exponents are applied with ``scaleb``, so
``1e2147483647`` costs nothing.
"""

from __future__ import annotations

import decimal
import math
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
SUFFIX_MESSAGE = "unable to parse quantity's suffix"
# Exact arithmetic over every exponent an int32 allows.
_CONTEXT = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[InvalidOperation])


class QuantityError(ValueError):
    """Not a quantity; ``server`` is the API server's message for it."""

    def __init__(self, message: str, server: str = SERVER_MESSAGE):
        super().__init__(message)
        self.server = server


def unsupported_number(value: float) -> str | None:
    """The YAML-to-JSON step's message for a number JSON cannot carry (``json: unsupported value: +Inf``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"json: unsupported value: {'NaN' if math.isnan(value) else '+Inf' if value > 0 else '-Inf'}"
    return None


# Manifests repeat the same few quantity texts ("100m", "128Mi"): each is parsed once. Decimals are immutable,
# and a refused text keeps its error, raised anew each time.
_parsed: dict[str, Decimal | QuantityError] = {}
_PARSED_MAX, _PARSED_TEXT_MAX = 4096, 64


def parse_quantity(value: str | int | float) -> Decimal:
    """The quantity as a Decimal (``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824); QuantityError (a ValueError) if
    invalid."""
    if value.__class__ is not str:
        return _parse_quantity(value)
    known = _parsed.get(value)
    if known is None:
        try:
            known = _parse_quantity(value)
        except QuantityError as err:
            known = err
        if len(_parsed) < _PARSED_MAX and len(value) <= _PARSED_TEXT_MAX:
            _parsed[value] = known
    if isinstance(known, QuantityError):
        raise QuantityError(str(known), known.server)
    return known


def _parse_quantity(value: str | int | float) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, float):
        problem = unsupported_number(value)
        if problem:
            raise QuantityError(f"{value!r} is not a number JSON can carry", problem)
        value = repr(value)
    if isinstance(value, int):
        return Decimal(value)
    text = value.strip() if isinstance(value, str) else ""
    number = _NUMBER.match(text)
    if not text or number is None:
        raise QuantityError(f"{text[:40]!r} is not a quantity")
    suffix = text[number.end():]
    try:
        base = Decimal(number.group())
    except InvalidOperation as err:  # pragma: no cover - the regex admits only valid numbers
        raise QuantityError(f"{text[:40]!r} is not a quantity") from err
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix in _DECIMAL:
        return base * _DECIMAL[suffix]
    if _EXPONENT.fullmatch(suffix):
        exponent = int(suffix[1:]) if len(suffix) < 24 else 2**64
        if not -2**63 <= exponent < 2**63:
            raise QuantityError(f"the exponent of {text[:40]!r} does not fit a 64-bit integer", SUFFIX_MESSAGE)
        narrowed = (exponent + 2**31) % 2**32 - 2**31  # int32(parsed) in suffixHandler.interpret
        return base.scaleb(narrowed, _CONTEXT)
    if re.fullmatch(r"[eEinumkKMGTP]*[-+]?[0-9]*", suffix):
        raise QuantityError(f"{text[:40]!r} has an unknown suffix {suffix[:20]!r}", SUFFIX_MESSAGE)
    raise QuantityError(f"{text[:40]!r} has an unknown suffix {suffix[:20]!r}")


def suggest_quantity(text: str) -> str | None:
    """A likely intended spelling for common mistakes (``1Gb`` -> ``1Gi``, ``512MB`` -> ``512Mi``)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgGtTpPeE])i?[bB]?\s*", text)
    if not match:
        return None
    unit = match[2].upper() if match[2] != "k" else "K"
    return f"{match[1]}{unit}i"


def fractional_bytes(value: str | int | float) -> str | None:
    """How the server shows a byte quantity that is not a whole number (``"1.5"`` -> ``"1500m"``), or None
    when it is whole or not a quantity. The server warns about such amounts
    (``MilliValue() % 1000 != 0`` in ``pkg/api/pod/warnings.go``) and shows them in canonical form, rounded
    up to milli units (``1500001u`` -> ``1501m``)."""
    try:
        amount = parse_quantity(value)
    except QuantityError:
        return None
    if amount == amount.to_integral_value():  # a whole number, however large
        return None
    milli = millicores(amount)
    return f"{milli}m" if milli % 1000 else None


INT64 = (-2**63, 2**63 - 1)


def millicores(value: str | int | float | Decimal) -> int:
    """A quantity in milli units (millicores for cpu), rounded up as ``Quantity.MilliValue`` does
    (``"250m"`` -> 250, ``0.1`` -> 100), held to an int64 as the server's is."""
    return _rounded_up(parse_quantity(value) if not isinstance(value, Decimal) else value, 3)


def whole_units(value: str | int | float | Decimal) -> int:
    """A quantity in whole units, rounded up as ``Quantity.Value`` does (``"64Mi"`` -> 67108864 bytes), held
    to an int64."""
    return _rounded_up(parse_quantity(value) if not isinstance(value, Decimal) else value, 0)


def _rounded_up(amount: Decimal, scale: int) -> int:
    """``amount`` × 10^scale rounded towards +infinity, clamped to int64; exact for any exponent."""
    low, high = INT64
    if amount.is_zero():
        return 0
    if amount.adjusted() + scale > 19:  # beyond int64 whatever the digits
        return high if amount > 0 else low
    digits = len(amount.as_tuple().digits)
    context = decimal.Context(prec=digits + scale + 25, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
    scaled = amount.scaleb(scale, context).to_integral_value(rounding=decimal.ROUND_CEILING, context=context)
    return max(low, min(high, int(scaled)))


def same_quantity(first: str | int | float | None, second: str | int | float | None) -> bool:
    """``Quantity.Equal``: ``0.1`` and ``100m`` are the same amount; a missing amount is zero."""
    return _or_zero(first) == _or_zero(second)


def _or_zero(value: str | int | float | None) -> Decimal:
    return Decimal(0) if value is None else parse_quantity(value)
