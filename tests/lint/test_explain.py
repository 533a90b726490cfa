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


# --- as `kubectl explain` shows a field ------------------------------------------------------------------

def test_header_names_kind_and_version_as_kubectl_explain_does():
    text = explain_field("deployment.spec.replicas").render()
    assert text.splitlines()[:3] == ["KIND:       Deployment", "VERSION:    apps/v1", ""]
    assert explain_field("pod").render().startswith("KIND:       Pod\nVERSION:    v1\n")


def test_each_child_field_has_its_first_sentence_under_it():
    lines = explain_field("pod.spec.containers.livenessProbe").render().splitlines()
    at = lines.index("  periodSeconds\t<int32>")
    assert lines[at + 1] == "    How often (in seconds) to perform the probe"
    recursive = explain_field("pod.spec.containers.livenessProbe", recursive=True).render(recursive=True).splitlines()
    at = recursive.index("  periodSeconds\t<int32>")
    assert not recursive[at + 1].startswith("    How often"), "kubectl explain --recursive lists names only"


def test_restart_policies_are_listed_as_allowed_values():
    """PodSpec.restartPolicy: Always, OnFailure, Never; a container's: only Always (the sidecar pattern) before
    container restart rules, the same three since 1.35 (validateInitContainerRestartPolicy and
    validateContainerRestartPolicy in k8s.io/kubernetes v1.37.2 pkg/apis/core/validation/validation.go)."""
    assert explain_field("pod.spec.restartPolicy").allowed == ("Always", "OnFailure", "Never")
    assert explain_field("pod.spec.initContainers.restartPolicy", k8s_version="1.33").allowed == ("Always",)
    assert explain_field("pod.spec.initContainers.restartPolicy").allowed == ("Always", "OnFailure", "Never")
    assert "allowed values: Always, OnFailure, Never" in explain_field("pod.spec.restartPolicy").render()


@pytest.mark.parametrize("width", [40, 84, 200])
def test_wrapped_at_word_boundaries_to_the_width(width):
    text = explain_field("pod.spec.containers", recursive=False).render(width=width)
    words = set(explain_field("pod.spec.containers").description.split())
    for line in text.splitlines():
        assert len(line) <= width or " " not in line.strip(), line
    assert set(" ".join(text.split("DESCRIPTION:")[1].split("FIELDS:")[0].split()).split()) == words


def test_terminal_width_follows_columns():
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "200"}
    wide = subprocess.run([sys.executable, "-m", "podnotes", "explain", "pod.spec.containers.livenessProbe"],
                          capture_output=True, text=True, env=env, timeout=60).stdout
    assert max(len(line) for line in wide.splitlines()) > 100
    env["COLUMNS"] = "60"
    narrow = subprocess.run([sys.executable, "-m", "podnotes", "explain", "pod.spec.containers.livenessProbe"],
                            capture_output=True, text=True, env=env, timeout=60).stdout
    assert all(len(line) <= 60 for line in narrow.splitlines() if "://" not in line)


def test_deployment_defaults_are_explained_and_annotated():
    """SetDefaults_Deployment, k8s.io/kubernetes pkg/apis/apps/v1/defaults.go."""
    assert explain_field("deployment.spec.revisionHistoryLimit").default == "10"
    assert explain_field("deployment.spec.progressDeadlineSeconds").default == "600"
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  revisionHistoryLimit: 3\n"
                "  strategy: {type: Recreate}\n  selector: {matchLabels: {app: web}}\n  template:\n"
                "    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27}]\n")
    defaults = {d.path: d.meaning for d in annotate(manifest)[0].defaults}
    assert defaults["spec.progressDeadlineSeconds"] == "600" and defaults["spec.replicas"] == "1"
    assert "spec.revisionHistoryLimit" not in defaults, "the manifest sets it"
    assert not any(path.startswith("spec.strategy.rollingUpdate") for path in defaults), "Recreate has none"
    assert "spec.template.spec.restartPolicy" in defaults
