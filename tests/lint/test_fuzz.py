"""Property-based fuzzing: no generated document makes the loader or the linter raise."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podnotes import goyaml
from podnotes.lint import SEVERITIES, lint
from podnotes.manifest import load

FIELD_NAMES = ["apiVersion", "kind", "metadata", "name", "spec", "containers", "initContainers",
               "ephemeralContainers", "image", "imagePullPolicy", "restartPolicy", "livenessProbe", "readinessProbe",
               "startupProbe", "exec", "httpGet", "tcpSocket", "grpc", "port", "command", "volumes", "emptyDir",
               "hostPath", "volumeMounts", "mountPath", "resources", "limits", "requests", "cpu", "memory", "ports",
               "containerPort", "lifecycle", "preStop", "postStart", "sleep", "securityContext", "template",
               "jobTemplate", "labels", "annotations", "env", "value", "successThreshold", "hostNetwork", "bogus"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False),
                    st.sampled_from([2**31, 2**63, -2**63 - 1, 10**30, float("inf"), float("-inf")]),
                    st.sampled_from(["Pod", "v1", "Always", "Nerver", "1Gb", "500m", "nginx:latest", "", "apps/v1",
                                     "Deployment", "Job", "CronJob", "app", "http", "-bad-", "podnotes.io/ignore"]),
                    st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=5)), max_leaves=25)
DOCUMENTS = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "v2"]),
     "kind": st.sampled_from(["Pod", "Deployment", "Job", "CronJob", "StatefulSet", "Service"])},
    optional={"metadata": VALUES, "spec": VALUES})

class _GoSafeDumper(yaml.SafeDumper):
    """Quotes every string that Go's YAML reader would not read back as a string (PyYAML quotes only what
    YAML 1.1 resolves otherwise, and leaves `y` or `0o17` plain)."""

    def represent_str(self, data):
        style = '"' if data and goyaml.resolve_plain(data)[0] != goyaml.STR else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_GoSafeDumper.add_representer(str, _GoSafeDumper.represent_str)


def _as_kubectl_sends(value):
    """The JSON kubectl sends for plain data written as YAML: an integer beyond int64 and uint64 becomes a
    float64, and an integral float below 1e21 is written as an integer (encoding/json)."""
    if isinstance(value, dict):
        return {key: _as_kubectl_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_kubectl_sends(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        value = float(value)
    return goyaml.to_json(value)


SEED = """apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx:1.27
    livenessProbe: {httpGet: {path: /, port: 80}, exec: {command: [true]}}
  volumes: [{name: v, emptyDir: {}, hostPath: {path: /x}}]
"""


def _check(findings):
    for finding in findings:
        assert finding.severity in SEVERITIES
        assert isinstance(finding.message, str) and finding.message
        assert finding.line is None or finding.line >= 1


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_generated_objects_as_dicts_and_as_yaml(document):
    _check(lint(document))
    text = yaml.dump(document, Dumper=_GoSafeDumper)
    _check(lint(text))
    assert load(text)[0].to_python() == _as_kubectl_sends(document)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SEED)), st.integers(0, 3), st.text(max_size=3)), max_size=6))
def test_mutated_yaml_text(edits):
    text = SEED
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut:]
    _check(lint(text))


HOSTILE_INSERTS = ["!!int ", "!!float ", "!!bool ", "!!str ", "!!null ", "!!timestamp ", "!!binary ", "&a ", "*a",
                   "<<: *a\n", ".nan", ".inf", "1:2:3", "9" * 500, "1e99999", "? ", "!!python/tuple ", "\t", "\ufeff"]


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SEED)), st.integers(0, 3), st.sampled_from(HOSTILE_INSERTS)),
                min_size=1, max_size=5))
def test_hostile_tokens_in_yaml_text(edits):
    """Tags, anchors, aliases, odd numbers and tabs anywhere: findings with a line, never an exception."""
    text = SEED
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut:]
    findings = lint(text)
    _check(findings)
    for finding in findings:
        if finding.rule in ("yaml-tag", "number-range"):
            assert finding.line is not None, finding


def test_python_data_that_shares_or_contains_itself():
    """A dict whose parts are shared 2**30 times, or that contains itself, is refused like an alias bomb."""
    shared: dict = {"leaf": "x"}
    for _ in range(30):
        shared = {"a": shared, "b": shared}
    [bomb] = lint({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "labels": shared}})
    assert bomb.rule == "yaml-limit" and "more than 50,000 values" in bomb.message
    cyclic: dict = {"apiVersion": "v1", "kind": "Pod"}
    cyclic["spec"] = cyclic
    [cycle] = lint(cyclic)
    assert cycle.rule == "yaml-limit" and "contains itself" in cycle.message
