"""What each participant gets in the cluster: a Namespace, a ResourceQuota, a LimitRange, a ServiceAccount,
and a Role bound to that account in that namespace only.

Sizing (40 participants on one laptop-class node, 4 CPUs and 8 GiB, about 2 GiB kept for the system): each
namespace may request at most 80m CPU and 128 MiB (40 x 80m = 3.2 CPUs, 40 x 128 MiB = 5 GiB) and run
8 Pods; the LimitRange gives every container that names no resources a request of 10m / 16 MiB and a limit
of 200m / 64 MiB, so the exercises' Pods need no ``resources`` at all, and refuses a container asking for
more than 500m / 128 MiB. The ResourceQuota admission plugin refuses a Pod that would exceed the quota with
403 Forbidden ("exceeded quota"); see https://kubernetes.io/docs/concepts/policy/resource-quotas/ and
https://kubernetes.io/docs/concepts/policy/limit-range/.

The namespace enforces the Pod Security Standard ``baseline`` (no privileged containers, host namespaces,
hostPath volumes or added capabilities beyond the default set) and warns about ``restricted``: the
exercises run busybox as root, which ``restricted`` forbids. The labels are those of
https://kubernetes.io/docs/concepts/security/pod-security-admission/.

The Role (RBAC, https://kubernetes.io/docs/reference/access-authn-authz/rbac/) lets the account work with
Pods (logs, exec, ephemeral containers), ConfigMaps, Services and workload controllers in its namespace,
and read its quota, limit range and events. It grants nothing on RBAC objects, Secrets or the quota itself,
so a participant cannot widen their own rights; being a Role, it grants nothing outside the namespace.
"""

from __future__ import annotations

from podnotes.cluster.ownership import MANAGED_BY

from .participants import Participant

WORKSHOP_LABEL = "podnotes.io/workshop"
PARTICIPANT_LABEL = "podnotes.io/participant"
ACCOUNT = "participant"  # the ServiceAccount (and Role, RoleBinding) name in every participant namespace
ENFORCED_LEVEL = "baseline"
WARNED_LEVEL = "restricted"

QUOTA = {"pods": "8", "requests.cpu": "80m", "requests.memory": "128Mi", "limits.cpu": "1600m",
         "limits.memory": "512Mi", "count/configmaps": "12", "services": "2", "services.nodeports": "0",
         "services.loadbalancers": "0", "persistentvolumeclaims": "0", "secrets": "4"}
CONTAINER_DEFAULT_REQUEST = {"cpu": "10m", "memory": "16Mi"}
CONTAINER_DEFAULT_LIMIT = {"cpu": "200m", "memory": "64Mi"}
CONTAINER_MAX = {"cpu": "500m", "memory": "128Mi"}

WORK_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
READ_VERBS = ["get", "list", "watch"]
ROLE_RULES = [
    {"apiGroups": [""], "resources": ["pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward",
                                      "pods/ephemeralcontainers", "configmaps", "services"],
     "verbs": WORK_VERBS},
    {"apiGroups": [""], "resources": ["pods/status", "events", "endpoints", "resourcequotas", "limitranges",
                                      "serviceaccounts"], "verbs": READ_VERBS},
    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"],
     "verbs": WORK_VERBS},
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": WORK_VERBS},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ_VERBS},
]


def labels(workshop: str, participant: str | None = None) -> dict:
    found = {**MANAGED_BY, WORKSHOP_LABEL: workshop}
    if participant:
        found[PARTICIPANT_LABEL] = participant
    return found


def selector(workshop: str, participant: str | None = None) -> str:
    return ",".join(f"{key}={value}" for key, value in labels(workshop, participant).items())


def namespace(workshop: str, person: Participant) -> dict:
    pss = {f"pod-security.kubernetes.io/{mode}": level for mode, level in
           (("enforce", ENFORCED_LEVEL), ("warn", WARNED_LEVEL), ("audit", WARNED_LEVEL))}
    pss.update({f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "warn", "audit")})
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": person.namespace, "labels": {**labels(workshop, person.name), **pss},
                         "annotations": {"podnotes.io/participant-name": person.display}}}


def namespaced_objects(workshop: str, person: Participant) -> list[dict]:
    """The quota, limit range, account, Role and RoleBinding of one participant, in creation order."""
    meta = {"namespace": person.namespace, "labels": labels(workshop, person.name)}
    return [
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "workshop", **meta},
         "spec": {"hard": dict(QUOTA)}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "workshop", **meta},
         "spec": {"limits": [{"type": "Container", "defaultRequest": dict(CONTAINER_DEFAULT_REQUEST),
                              "default": dict(CONTAINER_DEFAULT_LIMIT), "max": dict(CONTAINER_MAX)}]}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT, **meta},
         "automountServiceAccountToken": False},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": ACCOUNT, **meta},
         "rules": [dict(rule) for rule in ROLE_RULES]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": ACCOUNT, **meta},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ACCOUNT},
         "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": person.namespace}]},
    ]


def user_name(person: Participant) -> str:
    """How the API server names the participant's account in RBAC and audit logs."""
    return f"system:serviceaccount:{person.namespace}:{ACCOUNT}"
