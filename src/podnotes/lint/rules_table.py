"""What the published API schemas do not carry, stated once.

The OpenAPI document Kubernetes publishes leaves out enum values and one-of
groups on purpose (enums must stay extensible), so the API server's validation
code is the authority for them. The values below follow the constants of
``k8s.io/api/core/v1`` and the order in which ``pkg/apis/core/validation``
checks and lists them, because that order decides the wording of the server's
error messages.
"""

from __future__ import annotations

from ..kube.enums import LIFECYCLE_HANDLERS, POD_RESTART_POLICIES, PROBE_HANDLERS, PROBES, PULL_POLICIES

# (type, field) -> allowed values, in the order the server lists them.
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Container", "imagePullPolicy"): PULL_POLICIES,
    ("EphemeralContainer", "imagePullPolicy"): PULL_POLICIES,
    ("Container", "terminationMessagePolicy"): ("File", "FallbackToLogsOnError"),
    ("EphemeralContainer", "terminationMessagePolicy"): ("File", "FallbackToLogsOnError"),
    ("ContainerPort", "protocol"): ("SCTP", "TCP", "UDP"),
    ("PodSpec", "dnsPolicy"): ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"),
    ("PodSpec", "preemptionPolicy"): ("Never", "PreemptLowerPriority"),
    ("HTTPGetAction", "scheme"): ("HTTP", "HTTPS"),
    ("SeccompProfile", "type"): ("Localhost", "RuntimeDefault", "Unconfined"),
    ("AppArmorProfile", "type"): ("Localhost", "RuntimeDefault", "Unconfined"),
    ("SecurityContext", "procMount"): ("Default", "Unmasked"),
    ("PodSecurityContext", "fsGroupChangePolicy"): ("OnRootMismatch", "Always"),
    ("VolumeMount", "mountPropagation"): ("Bidirectional", "HostToContainer", "None"),
    ("TopologySpreadConstraint", "whenUnsatisfiable"): ("DoNotSchedule", "ScheduleAnyway"),
    ("Toleration", "operator"): ("Equal", "Exists"),
    ("Toleration", "effect"): ("NoExecute", "NoSchedule", "PreferNoSchedule"),
    ("PodOS", "name"): ("linux", "windows"),
    ("DeploymentStrategy", "type"): ("Recreate", "RollingUpdate"),
    ("StatefulSetSpec", "podManagementPolicy"): ("OrderedReady", "Parallel"),
    ("StatefulSetUpdateStrategy", "type"): ("OnDelete", "RollingUpdate"),
    ("DaemonSetUpdateStrategy", "type"): ("OnDelete", "RollingUpdate"),
    ("CronJobSpec", "concurrencyPolicy"): ("Allow", "Forbid", "Replace"),
    ("JobSpec", "completionMode"): ("Indexed", "NonIndexed"),
    ("JobSpec", "podReplacementPolicy"): ("Failed", "TerminatingOrFailed"),
    ("PodFailurePolicyRule", "action"): ("Count", "FailIndex", "FailJob", "Ignore"),
    ("PodFailurePolicyOnExitCodesRequirement", "operator"): ("In", "NotIn"),
    ("StatefulSetPersistentVolumeClaimRetentionPolicy", "whenDeleted"): ("Retain", "Delete"),
    ("StatefulSetPersistentVolumeClaimRetentionPolicy", "whenScaled"): ("Retain", "Delete"),
    ("HostPathVolumeSource", "type"): ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate",
                                       "File", "FileOrCreate", "Socket"),
}

RESTART_POLICIES_BY_CONTEXT = {
    "pod": POD_RESTART_POLICIES,
    "workload": ("Always",),        # Deployment, ReplicaSet, StatefulSet, DaemonSet templates
    "job": ("OnFailure", "Never"),  # Job and CronJob templates
}
# Container restart rules (KEP-5307, alpha in 1.34, beta and on by default since 1.35): an app container may
# override the Pod's restartPolicy. Before that the server refused the field on app containers.
CONTAINER_RESTART_RULES_SINCE = 35
# Environment variable names: a C-like identifier until the relaxed rule (on by default since 1.32) allows any
# printable ASCII character except '='.
RELAXED_ENV_NAMES_SINCE = 32
STANDARD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage", "storage"})
# What Pod-level resources (spec.resources) may name, besides hugepages-<size>.
POD_LEVEL_RESOURCES = frozenset({"cpu", "memory"})


# Volume source fields in the server's check order (emptyDir before hostPath).
VOLUME_SOURCE_ORDER = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc",
    "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk",
    "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)
# Two sources are spelt differently in the server's "more than 1 volume type" path.
VOLUME_SERVER_NAMES = {"downwardAPI": "downwarAPI", "cephfs": "cephFS"}

# Fields an init container may set only when it is a sidecar (restartPolicy: Always).
INIT_ONLY_WITH_SIDECAR = ("lifecycle", *PROBES)
# Fields an ephemeral container may never set.
EPHEMERAL_FORBIDDEN = ("ports", *PROBES, "lifecycle", "resources", "resizePolicy")

# One-of groups, for explain: the fields of which exactly one must be set.
ONE_OF: dict[str, tuple[str, ...]] = {
    "Probe": PROBE_HANDLERS,
    "LifecycleHandler": LIFECYCLE_HANDLERS,
    "Volume": VOLUME_SOURCE_ORDER,
    "EnvVarSource": ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"),
}
