"""A small local server to probe: its health endpoint flips on a schedule.

Run it with ``python -m podnotes.probes.demo_server`` (``--help`` lists the
options). It prints one line, ``listening http=PORT grpc=PORT``, once it
accepts connections, so a parent that asked for port 0 learns the ports.

HTTP endpoints:

* ``/healthz``: the status the schedule gives for the server's uptime; by
  default 200 for 10 s, then 500 (what agnhost ``liveness`` does);
* ``/status/<code>``: answers with that status;
* ``/slow?seconds=S``: answers 200 after S seconds;
* ``/redirect?to=URL``: 302 to URL (a path or a full URL);
* ``/headers``: the request headers, as JSON;
* ``/last``: the headers of the request before, as JSON (what a prober sent).

With ``--grpc-port`` it also serves ``grpc.health.v1.Health``, SERVING while
the schedule's status is 200-399 and NOT_SERVING otherwise.

:func:`start` starts it as a child process of a
:class:`podnotes.linux.processes.Children` group, which stops it on exit,
error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from podnotes.probes.rules import http_ok

DEFAULT_SCHEDULE = "0=200,10=500"


def parse_schedule(text: str) -> list[tuple[float, int]]:
    """``"0=200,10=500"``: status 200 from second 0, 500 from second 10."""
    steps = []
    for item in text.split(","):
        try:
            at, status = item.split("=")
            steps.append((float(at), int(status)))
        except ValueError:
            raise ValueError(f"schedule item {item!r} is not SECONDS=STATUS") from None
    if not steps or [t for t, _ in steps] != sorted(t for t, _ in steps):
        raise ValueError(f"schedule {text!r} must list increasing SECONDS=STATUS items")
    return steps


class Health:
    """The health status over the server's uptime."""

    def __init__(self, schedule: list[tuple[float, int]]):
        self.schedule = schedule
        self.started = time.monotonic()
        self.last_headers: dict[str, str] = {}

    def uptime(self) -> float:
        return time.monotonic() - self.started

    def status(self) -> int:
        now = self.uptime()
        current = self.schedule[0][1]
        for at, status in self.schedule:
            if now >= at:
                current = status
        return current


def _handler_for(health: Health):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # keep the notebook output clean
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if parts.path == "/last":
                self._reply(200, json.dumps(health.last_headers), content_type="application/json")
                return
            # Kept before the reply: a client that reads the reply and at once asks
            # /last (on another thread) must find this request's headers.
            health.last_headers = dict(self.headers.items())
            if parts.path == "/healthz":
                status = health.status()
                self._reply(status, "ok" if http_ok(status) else f"error: {health.uptime():.1f}")
            elif parts.path.startswith("/status/"):
                self._reply(int(parts.path.rsplit("/", 1)[1]), "as requested")
            elif parts.path == "/slow":
                time.sleep(float(query.get("seconds", ["2"])[0]))
                self._reply(200, "slow ok")
            elif parts.path == "/redirect":
                self._reply(302, "moved", location=query.get("to", ["/healthz"])[0])
            elif parts.path == "/headers":
                self._reply(200, json.dumps(dict(self.headers.items())), content_type="application/json")
            else:
                self._reply(404, "not found")

        def _reply(self, status: int, body: str, location: str | None = None,
                   content_type: str = "text/plain; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _serve_grpc(health: Health, port: int):
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    class Servicer(health_pb2_grpc.HealthServicer):
        def Check(self, request, context):
            serving = http_ok(health.status())
            status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
            return health_pb2.HealthCheckResponse(status=status)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    health_pb2_grpc.add_HealthServicer_to_server(Servicer(), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m podnotes.probes.demo_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="HTTP (and TCP) port; 0 picks a free one")
    parser.add_argument("--schedule", default=DEFAULT_SCHEDULE, help=f"health over uptime (default {DEFAULT_SCHEDULE})")
    parser.add_argument("--grpc-port", type=int, default=None, help="also serve gRPC health on this port (0: any)")
    args = parser.parse_args(argv)
    health = Health(parse_schedule(args.schedule))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler_for(health))
    server.daemon_threads = True
    grpc_server, grpc_port = (None, None)
    if args.grpc_port is not None:
        grpc_server, grpc_port = _serve_grpc(health, args.grpc_port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"listening http={server.server_address[1]} grpc={grpc_port or 0}", flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        if grpc_server is not None:
            grpc_server.stop(0)
    return 0


@dataclass(frozen=True)
class DemoServer:
    process: object
    http_port: int
    grpc_port: int | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def last_request_headers(self) -> dict[str, str]:
        """The headers of the last request the server received before this one (a dict)."""
        from urllib.request import urlopen

        with urlopen(f"{self.url}/last", timeout=5) as response:
            return json.loads(response.read())


def start(group, schedule: str = DEFAULT_SCHEDULE, grpc: bool = False, ready_timeout: float = 30.0) -> DemoServer:
    """Start the demo server as a child of ``group`` (a ``Children``) and wait until it listens."""
    argv = [sys.executable, "-m", "podnotes.probes.demo_server", "--schedule", schedule]
    if grpc:
        argv += ["--grpc-port", "0"]
    process = group.start(argv)
    line = _read_line(process, ready_timeout)
    if not line.startswith("listening"):
        error = process.stderr.read() if process.poll() is not None else ""
        raise RuntimeError(f"demo server did not start: {line or error.strip()}")
    fields = dict(item.split("=") for item in line.split()[1:])
    grpc_port = int(fields["grpc"]) or None
    return DemoServer(process, int(fields["http"]), grpc_port)


def _read_line(process, timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


if __name__ == "__main__":
    sys.exit(main())
