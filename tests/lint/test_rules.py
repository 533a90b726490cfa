"""The API server's wording, context rules and advice, one behaviour per test."""

from __future__ import annotations

import pytest

from podnotes.kube.defaults import default_pull_policy, parse_image
from podnotes.kube.quantity import parse_quantity
from podnotes.lint import ERROR, WARNING, Finding, exit_code, lint
from podnotes.lint.advice import qos_class
from podnotes.manifest import from_python


def pod(**container) -> dict:
    base = {"name": "app", "image": "app:1.0"}
    base.update(container)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [base]}}


def errors(source, **kwargs) -> list[Finding]:
    return [f for f in lint(source, **kwargs) if f.severity == ERROR]


def test_unsupported_pull_policy_uses_the_servers_exact_message():
    [finding] = errors(pod(imagePullPolicy="Nerver"))
    assert finding.server_message == ('spec.containers[0].imagePullPolicy: Unsupported value: "Nerver": '
                                      'supported values: "Always", "IfNotPresent", "Never"')
    assert finding.line is None and finding.column is None  # a plain dict has no positions
    assert "did you mean `Never`" in finding.message


def test_finding_is_a_keyword_constructible_dataclass():
    finding = Finding(rule="dry-run", severity="error", message="m", file="f.yaml", line=3, column=1,
                      path="spec", fix="", server_message="s")
    assert finding.as_dict()["serverMessage"] == "s" and finding.as_dict()["object"] is None
    assert str(finding) == "f.yaml:3:1: error [dry-run] m"


def test_second_and_third_probe_handlers_are_each_reported_in_server_order():
    probe = {"tcpSocket": {"port": 80}, "exec": {"command": ["true"]}, "httpGet": {"port": 80}}
    found = [f.path for f in errors(pod(livenessProbe=probe))]
    assert found == ["spec.containers[0].livenessProbe.httpGet", "spec.containers[0].livenessProbe.tcpSocket"]


def test_probe_without_handler_is_required_value():
    [finding] = errors(pod(readinessProbe={"periodSeconds": 5}))
    assert finding.server_message.endswith("Required value: must specify a handler type")


@pytest.mark.parametrize("kind,api,path,value,allowed", [
    ("Deployment", "apps/v1", "spec.template.spec", "Never", '"Always"'),
    ("Job", "batch/v1", "spec.template.spec", "Always", '"OnFailure", "Never"'),
])
def test_restart_policy_is_checked_per_context(kind, api, path, value, allowed):
    spec = {"restartPolicy": value, "containers": [{"name": "a", "image": "a:1"}]}
    doc = {"apiVersion": api, "kind": kind, "metadata": {"name": "x"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": spec}}}
    if kind == "Job":
        del doc["spec"]["selector"]
    [finding] = errors(doc)
    assert finding.server_message == f'{path}.restartPolicy: Unsupported value: "{value}": supported values: {allowed}'


def test_sidecar_init_container_may_have_probes_but_plain_init_container_may_not():
    def with_init(**init):
        doc = pod()
        doc["spec"]["initContainers"] = [{"name": "init", "image": "i:1", **init}]
        return doc
    probe = {"tcpSocket": {"port": 9}}
    assert not errors(with_init(restartPolicy="Always", readinessProbe=probe))
    [finding] = errors(with_init(readinessProbe=probe))
    assert finding.server_message.endswith("Forbidden: may not be set for init containers without restartPolicy=Always")


def test_container_names_are_unique_across_init_and_regular_containers():
    doc = pod()
    doc["spec"]["initContainers"] = [{"name": "app", "image": "i:1"}]
    [finding] = errors(doc)
    assert finding.server_message == 'spec.initContainers[0].name: Duplicate value: "app"'


def test_image_is_required_for_pods():
    doc = pod()
    del doc["spec"]["containers"][0]["image"]
    [finding] = errors(doc)
    assert finding.server_message == "spec.containers[0].image: Required value"


def test_unknown_field_suggests_the_nearest_name():
    [finding] = errors(pod(imagePullPolicyy="Always"))
    assert finding.rule == "unknown-field"
    assert "did you mean `imagePullPolicy`" in finding.message
    assert finding.server_message == 'strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"'


def test_wrong_level_field_names_where_it_belongs():
    [finding] = errors(pod(limits={"memory": "1Gi"}))
    assert "belongs inside `resources`" in finding.message


@pytest.mark.parametrize("text,value", [("500m", "0.5"), ("1Gi", str(2**30)), ("1e3", "1000"), ("128M", "128000000"),
                                        ("0.5", "0.5"), (".5", "0.5")])
def test_quantities_parse_like_the_server(text, value):
    assert parse_quantity(text) == parse_quantity(value)


@pytest.mark.parametrize("text", ["1Gb", "512MB", "1.5.5", "", "ten", "1 Gi", "1mi"])
def test_invalid_quantities_are_rejected(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_memory_in_millibytes_is_a_warning_with_the_servers_text():
    doc = pod(resources={"requests": {"memory": "500m"}, "limits": {"memory": "1Gi"}})
    [finding] = [f for f in lint(doc) if f.rule == "fractional-memory"]
    assert finding.severity == WARNING
    assert "fractional byte value" in finding.server_message


@pytest.mark.parametrize("image,tag,digest,policy", [
    ("nginx", None, None, "Always"),
    ("nginx:latest", "latest", None, "Always"),
    ("nginx:1.27", "1.27", None, "IfNotPresent"),
    ("localhost:5000/app", None, None, "Always"),
    ("localhost:5000/app:2", "2", None, "IfNotPresent"),
    ("app@sha256:" + "a" * 64, None, "sha256:" + "a" * 64, "IfNotPresent"),
])
def test_image_references_and_the_pull_policy_default(image, tag, digest, policy):
    ref = parse_image(image)
    assert (ref.tag, ref.digest) == (tag, digest)
    assert default_pull_policy(image) == policy


def test_qos_classes():
    def spec(resources):
        return from_python({"containers": [{"name": "a", "resources": resources}]})
    assert qos_class(spec({})) == "BestEffort"
    assert qos_class(spec({"limits": {"cpu": "1", "memory": "1Gi"}})) == "Guaranteed"
    assert qos_class(spec({"requests": {"cpu": "1"}})) == "Burstable"


def test_restricted_level_reports_each_upstream_check():
    rules = {f.rule for f in lint(pod(), level="restricted") if f.rule.startswith("pss-")}
    assert rules == {"pss-allowPrivilegeEscalation", "pss-runAsNonRoot", "pss-seccompProfile_restricted",
                     "pss-capabilities_restricted"}
    assert not {f.rule for f in lint(pod(), level="baseline") if f.rule.startswith("pss-")}


def test_ignore_annotation_with_reason_silences_a_rule():
    doc = pod(image="app:latest")
    assert any(f.rule == "image-tag-latest" for f in lint(doc))
    doc["metadata"]["annotations"] = {"podnotes.io/ignore": "image-tag-latest=tracks upstream on purpose"}
    assert not any(f.rule == "image-tag-latest" for f in lint(doc))


def test_exit_codes():
    assert exit_code([]) == 0
    assert exit_code([Finding("qos-class", "info", "")]) == 0
    assert exit_code([Finding("naked-pod", "warning", "")]) == 1
    assert exit_code([Finding("invalid-enum", "error", ""), Finding("x", "warning", "")]) == 2
    assert exit_code([Finding("yaml-syntax", "error", "")]) == 3


def test_other_kinds_are_reported_as_not_checked():
    [finding] = lint({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert finding.rule == "kind-not-checked"


def test_k8s_version_selects_the_schema():
    sidecar = pod()
    sidecar["spec"]["initContainers"] = [{"name": "s", "image": "s:1", "restartPolicy": "Always"}]
    assert not errors(sidecar, k8s_version="1.33")
    # Lifecycle sleep actions appeared in 1.29: an older API does not know the field.
    hook = pod(lifecycle={"preStop": {"sleep": {"seconds": 3}}})
    assert not errors(hook, k8s_version="1.30")
    assert [f.rule for f in errors(hook, k8s_version="1.25")] == ["unknown-field"]


def test_selector_must_match_the_template_labels():
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"app": "shop"}},
                    "template": {"metadata": {"labels": {"app": "shopp"}},
                                 "spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}
    [finding] = errors(doc)
    assert finding.rule == "selector-mismatch"
    assert finding.server_message.endswith("`selector` does not match template `labels`")
    doc["spec"]["template"]["metadata"]["labels"]["app"] = "shop"
    assert not errors(doc)


def test_volume_source_paths_use_the_servers_spelling():
    doc = pod()
    doc["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "c"}, "downwardAPI": {"items": []}}]
    [finding] = errors(doc)
    assert finding.path == "spec.volumes[0].configMap"  # downwardAPI is checked first, configMap later
    assert finding.server_message == "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type"
    doc["spec"]["volumes"] = [{"name": "v", "emptyDir": {}, "downwardAPI": {"items": []}}]
    [finding] = errors(doc)
    assert finding.server_message.startswith("spec.volumes[0].downwarAPI: Forbidden")


def test_ephemeral_target_must_exist():
    doc = pod()
    doc["spec"]["ephemeralContainers"] = [{"name": "dbg", "image": "busybox:1.36", "targetContainerName": "ap"}]
    messages = [f.server_message for f in errors(doc)]
    assert messages == ["spec.ephemeralContainers: Forbidden: cannot be set on create",
                        'spec.ephemeralContainers[0].targetContainerName: Not found: "ap"']


def test_probe_grace_period_rules():
    readiness = errors(pod(readinessProbe={"tcpSocket": {"port": 80}, "terminationGracePeriodSeconds": 5}))
    assert [f.server_message for f in readiness] == [
        "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: "
        "must not be set for readinessProbes"]
    assert not errors(pod(livenessProbe={"tcpSocket": {"port": 80}, "terminationGracePeriodSeconds": 5}))


def test_probe_naming_an_undeclared_port_is_a_warning():
    doc = pod(ports=[{"name": "http", "containerPort": 80}], readinessProbe={"httpGet": {"port": "htp"}})
    [finding] = [f for f in lint(doc) if f.rule == "probe-port-unknown"]
    assert finding.severity == WARNING and finding.path == "spec.containers[0].readinessProbe.httpGet.port"


def test_environment_variables():
    assert not errors(pod(env=[{"name": "1ST", "value": "x"}]))  # any printable ASCII but '=' since 1.32
    assert [f.rule for f in errors(pod(env=[{"name": "1ST", "value": "x"}]), k8s_version="1.30")] == ["invalid-name"]
    [equals] = errors(pod(env=[{"name": "A=B", "value": "x"}]))
    assert equals.server_message.endswith("printable ASCII characters other than '='")
    both = errors(pod(env=[{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]))
    assert [f.server_message for f in both] == [
        'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty']
    two = errors(pod(env=[{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"},
                                                      "secretKeyRef": {"name": "s", "key": "k"}}}]))
    assert [f.rule for f in two] == ["env-source"]
    assert not errors(pod(env=[{"name": "my.env-name", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]))


def test_host_network_ports_must_match():
    doc = pod(ports=[{"containerPort": 8080, "hostPort": 80}])
    doc["spec"]["hostNetwork"] = True
    [finding] = errors(doc)
    assert finding.server_message.endswith("must match `containerPort` when `hostNetwork` is true")


def test_app_container_restart_policy_depends_on_the_version():
    doc = pod(restartPolicy="OnFailure")
    assert not errors(doc)
    [old] = errors(doc, k8s_version="1.33")
    assert old.server_message == "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
    assert [f.rule for f in errors(pod(restartPolicy="Sometimes"))] == ["invalid-enum"]


def test_init_container_restart_policy_depends_on_the_version():
    """Since container restart rules (1.35, on by default) an init container's restartPolicy may also be
    OnFailure or Never; before, only Always. The v1.37.2 API server accepts both on a dry run, and lists the
    values sorted for anything else (validateInitContainerRestartPolicy, pkg/apis/core/validation)."""
    def with_init(policy):
        doc = pod()
        doc["spec"]["initContainers"] = [{"name": "init", "image": "i:1", "restartPolicy": policy}]
        return doc
    for policy in ("Never", "OnFailure", "Always"):
        assert not errors(with_init(policy)), policy
    [old] = errors(with_init("Never"), k8s_version="1.34")
    assert (old.rule, old.server_message) == (
        "restart-policy-context",
        'spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"')
    [wrong] = errors(with_init("Sometimes"))
    assert (wrong.rule, wrong.server_message) == (
        "invalid-enum", 'spec.initContainers[0].restartPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "Never", "OnFailure"')
    [app] = errors(pod(restartPolicy="Sometimes"))
    assert app.server_message.endswith('supported values: "Always", "Never", "OnFailure"')


def test_pod_level_field_rules():
    doc = pod(image=" nginx:1.27")
    doc["spec"].update({"activeDeadlineSeconds": 0, "hostname": "Host_Name", "dnsPolicy": "None",
                        "securityContext": {"runAsUser": -1}, "nodeSelector": {"disk": "ssd!"},
                        "tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]})
    doc["metadata"]["labels"] = {"bad key": "x", "app": "a" * 64}
    doc["spec"]["containers"][0]["resources"] = {"limits": {"gpu": "1", "memory": "-1Gi"}}
    paths = sorted(f.path for f in errors(doc))
    assert paths == sorted([
        "metadata.labels", "metadata.labels", "spec.activeDeadlineSeconds", "spec.containers[0].image",
        "spec.containers[0].resources.limits[gpu]", "spec.containers[0].resources.limits[memory]",
        "spec.containers[0].resources.requests[gpu]", "spec.containers[0].resources.requests[memory]",
        "spec.dnsConfig", "spec.hostname", "spec.nodeSelector", "spec.securityContext.runAsUser",
        "spec.tolerations[0].operator"])


def test_an_integer_too_long_for_any_number_is_explained_not_called_a_string():
    """Go's YAML reader (yaml.v2 resolve) keeps a plain integer that fits neither
    int64, uint64 nor float64 as a string, so the server answers "cannot
    unmarshal string"; the finding says why the user's number became text."""
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
            f"  terminationGracePeriodSeconds: {'9' * 500}\n  containers:\n  - {{name: a, image: a:1}}\n")
    [finding] = errors(text)
    assert finding.rule == "type-mismatch"
    assert "a number of 500 digits is too large for any number, so YAML reads it as text" in finding.message
    assert finding.fix == "write a number that fits int64"
    assert "cannot unmarshal string into Go struct field" in finding.server_message
