"""YAML scalars, keys and input bytes as kubectl and the API server read them.

kubectl (``k8s.io/apimachinery/pkg/util/yaml``) and the API server turn YAML
into JSON with ``sigs.k8s.io/yaml``, which reads it with Go's YAML library
(``go.yaml.in/yaml/v2``, the go-yaml v2.4 fork pinned by Kubernetes 1.37) and
then writes JSON with ``encoding/json``. PyYAML reads YAML 1.1 differently, so
this module resolves every plain scalar the Go way. The rules, with their
upstream source:

=========================  ==========================================  ================================
Scalar (plain)             Go reads                                    Source
=========================  ==========================================  ================================
``y Y yes on true …``      ``true`` (``n no off false …`` ``false``)   goyaml.v2 resolve.go resolveMapList
``~ null Null NULL`` ""    ``null``                                    resolve.go resolveMapList
``0x1F 0o17 0b101 0644``   31, 15, 5, 420 (``strconv.ParseInt`` base   resolve.go resolve, case 'D','S'
                           0, after removing every ``_``)
``0999`` ``09``            999.0, 9.0 (not octal, so a float)          resolve.go yamlStyleFloat
``1e3 8080.0 1.``          1000, 8080, 1 (float64; ``encoding/json``   encoding/json floatEncoder
                           writes an integral float as an integer)
``.5 -.5 1e21 1e-7``       0.5, -0.5, 1e+21, 1e-07 (floats)            resolve.go, floatEncoder
``.inf -.Inf .nan``        refused: ``json: unsupported value: +Inf``  sigs.k8s.io/yaml yamlToJSONTarget
``10:30`` ``1:2:3``        a string (no base 60)                       resolve.go ("base 60 ... unsupported")
``2001-12-14``             a string (a timestamp becomes its text)     decode.go scalar, reflect.Interface
``=`` ``<<`` (as a value)  a string                                    resolve.go
``!!int abc``              refused: "cannot decode !!str `abc` as a    resolve.go resolve (deferred check)
                           !!int"
``!!float 1``              1 (an integer tag is accepted as a float)   resolve.go resolve
``!foo x`` ``!!map x``     the string ``x`` (tags it does not know     resolve.go resolvableTag
                           are ignored)
``!!binary aGk=``          ``"hi"`` (base64 decoded)                   decode.go scalar
=========================  ==========================================  ================================

Keys: a string key stays; an integer or boolean key becomes its text
(``1`` -> ``"1"``, ``y`` -> ``"true"``), a float key is written with
``strconv.FormatFloat(f, 'g', -1, 32)``; a null or unsigned 64-bit key is
refused ("unsupported map key of type", sigs.k8s.io/yaml
convertToJSONableObject).

Input bytes: kubectl decodes a file through ``unicode.BOMOverride(UTF8)``
(k8s.io/cli-runtime/pkg/resource/visitor.go FileVisitor): a UTF-8 BOM is
dropped, a UTF-16 LE or BE BOM selects UTF-16, and bytes that are not UTF-8 are
replaced by U+FFFD.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import math
import re
import struct
from typing import Any

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{TAG}{name}" for name in ("str", "int", "float", "bool", "null"))
TIMESTAMP, BINARY, MERGE = (f"{TAG}{name}" for name in ("timestamp", "binary", "merge"))
# Tags go-yaml resolves (resolvableTag); any other tag on a scalar is ignored and the text kept.
RESOLVABLE = frozenset({STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, BINARY})

_BOOLS = {**dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
          **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False)}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = {**dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
                   **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
                   **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf)}
_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")  # what strconv.ParseFloat takes after a leading dot
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                        r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))"
                        r"|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?))?\Z")
_DIGITS = {2: frozenset("01"), 8: frozenset("01234567"), 10: frozenset("0123456789"),
           16: frozenset("0123456789abcdefABCDEF")}
_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1
# The longest number read as a number: float64 ends at about 1.8e308 (309 digits), and Python's int() of a
# long text is quadratic in its length.
MAX_NUMBER_CHARS = 400


class TagMismatch(ValueError):
    """A scalar whose explicit tag Go's reader cannot satisfy (``!!int abc``); the text is kubectl's error."""


class UnsupportedKey(ValueError):
    """A mapping key that sigs.k8s.io/yaml cannot turn into a JSON key (null, an unsigned 64-bit integer)."""


_plain_cache: dict[str, tuple[str, Any]] = {}


def resolve_plain(text: str) -> tuple[str, Any]:
    """``(tag, value)`` of a plain (unquoted, untagged) scalar as go-yaml v2 resolves it, before JSON.

    ``value`` is a bool, None, an int (including unsigned 64-bit), a float or
    the text itself; a timestamp is its text (``tag`` TIMESTAMP). Never raises.
    Source: go.yaml.in/yaml/v2 resolve.go ``resolve("", in)``.
    """
    found = _plain_cache.get(text)
    if found is None:
        found = _resolve(text, timestamps=True)
        if len(_plain_cache) < 50_000 and len(text) < 64:
            _plain_cache[text] = found
    return found


def _resolve(text: str, *, timestamps: bool) -> tuple[str, Any]:
    if text in _BOOLS:
        return BOOL, _BOOLS[text]
    if text in _NULLS:
        return NULL, None
    if text in _SPECIAL_FLOATS:
        return FLOAT, _SPECIAL_FLOATS[text]
    if text == "<<":
        return MERGE, text
    first = text[0]
    if first == ".":
        if _DOT_FLOAT.match(text) and len(text) <= MAX_NUMBER_CHARS:
            return FLOAT, float(text)
        return STR, text
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return STR, text
    if timestamps and _is_timestamp(text):
        return TIMESTAMP, text
    if len(text) > MAX_NUMBER_CHARS:
        return STR, text
    plain = text.replace("_", "")
    number = _parse_int(plain)
    if number is not None:
        return INT, number
    if _STYLE_FLOAT.match(plain):
        value = float(plain)
        if not math.isinf(value):  # strconv.ParseFloat refuses a value beyond float64 (ErrRange)
            return FLOAT, value
    if plain.startswith(("0b", "-0b")):
        digits = plain[plain.index("b") + 1:]
        if digits and set(digits) <= _DIGITS[2]:
            value = int(digits, 2) * (-1 if plain[0] == "-" else 1)
            if _INT64[0] <= value <= _UINT64_MAX:
                return INT, value
    return STR, text


def _parse_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), then strconv.ParseUint(plain, 0, 64) (no sign); None if neither takes it."""
    sign, body = 1, plain
    signed = body[:1] in ("+", "-")
    if signed:
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    prefix = body[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[prefix], body[2:]
    elif body[:1] == "0" and len(body) > 1:
        base, digits = 8, body[1:]
    else:
        base, digits = 10, body
    if not digits or not set(digits) <= _DIGITS[base]:
        return None
    value = sign * int(digits, base)
    if _INT64[0] <= value <= _INT64[1] or (not signed and value <= _UINT64_MAX):
        return value
    return None


def _is_timestamp(text: str) -> bool:
    """go-yaml v2 parseTimestamp: a date ``2006-1-2``, optionally with a time (``T``/``t`` and a zone, or a
    space and no zone), that time.Parse accepts (real month, day, hour, minute, second)."""
    match = _TIMESTAMP.match(text)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.group(1, 2, 3))
    clock = match.group(4, 5, 6) if match.group(4) is not None else match.group(7, 8, 9)
    try:
        datetime.date(year, month, day)
        if clock[0] is not None:
            hour, minute, second = (int(part) for part in clock)
            datetime.time(hour, minute, second)
    except ValueError:
        return False
    return True


def resolve_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit tag (``!!int 12``, a quoted ``!!int "12"``) or an unknown one.

    A tag go-yaml does not resolve (``!foo``, ``!!map``) is ignored: the value
    is the text. Raises :class:`TagMismatch` with kubectl's words when the text
    does not fit the tag. Source: go.yaml.in/yaml/v2 resolve.go ``resolve``
    and decode.go ``scalar`` (``!!binary`` is base64).
    """
    if tag not in RESOLVABLE or tag == STR:
        return text
    if tag == BINARY:
        try:
            return base64.b64decode(text.replace("\n", ""), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise TagMismatch("!!binary value contains invalid base64 data") from None
    found_tag, value = _resolve(text, timestamps=tag == TIMESTAMP) if text else (NULL, None)
    if found_tag == tag:
        return value
    if tag == FLOAT and found_tag == INT and isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return float(value)
    raise TagMismatch(f"cannot decode {short_tag(found_tag)} `{text}` as a {short_tag(tag)}")


def short_tag(tag: str) -> str:
    return "!!" + tag[len(TAG):] if tag.startswith(TAG) else tag


def to_json(value: Any) -> Any:
    """A resolved scalar as the JSON kubectl sends reads back: an integral float below 1e21 is an int
    (encoding/json writes ``8080.0`` as ``8080``); everything else is unchanged (``.inf`` and ``.nan`` stay
    floats, for the caller to refuse)."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e21:
        return int(decimal.Decimal(repr(value)))  # Go writes the shortest digits: 2**64 as 18446744073709552000
    return value


def key_text(value: Any) -> str:
    """The JSON key sigs.k8s.io/yaml makes of a resolved, non-string key (convertToJSONableObject).

    Raises :class:`UnsupportedKey` for a null key and an unsigned 64-bit integer key.
    """
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return _unsupported("<nil>", "<nil>")
    if isinstance(value, int):
        if value > _INT64[1]:
            return _unsupported("uint64", f"0x{value:x}")
        return str(value)
    if isinstance(value, float):
        return _float32_g(value)
    return str(value)


def _unsupported(kind: str, shown: str) -> str:
    raise UnsupportedKey(f"error converting YAML to JSON: unsupported map key of type: {kind}, key: {shown}")


def _float32_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), with go-yaml's spellings of infinity and NaN."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        single = math.inf if value > 0 else -math.inf
    if math.isinf(single):  # Go converts to float32 first, which overflows to infinity
        return ".inf" if value > 0 else "-.inf"
    digits = ""
    for precision in range(0, 9):  # the shortest decimal that reads back as the same float32
        digits = f"{single:.{precision}e}"
        if struct.unpack("f", struct.pack("f", float(digits)))[0] == single:
            break
    mantissa, _, exponent_text = digits.partition("e")
    exponent = int(exponent_text)
    if exponent < -4 or exponent >= 6:  # Go's 'g' with the shortest precision switches to %e at 1e+06
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    decimals = max(len(mantissa.replace("-", "").replace(".", "")) - 1 - exponent, 0)
    return f"{float(digits):.{decimals}f}"


def decode_bytes(data: bytes) -> str:
    """Input bytes as kubectl decodes them: UTF-8 or UTF-16 by byte-order mark, undecodable bytes as U+FFFD."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace")
    return data.decode("utf-8", "replace")
