"""Connect to a kind cluster by name, and to nothing else by accident.

kind names the context, the cluster and the user of a cluster called NAME all
``kind-NAME``, and serves the API on ``127.0.0.1``. :func:`connect` reads the
kubeconfig itself (:mod:`podnotes.cluster.kubeconfig`), checks exactly that
before any request is made, pins the address the HTTP stack will connect to
(:mod:`podnotes.cluster.transport`), and only then builds a private API
client. The ambient current context, the kubernetes library's global default
configuration and any proxy are never used, so a shell pointed at a
production cluster cannot be hit by mistake.

What the guard promises, and what it does not, is written down in the book's
reference page "The cluster guard" (``chapters/reference/cluster-guard.md``).

``allow_non_kind_context=True`` is the loud way around the kind and loopback
checks, for other local clusters (minikube, k3d, Docker Desktop); the caller
names the context explicitly and the connection says so in ``Connection.guard``.
Credential plugins (``users[].user.exec``) and auth providers (``auth-provider``:
gcp, oidc ...) run programs or contact identity providers, so they are refused
unless ``allow_credential_plugins=True``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import kubeconfig as kubeconfig_files
from .errors import BadKubeconfig, ClusterUnreachable, NoSuchContext, UnsafeCluster
from .kubeconfig import Entry, Kubeconfig, kubeconfig_paths
from .transport import Credentials, PinnedAddress, pin_server

DEFAULT_CLUSTER = "kind"

# The fields the guard understands; anything else in the chosen entries is refused rather than ignored,
# because a field it does not know could change where requests go or what runs.
CLUSTER_FIELDS = {"server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
                  "tls-server-name", "proxy-url", "disable-compression", "extensions"}
USER_FIELDS = {"client-certificate", "client-certificate-data", "client-key", "client-key-data", "token",
               "tokenFile", "username", "password", "exec", "auth-provider", "as", "as-uid", "as-groups",
               "as-user-extra", "extensions"}
CONTEXT_FIELDS = {"cluster", "user", "namespace", "extensions"}
PLUGIN_FLAG = "--allow-credential-plugins"


def kind_context(name: str) -> str:
    return f"kind-{name}"


def load_kubeconfig(paths: list[Path], explicit: bool = False) -> Kubeconfig:
    """Read and merge kubeconfig files the way kubectl does (the first file that names an entry wins).
    Raises NoKubeconfig or BadKubeconfig, whose messages name the file, line and field."""
    return kubeconfig_files.load(paths, explicit)


def is_loopback_server(server: str) -> bool:
    """True if the guard would pin ``server`` to a loopback address: https://127.x.y.z:PORT,
    https://[::1]:PORT or https://localhost:PORT, written plainly."""
    try:
        return pin_server(server).loopback
    except (UnsafeCluster, BadKubeconfig):
        return False


@dataclass(frozen=True)
class Target:
    """The context chosen and what the guard concluded, before any connection exists."""

    context: str
    cluster: str
    server: str
    guard: str  # "kind-loopback", or "override" when the caller waived the check
    pinned: PinnedAddress | None = None
    credentials: Credentials | None = field(default=None, repr=False)
    plugins: bool = False  # the user entry runs a credential plugin or auth provider (allowed explicitly)
    entries: tuple = field(default=(), repr=False)  # (context, cluster, user) Entry objects


def _as_kubeconfig(config: Kubeconfig | dict, source: str) -> Kubeconfig:
    if isinstance(config, Kubeconfig):
        return config
    return kubeconfig_files.from_mapping(config, Path(source))


def choose_context(config: Kubeconfig | dict, name: str = DEFAULT_CLUSTER, *, context: str | None = None,
                   allow_non_kind_context: bool = False, allow_credential_plugins: bool = False,
                   source: str = "the kubeconfig") -> Target:
    """Pick ``kind-<name>`` (or ``context``) from a kubeconfig and check it is a local kind cluster.

    Checks the context, cluster and user entries completely: the server is
    pinned to a loopback address, proxies and unknown fields are refused,
    credential plugins need ``allow_credential_plugins``, and the files the
    entries name are read. Raises NoSuchContext, UnsafeCluster or
    BadKubeconfig. Nothing is contacted and nothing is run.
    """
    config = _as_kubeconfig(config, source)
    source = config.source if config.files else source
    wanted = context or kind_context(name)
    if context and context != kind_context(name) and not allow_non_kind_context:
        raise UnsafeCluster(
            f"context {context!r} is not the kind context {kind_context(name)!r}; refusing to use it",
            hint="use --cluster NAME for kind-NAME, or --allow-non-kind-context if this is another local cluster")
    found = config.contexts.get(wanted)
    if found is None:
        available = ", ".join(sorted(config.contexts)) or "none"
        raise NoSuchContext(f"{source} has no context {wanted!r} (contexts: {available})",
                            hint=f"create it with `podnotes kind up --name {name}` or `kind create cluster --name "
                                 f"{name}`; `kind get clusters` lists existing ones")
    _only_known_fields(found, CONTEXT_FIELDS)
    cluster_name = found.string("cluster", required=True)
    cluster = config.clusters.get(cluster_name)  # type: ignore[arg-type]
    if cluster is None:
        raise NoSuchContext(f"{found.where('cluster')}: context {wanted!r} refers to cluster {cluster_name!r}, "
                            f"which {source} does not define",
                            hint=f"recreate the entry with `kind export kubeconfig --name {name}`")
    server = cluster.string("server", required=True)
    if not allow_non_kind_context and cluster_name != wanted:
        raise UnsafeCluster(
            f"context {wanted!r} points at cluster {cluster_name!r}; kind names both {wanted!r}, so this is not a "
            "kind cluster. Nothing was sent to it.",
            hint=f"`kind export kubeconfig --name {name}` rewrites kind's own entries")
    pinned = pin_server(server, cluster.where("server"), allow_remote=allow_non_kind_context, resolve=False)  # type: ignore[arg-type]
    _only_known_fields(cluster, CLUSTER_FIELDS)
    _refuse_proxy(cluster)
    user_name = found.string("user")
    user = config.users.get(user_name) if user_name else None
    if user_name and user is None:
        raise NoSuchContext(f"{found.where('user')}: context {wanted!r} refers to user {user_name!r}, which "
                            f"{source} does not define",
                            hint=f"recreate the entry with `kind export kubeconfig --name {name}`")
    plugins = _check_user(user, allow_credential_plugins) if user else False
    credentials = _credentials(cluster, user, plugins)
    return Target(wanted, cluster_name, server, guard="override" if allow_non_kind_context else "kind-loopback",  # type: ignore[arg-type]
                  pinned=pinned, credentials=credentials, plugins=plugins, entries=(found, cluster, user))


def _only_known_fields(entry: Entry, known: set[str]) -> None:
    unknown = sorted(set(entry.body) - known)
    if unknown:
        raise BadKubeconfig(
            f"{entry.where(unknown[0])}: podnotes does not know the field {unknown[0]!r}, and a field it does not "
            "know could change where requests go or what runs, so it refuses the entry",
            hint=f"remove {', '.join(unknown)} from {entry.section[:-1]} {entry.name!r}, or use a kubeconfig made "
                 "by `kind export kubeconfig`")


def _refuse_proxy(cluster: Entry) -> None:
    proxy = cluster.body.get("proxy-url")
    if proxy not in (None, ""):
        raise UnsafeCluster(
            f"{cluster.where('proxy-url')}: cluster {cluster.name!r} sends its requests through the proxy "
            f"{str(proxy)[:200]!r}; podnotes talks to a local API server directly and never through a proxy. "
            "Nothing was sent.",
            hint=f"remove proxy-url from cluster {cluster.name!r} (`kind export kubeconfig` writes none)")


def _check_user(user: Entry, allow_plugins: bool) -> bool:
    _only_known_fields(user, USER_FIELDS)
    impersonation = [key for key in ("as", "as-uid", "as-groups", "as-user-extra") if user.body.get(key)]
    if impersonation:
        raise UnsafeCluster(
            f"{user.where(impersonation[0])}: user {user.name!r} asks to impersonate another identity; podnotes "
            "acts only as the identity the kubeconfig authenticates", hint=f"remove {', '.join(impersonation)} "
            f"from user {user.name!r}, or use kubectl --as for impersonation")
    plugins = [key for key in ("exec", "auth-provider") if user.body.get(key) not in (None, {})]
    if plugins and not allow_plugins:
        what = ("runs the command " + repr(_exec_command(user)) if plugins[0] == "exec"
                else f"uses the auth provider {_provider_name(user)!r}, which may run a command or contact an "
                     "identity provider to refresh its token")
        raise UnsafeCluster(
            f"{user.where(plugins[0])}: user {user.name!r} {what}. podnotes never runs a command or contacts "
            "anything named in a kubeconfig unless told to. Nothing was run and nothing was sent.",
            hint=f"if you trust this kubeconfig, pass {PLUGIN_FLAG} (allow_credential_plugins=True); a kind "
                 "cluster needs none (`kind export kubeconfig` writes client certificates)")
    return bool(plugins)


def _exec_command(user: Entry) -> str:
    spec = user.body.get("exec")
    return str(spec.get("command", "?"))[:200] if isinstance(spec, dict) else "?"


def _provider_name(user: Entry) -> str:
    spec = user.body.get("auth-provider")
    return str(spec.get("name", "?"))[:100] if isinstance(spec, dict) else "?"


def _credentials(cluster: Entry, user: Entry | None, plugins: bool) -> Credentials:
    ca_file, ca_data = cluster.file_contents("certificate-authority"), cluster.data("certificate-authority-data")
    insecure = cluster.boolean("insecure-skip-tls-verify")
    cluster.boolean("disable-compression")
    if insecure and (ca_file or ca_data):
        raise BadKubeconfig(f"{cluster.where('insecure-skip-tls-verify')}: a certificate authority and "
                            "insecure-skip-tls-verify cannot be combined (kubectl refuses this too)")
    server_name = cluster.string("tls-server-name") or None
    if server_name and not _is_host_name(server_name):
        raise BadKubeconfig(f"{cluster.where('tls-server-name')}: {server_name[:100]!r} is not a host name")
    credentials = Credentials(ca_pem=ca_data or ca_file, insecure=insecure, tls_server_name=server_name)
    if user is None:
        return credentials
    credentials.client_cert_pem = user.data("client-certificate-data") or user.file_contents("client-certificate")
    credentials.client_key_pem = user.data("client-key-data") or user.file_contents("client-key")
    if bool(credentials.client_cert_pem) != bool(credentials.client_key_pem) and not plugins:
        missing = "client-key" if credentials.client_cert_pem else "client-certificate"
        raise BadKubeconfig(f"{user.where()}: a client certificate needs both client-certificate and client-key; "
                            f"{missing} is missing")
    token = user.string("token")
    if not token:
        data = user.file_contents("tokenFile")
        token = data.decode("utf-8", errors="replace").strip() if data else None
    username, password = user.string("username"), user.string("password")
    if token:
        _header_safe(token, user, "token")
        credentials.authorization = f"Bearer {token}"
    elif username or password:
        import base64

        pair = f"{username or ''}:{password or ''}"
        _header_safe(pair, user, "username")
        credentials.authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    return credentials


def _is_host_name(text: str) -> bool:
    from .transport import _HOST_NAME, _ip_literal

    return bool(_HOST_NAME.match(text.lower())) or _ip_literal(text) is not None


def _header_safe(value: str, user: Entry, key: str) -> None:
    if any(ord(ch) < 0x21 or ord(ch) > 0x7e for ch in value.replace(" ", "")) or "\n" in value:
        raise BadKubeconfig(f"{user.where(key)}: contains characters an HTTP header cannot carry")


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

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def version(self) -> str:
        """The server's gitVersion; raises ClusterUnreachable if it does not answer."""
        from . import api

        try:
            return api.version_api(self.api_client).get_code(_request_timeout=5).git_version
        except Exception as err:  # urllib3 errors, ApiException, ssl errors
            raise api.unreachable(self, err) from None


def connect(name: str = DEFAULT_CLUSTER, *, kubeconfig: str | os.PathLike | None = None,
            context: str | None = None, allow_non_kind_context: bool = False,
            allow_credential_plugins: bool = False, check: bool = True) -> Connection:
    """Connect to kind cluster ``name`` (context ``kind-<name>``) through a private, pinned API client.

    The guard runs on the kubeconfig before the client is even built (see
    :func:`choose_context`). With ``check=True`` the server's version is then
    asked for, so a stopped cluster fails here with ClusterUnreachable instead
    of in the first call. Raises NoKubeconfig, BadKubeconfig, NoSuchContext,
    UnsafeCluster or ClusterUnreachable.
    """
    paths, explicit = kubeconfig_paths(kubeconfig)
    config = load_kubeconfig(paths, explicit)
    target = choose_context(config, name, context=context, allow_non_kind_context=allow_non_kind_context,
                            allow_credential_plugins=allow_credential_plugins)
    connection = Connection(name, target, _private_client(target), config.files)
    if check:
        try:
            connection.version()
        except ClusterUnreachable:
            connection.close()
            raise
    return connection


def _private_client(target: Target):
    from .transport import api_client

    configuration = _plugin_configuration(target) if target.plugins else None
    credentials = target.credentials
    if configuration is not None:
        credentials = _with_plugin_credentials(credentials, configuration)  # type: ignore[arg-type]
    return api_client(target.pinned.resolved(), credentials, configuration, where=target.entries[1].where())  # type: ignore[arg-type, union-attr]


def _plugin_configuration(target: Target):
    """Only with allow_credential_plugins: let the kubernetes loader run the exec plugin or auth provider."""
    from kubernetes import client
    from kubernetes.config import kube_config

    context, cluster, user = target.entries
    cluster_body = {key: value for key, value in cluster.body.items() if key != "proxy-url"}
    cluster_body["server"] = target.pinned.url  # type: ignore[union-attr]
    config = {"clusters": [{"name": cluster.name, "cluster": cluster_body}],
              "users": [{"name": user.name, "user": user.body}],
              "contexts": [{"name": context.name, "context": {"cluster": cluster.name, "user": user.name}}]}
    configuration = client.Configuration()
    configuration.proxy = None
    try:
        kube_config.KubeConfigLoader(config_dict=config, active_context=context.name,
                                     config_base_path=str(user.file.parent)).load_and_set(configuration)
    except Exception as err:  # the plugin failed: its own message says why
        raise BadKubeconfig(f"{user.where()}: the credential plugin failed: {str(err)[:300]}") from None
    return configuration


def _with_plugin_credentials(credentials: Credentials, configuration) -> Credentials:
    from dataclasses import replace

    authorization = (configuration.api_key or {}).get("authorization") or credentials.authorization
    cert, key = credentials.client_cert_pem, credentials.client_key_pem
    if configuration.cert_file and configuration.key_file:
        cert, key = Path(configuration.cert_file).read_bytes(), Path(configuration.key_file).read_bytes()
    return replace(credentials, authorization=authorization, client_cert_pem=cert, client_key_pem=key)
