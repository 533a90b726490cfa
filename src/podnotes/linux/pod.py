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
        self.shared = list(POD_NAMESPACES) + (["pid"] if share_process_namespace else [])
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
        unshare = ["mnt"] if self.share_process_namespace else ["mnt", "pid"]
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
