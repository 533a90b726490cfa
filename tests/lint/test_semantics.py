"""Cases where lint once disagreed with the API server because a Kubernetes fact lived in two places.

Each test names the upstream source; the fixtures under tests/fixtures/lint that hold the same cases are
also sent to a real kube-apiserver 1.37 by tests/cluster/test_linter_vs_server.py.
"""

from __future__ import annotations

import pytest

from podnotes.lint import ERROR, INFO, WARNING, lint
from podnotes.probes import simulate

from .test_cli import podnotes


def pod(spec_extra: dict | None = None, **container) -> dict:
    spec = {"containers": [{"name": "app", "image": "nginx:1.27.3", **container}], **(spec_extra or {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def errors(manifest) -> list[str]:
    return [f.server_message for f in lint(manifest, advice=False) if f.severity == ERROR]


def server_warnings(manifest) -> list[str]:
    return [f.server_message for f in lint(manifest, advice=False) if f.severity == WARNING]


@pytest.mark.parametrize("probe", ["livenessProbe", "startupProbe"])
def test_success_threshold_zero_is_defaulted_to_one(probe):
    """SetDefaults_Probe (pkg/apis/core/v1/defaults.go) turns 0 into 1 before validateLivenessProbe /
    validateStartupProbe require 1; so lint accepts the Pod and the simulator runs it."""
    manifest = pod(**{probe: {"exec": {"command": ["true"]}, "successThreshold": 0, "periodSeconds": 0}})
    assert errors(manifest) == []
    timeline = simulate(manifest, duration=30)
    assert timeline.probes and timeline.probes[0].successThreshold == 1 and timeline.probes[0].periodSeconds == 10


def test_a_negative_success_threshold_is_still_refused_twice():
    """Defaulting leaves -1 alone: ValidateNonnegativeField and "must be 1" both fire (as kube-apiserver 1.37)."""
    manifest = pod(livenessProbe={"exec": {"command": ["true"]}, "successThreshold": -1})
    assert errors(manifest) == [
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: -1: must be 1"]


def qos_of(manifest) -> str:
    found = [f.message for f in lint(manifest) if f.rule == "qos-class"]
    assert len(found) == 1
    return found[0].split()[2]


def test_qos_compares_quantities_not_strings():
    """resourceQOS (pkg/apis/core/helper/qos/qos.go) uses Quantity.Equal: 0.1 and 100m are one amount."""
    manifest = pod(resources={"requests": {"cpu": 0.1, "memory": "1e9"}, "limits": {"cpu": "100m", "memory": "1G"}})
    assert qos_of(manifest) == "Guaranteed"


@pytest.mark.parametrize("amount", ["1e9", "1Pi", "500u", "1E3", "0.5Ki"])
def test_every_quantity_spelling_is_accepted_everywhere(amount):
    """resource.ParseQuantity accepts exponents, Pi and micro: lint, the QoS class and the simulator agree."""
    manifest = pod(resources={"requests": {"cpu": amount, "memory": amount}, "limits": {"memory": amount}})
    assert errors(manifest) == []
    assert qos_of(manifest) == "Burstable"
    assert simulate(manifest, duration=5).containers


def test_empty_service_account_name_is_unset():
    """ValidatePodSpec validates serviceAccountName, hostname and subdomain only when len() > 0."""
    assert errors(pod({"serviceAccountName": "", "hostname": "", "subdomain": ""})) == []


def test_deprecated_service_account_is_checked_as_service_account_name():
    """Convert_v1_PodSpec_To_core_PodSpec copies serviceAccount into an empty serviceAccountName."""
    found = errors(pod({"serviceAccount": "Build_Bot"}))
    assert len(found) == 1 and found[0].startswith('spec.serviceAccountName: Invalid value: "Build_Bot"')


def test_pod_level_resources_allow_cpu_memory_and_hugepages_only():
    """validatePodResourceName (pkg/apis/core/validation): the wording checked on kube-apiserver 1.37."""
    manifest = pod({"resources": {"limits": {"cpu": "1", "memory": "1Gi", "hugepages-2Mi": "2Mi", "pids": "10",
                                             "nvidia.com/gpu": "1"}}})
    assert errors(manifest) == [
        'spec.resources.limits[pids]: Invalid value: "pids": must be a standard resource type or fully qualified',
        'spec.resources.limits[nvidia.com/gpu]: Unsupported value: "nvidia.com/gpu": supported values: "cpu", '
        '"hugepages-", "memory"']


def workload(kind: str, strategy_field: str, rolling: dict, **spec) -> dict:
    template = {"metadata": {"labels": {"a": "b"}}, "spec": pod()["spec"]}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, strategy_field: {"rollingUpdate": rolling},
                     "template": template, **spec}}


@pytest.mark.parametrize("rolling, expected", [
    ({"maxSurge": "1"}, ['spec.strategy.rollingUpdate.maxSurge: Invalid value: "1": a valid percent string']),
    ({"maxUnavailable": "1.0", "maxSurge": 0}, [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "1.0": a valid percent string',
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "1.0": may not be 0 when `maxSurge` is 0']),
    ({"maxUnavailable": 0, "maxSurge": 0},
     ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]),
])
def test_deployment_budgets(rolling, expected):
    """ValidateRollingUpdateDeployment (pkg/apis/apps/validation/validation.go); the messages are
    kube-apiserver 1.37's."""
    found = errors(workload("Deployment", "strategy", rolling))
    assert len(found) == len(expected)
    assert all(message.startswith(start) for message, start in zip(found, expected, strict=True))


def test_rolling_update_under_recreate_is_forbidden():
    manifest = workload("Deployment", "strategy", {"maxSurge": 1})
    manifest["spec"]["strategy"]["type"] = "Recreate"
    assert errors(manifest) == ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy "
                                "`type` is 'Recreate'"]


def test_daemonset_budgets():
    """ValidateRollingUpdateDaemonSet: exactly one of the two budgets is non-zero, after defaulting."""
    assert errors(workload("DaemonSet", "updateStrategy", {"maxSurge": 1})) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is "
        "non-zero"]
    assert errors(workload("DaemonSet", "updateStrategy", {"maxUnavailable": 0, "maxSurge": 0})) == [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"]


def test_statefulset_claim_templates_are_volumes():
    """The StatefulSet's volumeClaimTemplates name volumes its Pods get; a mount of any other name is
    still "Not found" (kube-apiserver 1.37)."""
    manifest = workload("StatefulSet", "updateStrategy", {"partition": 0}, serviceName="w",
                        volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {
                            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}])
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    assert errors(manifest) == []
    container["volumeMounts"].append({"name": "cache", "mountPath": "/cache"})
    assert errors(manifest) == ['spec.template.spec.containers[0].volumeMounts[1].name: Not found: "cache"']


def test_fractional_bytes_are_a_server_warning():
    """warningsForPodSpecAndMeta (pkg/api/pod/warnings.go) runs after defaulting: a limit copied into
    requests is warned about twice, in canonical form."""
    assert server_warnings(pod(resources={"limits": {"memory": "100m"}})) == [
        'spec.containers[0].resources.limits[memory]: fractional byte value "100m" is invalid, must be an integer',
        'spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid, must be an '
        "integer"]
    assert server_warnings(pod(resources={"requests": {"ephemeral-storage": "1.5"}})) == [
        'spec.containers[0].resources.requests[ephemeral-storage]: fractional byte value "1500m" is invalid, must '
        "be an integer"]


def test_duplicate_container_ports_are_a_server_warning():
    manifest = pod(ports=[{"containerPort": 80}, {"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}])
    assert server_warnings(manifest) == [
        "spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]"]


def test_an_env_entry_that_refers_to_the_earlier_one_is_no_warning():
    """warnings.go warns about a hiding entry unless its value contains $(NAME)."""
    assert server_warnings(pod(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "$(A):2"}])) == []
    assert len(server_warnings(pod(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]))) == 1


def test_no_advice_keeps_the_servers_warnings_and_drops_podnotes_own(tmp_path):
    """`--no-advice` means: only what the server answers. A preStop tcpSocket hook is accepted without a
    warning by kube-apiserver 1.37, so podnotes' own warning about it is advice."""
    import yaml

    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod(ports=[{"containerPort": 80}, {"containerPort": 80}],
                                       lifecycle={"preStop": {"tcpSocket": {"port": 80}}})))
    with_advice = podnotes("lint", str(path))
    without = podnotes("lint", "--no-advice", str(path))
    assert "[lifecycle-tcp-socket]" in with_advice.stdout and "[image-tag-latest]" not in with_advice.stdout
    assert "[lifecycle-tcp-socket]" not in without.stdout and "[qos-class]" not in without.stdout
    assert "[duplicate-port]" in without.stdout
    assert without.returncode == 1


def test_the_qos_info_line_is_advice():
    assert all(f.severity != INFO or f.rule == "kind-not-checked" for f in lint(pod(), advice=False))


def job(**spec) -> dict:
    template = {"spec": dict(pod()["spec"], restartPolicy="Never")}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": template, **spec}}


@pytest.mark.parametrize("spec, expected", [
    ({"backoffLimit": -1}, "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
    ({"backoffLimitPerIndex": 1}, "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"),
    ({"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1, "maxFailedIndexes": 5},
     "spec.maxFailedIndexes: Invalid value: 5: must be less than or equal to completions"),
    ({"podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0]}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator"),
])
def test_job_rules(spec, expected):
    """validateJobSpec (pkg/apis/batch/validation/validation.go), kube-apiserver 1.37's words."""
    assert errors(job(**spec)) == [expected]


def test_cronjob_rules_reach_into_the_job_template():
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c" * 53},
               "spec": {"schedule": "60 * * * *", "timeZone": "Mars/Base",
                        "jobTemplate": {"spec": {"backoffLimit": -1, "template": job()["spec"]["template"]}}}}
    assert sorted(errors(cronjob)) == sorted([
        f'metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters',
        'spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60',
        'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base',
        "spec.jobTemplate.spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"])


def test_empty_selectors_and_progress_deadline():
    """ValidateDeploymentSpec: an empty selector, a progress deadline not above minReadySeconds."""
    deployment = workload("Deployment", "strategy", {}, progressDeadlineSeconds=10, minReadySeconds=10)
    deployment["spec"]["selector"] = {"matchLabels": {}}
    assert sorted(errors(deployment)) == [
        "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds",
        "spec.selector: Invalid value: {}: empty selector is invalid for deployment"]


def test_a_daemonset_ignores_rolling_update_under_on_delete():
    manifest = workload("DaemonSet", "updateStrategy", {"maxSurge": 1, "maxUnavailable": 1})
    manifest["spec"]["updateStrategy"]["type"] = "OnDelete"
    assert errors(manifest) == []


@pytest.mark.parametrize(("version", "warned"), [("1.27", False), ("1.28", True), ("1.37", True)])
def test_duplicate_port_warnings_start_at_kubernetes_1_28(version, warned):
    """warningsForPodSpecAndMeta (pkg/api/pod/warnings.go) warns about duplicate and overlapping ports since
    kubernetes/kubernetes#113245, first released in 1.28; a 1.27 server accepts the Pod silently."""
    manifest = pod(ports=[{"containerPort": 80}, {"containerPort": 80}, {"containerPort": 81, "hostIP": "127.0.0.1"}])
    rules = [f.rule for f in lint(manifest, k8s_version=version, advice=False)]
    assert rules.count("duplicate-port") == (2 if warned else 0)


@pytest.mark.parametrize("version", ["1.25", "1.37"])
def test_pull_secret_and_host_alias_warnings_exist_in_every_covered_version(version):
    """The imagePullSecrets (duplicate, empty name) and hostAliases (duplicate ip) warnings came with the
    first Pod warnings, kubernetes/kubernetes#101688 (1.22), older than every version the schemas cover."""
    manifest = pod({"imagePullSecrets": [{"name": "a"}, {"name": "a"}, {"name": ""}],
                    "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["a"]}, {"ip": "10.0.0.1", "hostnames": ["b"]}]})
    rules = [f.rule for f in lint(manifest, k8s_version=version, advice=False)]
    assert rules.count("image-pull-secret") == 2 and rules.count("host-alias-ip") == 1


def test_the_first_versions_of_the_pod_warnings_follow_upstream_history():
    from podnotes.lint.rules import REGISTRY

    assert {rule: REGISTRY[rule].since for rule in ("duplicate-port", "image-pull-secret", "host-alias-ip",
                                                    "duplicate-env", "fractional-memory")} == {
        "duplicate-port": "1.28", "image-pull-secret": "1.22", "host-alias-ip": "1.22", "duplicate-env": "1.22",
        "fractional-memory": "1.22"}


def _server_messages(manifest: dict, version: str = "1.37") -> list[str]:
    return [f.server_message for f in lint(manifest, k8s_version=version, advice=False) if f.severity == ERROR]


def test_unmasked_proc_needs_the_pods_own_user_namespace():
    """ValidatePodSpec (pkg/apis/core/validation, kubernetes/kubernetes#123520, 1.30): procMount Unmasked only
    with hostUsers: false."""
    unmasked = pod(securityContext={"procMount": "Unmasked"})
    assert _server_messages(unmasked) == ['spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": '
                                          "`hostUsers` must be false to use `Unmasked`"]
    assert _server_messages({**unmasked, "spec": {**unmasked["spec"], "hostUsers": False}}) == []
    assert _server_messages(unmasked, "1.29") == []


def test_host_process_containers_need_host_network_and_company():
    """validateWindowsHostProcessPod (pkg/apis/core/validation): all containers or none, hostNetwork true, the
    Pod's value and a container's the same."""
    one = pod(securityContext={"windowsOptions": {"hostProcess": True}})
    assert _server_messages(one) == ["spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod "
                                     "contains any hostProcess containers"]
    both = {**one, "spec": {**one["spec"], "hostNetwork": True,
                            "initContainers": [{"name": "init", "image": "busybox:1.36"}]}}
    assert _server_messages(both) == ['spec: Invalid value: "": If pod contains any hostProcess containers then all '
                                      "containers must be HostProcess containers"]
    clash = {**one, "spec": {**one["spec"], "hostNetwork": True,
                             "securityContext": {"windowsOptions": {"hostProcess": False}}}}
    assert _server_messages(clash)[0].startswith("spec.containers[0].securityContext.windowsOptions.hostProcess: "
                                                 "Invalid value: true: pod hostProcess value must be identical")


@pytest.mark.parametrize(("context", "path"), [({"fsGroup": -1}, "spec.securityContext.fsGroup"),
                                               ({"supplementalGroups": [5, -1]},
                                                "spec.securityContext.supplementalGroups[1]")])
def test_negative_group_ids_are_refused(context, path):
    """ValidatePodSecurityContext: fsGroup and supplementalGroups go through IsValidGroupID."""
    assert _server_messages(pod({"securityContext": context})) == [
        f"{path}: Invalid value: -1: must be between 0 and 2147483647, inclusive"]


@pytest.mark.parametrize(("seconds", "grace", "version", "refused"),
                         [(0, None, "1.37", False), (-1, None, "1.37", True), (31, None, "1.37", True),
                          (31, 60, "1.37", False), (0, None, "1.32", True), (1, None, "1.32", False)])
def test_sleep_hooks_last_zero_to_the_grace_period(seconds, grace, version, refused):
    """validateSleepAction (pkg/apis/core/validation): 0 allowed from 1.33 (PodLifecycleSleepActionAllowZero),
    never beyond terminationGracePeriodSeconds (30 by default)."""
    manifest = pod({"terminationGracePeriodSeconds": grace} if grace else None,
                   lifecycle={"preStop": {"sleep": {"seconds": seconds}}})
    messages = _server_messages(manifest, version)
    assert bool(messages) == refused
    if refused:
        words = "non-negative" if version == "1.37" else "greater than 0"
        assert messages == [f"spec.containers[0].lifecycle.preStop.sleep: Invalid value: {seconds}: must be "
                            f"{words} and less than terminationGracePeriodSeconds ({grace or 30})"]
