"""The connection guard: only kind-<name> contexts on loopback servers, checked before any request."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podnotes.cluster import NoKubeconfig, NoSuchContext, UnsafeCluster, choose_context, connect, is_loopback_server


def kubeconfig(context: str, cluster: str, server: str, extra_contexts=()) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": cluster, "cluster": {"server": server}}],
        "users": [{"name": context, "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": context}}, *extra_contexts],
    }


@pytest.mark.parametrize("server", ["https://127.0.0.1:6443", "https://127.0.0.53:1", "https://[::1]:6443",
                                    "https://localhost:38517"])
def test_loopback_servers_are_recognised(server):
    assert is_loopback_server(server)


@pytest.mark.parametrize("server", ["https://prod.example.invalid:6443", "https://10.0.0.1:6443",
                                    "https://127.0.0.1.example.invalid:6443", "https://localhost.example.invalid",
                                    "", "https://[2001:db8::1]:6443", "https://127.0.0.1:65536", "https://127.0.0.1:0",
                                    "https://127.0.0.1:1:2", "https://[::1]x:1", "https://%31%32%37.0.0.1:1",
                                    "https://127.0.0.1.:1", "https://[::]:1", "https://0.0.0.0:1", "https://0:1",
                                    "https://192.0.2.10\\@127.0.0.1:6443", "https://2130706433:6443",
                                    "https://127.1:6443", "https://[::ffff:192.0.2.10]:6443", "https://127.0.0.1:-1",
                                    "https://127.0.0.1:６４４３", "https://１２７.0.0.1:1"])
def test_other_servers_are_not(server):
    assert not is_loopback_server(server)


def test_a_kind_context_on_loopback_is_chosen():
    target = choose_context(kubeconfig("kind-kind", "kind-kind", "https://127.0.0.1:41234"), "kind")
    assert (target.context, target.server, target.guard) == ("kind-kind", "https://127.0.0.1:41234", "kind-loopback")


def test_the_current_context_is_ignored():
    config = kubeconfig("kind-book", "kind-book", "https://127.0.0.1:1")
    config["current-context"] = "prod"
    assert choose_context(config, "book").context == "kind-book"


def test_a_kind_named_context_on_a_remote_server_is_refused():
    config = kubeconfig("kind-kind", "kind-kind", "https://prod.example.invalid:6443")
    with pytest.raises(UnsafeCluster, match="not a loopback address"):
        choose_context(config, "kind")


def test_a_context_whose_cluster_has_another_name_is_refused():
    config = kubeconfig("kind-kind", "production", "https://127.0.0.1:6443")
    with pytest.raises(UnsafeCluster, match="not a kind cluster"):
        choose_context(config, "kind")


def test_another_context_needs_the_loud_override():
    config = kubeconfig("minikube", "minikube", "https://minikube.example.invalid:8443")
    with pytest.raises(UnsafeCluster, match="--allow-non-kind-context"):
        choose_context(config, "kind", context="minikube")
    target = choose_context(config, "kind", context="minikube", allow_non_kind_context=True)
    assert target.guard == "override"


def test_a_missing_context_names_what_exists_and_what_to_run(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig("kind-other", "kind-other", "https://127.0.0.1:1")))
    with pytest.raises(NoSuchContext) as caught:
        connect("kind", kubeconfig=path)
    assert "kind-other" in str(caught.value)
    assert "podnotes kind up" in caught.value.hint


def test_no_kubeconfig_says_what_to_run(tmp_path):
    with pytest.raises(NoKubeconfig) as caught:
        connect("kind", kubeconfig=tmp_path / "absent")
    assert "podnotes kind up" in caught.value.hint


def test_kubeconfig_lists_merge_like_kubectl(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text(yaml.safe_dump(kubeconfig("kind-a", "kind-a", "https://127.0.0.1:1")))
    second.write_text(yaml.safe_dump(kubeconfig("kind-b", "kind-b", "https://127.0.0.1:2")))
    monkeypatch.delenv("PODNOTES_KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    connection = connect("b", check=False)
    assert connection.server == "https://127.0.0.1:2"
    connection.close()


REFUSAL_PROBE = textwrap.dedent("""
    import sys
    attempts = []
    def audit(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
            attempts.append((event, repr(args)))
    sys.addaudithook(audit)
    from podnotes.cluster import UnsafeCluster, connect
    try:
        connect("kind", kubeconfig=sys.argv[1])
    except UnsafeCluster as err:
        print("refused:", err.message)
    else:
        print("CONNECTED")
    print("attempts:", attempts)
""")


def test_a_non_loopback_server_is_refused_without_any_network_call(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig("kind-kind", "kind-kind", "https://prod.example.invalid:6443")))
    result = subprocess.run([sys.executable, "-c", REFUSAL_PROBE, str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout and "prod.example.invalid" in result.stdout
    assert "attempts: []" in result.stdout, "the guard must decide before any name lookup or connection"
    assert "kubernetes" not in result.stderr


URL_PIECES = st.lists(st.sampled_from(["https://", "http://", "127.0.0.1", "localhost", "192.0.2.10", "[::1]",
                                        "[::ffff:192.0.2.10]", ":", "6443", "@", "\\", "/", "#", "?", "%", "%2f",
                                        ".", "0x7f", "0177", "2130706433", "nip.io", " ", "\t", "[", "]", "a",
                                        "１", "user"]), min_size=1, max_size=9).map("".join)


@settings(max_examples=800, deadline=None)
@given(URL_PIECES)
def test_any_server_string_is_pinned_to_loopback_or_refused(server):
    """Whatever the text, the guard either refuses it (UnsafeCluster, BadKubeconfig) or pins a loopback
    address that the HTTP client's own parser (urllib3.util.parse_url) also reads from it."""
    import ipaddress

    from urllib3.util import parse_url

    from podnotes.cluster import BadKubeconfig
    from podnotes.cluster.transport import pin_server

    try:
        pinned = pin_server(server)
    except (UnsafeCluster, BadKubeconfig):
        return
    assert ipaddress.ip_address(pinned.ip).is_loopback
    host = (parse_url(server).host or "").strip("[]").lower()
    assert host == "localhost" or ipaddress.ip_address(host) == ipaddress.ip_address(pinned.ip) or \
        ipaddress.ip_address(host).ipv4_mapped == ipaddress.ip_address(pinned.ip)
