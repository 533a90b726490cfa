"""The only way podnotes talks to an API server: an HTTP transport pinned to one address.

:func:`pin_server` turns a kubeconfig's ``server`` URL into a
:class:`PinnedAddress` (an IP literal and a port) or refuses it. It accepts a
URL only when the parser the standard library uses (``urllib.parse``) and the
one the HTTP stack uses (urllib3's ``parse_url``) read the same scheme, host
and port, and only in plain forms: no user information (``user@``), no
backslash, query or fragment, an IPv4 address in dotted-quad form (not
``2130706433``, ``0177.0.0.1`` or ``127.1``, which C resolvers read as
127.0.0.1 but other parsers do not), an IPv6 address in brackets without a
zone, or the name ``localhost``, which is pinned to 127.0.0.1 without asking
any resolver (RFC 6761 reserves it for loopback).

:func:`api_client` then builds a kubernetes ``ApiClient`` whose urllib3 pool
manager is :class:`PinnedPoolManager`: every request URL is parsed again and
must name the pinned address; redirects are never followed; proxies
(``HTTPS_PROXY`` and friends, which the kubernetes client reads from the
environment) are switched off; and each new socket checks, just before
``connect()``, that it goes to the pinned address. TLS verifies the server
against the host name of the URL (or the kubeconfig's ``tls-server-name``),
exactly as it would without pinning.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .errors import BadKubeconfig, GuardRefused, UnsafeCluster

MAX_URL_LENGTH = 2048
_PLAIN_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:\[\]/%-]+$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True)
class PinnedAddress:
    """Where every request goes: ``ip``:``port``, speaking ``scheme``; ``host`` is the name TLS verifies."""

    scheme: str  # https or http
    ip: str  # an IP literal, e.g. 127.0.0.1 or ::1
    port: int
    host: str  # the URL's host (or an IP literal): what the certificate must name
    path: str = ""  # the API's base path, usually empty
    loopback: bool = True

    @property
    def netloc(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL the client is given: the pinned address itself, never a name."""
        return f"{self.scheme}://{self.netloc}{self.path}"

    def __str__(self) -> str:
        return self.netloc

    def resolved(self) -> PinnedAddress:
        """This address with its host name resolved (once) when it was left unresolved (override only)."""
        if self.ip:
            return self
        from dataclasses import replace

        return replace(self, ip=_resolve_once(self.host, self.port, self.host))

    def same_destination(self, host: str | None, port: int | None) -> bool:
        try:
            address = ipaddress.ip_address((host or "").strip("[]"))
        except ValueError:
            return False
        return address == ipaddress.ip_address(self.ip) and (port or _default_port(self.scheme)) == self.port


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def pin_server(server: str, where: str = "server", *, allow_remote: bool = False,
               resolve: bool = True) -> PinnedAddress:
    """The address ``server`` will be reached at, or UnsafeCluster/BadKubeconfig saying why not.

    Without ``allow_remote`` only loopback addresses pass (127.0.0.0/8, ::1,
    ``localhost``). With it, a host name is resolved once (here, or later by
    ``PinnedAddress.resolved()`` when ``resolve`` is False) and the first
    address returned is pinned for the connection's lifetime.
    """
    if not isinstance(server, str) or not server:
        raise BadKubeconfig(f"{where}: no server URL")
    if len(server) > MAX_URL_LENGTH or not _PLAIN_URL.match(server):
        raise UnsafeCluster(
            f"{where}: {server[:200]!r} is not a plain https://HOST:PORT URL (user information, a backslash, a "
            "query, a fragment or other characters that URL parsers read differently are refused). "
            "Nothing was sent.",
            hint="write the API server's address plainly, e.g. https://127.0.0.1:6443")
    try:
        split, transport = urlsplit(server), parse_url(server)
    except (ValueError, LocationParseError) as err:
        raise UnsafeCluster(f"{where}: {server[:200]!r} is not a valid URL ({err}). Nothing was sent.",
                            hint="write the API server's address plainly, e.g. https://127.0.0.1:6443") from None
    scheme = (split.scheme or "").lower()
    if scheme not in ("https", "http"):
        raise UnsafeCluster(f"{where}: scheme {split.scheme!r} is not https. Nothing was sent.",
                            hint="an API server is reached over https://")
    try:
        split_port = split.port
    except ValueError:
        raise UnsafeCluster(f"{where}: {server!r} has no valid port. Nothing was sent.",
                            hint="e.g. https://127.0.0.1:6443") from None
    host = (split.hostname or "").lower()
    transport_host = (transport.host or "").lower().strip("[]")
    if not host or host != transport_host or split_port != transport.port or split.username is not None:
        raise UnsafeCluster(
            f"{where}: {server!r} is read as host {host or 'none'!r} by one URL parser and as "
            f"{transport_host or 'none'!r} by the HTTP client; refusing an address that parsers disagree on. "
            "Nothing was sent.", hint="write the API server's address plainly, e.g. https://127.0.0.1:6443")
    if split_port == 0:
        raise UnsafeCluster(f"{where}: port 0 is not a port a server listens on. Nothing was sent.",
                            hint="e.g. https://127.0.0.1:6443")
    port = split_port if split_port is not None else _default_port(scheme)
    path = split.path.rstrip("/")
    ip, loopback = _address_of(host, port, where, allow_remote)
    pinned = PinnedAddress(scheme, ip, port, host, path, loopback)
    return pinned.resolved() if resolve else pinned


def _address_of(host: str, port: int, where: str, allow_remote: bool) -> tuple[str, bool]:
    if host == "localhost":
        return "127.0.0.1", True
    literal = _ip_literal(host)
    if literal is not None:
        if literal.version == 6 and literal.ipv4_mapped is not None:
            literal = literal.ipv4_mapped
        if literal.is_loopback or allow_remote:
            return str(literal), literal.is_loopback
        raise UnsafeCluster(
            f"{where}: {host} is not a loopback address; a local kind cluster listens on 127.0.0.1. "
            "Nothing was sent to it.",
            hint="if this really is a local cluster, pass --allow-non-kind-context (allow_non_kind_context=True)")
    if _looks_numeric(host):
        raise UnsafeCluster(
            f"{where}: {host!r} is an IP address in a form that resolvers read differently (decimal, octal, hex "
            "or shortened); only dotted quads such as 127.0.0.1 or bracketed IPv6 such as [::1] are accepted. "
            "Nothing was sent.", hint="write the address as four decimal numbers, e.g. https://127.0.0.1:6443")
    if not _HOST_NAME.match(host):
        raise UnsafeCluster(f"{where}: {host!r} is not a valid host name. Nothing was sent.",
                            hint="write the API server's address plainly, e.g. https://127.0.0.1:6443")
    if not allow_remote:
        raise UnsafeCluster(
            f"{where}: {host} is a host name, not a loopback address: names other than localhost can resolve anywhere "
            "(127.0.0.1.nip.io or localhost.example.com are ordinary DNS names); a local kind cluster listens "
            "on 127.0.0.1. Nothing was sent to it.",
            hint="use the address itself (https://127.0.0.1:PORT), or pass --allow-non-kind-context for another "
                 "local cluster")
    return "", False  # a name: resolved once by PinnedAddress.resolved(), at connection time


def _ip_literal(host: str):
    if "%" in host:
        return None  # a zone (fe80::1%eth0): refused as not plain
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _looks_numeric(host: str) -> bool:
    # What inet_aton accepts besides dotted quads: 2130706433, 0x7f000001, 0177.0.0.1, 127.1, and IPv6 forms.
    return ":" in host or all(re.fullmatch(r"(0x[0-9a-f]*|[0-9]+)", part) for part in host.split(".") if part)


def _resolve_once(host: str, port: int, where: str) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise UnsafeCluster(f"{where}: cannot resolve {host}: {err}. Nothing was sent.") from None
    return infos[0][4][0]  # type: ignore[return-value]


# --- credentials, in memory -------------------------------------------------------------------------
@dataclass
class Credentials:
    """What the client presents and trusts. PEM bytes, never file names, so nothing is written to disk."""

    ca_pem: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    authorization: str | None = None  # the Authorization header value (Bearer ... or Basic ...)


def ssl_context(credentials: Credentials, where: str = "kubeconfig") -> ssl.SSLContext:
    """A client TLS context: the kubeconfig's CA (else the system's), and its client certificate if any."""
    context = ssl.create_default_context(cadata=_pem_text(credentials.ca_pem, where)) if credentials.ca_pem \
        else ssl.create_default_context()
    if credentials.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if credentials.client_cert_pem or credentials.client_key_pem:
        _load_client_certificate(context, credentials, where)
    return context


def _pem_text(data: bytes, where: str) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise BadKubeconfig(f"{where}: the certificate authority is not PEM text") from None


def _load_client_certificate(context: ssl.SSLContext, credentials: Credentials, where: str) -> None:
    if not (credentials.client_cert_pem and credentials.client_key_pem):
        raise BadKubeconfig(f"{where}: a client certificate needs both the certificate and its key")
    # load_cert_chain reads files; anonymous memory files vanish with the process, even after SIGKILL.
    descriptors = []
    try:
        for label, data in (("cert", credentials.client_cert_pem), ("key", credentials.client_key_pem)):
            fd = os.memfd_create(f"podnotes-client-{label}", os.MFD_CLOEXEC)
            descriptors.append(fd)
            os.write(fd, data)
        context.load_cert_chain(*(f"/proc/self/fd/{fd}" for fd in descriptors))
    except ssl.SSLError as err:
        raise BadKubeconfig(f"{where}: the client certificate or key is not usable ({err.reason or err})") from None
    finally:
        for fd in descriptors:
            os.close(fd)


# --- the pinned transport -----------------------------------------------------------------------
class _Pinned:
    pinned: PinnedAddress

    def _new_conn(self):
        if getattr(self, "_tunnel_host", None) or getattr(self, "proxy", None):
            raise GuardRefused(f"refusing to open a tunnel through a proxy to {self._tunnel_host}; nothing was sent")
        if not self.pinned.same_destination(self._dns_host, self.port):
            raise GuardRefused(f"refusing to connect to {self._dns_host}:{self.port}: the guard pinned this "
                               f"connection to {self.pinned}; nothing was sent")
        return super()._new_conn()


def _pool_classes(pinned: PinnedAddress) -> dict:
    http_conn = type("PinnedHTTPConnection", (_Pinned, HTTPConnection), {"pinned": pinned})
    https_conn = type("PinnedHTTPSConnection", (_Pinned, HTTPSConnection), {"pinned": pinned})
    return {
        "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class PinnedPoolManager(urllib3.PoolManager):
    """A urllib3 PoolManager that reaches only ``pinned`` (no proxy, no redirect, no other address)."""

    def __init__(self, pinned: PinnedAddress, context: ssl.SSLContext | None, server_hostname: str | None, **kw):
        if pinned.scheme == "https":
            kw.update(ssl_context=context, server_hostname=server_hostname,
                      cert_reqs=context.verify_mode if context else ssl.CERT_REQUIRED)
            if context is not None and not context.check_hostname:
                kw["assert_hostname"] = False
        super().__init__(num_pools=2, **kw)
        self.pinned = pinned
        self.pool_classes_by_scheme = _pool_classes(pinned)

    def urlopen(self, method, url, redirect=True, **kw):
        parsed = parse_url(url)
        if (parsed.scheme or "").lower() != self.pinned.scheme or parsed.auth or \
                not self.pinned.same_destination(parsed.host, parsed.port):
            raise GuardRefused(f"refusing a request to {url[:200]}: the guard pinned this connection to "
                               f"{self.pinned.scheme}://{self.pinned}; nothing was sent")
        kw["retries"] = _no_redirects(kw.get("retries"))
        return super().urlopen(method, url, redirect=False, **kw)


def _no_redirects(retries):
    from urllib3.util.retry import Retry

    if retries is None or not isinstance(retries, Retry):
        return Retry(total=retries if isinstance(retries, int) else 3, redirect=0, raise_on_redirect=False)
    return retries.new(redirect=0, raise_on_redirect=False)


def api_client(pinned: PinnedAddress, credentials: Credentials, configuration=None, where: str = "kubeconfig"):
    """A kubernetes ``ApiClient`` whose every request goes through a PinnedPoolManager to ``pinned``.

    ``configuration`` (optional) is a kubernetes ``Configuration`` already
    filled by the kubernetes kubeconfig loader (only when credential plugins
    are allowed); its host and proxy are overwritten here.
    """
    from kubernetes import client

    configuration = configuration or client.Configuration()
    configuration.proxy = None  # the setter also stops re-reading HTTPS_PROXY when the host changes
    configuration.no_proxy = None
    configuration.host = pinned.url
    configuration.verify_ssl = not credentials.insecure
    if credentials.authorization:
        configuration.api_key = {"authorization": credentials.authorization}
        configuration.api_key_prefix = {}
    context = ssl_context(credentials, where) if pinned.scheme == "https" else None
    server_hostname = credentials.tls_server_name or (pinned.host if not _ip_literal(pinned.host) else None)
    api = client.ApiClient(configuration=configuration)
    api.rest_client.pool_manager.clear()
    api.rest_client.pool_manager = PinnedPoolManager(pinned, context, server_hostname)
    return api
