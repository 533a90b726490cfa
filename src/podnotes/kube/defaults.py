"""What the API server fills in when a manifest leaves a field out.

Upstream: ``SetDefaults_Pod``, ``SetDefaults_PodSpec``, ``SetDefaults_Container``,
``SetDefaults_Probe`` and ``SetDefaults_ContainerPort`` in
``pkg/apis/core/v1/defaults.go``; ``SetDefaults_Deployment``, ``_StatefulSet``,
``_DaemonSet``, ``_ReplicaSet`` in ``pkg/apis/apps/v1/defaults.go``;
``SetDefaults_Job`` and ``_CronJob`` in ``pkg/apis/batch/v1/defaults.go``.

Defaulting runs before validation, so a value the defaulter replaces is never
validated as written: ``successThreshold: 0`` on a liveness probe becomes 1
and is accepted.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

DEFAULT_GRACE_SECONDS = 30  # DefaultTerminationGracePeriodSeconds in core/v1 types.go
DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log"

# SetDefaults_Probe: a field that is 0 (or missing) takes this value. initialDelaySeconds stays 0.
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
PROBE_FIELDS_DEFAULTED = ("initialDelaySeconds",) + tuple(PROBE_DEFAULTS)

POD_SPEC_DEFAULTS: dict[str, Any] = {
    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": DEFAULT_GRACE_SECONDS,
    "schedulerName": "default-scheduler", "securityContext": {}, "enableServiceLinks": True,
}
CONTAINER_DEFAULTS: dict[str, Any] = {
    "terminationMessagePath": DEFAULT_TERMINATION_MESSAGE_PATH, "terminationMessagePolicy": "File",
}

_DIGEST = re.compile(r"@[A-Za-z0-9_+.-]+:[0-9a-fA-F]{32,}\Z")


@dataclass(frozen=True)
class ImageReference:
    repository: str
    tag: str | None
    digest: str | None

    @property
    def default_pull_policy(self) -> str:
        """SetDefaults_Container: Always for no tag or ``:latest`` (and no digest), else IfNotPresent."""
        if self.digest is None and self.tag in (None, "latest"):
            return "Always"
        return "IfNotPresent"


def parse_image(image: str) -> ImageReference:
    """Split ``registry:5000/team/app:1.2@sha256:...`` into repository, tag and digest.

    A colon belongs to the tag only after the last ``/``: in
    ``localhost:5000/app`` the ``5000`` is the registry's port, not a tag.
    """
    digest = None
    match = _DIGEST.search(image)
    if match:
        digest = match.group()[1:]
        image = image[:match.start()]
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return ImageReference(image[:colon], image[colon + 1:], digest)
    return ImageReference(image, None, digest)


def default_pull_policy(image: str) -> str:
    """The pull policy the API server sets for ``image`` when none is given."""
    return parse_image(image).default_pull_policy


def probe_setting(probe: dict, name: str) -> int:
    """One timing field of a probe after SetDefaults_Probe (``periodSeconds: 0`` -> 10)."""
    value = probe.get(name)
    if not value:  # missing, null or 0
        return PROBE_DEFAULTS.get(name, 0)
    return int(value)


def default_probe(probe: dict) -> dict:
    """A copy of ``probe`` with SetDefaults_Probe applied (zero or missing timing fields get their defaults)."""
    out = dict(probe)
    for name in PROBE_DEFAULTS:
        out[name] = probe_setting(probe, name)
    return out


def default_container(container: dict) -> None:
    """SetDefaults_Container, SetDefaults_ContainerPort and SetDefaults_Probe, in place."""
    image = container.get("image")
    if isinstance(image, str) and image:
        container.setdefault("imagePullPolicy", default_pull_policy(image))
    for key, value in CONTAINER_DEFAULTS.items():
        container.setdefault(key, value)
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for field in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(field), dict):
            container[field] = default_probe(container[field])
    resources = container.setdefault("resources", {})
    if isinstance(resources, dict):
        default_requests(resources)


def default_requests(resources: dict) -> dict:
    """SetDefaults_Pod: a limit without a request of the same resource also becomes the request, in place."""
    limits = resources.get("limits") or {}
    if limits:
        requests = resources.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
    return resources


def effective_requests(resources: dict | None) -> dict:
    """The requests of ``resources`` after defaulting, without changing it."""
    return dict(default_requests(copy.deepcopy(resources or {})).get("requests") or {})


def default_pod_spec(spec: dict) -> dict:
    """SetDefaults_PodSpec and the container defaults, in place; returns ``spec``."""
    for key, value in POD_SPEC_DEFAULTS.items():
        spec.setdefault(key, copy.deepcopy(value))
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            if isinstance(container, dict):
                default_container(container)
    if isinstance(spec.get("resources"), dict):
        default_requests(spec["resources"])
    return spec


# Defaults by (type, field), as explain shows them. The Pod ones follow the constants above.
FIELD_DEFAULTS: dict[tuple[str, str], str] = {
    ("PodSpec", "restartPolicy"): POD_SPEC_DEFAULTS["restartPolicy"],
    ("PodSpec", "terminationGracePeriodSeconds"): str(DEFAULT_GRACE_SECONDS),
    ("PodSpec", "dnsPolicy"): POD_SPEC_DEFAULTS["dnsPolicy"],
    ("PodSpec", "schedulerName"): POD_SPEC_DEFAULTS["schedulerName"],
    ("PodSpec", "serviceAccountName"): "default",  # by the ServiceAccount admission plugin
    ("PodSpec", "enableServiceLinks"): "true",
    ("Container", "terminationMessagePath"): DEFAULT_TERMINATION_MESSAGE_PATH,
    ("Container", "terminationMessagePolicy"): CONTAINER_DEFAULTS["terminationMessagePolicy"],
    ("Container", "imagePullPolicy"): "Always if the tag is missing or latest, else IfNotPresent",
    ("ContainerPort", "protocol"): "TCP",
    **{("Probe", name): str(value) for name, value in PROBE_DEFAULTS.items()},
    ("Probe", "initialDelaySeconds"): "0",
    ("HTTPGetAction", "scheme"): "HTTP",
    ("HTTPGetAction", "path"): "/",
    ("VolumeMount", "readOnly"): "false",
    ("VolumeMount", "mountPropagation"): "None",
    ("DeploymentSpec", "replicas"): "1",
    ("DeploymentSpec", "revisionHistoryLimit"): "10",
    ("DeploymentSpec", "progressDeadlineSeconds"): "600",
    ("DeploymentStrategy", "type"): "RollingUpdate",
    ("RollingUpdateDeployment", "maxUnavailable"): "25%",
    ("RollingUpdateDeployment", "maxSurge"): "25%",
    ("ReplicaSetSpec", "replicas"): "1",
    ("StatefulSetSpec", "replicas"): "1",
    ("StatefulSetSpec", "revisionHistoryLimit"): "10",
    ("StatefulSetSpec", "podManagementPolicy"): "OrderedReady",
    ("StatefulSetUpdateStrategy", "type"): "RollingUpdate",
    ("RollingUpdateStatefulSetStrategy", "partition"): "0",
    ("DaemonSetSpec", "revisionHistoryLimit"): "10",
    ("DaemonSetUpdateStrategy", "type"): "RollingUpdate",
    ("RollingUpdateDaemonSet", "maxUnavailable"): "1",
    ("RollingUpdateDaemonSet", "maxSurge"): "0",
    ("JobSpec", "backoffLimit"): "6",
    ("JobSpec", "completionMode"): "NonIndexed",
    ("JobSpec", "suspend"): "false",
    ("CronJobSpec", "concurrencyPolicy"): "Allow",
    ("CronJobSpec", "suspend"): "false",
    ("CronJobSpec", "successfulJobsHistoryLimit"): "3",
    ("CronJobSpec", "failedJobsHistoryLimit"): "1",
}
