"""Create, apply, replace and delete the objects of manifest files on a cluster.

:class:`Cluster` works on whatever :func:`podnotes.manifest.load` accepts (a
path, YAML text, a dict, loaded Documents) and does for each document what the
matching kubectl command does, through the API, with a private client:

==========================================  ==============================================
kubectl                                     podnotes.cluster
==========================================  ==============================================
``kubectl apply --server-side``             :meth:`Cluster.apply` (field manager ``podnotes``)
``kubectl create -f``                       :meth:`Cluster.create`
``kubectl replace -f`` / ``--force``        :meth:`Cluster.replace` / ``force=True``
``kubectl delete -f``                       :meth:`Cluster.delete`
``kubectl delete --force --grace-period=0`` :meth:`Cluster.force_delete`
``kubectl create --dry-run=server``         :meth:`Cluster.dry_run`
``kubectl get -o yaml``                     :meth:`Cluster.get`
==========================================  ==============================================

Every object sent carries the label ``app.kubernetes.io/managed-by: podnotes``;
inside a :meth:`Cluster.cleanup_on_error` block it also carries an annotation
naming the run until the block completes (:mod:`podnotes.cluster.ownership`).
An object is remembered by the block *before* its request is sent, so an
interrupt that arrives while the request is in flight still removes it; the
block deletes, if anything fails or the user presses Ctrl-C (or SIGTERM
arrives), only objects that still carry this run's annotation. Objects a
killed run left are found by ``podnotes cleanup``
(:func:`ownership.find_leftovers`), and ``apply`` says so when it meets one.
"""

from __future__ import annotations

import builtins
import contextlib
import getpass
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import api, ownership
from .connect import Connection
from .errors import ApiRejected, ClusterError

FIELD_MANAGER = "podnotes"
# Like kubectl since 1.27: unknown or duplicate fields are errors, not silently dropped.
STRICT = {"query_params": [("fieldValidation", "Strict")]}
DEFAULT_NAMESPACE = "default"
# How long an interrupted run waits for its last create, already sent, to show up before it stops looking.
IN_FLIGHT_SECONDS = 2.0
MANAGED_BY = ownership.MANAGED_BY

# Of a running Pod's spec, an update may change only these (the API server's ValidatePodUpdate).
POD_MUTABLE_FIELDS = (
    "spec.containers[*].image", "spec.initContainers[*].image", "spec.activeDeadlineSeconds",
    "spec.tolerations (additions only)", "spec.terminationGracePeriodSeconds (only from a negative value to 1)",
    "spec.schedulingGates (removals)",
)
POD_UPDATE_HINT = (
    "a Pod is the record of containers already placed on a node, so the API server lets an update change only "
    + ", ".join(POD_MUTABLE_FIELDS)
    + ". To change anything else, delete and create it again: `podnotes apply` cannot, `kubectl replace --force` "
      "(Cluster.replace(force=True)) does exactly that, and a Deployment does it for you by making new Pods."
)


class ManifestProblem(ClusterError):
    """A document that cannot be sent at all (unreadable, no kind or name)."""


@dataclass(frozen=True)
class ObjectRef:
    """Which object a document describes, and where in which file."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.kind.lower()}/{self.name}"

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Outcome:
    """What one call did to one object, in kubectl's words (``pod/nginx created``)."""

    ref: ObjectRef
    action: str  # created, configured, replaced, deleted, terminating, not found
    object: dict | None = None
    note: str = ""  # e.g. that an earlier, killed run had left the object

    def __str__(self) -> str:
        where = f" in {self.ref.namespace}" if self.ref.namespace else ""
        return f"{self.ref}{where} {self.action}" + (f" ({self.note})" if self.note else "")


@dataclass
class ObjectToSend:
    """A loaded manifest document ready to send: its body and its identity."""

    body: dict
    ref: ObjectRef
    source: Any = None  # podnotes.manifest.Document, for mapping field paths back to lines


@dataclass
class CleanupRecord:
    """Objects created inside one cleanup_on_error block."""

    created: list[ObjectRef] = field(default_factory=list)
    removed: list[ObjectRef] = field(default_factory=list)


def load_documents(manifest: Any, namespace: str | None = None) -> list[ObjectToSend]:
    """Load with podnotes.manifest and check each document names a kind, apiVersion and name."""
    return list(iter_documents(manifest, namespace))


def iter_documents(manifest: Any, namespace: str | None = None) -> Iterator[ObjectToSend]:
    """The objects of ``manifest``, one document at a time (:func:`podnotes.manifest.iter_load`).

    Every document is read and checked first, then dropped; only then are
    they read again and yielded one by one. So nothing is sent when any
    document is bad (:class:`ManifestProblem` on the first ``next()``), and
    memory stays flat in the number of documents. An input that can be read
    only once (stdin, a stream, a URL) is read into memory first, within the
    loader's per-input limit.
    """
    from podnotes import manifest as manifest_module

    source, name = _readable_twice(manifest)
    for doc in manifest_module.iter_load(source, name=name):
        _object_to_send(doc, namespace)
    for doc in manifest_module.iter_load(source, name=name):
        yield _object_to_send(doc, namespace)


def _readable_twice(manifest: Any) -> tuple[Any, str | None]:
    """``manifest``, or for stdin, a stream or a URL its bytes and the name to show."""
    from podnotes import inputfile
    from podnotes import manifest as manifest_module

    budget = inputfile.Budget(limit=manifest_module.MAX_INPUT_BYTES)
    try:
        if isinstance(manifest, str) and manifest == "-":
            return inputfile.read_stream(sys.stdin, "<stdin>", budget), "<stdin>"
        if isinstance(manifest, str) and inputfile.is_url(manifest):
            return inputfile.read_url(manifest, replace(inputfile.URL_BUDGET, limit=budget.limit)), manifest
        if hasattr(manifest, "read"):
            name = str(getattr(manifest, "name", "<stream>"))
            return inputfile.read_stream(manifest, name, budget), name
    except inputfile.InputError as err:
        raise ManifestProblem(str(err), hint="fix the input; `podnotes lint` shows every problem") from None
    return manifest, None


def _object_to_send(doc: Any, namespace: str | None) -> ObjectToSend:
    """One loaded document as an object to send, or :class:`ManifestProblem` saying what it lacks."""
    where = f"{doc.file}:{doc.line}" if doc.line else doc.file
    if doc.error is not None:
        line = f"{doc.file}:{doc.error.line}" if doc.error.line else where
        raise ManifestProblem(f"{line}: {doc.error.message}", hint=f"fix the file; `podnotes lint {doc.file}` "
                                                                 "shows every problem")
    body = doc.to_python()
    if not isinstance(body, dict):
        raise ManifestProblem(f"{where}: a Kubernetes object must be a mapping, not {type(body).__name__}")
    missing = [key for key in ("apiVersion", "kind") if not body.get(key)]
    name = (body.get("metadata") or {}).get("name")
    if not name:
        missing.append("metadata.name")
    if missing:
        raise ManifestProblem(f"{where}: missing {', '.join(missing)}",
                              hint="every object needs apiVersion, kind and metadata.name")
    body_namespace = (body.get("metadata") or {}).get("namespace")
    if namespace and body_namespace and body_namespace != namespace:
        raise ManifestProblem(
            f"{where}: metadata.namespace is {body_namespace!r} but the namespace asked for is {namespace!r}",
            hint="drop one of them (kubectl refuses this too)")
    ref = ObjectRef(body["apiVersion"], body["kind"], name, body_namespace or namespace, doc.file, doc.line)  # type: ignore[arg-type]
    return ObjectToSend(body, ref, doc)


class Cluster:
    """The objects of one connection, with kubectl's verbs.

    ``namespace`` is used for namespaced objects that do not name their own
    (kubectl's ``-n``).
    """

    def __init__(self, connection: Connection, namespace: str = DEFAULT_NAMESPACE):
        self.connection = connection
        self.namespace = namespace
        self._dynamic = None
        self._cache_dir: str | None = None
        self._records: list[CleanupRecord] = []
        self._lock = threading.Lock()

    # --- plumbing -------------------------------------------------------------------
    @property
    def api_client(self):
        return self.connection.api_client

    @property
    def dynamic(self):
        """A DynamicClient whose discovery cache lives in a private folder, removed by close()."""
        if self._dynamic is None:
            from podnotes.linux.leaks import reap_orphans_once
            from podnotes.linux.processes import on_termination

            reap_orphans_once()  # also removes discovery folders of killed runs, and starts the watchdog
            self._cache_dir = tempfile.mkdtemp(prefix=f"podnotes-discovery-{os.getpid()}-")
            on_termination(self._remove_cache)
            try:
                self._dynamic = api.dynamic_client(self.api_client, str(Path(self._cache_dir) / "cache.json"))
            except Exception as err:
                raise api.failure(self.connection, err, "discovering the server's resources") from None
        return self._dynamic

    def _remove_cache(self) -> None:
        from podnotes.linux.processes import forget_on_termination

        forget_on_termination(self._remove_cache)
        if self._cache_dir:
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            self._cache_dir = None

    def close(self) -> None:
        self._remove_cache()
        self._dynamic = None
        self.connection.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def core(self):
        """``CoreV1Api`` over this cluster's connection."""
        return api.core_v1(self.api_client)

    def _resource(self, ref: ObjectRef):
        try:
            return self.dynamic.resources.get(api_version=ref.api_version, kind=ref.kind)
        except Exception as err:
            if not api.is_unknown_kind(err):
                raise
            raise ManifestProblem(f"{ref.location}: the server has no {ref.kind} in {ref.api_version}",
                                  hint="check apiVersion and kind (`kubectl api-resources` lists them)") from None

    def _namespace_for(self, resource, ref: ObjectRef) -> str | None:
        return (ref.namespace or self.namespace) if resource.namespaced else None

    def _call(self, what: str, ref: ObjectRef, operation):
        try:
            return operation()
        except Exception as err:
            hint = POD_UPDATE_HINT if api.is_api_error(err) and _is_pod_update_refusal(ref, err) else ""
            raise api.failure(self.connection, err, f"{ref.location}: {what} {ref}", hint) from None

    def _remember_created(self, ref: ObjectRef) -> None:
        with self._lock:
            for record in self._records:
                record.created.append(ref)

    def _forget_created(self, ref: ObjectRef) -> None:
        with self._lock:
            for record in self._records:
                if ref in record.created:
                    record.created.remove(ref)

    def _stamp(self, body: dict, new: bool = True) -> dict:
        """The body with podnotes' label, and the run annotation when this object is new to the run and a
        cleanup block would remove it (objects that existed before are never marked: they are not ours)."""
        with self._lock:
            pending = new and bool(self._records)
        return ownership.stamp(body, pending=pending)

    def _send_creating(self, what: str, ref: ObjectRef, operation):
        """Remember ``ref`` before the request that creates it is sent (an interrupt may arrive while it is
        in flight); forget it again if the server answers that it created nothing."""
        self._remember_created(ref)
        try:
            return self._call(what, ref, operation)
        except ApiRejected:
            self._forget_created(ref)
            raise

    # --- the verbs --------------------------------------------------------------------
    def create(self, manifest: Any, namespace: str | None = None) -> list[Outcome]:
        """Create every object; fails on the first that exists already (kubectl create)."""
        outcomes = []
        for doc in iter_documents(manifest, namespace):
            resource = self._resource(doc.ref)
            ns = self._namespace_for(resource, doc.ref)
            ref = _with_namespace(doc.ref, ns)
            body = self._stamp(doc.body)
            created = self._send_creating("creating", ref, lambda: self.dynamic.create(
                resource, body=body, namespace=ns, field_manager=FIELD_MANAGER, **_strict()))  # noqa: B023 - called before the loop moves on
            outcomes.append(Outcome(ref, "created", created.to_dict()))
        return outcomes

    def apply(self, manifest: Any, namespace: str | None = None, *, force_conflicts: bool = False) -> list[Outcome]:
        """Server-side apply every object with field manager ``podnotes`` (kubectl apply --server-side).

        The server merges the fields this manager sets into the live object
        and records them as owned by ``podnotes``; a field owned by another
        manager is a conflict unless ``force_conflicts``.
        """
        outcomes = []
        for doc in iter_documents(manifest, namespace):
            resource = self._resource(doc.ref)
            ns = self._namespace_for(resource, doc.ref)
            ref = _with_namespace(doc.ref, ns)
            live = self._live(resource, doc.ref.name, ns)
            left, note = _left_by_an_ended_run(live)
            body = self._stamp(doc.body, new=live is None or left)

            def send():
                return self.dynamic.server_side_apply(
                    resource, body=body, name=doc.ref.name, namespace=ns, field_manager=FIELD_MANAGER,  # noqa: B023 - called before the loop moves on
                    force_conflicts=force_conflicts or None, **_strict())

            # An object an ended run left has no owner any more: this run takes it over, cleanup included.
            applied = self._send_creating("applying", ref, send) if live is None or left \
                else self._call("applying", ref, send)
            outcomes.append(Outcome(ref, "configured" if live is not None else "created", applied.to_dict(), note))
        return outcomes

    def replace(self, manifest: Any, namespace: str | None = None, *, force: bool = False) -> list[Outcome]:
        """Replace each live object with the file's version (kubectl replace).

        A Pod refuses most changes this way (see ``POD_UPDATE_HINT``); the
        API's own message is in the ApiRejected raised. ``force=True`` is
        ``kubectl replace --force``: delete the object, wait until it is gone,
        create it again. The object is a new one (new uid), and a Pod's
        containers are stopped and started again.
        """
        outcomes = []
        for doc in iter_documents(manifest, namespace):
            resource = self._resource(doc.ref)
            ns = self._namespace_for(resource, doc.ref)
            ref = _with_namespace(doc.ref, ns)
            if force:
                self._delete_one(resource, ref, grace_period=None, wait=True)
                body = self._stamp(doc.body, new=False)
                created = self._call("creating", ref, lambda: self.dynamic.create(
                    resource, body=body, namespace=ns, field_manager=FIELD_MANAGER, **_strict()))  # noqa: B023 - called before the loop moves on
                outcomes.append(Outcome(ref, "replaced", created.to_dict()))
                continue
            stamped = self._stamp(doc.body, new=False)
            replaced = self._call("replacing", ref, lambda: self.dynamic.replace(
                resource, body=stamped, name=ref.name, namespace=ns, field_manager=FIELD_MANAGER, **_strict()))  # noqa: B023 - called before the loop moves on
            outcomes.append(Outcome(ref, "replaced", replaced.to_dict()))
        return outcomes

    def delete(self, manifest: Any, namespace: str | None = None, *, grace_period: int | None = None,
               wait: bool = False, timeout: float = 60, ignore_not_found: bool = False) -> list[Outcome]:
        """Delete every object (kubectl delete -f).

        ``grace_period`` overrides the Pod's ``terminationGracePeriodSeconds``
        (default 30 s): the time the kubelet gives the containers between
        SIGTERM (after any preStop hook) and SIGKILL. The API server only
        marks the Pod (``deletionTimestamp``; kubectl shows Terminating); the
        object disappears when the kubelet reports the containers stopped.
        ``wait=True`` waits for that, up to ``timeout`` seconds.
        """
        outcomes = []
        for doc in iter_documents(manifest, namespace):
            resource = self._resource(doc.ref)
            ref = _with_namespace(doc.ref, self._namespace_for(resource, doc.ref))
            outcomes.append(self._delete_one(resource, ref, grace_period, wait, timeout, ignore_not_found))
        return outcomes

    def force_delete(self, manifest: Any, namespace: str | None = None, *,
                     ignore_not_found: bool = False) -> list[Outcome]:
        """Remove the objects from the API at once (kubectl delete --force --grace-period=0).

        What it skips: the API server deletes the Pod object immediately,
        without waiting for the kubelet to confirm that the containers have
        stopped (an object with finalizers still stays until they are
        removed). The kubelet, if it is alive, still stops the containers the
        usual way but with almost no time: it starts the preStop hook, sends
        SIGTERM and waits at least 2 s (``minimumGracePeriodInSeconds`` in
        pkg/kubelet/kuberuntime/kuberuntime_manager.go) before SIGKILL, too
        little for most programs to finish requests or flush data. If the node is unreachable
        (the usual reason a Pod hangs in Terminating) the containers may keep
        running there, unseen, while a replacement with the same name can
        already start elsewhere: for a StatefulSet that means two Pods with
        one identity writing to the same volume. Use it for Pods whose node
        is known to be gone, or in a test cluster.
        """
        return self.delete(manifest, namespace, grace_period=0, ignore_not_found=ignore_not_found)

    def get(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> dict:
        """The live object as the server stores it (kubectl get -o yaml)."""
        ref = ObjectRef(api_version, kind, name, namespace, "<get>", None)
        resource = self._resource(ref)
        ns = self._namespace_for(resource, ref)
        return self._call("reading", ref, lambda: self.dynamic.get(resource, name=name, namespace=ns)).to_dict()

    def list(self, kind: str, namespace: str | None = None, api_version: str = "v1") -> list[dict]:
        ref = ObjectRef(api_version, kind, "*", namespace, "<list>", None)
        resource = self._resource(ref)
        ns = self._namespace_for(resource, ref)
        return self._call("listing", ref, lambda: self.dynamic.get(resource, namespace=ns)).to_dict()["items"]

    def exists(self, kind: str, name: str, namespace: str | None = None, api_version: str = "v1") -> bool:
        ref = ObjectRef(api_version, kind, name, namespace, "<get>", None)
        resource = self._resource(ref)
        return self._exists(resource, name, self._namespace_for(resource, ref))

    def dry_run(self, manifest: Any, namespace: str | None = None) -> builtins.list:
        """Ask the server whether it would create each object (kubectl create --dry-run=server).

        Nothing is stored. Returns one list of :class:`podnotes.lint.Finding`
        for all documents: empty when the server accepts everything, else one
        Finding per cause the server gave, with the server's field path and,
        where the manifest came from a file, that field's line.
        """
        from .verdicts import findings_from_rejection

        findings = []
        for doc in iter_documents(manifest, namespace):
            resource = self._resource(doc.ref)
            ns = self._namespace_for(resource, doc.ref)
            try:
                self._call("dry-run creating", doc.ref, lambda: self.dynamic.create(
                    resource, body=doc.body, namespace=ns, dry_run="All", field_manager=FIELD_MANAGER, **_strict()))  # noqa: B023 - called before the loop moves on
            except ApiRejected as rejected:
                findings.extend(findings_from_rejection(rejected, doc))
        return findings

    # --- deleting -----------------------------------------------------------------------
    def _exists(self, resource, name: str, namespace: str | None) -> bool:
        return self._live(resource, name, namespace) is not None

    def _live(self, resource, name: str, namespace: str | None) -> dict | None:
        """The live object, or None if there is none."""
        try:
            return self.dynamic.get(resource, name=name, namespace=namespace).to_dict()
        except Exception as err:
            if api.is_not_found(err):
                return None
            raise api.failure(self.connection, err, f"reading {resource.kind.lower()}/{name}") from None

    def _delete_one(self, resource, ref: ObjectRef, grace_period: int | None, wait: bool, timeout: float = 60,
                    ignore_not_found: bool = False) -> Outcome:
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period  # type: ignore[assignment]
        try:
            result = self.dynamic.delete(resource, name=ref.name, namespace=ref.namespace, body=body)
        except Exception as err:
            if not api.is_not_found(err):
                raise api.failure(self.connection, err, f"{ref.location}: deleting {ref}") from None
            if ignore_not_found:
                return Outcome(ref, "not found")
            raise ApiRejected(f"{ref.location}: {ref} not found in {ref.namespace or 'the cluster'}",
                              {"reason": "NotFound"}) from None
        remaining = result.to_dict() if hasattr(result, "to_dict") else {}
        metadata = remaining.get("metadata") or {}
        # The server answers with the object as deleted: marked (deletionTimestamp) but still stored while a
        # kubelet or a finalizer has to confirm, or already removed (a Status, or no grace period left).
        if remaining.get("kind") == "Status" or not metadata.get("deletionTimestamp"):
            gone = True
        else:
            gone = not self._exists(resource, ref.name, ref.namespace)
        if not gone and wait:
            gone = self._wait_until_gone(resource, ref, timeout)
        return Outcome(ref, "deleted" if gone else "terminating", remaining)

    def _wait_until_gone(self, resource, ref: ObjectRef, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._exists(resource, ref.name, ref.namespace):
                return True
            time.sleep(0.2)
        raise ClusterError(
            f"{ref} is still terminating after {timeout:.0f} s",
            hint="the kubelet has not confirmed the containers stopped (node down?); `podnotes delete --force` "
                 "removes the object without waiting (read what it skips first)")

    # --- cleaning up after errors and Ctrl-C ---------------------------------------------------
    @contextlib.contextmanager
    def cleanup_on_error(self) -> Iterator[CleanupRecord]:
        """Delete, in reverse order, every object created inside the block if the block raises
        (Ctrl-C included). Objects that existed before are left alone."""
        record = CleanupRecord()
        with self._lock:
            self._records.append(record)
        try:
            yield record
        except BaseException:
            self._undo(record)
            raise
        released = False
        try:
            with _sigint_deferred():
                with self._lock:
                    self._records.remove(record)
                    still_held = {ref for other in self._records for ref in other.created}
                self._release([ref for ref in record.created if ref not in still_held])
                released = True
        except BaseException:
            # A signal that came after the block's last step but before the release began: the run did
            # not finish, so it is undone as an interrupt inside the block would be.
            if not released:
                self._undo(record)
            raise

    def _undo(self, record: CleanupRecord) -> None:
        with _sigint_deferred():
            self._remove(record)
        with self._lock:
            if record in self._records:
                self._records.remove(record)

    def _release(self, refs: builtins.list[ObjectRef]) -> None:
        """The run completed: drop its annotation, so the objects are no longer leftovers of a run."""
        mine = str(ownership.current())
        for ref in refs:
            try:
                resource = self._resource(ref)
                live = self._live(resource, ref.name, ref.namespace)
                if live is None or str(ownership.owner_of(live) or "") != mine:
                    continue
                self._call("releasing", ref, lambda: self.dynamic.patch(
                    resource, body=ownership.RELEASE_PATCH, name=ref.name, namespace=ref.namespace,  # noqa: B023 - called before the loop moves on
                    content_type="application/merge-patch+json", field_manager=FIELD_MANAGER))
            except ClusterError:
                continue

    def _remove(self, record: CleanupRecord) -> None:
        mine = str(ownership.current())
        for index, ref in enumerate(reversed(record.created)):
            try:
                resource = self._resource(ref)
                live = self._live(resource, ref.name, ref.namespace)
                if live is None and index == 0:
                    # The last object may have been interrupted in flight: its request was sent, and the
                    # server can still be storing it after we stopped waiting for the answer.
                    live = self._arriving(resource, ref)
                if live is None:
                    continue  # the request never arrived, or the server refused it
                if str(ownership.owner_of(live) or "") != mine:
                    continue  # another run's object with the same name: not ours to delete
                self._delete_one(resource, ref, grace_period=None, wait=False, ignore_not_found=True)
                record.removed.append(ref)
            except ClusterError:
                continue

    def _arriving(self, resource, ref: ObjectRef, seconds: float = IN_FLIGHT_SECONDS) -> dict | None:
        """The object, if a request already sent creates it within ``seconds``; else None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.1)
            live = self._live(resource, ref.name, ref.namespace)
            if live is not None:
                return live
        return None

    @contextlib.contextmanager
    def workshop_namespace(self, prefix: str = "podnotes") -> Iterator[str]:
        """A namespace of its own for one run (``podnotes-<user>-<random>``), used as this
        Cluster's default namespace inside the block and deleted at the end, also on error or Ctrl-C."""
        user = "".join(ch for ch in getpass.getuser().lower() if ch.isalnum())[:20] or "user"
        name = f"{prefix}-{user}-{secrets.token_hex(3)}"
        body = ownership.stamp({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, pending=True)
        ref = ObjectRef("v1", "Namespace", name, None, "<workshop>", None)
        self._call("creating", ref, lambda: self.dynamic.create(self._resource(ref), body=body))
        previous, self.namespace = self.namespace, name
        try:
            yield name
        finally:
            self.namespace = previous
            with _sigint_deferred():
                self._delete_one(self._resource(ref), ref, grace_period=None, wait=False, ignore_not_found=True)


def _left_by_an_ended_run(live: dict | None) -> tuple[bool, str]:
    owner = ownership.owner_of(live)
    if owner is None or owner.over() is not True:
        return False, ""
    return True, (f"left by {owner.describe()}, which ended without cleaning up; this run takes it over "
                  "and removes it if it fails")


@contextlib.contextmanager
def _sigint_deferred():
    """Let cleanup finish when the user presses Ctrl-C again or a SIGTERM arrives; the interrupt is raised
    afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    deferred = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, lambda number, _frame: pressed.append(number)) for number in deferred}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if pressed:
        handler = previous[pressed[0]]
        if callable(handler):
            handler(pressed[0], None)  # raises, e.g. KeyboardInterrupt or the command line's Terminated
        elif handler == signal.SIG_DFL:
            signal.raise_signal(pressed[0])
        raise KeyboardInterrupt


def _strict() -> dict:
    return {"query_params": list(STRICT["query_params"])}  # a fresh list: the client appends to it


def _with_namespace(ref: ObjectRef, namespace: str | None) -> ObjectRef:
    return ObjectRef(ref.api_version, ref.kind, ref.name, namespace, ref.file, ref.line)


def _is_pod_update_refusal(ref: ObjectRef, err: BaseException) -> bool:
    status = api.status_of(err)
    return ref.kind == "Pod" and status.get("reason") == "Invalid" and "pod updates may not change" in str(
        status.get("message", ""))
