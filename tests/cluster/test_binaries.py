"""Finding kube-apiserver and etcd (project cache, envtest folders, PATH) and the pinned kubectl and crictl."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess

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


def make_client(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("name", binaries.CLIENT_PROGRAMS)
def test_a_client_comes_from_the_explicit_folder_first(clean_env, tmp_path, name):
    cached = make_client(binaries.pinned_folder(), name)
    (cached.parent / ".complete").touch()
    mine = make_client(tmp_path / "mine", name)
    clean_env.setenv("PODNOTES_K8S_BINARIES", str(mine.parent))
    assert binaries.find_client(name) == mine
    clean_env.delenv("PODNOTES_K8S_BINARIES")
    assert binaries.find_client(name) == cached


@pytest.mark.parametrize("name", binaries.CLIENT_PROGRAMS)
def test_a_client_is_never_taken_from_path_or_an_incomplete_build(clean_env, tmp_path, name):
    make_client(tmp_path / "empty-path", name)
    make_client(binaries.pinned_folder(), name)
    assert binaries.find_client(name) is None, "no .complete marker, and PATH is not a pinned source"
    assert "tools/k8s-binaries/build.sh" in binaries.missing_client_reason(name)


def test_pretending_no_kubernetes_hides_the_clients(clean_env, tmp_path):
    clean_env.setenv("PODNOTES_K8S_BINARIES", str(make_client(tmp_path / "mine", "kubectl").parent))
    clean_env.setenv(binaries.PRETEND_ENV, "1")
    assert binaries.find_client("kubectl") is None


def test_only_the_built_clients_are_looked_up(clean_env):
    with pytest.raises(ValueError, match="kubectl, crictl"):
        binaries.find_client("kubeadm")


def _gomod_tools(gomod):
    text = gomod.read_text()
    block = re.search(r"^tool \(\n(.*?)^\)", text, re.MULTILINE | re.DOTALL)
    lines = block.group(1).split() if block else re.findall(r"^tool (\S+)", text, re.MULTILINE)
    assert lines, f"{gomod} lists no tool"
    return set(lines)


def test_the_pins_build_kubectl_and_crictl_of_the_same_minor_release():
    """kubectl from k8s.io/kubernetes (a tool line of kubernetes/go.mod, as pin.sh writes it); crictl from the
    cri-tools release of the same minor, as cri-tools' README pairs its releases with Kubernetes'."""
    kube_tools = _gomod_tools(binaries.RECIPE / "kubernetes" / "go.mod")
    assert "k8s.io/kubernetes/cmd/kubectl" in kube_tools
    pin_script = (binaries.RECIPE / "pin.sh").read_text()
    assert all(tool in pin_script for tool in kube_tools), "pin.sh's KUBE_COMMANDS must list every tool"
    assert _gomod_tools(binaries.RECIPE / "cri-tools" / "go.mod") == {"sigs.k8s.io/cri-tools/cmd/crictl"}
    kube, _ = binaries.pinned_versions()
    cri_tools = binaries._required_version(binaries.RECIPE / "cri-tools" / "go.mod", "sigs.k8s.io/cri-tools")
    assert cri_tools.split(".")[:2] == kube.split(".")[:2], (kube, cri_tools)


@pytest.mark.parametrize(("name", "arguments", "module"), [
    ("kubectl", ["version", "--client"], "k8s.io/kubernetes"),
    ("crictl", ["--version"], "sigs.k8s.io/cri-tools"),
])
def test_the_built_clients_report_the_pinned_versions(name, arguments, module):
    """The real programs build.sh wrote, stamped with the pinned release (hack/lib/version.sh for kubectl,
    cri-tools' Makefile for crictl)."""
    program = binaries.find_client(name)
    if program is None:
        reason = binaries.missing_client_reason(name)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    gomod = binaries.RECIPE / ("kubernetes" if name == "kubectl" else "cri-tools") / "go.mod"
    version = binaries._required_version(gomod, module)
    output = subprocess.run([str(program), *arguments], capture_output=True, text=True, timeout=30).stdout
    assert version.lstrip("v") in output, output
