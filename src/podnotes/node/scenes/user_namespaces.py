"""User namespaces on the real node: a ``hostUsers: false`` Pod run by containerd 2 and runc.

The kubelet asks the runtime whether a runtime handler supports user namespaces (CRI ``Status``,
``RuntimeHandler.features.user_namespaces``; containerd 2 answers from ``runc features``,
``internal/cri/server/service.go`` ``introspectRuntimeHandler``) and, for a ``hostUsers: false`` Pod, picks
a free block of 65,536 host IDs and sends it in the sandbox's ``user_nsoptions`` (Kubernetes 1.37.2,
``pkg/kubelet/userns/userns_manager.go`` ``GetOrCreateUserNamespaceMappings``, ``pkg/kubelet/kubelet_getters.go``
``HandlerSupportsUserNamespaces``). runc writes ``0 FIRST 65536`` to the container's ``uid_map`` and ``gid_map``
and mounts the Pod's volumes as idmapped mounts (mount_setattr(2), ``MOUNT_ATTR_IDMAP``), so a file the
container's root writes to a volume belongs to host uid 0 on disk, not to ``FIRST``.

Pod ``hostusers`` (``hostUsers: true``) and Pod ``userns`` (``hostUsers: false``), each with an emptyDir at
``/data``: each container's process on the host (``uid_map``, ``gid_map``, the ``Uid:`` line of
``/proc/PID/status``), ``id`` and ``/proc/self/uid_map`` inside, the ``/data`` mount's per-mount options,
and the owner of a file the container's root wrote to ``/data``, inside and on the host's disk.
``crictl info`` and ``crictl version``: what the runtime says of itself. Then the scene's namespace
enforces the restricted Pod Security Standard: Pod ``root-on-host`` (``runAsUser: 0``, ``hostUsers: true``)
is refused by admission, and ``userns`` (the same with ``hostUsers: false``) is admitted and runs, as
``relaxPolicyForUserNamespacePod`` in k8s.io/pod-security-admission v0.37.2 ``policy/check_runAsUser.go`` and
``check_runAsNonRoot.go`` say. Every Pod is deleted before the scene returns.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .. import scenepods
from ..cri import Crictl
from ..podfiles import mount_at, parse_mountinfo

NAME = "user-namespaces"
IMAGE = "registry.k8s.io/busybox:1.27.2"
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
VOLUME_PATH = "/data"
WRITTEN = "written-by-root"  # the file each container's root writes to its emptyDir
RUN_TIMEOUT = 60.0

RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
LABEL_TIMEOUT = 10.0  # seconds for the label to reach Pod Security admission's namespace cache


def pod(name: str, host_users: bool, run_as_root: bool = False) -> dict:
    """A busybox Pod with an emptyDir ``data`` at ``/data``. ``run_as_root``: restricted in every way but
    ``runAsUser: 0`` (and no ``runAsNonRoot``), the two checks Pod Security relaxes for ``hostUsers: false``
    from 1.35 on."""
    spec: dict = {"hostUsers": host_users, "terminationGracePeriodSeconds": 2,
                  "automountServiceAccountToken": False,
                  "containers": [{"name": "app", "image": IMAGE, "command": SLEEPER,
                                  "volumeMounts": [{"name": "data", "mountPath": VOLUME_PATH}]}],
                  "volumes": [{"name": "data", "emptyDir": {}}]}
    if run_as_root:
        spec["securityContext"] = {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
        spec["containers"][0]["securityContext"] = {"allowPrivilegeEscalation": False,
                                                    "capabilities": {"drop": ["ALL"]}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def observe(context) -> dict:
    crictl = Crictl.for_endpoint(context.node.containerd.endpoint)
    admin, namespace = context.admin, context.namespace
    kubelet_root = context.node.workdir / "kubelet"
    info = crictl.json("info")
    record: dict = {
        "namespace": namespace,
        "manifests": {"userns": pod("userns", False, run_as_root=True), "hostusers": pod("hostusers", True),
                      "root-on-host": pod("root-on-host", True, run_as_root=True)},
        "runtime_version": version_fields(crictl.run("version")),
        "info_keys": sorted(info),
        "runtime_handlers": handler_features(info),
    }
    with scenepods.running(admin, namespace, [pod("hostusers", True)], timeout=RUN_TIMEOUT) as pods:
        record["hostusers"] = _container_view(crictl, namespace, pods["hostusers"], kubelet_root)
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": RESTRICTED}})
    _until_enforced(admin, namespace, pod("root-on-host", True, run_as_root=True))
    record["admission"] = {"root-on-host": _admission(admin, namespace, pod("root-on-host", True, run_as_root=True))}
    with scenepods.running(admin, namespace, [pod("userns", False, run_as_root=True)],
                           timeout=RUN_TIMEOUT) as pods:
        record["admission"]["userns"] = "accepted"
        record["userns"] = _container_view(crictl, namespace, pods["userns"], kubelet_root)
        record["userns"]["phase"] = pods["userns"]["status"]["phase"]
    return record


def handler_features(info: dict) -> list[dict]:
    """``crictl info``'s ``runtimeHandlers`` as ``[{"name": "runc", "user_namespaces": True, ...}]``: each
    handler's name (``""`` is the default handler) and its features (CRI ``RuntimeHandlerFeatures``)."""
    return [{"name": handler.get("name", ""), **(handler.get("features") or {})}
            for handler in info.get("runtimeHandlers") or []]


def _container_view(crictl: Crictl, namespace: str, pod_object: dict, kubelet_root: Path) -> dict:
    """The Pod's container from the host and from inside; its root writes a file to the emptyDir first."""
    name = pod_object["metadata"]["name"]
    container = crictl.container_id(crictl.sandbox_id(name, namespace), "app")
    pid = crictl.json("inspect", container)["info"]["pid"]
    written = f"{VOLUME_PATH}/{WRITTEN}"
    inside_owner = crictl.exec(container, "sh", "-c", f"echo hello > {written} && stat -c '%u:%g' {written}")
    on_disk = (kubelet_root / "pods" / pod_object["metadata"]["uid"] / "volumes" / "kubernetes.io~empty-dir"
               / "data" / WRITTEN)
    stat = os.stat(on_disk)
    volume = mount_at(parse_mountinfo(_read(f"/proc/{pid}/mountinfo")), VOLUME_PATH)
    return {"pid": pid, "uid_map": _read(f"/proc/{pid}/uid_map").strip(),
            "gid_map": _read(f"/proc/{pid}/gid_map").strip(), "status_uid": _uid_line(pid),
            "inside_id": crictl.exec(container, "id").strip(),
            "inside_uid_map": crictl.exec(container, "cat", "/proc/self/uid_map").strip(),
            "volume_mount_options": volume.mount_options, "volume_idmapped": volume.idmapped,
            "file_owner_inside": inside_owner.strip(), "file_owner_on_disk": f"{stat.st_uid}:{stat.st_gid}"}


def version_fields(text: str) -> dict[str, str]:
    """``crictl version`` output (``Key:  value`` lines) as ``{"runtimeName": ..., "runtimeVersion": ...}``,
    keys in CRI's JSON spelling (lower-case first letter)."""
    fields = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            fields[key.strip()[0].lower() + key.strip()[1:]] = value.strip()
    return fields


def _until_enforced(admin, namespace: str, violating: dict, timeout: float = LABEL_TIMEOUT) -> None:
    """Wait until Pod Security admission enforces the namespace's new label: it reads namespaces from an
    informer's cache first (``NamespaceGetterFromListerAndClient``, k8s.io/pod-security-admission
    ``admission/namespace.go``; the client only when the cache lacks the namespace), so a
    Pod created the moment after the label was set can still be judged by the old one. Server-side dry runs
    of ``violating`` (nothing is stored) until one is refused. Raises RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not any("PodSecurity" in finding.server_message
                  for finding in admin.dry_run(violating, namespace=namespace)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Pod Security admission did not enforce {RESTRICTED} on {namespace} "
                               f"within {timeout:.0f} s")
        time.sleep(0.2)


def _admission(admin, namespace: str, manifest: dict) -> str:
    """``"accepted"`` (the Pod is deleted again at once) or the message of the API server's refusal
    (its Status object's ``message``)."""
    from ...cluster import ApiRejected

    try:
        admin.create(manifest, namespace=namespace)
    except ApiRejected as refused:  # the API server's own words, as kubectl prints them after "Error from server"
        return refused.status.get("message") or str(refused)
    admin.delete(manifest, namespace=namespace, grace_period=0, wait=True, timeout=30, ignore_not_found=True)
    return "accepted"


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _uid_line(pid: int) -> str:
    return next(line.split(":", 1)[1].split() for line in _read(f"/proc/{pid}/status").splitlines()
                if line.startswith("Uid:"))[0]
