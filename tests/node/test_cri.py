"""Reading the CRI calls back from containerd's log (podnotes.node.cri), with lines as containerd 1.6.20
(Debian 12) wrote them on the local node (pkg/cri/server/instrumented_service.go)."""

from __future__ import annotations

import pytest

from podnotes.cluster import binaries
from podnotes.node import cri

SANDBOX = "2a77f5d5bf0ddeaea83e24bdc7cb317b53c933fe1170f6559d96ca034e11875f"
OTHER = "9f0c" + "0" * 60
CONTAINER = "d1faba46a597ffdf1e5a6f4a720907663dc79f091f6fddfcce19c74738407a7f"
LOG = f'''\
time="2026-12-01T00:18:49.709672254Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:web,Uid:4b8c,Namespace:ns,Attempt:0,}}"
time="2026-12-01T00:18:49.8Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:other,Uid:0ca2,Namespace:ns,Attempt:0,}} returns sandbox id \\"{OTHER}\\""
time="2026-12-01T00:18:50.014853213Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:web,Uid:4b8c,Namespace:ns,Attempt:0,}} returns sandbox id \\"{SANDBOX}\\""
time="2026-12-01T00:18:50.039361661Z" level=info msg="CreateContainer within sandbox \\"{SANDBOX}\\" for container &ContainerMetadata{{Name:server,Attempt:0,}}"
time="2026-12-01T00:18:50.169965966Z" level=info msg="CreateContainer within sandbox \\"{SANDBOX}\\" for &ContainerMetadata{{Name:server,Attempt:0,}} returns container id \\"{CONTAINER}\\""
time="2026-12-01T00:18:50.170902412Z" level=info msg="StartContainer for \\"{CONTAINER}\\""
not a logrus line at all
time="2026-12-01T00:18:50.3Z" level=info msg="StartContainer for \\"{CONTAINER}\\" returns successfully"
'''


def test_the_three_calls_of_one_sandbox_come_back_in_order():
    calls = cri.cri_calls(LOG, SANDBOX)
    assert [(c.method, c.subject) for c in calls] == [
        ("RunPodSandbox", "web"), ("CreateContainer", "server"), ("StartContainer", "server")]
    assert calls[0].result == SANDBOX and calls[1].result == calls[2].result == CONTAINER
    assert calls[0].time == "2026-12-01T00:18:50.014853213Z", "the time of the answer, not of the request"


def test_another_sandbox_or_an_empty_log_gives_no_calls():
    assert [c.subject for c in cri.cri_calls(LOG, OTHER)] == ["other"]
    assert cri.cri_calls(LOG, "f" * 64) == []
    assert cri.cri_calls("", SANDBOX) == []


def test_without_a_built_crictl_the_error_says_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setenv("PODNOTES_K8S_CACHE", str(tmp_path))
    monkeypatch.delenv("PODNOTES_K8S_BINARIES", raising=False)
    assert binaries.find_client("crictl") is None
    with pytest.raises(cri.CriError, match="tools/k8s-binaries/build.sh"):
        cri.Crictl.for_endpoint("unix:///nowhere.sock")


def test_a_failing_crictl_raises_with_its_message(tmp_path):
    fake = tmp_path / "crictl"
    fake.write_text("#!/bin/sh\necho 'connect: no such file or directory' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(cri.CriError, match="no such file or directory"):
        cri.Crictl(fake, "unix:///nowhere.sock").run("pods")
