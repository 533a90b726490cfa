"""Every rule ``podnotes lint`` can report, as registered objects.

Like kube-linter's check registry, each rule is one record: its id (what a
finding's ``rule`` holds and what ``--disable`` and ``podnotes.io/ignore`` take),
its default severity, a one-line summary, a fuller description, how to fix it,
the upstream code or document that decides it, and the first Kubernetes minor
version that behaves so. ``podnotes lint --list-rules`` prints this registry,
the SARIF report's ``tool.driver.rules`` is built from it, and the reference
page "Lint rules" is generated from it.

``since`` is a Kubernetes version (``"1.0"`` for checks as old as the API):
for the Pod Security Standards it is the check's ``MinimumVersion`` in
``k8s.io/pod-security-admission/policy``, which is also the version from which
lint applies the check (``--k8s-version``). Rules that belong to podnotes itself
(report plumbing, its ignore annotation, unrendered templates) have no
Kubernetes version: ``since`` is empty and ``source`` names podnotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .finding import ERROR, INFO, UNREADABLE_RULES, WARNING

# The project's home; its reference page "Lint rules" documents the rules of podnotes itself.
PROJECT_URI = "https://github.com/podnotes/podnotes"
RULES_PAGE = PROJECT_URI + "/blob/main/chapters/reference/lint-rules.md"
# Where the upstream sources live, at the Kubernetes release the project's tests run (tools/k8s-binaries).
KUBERNETES_TREE = "https://github.com/kubernetes/kubernetes/blob/v1.37.2/"
PSA_TREE = KUBERNETES_TREE + "staging/src/k8s.io/pod-security-admission/policy/"
POD_VALIDATION = "pkg/apis/core/validation/validation.go"
POD_WARNINGS = "pkg/api/pod/warnings.go"
PSS_DOCS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

# Categories, in the order the reference page and --list-rules group them.
READING = "reading"          # reading the input: syntax, limits, tags, duplicate keys, the document's shape
ACCEPTANCE = "acceptance"    # the API server would refuse the object
ADVICE = "advice"            # accepted; experience or the server's own warnings say otherwise
POD_SECURITY = "pod-security"  # a Pod Security Standards check (pod-security admission)
REPORT = "report"            # about the report itself
CATEGORIES = (READING, ACCEPTANCE, ADVICE, POD_SECURITY, REPORT)


@dataclass(frozen=True)
class Rule:
    """One lint rule.

    ``severity`` is the default severity of its findings (``findings-truncated`` carries the highest severity
    of the findings it stands for). ``source`` names the upstream function or document that decides the rule,
    ``help_uri`` links to it. ``since`` is a ``"MAJOR.MINOR"`` Kubernetes version, or empty for rules of
    podnotes itself.
    """

    id: str
    severity: str
    category: str
    summary: str
    description: str
    remediation: str
    source: str
    help_uri: str
    since: str

    @property
    def unreadable(self) -> bool:
        """Findings of this rule mean the input could not be read at all (exit code 3)."""
        return self.id in UNREADABLE_RULES

    def as_dict(self) -> dict:
        """The rule as ``--list-rules -o json|yaml`` prints it (camelCase keys, like the Kubernetes API)."""
        return {"id": self.id, "severity": self.severity, "category": self.category, "summary": self.summary,
                "description": self.description, "remediation": self.remediation, "source": self.source,
                "helpUri": self.help_uri, "since": self.since}


def _core(function: str) -> tuple[str, str]:
    """Source and link for a check of ``pkg/apis/core/validation``."""
    return f"k8s.io/kubernetes {POD_VALIDATION}: {function}", KUBERNETES_TREE + POD_VALIDATION


def _warning(what: str) -> tuple[str, str]:
    """Source and link for a warning the API server returns with a created Pod (GetWarningsForPod)."""
    return f"k8s.io/kubernetes {POD_WARNINGS}: GetWarningsForPod, {what}", KUBERNETES_TREE + POD_WARNINGS


def _rule(id: str, severity: str, category: str, summary: str, description: str, remediation: str,
          source: tuple[str, str], since: str) -> Rule:
    return Rule(id, severity, category, summary, description, remediation, source[0], source[1], since)


_PODNOTES = ("podnotes (a rule of this linter, not of Kubernetes)", RULES_PAGE)

_RULES: tuple[Rule, ...] = (
    # --- reading ---------------------------------------------------------------------------------
    _rule("yaml-syntax", ERROR, READING, "The input is not valid YAML.",
          "kubectl decodes each document with sigs.k8s.io/yaml before anything reaches the API server; a "
          "document that does not parse (a tab in the indentation, an unclosed quote or bracket) is never sent.",
          "Fix the YAML at the reported line and column: indent with spaces, close quotes and brackets.",
          ("k8s.io/apimachinery pkg/util/yaml/decoder.go: YAMLOrJSONDecoder (over sigs.k8s.io/yaml)",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/util/yaml/decoder.go"), "1.0"),
    _rule("yaml-limit", ERROR, READING, "The input is too large, too deeply nested or expands too many aliases.",
          "The API server refuses a request body over 3 MiB (MaxRequestBodyBytes), and the YAML readers refuse "
          "documents whose aliases expand beyond their limits; podnotes keeps every input within about a second "
          "and 200 MB for the same reason.",
          "Split the input into smaller files or documents, or remove the anchors and aliases that multiply it.",
          ("k8s.io/apiserver pkg/server/config.go: MaxRequestBodyBytes (3 MiB)",
           KUBERNETES_TREE + "staging/src/k8s.io/apiserver/pkg/server/config.go"), "1.14"),
    _rule("yaml-tag", ERROR, READING, "The input uses a YAML tag Kubernetes does not understand.",
          "Kubernetes reads YAML as JSON: only the standard tags (str, int, float, bool, null, map, seq) have a "
          "meaning there, and a tag such as !!python/object or !!binary cannot become a JSON value.",
          "Remove the tag and write the plain value.",
          ("sigs.k8s.io/yaml, yaml.go: YAMLToJSON", "https://github.com/kubernetes-sigs/yaml/blob/master/yaml.go"),
          "1.0"),
    _rule("unreadable", ERROR, READING, "The input could not be read as text.",
          "The bytes are not text in an encoding kubectl reads (UTF-8, or UTF-16 with a byte-order mark).",
          "Save the file as UTF-8 YAML or JSON.",
          ("k8s.io/apimachinery pkg/util/yaml/decoder.go: NewYAMLOrJSONDecoder",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/util/yaml/decoder.go"), "1.0"),
    _rule("no-objects", ERROR, READING, "The input holds no Kubernetes object (it is empty or only comments).",
          "kubectl apply answers \"no objects passed to apply\" for an input without any object.",
          "Pass the file that holds the manifests, or check that the command producing them printed something.",
          ("k8s.io/kubectl pkg/cmd/apply/apply.go: \"no objects passed to apply\"",
           KUBERNETES_TREE + "staging/src/k8s.io/kubectl/pkg/cmd/apply/apply.go"), "1.0"),
    _rule("unrendered-template", WARNING, READING,
          "A value holds Helm or Go template syntax (`{{ ... }}`): render the chart first.",
          "A value such as `\"{{ .Values.image }}\"` means the file is an unrendered Helm chart or Go template; "
          "the other findings are then about the template, not about what it renders to.",
          "Render it first: `helm template RELEASE CHART | podnotes lint -f -`.",
          ("Helm: helm template (renders charts locally)", "https://helm.sh/docs/helm/helm_template/"), ""),
    _rule("duplicate-key", ERROR, READING, "A key appears twice in one mapping (or a merge key sets it again).",
          "What happens depends on how the file reaches the API server. kubectl decodes it on the client, keeps "
          "the value set last and sends JSON the server accepts: `lint` warns (the default, `--reading kubectl`). "
          "A file sent as the request body (curl, `kubectl create --raw`) is decoded by the server strictly under "
          "fieldValidation=Strict and refused: with `--reading raw` the finding is an error. Other tools may keep "
          "the other value.",
          "Delete one of the two lines.",
          ("k8s.io/apimachinery pkg/runtime/serializer/yaml: strict decoding (\"already set in map\")",
           "https://github.com/kubernetes/apimachinery/tree/v0.37.2/pkg/runtime/serializer/yaml"), "1.25"),
    _rule("not-an-object", ERROR, READING, "A document is not a mapping.",
          "Every Kubernetes object is a mapping with apiVersion, kind, metadata and spec; a list or a plain value "
          "has no kind, so the server cannot decode it.",
          "Write the document as a mapping: apiVersion, kind, metadata, spec.",
          ("k8s.io/apimachinery pkg/runtime/serializer/json/meta.go: \"Object 'Kind' is missing\"",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/runtime/serializer/json/meta.go"), "1.0"),
    # --- what the API server refuses -------------------------------------------------------------
    _rule("api-version", ERROR, ACCEPTANCE, "The apiVersion does not serve this kind.",
          "The API server looks the kind up in the group and version given; a Deployment under apiVersion v1 "
          "or extensions/v1beta1 (removed in 1.16) finds no match.",
          "Use the apiVersion the kind is served under (apps/v1 for Deployment, batch/v1 for Job and CronJob).",
          ("k8s.io/apimachinery pkg/api/meta/restmapper.go: NoKindMatchError (\"no matches for kind\")",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/api/meta/errors.go"), "1.0"),
    _rule("kind-case", ERROR, ACCEPTANCE,
          "A checked kind spelt with the wrong case (kind: pod); kinds are case-sensitive.",
          "Kinds are registered in the API scheme with their exact spelling; `kind: pod` is no kind.",
          "Write the kind as Kubernetes spells it (Pod, Deployment, CronJob).",
          ("k8s.io/apimachinery pkg/runtime/error.go: notRegisteredErr",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/runtime/error.go"), "1.0"),
    _rule("kind-not-checked", INFO, ACCEPTANCE, "Objects of this kind are not checked.",
          "podnotes checks Pods and the Pod templates of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and "
          "CronJob; other kinds are counted as skipped, as kubeconform counts them.",
          "Nothing to fix; check other kinds with the API server (`kubectl apply --dry-run=server`).",
          _PODNOTES, ""),
    _rule("selector-mismatch", ERROR, ACCEPTANCE,
          "A controller's selector does not match its Pod template's labels.",
          "A Deployment, ReplicaSet, StatefulSet or DaemonSet finds its Pods by its selector; the server refuses "
          "a template whose labels the selector does not match, since the controller could never find them.",
          "Give the template's metadata.labels every label of spec.selector.matchLabels.",
          ("k8s.io/kubernetes pkg/apis/apps/validation/validation.go: ValidateDeploymentSpec, "
           "ValidateStatefulSetSpec, ValidateDaemonSetSpec, ValidateReplicaSetSpec",
           KUBERNETES_TREE + "pkg/apis/apps/validation/validation.go"), "1.2"),
    _rule("invalid-selector", ERROR, ACCEPTANCE,
          "A label selector the server cannot use (operator, values, key or value).",
          "A selector's expression takes one of the operators In, NotIn, Exists and DoesNotExist; In and NotIn "
          "need values, Exists and DoesNotExist take none; keys and values follow the label rules. The server "
          "refuses any other selector, and for a Deployment, ReplicaSet or StatefulSet it then checks nothing "
          "of the Pod template.",
          "Write the operator as Kubernetes spells it (In, NotIn, Exists, DoesNotExist), with values for In and "
          "NotIn and none for Exists and DoesNotExist.",
          ("k8s.io/apimachinery pkg/apis/meta/v1/validation/validation.go: ValidateLabelSelector, "
           "ValidateLabelSelectorRequirement",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/apis/meta/v1/validation/validation.go"),
          "1.2"),
    _rule("unknown-field", ERROR, ACCEPTANCE, "A field does not exist at this level (strict field validation).",
          "With server-side field validation (kubectl's default --validate=strict) a field the API does not "
          "define is refused as \"unknown field\"; without it, it would be dropped silently.",
          "Fix the spelling or the indentation, or remove the field (`podnotes explain` lists the fields).",
          ("k8s.io/apiserver pkg/endpoints/handlers: fieldValidation=Strict (KEP-2885)",
           KUBERNETES_TREE + "staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go"), "1.25"),
    _rule("type-mismatch", ERROR, ACCEPTANCE, "A value has the wrong JSON type.",
          "The server decodes JSON into Go types; a string where an integer belongs (containerPort: \"80\") or a "
          "list where a map belongs cannot be decoded.",
          "Write the value with the type the field has (`podnotes explain FIELD` shows it).",
          ("k8s.io/apimachinery pkg/runtime/serializer/json/json.go: Serializer.Decode",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/runtime/serializer/json/json.go"), "1.0"),
    _rule("required-field", ERROR, ACCEPTANCE, "A required field is missing.",
          "Validation refuses an object without a field it needs (a container without image or name, a Pod "
          "without containers) with \"Required value\".",
          "Add the field the message names.", _core("ValidatePodSpec, validateContainers"), "1.0"),
    _rule("invalid-enum", ERROR, ACCEPTANCE, "A value is not one of the values the server supports.",
          "Fields such as imagePullPolicy, restartPolicy, protocol or dnsPolicy take a fixed set of values; any "
          "other is refused with \"Unsupported value\" and the list of supported ones.",
          "Use one of the supported values the message lists (they are case-sensitive).",
          _core("validatePullPolicy, validateRestartPolicy, validateDNSPolicy and the other enum checks"), "1.0"),
    _rule("invalid-quantity", ERROR, ACCEPTANCE, "A resource quantity does not parse.",
          "Quantities follow the grammar of k8s.io/apimachinery's resource package (a number and an optional "
          "suffix such as m, Mi, G or e3); anything else cannot be decoded.",
          "Write the quantity as a number with a suffix: 500m, 1.5, 128Mi, 1G.",
          ("k8s.io/apimachinery pkg/api/resource/quantity.go: ParseQuantity",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/api/resource/quantity.go"), "1.0"),
    _rule("invalid-name", ERROR, ACCEPTANCE, "A name, port name or label value breaks the naming rules.",
          "Names of containers, ports, volumes, labels and the like follow DNS-1123 and IANA service-name "
          "rules; the server refuses any other.",
          "Use lower-case letters, digits and '-', starting and ending with a letter or digit (the message says "
          "which rule applies).",
          ("k8s.io/apimachinery pkg/util/validation/validation.go: IsDNS1123Label, IsValidPortName, "
           "IsValidLabelValue",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/util/validation/validation.go"), "1.0"),
    _rule("duplicate-name", ERROR, ACCEPTANCE, "A name or mount path is used twice.",
          "Container names are unique across init, regular and ephemeral containers, port names and mount paths "
          "within a container; the server refuses a second one as \"Duplicate value\".",
          "Rename or remove the second entry.", _core("validateContainers, validateContainerPorts, "
                                                       "ValidateVolumeMounts"), "1.0"),
    _rule("handler-count", ERROR, ACCEPTANCE, "A probe or lifecycle hook does not have exactly one handler.",
          "A probe or lifecycle hook runs exactly one action (exec, httpGet, tcpSocket, grpc or sleep); the "
          "server refuses none (\"must specify a handler type\") or several (\"may not specify more than 1 "
          "handler type\").",
          "Keep exactly one handler.", _core("validateHandler, validateLifecycleHandler"), "1.0"),
    _rule("priority-admission", ERROR, ACCEPTANCE,
          "A hand-written priority, which the Priority admission plugin refuses.",
          "The Priority admission plugin computes spec.priority from priorityClassName; a Pod that sets a "
          "different number itself is refused.",
          "Remove spec.priority and set priorityClassName.",
          ("k8s.io/kubernetes plugin/pkg/admission/priority/admission.go: admitPod",
           KUBERNETES_TREE + "plugin/pkg/admission/priority/admission.go"), "1.11"),
    _rule("volume-sources", ERROR, ACCEPTANCE, "A volume does not have exactly one source.",
          "A volume names exactly one source (emptyDir, configMap, secret, persistentVolumeClaim, ...); the "
          "server refuses none or several.",
          "Keep exactly one source under the volume.", _core("validateVolumeSource"), "1.0"),
    _rule("volume-mount-not-found", ERROR, ACCEPTANCE, "A volumeMount names no volume of the Pod.",
          "Every volumeMount must name a volume of spec.volumes (\"must match the name of a volume\").",
          "Add the volume to spec.volumes, or correct the mount's name.", _core("ValidateVolumeMounts"), "1.0"),
    _rule("field-constraint", ERROR, ACCEPTANCE,
          "A value is outside the range the server allows, or conflicts with another field.",
          "Ports lie in 1-65535, thresholds and deadlines are positive, user and group IDs are not negative, a "
          "sleep hook lasts at most the grace period, and some fields only make sense together (procMount "
          "Unmasked with hostUsers: false, HostProcess containers with hostNetwork: true); the server refuses "
          "the rest.",
          "Use a value in the range the message gives, or set the field it depends on.",
          _core("validateContainerPorts, validateProbe, ValidatePodSecurityContext, validateSleepAction, "
                "validateWindowsHostProcessPod, ValidatePodSpec and related checks"), "1.0"),
    _rule("number-range", ERROR, ACCEPTANCE,
          "A number its field's Go type cannot hold (int32/int64 overflow) or JSON cannot carry (.inf, .nan).",
          "The server decodes numbers into int32 or int64 fields; a larger number, a fraction in an integer "
          "field, or YAML's .inf and .nan cannot be decoded.",
          "Write an integer the field can hold.",
          ("k8s.io/apimachinery pkg/runtime/serializer/json/json.go: Serializer.Decode (int32, int64 fields)",
           "https://github.com/kubernetes/apimachinery/blob/v0.37.2/pkg/runtime/serializer/json/json.go"), "1.0"),
    _rule("requests-exceed-limits", ERROR, ACCEPTANCE, "A resource request is larger than its limit.",
          "A container's request for a resource may not exceed its limit (\"must be less than or equal to ... "
          "limit\").",
          "Lower the request or raise the limit.", _core("ValidateContainerResourceRequirements"), "1.0"),
    _rule("restart-policy-context", ERROR, ACCEPTANCE, "The restart policy is not allowed in this context.",
          "A Deployment, ReplicaSet, StatefulSet or DaemonSet template must restart Always; a Job or CronJob "
          "template OnFailure or Never; a container-level restartPolicy is only Always, on init containers "
          "(sidecars, 1.28), before 1.35; from 1.35 on (container restart rules) init and app containers may "
          "set Always, OnFailure or Never.",
          "Use a restart policy the object allows (the message lists them).",
          ("k8s.io/kubernetes pkg/apis/apps/validation, pkg/apis/batch/validation and " + POD_VALIDATION
           + ": validateRestartPolicy, validateInitContainerRestartPolicy", KUBERNETES_TREE + POD_VALIDATION),
          "1.0"),
    _rule("init-container-field", ERROR, ACCEPTANCE,
          "A field an init container may not set (unless it is a sidecar).",
          "Init containers run to completion one after the other, so probes and lifecycle hooks are refused on "
          "them unless they are sidecars (restartPolicy: Always, 1.28).",
          "Remove the field, or make the init container a sidecar with restartPolicy: Always.",
          _core("validateInitContainers"), "1.6"),
    _rule("ephemeral-container-field", ERROR, ACCEPTANCE, "A field an ephemeral container may not set.",
          "Ephemeral containers are added for debugging and never restarted: ports, probes, lifecycle hooks, "
          "resources and subPath mounts are refused on them.",
          "Remove the field.", _core("validateEphemeralContainers"), "1.16"),
    _rule("ephemeral-on-create", ERROR, ACCEPTANCE, "Ephemeral containers cannot be part of a manifest.",
          "Ephemeral containers are only added to a running Pod through its ephemeralcontainers subresource "
          "(kubectl debug); a Pod or template that lists them is refused.",
          "Remove spec.ephemeralContainers; use `kubectl debug` on the running Pod.",
          _core("ValidatePodCreate (\"cannot be set on create\")"), "1.16"),
    _rule("env-source", ERROR, ACCEPTANCE, "An environment variable without exactly one source for its value.",
          "An env entry has either value or valueFrom, and valueFrom names exactly one source (fieldRef, "
          "resourceFieldRef, configMapKeyRef, secretKeyRef, fileKeyRef).",
          "Keep value or valueFrom, and one source under valueFrom.", _core("validateEnvVarValueFrom"), "1.0"),
    # --- accepted, but ---------------------------------------------------------------------------
    _rule("fractional-memory", WARNING, ADVICE, "A memory quantity with the milli suffix (fractions of a byte).",
          "The server accepts `memory: 100m` but warns \"fractional byte value ... is invalid, must be an "
          "integer\": 100m is a tenth of a byte, almost always a typo for 100Mi.",
          "Write memory in bytes with a binary suffix: 100Mi.", _warning("fractional byte value"), "1.22"),
    _rule("duplicate-env", WARNING, ADVICE, "An environment variable is set twice.",
          "The server accepts it but warns \"hides previous definition\": only the last value takes effect, and "
          "`kubectl apply` may drop one of them.",
          "Remove one of the two entries.", _warning("hides previous definition"), "1.22"),
    _rule("duplicate-port", WARNING, ADVICE,
          "A container port declared twice in the Pod, or hostIP without hostPort (server warning).",
          "The server accepts the Pod but warns: two entries with the same containerPort and protocol (or "
          "hostPort, hostIP and protocol) in one Pod name one socket twice, so one entry is meaningless, and a "
          "hostIP means nothing without a hostPort.",
          "Remove the repeated port entry, or give the hostIP a hostPort.", _warning("duplicate port definition"),
          "1.28"),  # kubernetes/kubernetes#113245, merged for 1.28
    _rule("image-pull-secret", WARNING, ADVICE, "An image pull secret listed twice or without a name (server warning).",
          "The server accepts the Pod but warns: a repeated or empty entry in imagePullSecrets adds nothing.",
          "List each pull secret once, by name.", _warning("duplicate or empty imagePullSecrets"), "1.22"),  # #101688
    _rule("host-alias-ip", WARNING, ADVICE, "Two hostAliases entries for one IP address (server warning).",
          "The server accepts the Pod but warns: /etc/hosts gets one line per entry, so the same address appears "
          "twice; one entry with all the host names says the same.",
          "Merge the entries for the address into one with all its hostnames.", _warning("duplicate hostAliases IP"),
          "1.22"),  # kubernetes/kubernetes#101688, the first Pod warnings (1.22)
    _rule("lifecycle-tcp-socket", WARNING, ADVICE, "A lifecycle hook with tcpSocket, which is not supported.",
          "The server keeps tcpSocket in lifecycle hooks only for compatibility; the kubelet does not run it, so "
          "the hook fails when it is due.",
          "Use exec, httpGet or sleep in the hook.",
          ("k8s.io/kubernetes pkg/kubelet/lifecycle/handlers.go: HandlerRunner.Run",
           KUBERNETES_TREE + "pkg/kubelet/lifecycle/handlers.go"), "1.0"),
    _rule("prestop-outlasts-grace-period", WARNING, ADVICE,
          "A preStop hook sleeps so long that the program gets only 2 s after SIGTERM.",
          "The preStop hook runs inside the grace period (terminationGracePeriodSeconds, 30 s unless set): the "
          "kubelet runs the hook for at most that long, subtracts the time it took, sends SIGTERM and waits what "
          "is left, but never less than 2 s, before SIGKILL. A `sleep` action, or a hook command that sleeps "
          "(`sleep N`, or `sleep N` in an `sh -c` script), about as long as the grace period leaves the program "
          "those 2 s. Only a sleep the hook states outright is counted.",
          "Raise terminationGracePeriodSeconds above the sleep plus the time the program needs after SIGTERM, or "
          "sleep less (a `sleep` action longer than the grace period is refused by the API server).",
          ("k8s.io/kubernetes pkg/kubelet/kuberuntime/kuberuntime_container.go: killContainer, "
           "executePreStopHook, minimumGracePeriodInSeconds",
           KUBERNETES_TREE + "pkg/kubelet/kuberuntime/kuberuntime_container.go"), "1.0"),
    _rule("image-tag-missing", WARNING, ADVICE, "An image without a tag (it means :latest).",
          "Without a tag the image means :latest, whatever that is on the day a node pulls it, and the server "
          "defaults imagePullPolicy to Always.",
          "Pin a fixed tag (nginx:1.27) or a digest (@sha256:...).",
          ("k8s.io/kubernetes pkg/apis/core/v1/defaults.go: SetDefaults_Container (imagePullPolicy)",
           KUBERNETES_TREE + "pkg/apis/core/v1/defaults.go"), "1.0"),
    _rule("image-tag-latest", WARNING, ADVICE, "An image with the moving :latest tag.",
          ":latest moves, so two nodes may run different images under one name; the server defaults "
          "imagePullPolicy to Always for it.",
          "Pin a fixed tag (nginx:1.27) or a digest (@sha256:...).",
          ("k8s.io/kubernetes pkg/apis/core/v1/defaults.go: SetDefaults_Container (imagePullPolicy)",
           KUBERNETES_TREE + "pkg/apis/core/v1/defaults.go"), "1.0"),
    _rule("resources-missing", WARNING, ADVICE, "A container without requests or a memory limit.",
          "Without requests the scheduler places the container blindly and it is evicted early; without a memory "
          "limit it can take the node's memory from its neighbours.",
          "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.",
          ("Kubernetes documentation: Resource Management for Pods and Containers",
           "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"), "1.0"),
    _rule("readiness-probe-missing", WARNING, ADVICE, "A serving container without a readiness probe.",
          "A container that declares ports but has no readinessProbe is Ready, and receives traffic, as soon as "
          "it starts, before it can answer.",
          "Add a readinessProbe that checks the container can serve.",
          ("Kubernetes documentation: Configure Liveness, Readiness and Startup Probes",
           "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"),
          "1.0"),
    _rule("probe-port-unknown", WARNING, ADVICE, "A probe names a port the container does not declare.",
          "The server accepts a named probe port, but the kubelet resolves the name among the container's ports "
          "when it probes: a name no port declares fails every attempt.",
          "Declare the port with that name under the container's ports, or probe by number.",
          ("k8s.io/kubernetes pkg/kubelet/prober/prober.go: findPortByName",
           KUBERNETES_TREE + "pkg/kubelet/prober/prober.go"), "1.0"),
    _rule("qos-class", INFO, ADVICE, "The QoS class the Pod gets.",
          "Guaranteed, Burstable or BestEffort, from the containers' requests and limits; it decides the order "
          "in which the kubelet evicts Pods when the node runs short.",
          "Nothing to fix; set requests equal to limits for Guaranteed.",
          ("k8s.io/kubernetes pkg/apis/core/helper/qos/qos.go: GetPodQOS",
           KUBERNETES_TREE + "pkg/apis/core/helper/qos/qos.go"), "1.0"),
    _rule("naked-pod", INFO, ADVICE, "A Pod not managed by a controller.",
          "A bare Pod is not replaced if its node fails or it is deleted; real workloads use a Deployment, "
          "StatefulSet, DaemonSet or Job that creates Pods from a template.",
          "Wrap the Pod spec in a Deployment (or a Job for work that ends).",
          ("Kubernetes documentation: Configuration Best Practices, \"Naked\" Pods",
           "https://kubernetes.io/docs/concepts/configuration/overview/"), "1.0"),
    _rule("pod-security-level", INFO, POD_SECURITY, "The highest Pod Security Standard level the Pod meets.",
          "privileged, baseline or restricted, evaluated with the checks of the pod-security admission plugin; "
          "the message names what keeps the Pod from the next level.",
          "Nothing to fix; the pss-* findings say what to change for the level you hold Pods to (--level).",
          ("k8s.io/pod-security-admission policy/checks.go", PSA_TREE + "checks.go"), "1.23"),
    # --- about the report and the linter ---------------------------------------------------------
    _rule("ignore-without-reason", WARNING, REPORT, "An ignore annotation without a reason.",
          "The annotation podnotes.io/ignore silences a rule for one object as RULE=reason; an entry without a "
          "reason is refused (and the rule is not ignored), so every exception is explained.",
          "Write the reason: podnotes.io/ignore: \"RULE=why this is fine\".", _PODNOTES, ""),
    _rule("findings-truncated", WARNING, REPORT, "More findings than are reported at once; this one counts the rest.",
          "At most 2,000 findings are reported per run; one more finding counts the rest by severity and rule "
          "and carries their highest severity, so the exit code is what all of them would give.",
          "Fix what is shown first, or check fewer objects at a time.", _PODNOTES, ""),
)


@dataclass(frozen=True)
class _Check:
    level: str
    reason: str  # what the check forbids
    since: str
    detail: str = ""  # what exactly, where the reason alone does not say


# The Pod Security Standards checks, as k8s.io/pod-security-admission/policy registers them: the check id,
# its level, what it forbids, and its first MinimumVersion (the version lint applies it from).
_PSS_CHECKS: dict[str, _Check] = {
    "hostNamespaces": _Check("baseline", "sharing the host's network, PID or IPC namespace", "1.0"),
    "privileged": _Check("baseline", "privileged containers", "1.0"),
    "capabilities_baseline": _Check("baseline", "adding capabilities beyond the default set", "1.0"),
    "hostPathVolumes": _Check("baseline", "hostPath volumes", "1.0"),
    "hostPorts": _Check("baseline", "host ports", "1.0"),
    "appArmorProfile": _Check("baseline", "an Unconfined AppArmor profile", "1.0"),
    "seLinuxOptions": _Check("baseline", "custom SELinux users, roles and types", "1.0"),
    "procMount": _Check("baseline", "an unmasked /proc", "1.0"),
    "seccompProfile_baseline": _Check("baseline", "an Unconfined seccomp profile", "1.0"),
    "sysctls": _Check("baseline", "sysctls outside the safe set", "1.0"),
    "windowsHostProcess": _Check("baseline", "Windows HostProcess containers", "1.0"),
    "hostProbesAndHostLifecycle": _Check("baseline", "a host field in probes and lifecycle handlers", "1.34"),
    "restrictedVolumes": _Check("restricted", "volume types outside the restricted set", "1.0",
                                "Allowed are configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                                "persistentVolumeClaim, projected and secret."),
    "allowPrivilegeEscalation": _Check("restricted", "allowing privilege escalation", "1.8"),
    "runAsNonRoot": _Check("restricted", "running without runAsNonRoot: true", "1.0"),
    "runAsUser": _Check("restricted", "runAsUser: 0", "1.23"),
    "seccompProfile_restricted": _Check("restricted", "running without a seccomp profile", "1.19",
                                        "The Pod or every container sets seccompProfile.type RuntimeDefault or "
                                        "Localhost."),
    "capabilities_restricted": _Check("restricted", "keeping Linux capabilities", "1.22",
                                      "Every container must drop ALL and may add back only NET_BIND_SERVICE."),
    "procMount_restricted": _Check("restricted", "an unmasked /proc, even in a user namespace", "1.35"),
}

# The file of k8s.io/pod-security-admission/policy that defines each check, where it is not check_<id>.go.
_PSS_FILES = {"hostProbesAndHostLifecycle": "check_hostProbesAndhostLifecycle.go"}


def _pss_rule(check: str, spec: _Check) -> Rule:
    file = _PSS_FILES.get(check, f"check_{check}.go")
    return Rule(
        id=f"pss-{check}", severity=WARNING, category=POD_SECURITY,
        summary=f"Pod Security {spec.level}: forbids {spec.reason}.",
        description=f"The pod-security admission plugin's {spec.level} level (check {check}) forbids "
                    f"{spec.reason}. {spec.detail + ' ' if spec.detail else ''}A namespace labelled "
                    f"pod-security.kubernetes.io/enforce={spec.level}"
                    f"{' (or restricted, which includes baseline)' if spec.level == 'baseline' else ''} "
                    "refuses the Pod; lint reports it when --level asks for that level.",
        remediation=f"Change the Pod so it meets the {spec.level} level (the message names the fields), or hold "
                    "it to a lower level with --level if it really needs this.",
        source=f"k8s.io/pod-security-admission policy/{file}: check {check}", help_uri=PSS_DOCS,
        since=spec.since)


REGISTRY: dict[str, Rule] = {rule.id: rule for rule in _RULES}
REGISTRY.update((f"pss-{check}", _pss_rule(check, spec)) for check, spec in _PSS_CHECKS.items())


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, grouped by category in the order of ``CATEGORIES``, ids sorted within."""
    return tuple(sorted(REGISTRY.values(), key=lambda r: (CATEGORIES.index(r.category), r.id)))


def rule(rule_id: str) -> Rule:
    """The registered rule ``rule_id``; KeyError for an id no finding can carry."""
    return REGISTRY[rule_id]


def rule_ids() -> tuple[str, ...]:
    """Every rule id, in the order of :func:`all_rules`."""
    return tuple(r.id for r in all_rules())


def parse_version(text: str) -> tuple[int, int]:
    """``"1.34"`` -> ``(1, 34)``."""
    major, minor = text.split(".")
    return int(major), int(minor)


def applies_at(rule_id: str, k8s_version: str) -> bool:
    """Whether the rule exists at Kubernetes ``k8s_version`` (``"1.33"``); rules of podnotes always apply."""
    since = REGISTRY[rule_id].since
    return not since or parse_version(since) <= parse_version(k8s_version)
