"""When a probe handler's answer counts as success: the kubelet's rules, shared
by the simulator and the real handlers in :mod:`podnotes.probes.handlers`.

Upstream: ``pkg/probe/http/http.go`` (``DoHTTPProbe``: 200 <= status < 400;
a final 3xx is a "warning", which ``prober.probe`` counts as success),
``pkg/probe/exec/exec.go`` (exit code 0), ``pkg/probe/tcp/tcp.go``
(``DoTCPProbe``: the connection opens), ``pkg/probe/grpc/grpc.go``
(``grpc.health.v1.Health/Check`` answers SERVING).
"""

from __future__ import annotations


def http_ok(status: int | None) -> bool:
    """200-399 succeeds; anything else, and no answer at all, fails."""
    return status is not None and 200 <= status < 400


def exec_ok(exit_code: int | None) -> bool:
    return exit_code == 0


def tcp_ok(connected: bool) -> bool:
    return bool(connected)


def grpc_ok(status: str | None) -> bool:
    return status == "SERVING"


def judge(handler: str, answer) -> tuple[bool, str]:
    """Whether ``answer`` (as a behaviour describes it) succeeds, and how
    the kubelet would report it."""
    if handler == "httpGet":
        return http_ok(answer), "connection refused" if answer is None else f"HTTP {answer}"
    if handler == "tcpSocket":
        return tcp_ok(answer), "connected" if answer else "connection refused"
    if handler == "exec":
        return exec_ok(answer), f"exit code {answer}"
    if handler == "grpc":
        return grpc_ok(answer), f"status {answer}"
    raise ValueError(f"unknown probe handler {handler!r}")


HEALTHY_ANSWER = {"httpGet": 200, "tcpSocket": True, "exec": 0, "grpc": "SERVING"}
