"""Hostile input gives one clear error each, quickly and within a memory bound, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from podnotes import manifest
from podnotes.lint import UNREADABLE_RULES, exit_code, lint

BILLION_LAUGHS = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: lol
      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
      b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
      c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
      d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
      e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
      f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
      g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
      h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
      i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    spec: {containers: [{name: a, image: a:1}]}
    """)

INPUTS = {
    "billion-laughs": BILLION_LAUGHS,
    "nested-flow-5000": "[" * 5000 + "]" * 5000,
    "nested-block-5000": "".join("  " * i + "a:\n" for i in range(5000)) + "  " * 5000 + "b\n",
    "twenty-megabytes": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n    blob: "
                        + "x" * (20 * 1024 * 1024) + "\n",
    "binary-junk": bytes(range(256)) * 64,
}

# Runs in a fresh interpreter, so peak memory belongs to this one input.
CHILD = textwrap.dedent("""\
    import json, resource, sys, time
    from podnotes.lint import lint
    from podnotes import manifest
    if sys.argv[2] == "pure":
        manifest._Loader, manifest.LIBYAML = manifest._PureLoader, False
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    findings = lint(data)
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"seconds": seconds, "grown_kb": grown, "rules": [f.rule for f in findings],
                      "messages": [f.message for f in findings]}))
    """)


@pytest.mark.parametrize("parser", ["libyaml", "pure"])
@pytest.mark.parametrize("name", list(INPUTS))
def test_hostile_input_gives_one_clear_error(name, parser, tmp_path):
    if parser == "libyaml" and not manifest.LIBYAML:
        pytest.skip("PyYAML was built without libyaml")
    data = INPUTS[name]
    path = tmp_path / "input.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), parser], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["rules"]) == 1, report
    assert report["rules"][0] in UNREADABLE_RULES
    assert "Traceback" not in result.stderr
    assert report["seconds"] < 1.0, report
    assert report["grown_kb"] < 200 * 1024, report


def test_alias_bomb_names_the_budget():
    [finding] = lint(BILLION_LAUGHS)
    assert finding.rule == "yaml-limit" and "alias" in finding.message
    assert finding.line is not None


def test_oversized_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(manifest.MAX_INPUT_BYTES + 1)
    [finding] = lint(big)
    assert finding.rule == "yaml-limit" and finding.file == str(big)
    assert exit_code([finding]) == 3


def test_unreadable_file_and_missing_file(tmp_path):
    [missing] = lint(str(tmp_path / "absent.yaml"))
    assert missing.rule == "unreadable" and "No such file" in missing.message


def test_a_tag_go_does_not_know_is_ignored_and_runs_nothing():
    """go-yaml resolves only the standard scalar tags (resolve.go resolvableTag) and ignores the others, so
    kubectl sends this metadata as the mapping it is; nothing is constructed from the tag."""
    [document] = manifest.load("apiVersion: v1\nkind: Pod\nmetadata: !!python/object:os.system {name: x}\n")
    assert document.error is None and document.to_python()["metadata"] == {"name": "x"}


def test_bytes_that_are_not_utf8_are_replaced_as_kubectl_does(tmp_path):
    """kubectl reads files through unicode.BOMOverride(unicode.UTF8.NewDecoder()), which turns each byte that
    is not UTF-8 into U+FFFD (k8s.io/cli-runtime/pkg/resource/visitor.go)."""
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: caf\xe9\n".encode("latin-1"))
    [document] = manifest.load(latin1)
    assert document.error is None and document.to_python() == {"name": "caf\ufffd"}


def test_syntax_error_in_a_later_document_keeps_the_earlier_ones():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: a:1}]}\n---\nkey: [\n"
    findings = lint(text)
    assert [f.rule for f in findings if f.severity == "error"] == ["yaml-syntax"]
    assert any(f.rule == "naked-pod" for f in findings), "the first document was still checked"


def test_findings_past_the_limit_are_counted_by_one_finding_that_keeps_the_exit_code():
    from podnotes.lint import MAX_FINDINGS

    containers = "".join(f"  - {{name: c{i}, image: nginx}}\n" for i in range(1500))
    text = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  containers:\n{containers}" \
           "  - {name: bad, image: nginx:1, imagePullPolicy: Sometimes}\n"
    findings = lint(text)
    assert len(findings) == MAX_FINDINGS
    summary = findings[-1]
    assert summary.rule == "findings-truncated" and summary.severity == "warning"
    assert "more findings are not shown" in summary.message and "image-tag-missing" in summary.message
    assert any(f.rule == "invalid-enum" for f in findings), "errors are kept before advice"
    assert exit_code(findings) == 2
