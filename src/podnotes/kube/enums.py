"""The closed sets of names Kubernetes uses for Pods, each stated once.

Upstream: the constants of ``k8s.io/api/core/v1/types.go`` (``PodPhase``,
``PodConditionType``, ``PullPolicy``, ``RestartPolicy``, ``PodQOSClass``,
``ProbeHandler``, ``LifecycleHandler``) and ``k8s.io/pod-security-admission/api``
(``Level``). Tuples keep the order in which the API server checks or lists
them, because that order decides the wording of its messages.
"""

from __future__ import annotations

# ProbeHandler's fields, in the order validateHandler (pkg/apis/core/validation) counts them.
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
# LifecycleHandler's fields in the same order; tcpSocket counts as a handler there, but the kubelet does not
# run it (the hook fails), so it is not one to suggest.
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
SUPPORTED_LIFECYCLE_HANDLERS = ("exec", "httpGet", "sleep")
LIFECYCLE_HOOKS = ("postStart", "preStop")

# Probe kinds as the kubelet's prober names them (probeType), and the container field holding each,
# in the order the kubelet starts them (startup first).
PROBE_FIELDS = {"startup": "startupProbe", "liveness": "livenessProbe", "readiness": "readinessProbe"}
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

# Container lists of a Pod spec, in the order validation walks them.
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
TERMINAL_PHASES = ("Succeeded", "Failed")
# Pod condition types in the order the kubelet sets them on a starting Pod.
CONDITIONS = ("PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready")
# The three fields of core/v1 ContainerState, exactly one of which is set (staging/src/k8s.io/api/core/v1/types.go).
CONTAINER_STATES = ("waiting", "running", "terminated")

PULL_POLICIES = ("Always", "IfNotPresent", "Never")
POD_RESTART_POLICIES = ("Always", "OnFailure", "Never")
# restartPolicy on an init container: Always makes it a sidecar.
CONTAINER_RESTART_POLICIES = ("Always",)

QOS_CLASSES = ("Guaranteed", "Burstable", "BestEffort")

# Pod Security Standards levels, least to most restrictive.
PSS_LEVELS = ("privileged", "baseline", "restricted")
