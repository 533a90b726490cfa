"""What the API server would answer, when there is no cluster to ask.

:class:`OfflineCluster` keeps objects in memory and follows the API server's
rules that the kubectl chapter shows: names are unique per namespace, a Pod
update may change only a few fields, an unscheduled Pod is deleted at once,
and a dry run is what ``podnotes lint`` says the server would answer. It
has the verbs of :class:`~podnotes.cluster.Cluster`, so the chapter reads the
same either way; its outcomes are predictions, and the chapter labels them so.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import datetime as dt
import secrets
import uuid

from ..kube.defaults import default_pod_spec
from ..kube.qos import qos_class
from .errors import ApiRejected
from .objects import POD_UPDATE_HINT, Outcome, _with_namespace, load_documents

# What ValidatePodUpdate (pkg/apis/core/validation) allows to differ between the old and the new spec.
_POD_MUTABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates")
POD_UPDATE_MESSAGE = (
    'Pod "{name}" is invalid: spec: Forbidden: pod updates may not change fields other than '
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


# field.ErrorType.String() -> the cause's reason (k8s.io/apimachinery/pkg/util/validation/field/errors.go).
SERVER_ERROR_TYPES = {
    "Not found": "FieldValueNotFound",
    "Required value": "FieldValueRequired",
    "Duplicate value": "FieldValueDuplicate",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Internal error": "InternalError",
}


def as_server_answer(finding, document=None):
    """A linter error restated as the API server's cause: ``message`` is the cause's message (the error
    type and detail, without the field path), ``server_message`` the Status message
    (``Pod "web" is invalid: <path>: <type>: <detail>``), the rule ``server-<reason>``."""
    from podnotes.cluster.verdicts import _kebab
    from podnotes.lint.finding import Finding

    answer = finding.server_message or finding.message
    prefix = f"{finding.path}: "
    cause = answer[len(prefix):] if finding.path and answer.startswith(prefix) else answer
    error_type = cause.split(":", 1)[0]
    reason = SERVER_ERROR_TYPES.get(error_type, "Invalid")
    status = answer
    if document is not None and error_type in SERVER_ERROR_TYPES:
        status = f'{document.ref.kind} "{document.ref.name}" is invalid: {answer}'
    return Finding(rule=f"server-{_kebab(reason)}", severity=finding.severity, message=cause, file=finding.file,
                   line=finding.line, column=finding.column, path=finding.path, server_message=status)


def _document_at(documents, line: int | None):
    """The document of a multi-document manifest that holds ``line``."""
    if not documents:
        return None
    if line is None:
        return documents[0]
    starts = [doc for doc in documents if doc.ref.line is not None and doc.ref.line <= line]
    return starts[-1] if starts else documents[0]


def _comparable_spec(spec: dict) -> dict:
    spec = copy.deepcopy(spec or {})
    for key in _POD_MUTABLE:
        spec.pop(key, None)
    for group in ("containers", "initContainers"):
        for container in spec.get(group) or []:
            container.pop("image", None)
    return spec


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _default_pod(pod: dict) -> None:
    """The defaults the API server fills into a new Pod (:func:`podnotes.kube.defaults.default_pod_spec`)
    and the QoS class it records (:func:`podnotes.kube.qos.qos_class`)."""
    spec = default_pod_spec(pod.setdefault("spec", {}))
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(spec)}


class OfflineCluster:
    """In-memory stand-in with Cluster's verbs; ``simulated = True`` so callers can label output."""

    simulated = True

    def __init__(self, namespace: str = "default"):
        self.namespace = namespace
        self.objects: dict[tuple[str, str, str], dict] = {}

    def _key(self, ref) -> tuple[str, str, str]:
        return (ref.kind, ref.namespace or self.namespace, ref.name)

    def create(self, manifest, namespace: str | None = None) -> list[Outcome]:
        outcomes = []
        for doc in load_documents(manifest, namespace or self.namespace):
            key = self._key(doc.ref)
            if key in self.objects:
                raise ApiRejected(f'{doc.ref.location}: creating {doc.ref}: {doc.ref.kind.lower()}s "{doc.ref.name}" '
                                  "already exists", {"reason": "AlreadyExists", "code": 409})
            stored = copy.deepcopy(doc.body)
            stored.setdefault("metadata", {}).update(namespace=key[1], uid=str(uuid.uuid4()), creationTimestamp=_now())
            if doc.ref.kind == "Pod":
                _default_pod(stored)
            self.objects[key] = stored
            outcomes.append(Outcome(_with_namespace(doc.ref, key[1]), "created", stored))
        return outcomes

    apply = create

    def replace(self, manifest, namespace: str | None = None, *, force: bool = False) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for doc in load_documents(manifest, namespace or self.namespace):
            key = self._key(doc.ref)
            if key not in self.objects:
                raise ApiRejected(f'{doc.ref.location}: replacing {doc.ref}: not found', {"reason": "NotFound"})
            if force:
                del self.objects[key]
                outcomes.extend(Outcome(o.ref, "replaced", o.object) for o in self.create(doc.body, key[1]))
                continue
            old = self.objects[key]
            updated = copy.deepcopy(doc.body)
            if doc.ref.kind == "Pod":
                _default_pod(updated)  # the server defaults the new object before comparing
            if doc.ref.kind == "Pod" and _comparable_spec(old.get("spec")) != _comparable_spec(updated.get("spec")):  # type: ignore[arg-type]
                message = POD_UPDATE_MESSAGE.format(name=doc.ref.name)
                raise ApiRejected(f"{doc.ref.location}: replacing {doc.ref}: {message}",
                                  {"reason": "Invalid", "code": 422, "message": message}, hint=POD_UPDATE_HINT)
            updated["metadata"] = {**old["metadata"], **(doc.body.get("metadata") or {}), "namespace": key[1]}
            updated["status"] = old.get("status", {})
            self.objects[key] = updated
            outcomes.append(Outcome(doc.ref, "replaced", updated))
        return outcomes

    def delete(self, manifest, namespace: str | None = None, *, grace_period: int | None = None,
               wait: bool = False, timeout: float = 60, ignore_not_found: bool = False) -> list[Outcome]:
        outcomes = []
        for doc in load_documents(manifest, namespace or self.namespace):
            key = self._key(doc.ref)
            if key not in self.objects:
                if ignore_not_found:
                    outcomes.append(Outcome(doc.ref, "not found"))
                    continue
                raise ApiRejected(f"{doc.ref.location}: {doc.ref} not found", {"reason": "NotFound"})
            stored = self.objects[key]
            on_a_node = bool((stored.get("spec") or {}).get("nodeName"))
            if doc.ref.kind == "Pod" and on_a_node and grace_period != 0:
                # Like the API server: mark it, and wait for the node's kubelet, which here never answers.
                grace = stored["spec"].get("terminationGracePeriodSeconds", 30) if grace_period is None \
                    else grace_period
                stored["metadata"].setdefault("deletionTimestamp", _now())
                stored["metadata"]["deletionGracePeriodSeconds"] = grace
                outcomes.append(Outcome(doc.ref, "terminating", copy.deepcopy(stored)))
                continue
            outcomes.append(Outcome(doc.ref, "deleted", self.objects.pop(key)))
        return outcomes

    def force_delete(self, manifest, namespace: str | None = None, *, ignore_not_found: bool = False):
        return self.delete(manifest, namespace, grace_period=0, ignore_not_found=ignore_not_found)

    def get(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> dict:
        key = (kind, namespace or self.namespace, name)
        if key not in self.objects:
            raise ApiRejected(f'{kind.lower()}s "{name}" not found', {"reason": "NotFound"})
        return copy.deepcopy(self.objects[key])

    def list(self, kind: str, namespace: str | None = None, api_version: str = "v1") -> list[dict]:
        namespace = namespace or self.namespace
        return [copy.deepcopy(obj) for (k, ns, _), obj in sorted(self.objects.items()) if k == kind and ns == namespace]

    def exists(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> bool:
        return (kind, namespace or self.namespace, name) in self.objects

    def dry_run(self, manifest, namespace: str | None = None) -> builtins.list:
        """What the API server would answer to a dry run, as :meth:`Cluster.dry_run` returns it: one
        Finding per cause, in the server's words (``Invalid value: 80000: must be between 1 and 65535,
        inclusive``), with the linter's line and field path."""
        from podnotes.lint import ERROR, Options, lint_documents
        from podnotes.manifest import load

        options = Options(level="privileged", advice=False)
        documents = load_documents(manifest, namespace or self.namespace)
        return [as_server_answer(finding, _document_at(documents, finding.line))
                for finding in lint_documents(load(manifest), options) if finding.severity == ERROR]

    @contextlib.contextmanager
    def workshop_namespace(self, prefix: str = "podnotes"):
        name = f"{prefix}-{secrets.token_hex(3)}"
        previous, self.namespace = self.namespace, name
        try:
            yield name
        finally:
            self.namespace = previous
            for key in [k for k in self.objects if k[1] == name]:
                del self.objects[key]

    def close(self) -> None:
        self.objects.clear()
