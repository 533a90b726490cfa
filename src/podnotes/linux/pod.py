"""A Pod built by hand, the way the kubelet and the container runtime do it.

First a *pause* process (``podnotes.linux.pause``) is started in new
network, UTS and IPC namespaces (and a PID namespace, when the Pod shares
one): the Pod sandbox. Each container is then started *into* those
namespaces (``setns``), with a mount namespace and a root file system of its
own. Containers come and go; the namespaces, and with them the Pod's
network and host name, live as long as the pause process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from podnotes.linux import views
from podnotes.linux.launcher import Launched, Spec, run_probe, start
from podnotes.linux.namespaces import PAUSE_ARGV, View, ns_path
from podnotes.linux.privileges import PrivilegeRequired, skip_unless
from podnotes.linux.processes import Children
from podnotes.linux.rootfs import Rootfs

POD_NAMESPACES = ("net", "uts", "ipc")
#: What a cell of :func:`planned_sharing` and :func:`measured_sharing` says of one namespace of one process.
SHARING = ("host", "pod", "own")


def shared_kinds(share_process_namespace: bool = False) -> list[str]:
    """The namespace kinds the pause process creates and every container joins."""
    return list(POD_NAMESPACES) + (["pid"] if share_process_namespace else [])


def container_own_kinds(share_process_namespace: bool = False) -> list[str]:
    """The namespace kinds each container creates for itself: mount, and PID unless the Pod shares one."""
    return ["mnt"] if share_process_namespace else ["mnt", "pid"]


def builds_user_namespace() -> bool:
    """Whether a :class:`Pod` started by this process has a user namespace of its own: without root its
    pause process creates one first and holds it with the others (what the kubelet asks the runtime for
    when a Pod sets ``hostUsers: false``); with root it uses the host's, as Kubernetes does by default."""
    from podnotes.linux import rootless

    return rootless.needs_user_namespace()


def planned_sharing(containers: list[str], share_process_namespace: bool = False,
                    user_namespace: bool = False) -> dict[str, dict[str, str]]:
    """Whose namespace each process of a :class:`Pod` is in, by kind (rows, ``views.NAMESPACE_KINDS``) and
    process (columns: ``pause``, then ``containers``): ``"pod"`` for the pause process's, ``"own"`` for one
    the container created, ``"host"`` for the node's. The same rules :class:`Pod` starts processes by;
    ``user_namespace`` adds the Pod's own user namespace (:func:`builds_user_namespace`)."""
    shared, own = shared_kinds(share_process_namespace), container_own_kinds(share_process_namespace)
    if user_namespace:
        shared = ["user", *shared]
    matrix = {}
    for kind in views.NAMESPACE_KINDS:
        row = {"pause": "pod" if kind in shared else "host"}
        for name in containers:
            row[name] = "pod" if kind in shared else "own" if kind in own else "host"
        matrix[kind] = row
    return matrix


def measured_sharing(host: dict[str, str], pause: dict[str, str],
                     containers: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The matrix of :func:`planned_sharing` from namespace identities read in ``/proc/PID/ns``
    (``views.namespace_ids``) of the host, the pause process and each container."""
    matrix = {}
    for kind in views.NAMESPACE_KINDS:
        row = {"pause": "host" if pause[kind] == host[kind] else "pod"}
        for name, ids in containers.items():
            row[name] = "host" if ids[kind] == host[kind] else "pod" if ids[kind] == pause[kind] else "own"
        matrix[kind] = row
    return matrix


@dataclass
class Container:
    name: str
    launched: Launched

    @property
    def pid(self) -> int:
        """The container's main process, as the host numbers it."""
        return self.launched.pid

    def running(self) -> bool:
        return self.launched.process.poll() is None

    def namespaces(self) -> dict[str, str]:
        return views.namespace_ids(self.pid)


class Pod:
    """A pause process plus containers that join its namespaces. Use it as a
    context manager: leaving the block stops every container, then the
    pause process, also on an error or Ctrl-C."""

    def __init__(self, name: str, share_process_namespace: bool = False):
        self.name = name
        self.share_process_namespace = share_process_namespace
        self.shared = shared_kinds(share_process_namespace)
        self.containers: dict[str, Container] = {}
        self._group = Children()
        self.pause: Launched | None = None

    def __enter__(self) -> Pod:
        skipped = skip_unless("namespaces", "build a Pod from namespaces")
        if skipped is not None:
            raise PrivilegeRequired(str(skipped))
        try:
            self.pause = start(Spec(argv=list(PAUSE_ARGV), unshare=list(self.shared), hostname=self.name,
                                    loopback_up=True, env=dict(os.environ)), self._group)
        except BaseException:
            self._group.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for container in self.containers.values():
            container.launched.close()
        if self.pause is not None:
            self.pause.close()
        self._group.close()

    def namespaces(self) -> dict[str, str]:
        """The pause process's namespaces: the Pod's."""
        return views.namespace_ids(self.pause.pid)  # type: ignore[union-attr]

    def _spec(self, rootfs: Rootfs | str, **command) -> Spec:
        unshare = container_own_kinds(self.share_process_namespace)
        return Spec(join={kind: ns_path(self.pause.pid, kind) for kind in self.shared}, unshare=unshare,  # type: ignore[union-attr]
                    rootfs=str(rootfs), root_mode="pivot_root", mount_proc=True, **command)

    def start_container(self, name: str, rootfs: Rootfs | str, argv: list[str] | None = None,
                        probe: str | None = None, probe_args: list | None = None) -> Container:
        """Start a long-running container in the Pod."""
        if name in self.containers and self.containers[name].running():
            raise ValueError(f"container {name!r} is already running in Pod {self.name!r}")
        launched = start(self._spec(rootfs, argv=argv, probe=probe, probe_args=probe_args or []), self._group)
        if probe == "serve":
            launched.wait_ready()
        self.containers[name] = Container(name=name, launched=launched)
        return self.containers[name]

    def run(self, rootfs: Rootfs | str, probe: str = "view", probe_args: list | None = None):
        """Run a short-lived container in the Pod and return what its probe reports."""
        result = run_probe(self._spec(rootfs, probe=probe, probe_args=probe_args or []))
        return View.from_dict(result) if probe == "view" else result

    def kill(self, name: str) -> int:
        """Kill a container's processes (SIGKILL), as a crash would; returns its exit status."""
        container = self.containers[name]
        container.launched.process.kill()
        status = container.launched.process.wait(timeout=10)
        container.launched.close()
        return status
