"""Reading the CRI calls back from containerd's log (podnotes.node.cri), with lines as containerd 1.6.20
(Debian 12) wrote them on the local node (pkg/cri/server/instrumented_service.go) and as containerd 2.4.2
writes them (internal/cri/instrument/instrumented_service.go: the same messages, the metadata in protobuf-go's
text format)."""

from __future__ import annotations

import pytest

from podnotes.cluster import binaries
from podnotes.node import cri

SANDBOX = "2a77f5d5bf0ddeaea83e24bdc7cb317b53c933fe1170f6559d96ca034e11875f"
OTHER = "9f0c" + "0" * 60
CONTAINER = "d1faba46a597ffdf1e5a6f4a720907663dc79f091f6fddfcce19c74738407a7f"
META = "&PodSandboxMetadata{{Name:{name},Uid:4b8c,Namespace:ns,Attempt:0,}}"
CONTAINER_META = "&ContainerMetadata{Name:server,Attempt:0,}"
MESSAGES = [
    ("00:18:49.709672254", f"RunPodSandbox for {META.format(name='web')}"),
    ("00:18:49.8", f'RunPodSandbox for {META.format(name="other")} returns sandbox id "{OTHER}"'),
    ("00:18:50.014853213", f'RunPodSandbox for {META.format(name="web")} returns sandbox id "{SANDBOX}"'),
    ("00:18:50.039361661", f'CreateContainer within sandbox "{SANDBOX}" for container {CONTAINER_META}'),
    ("00:18:50.169965966", f'CreateContainer within sandbox "{SANDBOX}" for {CONTAINER_META} '
                           f'returns container id "{CONTAINER}"'),
    ("00:18:50.170902412", f'StartContainer for "{CONTAINER}"'),
    ("00:18:50.3", f'StartContainer for "{CONTAINER}" returns successfully'),
]


def logrus(at: str, message: str) -> str:
    """One line of logrus' text format, as in containerd.log: quotes inside msg are escaped."""
    escaped = message.replace('"', '\\"')
    return f'time="2026-12-01T{at}Z" level=info msg="{escaped}"'


LINES = [logrus(at, message) for at, message in MESSAGES]
LOG = "\n".join(LINES[:6] + ["not a logrus line at all"] + LINES[6:])


def test_the_three_calls_of_one_sandbox_come_back_in_order():
    calls = cri.cri_calls(LOG, SANDBOX)
    assert [(c.method, c.subject) for c in calls] == [
        ("RunPodSandbox", "web"), ("CreateContainer", "server"), ("StartContainer", "server")]
    assert calls[0].result == SANDBOX and calls[1].result == calls[2].result == CONTAINER
    assert calls[0].time == "2026-12-01T00:18:50.014853213Z", "the time of the answer, not of the request"


# containerd 2's protobuf-go text format: zero fields (Attempt:0) left out, one or two spaces between fields.
META_2 = 'name:"{name}"  uid:"4b8c" namespace:"ns"'
MESSAGES_2 = [
    ("00:18:49.7", f"RunPodSandbox for {META_2.format(name='web')}"),
    ("00:18:50.0", f'RunPodSandbox for {META_2.format(name="web")} returns sandbox id "{SANDBOX}"'),
    ("00:18:50.1", f'CreateContainer within sandbox "{SANDBOX}" for container name:"server" attempt:1'),
    ("00:18:50.2", f'CreateContainer within sandbox "{SANDBOX}" for name:"server" attempt:1 '
                   f'returns container id "{CONTAINER}"'),
    ("00:18:50.3", f'StartContainer for "{CONTAINER}" returns successfully'),
]


def test_containerd_2_lines_give_the_same_calls():
    log = "\n".join(logrus(at, message) for at, message in MESSAGES_2)
    calls = cri.cri_calls(log, SANDBOX)
    assert [(c.method, c.subject, c.result) for c in calls] == [
        ("RunPodSandbox", "web", SANDBOX), ("CreateContainer", "server", CONTAINER),
        ("StartContainer", "server", CONTAINER)]
    assert calls[0].time == "2026-12-01T00:18:50.0Z"


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


# crictl pods as it prints it (columns padded to 20 characters, three spaces at least).
PODS = "\n".join("".join(cell.ljust(20) for cell in row).rstrip() for row in (
    ("POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"),
    ("4b1f6e0d9a2c7", "About a minute ago", "Ready", "web", "scenes-root-1a2b", "0", "(default)")))


def test_crictl_tables_split_at_wide_gaps_not_at_single_spaces():
    rows = cri.parse_table(PODS)
    assert rows == [{"POD ID": "4b1f6e0d9a2c7", "CREATED": "About a minute ago", "STATE": "Ready", "NAME": "web",
                     "NAMESPACE": "scenes-root-1a2b", "ATTEMPT": "0", "RUNTIME": "(default)"}]
    assert cri.parse_table("") == []
    with pytest.raises(ValueError, match="line 2"):
        cri.parse_table("A  B\n1  2  3\n")


def test_crictl_exec_errors_keep_what_the_program_said():
    stderr = ('time="2026-12-01T00:35:36Z" level=warning msg="Config \\"/etc/crictl.yaml\\" does not exist"\n'
              "touch: /shared/from-reader: Read-only file system\n"
              'time="2026-12-01T00:35:36Z" level=error msg="command terminated with exit code 1"\n')
    assert cri.program_errors(stderr) == "touch: /shared/from-reader: Read-only file system"
    only_crictl = 'time="2026-12-01T00:35:36Z" level=fatal msg="connect: no such file"\n'
    assert "no such file" in cri.program_errors(only_crictl)


def test_crictl_output_is_shown_verbatim_under_its_command():
    table = ("POD ID              CREATED                  STATE               NAME                "
             "NAMESPACE            ATTEMPT             RUNTIME\n"
             "d19793dcc0c52       Less than a second ago   Ready               web                 "
             "scenes-root-af8a85   0                   (default)\n")
    text = cri.shown(("pods", "--namespace", "^scenes-root-af8a85$"), table)
    lines = text.splitlines()
    assert lines[0] == "$ crictl pods --namespace '^scenes-root-af8a85$'"
    assert lines[1:] == table.splitlines(), "not folded, not cut"
    assert max(len(line) for line in lines) > 84
    long = cri.shown(("ps", "--pod", "d" * 64, "--state", "running"), "")
    assert long.splitlines()[0].endswith(" \\") and all(len(line) <= 84 for line in long.splitlines())
