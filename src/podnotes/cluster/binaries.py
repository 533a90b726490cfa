"""Where the control-plane programs (kube-apiserver, etcd) and the clients (kubectl, crictl) come from.

The project builds them from the Go module proxy with
``tools/k8s-binaries/build.sh`` into a folder outside the repository, named
after the pinned versions and a digest of the pinning files. Contributors
who already have binaries (controller-runtime's ``setup-envtest``, a
``KUBEBUILDER_ASSETS`` folder, or programs on ``PATH``) can use those instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import TypeIs

PROGRAMS = ("kube-apiserver", "etcd")
# Set to 1 to build the book as a machine without the Kubernetes binaries would (tests of the fallbacks).
PRETEND_ENV = "PODNOTES_PRETEND_NO_KUBERNETES"
REPO_ROOT = Path(__file__).resolve().parents[3]
RECIPE = REPO_ROOT / "tools" / "k8s-binaries"
# The files whose content decides the build; build.sh hashes the same files in the same order.
PIN_FILES = ("kubernetes/go.mod", "kubernetes/go.sum", "etcd/go.mod", "etcd/go.sum", "cri-tools/go.mod",
             "cri-tools/go.sum", "containerd/go.mod", "containerd/go.sum", "runc/go.mod", "runc/go.sum")
# Clients built next to the control plane: kubectl from k8s.io/kubernetes, crictl from sigs.k8s.io/cri-tools.
CLIENT_PROGRAMS = ("kubectl", "crictl")


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path
    source: str  # which lookup rule found them, for messages

    def __str__(self) -> str:
        return f"kube-apiserver {self.kube_apiserver}, etcd {self.etcd} (from {self.source})"


def cache_root() -> Path:
    configured = os.environ.get("PODNOTES_K8S_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "podnotes"


def pinned_versions(recipe: Path = RECIPE) -> tuple[str, str]:
    """(Kubernetes version, etcd version) as the Go modules pin them."""
    kube = _required_version(recipe / "kubernetes" / "go.mod", "k8s.io/kubernetes")
    etcd = _required_version(recipe / "etcd" / "go.mod", "go.etcd.io/etcd/server/v3")
    return kube, etcd


def _required_version(gomod: Path, module: str) -> str:
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", gomod.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{gomod}: does not require {module}")
    return match.group(1)


def pinned_folder(recipe: Path = RECIPE) -> Path:
    """The cache folder build.sh writes for the current pins."""
    kube, etcd = pinned_versions(recipe)
    digest = hashlib.sha256(b"".join((recipe / name).read_bytes() for name in PIN_FILES)).hexdigest()[:10]
    return cache_root() / f"k8s-{kube}-etcd-{etcd}-{digest}"


def _from_folder(folder: Path | None, source: str) -> Binaries | None:
    if folder is None:
        return None
    apiserver, etcd = folder / "kube-apiserver", folder / "etcd"
    if _executable(apiserver) and _executable(etcd):
        return Binaries(apiserver, etcd, source)
    return None


def _executable(path: Path | None) -> TypeIs[Path]:
    return path is not None and path.is_file() and os.access(path, os.X_OK)


def find_binaries() -> Binaries | None:
    """The first complete pair, in this order: ``PODNOTES_K8S_BINARIES``,
    ``TEST_ASSET_KUBE_APISERVER`` + ``TEST_ASSET_ETCD``, ``KUBEBUILDER_ASSETS``,
    the project's build cache for the current pins, then ``PATH``. None when there is none, or when
    ``PODNOTES_PRETEND_NO_KUBERNETES=1``."""
    env = os.environ
    if pretending_no_kubernetes():
        return None
    found = _from_folder(_path_or_none(env.get("PODNOTES_K8S_BINARIES")), "PODNOTES_K8S_BINARIES")
    if found:
        return found
    apiserver, etcd = _path_or_none(env.get("TEST_ASSET_KUBE_APISERVER")), _path_or_none(env.get("TEST_ASSET_ETCD"))
    if _executable(apiserver) and _executable(etcd):
        return Binaries(apiserver, etcd, "TEST_ASSET_* variables")
    found = _from_folder(_path_or_none(env.get("KUBEBUILDER_ASSETS")), "KUBEBUILDER_ASSETS")
    if found:
        return found
    if (RECIPE / PIN_FILES[0]).is_file():
        found = _from_build_cache()
        if found:
            return found
    apiserver_path, etcd_path = (shutil.which(name) for name in PROGRAMS)
    if apiserver_path and etcd_path:
        return Binaries(Path(apiserver_path), Path(etcd_path), "PATH")
    return None


def pretending_no_kubernetes() -> bool:
    return os.environ.get(PRETEND_ENV, "").lower() in ("1", "true", "yes")


def _from_build_cache() -> Binaries | None:
    """The folder for the current pins; else a complete folder built for the same Kubernetes and etcd
    versions with other pin files (e.g. before a command was added to go.mod): its two programs are the same."""
    folder = pinned_folder()
    if (folder / ".complete").is_file():
        found = _from_folder(folder, "tools/k8s-binaries/build.sh cache")
        if found:
            return found
    kube, etcd = pinned_versions()
    same_versions = sorted(cache_root().glob(f"k8s-{kube}-etcd-{etcd}-*"), key=lambda p: p.stat().st_mtime,
                           reverse=True)
    for other in same_versions:
        if (other / ".complete").is_file():
            found = _from_folder(other, "tools/k8s-binaries/build.sh cache, same versions")
            if found:
                return found
    return None


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def find_client(name: str) -> Path | None:
    """The pinned ``kubectl`` or ``crictl`` (a name from ``CLIENT_PROGRAMS``): from the folder
    ``PODNOTES_K8S_BINARIES`` names, else from the build cache for the current pins (complete builds only).
    Never from ``PATH``: the book shows the pinned release's output, not whichever client a machine has.
    None when neither holds it, or with ``PODNOTES_PRETEND_NO_KUBERNETES=1``. Raises ValueError for another
    name."""
    if name not in CLIENT_PROGRAMS:
        raise ValueError(f"{name!r} is not one of the clients build.sh builds: {', '.join(CLIENT_PROGRAMS)}")
    if pretending_no_kubernetes():
        return None
    folders = []
    explicit = _path_or_none(os.environ.get("PODNOTES_K8S_BINARIES"))
    if explicit is not None:
        folders.append(explicit)
    if (RECIPE / PIN_FILES[0]).is_file() and (pinned_folder() / ".complete").is_file():
        folders.append(pinned_folder())
    for folder in folders:
        if _executable(folder / name):
            return folder / name
    return None


def missing_client_reason(name: str) -> str:
    """One line saying that the pinned client ``name`` is missing, and what to run."""
    return f"no pinned {name}: run tools/k8s-binaries/build.sh (needs Go >= 1.26 and the Go module proxy)"


def missing_binaries_reason() -> str:
    """One line saying why no control plane can start, and what to run."""
    return ("no kube-apiserver/etcd binaries: run tools/k8s-binaries/build.sh (needs Go >= 1.26 and the Go module "
            "proxy) or set KUBEBUILDER_ASSETS to a setup-envtest folder")
