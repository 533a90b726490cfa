"""Field explanations and annotated manifests."""

from __future__ import annotations

import pytest

from podnotes.explain import ExplainError, annotate, explain_field
from podnotes.lint.schema import available_versions


def test_probe_explained_with_its_one_of_group_and_fields():
    info = explain_field("spec.containers.livenessProbe.httpGet")
    assert info.type == "HTTPGetAction"
    assert info.one_of == ("exec", "httpGet", "tcpSocket", "grpc")
    assert {"host", "httpHeaders", "path", "port", "scheme"} <= {f.path.rsplit(".", 1)[1] for f in info.fields}
    port = next(f for f in info.fields if f.path.endswith(".port"))
    assert port.required and port.type == "int-or-string"


def test_fuzzy_parts_and_kind_prefixes():
    info = explain_field("deploy.spec.template.spec.containers.imagepullpolicy")
    assert info.path == "deployment.spec.template.spec.containers.imagePullPolicy"
    assert info.corrected == [("imagepullpolicy", "imagePullPolicy")]
    assert explain_field("pod.spec.containers[0].livenesProbe").path == "pod.spec.containers.livenessProbe"


def test_recursive_lists_nested_fields():
    info = explain_field("spec.containers.lifecycle", recursive=True)
    pre_stop = next(f for f in info.fields if f.path.endswith("preStop"))
    assert any(f.path.endswith("preStop.sleep") for f in pre_stop.fields)
    assert "sleep" in info.render(recursive=True)


def test_defaults_and_immutability():
    period = explain_field("spec.containers.readinessProbe.periodSeconds")
    assert period.default == "10"
    assert explain_field("spec.containers.image").immutable is False
    assert explain_field("spec.containers.ports").immutable is True


def test_unknown_field_is_an_explain_error():
    with pytest.raises(ExplainError):
        explain_field("spec.containers.image.tag")


def test_annotate_marks_server_defaults():
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a\n"
            "    readinessProbe:\n      httpGet: {port: 80}\n")
    [result] = annotate(text)
    defaults = {d.path: d.meaning for d in result.defaults}
    assert defaults["spec.containers[0].imagePullPolicy"].startswith("Always")
    assert defaults["spec.restartPolicy"].startswith("Always")
    assert defaults["spec.terminationGracePeriodSeconds"].startswith("30")
    assert defaults["spec.containers[0].readinessProbe.periodSeconds"] == "10"
    assert all(d.defaulted for d in result.defaults)
    rendered = result.render()
    assert "image: a" in rendered and "# the image to run" in rendered


def test_versions_covered():
    versions = available_versions()
    assert versions[0] == "1.25" and len(versions) >= 13


def test_annotate_plain_data():
    [result] = annotate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                         "spec": {"containers": [{"name": "a", "image": "a:1.0"}]}})
    assert "image: a:1.0" in result.render()
