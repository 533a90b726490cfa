"""The node's programs: kubelet, kube-scheduler and kube-controller-manager from the pinned Kubernetes
release, and the container runtime (containerd 2 with ``containerd-shim-runc-v2`` and ``ctr``, and runc), all
built by ``tools/k8s-binaries/build.sh`` into one cache folder next to kube-apiserver; the CNI plugins from
Debian, and the pause program built from ``tools/node/pause``.

One runtime, pinned: Debian's containerd 1.6 reports no runtime handler able to run ``hostUsers: false`` Pods
(the kubelet's ``pkg/kubelet/kuberuntime`` asks CRI ``Status`` for each handler's ``user_namespaces``
feature), while containerd 2 answers from ``runc features`` (``internal/cri/server/service.go``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..cluster.binaries import PIN_FILES, RECIPE, cache_root, pinned_folder, pretending_no_kubernetes
from .runtime import cni_bin_dir

KUBE_PROGRAMS = ("kubelet", "kube-scheduler", "kube-controller-manager")
RUNTIME_PROGRAMS = ("containerd", "containerd-shim-runc-v2", "ctr", "runc")
DEBIAN_PACKAGES = "containernetworking-plugins busybox-static"
PAUSE_SOURCE = RECIPE.parent / "node" / "pause"


@dataclass(frozen=True)
class NodeBinaries:
    kubelet: Path
    kube_scheduler: Path
    kube_controller_manager: Path
    folder: Path  # also holds containerd, containerd-shim-runc-v2, ctr and runc (RUNTIME_PROGRAMS)

    @property
    def containerd(self) -> Path:
        return self.folder / "containerd"

    @property
    def ctr(self) -> Path:
        return self.folder / "ctr"

    @property
    def runc(self) -> Path:
        return self.folder / "runc"


def find_node_binaries() -> NodeBinaries | None:
    """kubelet, kube-scheduler, kube-controller-manager and the container runtime from ``PODNOTES_K8S_BINARIES``
    or the build cache (None with ``PODNOTES_PRETEND_NO_KUBERNETES=1``)."""
    if pretending_no_kubernetes():
        return None
    folders = []
    if os.environ.get("PODNOTES_K8S_BINARIES"):
        folders.append(Path(os.environ["PODNOTES_K8S_BINARIES"]))
    if (RECIPE / PIN_FILES[0]).is_file():
        folders.append(pinned_folder())
    for folder in folders:
        paths = [folder / name for name in KUBE_PROGRAMS]
        runtime = [folder / name for name in RUNTIME_PROGRAMS]
        if all(path.is_file() and os.access(path, os.X_OK) for path in paths + runtime):
            kubelet, scheduler, controller_manager = paths
            return NodeBinaries(kubelet, scheduler, controller_manager, folder)
    return None


def missing_prerequisites() -> list[str]:
    """What is missing for a local node, as short phrases; empty when everything is there."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (the kubelet and containerd need it)")
    if find_node_binaries() is None:
        missing.append("kubelet/kube-scheduler/kube-controller-manager/containerd/runc "
                       "(run tools/k8s-binaries/build.sh)")
    try:
        cni_bin_dir()
    except FileNotFoundError:
        missing.append("CNI plugins (apt-get install containernetworking-plugins)")
    if not Path("/bin/busybox").is_file():
        missing.append("/bin/busybox (apt-get install busybox-static)")
    if shutil.which("go") is None:
        missing.append("go (to build the pause program)")
    return missing


def pause_binary() -> Path:
    """Build the pause program once per source version into the cache and return its path."""
    sources = sorted(PAUSE_SOURCE.glob("*.go")) + [PAUSE_SOURCE / "go.mod"]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:10]
    target = cache_root() / f"pause-{digest}" / "pause"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("pause.partial")
    result = subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(partial), "."],
                            cwd=PAUSE_SOURCE, capture_output=True, text=True,
                            env={**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"})
    if result.returncode != 0:
        raise RuntimeError(f"building {PAUSE_SOURCE} failed:\n{result.stderr}")
    partial.replace(target)
    return target
