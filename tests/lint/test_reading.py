"""``lint --reading kubectl|raw``: a key given twice, or set again by a merge key, is answered for the way the
file reaches the API server. kubectl (k8s.io/apimachinery pkg/util/yaml YAMLOrJSONDecoder over sigs.k8s.io/yaml)
keeps the value set last and sends JSON the server accepts; a raw YAML body under fieldValidation=Strict is
decoded strictly (pkg/runtime/serializer/yaml, YAMLToJSONStrict) and refused. Checked against kube-apiserver
1.37.2 by tests/cluster/test_linter_vs_server.py on both ways.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from podnotes.cli import main
from podnotes.lint import ERROR, WARNING, lint

TWICE = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
    image: nginx:1.26
"""
MERGED = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - &first
    name: a
    image: nginx:1.27
  - <<: *first
    name: b
"""


def duplicates(text: str, **options) -> list:
    return [f for f in lint(text, level="privileged", **options) if f.rule == "duplicate-key"]


@pytest.mark.parametrize("text", [TWICE, MERGED])
def test_kubectl_reading_warns_and_raw_reading_refuses(text):
    kubectl = duplicates(text)
    assert [f.severity for f in kubectl] == [WARNING]
    assert "kubectl keeps" in kubectl[0].message and "fieldValidation=Strict" in kubectl[0].message
    assert duplicates(text, advice=False) == []  # the server accepts what kubectl sends
    raw = duplicates(text, reading="raw", advice=False)
    assert [f.severity for f in raw] == [ERROR]
    assert 'already set in map' in raw[0].server_message
    assert "the API server refuses the object" in raw[0].message  # the finding says what this reading meets
    assert "accepts the object" not in raw[0].message.partition("(")[0]


def test_an_unknown_reading_is_refused():
    with pytest.raises(ValueError, match="reading must be one of kubectl, raw"):
        lint(TWICE, reading="json")


def test_the_cli_option_changes_the_exit_code(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(TWICE)
    codes = {}
    for reading in ("kubectl", "raw"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            codes[reading] = main(["lint", str(path), "--level", "privileged", "--reading", reading, "-o", "json"])
        report = json.loads(out.getvalue())
        assert any(f["rule"] == "duplicate-key" for f in report["findings"])
    assert codes == {"kubectl": 1, "raw": 2}
