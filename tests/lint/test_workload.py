"""Rules of the workload objects around a Pod template (podnotes.lint.workload and the template checks of
podnotes.lint), each against the upstream validation that decides it; the server's field paths and words are
what the differential test (tests/cluster/test_linter_vs_server.py) found."""

from __future__ import annotations

import copy

import pytest

from podnotes.lint import ERROR, lint

POD_SPEC = {"containers": [{"name": "app", "image": "busybox:1.36"}]}


def workload(kind: str, **spec) -> dict:
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    template = {"metadata": {"labels": {"app": "a"}}, "spec": copy.deepcopy(POD_SPEC)}
    if kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
    body: dict = {"template": template}
    if kind != "Job":
        body["selector"] = {"matchLabels": {"app": "a"}}
    body.update(spec)
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "demo"}, "spec": body}


def server_errors(manifest: dict) -> list[str]:
    return sorted(f.server_message for f in lint(manifest, advice=False) if f.severity == ERROR)


def test_a_valid_workload_of_each_kind_is_accepted():
    for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        assert server_errors(workload(kind)) == [], kind


@pytest.mark.parametrize(("kind", "field", "words"), [
    ("Deployment", "strategy", 'Unsupported value: {"Type":"recreate","RollingUpdate":null}: supported values: '
                               '"Recreate", "RollingUpdate"'),
    ("DaemonSet", "updateStrategy", 'Unsupported value: {"Type":"recreate","RollingUpdate":null}: supported '
                                    'values: "RollingUpdate", "OnDelete"'),
    ("StatefulSet", "updateStrategy", "Invalid value: {\"Type\":\"recreate\",\"RollingUpdate\":null}: must be "
                                      "'RollingUpdate' or 'OnDelete'")])
def test_an_unknown_strategy_type_names_the_whole_strategy(kind, field, words):
    """ValidateDeploymentStrategy, ValidateDaemonSetUpdateStrategy, ValidateStatefulSetSpec."""
    assert server_errors(workload(kind, **{field: {"type": "recreate"}})) == [f"spec.{field}: {words}"]


@pytest.mark.parametrize(("kind", "word"), [("Deployment", "ReplicaSet"), ("ReplicaSet", "ReplicaSet"),
                                            ("StatefulSet", "StatefulSet")])
def test_a_template_deadline_is_forbidden_for_controllers_that_keep_pods(kind, word):
    """ValidatePodTemplateSpecForReplicaSet and ValidatePodTemplateSpecForStatefulSet."""
    manifest = workload(kind)
    manifest["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 60
    assert server_errors(manifest) == [f"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds "
                                       f"in {word} is not Supported"]


def test_a_statefulset_name_has_no_dots():
    """ValidateStatefulSetName (pkg/apis/apps/validation): the name becomes its Pods' host names."""
    manifest = workload("StatefulSet")
    manifest["metadata"]["name"] = "demo.v1"
    assert server_errors(manifest) == ['metadata.name: Invalid value: "demo.v1": must not contain dots']


@pytest.mark.parametrize(("kind", "required"), [("Deployment", True), ("ReplicaSet", True), ("DaemonSet", False)])
def test_no_selector_also_fails_to_match_the_template(kind, required):
    """LabelSelectorAsSelector(nil) selects nothing, so the template's labels do not match; ValidateDaemonSetSpec
    has no Required check of its own."""
    manifest = workload(kind)
    del manifest["spec"]["selector"]
    paths = sorted(f.path for f in lint(manifest, advice=False) if f.severity == ERROR)
    assert paths == (["spec.selector"] if required else []) + ["spec.template.metadata.labels"]


def test_a_job_with_manual_selector_needs_one():
    manifest = workload("Job", manualSelector=True)
    assert server_errors(manifest)[0] == "spec.selector: Required value"


@pytest.mark.parametrize("kind", ["Job", "CronJob"])
def test_a_job_template_without_a_pod_spec_also_needs_a_restart_policy(kind):
    """ValidateJobSpec: the template's restartPolicy is required (OnFailure or Never)."""
    manifest = workload("Job")
    manifest["spec"]["template"] = {}
    if kind == "CronJob":
        manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"},
                    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": manifest["spec"]}}}
    prefix = "spec.template.spec" if kind == "Job" else "spec.jobTemplate.spec.template.spec"
    assert f'{prefix}.restartPolicy: Required value: valid values: "OnFailure", "Never"' in server_errors(manifest)


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "Job", "CronJob"])
def test_pod_only_checks_stay_off_templates(kind):
    """validateContainersOnlyForPod (image whitespace) and the Priority admission plugin see Pods only; a
    template is not defaulted as a Pod is (SetDefaults_Pod copies limits into requests)."""
    manifest = workload("Job" if kind == "CronJob" else kind)
    spec = manifest["spec"]["template"]["spec"]
    spec["priority"] = 5
    spec["containers"][0].update(image=" busybox:1.36", resources={"limits": {"memory": "-1Gi"}})
    if kind == "CronJob":
        manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"},
                    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": manifest["spec"]}}}
    prefix = "spec.template" if kind != "CronJob" else "spec.jobTemplate.spec.template"
    assert server_errors(manifest) == [f'{prefix}.spec.containers[0].resources.limits[memory]: Invalid value: '
                                       '"-1Gi": must be greater than or equal to 0']


@pytest.mark.parametrize(("kind", "paths"), [("Deployment", ["spec.template.labels"]),
                                             ("Job", ["metadata.labels", "spec.template.labels"]),
                                             ("CronJob", ["spec.jobTemplate.spec.template.labels"])])
def test_template_labels_are_named_as_the_server_names_them(kind, paths):
    """ValidatePodTemplateSpec names the inlined metadata's labels; SetDefaults_Job copies a template's labels
    to a Job that has none."""
    manifest = workload("Job" if kind == "CronJob" else kind)
    manifest["spec"]["template"]["metadata"]["labels"]["bad key"] = "x"
    if kind == "CronJob":
        manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"},
                    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": manifest["spec"]}}}
    found = sorted(f.path for f in lint(manifest, advice=False) if f.severity == ERROR)
    assert found == paths
