"""Finding kube-apiserver and etcd: project cache, envtest folders, PATH."""

from __future__ import annotations

import hashlib
import stat

import pytest

from podnotes.cluster import binaries


def make_pair(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in binaries.PROGRAMS:
        path = folder / name
        path.write_text("#!/bin/sh\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for variable in ("PODNOTES_K8S_BINARIES", "KUBEBUILDER_ASSETS", "TEST_ASSET_KUBE_APISERVER", "TEST_ASSET_ETCD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PODNOTES_K8S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    return monkeypatch


def test_nothing_found_gives_none_and_a_reason(clean_env):
    assert binaries.find_binaries() is None
    assert "tools/k8s-binaries/build.sh" in binaries.missing_binaries_reason()


def test_kubebuilder_assets_are_used(clean_env, tmp_path):
    clean_env.setenv("KUBEBUILDER_ASSETS", str(make_pair(tmp_path / "envtest")))
    found = binaries.find_binaries()
    assert found.source == "KUBEBUILDER_ASSETS" and found.etcd == tmp_path / "envtest" / "etcd"


def test_the_explicit_folder_wins(clean_env, tmp_path):
    clean_env.setenv("KUBEBUILDER_ASSETS", str(make_pair(tmp_path / "envtest")))
    clean_env.setenv("PODNOTES_K8S_BINARIES", str(make_pair(tmp_path / "mine")))
    assert binaries.find_binaries().source == "PODNOTES_K8S_BINARIES"


def test_an_incomplete_build_is_not_used(clean_env):
    folder = make_pair(binaries.pinned_folder())
    assert binaries.find_binaries() is None, "no .complete marker yet"
    (folder / ".complete").touch()
    assert binaries.find_binaries().source == "tools/k8s-binaries/build.sh cache"


def test_the_cache_folder_names_the_pins_and_their_digest(clean_env):
    kube, etcd = binaries.pinned_versions()
    assert kube.startswith("v1.") and etcd.startswith("v3.")
    digest = hashlib.sha256(b"".join((binaries.RECIPE / name).read_bytes() for name in binaries.PIN_FILES))
    assert binaries.pinned_folder().name == f"k8s-{kube}-etcd-{etcd}-{digest.hexdigest()[:10]}"
    build_script = (binaries.RECIPE / "build.sh").read_text()
    assert " ".join(f'"$here"/{name}' for name in binaries.PIN_FILES) in build_script, \
        "build.sh must hash the same files in the same order"


def test_a_build_of_the_same_versions_is_used_while_the_pins_change(clean_env):
    kube, etcd = binaries.pinned_versions()
    older = make_pair(binaries.cache_root() / f"k8s-{kube}-etcd-{etcd}-0123456789")
    (older / ".complete").touch()
    other_version = make_pair(binaries.cache_root() / f"k8s-v1.0.0-etcd-{etcd}-0123456789")
    (other_version / ".complete").touch()
    found = binaries.find_binaries()
    assert found.kube_apiserver.parent == older and found.source.endswith("same versions")
