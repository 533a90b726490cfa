"""Manifests read as kubectl reads them (podnotes.goyaml, podnotes.manifest).

The expected values are what kubectl 1.37's client-side decoding makes of each
input: k8s.io/apimachinery v0.37.2 ``yaml.NewYAMLOrJSONDecoder`` over
sigs.k8s.io/yaml v1.6.0 (go.yaml.in/yaml/v2 v2.4.4), after
``unicode.BOMOverride`` as k8s.io/cli-runtime's FileVisitor applies it, with
``List`` objects flattened by ``unstructured.UnstructuredJSONScheme``. Each was
checked by running those modules on the input.
"""

from __future__ import annotations

import math

import pytest

from podnotes import goyaml
from podnotes.lint import exit_code, lint
from podnotes.manifest import load

# plain scalar -> the JSON value kubectl sends
KUBECTL_VALUES = {
    "y": True, "Y": True, "yes": True, "on": True, "ON": True, "true": True, "n": False, "no": False,
    "off": False, "False": False, "yES": "yES", "1e3": 1000, "1.0e3": 1000, "1E3": 1000, "0o17": 15, "0O17": 15,
    "0o644": 420, "0644": 420, "0999": 999, "09": 9, "8080.0": 8080, "1.": 1, "10:30": "10:30",
    "1:2:3": "1:2:3", "=": "=", "0x1F": 31, "-0x10": -16, "0b101": 5, "-0b101": -5, "0b": "0b", "1_000": 1000,
    "1__0": 10, "0_1": 1, "0x_1F": 31, "+12": 12, ".5": 0.5, "-.5": -0.5, ".e3": ".e3", "._5": "._5",
    "1e": "1e", "1e21": 1e21, "1e20": 10**20, "-0.0": 0, "0.10": 0.1, "0.0000001": 1e-7, "0.5e-7": 5e-8,
    "~": None, "null": None, "Null": None, "NULL": None, "2001-12-14": "2001-12-14",
    "2001-12-14T21:59:43.10-05:00": "2001-12-14T21:59:43.10-05:00", "99999999999999999999": 10**20,
    "18446744073709551615": 2**64 - 1, "9223372036854775808": 2**63,
    "123456789012345678901234567890": 1.2345678901234568e29,
}
# explicitly tagged scalar -> the JSON value, or kubectl's error
KUBECTL_TAGGED = {
    "!!float 1": 1, "!!str 1": "1", "!foo bar": "bar", "!!binary aGk=": "hi",
    "!!timestamp 2001-12-14": "2001-12-14", "!!bool yes": True, "!!null ''": None, "!!int '12'": 12,
    "!!map x": "x", "!!merge x": "x", "!foo {b: 1}": {"b": 1},
    "!!int abc": "cannot decode !!str `abc` as a !!int", "!!int 1.5": "cannot decode !!float `1.5` as a !!int",
    "!!float abc": "cannot decode !!str `abc` as a !!float",
}
# mapping key -> the JSON key, or None where kubectl refuses the document
KUBECTL_KEYS = {"1": "1", "true": "true", "y": "true", "1.5": "1.5", "1e3": "1000", "1e6": "1e+06",
                "1234567.0": "1.234567e+06", "0.00001": "1e-05", "3.14159265358979": "3.1415927",
                "2001-12-14": "2001-12-14", "~": None, "18446744073709551615": None}


@pytest.mark.parametrize("text", list(KUBECTL_VALUES))
def test_plain_scalars_resolve_as_kubectl_sends_them(text):
    [document] = load(f"a: {text}\n")
    assert document.error is None
    value = document.to_python()["a"]
    expected = KUBECTL_VALUES[text]
    assert value == expected and type(value) is type(expected), (text, value)


@pytest.mark.parametrize("text", list(KUBECTL_TAGGED))
def test_tagged_scalars_resolve_or_fail_as_kubectl(text):
    [document] = load(f"a: {text}\n")
    expected = KUBECTL_TAGGED[text]
    if isinstance(expected, str) and expected.startswith("cannot decode"):
        assert document.error is not None and document.error.rule == "yaml-tag"
        assert expected in document.error.message and document.error.line == 1
    else:
        assert document.error is None and document.to_python()["a"] == expected


@pytest.mark.parametrize("key", list(KUBECTL_KEYS))
def test_keys_become_json_keys_as_kubectl_writes_them(key):
    [document] = load(f"{key}: a\n")
    if KUBECTL_KEYS[key] is None:
        assert document.error is not None and "unsupported map key" in document.error.message
        assert document.error.line == 1
    else:
        assert document.error is None and document.to_python() == {KUBECTL_KEYS[key]: "a"}


def test_infinity_and_nan_stay_floats_for_the_json_check():
    [document] = load("a: .inf\nb: -.Inf\nc: .nan\n")
    values = document.to_python()
    assert values["a"] == math.inf and values["b"] == -math.inf and math.isnan(values["c"])


@pytest.mark.parametrize("text", [f"{sign}{digits}" for sign in ("", "-", "+")
                                  for digits in ("0", "7", "10", "0755", "0x7f", "0o7", "0b11", "1_2", "1.5",
                                                 "1e2", "9" * 30)])
def test_generated_numbers_agree_with_go_parsing_rules(text):
    """Every sign with every number form: the value is what Go's ParseInt (base 0), ParseUint and ParseFloat
    give after go-yaml removes the underscores (e.g. kubectl sends "+0b11" as 3, "-0755" as -493)."""
    _, value = goyaml.resolve_plain(text)
    plain = text.replace("_", "")
    body = plain.lstrip("+-")
    sign = -1 if plain.startswith("-") else 1
    if body[:2] in ("0x", "0o", "0b"):
        expected = sign * int(body, 0)
    elif "." in body or "e" in body or int(body) >= 2**64:
        expected = float(plain)
    elif body.startswith("0") and len(body) > 1:
        expected = sign * int(body, 8)
    else:
        expected = sign * int(body)
    assert value == expected and isinstance(value, type(expected)), (text, value)


# --- the disagreements found against the API server, each as a case ----------------------------------------
POD = """apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
  - name: a
    image: nginx:1.27
    {field}
"""


@pytest.mark.parametrize("value", ["y", "1e3", "1.0e3", "0o17", "yes", "0x10", "off"])
def test_env_values_go_reads_as_bools_or_numbers_are_refused(value):
    findings = lint(POD.format(field=f"env: [{{name: A, value: {value}}}]"), advice=False)
    assert [(f.rule, f.path) for f in findings] == [("type-mismatch", "spec.containers[0].env[0].value")]
    assert "remove the quotes" not in findings[0].message


@pytest.mark.parametrize("field", ["ports: [{containerPort: 8080.0}]", "env: [{name: A, value: 10:30}]",
                                   "env: [{name: A, value: =}]", "command: [sh, -c, \"echo \\'hi\\'\"]",
                                   "ports: [{containerPort: 0x50}]", "ports: [{containerPort: 8_080}]"])
def test_values_go_reads_as_the_server_accepts_them_pass(field):
    assert lint(POD.format(field=field), advice=False) == []


def test_default_mode_in_0o_octal_is_420():
    text = POD.format(field="volumeMounts: [{name: v, mountPath: /v}]") + \
        "  volumes: [{name: v, configMap: {name: c, defaultMode: 0o644}}]\n"
    [document] = load(text)
    assert document.to_python()["spec"]["volumes"][0]["configMap"]["defaultMode"] == 420
    assert lint(text, advice=False) == []


def test_default_mode_0999_is_a_number_not_quoted_text():
    """0999 is no octal number, so Go reads the float 999: no quotes to remove."""
    [document] = load("defaultMode: 0999\n")
    assert document.to_python() == {"defaultMode": 999} and type(document.to_python()["defaultMode"]) is int


VALID_POD = POD.format(field="ports: [{containerPort: 80}]")


@pytest.mark.parametrize("stream", [
    "---\n# only a comment\n---\n\n---\n" + VALID_POD + "---\n",
    VALID_POD + "---\n",
    VALID_POD + "...\n",
    "# leading comment\n---\n" + VALID_POD + "--- # trailing comment\n---\r\n",
    "null\n---\n" + VALID_POD + "---\n~\n",
])
def test_empty_comment_only_and_null_documents_are_skipped(stream):
    [document] = load(stream)
    assert document.error is None and document.name == "p"
    assert lint(stream, advice=False) == []


@pytest.mark.parametrize("separator", ["--- null", "--- {kind: Pod}", "----", "--- |"])
def test_a_separator_line_with_content_stops_reading_like_kubectl(separator):
    """kubectl's YAMLReader allows only a comment after `---` ("invalid Yaml document separator"); it returns
    that error instead of the document before the line, and stops."""
    first, broken = load(VALID_POD + "---\n" + VALID_POD + separator + "\n" + VALID_POD)
    assert first.error is None and broken.error is not None
    assert broken.error.line == 2 * VALID_POD.count("\n") + 2
    assert "invalid Yaml document separator" in broken.error.message


def test_a_document_is_limited_to_the_api_servers_request_size_not_the_input():
    big = VALID_POD.replace("metadata: {name: p}", "metadata: {name: p, annotations: {a: %s}}" % ("x" * (3 << 20)))
    documents = load(VALID_POD + "---\n" + big + "---\n" + VALID_POD)
    assert [d.error.rule if d.error else None for d in documents] == [None, "yaml-limit", None]
    assert "3 MiB" in documents[1].error.message and documents[1].error.line == VALID_POD.count("\n") + 2


def test_a_stream_of_json_objects_is_read_object_by_object_with_positions():
    text = ('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}'
            '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}\n'
            '  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c", "x": 1.0}}\n')
    documents = load(text)
    assert [d.name for d in documents] == ["a", "b", "c"] and all(d.error is None for d in documents)
    assert [d.line for d in documents] == [1, 1, 2]
    name = documents[1].root.get("metadata").get("name")
    assert (name.line, name.column) == (1, text.index('"b"') + 1)
    assert documents[2].to_python()["metadata"]["x"] == 1


def test_one_json_object_then_yaml_is_read_and_two_then_junk_is_refused():
    assert [d.to_python() for d in load('{"kind": "A"}\nkind: B\n')] == [{"kind": "A"}, {"kind": "B"}]
    *_, broken = load('{"kind": "A"}\n{"kind": "B"}\nkind: C\n')
    assert broken.error is not None and broken.error.line == 3 and "kubectl stops reading" in broken.error.message


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                          ("utf-8", b"\xef\xbb\xbf")])
def test_byte_order_marks_select_the_encoding(encoding, bom, tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_bytes(bom + VALID_POD.encode(encoding))
    [document] = load(path)
    assert document.error is None and document.name == "p"
    assert lint(path, advice=False) == []


DEPLOYMENT = """  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      selector: {matchLabels: {app: d}}
      template:
        metadata: {labels: {app: d}}
        spec: {containers: [{name: a}]}
"""


@pytest.mark.parametrize("kind", ["List", "PodList", "DeploymentList"])
def test_a_list_stands_for_its_items_and_each_is_checked_at_its_path(kind):
    valid = DEPLOYMENT.replace("name: a}", "name: a, image: nginx:1.27}")
    text = f"apiVersion: v1\nkind: {kind}\nitems:\n" + valid + DEPLOYMENT
    documents = load(text)
    assert [d.kind for d in documents] == ["Deployment", "Deployment"]
    findings = [f for f in lint(text, advice=False) if f.severity == "error"]
    assert findings and all(f.path.startswith("items[1].spec.template.spec.containers[0]") for f in findings)
    assert all(f.server_message.startswith("spec.template.spec.containers[0]") for f in findings)
    assert exit_code(findings) == 2


@pytest.mark.parametrize("items,shown", [("[[]]", "array"), ("[5]", "number"), ("[x]", "string")])
def test_list_items_that_are_not_objects_are_refused_like_kubectl(items, shown):
    findings = lint(f"apiVersion: v1\nkind: List\nitems: {items}\n")
    assert [f.rule for f in findings] == ["not-an-object"]
    assert f"cannot unmarshal {shown} into Go value of type map[string]interface {{}}" in findings[0].message
    assert findings[0].line == 3 and exit_code(findings) == 3  # not an object: unreadable input, as kubectl


def test_an_empty_list_holds_nothing_to_check():
    assert load("apiVersion: v1\nkind: List\nitems: []\n") == []


def test_a_duplicate_key_says_what_kubectl_and_the_strict_raw_body_do():
    text = VALID_POD.replace("image: nginx:1.27", "image: nginx:1.26\n    image: nginx:1.27")
    assert lint(text, advice=False) == []  # what kubectl sends is accepted
    [duplicate] = [f for f in lint(text) if f.rule == "duplicate-key"]
    assert duplicate.rule == "duplicate-key" and duplicate.severity == "warning" and duplicate.line == 8
    assert "kubectl keeps the second value and the API server accepts" in duplicate.message
    assert "fieldValidation=Strict" in duplicate.message
    assert duplicate.server_message.endswith('line 8: key "image" already set in map')
    assert load(VALID_POD.replace("image: nginx:1.27", "image: x\n    image: nginx:1.27"))[0] \
        .to_python()["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_merge_keys_follow_go_yaml_order():
    """go-yaml v2 sets merged keys where ``<<`` stands: a key before it is replaced, one after it wins, and
    of a list of mappings the first wins (decode.go merge)."""
    [before] = load("a: 1\n<<: {a: 2, b: 3}\n")
    assert before.to_python() == {"a": 2, "b": 3} and before.duplicates[0].merge_line == 2
    [after] = load("<<: {a: 2, b: 3}\na: 1\n")
    assert after.to_python() == {"a": 1, "b": 3} and after.duplicates[0].first_merge_line == 1
    [listed] = load("<<: [{a: 1}, {a: 2, c: 1}]\n")
    assert listed.to_python() == {"a": 1, "c": 1}
    assert "merge key (<<)" in before.duplicates[0].message


def test_apply_reads_files_with_the_same_loader():
    from podnotes.cluster import load_documents

    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
            "  data: {port: \"8080\"}\n  binaryData: {}\n  immutable: y\n")
    [document] = load_documents(text)
    assert document.body["immutable"] is True and document.body["metadata"]["name"] == "a"


def test_a_list_inside_a_list_stands_for_its_items_too():
    """kubectl flattens a List among a List's items as well (tools/kubectl-decode shows what it sends)."""
    text = ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p1}}\n"
            "- apiVersion: v1\n  kind: List\n  items: [{apiVersion: v1, kind: Pod, metadata: {name: p2}}]\n")
    documents = load(text)
    assert [(d.kind, d.name) for d in documents] == [("Pod", "p1"), ("Pod", "p2")]
    assert documents[1].root.path == "items[1].items[0]"
