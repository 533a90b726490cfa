"""Real probes against real local servers on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from podnotes.linux.processes import children, list_processes, read_proc
from podnotes.probes import check, demo_server
from podnotes.probes.handlers import USER_AGENT, grpc_available
from podnotes.probes.kubelet import KUBERNETES_VERSION


class _Recorder(BaseHTTPRequestHandler):
    """Answers /code/N with status N, /to?u=URL with a redirect, and records request headers."""

    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append({"path": self.path, **dict(self.headers.items())})
        if self.path.startswith("/code/"):
            self._send(int(self.path.rsplit("/", 1)[1]))
        elif self.path.startswith("/to?u="):
            self._send(302, self.path.split("=", 1)[1])
        elif self.path == "/loop":
            self._send(302, "/loop")
        elif self.path == "/sleep":
            time.sleep(1.5)
            self._send(200)
        else:
            self._send(404)

    def _send(self, status, location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server():
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(port, path, **extra):
    return {"httpGet": {"path": path, "port": port, **extra}}


@pytest.mark.parametrize("status, result", [(200, "success"), (204, "success"), (399, "success"),
                                            (400, "failure"), (404, "failure"), (500, "failure")])
def test_http_status_rule(server, status, result):
    """pkg/probe/http/http.go DoHTTPProbe: 200 <= status < 400 succeeds."""
    outcome = check(get(server, f"/code/{status}"))
    assert (outcome.result, outcome.status) == (result, status)


def test_http_sends_the_kubelet_headers(server):
    """pkg/probe/http/request.go: User-Agent kube-probe/<major>.<minor>, Accept */*, no keep-alive, custom headers."""
    check(get(server, "/code/200", httpHeaders=[{"name": "custom-header", "value": "Awesome"}]))
    headers = _Recorder.seen[-1]
    assert headers["User-Agent"] == USER_AGENT == f"kube-probe/{KUBERNETES_VERSION}"
    assert headers["Accept"] == "*/*"
    assert headers["Connection"] == "close"
    assert headers["Custom-Header"] == "Awesome"


def test_http_host_header_overrides_the_host(server):
    check(get(server, "/code/200", httpHeaders=[{"name": "Host", "value": "example.test"}]))
    assert _Recorder.seen[-1]["Host"] == "example.test"


def test_http_follows_redirects_to_the_same_host_only(server):
    """http.go RedirectChecker with followNonLocalRedirects=false (prober.newProber)."""
    same = check(get(server, f"/to?u=http://127.0.0.1:{server}/code/500"))
    assert (same.result, same.status) == ("failure", 500)
    other = check(get(server, f"/to?u=http://localhost:{server}/code/500"))
    assert (other.result, other.status, other.warning) == ("success", 302, True)
    assert other.message.startswith("Probe terminated redirects, Response body: ")  # DoHTTPProbe's Warning output
    assert not same.warning and not check(get(server, "/code/200")).warning
    assert check(get(server, "/code/300")).warning  # any final 3xx, followed or not
    assert check(get(server, "/loop")).message == "stopped after 10 redirects"


def test_http_timeout_is_a_failure(server):
    outcome = check(get(server, "/sleep"), timeout=0.3)
    assert outcome.result == "timeout" and not outcome.ok
    assert outcome.seconds < 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tcp_connect(server):
    """pkg/probe/tcp/tcp.go DoTCPProbe: success when the connection opens."""
    assert check({"tcpSocket": {"port": server}}).ok
    refused = check({"tcpSocket": {"port": free_port()}})
    assert (refused.result, refused.message) == ("failure", "connection refused")


def test_exec_exit_code_and_timeout():
    """pkg/probe/exec/exec.go: exit 0 succeeds; a command outliving the timeout fails and is killed."""
    assert check({"exec": {"command": ["true"]}}).ok
    failed = check({"exec": {"command": ["sh", "-c", "echo no file; exit 1"]}})
    assert (failed.result, failed.status) == ("failure", 1)
    assert "no file" in failed.message
    marker = f"podnotes-exec-timeout-{os.getpid()}"
    slow = check({"exec": {"command": [sys.executable, "-c", "import time; time.sleep(30)", marker]}}, timeout=0.5)
    assert slow.result == "timeout"
    leftover = [info.pid for info in list_processes() if marker in info.cmdline]
    assert leftover == [], "the timed-out command was killed"
    missing = check({"exec": {"command": ["/no/such/program"]}})
    assert missing.result == "failure"


def test_a_handler_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        check({"exec": {"command": ["true"]}, "tcpSocket": {"port": 1}})
    with pytest.raises(ValueError, match="port"):
        check({"tcpSocket": {"port": "http"}})


def test_demo_server_health_flips_on_its_schedule():
    with children() as group:
        server = demo_server.start(group, schedule="0=200,3=503")
        started = time.monotonic()  # the server's clock started earlier: its uptime is at least this
        healthz = get(server.http_port, "/healthz")
        assert check(healthz).status == 200
        time.sleep(max(0.0, 3.3 - (time.monotonic() - started)))
        assert check(healthz).status == 503
        assert check({"tcpSocket": {"port": server.http_port}}).ok
        headers = json.loads(_fetch(server.http_port, "/headers"))
        assert headers["User-Agent"].startswith("Python")
    assert server.process.poll() is not None


def _fetch(port, path):
    from urllib.request import urlopen

    with urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.read().decode()


def test_demo_server_records_headers_before_it_replies():
    """A reader that asks /last right after a probe's reply must see that probe's headers.

    The slow path holds its reply for a second; /last asked meanwhile already
    has the probe's headers, so it cannot lag behind a reply on another thread.
    """
    with children() as group:
        server = demo_server.start(group)
        probe = {"httpGet": {"path": "/slow?seconds=1", "port": server.http_port,
                             "httpHeaders": [{"name": "Custom-Header", "value": "Awesome"}]},
                 "timeoutSeconds": 5}
        waiter = threading.Thread(target=check, args=(probe,), daemon=True)
        waiter.start()
        time.sleep(0.3)
        received = server.last_request_headers()
        waiter.join(5)
        assert received.get("Custom-Header") == "Awesome"
        assert received["User-Agent"] == USER_AGENT
        for _ in range(50):
            check({"httpGet": {"path": "/healthz", "port": server.http_port,
                               "httpHeaders": [{"name": "X-Round", "value": str(_)}]}})
            assert server.last_request_headers()["X-Round"] == str(_)


def test_demo_server_is_stopped_on_error_and_interrupt():
    for exc in (RuntimeError, KeyboardInterrupt):
        with pytest.raises(exc), children() as group:
            server = demo_server.start(group)
            raise exc("stop")
        assert server.process.poll() is not None
        with pytest.raises(ProcessLookupError):
            read_proc(server.process.pid)
        assert not check({"tcpSocket": {"port": server.http_port}}).ok


@pytest.mark.skipif(not grpc_available(), reason="grpcio and grpcio-health-checking are optional")
def test_grpc_health_check():
    """pkg/probe/grpc/grpc.go: success only for SERVING; an unreachable server fails."""
    with children() as group:
        server = demo_server.start(group, schedule="0=200,4=500", grpc=True)
        started = time.monotonic()
        probe = {"grpc": {"port": server.grpc_port}}
        assert check(probe, timeout=5).status == "SERVING"
        time.sleep(max(0.0, 4.3 - (time.monotonic() - started)))
        assert check(probe, timeout=5).status == "NOT_SERVING"
    down = check(probe, timeout=2)
    assert down.result == "failure" and down.status == "UNAVAILABLE"
