"""A single-node Kubernetes cluster made of real parts, on this machine, without Docker or a registry.

:class:`LocalNode` starts, in this order: etcd and kube-apiserver (:class:`podnotes.cluster.controlplane.
LocalControlPlane`), a private containerd with the locally built images imported, kube-controller-manager,
kube-scheduler and a kubelet registered as one node. Pods get addresses on the node's own bridge, so the
kubelet's HTTP and TCP probes reach them; nothing listens beyond loopback and that bridge.

``stop()`` deletes every Pod, stops every program, then removes what they left on the host (mounts,
cgroups, network namespaces, veths, the bridge, the kubelet's sysctls and fixed paths) and returns the
list of anything that could not be removed: :func:`podnotes.node.host.leftovers` is the proof.

The work folder holds an owner record (:mod:`podnotes.node.owner`) from the first moment, so when the
Python process is killed before ``stop()`` runs, ``podnotes cleanup`` and the next ``start()`` (once it
holds the host lock) find and remove what the node left (:mod:`podnotes.node.leftovers`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import images
from ..cluster.controlplane import LocalControlPlane, free_port, wait_until_ready
from . import host, owner
from .binaries import NodeBinaries, find_node_binaries, missing_prerequisites, pause_binary
from .credentials import issue_client_certificate, write_kubeconfig
from .runtime import ContainerdLayout, PodNetwork, force_remove_everything, running_tasks, write_containerd_files

NODE_NAME = "podnotes-node"
# The kubelet runs with this PATH: without /usr/sbin it finds no iptables and leaves the host firewall alone.
KUBELET_PATH = "/usr/bin:/bin"
READY_TIMEOUT = 120.0
# One local node per host at a time: nodes share the bridge name, the kubelet's fixed paths and the sysctls
# whose original values stop() restores. A second start waits for the first node to stop.
HOST_LOCK = Path("/run/lock/podnotes-node.lock")
LOCK_TIMEOUT = 1200.0
# kube-controller-manager's --node-monitor-grace-period on this node: 20 s instead of the default 50 s
# (RecommendedDefaultNodeLifecycleControllerConfiguration, pkg/controller/nodelifecycle/config/v1alpha1), so
# the node-loss chapter's scene sees the node go NotReady within its time budget. Still twice the kubelet's
# lease renewal interval (10 s: a quarter of nodeLeaseDurationSeconds 40), so a busy node is not taken for lost.
NODE_MONITOR_GRACE_PERIOD = 20


class NodeError(RuntimeError):
    """The node could not start; the message names the component and ends with its log."""


@dataclass
class Phase:
    name: str
    seconds: float


@dataclass
class NodeProcess:
    label: str
    process: subprocess.Popen
    log: Path


@dataclass
class LocalNode:
    """etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd and a kubelet."""

    name: str = "podnotes"
    network: PodNetwork = field(default_factory=PodNetwork.from_environment)
    binaries: NodeBinaries | None = None
    node_name: str = NODE_NAME

    def __post_init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=owner.WORKDIR_PREFIX))
        # Searchable, not listable, by others (mkdtemp makes it 0700), as containerd makes its own root and state
        # 0711: runc sets up a hostUsers: false container's root file system from inside its user namespace, as
        # the Pod's unprivileged host uid, which must be able to reach it. Keys and kubeconfigs in here are 0600.
        self.workdir.chmod(0o711)
        # First of all, who runs this node: a later run tells this node's leftovers from a live node's by it.
        owner.write_owner(self.workdir, owner.this_process(self.network.bridge, self.network.subnet))
        self.cgroup_name = self.workdir.name
        self.binaries = self.binaries or find_node_binaries()
        # Without binaries start() refuses before containerd is needed; the folder then names what is missing.
        programs = self.binaries.folder if self.binaries else self.workdir / "no-runtime-binaries"
        self.containerd = ContainerdLayout(self.workdir / "containerd", programs)
        self.phases: list[Phase] = []
        self.processes: list[NodeProcess] = []
        self.control_plane: LocalControlPlane | None = None
        self.snapshot: host.HostSnapshot | None = None
        self.veths: set[str] = set()
        self.bridge_created = False
        self.stopped = False
        self._lock_file = None
        self.notes: list[str] = []  # things worth knowing about a run that are not failures

    # --- public ---------------------------------------------------------------------------------------------
    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def kubeconfig(self) -> Path:
        assert self.control_plane is not None
        return self.control_plane.kubeconfig

    @property
    def context(self) -> str:
        return f"kind-{self.name}"

    @property
    def start_seconds(self) -> float:
        return sum(phase.seconds for phase in self.phases)

    def environment(self) -> dict[str, str]:
        assert self.control_plane is not None
        return self.control_plane.environment()

    def start(self, timeout: float = READY_TIMEOUT) -> LocalNode:
        missing = missing_prerequisites()
        if missing:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise NodeError("cannot start a local node, missing: " + "; ".join(missing))
        assert self.binaries is not None
        try:
            self._phase("waiting for other local nodes to stop", self._lock_host)
            self._phase("removing what killed nodes left", self._remove_dead_nodes)
            self.snapshot = host.HostSnapshot.take()
            self._phase("control plane (etcd, kube-apiserver)", self._start_control_plane)
            self._phase("containerd", self._start_containerd)
            self._phase("images (build + import)", self._import_images)
            self._phase("controller-manager, scheduler", self._start_controllers)
            self._phase("kubelet until node Ready", lambda: self._start_kubelet(timeout))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> list[str]:
        """Stop everything and clean the host; returns what is left (empty when the host is clean)."""
        if self.stopped:
            return host.leftovers(self.snapshot, workdir=self.workdir, cgroup_name=self.cgroup_name,
                                  bridge=self.network.bridge, veths=self.veths) if self.snapshot else []
        self.stopped = True
        self.veths |= set(host.bridge_ports(self.network.bridge))
        problems: list[str] = []

        def attempt(what: str, action) -> None:
            # Every step runs even when an earlier one failed: a half-stopped node must still be cleaned.
            try:
                action()
            except Exception as err:  # noqa: BLE001 - reported, and the next step still runs
                problems.append(f"{what}: {err}")

        if self._alive("kubelet"):
            attempt("deleting every Pod", self._delete_all_pods)
        for label in ("kubelet", "kube-scheduler", "kube-controller-manager"):
            attempt(f"stopping {label}", lambda label=label: self._stop_process(label))
        # Whatever the kubelet did not stop: SIGKILL the containers' processes, then let containerd forget them.
        attempt("killing container processes",
                lambda: host.kill_processes(host.processes_in_cgroup("/" + self.cgroup_name), grace=0))
        if self._alive("containerd"):
            attempt("removing containers", lambda: force_remove_everything(self.containerd))
        attempt("stopping containerd", lambda: self._stop_process("containerd"))
        attempt("killing leftover processes", lambda: host.kill_processes(
            [pid for pid, _ in host.processes_mentioning(str(self.workdir))]
            + host.processes_in_cgroup("/" + self.cgroup_name)))
        attempt("unmounting", lambda: problems.extend(host.unmount_under(str(self.workdir))))
        attempt("removing cgroups", lambda: problems.extend(host.remove_cgroups(self.cgroup_name)))
        if self.bridge_created:  # never another node's bridge of the same name
            attempt("deleting the bridge", lambda: host.delete_link(self.network.bridge))
        if self.control_plane is not None:
            attempt("stopping the control plane", self.control_plane.stop)
        if self.snapshot is not None:
            attempt("restoring sysctls", lambda: host.restore_sysctls(self.snapshot))
            attempt("restoring host paths", lambda: host.restore_paths(self.snapshot))
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.snapshot is not None:
            problems += host.leftovers(self.snapshot, workdir=self.workdir, cgroup_name=self.cgroup_name,
                                       bridge=self.network.bridge, veths=self.veths)
        self._unlock_host()
        return problems

    def _lock_host(self, timeout: float = LOCK_TIMEOUT) -> None:
        import fcntl

        HOST_LOCK.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(HOST_LOCK, "a")  # type: ignore[assignment]  # noqa: SIM115 - kept open while the process runs
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NodeError(f"another local node has held {HOST_LOCK} for {timeout:.0f} s; "
                                    "stop it (its tests or `python -m podnotes.node`) first") from None
                time.sleep(1.0)

    def _remove_dead_nodes(self) -> None:
        """Holding the host lock, no other node is starting or running here: what a node whose owner is gone
        left (its shims, containers, mounts, cgroups, veths, bridge, folder) is removed, and said in one line."""
        from .leftovers import remove_dead_nodes

        line = remove_dead_nodes(starting=self.workdir)
        if line:
            self.notes.append(line)
            print(f"podnotes: {line}", file=sys.stderr)

    def _unlock_host(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the flock
            self._lock_file = None

    def api_client(self):
        """A private kubernetes ApiClient for this node's cluster (admin credentials)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig), context=self.context)

    def log_tail(self, label: str, lines: int = 30) -> str:
        path = self.workdir / f"{label}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # --- phases -----------------------------------------------------------------------------------------------
    def _phase(self, name: str, action) -> None:
        started = time.perf_counter()
        action()
        self.phases.append(Phase(name, time.perf_counter() - started))

    def _start_control_plane(self) -> None:
        self.control_plane = LocalControlPlane(self.name, workdir=self.workdir / "control-plane")
        self.control_plane.start()
        self.pki = self.control_plane.workdir / "pki"

    def _start_containerd(self) -> None:
        assert self.binaries is not None
        self.network.create_bridge()
        self.bridge_created = True
        write_containerd_files(self.containerd, self.network)
        process = self._spawn("containerd", [str(self.binaries.containerd), "--config", str(self.containerd.config)],
                              env=self.containerd.environment())
        self._wait("containerd", process, lambda: self.containerd.socket.exists() and _ctr_answers(self.containerd),
                   deadline=time.monotonic() + 30)

    def _import_images(self) -> None:
        pause = pause_binary()
        for spec in images.standard_images(pause):
            archive = self.workdir / "images" / (spec.names[0].rsplit("/", 1)[-1].replace(":", "_") + ".tar")
            images.write_archive(spec, archive)
            images.import_archive(archive, str(self.containerd.socket), ctr=str(self.containerd.ctr_program))

    def _start_controllers(self) -> None:
        assert self.control_plane is not None and self.binaries is not None
        server = self.control_plane.server
        for label, binary, user in (
                ("kube-controller-manager", self.binaries.kube_controller_manager, "system:kube-controller-manager"),
                ("kube-scheduler", self.binaries.kube_scheduler, "system:kube-scheduler")):
            # Both run as members of system:masters: this node tests the kubelet, not controller RBAC.
            cert, key = issue_client_certificate(self.pki, label, user, "system:masters")
            kubeconfig = write_kubeconfig(self.workdir / f"{label}.kubeconfig", server, self.pki / "ca.crt",
                                          cert, key, user)
            argv = [str(binary), f"--kubeconfig={kubeconfig}", "--leader-elect=false",
                    "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
                    f"--cert-dir={self.workdir / label}"]
            if label == "kube-controller-manager":
                argv += [f"--root-ca-file={self.pki / 'ca.crt'}",
                         f"--service-account-private-key-file={self.pki / 'sa.key'}",
                         "--use-service-account-credentials=false",
                         f"--node-monitor-grace-period={NODE_MONITOR_GRACE_PERIOD}s"]
            self._spawn(label, argv)

    def _start_kubelet(self, timeout: float) -> None:
        assert self.control_plane is not None and self.binaries is not None
        self._bind_node_role()
        cert, key = issue_client_certificate(self.pki, "kubelet", f"system:node:{self.node_name}", "system:nodes")
        kubeconfig = write_kubeconfig(self.workdir / "kubelet.kubeconfig", self.control_plane.server,
                                      self.pki / "ca.crt", cert, key, f"system:node:{self.node_name}")
        self._create_cgroup_root()
        config = self.workdir / "kubelet-config.yaml"
        config.write_text(yaml.safe_dump(self._kubelet_config()))
        process = self._spawn("kubelet", [
            str(self.binaries.kubelet), f"--config={config}", f"--kubeconfig={kubeconfig}",
            f"--root-dir={self.workdir / 'kubelet'}", f"--cert-dir={self.workdir / 'kubelet-pki'}",
            f"--hostname-override={self.node_name}",
            f"--node-ip={self.network.gateway}", "--v=2",
        ], env={**os.environ, "PATH": KUBELET_PATH})
        self._wait("kubelet", process, self._node_ready, deadline=time.monotonic() + timeout, interval=0.5)

    def _kubelet_config(self) -> dict:
        return {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": self.network.gateway,
            "port": free_port(),
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": free_port(),
            "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": False},
                               "x509": {"clientCAFile": str(self.pki / "ca.crt")}},
            "authorization": {"mode": "AlwaysAllow"},
            "cgroupDriver": "cgroupfs",
            "cgroupRoot": "/" + self.cgroup_name,
            "cgroupsPerQOS": True,
            "failCgroupV1": False,  # this host runs cgroup v1; 1.35+ refuse it unless told otherwise
            "failSwapOn": False,
            "containerRuntimeEndpoint": self.containerd.endpoint,
            "podLogsDir": str(self.workdir / "pod-logs"),
            "resolvConf": "",
            "registerNode": True,
            "serializeImagePulls": False,
            "imageGCHighThresholdPercent": 100,  # the imported images must never be collected: none can be pulled
            "imageGCLowThresholdPercent": 99,
            "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "nodefs.inodesFree": "1%",
                             "imagefs.available": "1%"},
            "protectKernelDefaults": False,
            "shutdownGracePeriod": "0s",
        }

    def _bind_node_role(self) -> None:
        """The API server authorizes with RBAC only, so give the group system:nodes the bootstrap node role."""
        from kubernetes import client  # the typed models of the request body

        from ..cluster import api

        rbac = api.rbac_v1(self.api_client())
        rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name="podnotes:nodes"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="system:node"),
            subjects=[client.RbacV1Subject(kind="Group", name="system:nodes", api_group="rbac.authorization.k8s.io")]))

    def _create_cgroup_root(self) -> None:
        """The kubelet's --cgroup-root must exist in every hierarchy; cpuset needs its CPUs and memory nodes."""
        for hierarchy in host.CGROUP_ROOT.iterdir():
            if not hierarchy.is_dir() or not (hierarchy / "cgroup.procs").exists():
                continue
            child = hierarchy / self.cgroup_name
            child.mkdir(exist_ok=True)
            for name in ("cpuset.cpus", "cpuset.mems"):
                if (hierarchy / name).exists() and not (hierarchy / "cgroup.controllers").exists():
                    (child / name).write_text((hierarchy / name).read_text())

    def _node_ready(self) -> bool:
        from ..cluster import api

        if not hasattr(self, "_core"):
            self._core = api.core_v1(self.api_client())
        try:
            node = self._core.read_node(self.node_name)
        except Exception as err:
            if api.is_api_error(err):
                return False
            raise
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        blocking = [t for t in node.spec.taints or [] if t.effect in ("NoSchedule", "NoExecute")]
        return ready and not blocking

    def _delete_all_pods(self, timeout: float = 30.0) -> None:
        """Delete every Pod and give the kubelet ``timeout`` seconds to stop their containers; what it has not
        stopped by then is noted in ``self.notes`` and killed by :meth:`stop` itself."""
        from ..cluster import api

        core = api.core_v1(self.api_client())
        for pod in core.list_pod_for_all_namespaces().items:
            core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not running_tasks(self.containerd):
                return
            time.sleep(0.5)
        self.notes.append(f"the kubelet had not stopped {len(running_tasks(self.containerd))} container(s) "
                          f"{timeout:.0f} s after their Pods were deleted; they were killed directly")

    # --- processes ----------------------------------------------------------------------------------------------
    def _spawn(self, label: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log_path = self.workdir / f"{label}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       cwd=self.workdir, env=env, start_new_session=True,
                                       preexec_fn=_stop_with_parent)
        self.processes.append(NodeProcess(label, process, log_path))
        return process

    def _find(self, label: str) -> NodeProcess | None:
        return next((p for p in self.processes if p.label == label), None)

    def _alive(self, label: str) -> bool:
        found = self._find(label)
        return found is not None and found.process.poll() is None

    def _stop_process(self, label: str, grace: float = 15.0) -> None:
        found = self._find(label)
        if found is None or found.process.poll() is not None:
            return
        found.process.send_signal(signal.SIGTERM)
        found.process.send_signal(signal.SIGCONT)  # a process stopped with SIGSTOP acts on SIGTERM only once continued
        try:
            found.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            found.process.kill()
            found.process.wait(timeout=grace)

    def _wait(self, label: str, process: subprocess.Popen, ready, deadline: float, interval: float = 0.1) -> None:
        wait_until_ready(label, process, ready, deadline, self.log_tail, NodeError, interval)


def _stop_with_parent() -> None:
    """In the child: get SIGTERM if the Python process dies without stopping the node (PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _ctr_answers(layout: ContainerdLayout) -> bool:
    result = subprocess.run([str(layout.ctr_program), "--address", str(layout.socket), "version"],
                            capture_output=True, timeout=10)
    return result.returncode == 0
