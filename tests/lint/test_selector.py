"""Label selectors, the Job's generated labels and selector, and the fields the server decodes as empty structs:
each case is what kube-apiserver 1.37.2 answered (tests/cluster/test_linter_vs_server.py sends the same shapes).

Upstream: ValidateLabelSelector and ValidateLabelSelectorRequirement
(k8s.io/apimachinery pkg/apis/meta/v1/validation/validation.go), metav1.LabelSelectorAsSelector
(pkg/apis/meta/v1/helpers.go), ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateStatefulSetSpec,
ValidateDaemonSetSpec (pkg/apis/apps/validation/validation.go), validateJobSpec and
ValidateCronJobSpec (pkg/apis/batch/validation/validation.go), and generateSelector / PrepareForCreate
(pkg/registry/batch/job/strategy.go).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from podnotes.lint import ERROR, lint

LABELS = {"app": "demo"}
POD_SPEC = {"containers": [{"name": "web", "image": "nginx:1.27"}]}


def workload(kind: str, **spec) -> dict:
    group = "batch/v1" if kind == "Job" else "apps/v1"
    body: dict = {"selector": {"matchLabels": dict(LABELS)},
                  "template": {"metadata": {"labels": dict(LABELS)}, "spec": copy.deepcopy(POD_SPEC)}}
    if kind == "Job":
        body = {"manualSelector": True, **body}
        body["template"]["spec"]["restartPolicy"] = "Never"
    if kind == "StatefulSet":
        body["serviceName"] = "demo"
    body.update(spec)
    return {"apiVersion": group, "kind": kind, "metadata": {"name": "demo"}, "spec": body}


def errors(body: dict, **options) -> list:
    found = lint(yaml.safe_dump(body, sort_keys=False), advice=False, level="privileged", **options)
    return [f for f in found if f.severity == ERROR]


def paths(body: dict) -> set[str]:
    return {f.path for f in errors(body)}


OPERATOR = "spec.selector.matchExpressions[0].operator"
# kind -> the paths the server names for a selector with operator `Is` and an empty image in the template
SERVER_PATHS = {
    "Deployment": {OPERATOR, "spec.selector"},             # "invalid label selector"; template not validated
    "ReplicaSet": {OPERATOR, "spec.selector"},
    "StatefulSet": {OPERATOR, "spec.selector"},            # the same line without a detail
    "DaemonSet": {OPERATOR, "spec.template.spec.containers[0].image"},  # template still validated
    "Job": {OPERATOR, "spec.template.spec.containers[0].image"},        # with manualSelector: true
}


@pytest.mark.parametrize("kind", sorted(SERVER_PATHS))
def test_an_unknown_operator_is_refused_and_the_template_checked_as_the_server_does(kind):
    body = workload(kind, selector={"matchExpressions": [{"key": "app", "operator": "Is"}]})
    body["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    found = errors(body)
    assert {f.path for f in found} == SERVER_PATHS[kind]
    operator = next(f for f in found if f.path == OPERATOR)
    assert operator.rule == "invalid-selector"
    assert operator.server_message == f'{OPERATOR}: Invalid value: "Is": not a valid selector operator'
    whole = [f for f in found if f.path == "spec.selector"]
    if kind in ("Deployment", "ReplicaSet"):
        assert whole[0].server_message == ('spec.selector: Invalid value: {"matchExpressions":[{"key":"app",'
                                           '"operator":"Is"}]}: invalid label selector')
    if kind == "StatefulSet":
        assert whole[0].server_message.endswith('"operator":"Is"}]}')


@pytest.mark.parametrize("requirement,path,words", [
    ({"key": "app", "operator": "In"}, "values", "Required value: must be specified when `operator` is 'In' or "
                                                 "'NotIn'"),
    ({"key": "app", "operator": "NotIn", "values": []}, "values", "Required value"),
    ({"key": "app", "operator": "Exists", "values": ["a"]}, "values", "Forbidden: may not be specified when "
                                                                      "`operator` is 'Exists' or 'DoesNotExist'"),
    ({"key": "bad key", "operator": "Exists"}, "key", 'Invalid value: "bad key": name part must consist of'),
    ({"key": "app", "operator": "In", "values": ["demo", "bad value"]}, "values[1]",
     'Invalid value: "bad value": a valid label must be an empty string'),
    ({"key": "app", "operator": "in", "values": ["demo"]}, "operator", 'Invalid value: "in": not a valid selector'),
])
def test_each_requirement_rule(requirement, path, words):
    body = workload("Deployment", selector={"matchLabels": dict(LABELS), "matchExpressions": [requirement]})
    found = {f.path: f for f in errors(body)}
    full = f"spec.selector.matchExpressions[0].{path}"
    assert set(found) == {full, "spec.selector"}
    assert found[full].server_message.startswith(f"{full}: {words}")


def test_match_labels_values_are_label_values():
    body = workload("DaemonSet", selector={"matchLabels": {"app": "bad value"}})
    assert paths(body) == {"spec.selector.matchLabels"}


@pytest.mark.parametrize("selector", [
    {"matchLabels": dict(LABELS), "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
    {"matchLabels": dict(LABELS), "matchExpressions": [{"key": "app", "operator": "Exists"}]},
    {"matchLabels": dict(LABELS), "matchExpressions": [{"key": "example.com/tier", "operator": "DoesNotExist"}]},
])
def test_valid_expressions_pass(selector):
    assert paths(workload("Deployment", selector=selector)) == set()


def job(name: str = "demo", **spec) -> dict:
    """A Job whose selector the server generates, unless ``spec`` gives ``manualSelector`` or ``selector``."""
    body = workload("Job")
    del body["spec"]["manualSelector"], body["spec"]["selector"]
    body["spec"].update(spec)
    body["metadata"]["name"] = name
    return body


def test_a_job_name_longer_than_a_label_value_is_refused_at_the_generated_labels():
    """generateSelector labels the template with job-name and batch.kubernetes.io/job-name = the name; a Job
    without labels of its own shares the template's label map (SetDefaults_Job)."""
    found = errors(job("j" * 64))
    assert {f.path for f in found} == {"metadata.labels", "spec.template.labels"}
    assert found[0].server_message.endswith('"' + "j" * 64 + '": must be no more than 63 bytes')
    assert paths(job("j" * 63)) == set()
    own = job("j" * 64)
    own["metadata"]["labels"] = {"team": "a"}
    assert paths(own) == {"spec.template.labels"}
    manual = job("j" * 64, manualSelector=True, selector={"matchLabels": dict(LABELS)})
    assert paths(manual) == set()


def test_a_job_selector_without_manual_selector_is_refused_at_the_selector_only():
    found = errors(job(selector={"matchLabels": dict(LABELS)}))
    assert [f.path for f in found] == ["spec.selector"]
    assert found[0].server_message.endswith("`selector` not auto-generated")


def test_max_failed_indexes_needs_indexed_completion_and_a_per_index_limit():
    assert paths(job(maxFailedIndexes=1)) == {"spec.maxFailedIndexes", "spec.backoffLimitPerIndex"}
    indexed = job(maxFailedIndexes=1, completionMode="Indexed", completions=3)
    assert paths(indexed) == {"spec.backoffLimitPerIndex"}


@pytest.mark.parametrize("job_template", [None, {}, {"spec": {}}])
def test_a_cronjob_without_a_job_template_is_checked_as_the_empty_struct_the_server_decodes(job_template):
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"},
            "spec": {"schedule": "*/5 * * * *"}}
    if job_template is not None:
        body["spec"]["jobTemplate"] = job_template
    base = "spec.jobTemplate.spec.template.spec"
    assert paths(body) == {f"{base}.containers", f"{base}.restartPolicy"}


@pytest.mark.parametrize("field", ["hostname", "subdomain"])
def test_a_statefulset_templates_hostname_and_subdomain_are_not_checked(field):
    """The StatefulSet controller sets both on each Pod (updateIdentity); the server accepts any value."""
    body = workload("StatefulSet")
    body["spec"]["template"]["spec"][field] = "Bad_Name"
    assert paths(body) == set()
    other = workload("Deployment")
    other["spec"]["template"]["spec"][field] = "Bad_Name"
    assert paths(other) == {f"spec.template.spec.{field}"}


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"])
@pytest.mark.parametrize("missing", ["spec", "template", "template empty"])
def test_a_missing_spec_or_template_is_validated_as_the_zero_value(kind, missing):
    """The server decodes a missing struct as its zero value: the selector is required (not for a DaemonSet,
    whose spec has no such check), the empty template's labels do not match, and it has no containers."""
    body = workload(kind)
    if missing == "spec":
        del body["spec"]
    elif missing == "template":
        del body["spec"]["template"]
    else:
        body["spec"]["template"] = {}
    expected = {"spec.template.metadata.labels", "spec.template.spec.containers"}
    if missing == "spec" and kind != "DaemonSet":
        expected.add("spec.selector")
    assert paths(body) == expected


def test_a_cronjob_without_spec_needs_its_schedule_and_a_pod_spec():
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"}}
    base = "spec.jobTemplate.spec.template.spec"
    assert paths(body) == {"spec.schedule", f"{base}.containers", f"{base}.restartPolicy"}
