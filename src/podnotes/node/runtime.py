"""containerd for one local node: a private root, state folder and socket, CRI on, cgroupfs, CNI bridge.

The runtime is containerd 2 (``containerd``, ``containerd-shim-runc-v2``, ``ctr``) and runc as
``tools/k8s-binaries/build.sh`` builds them into one folder: containerd runs with that folder first on its PATH,
so it starts that shim, and the shim runs that runc (``BinaryName``), never a copy the host may have installed.
The configuration is version 4, the newest containerd 2.4 reads (``version.ConfigVersion``; a version 3 file
is migrated at every start, with a warning): the gRPC and ttrpc servers are the plugins
``io.containerd.server.v1.grpc`` and ``io.containerd.server.v1.ttrpc`` (``cmd/containerd/server/config/config.go``,
``serviceMigrate``), and the CRI plugin is split, since version 3, into ``io.containerd.cri.v1.images``,
``io.containerd.cri.v1.runtime`` and ``io.containerd.grpc.v1.cri`` for the CRI server and its streaming server
(``internal/cri/config/config.go``). containerd reads only the drop-in files a loaded file
``imports`` (``LoadConfigWithPlugins``), and this one imports none, so the host's ``/etc/containerd/conf.d``
never reaches it.

Nothing is shared with a containerd the machine may already run: every path in the configuration lies under
the node's work folder, the network namespaces are mounted under the state folder, and the CNI bridge and
its address range are the node's own. The sandbox (pause) image is the locally built ``registry.k8s.io/pause``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..images import PAUSE_NAMES

CNI_BIN_DIRS = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
# Plugins the node does not use, and the ones that would reach outside the work folder: NRI listens on
# /var/run/nri/nri.sock and the image verifier reads /opt/containerd/image-verifier/bin by default.
UNUSED_PLUGINS = (
    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.erofs",
    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
    "io.containerd.nri.v1.nri", "io.containerd.image-verifier.v1.bindir",
)


@dataclass(frozen=True)
class PodNetwork:
    """The bridge Pods plug into, and the range host-local hands addresses out of."""

    bridge: str = "pnnode0"
    subnet: str = "10.217.0.0/24"

    @property
    def gateway(self) -> str:
        """The bridge's own address: the node's IP, and where probes come from."""
        return str(next(ipaddress.ip_network(self.subnet).hosts()))

    @property
    def prefix_length(self) -> int:
        return ipaddress.ip_network(self.subnet).prefixlen

    @classmethod
    def from_environment(cls) -> PodNetwork:
        """The defaults, or ``PODNOTES_NODE_BRIDGE`` / ``PODNOTES_NODE_SUBNET`` where the host already uses them."""
        return cls(bridge=os.environ.get("PODNOTES_NODE_BRIDGE", cls.bridge),
                   subnet=os.environ.get("PODNOTES_NODE_SUBNET", cls.subnet))

    def cni_config(self, ipam_dir: Path) -> dict:
        return {
            "cniVersion": "0.4.0",
            "name": "podnotes-node",
            "plugins": [{
                "type": "bridge",
                "bridge": self.bridge,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": self.subnet, "gateway": self.gateway}]],
                         "dataDir": str(ipam_dir)},
            }],
        }

    def create_bridge(self) -> None:
        """Create the bridge with the gateway address now, so the kubelet has a node IP before any Pod exists."""
        if Path(f"/sys/class/net/{self.bridge}").exists():
            raise RuntimeError(f"network interface {self.bridge} already exists: another local node is running, "
                               f"or one crashed (remove it with `ip link delete {self.bridge}`)")
        commands = [["ip", "link", "add", self.bridge, "type", "bridge"],
                    ["ip", "addr", "add", f"{self.gateway}/{self.prefix_length}", "dev", self.bridge],
                    ["ip", "link", "set", self.bridge, "up"]]
        for command in commands:
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def cni_bin_dir() -> Path:
    for folder in CNI_BIN_DIRS:
        if (folder / "bridge").is_file() and (folder / "host-local").is_file():
            return folder
    raise FileNotFoundError("no CNI plugins (bridge, host-local): install Debian's containernetworking-plugins")


@dataclass(frozen=True)
class ContainerdLayout:
    """Where one private containerd keeps everything, and the folder its programs come from (containerd,
    containerd-shim-runc-v2, ctr, runc: :data:`podnotes.node.binaries.RUNTIME_PROGRAMS`)."""

    folder: Path
    programs: Path

    @property
    def ctr_program(self) -> Path:
        return self.programs / "ctr"

    def environment(self) -> dict[str, str]:
        """containerd's environment: its own folder first on PATH, so it starts the shim built with it."""
        return {**os.environ, "PATH": f"{self.programs}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

    @property
    def socket(self) -> Path:
        return self.folder / "containerd.sock"

    @property
    def config(self) -> Path:
        return self.folder / "config.toml"

    @property
    def cni_conf_dir(self) -> Path:
        return self.folder / "net.d"

    @property
    def ipam_dir(self) -> Path:
        return self.folder / "ipam"

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"


def containerd_config(layout: ContainerdLayout, cni_bin: Path, sandbox_image: str = PAUSE_NAMES[0]) -> str:
    """containerd 2 configuration (version 4) with every path inside ``layout.folder``."""
    folder = layout.folder
    unused = ", ".join(json.dumps(name) for name in UNUSED_PLUGINS)
    runtime = "[plugins.'io.containerd.cri.v1.runtime'"
    return f"""version = 4
root = "{folder / 'root'}"
state = "{folder / 'state'}"
imports = []
disabled_plugins = [{unused}]

[plugins.'io.containerd.server.v1.grpc']
  address = "{layout.socket}"

[plugins.'io.containerd.server.v1.ttrpc']
  address = "{layout.socket}.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "{folder / 'opt'}"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "{sandbox_image}"

{runtime}]
  cdi_spec_dirs = []
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  # Pod sandboxes ask for oom_score_adj -998, which needs CAP_SYS_RESOURCE; sandboxed build machines often
  # drop it, so never go below containerd's own score (what rootless setups do).
  restrict_oom_score_adj = true

{runtime}.containerd]
  default_runtime_name = "runc"

{runtime}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

{runtime}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "{layout.programs / 'runc'}"

{runtime}.cni]
  bin_dirs = ["{cni_bin}"]
  conf_dir = "{layout.cni_conf_dir}"
"""


def write_containerd_files(layout: ContainerdLayout, network: PodNetwork) -> None:
    layout.folder.mkdir(parents=True, exist_ok=True)
    layout.cni_conf_dir.mkdir(exist_ok=True)
    layout.ipam_dir.mkdir(exist_ok=True)
    layout.config.write_text(containerd_config(layout, cni_bin_dir()))
    (layout.cni_conf_dir / "10-podnotes.conflist").write_text(
        json.dumps(network.cni_config(layout.ipam_dir), indent=2))


def ctr(layout: ContainerdLayout, *args: str, check: bool = True) -> str:
    """Run ``ctr`` against this containerd (namespace k8s.io); raises on failure or after 20 s."""
    result = subprocess.run([str(layout.ctr_program), "--address", str(layout.socket), "-n", "k8s.io", *args],
                            capture_output=True, text=True, timeout=20)
    if check and result.returncode != 0:
        raise RuntimeError(f"ctr {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def running_tasks(layout: ContainerdLayout) -> list[str]:
    """IDs of the tasks (running container processes) containerd knows in the k8s.io namespace."""
    output = ctr(layout, "tasks", "list", check=False)
    return [line.split()[0] for line in output.splitlines()[1:] if line.strip()]


def force_remove_everything(layout: ContainerdLayout) -> None:
    """Kill and delete every task and container: the last resort when the kubelet did not stop its Pods."""
    for task in running_tasks(layout):
        ctr(layout, "tasks", "kill", "--signal", "SIGKILL", task, check=False)
    for task in running_tasks(layout):
        ctr(layout, "tasks", "delete", "--force", task, check=False)
    for line in ctr(layout, "containers", "list", "-q", check=False).splitlines():
        if line.strip():
            ctr(layout, "containers", "delete", line.strip(), check=False)
