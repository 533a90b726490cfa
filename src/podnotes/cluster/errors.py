"""What can go wrong before or while talking to a cluster, each with what to run next."""

from __future__ import annotations


class ClusterError(Exception):
    """A problem the user can act on. ``hint`` says what to run next."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  next: {self.hint}" if self.hint else self.message


class NoKubeconfig(ClusterError):
    """No kubeconfig file where one was expected."""


class BadKubeconfig(ClusterError):
    """A kubeconfig (or a file it names) that cannot be used: unreadable, malformed, or asking for something
    the guard refuses. The message names the file, the line and the field path."""


class NoSuchContext(ClusterError):
    """The kubeconfig has no context for the cluster asked for."""


class UnsafeCluster(ClusterError):
    """The context does not look like a local kind cluster; nothing was sent to it."""


class GuardRefused(UnsafeCluster):
    """The guarded transport was asked to reach an address other than the one the guard pinned, or to
    use a proxy or a redirect; nothing was sent."""


class ClusterUnreachable(ClusterError):
    """The API server did not answer (cluster stopped, Docker not running, wrong port)."""


class ToolMissing(ClusterError):
    """kind or docker is not installed, or docker cannot reach its engine."""


class ApiRejected(ClusterError):
    """The API server refused a request; ``status`` is its Status object (a dict)."""

    def __init__(self, message: str, status: dict | None = None, hint: str = ""):
        super().__init__(message, hint)
        self.status = status or {}

    @property
    def reason(self) -> str:
        return self.status.get("reason", "")

    @property
    def causes(self) -> list[dict]:
        return (self.status.get("details") or {}).get("causes") or []
