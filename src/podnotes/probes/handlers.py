"""Real probes, run the way the kubelet runs them, against real processes.

``check(handler, target, timeout)`` takes a probe handler as a manifest
writes it (``{"httpGet": {"path": "/healthz", "port": 8080}}``, ``{"tcpSocket":
...}``, ``{"exec": {"command": [...]}}``, ``{"grpc": {"port": ...}}``, or a whole
probe with one of them) and the address the kubelet would use (the Pod IP;
here usually ``127.0.0.1``). What it mirrors:

* HTTP (``pkg/probe/http/request.go``, ``http.go``): ``GET`` with
  ``User-Agent: kube-probe/<major>.<minor>`` and ``Accept: */*`` unless the
  probe sets them, the probe's ``httpHeaders`` (a ``Host`` header sets the
  host), no keep-alive, at most 10 KiB of body read, one timeout for the whole
  exchange. Redirects are followed only to the same host name, at most 10
  times; a redirect elsewhere is not followed. 200-399 succeeds, anything else
  fails; a final 3xx is a success with a warning (``DoHTTPProbe`` returns
  Warning, ``prober.probe`` records a ``ProbeWarning`` event) whose message is
  the kubelet's: "Probe terminated redirects, Response body: <body>". HTTPS
  does not verify the certificate.
* TCP (``pkg/probe/tcp/tcp.go``): the connection opens, and is closed at once.
* exec (``pkg/probe/exec/exec.go``): the command exits with 0; one that
  outlives the timeout fails (``ExecProbeTimeout``) and is killed.
* gRPC (``pkg/probe/grpc/grpc.go``): ``grpc.health.v1.Health/Check`` answers
  SERVING. Needs the optional ``grpcio`` and ``grpcio-health-checking``.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from podnotes.kube.enums import PROBE_HANDLERS as HANDLERS
from podnotes.probes.kubelet import KUBERNETES_VERSION
from podnotes.probes.rules import exec_ok, http_ok

# The kubelet sends its own major.minor: the release the book's kubelet runs.
KUBE_PROBE_VERSION = KUBERNETES_VERSION
USER_AGENT = f"kube-probe/{KUBE_PROBE_VERSION}"
MAX_BODY_BYTES = 10 * 1024
MAX_REDIRECTS = 10


class ProbeUnavailable(RuntimeError):
    """The probe cannot run here (a missing optional dependency)."""


@dataclass(frozen=True)
class ProbeResult:
    """One real probe attempt."""

    handler: str
    result: str  # success, failure, timeout
    message: str
    seconds: float
    status: int | str | None = None  # HTTP status, exit code or gRPC serving status

    @property
    def ok(self) -> bool:
        return self.result == "success"

    @property
    def warning(self) -> bool:
        """A success the kubelet reports with a ``ProbeWarning`` event (a final HTTP 3xx)."""
        return self.ok and self.handler == "httpGet" and isinstance(self.status, int) and 300 <= self.status < 400


def check(handler: dict, target: str = "127.0.0.1", timeout: float = 1.0) -> ProbeResult:
    """Run one probe against ``target`` and report what the kubelet would conclude."""
    kinds = [name for name in HANDLERS if handler.get(name) is not None]
    if len(kinds) != 1:
        raise ValueError(f"a probe needs exactly one of {', '.join(HANDLERS)}; got {kinds or 'none'}")
    kind = kinds[0]
    action = handler[kind]
    started = time.monotonic()
    runner = {"httpGet": _http, "tcpSocket": _tcp, "exec": _exec, "grpc": _grpc}[kind]
    result, message, status = runner(action, target, float(timeout))
    return ProbeResult(kind, result, message, round(time.monotonic() - started, 6), status)


def _port(action: dict) -> int:
    port = action.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a number from 1 to 65535 here (named ports need a Pod), got {port!r}")
    return port


# --- HTTP -----------------------------------------------------------------------

def _http(action: dict, target: str, timeout: float) -> tuple[str, str, Any]:
    scheme = str(action.get("scheme", "HTTP")).lower()
    host = action.get("host") or target
    path = action.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://{_host_port(host, _port(action))}{path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for header in action.get("httpHeaders") or []:
        headers[_canonical(header["name"])] = header["value"]
    deadline = time.monotonic() + timeout
    first_host = urlsplit(url).hostname
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = _get(url, headers, deadline)
            if not (300 <= status < 400 and location):
                break
            next_url = urljoin(url, location)
            if urlsplit(next_url).hostname != first_host:
                break  # RedirectChecker: http.ErrUseLastResponse
            url = next_url
        else:
            return "failure", f"stopped after {MAX_REDIRECTS} redirects", None
    except TimeoutError:
        return "timeout", f"no answer within {timeout:g}s (Client.Timeout exceeded)", None
    except OSError as err:
        return "failure", _os_error(err), None
    if http_ok(status) and status >= 300:
        return "success", f"Probe terminated redirects, Response body: {body}", status
    if http_ok(status):
        return "success", f"HTTP {status}", status
    return "failure", f"HTTP probe failed with statuscode: {status}", status


def _get(url: str, headers: dict, deadline: float) -> tuple[int, str | None, str]:
    parts = urlsplit(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=remaining,  # type: ignore[arg-type]
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=remaining)  # type: ignore[arg-type, assignment]
    try:
        request_headers = {**headers, "Connection": "close"}
        host_header = request_headers.pop("Host", None)
        connection.putrequest("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                              skip_host=host_header is not None, skip_accept_encoding=True)
        if host_header is not None:
            connection.putheader("Host", host_header)
        for name, value in request_headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read(MAX_BODY_BYTES)
        if time.monotonic() > deadline:
            raise TimeoutError("deadline passed")
        return response.status, response.getheader("Location"), body.decode(errors="replace")
    finally:
        connection.close()


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _os_error(err: OSError) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    return err.strerror or str(err) or type(err).__name__


# --- TCP ------------------------------------------------------------------------

def _tcp(action: dict, target: str, timeout: float) -> tuple[str, str, Any]:
    host = action.get("host") or target
    try:
        with socket.create_connection((host, _port(action)), timeout=timeout):
            pass
    except TimeoutError:
        return "timeout", f"no connection within {timeout:g}s", None
    except OSError as err:
        return "failure", _os_error(err), None
    return "success", "connected", None


# --- exec -----------------------------------------------------------------------

def _exec(action: dict, target: str, timeout: float) -> tuple[str, str, Any]:
    from podnotes.linux.processes import children

    command = action.get("command") or []
    if not command:
        raise ValueError("exec.command must not be empty")
    with children() as group:
        try:
            process = group.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            return "failure", f"executable file not found: {command[0]}", None
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", f"command timed out after {timeout:g}s", None
    code = process.returncode
    text = (output or "")[:MAX_BODY_BYTES].strip()
    message = f"exit code {code}" + (f": {text.splitlines()[0]}" if text else "")
    return ("success" if exec_ok(code) else "failure"), message, code


# --- gRPC -----------------------------------------------------------------------

def grpc_available() -> bool:
    try:
        import grpc  # noqa: F401
        from grpc_health.v1 import health_pb2  # noqa: F401
    except ImportError:
        return False
    return True


def _grpc(action: dict, target: str, timeout: float) -> tuple[str, str, Any]:
    try:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
    except ImportError:
        raise ProbeUnavailable("gRPC probes need the optional packages grpcio and grpcio-health-checking "
                               "(pip install 'podnotes[grpc]')") from None
    address = _host_port(target, _port(action))
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=action.get("service") or ""),
                               timeout=timeout)
        except grpc.RpcError as err:
            code = err.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return "timeout", f"health rpc did not complete within {timeout:g}s", None
            return "failure", f"rpc error: {code.name}", code.name
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if status == "SERVING":
        return "success", "status SERVING", status
    return "failure", f"service unhealthy (responded with {status})", status
