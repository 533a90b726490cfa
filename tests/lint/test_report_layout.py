"""The JSON and SARIF reports' layout (podnotes.lint.report.dumps_readable): the same JSON as
``json.dumps(indent=2)``, with the long lists (findings, SARIF results) one item per line."""

from __future__ import annotations

import json

from podnotes.lint import Options, lint_documents
from podnotes.lint.report import dumps_readable, to_json, to_sarif
from podnotes.manifest import load

VALUE = {"a": [1, 2], "b": {"c": "ü", "d": [], "e": {}}, "findings": [{"rule": "x", "n": 1}, {"rule": "y"}],
         "nested": [{"g": [True, None, 1.5]}]}
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: web, image: nginx, ports: [{containerPort: 99999}]}
"""


def test_without_long_lists_it_is_json_dumps_with_indentation():
    assert dumps_readable(VALUE) == json.dumps(VALUE, indent=2, ensure_ascii=False)


def test_a_long_list_has_one_item_per_line_and_reads_back_the_same():
    text = dumps_readable(VALUE, one_per_line=("findings",))
    assert json.loads(text) == VALUE
    assert '    {"rule": "x", "n": 1},\n    {"rule": "y"}\n' in text
    assert '"ü"' in text, "not escaped, as with ensure_ascii=False"


def test_the_reports_put_one_finding_or_result_on_a_line():
    findings = lint_documents(load(POD), Options())
    assert findings, "the Pod has findings to report"
    report = to_json(findings, k8s_version="1.37", level="baseline", exit_code=2)
    lines = [line for line in report.splitlines() if line.startswith('    {"rule": ')]
    assert len(lines) == len(json.loads(report)["findings"]) == len(findings)
    sarif = to_sarif(findings, version="0.0.0")
    results = json.loads(sarif)["runs"][0]["results"]
    assert results and sum(1 for line in sarif.splitlines() if line.startswith('        {"ruleId": ')) == len(results)
