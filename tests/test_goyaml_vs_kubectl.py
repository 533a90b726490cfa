"""The loader against kubectl's own decoding, on generated inputs.

``tools/kubectl-decode`` (:mod:`tests.kubectl_decode`) is a small Go program on
the modules Kubernetes 1.37.2 pins (k8s.io/apimachinery v0.37.2,
sigs.k8s.io/yaml v1.6.0 over go.yaml.in/yaml/v2): its reading step decodes
each input as kubectl's builder does before it sends anything. Every generated
scalar (as a value and as a key) and every document stream must come out of
:func:`podnotes.manifest.load` as the same JSON, or be refused by both.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from podnotes.manifest import load

from .kubectl_decode import kubectl_decode as decode_files
from .kubectl_decode import kubectl_decode_binary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kubectl_decode():
    """A function that decodes a list of inputs with kubectl's reading step (the helper is built once)."""
    binary = kubectl_decode_binary()

    def decode(inputs: list[str]) -> list[dict]:
        return decode_files(binary, [text.encode() for text in inputs], documents=True)

    return decode


SIGNS = ("", "-", "+")
BODIES = ("0", "7", "10", "0755", "0999", "09", "0x1F", "0X1f", "0o17", "0O17", "0b101", "0B1", "0b", "0x",
          "1_000", "1__0", "_1", "0_7", "0x_1F", "1.", ".5", "1.5", "1.0", "8080.0", "1e3", "1E3", "1.0e3", "1e",
          "1e+3", "1e-3", "1.5e-7", "1e21", "1e20", "1e308", "1e309", ".e3", "._5", "0.10", "10:30", "1:2:3",
          "190:20:30", "9223372036854775807", "9223372036854775808", "18446744073709551615",
          "18446744073709551616", "99999999999999999999", "123456789012345678901234567890", ".inf", ".Inf",
          ".INF", ".nan", ".NaN", "inf", "nan")
WORDS = ("y", "Y", "yes", "Yes", "YES", "yES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "tRUE",
         "false", "False", "FALSE", "on", "On", "ON", "oN", "off", "Off", "OFF", "~", "null", "Null", "NULL",
         "nULL", "=", "<<", "-", "+", ".", "..", "2001-12-14", "2001-12-14T21:59:43.10-05:00",
         "2001-12-14 21:59:43.10", "2001-12-14t21:59:43Z", "2001-13-14", "1999-1-2", "0.0.0", "v1", "1Gi",
         "500m", "0x1p-2")
TAGGED = ("!!float true", "!!float 9223372036854775808", "!!int 12", "!!int abc", "!!int 1.5", "!!int '12'",
          "!!float 1", "!!float abc", "!!float '1e3'",
          "!!str 12", "!!str yes", "!!bool yes", "!!bool y", "!!bool maybe", "!!null ''", "!!null ~", "!!null x",
          "!!timestamp 2001-12-14", "!!timestamp yesterday", "!!binary aGk=", "!!binary !!", "!foo bar",
          "!!map x", "!!seq x", "!!merge x", "!foo {b: 1}", "!!python/object:os.system {name: x}",
          "'y'", '"1e3"', "'0o17'", '"echo \\\'hi\\\'"', '"\\x41\\u00e9\\/\\N"')
SCALARS = [sign + body for sign, body in itertools.product(SIGNS, BODIES)] + list(WORDS)
# Random plain scalars from the characters number and boolean rules look at (fixed seed: the same every run).
_RANDOM = random.Random(14)
RANDOM_SCALARS = sorted({"".join(_RANDOM.choice("0123456789+-._eExXoObB:yYnN~") for _ in range(_RANDOM.randint(1, 7)))
                         for _ in range(1500)})

STREAMS = [
    "---\n# only a comment\n---\n\n---\nkind: A\n---\n",
    "kind: A\n...\n",
    "kind: A\n--- # c\nkind: B\n---   \nkind: C\n",
    "kind: A\n--- null\nkind: B\n",
    "kind: A\n----\nkind: B\n",
    "null\n---\n~\n---\nkind: A\n",
    '{"kind": "A"}{"kind": "B"}\n  {"kind": "C", "n": 8080.0, "m": 1e3}\n',
    '{"kind": "A"}\nkind: B\n',
    '{"kind": "A"} junk\n',
    '{"kind": "A"}\n{"kind": "B"}\nkind: C\n',
    '  \n# c\n{"kind": "A", "kind": "B"}\n',
    "\ufeffkind: A\n",
    "kind: List\nitems:\n- kind: A\n- kind: B\n  n: 8080.0\n",
    "kind: List\nitems: [[]]\n",
    "kind: List\nitems: [{kind: A}, 5]\n",
    "kind: Foo\nitems: 5\n",
    "kind: Foo\nitems: []\n",
    "kind: Foo\nitems: null\n",
    "kind: ConfigMap\nitems: [{kind: X}]\n",
    "a: 1\na: 2\n",
    "a: 1\n<<: {a: 2, b: 3}\n",
    "<<: {a: 2, b: 3}\na: 1\n",
    "<<: [{a: 1}, {a: 2, c: 1}]\n",
    "base: &b {a: 1}\nx:\n  <<: *b\n  a: 2\n",
    "1: a\ntrue: b\n1.5: c\ny: d\n",
    "~: a\n",
    "? [a]\n: b\n",
    "- kind: A\n",
    "just text\n",
    "a: 'it''s'\nb: \"tab\\there\"\n",
    "a: |\n  x\n  y\nb: >-\n  folded\n  text\n",
]


def _ours(text: str):
    """What the loader makes of ``text``: the JSON of each document before the first error, and whether
    the input is refused (an error, or a number JSON cannot hold)."""
    documents = []
    for document in load(text):
        if document.error is not None:
            return documents, True
        try:
            documents.append(json.loads(json.dumps(document.to_python(), allow_nan=False)))
        except ValueError:
            return documents, True
    return documents, False


def _theirs(result: dict):
    return result["objects"], bool(result["error"])


def _compare(inputs: list[str], decode) -> list[str]:
    assert inputs, "no generated inputs"
    results = decode(inputs)
    assert len(results) == len(inputs)
    differences = []
    for text, result in zip(inputs, results, strict=True):
        ours, ours_refused = _ours(text)
        theirs, theirs_refused = _theirs(result)
        if ours_refused != theirs_refused or ours != theirs[:len(ours)] or (not ours_refused and ours != theirs):
            differences.append(f"{text!r}: podnotes {ours}{' refused' if ours_refused else ''}; kubectl "
                               f"{theirs}{' ' + result['error'] if theirs_refused else ''}")
    return differences


def test_every_generated_scalar_as_a_value_reads_as_kubectl_sends_it(kubectl_decode):
    inputs = [f"a: {scalar}\n" for scalar in SCALARS + list(TAGGED)]
    assert _compare(inputs, kubectl_decode) == []


def test_random_plain_scalars_read_as_kubectl_sends_them(kubectl_decode):
    inputs = [f"a: {scalar}\n" for scalar in RANDOM_SCALARS] + [f"{scalar}: a\n" for scalar in RANDOM_SCALARS]
    assert len(inputs) > 1000 and _compare(inputs, kubectl_decode) == []


def test_every_generated_scalar_as_a_key_reads_as_kubectl_sends_it(kubectl_decode):
    inputs = [f"{scalar}: a\n" for scalar in SCALARS if scalar not in ("-", "+", "<<")]
    assert _compare(inputs, kubectl_decode) == []


def test_document_streams_read_as_kubectl_reads_them(kubectl_decode):
    assert _compare(STREAMS, kubectl_decode) == []


def test_utf16_with_a_byte_order_mark_reads_as_kubectl_reads_it(kubectl_decode, tmp_path):
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    for encoding, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        path = tmp_path / f"{encoding}.yaml"
        path.write_bytes(bom + text.encode(encoding))
        [document] = load(path)
        [expected] = kubectl_decode([text])  # the oracle gets text; BOM decoding is checked against ours
        assert document.to_python() == expected["objects"][0]
