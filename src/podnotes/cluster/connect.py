"""Connect to a kind cluster by name, and to nothing else by accident.

kind names the context, the cluster and the user of a cluster called NAME all
``kind-NAME``, and serves the API on ``127.0.0.1``. :func:`connect` reads the
kubeconfig itself, checks exactly that before any request is made, and only
then builds a private API client (its own ``Configuration`` and
``ApiClient``). The ambient current context and the kubernetes library's
global default configuration are never used, so a shell pointed at a
production cluster cannot be hit by mistake.

``allow_non_kind_context=True`` is the loud way around the check, for other
local clusters (minikube, k3d, Docker Desktop); the caller names the context
explicitly and the connection says so in ``Connection.guard``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import ClusterUnreachable, NoKubeconfig, NoSuchContext, UnsafeCluster

DEFAULT_CLUSTER = "kind"


def kind_context(name: str) -> str:
    return f"kind-{name}"


def kubeconfig_paths(explicit: str | os.PathLike | None = None) -> list[Path]:
    """The kubeconfig files to read: ``explicit``, else ``PODNOTES_KUBECONFIG``, else ``KUBECONFIG``
    (a list, like kubectl), else ``~/.kube/config``."""
    if explicit:
        return [Path(explicit)]
    for variable in ("PODNOTES_KUBECONFIG", "KUBECONFIG"):
        value = os.environ.get(variable)
        if value:
            return [Path(part) for part in value.split(os.pathsep) if part]
    return [Path.home() / ".kube" / "config"]


def load_kubeconfig(paths: list[Path]) -> dict[str, Any]:
    """Merge kubeconfig files the way kubectl does: the first file that names an entry wins."""
    existing = [path for path in paths if path.is_file()]
    if not existing:
        shown = ", ".join(str(p) for p in paths)
        raise NoKubeconfig(f"no kubeconfig found (looked at {shown})",
                           hint="create a cluster with `podnotes kind up` (writes ~/.kube/config), "
                                "or pass --kubeconfig FILE")
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    for path in existing:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise NoKubeconfig(f"{path}: not a readable kubeconfig ({err})") from None
        if not isinstance(data, dict):
            raise NoKubeconfig(f"{path}: not a kubeconfig (expected a mapping at the top)")
        for section in ("clusters", "contexts", "users"):
            known = {entry.get("name") for entry in merged[section]}
            merged[section].extend(entry for entry in data.get(section) or []
                                   if isinstance(entry, dict) and entry.get("name") not in known)
    return merged


def _entry(config: dict, section: str, name: str) -> dict | None:
    for entry in config.get(section) or []:
        if entry.get("name") == name:
            return entry.get(section[:-1]) or {}
    return None


def is_loopback_server(server: str) -> bool:
    """True for https://127.x.y.z:PORT, https://[::1]:PORT and https://localhost:PORT."""
    host = urlsplit(server).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """The context chosen and what the guard concluded, before any connection exists."""

    context: str
    cluster: str
    server: str
    guard: str  # "kind-loopback", or "override" when the caller waived the check


def choose_context(config: dict, name: str = DEFAULT_CLUSTER, *, context: str | None = None,
                   allow_non_kind_context: bool = False, source: str = "the kubeconfig") -> Target:
    """Pick ``kind-<name>`` (or ``context``) from a parsed kubeconfig and check it is a local kind cluster.

    Raises NoSuchContext or UnsafeCluster. Reads only the dict: nothing is contacted.
    """
    wanted = context or kind_context(name)
    if context and context != kind_context(name) and not allow_non_kind_context:
        raise UnsafeCluster(
            f"context {context!r} is not the kind context {kind_context(name)!r}; refusing to use it",
            hint="use --cluster NAME for kind-NAME, or --allow-non-kind-context if this is another local cluster")
    found = _entry(config, "contexts", wanted)
    if found is None:
        available = ", ".join(sorted(e.get("name", "?") for e in config.get("contexts") or [])) or "none"
        raise NoSuchContext(f"{source} has no context {wanted!r} (contexts: {available})",
                            hint=f"create it with `podnotes kind up --name {name}` or `kind create cluster --name "
                                 f"{name}`; `kind get clusters` lists existing ones")
    cluster_name = found.get("cluster", "")
    cluster = _entry(config, "clusters", cluster_name)
    if cluster is None:
        raise NoSuchContext(f"context {wanted!r} refers to cluster {cluster_name!r}, which {source} does not define",
                            hint=f"recreate the entry with `kind export kubeconfig --name {name}`")
    server = str(cluster.get("server", ""))
    if allow_non_kind_context:
        return Target(wanted, cluster_name, server, guard="override")
    if cluster_name != wanted:
        raise UnsafeCluster(
            f"context {wanted!r} points at cluster {cluster_name!r}; kind names both {wanted!r}, so this is not a "
            "kind cluster. Nothing was sent to it.",
            hint=f"`kind export kubeconfig --name {name}` rewrites kind's own entries")
    if not is_loopback_server(server):
        raise UnsafeCluster(
            f"context {wanted!r} points at {server or 'no server'}, which is not a loopback address; a local kind "
            "cluster listens on 127.0.0.1. Nothing was sent to it.",
            hint="if this really is a local cluster, pass --allow-non-kind-context (allow_non_kind_context=True)")
    return Target(wanted, cluster_name, server, guard="kind-loopback")


@dataclass
class Connection:
    """A checked target plus the private API client that talks to it."""

    name: str
    target: Target
    api_client: Any  # kubernetes.client.ApiClient, private to this connection
    kubeconfig: list[Path] = field(default_factory=list)

    @property
    def context(self) -> str:
        return self.target.context

    @property
    def server(self) -> str:
        return self.target.server

    def close(self) -> None:
        self.api_client.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def version(self) -> str:
        """The server's gitVersion; raises ClusterUnreachable if it does not answer."""
        from kubernetes import client

        try:
            return client.VersionApi(self.api_client).get_code(_request_timeout=5).git_version
        except Exception as err:  # urllib3 errors, ApiException, ssl errors
            raise unreachable(self, err) from None


def unreachable(connection: Connection, err: BaseException) -> ClusterUnreachable:
    return ClusterUnreachable(
        f"the API server of {connection.context} at {connection.server} does not answer ({_short(err)})",
        hint=f"is the cluster running? `kind get clusters`, `docker ps`; recreate it with "
             f"`podnotes kind up --name {connection.name}`")


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) < 160 else text[:157] + "..."


def connect(name: str = DEFAULT_CLUSTER, *, kubeconfig: str | os.PathLike | None = None,
            context: str | None = None, allow_non_kind_context: bool = False, check: bool = True) -> Connection:
    """Connect to kind cluster ``name`` (context ``kind-<name>``) through a private API client.

    The guard runs on the kubeconfig before the client is even built. With
    ``check=True`` the server's version is then asked for, so a stopped
    cluster fails here with ClusterUnreachable instead of in the first call.
    """
    paths = kubeconfig_paths(kubeconfig)
    config = load_kubeconfig(paths)
    target = choose_context(config, name, context=context, allow_non_kind_context=allow_non_kind_context,
                            source=" + ".join(str(p) for p in paths))
    connection = Connection(name, target, _private_client(config, target.context), paths)
    if check:
        try:
            connection.version()
        except ClusterUnreachable:
            connection.close()
            raise
    return connection


def _private_client(config: dict, context: str):
    from kubernetes import client
    from kubernetes.config import kube_config

    configuration = client.Configuration()
    loader = kube_config.KubeConfigLoader(config_dict=config, active_context=context)
    loader.load_and_set(configuration)
    return client.ApiClient(configuration=configuration)
