"""The grown corpus of the linter-versus-server differential test: YAML text, as people write it.

Four families, each a list of :class:`Input` (the YAML text of one file and the kind it is meant to be):

* :func:`scalar_cases`: every scalar resolution rule of go-yaml v2 (what sigs.k8s.io/yaml, kubectl and the
  API server use: ``resolve.go``, YAML 1.1 booleans ``y``/``on``, ``0o`` and leading-zero octal, ``0b``,
  ``0x``, ``_`` separators, ``.inf``/``.nan``, timestamps as strings, no base 60, no ``=``) and of PyYAML's
  YAML 1.1 resolver (``yaml/resolver.py``: base 60 integers and floats, ``=`` as the ``value`` tag,
  timestamps), plus explicit tags, double-quoted escapes (go-yaml ``scannerc.go`` accepts ``\\'``; PyYAML does
  not) and plain-scalar edge cases, put into fields of each JSON type: string (env value, label value,
  args), int32 (containerPort, defaultMode), int64, bool, IntOrString (probe port), quantity.
* :func:`zero_cases`: zero, negative and one-off values of every defaulted integer of probes, Pods and
  workloads (``successThreshold: 0`` is defaulted to 1 by ``SetDefaults_Probe`` and accepted).
* :func:`workload_cases`: the validation rules of Deployment, ReplicaSet, StatefulSet, DaemonSet
  (``pkg/apis/apps/validation``), Job and CronJob (``pkg/apis/batch/validation``), and every Pod mutation
  of :mod:`.mutations` inside each workload's Pod template.
* :func:`stream_cases`: document streams as kubectl reads them (empty and comment-only documents, a trailing
  ``---``, JSON streams, UTF-8 and UTF-16 byte-order marks, ``List`` flattening, duplicate and merge keys).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import yaml

from .mutations import OPERATORS, _apply, base_pods


@dataclass(frozen=True)
class Input:
    label: str
    kind: str          # the kind the text is meant to be, which picks the URL of the raw-body request
    text: str          # YAML (or JSON) text; bytes for encodings other than UTF-8 go through `data`
    data: bytes = b""  # the file's bytes when they are not `text` in UTF-8 (UTF-16 with a BOM)

    @property
    def content(self) -> bytes:
        return self.data or self.text.encode()


# --- scalars ---------------------------------------------------------------------------------------------
SCALARS: list[str] = [
    # booleans: YAML 1.1 (both libraries) and YAML 1.2 spellings
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    "true", "True", "TRUE", "false", "False", "FALSE", "tRUE", "yEs",
    # nulls
    "~", "null", "Null", "NULL", "", "nULL",
    # integers
    "0", "-0", "+1", "12", "0o17", "0O17", "017", "0777", "0999", "08", "0x1F", "0X1f", "0b101", "-0b101",
    "1_000", "0_17", "+0x10", "2147483648", "9223372036854775808", "-1",
    # floats
    "1.0", "8080.0", "1e3", "1.0e3", "1E3", "1.0e+3", "1e-3", ".5", "-.5", "+.5", "5.", "1_000.5",
    ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "0.1", "1.5e400",
    # base 60 (PyYAML only)
    "10:30", "1:20:30", "-1:30", "190:20:30.15", "1:60", "0:30",
    # timestamps
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14T00:00:00Z",
    # PyYAML's `value` tag and other plain oddities
    "=", "==", "<<", "-", "?x", "a: b", "a #c", "'quoted'", '"double"', "'y'", '"yes"', "'0o17'", '"10:30"',
    "'='", "''", '""',
    # double-quoted escapes (go-yaml and PyYAML differ on \\' and \\/)
    r'"\'"', r'"\/"', r'"\x41"', r'"\u00e9"', r'"\U0001F600"', r'"\N"', r'"\_"', r'"\e"', r'"\t"', r'"\ "',
    r'"\L"', r'"\P"', r'"\0"', r'"\q"',
    # explicit tags
    "!!str 1", "!!str yes", "!!int 3", '!!int "3"', "!!float 1", "!!bool yes", "!!bool y", "!!null ''",
    "!!binary aGk=", "!!timestamp 2001-12-14", "!!str", "!custom x", "!!set {a}", "!!omap [a: 1]",
]

_POD_HEAD = """apiVersion: v1
kind: Pod
metadata:
  name: scalars
spec:
  containers:
  - name: app
    image: busybox:1.36
"""

# slot label -> Pod text with @ where the scalar goes; one slot per JSON type the API has
SLOTS: dict[str, str] = {
    "env value (string)": _POD_HEAD + "    env:\n    - name: V\n      value: @\n",
    "args item (string)": _POD_HEAD + "    args: [@]\n",
    "label value (string)": _POD_HEAD.replace("  name: scalars\n", "  name: scalars\n  labels:\n    app: @\n"),
    "containerPort (int32)": _POD_HEAD + "    ports:\n    - containerPort: @\n",
    "defaultMode (int32)": _POD_HEAD + "  volumes:\n  - name: c\n    configMap:\n      name: c\n      defaultMode: @\n",
    "terminationGracePeriodSeconds (int64)": _POD_HEAD + "  terminationGracePeriodSeconds: @\n",
    "hostNetwork (bool)": _POD_HEAD + "  hostNetwork: @\n",
    "probe port (IntOrString)": _POD_HEAD + "    readinessProbe:\n      tcpSocket:\n        port: @\n",
    "cpu limit (quantity)": _POD_HEAD + "    resources:\n      limits:\n        cpu: @\n",
    "annotation value (string)": _POD_HEAD.replace("  name: scalars\n",
                                                   "  name: scalars\n  annotations:\n    note: @\n"),
    "label key (map key)": _POD_HEAD.replace("  name: scalars\n", "  name: scalars\n  labels:\n    @: v\n"),
}


def scalar_cases() -> list[Input]:
    return [Input(f"scalar {slot}: {scalar or '(empty)'}", "Pod", template.replace("@", scalar))
            for slot, template in SLOTS.items() for scalar in SCALARS]


# --- zero and defaulted integers ---------------------------------------------------------------------------
PROBE_FIELDS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                "failureThreshold", "terminationGracePeriodSeconds")
POD_INTEGERS = ("terminationGracePeriodSeconds", "activeDeadlineSeconds", "priority")


def _pod(**spec) -> dict:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "zero"},
           "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}
    pod["spec"].update(spec)
    return pod


def zero_cases() -> list[Input]:
    cases = []
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        for field_name in PROBE_FIELDS:
            for value in (0, -1, 1, 2):
                pod = _pod()
                pod["spec"]["containers"][0][probe] = {"exec": {"command": ["true"]}, field_name: value}
                cases.append(_as_input(f"zero {probe}.{field_name}: {value}", pod))
    for field_name in POD_INTEGERS:
        for value in (0, -1, 1):
            cases.append(_as_input(f"zero spec.{field_name}: {value}", _pod(**{field_name: value})))
    for field_name, value in (("runAsUser", 0), ("runAsGroup", 0), ("fsGroup", 0), ("runAsUser", -1),
                              ("fsGroup", -1), ("supplementalGroups", [0]), ("supplementalGroups", [-1])):
        cases.append(_as_input(f"zero securityContext.{field_name}: {value}",
                               _pod(securityContext={field_name: value})))
    for value in (0, -1, 1):
        pod = _pod()
        pod["spec"]["containers"][0]["lifecycle"] = {"preStop": {"sleep": {"seconds": value}}}
        cases.append(_as_input(f"zero preStop sleep seconds: {value}", pod))
    return cases


# --- workloads -----------------------------------------------------------------------------------------------
def workload(kind: str, pod: dict | None = None, name: str = "demo") -> dict:
    """A valid ``kind`` around ``pod``'s spec (a fresh busybox Pod by default).

    The selector is ``workload: demo``, added to the Pod's own labels, so a mistake in those labels stays in
    the template; a restartPolicy the workload does not allow is replaced (Always for apps/v1 kinds, Never
    for Job and CronJob), so each mutation changes one thing."""
    pod = copy.deepcopy(pod or _pod())
    labels = {**(pod.get("metadata", {}).get("labels") or {}), "workload": "demo"}
    template: dict = {"metadata": {"labels": labels}}
    if pod.get("spec") is not None:
        template["spec"] = pod["spec"]
    spec_of_template = template.get("spec")
    if kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"):
        if isinstance(spec_of_template, dict):
            spec_of_template.pop("restartPolicy", None)
        spec = {"selector": {"matchLabels": {"workload": "demo"}}, "template": template}
        if kind == "StatefulSet":
            spec["serviceName"] = "demo"
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}
    if isinstance(spec_of_template, dict) and spec_of_template.get("restartPolicy") not in ("Never", "OnFailure"):
        spec_of_template["restartPolicy"] = "Never"
    job_spec = {"template": template}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": job_spec}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job_spec}}}


def _at(body: dict, path: str, value) -> dict:
    body = copy.deepcopy(body)
    node = body
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    if value is _DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return body


_DELETE = object()

# kind -> rule label -> (path from the object's root, value); _DELETE removes the field
WORKLOAD_RULES: dict[str, dict[str, tuple[str, object]]] = {
    "Deployment": {
        "replicas -1": ("spec.replicas", -1), "replicas 0 (valid)": ("spec.replicas", 0),
        "no selector": ("spec.selector", _DELETE), "empty selector": ("spec.selector", {}),
        "selector does not match template": ("spec.selector", {"matchLabels": {"workload": "other"}}),
        "selector bad expression": ("spec.selector", {"matchExpressions": [{"key": "workload", "operator": "Is"}]}),
        "strategy type lowercase": ("spec.strategy", {"type": "recreate"}),
        "Recreate with rollingUpdate": ("spec.strategy", {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        "maxSurge and maxUnavailable 0": ("spec.strategy", {"type": "RollingUpdate",
                                                             "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
        "maxSurge \"1\"": ("spec.strategy", {"rollingUpdate": {"maxSurge": "1"}}),
        "maxSurge \"1.0\"": ("spec.strategy", {"rollingUpdate": {"maxSurge": "1.0"}}),
        "maxSurge 25% (valid)": ("spec.strategy", {"rollingUpdate": {"maxSurge": "25%"}}),
        "maxUnavailable 110%": ("spec.strategy", {"rollingUpdate": {"maxUnavailable": "110%"}}),
        "maxUnavailable -1": ("spec.strategy", {"rollingUpdate": {"maxUnavailable": -1}}),
        "maxSurge 0% maxUnavailable 0%": ("spec.strategy", {"rollingUpdate": {"maxSurge": "0%",
                                                                              "maxUnavailable": "0%"}}),
        "revisionHistoryLimit -1": ("spec.revisionHistoryLimit", -1),
        "minReadySeconds -1": ("spec.minReadySeconds", -1),
        "progressDeadlineSeconds below minReadySeconds": ("spec.progressDeadlineSeconds", 0),
        "template restartPolicy Never": ("spec.template.spec.restartPolicy", "Never"),
        "template without labels": ("spec.template.metadata", {}),
        "paused (valid)": ("spec.paused", True),
        "name uppercase": ("metadata.name", "Demo"),
        "rollbackTo (removed field)": ("spec.rollbackTo", {"revision": 1}),
        "template activeDeadlineSeconds": ("spec.template.spec.activeDeadlineSeconds", 30),
        "replicas as string": ("spec.replicas", "3"),
    },
    "ReplicaSet": {
        "replicas -1": ("spec.replicas", -1), "no selector": ("spec.selector", _DELETE),
        "selector does not match template": ("spec.selector", {"matchLabels": {"workload": "other"}}),
        "minReadySeconds -1": ("spec.minReadySeconds", -1),
        "template restartPolicy OnFailure": ("spec.template.spec.restartPolicy", "OnFailure"),
    },
    "StatefulSet": {
        "replicas -1": ("spec.replicas", -1), "no serviceName (valid)": ("spec.serviceName", _DELETE),
        "selector does not match template": ("spec.selector", {"matchLabels": {"workload": "other"}}),
        "podManagementPolicy invalid": ("spec.podManagementPolicy", "Sequential"),
        "podManagementPolicy Parallel (valid)": ("spec.podManagementPolicy", "Parallel"),
        "OnDelete with rollingUpdate": ("spec.updateStrategy", {"type": "OnDelete", "rollingUpdate": {"partition": 1}}),
        "partition -1": ("spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}),
        "maxUnavailable 0": ("spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}),
        "updateStrategy type invalid": ("spec.updateStrategy", {"type": "Rolling"}),
        "revisionHistoryLimit -1": ("spec.revisionHistoryLimit", -1),
        "minReadySeconds -1": ("spec.minReadySeconds", -1),
        "ordinals start -1": ("spec.ordinals", {"start": -1}),
        "retention policy invalid": ("spec.persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Keep"}),
        "retention policy valid": ("spec.persistentVolumeClaimRetentionPolicy",
                                   {"whenDeleted": "Delete", "whenScaled": "Retain"}),
        "template restartPolicy Never": ("spec.template.spec.restartPolicy", "Never"),
        "claim template declared (valid)": ("spec.volumeClaimTemplates", [
            {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                   "resources": {"requests": {"storage": "1Gi"}}}}]),
        "claim template without accessModes": ("spec.volumeClaimTemplates", [
            {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]),
        "name with dots": ("metadata.name", "demo.v1"),
        "template activeDeadlineSeconds": ("spec.template.spec.activeDeadlineSeconds", 30),
    },
    "DaemonSet": {
        "no selector": ("spec.selector", _DELETE),
        "selector does not match template": ("spec.selector", {"matchLabels": {"workload": "other"}}),
        "maxUnavailable 0 and maxSurge 0": ("spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": 0, "maxSurge": 0}}),
        "maxSurge 1 maxUnavailable 0 (valid)": ("spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": 0, "maxSurge": 1}}),
        "maxUnavailable \"1\"": ("spec.updateStrategy", {"rollingUpdate": {"maxUnavailable": "1"}}),
        "updateStrategy type invalid": ("spec.updateStrategy", {"type": "Rolling"}),
        "OnDelete with rollingUpdate": ("spec.updateStrategy", {"type": "OnDelete", "rollingUpdate": {"maxSurge": 1}}),
        "revisionHistoryLimit -1": ("spec.revisionHistoryLimit", -1),
        "minReadySeconds -1": ("spec.minReadySeconds", -1),
        "template restartPolicy OnFailure": ("spec.template.spec.restartPolicy", "OnFailure"),
    },
    "Job": {
        "parallelism -1": ("spec.parallelism", -1), "completions -1": ("spec.completions", -1),
        "completions 0 (valid)": ("spec.completions", 0),
        "backoffLimit -1": ("spec.backoffLimit", -1), "activeDeadlineSeconds 0": ("spec.activeDeadlineSeconds", 0),
        "ttlSecondsAfterFinished -1": ("spec.ttlSecondsAfterFinished", -1),
        "template restartPolicy Always": ("spec.template.spec.restartPolicy", "Always"),
        "template restartPolicy OnFailure (valid)": ("spec.template.spec.restartPolicy", "OnFailure"),
        "Indexed without completions": ("spec.completionMode", "Indexed"),
        "completionMode invalid": ("spec.completionMode", "indexed"),
        "backoffLimitPerIndex without Indexed": ("spec.backoffLimitPerIndex", 1),
        "selector without manualSelector": ("spec.selector", {"matchLabels": {"workload": "demo"}}),
        "manualSelector without selector": ("spec.manualSelector", True),
        "podFailurePolicy bad action": ("spec.podFailurePolicy", {"rules": [{"action": "Retry", "onExitCodes": {
            "operator": "In", "values": [1]}}]}),
        "podFailurePolicy valid": ("spec.podFailurePolicy", {"rules": [{"action": "FailJob", "onExitCodes": {
            "operator": "In", "values": [42]}}]}),
        "podFailurePolicy exit code 0 In": ("spec.podFailurePolicy", {"rules": [{"action": "FailJob", "onExitCodes": {
            "operator": "In", "values": [0]}}]}),
        "podReplacementPolicy invalid": ("spec.podReplacementPolicy", "Sometimes"),
        "suspend (valid)": ("spec.suspend", True),
        "name 64 chars": ("metadata.name", "j" * 64),
        "Indexed with completions (valid)": ("spec", {"completionMode": "Indexed", "completions": 3,
                                                      "template": {"metadata": {"labels": {"workload": "demo"}},
                                                                   "spec": _pod(restartPolicy="Never")["spec"]}}),
        "maxFailedIndexes without backoffLimitPerIndex": ("spec.maxFailedIndexes", 1),
        "successPolicy without Indexed": ("spec.successPolicy", {"rules": [{"succeededCount": 1}]}),
    },
    "CronJob": {
        "schedule invalid": ("spec.schedule", "every 5 minutes"),
        "schedule 6 fields": ("spec.schedule", "0 */5 * * * *"),
        "schedule @hourly (valid)": ("spec.schedule", "@hourly"),
        "schedule empty": ("spec.schedule", ""),
        "schedule with TZ=": ("spec.schedule", "TZ=UTC */5 * * * *"),
        "timeZone invalid": ("spec.timeZone", "Mars/Olympus"),
        "timeZone valid": ("spec.timeZone", "Asia/Shanghai"),
        "timeZone with space": ("spec.timeZone", " UTC"),
        "concurrencyPolicy invalid": ("spec.concurrencyPolicy", "Never"),
        "startingDeadlineSeconds -1": ("spec.startingDeadlineSeconds", -1),
        "startingDeadlineSeconds 0 (valid)": ("spec.startingDeadlineSeconds", 0),
        "successfulJobsHistoryLimit -1": ("spec.successfulJobsHistoryLimit", -1),
        "failedJobsHistoryLimit -1": ("spec.failedJobsHistoryLimit", -1),
        "name 53 chars": ("metadata.name", "c" * 53),
        "name 52 chars (valid)": ("metadata.name", "c" * 52),
        "jobTemplate restartPolicy Always": ("spec.jobTemplate.spec.template.spec.restartPolicy", "Always"),
        "jobTemplate completions -1": ("spec.jobTemplate.spec.completions", -1),
        "no jobTemplate": ("spec.jobTemplate", _DELETE),
    },
}

# ValidateLabelSelector (apimachinery metav1 validation) on every kind with a selector of its own, and a Job
# with manualSelector: each case alone, and with an invalid Pod template, which the server validates or not
# depending on the kind
SELECTORS: dict[str, dict] = {
    "selector operator lowercase in": {"matchExpressions": [{"key": "workload", "operator": "in",
                                                             "values": ["demo"]}]},
    "selector In without values": {"matchLabels": {"workload": "demo"},
                                   "matchExpressions": [{"key": "workload", "operator": "In"}]},
    "selector Exists with values": {"matchLabels": {"workload": "demo"},
                                    "matchExpressions": [{"key": "workload", "operator": "Exists", "values": ["a"]}]},
    "selector expression key invalid": {"matchLabels": {"workload": "demo"},
                                        "matchExpressions": [{"key": "bad key", "operator": "Exists"}]},
    "selector expression value invalid": {"matchLabels": {"workload": "demo"}, "matchExpressions": [
        {"key": "workload", "operator": "In", "values": ["demo", "bad value"]}]},
    "selector matchLabels value invalid": {"matchLabels": {"workload": "bad value"}},
    "selector NotIn (valid)": {"matchLabels": {"workload": "demo"},
                               "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
}
for _kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
    for _label, _selector in SELECTORS.items():
        WORKLOAD_RULES[_kind][_label] = ("spec.selector", _selector)
WORKLOAD_RULES["Job"].update({
    "name 63 chars (valid)": ("metadata.name", "j" * 63),
    "maxFailedIndexes Indexed without backoffLimitPerIndex": ("spec", {
        "completionMode": "Indexed", "completions": 3, "maxFailedIndexes": 1,
        "template": {"metadata": {"labels": {"workload": "demo"}}, "spec": _pod(restartPolicy="Never")["spec"]}}),
    "no template": ("spec.template", _DELETE),
})
WORKLOAD_RULES["CronJob"].update({
    "jobTemplate empty": ("spec.jobTemplate", {}),
    "jobTemplate spec empty": ("spec.jobTemplate", {"spec": {}}),
})
WORKLOAD_RULES["StatefulSet"]["template subdomain invalid"] = ("spec.template.spec.subdomain", "Bad_Sub")
# A missing struct is decoded as its zero value and validated (not the OpenAPI schema's `required`)
for _kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"):
    WORKLOAD_RULES[_kind].update({"no spec": ("spec", _DELETE), "spec null": ("spec", None)})
    if _kind != "CronJob":
        WORKLOAD_RULES[_kind].update({"template missing": ("spec.template", _DELETE),
                                      "template empty": ("spec.template", {}),
                                      "template spec empty": ("spec.template.spec", {})})

WORKLOAD_KINDS = tuple(WORKLOAD_RULES)


def selector_and_template_cases() -> list[Input]:
    """An invalid selector next to an invalid Pod template (an empty image): a Deployment, ReplicaSet or
    StatefulSet leaves the template unchecked, a DaemonSet and a manual-selector Job check it."""
    cases = []
    for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        body = _at(workload(kind), "spec.selector", {"matchExpressions": [{"key": "workload", "operator": "Is"}]})
        if kind == "Job":
            body["spec"]["manualSelector"] = True
        body["spec"]["template"]["spec"]["containers"][0]["image"] = ""
        cases.append(_as_input(f"{kind}: selector operator invalid and template invalid", body))
    job = _at(workload("Job"), "spec.selector", {"matchLabels": {"workload": "demo"}, "matchExpressions": [
        {"key": "workload", "operator": "In"}]})
    job["spec"]["manualSelector"] = True
    cases.append(_as_input("Job: manualSelector with In without values", job))
    return cases


def workload_cases() -> list[Input]:
    cases = []
    for kind, rules in WORKLOAD_RULES.items():
        cases.append(_as_input(f"{kind}: valid", workload(kind)))
        for label, (path, value) in rules.items():
            cases.append(_as_input(f"{kind}: {label}", _at(workload(kind), path, value)))
        for base in base_pods():
            for label, mutate in OPERATORS.items():
                pod = copy.deepcopy(base)
                _apply(mutate, pod)
                if "metadata" in pod and kind == "CronJob":
                    pod["metadata"]["name"] = str(pod["metadata"].get("name", ""))[:40]
                cases.append(_as_input(f"{kind} template of {base['metadata']['name']}: {label}",
                                       workload(kind, pod)))
    return cases


# --- document streams ---------------------------------------------------------------------------------------
_SMALL_POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
              "spec:\n  containers:\n  - name: c\n    image: {image}\n")


def stream_cases() -> list[Input]:
    good, bad = _SMALL_POD.format(name="a", image="busybox"), _SMALL_POD.format(name="b", image="''")
    as_json = json.dumps(yaml.safe_load(good))
    bad_json = json.dumps(yaml.safe_load(bad))
    anchored = good.replace("  - name: c\n", "  - &first\n    name: c\n")
    cases = [
        Input("stream: trailing ---", "Pod", good + "---\n"),
        Input("stream: empty documents", "Pod", "---\n---\n" + good + "---\n\n---\n"),
        Input("stream: comment-only document", "Pod", "# generated\n---\n" + good + "---\n# end\n"),
        Input("stream: explicit end marker", "Pod", good + "...\n"),
        Input("stream: only comments", "Pod", "# nothing here\n"),
        Input("stream: invalid second document", "Pod", good + "---\n" + bad),
        Input("stream: JSON stream of two objects", "Pod", as_json + "\n" + as_json.replace('"a"', '"a2"')),
        Input("stream: JSON stream, second invalid", "Pod", as_json + "\n" + bad_json),
        Input("stream: JSON object", "Pod", as_json),
        Input("stream: JSON with leading spaces", "Pod", "\n  " + as_json),
        Input("stream: UTF-8 BOM", "Pod", good, data=b"\xef\xbb\xbf" + good.encode()),
        Input("stream: UTF-16LE BOM", "Pod", good, data=good.encode("utf-16")),
        Input("stream: UTF-16BE BOM", "Pod", good, data=b"\xfe\xff" + good.encode("utf-16-be")),
        Input("stream: UTF-16LE BOM, invalid Pod", "Pod", bad, data=bad.encode("utf-16")),
        Input("stream: CRLF line ends", "Pod", good.replace("\n", "\r\n")),
        Input("stream: List of two Pods", "List", _list([yaml.safe_load(good), yaml.safe_load(good.replace(
            "name: a", "name: a3"))])),
        Input("stream: List with an invalid Pod", "List", _list([yaml.safe_load(bad)])),
        Input("stream: List with an invalid Deployment", "List", _list([_at(workload("Deployment"),
                                                                            "spec.replicas", -1)])),
        Input("stream: List items [[]]", "List", "apiVersion: v1\nkind: List\nitems: [[]]\n"),
        Input("stream: List items empty", "List", "apiVersion: v1\nkind: List\nitems: []\n"),
        Input("stream: PodList", "List", _list([yaml.safe_load(good)], kind="PodList")),
        Input("stream: List item without kind", "List", "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: x}\n"),
        Input("stream: nested List", "List", _list([yaml.safe_load(_list([yaml.safe_load(bad)]))])),
        Input("duplicate key: image twice", "Pod", good + "    image: nginx\n"),
        Input("duplicate key: name twice, both valid", "Pod", good.replace("  name: a\n", "  name: a\n  name: a1\n")),
        Input("duplicate key: later value invalid", "Pod", good + "    image: ''\n"),
        Input("duplicate key: earlier value invalid", "Pod", bad + "    image: busybox\n"),
        Input("merge key: overrides with an invalid image", "Pod", anchored + "  - <<: *first\n    name: d\n"
                                                                              "    image: ''\n"),
        Input("merge key: overrides the name (valid)", "Pod", anchored + "  - <<: *first\n    name: d\n"),
        Input("merge key: no override, duplicate name", "Pod", anchored + "  - <<: *first\n"),
        Input("merge key: base only", "Pod", good.replace("  - name: c\n    image: busybox\n",
                                                            "  - <<: {name: c, image: busybox}\n")),
        Input("merge key: list of maps", "Pod", good.replace("  - name: c\n    image: busybox\n",
                                                              "  - <<: [{name: c}, {image: busybox}]\n")),
        Input("merge key: first map of the list wins", "Pod", good.replace(
            "  - name: c\n    image: busybox\n", "  - <<: [{name: c, image: ''}, {image: busybox}]\n")),
        Input("anchor and alias", "Pod", good.replace("  name: a\n", "  name: &n a\n  labels: {app: *n}\n")),
        Input("tab after value", "Pod", good.replace("image: busybox", "image: busybox\t")),
        Input("document start with directive", "Pod", "%YAML 1.1\n---\n" + good),
        Input("flow mapping Pod", "Pod", "{apiVersion: v1, kind: Pod, metadata: {name: f}, spec: {containers: "
                                          "[{name: c, image: busybox}]}}\n"),
        Input("null document then Pod", "Pod", "null\n---\n" + good),
        Input("scalar document", "Pod", "hello\n"),
        Input("list document", "Pod", "- a\n- b\n"),
    ]
    return cases


def _list(items: list[dict], kind: str = "List") -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": kind, "items": items}, sort_keys=False)


def _as_input(label: str, body: dict) -> Input:
    return Input(label, str(body.get("kind", "Pod")), yaml.safe_dump(body, sort_keys=False, allow_unicode=True))


# --- inputs rebuilt from public bug reports of YAML and manifest tools ------------------------------------------
def reported_cases() -> list[Input]:
    """Small inputs in the shape of reports against kubeconform, kubeval, kubectl-validate, helm and others."""
    mounted_claim = workload("StatefulSet")
    mounted_claim["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    mounted_claim["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "data", "mountPath": "/data"}]
    token = _pod(volumes=[{"name": "token", "projected": {"sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600, "audience": "vault"}}]}}])
    token["spec"]["containers"][0]["volumeMounts"] = [{"name": "token", "mountPath": "/var/run/token"}]
    cases = [
        _as_input("reported: StatefulSet container mounts a volumeClaimTemplate", mounted_claim),
        _as_input("reported: projected service-account token", token),
        _as_input("reported: serviceAccountName empty", _pod(serviceAccountName="")),
        _as_input("reported: pod-level limits pids", _pod(resources={"limits": {"pids": "100"}})),
        _as_input("reported: pod-level limits nvidia.com/gpu", _pod(resources={"limits": {"nvidia.com/gpu": "1"}})),
        _as_input("reported: pod-level limits cpu and memory (valid)", _pod(resources={"limits": {
            "cpu": "1", "memory": "1Gi"}})),
        _as_input("reported: duplicate container ports (a warning)", _pod(containers=[{
            "name": "app", "image": "busybox:1.36", "ports": [{"containerPort": 80}, {"containerPort": 80}]}])),
        _as_input("reported: fractional memory (a warning)", _pod(containers=[{
            "name": "app", "image": "busybox:1.36", "resources": {"requests": {"memory": "0.5"}}}])),
        Input("reported: defaultMode 0o644", "Pod", SLOTS["defaultMode (int32)"].replace("@", "0o644")),
        Input("reported: defaultMode 0999", "Pod", SLOTS["defaultMode (int32)"].replace("@", "0999")),
        Input("reported: command with \\' in double quotes", "Pod", _POD_HEAD +
              "    command: [\"sh\", \"-c\", \"echo \\'hi\\'\"]\n"),
    ]
    return cases


def all_cases() -> list[Input]:
    return (scalar_cases() + zero_cases() + workload_cases() + selector_and_template_cases() + stream_cases()
            + reported_cases())
