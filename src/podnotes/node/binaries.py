"""The node's programs: kubelet, kube-scheduler and kube-controller-manager from the pinned Kubernetes
release (built by ``tools/k8s-binaries/build.sh`` next to kube-apiserver), containerd, runc and the CNI
plugins from Debian, and the pause program built from ``tools/node/pause``."""

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
DEBIAN_PROGRAMS = ("containerd", "containerd-shim-runc-v2", "runc", "ctr")
DEBIAN_PACKAGES = "containerd runc containernetworking-plugins busybox-static"
PAUSE_SOURCE = RECIPE.parent / "node" / "pause"


@dataclass(frozen=True)
class NodeBinaries:
    kubelet: Path
    kube_scheduler: Path
    kube_controller_manager: Path
    folder: Path


def find_node_binaries() -> NodeBinaries | None:
    """kubelet, kube-scheduler and kube-controller-manager from ``PODNOTES_K8S_BINARIES`` or the build cache
    (None with ``PODNOTES_PRETEND_NO_KUBERNETES=1``)."""
    if pretending_no_kubernetes():
        return None
    folders = []
    if os.environ.get("PODNOTES_K8S_BINARIES"):
        folders.append(Path(os.environ["PODNOTES_K8S_BINARIES"]))
    if (RECIPE / PIN_FILES[0]).is_file():
        folders.append(pinned_folder())
    for folder in folders:
        paths = [folder / name for name in KUBE_PROGRAMS]
        if all(path.is_file() and os.access(path, os.X_OK) for path in paths):
            kubelet, scheduler, controller_manager = paths
            return NodeBinaries(kubelet, scheduler, controller_manager, folder)
    return None


def missing_prerequisites() -> list[str]:
    """What is missing for a local node, as short phrases; empty when everything is there."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (the kubelet and containerd need it)")
    if find_node_binaries() is None:
        missing.append("kubelet/kube-scheduler/kube-controller-manager (run tools/k8s-binaries/build.sh)")
    absent = [name for name in DEBIAN_PROGRAMS if shutil.which(name) is None]
    if absent:
        missing.append(f"{', '.join(absent)} (apt-get install {DEBIAN_PACKAGES})")
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
