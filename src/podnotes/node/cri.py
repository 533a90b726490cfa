"""The node's container runtime as the kubelet sees it: CRI, asked with ``crictl``, and the CRI calls
containerd logged.

The kubelet never starts a process itself. It sends the runtime CRI requests (``k8s.io/cri-api``,
``pkg/apis/runtime/v1/api.proto``): ``RunPodSandbox`` once per Pod (the runtime makes the namespaces, runs
the pause process and calls the CNI plugin's ADD), then ``CreateContainer`` and ``StartContainer`` for each
container (``pkg/kubelet/kuberuntime/kuberuntime_manager.go``, ``SyncPod``). containerd's CRI plugin logs
each request and its answer at level info (containerd 2.4, ``internal/cri/instrument/instrumented_service.go``;
1.6 had the same lines in ``pkg/cri/server/instrumented_service.go``); :func:`cri_calls` reads them back from
that log. The request's metadata is printed with ``%+v``: containerd 1.6's gogo-protobuf types print
``&PodSandboxMetadata{Name:web,Uid:…,Namespace:…,Attempt:0,}``, containerd 2's protobuf-go types print the
compact text format, ``name:"web" uid:"…" namespace:"…"`` (zero fields left out, one or two spaces between
fields at random: google.golang.org/protobuf ``internal/detrand``); both are read.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..cluster.binaries import find_client, missing_client_reason

CRI_METHODS = ("RunPodSandbox", "CreateContainer", "StartContainer")
# The answers containerd logs once a request succeeded (instrumented_service.go), one pattern per method;
# ``meta`` is the metadata in either format, read by _metadata_name.
_ANSWERS = {
    "RunPodSandbox": re.compile(r'RunPodSandbox for (?P<meta>.+?) returns sandbox id "(?P<id>\w+)"'),
    "CreateContainer": re.compile(r'CreateContainer within sandbox "(?P<sandbox>\w+)" for (?P<meta>.+?) '
                                  r'returns container id "(?P<id>\w+)"'),
    "StartContainer": re.compile(r'StartContainer for "(?P<id>\w+)" returns successfully'),
}
# ``Name:web,`` (gogo-protobuf, containerd 1.6) or ``name:"web"`` (protobuf-go text format, containerd 2).
_METADATA_NAME = re.compile(r'(?:^|[{,\s])(?:Name:(?P<gogo>[^,}]+)|name:"(?P<text>(?:[^"\\]|\\.)*)")')
_LOG_LINE = re.compile(r'^time="(?P<time>[^"]+)" level=(?P<level>\w+) msg="(?P<msg>(?:[^"\\]|\\.)*)"')


class CriError(RuntimeError):
    """crictl failed or timed out; the message holds the command and what it printed."""


@dataclass(frozen=True)
class CriCall:
    """One CRI request that succeeded: ``method`` (``RunPodSandbox`` …), ``time`` (RFC 3339, as containerd
    logged the answer), ``subject`` (the Pod's or the container's name) and ``result`` (the sandbox or
    container ID it returned; for ``StartContainer`` the container ID it started)."""

    method: str
    time: str
    subject: str
    result: str


def cri_calls(log_text: str, sandbox_id: str) -> list[CriCall]:
    """The successful ``RunPodSandbox``, ``CreateContainer`` and ``StartContainer`` calls for the sandbox
    ``sandbox_id``, in the order containerd answered them, read from containerd's log (logrus text format).
    Empty when the log holds none for that sandbox."""
    calls: list[CriCall] = []
    names: dict[str, str] = {}  # container ID -> container name, from CreateContainer's answer
    for line in log_text.splitlines():
        matched = _LOG_LINE.match(line)
        if not matched:
            continue
        message = matched.group("msg").replace('\\"', '"')
        for method, pattern in _ANSWERS.items():
            answer = pattern.search(message)
            if not answer:
                continue
            if method == "RunPodSandbox" and answer.group("id") == sandbox_id:
                calls.append(CriCall(method, matched.group("time"), _metadata_name(answer.group("meta")), sandbox_id))
            elif method == "CreateContainer" and answer.group("sandbox") == sandbox_id:
                name = _metadata_name(answer.group("meta"))
                names[answer.group("id")] = name
                calls.append(CriCall(method, matched.group("time"), name, answer.group("id")))
            elif method == "StartContainer" and answer.group("id") in names:
                calls.append(CriCall(method, matched.group("time"), names[answer.group("id")], answer.group("id")))
    return calls


def _metadata_name(metadata: str) -> str:
    """The ``name`` field of a Pod's or container's metadata as containerd printed it (either format);
    the whole text when it has none."""
    found = _METADATA_NAME.search(metadata)
    if not found:
        return metadata
    return found.group("gogo") if found.group("gogo") is not None else found.group("text")


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of crictl's default table output (``crictl pods``, ``crictl ps``) as dicts keyed by the header
    (``POD ID``, ``STATE`` …). crictl aligns columns with at least three spaces (text/tabwriter), while a
    header or a value may hold one space (``POD ID``, ``About a minute ago``), so cells are split at runs of
    two or more spaces. Raises ValueError for a row with more cells than the header."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    headers = re.split(r"\s{2,}", lines[0].strip())
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) > len(headers):
            raise ValueError(f"crictl table line {number}: {len(cells)} cells under {len(headers)} headers")
        rows.append(dict(zip(headers, cells + [""] * (len(headers) - len(cells)), strict=True)))
    return rows


def program_errors(stderr: str) -> str:
    """crictl's stderr without its own log lines (``time="…" level=…``): what the program run in the
    container (``crictl exec``) or the runtime said, at most 400 characters; crictl's last error line when
    nothing else is there."""
    own = [line for line in stderr.splitlines() if _LOG_LINE.match(line.strip()) or line.startswith("time=")]
    other = [line for line in stderr.splitlines() if line.strip() and line not in own]
    return ("\n".join(other) or (own[-1] if own else "")).strip()[-400:]


@dataclass(frozen=True)
class Crictl:
    """``crictl`` (cri-tools, pinned in ``tools/k8s-binaries/cri-tools``) against one runtime endpoint
    (``unix:///…/containerd.sock``)."""

    binary: Path
    endpoint: str

    @classmethod
    def for_endpoint(cls, endpoint: str) -> Crictl:
        """The pinned crictl for ``endpoint``; raises :class:`CriError` when it was not built."""
        binary = find_client("crictl")
        if binary is None:
            raise CriError(missing_client_reason("crictl"))
        return cls(binary, endpoint)

    def command(self, *args: str) -> list[str]:
        return [str(self.binary), "--runtime-endpoint", self.endpoint, "--image-endpoint", self.endpoint,
                "--timeout", "10s", *args]

    def run(self, *args: str, timeout: float = 30.0) -> str:
        """stdout of ``crictl ARGS``; raises :class:`CriError` on a non-zero exit or after ``timeout`` s."""
        try:
            result = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise CriError(f"crictl {' '.join(args)}: no answer within {timeout:.0f} s") from err
        if result.returncode != 0:
            raise CriError(f"crictl {' '.join(args)} failed ({result.returncode}): {program_errors(result.stderr)}")
        return result.stdout

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args))

    def sandbox_id(self, pod: str, namespace: str) -> str:
        """The ID of the ready sandbox of Pod ``namespace/pod``; raises :class:`CriError` when there is none."""
        ids = self.run("pods", "--name", f"^{pod}$", "--namespace", f"^{namespace}$", "--state", "ready",
                       "-q").split()
        if len(ids) != 1:
            raise CriError(f"crictl pods: {len(ids)} ready sandboxes for Pod {namespace}/{pod}, expected 1")
        return ids[0]

    def container_id(self, sandbox_id: str, name: str) -> str:
        """The ID of the newest container ``name`` in the sandbox (any state)."""
        ids = self.run("ps", "-a", "--pod", sandbox_id, "--name", f"^{name}$", "--latest", "-q").split()
        if not ids:
            raise CriError(f"crictl ps: no container {name!r} in sandbox {sandbox_id[:13]}")
        return ids[0]

    def exec(self, container_id: str, *command: str, timeout: float = 30.0) -> str:
        """stdout of ``command`` run in the container (``crictl exec``, the CRI ``ExecSync`` call)."""
        return self.run("exec", container_id, *command, timeout=timeout)


def shown(args: tuple[str, ...], stdout: str, width: int = 84) -> str:
    """``$ crictl ARGS`` as a shell takes it (split with `` \\`` continuations past ``width`` characters),
    then what crictl printed, exactly: its table is neither folded nor cut, so lines may be wider than
    ``width`` (crictl's list commands print a table, JSON or YAML and select no columns: cri-tools v1.37.0
    ``cmd/crictl/sandbox.go`` ``OutputPodSandboxes``, ``container.go`` ``ListContainers``)."""
    from ..cluster.describe import command_lines

    command = "crictl " + " ".join(shlex.quote(arg) for arg in args)
    return "\n".join([*command_lines(command, width), stdout.rstrip("\n")])
