"""What the published API schemas do not carry, stated once.

The OpenAPI document Kubernetes publishes leaves out enum values and one-of
groups on purpose (enums must stay extensible), so the API server's validation
code is the authority for them. The values below follow the constants of
``k8s.io/api/core/v1`` and the order in which ``pkg/apis/core/validation``
checks and lists them, because that order decides the wording of the server's
error messages.
"""

from __future__ import annotations

# (type, field) -> allowed values, in the order the server lists them.
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Container", "imagePullPolicy"): ("Always", "IfNotPresent", "Never"),
    ("EphemeralContainer", "imagePullPolicy"): ("Always", "IfNotPresent", "Never"),
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
    ("HostPathVolumeSource", "type"): ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate",
                                       "File", "FileOrCreate", "Socket"),
}

POD_RESTART_POLICIES = ("Always", "OnFailure", "Never")
RESTART_POLICIES_BY_CONTEXT = {
    "pod": POD_RESTART_POLICIES,
    "workload": ("Always",),        # Deployment, ReplicaSet, StatefulSet, DaemonSet templates
    "job": ("OnFailure", "Never"),  # Job and CronJob templates
}
CONTAINER_RESTART_POLICIES = ("Always",)  # on init containers: the sidecar pattern
# Container restart rules (KEP-5307, alpha in 1.34, beta and on by default since 1.35): an app container may
# override the Pod's restartPolicy. Before that the server refused the field on app containers.
CONTAINER_RESTART_RULES_SINCE = 35
# Environment variable names: a C-like identifier until the relaxed rule (on by default since 1.32) allows any
# printable ASCII character except '='.
RELAXED_ENV_NAMES_SINCE = 32
STANDARD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage", "storage"})

# Handler fields, in the order the server checks them: every handler after
# the first one present is reported as "may not specify more than 1 handler type".
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
# Lifecycle hooks are counted the same way. tcpSocket still counts as a handler there, although it is
# unsupported in hooks (the hook fails when it runs); SUPPORTED_LIFECYCLE_HANDLERS is what to suggest.
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
SUPPORTED_LIFECYCLE_HANDLERS = ("exec", "httpGet", "sleep")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

# Volume source fields in the server's check order (emptyDir before hostPath).
VOLUME_SOURCE_ORDER = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc",
    "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk",
    "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)
# Two sources are spelt differently in the server's "more than 1 volume type" path.
VOLUME_SERVER_NAMES = {"downwardAPI": "downwarAPI", "cephfs": "cephFS"}

CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")

# Fields an init container may set only when it is a sidecar (restartPolicy: Always).
INIT_ONLY_WITH_SIDECAR = ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe")
# Fields an ephemeral container may never set.
EPHEMERAL_FORBIDDEN = ("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources",
                       "resizePolicy")

# Defaults the API server fills in, for explain. Keyed by (type, field).
DEFAULTS: dict[tuple[str, str], str] = {
    ("PodSpec", "restartPolicy"): "Always",
    ("PodSpec", "terminationGracePeriodSeconds"): "30",
    ("PodSpec", "dnsPolicy"): "ClusterFirst",
    ("PodSpec", "schedulerName"): "default-scheduler",
    ("PodSpec", "serviceAccountName"): "default",
    ("PodSpec", "enableServiceLinks"): "true",
    ("Container", "terminationMessagePath"): "/dev/termination-log",
    ("Container", "terminationMessagePolicy"): "File",
    ("Container", "imagePullPolicy"): "Always if the tag is missing or latest, else IfNotPresent",
    ("ContainerPort", "protocol"): "TCP",
    ("Probe", "timeoutSeconds"): "1",
    ("Probe", "periodSeconds"): "10",
    ("Probe", "successThreshold"): "1",
    ("Probe", "failureThreshold"): "3",
    ("Probe", "initialDelaySeconds"): "0",
    ("HTTPGetAction", "scheme"): "HTTP",
    ("HTTPGetAction", "path"): "/",
    ("VolumeMount", "readOnly"): "false",
    ("VolumeMount", "mountPropagation"): "None",
    # Workloads: SetDefaults_Deployment, _StatefulSet, _DaemonSet, _ReplicaSet in
    # k8s.io/kubernetes pkg/apis/apps/v1/defaults.go; SetDefaults_Job, _CronJob in pkg/apis/batch/v1/defaults.go.
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

# One-of groups, for explain: the fields of which exactly one must be set.
ONE_OF: dict[str, tuple[str, ...]] = {
    "Probe": PROBE_HANDLERS,
    "LifecycleHandler": LIFECYCLE_HANDLERS,
    "Volume": VOLUME_SOURCE_ORDER,
    "EnvVarSource": ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"),
}
