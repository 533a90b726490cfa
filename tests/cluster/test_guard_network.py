"""Every promise of the connection guard, checked where it matters: the connections actually attempted.

A loopback HTTPS server with kind-like certificates stands in for the API
server (the real one is exercised by test_real_server.py). Each case is a
kubeconfig and environment an attacker or an unlucky user could produce; all
run in one child process (tests/cluster/guard_probe.py) whose audit hook
records and blocks every connection outside loopback, under
``strace -f -e trace=connect`` when strace is installed. The figures (inputs
tried, refusals, connections attempted outside loopback: must be 0) are
printed in the test summary.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from podnotes.cluster.controlplane import _write_credentials, _write_kubeconfig

from .conftest import REPORT

PROBE = Path(__file__).with_name("guard_probe.py")
ELSEWHERE = "192.0.2.10"  # TEST-NET-1: stands for "anywhere else"; the probe blocks any attempt to reach it
STRACE_CONNECT = re.compile(r'connect\(\d+, \{sa_family=AF_INET6?, (?:sin6?_port=htons\((\d+)\), )?'
                            r'.*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"https://{ELSEWHERE}/version")
            self.end_headers()
            return
        peer = self.connection.getpeercert()
        authorised = bool(peer) or (self.headers.get("Authorization") or "").startswith("Bearer ")
        body = json.dumps({"gitVersion": "v1.37.2-loopback-stand-in" if authorised else "anonymous",
                           "major": "1", "minor": "37", "buildDate": "2026-01-01T00:00:00Z", "compiler": "gc",
                           "gitCommit": "0", "gitTreeState": "clean", "goVersion": "go1.26",
                           "platform": "linux/amd64"}).encode()
        self.send_response(200 if authorised else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """A TLS server on 127.0.0.1 with kind-like certificates, and a kubeconfig for it (context kind-kind)."""
    folder = tmp_path_factory.mktemp("guard")
    credentials = _write_credentials(folder / "pki")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(credentials.ca_cert))
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_cert_chain(str(credentials.server_cert), str(credentials.server_key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    kubeconfig = folder / "kubeconfig"
    _write_kubeconfig(kubeconfig, "kind-kind", f"https://127.0.0.1:{port}", credentials)
    yield {"folder": folder, "port": port, "kubeconfig": kubeconfig, "config": yaml.safe_load(kubeconfig.read_text()),
           "credentials": credentials}
    server.shutdown()


class _Decoy:
    """A loopback listener that counts connections: a proxy that must never be used."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def _variant(stand_in, tmp: Path, case_id: str, *, server=None, cluster=None, user=None, context=None,
             drop_user_keys=()) -> str:
    config = json.loads(json.dumps(stand_in["config"]))
    if server is not None:
        config["clusters"][0]["cluster"]["server"] = server.replace("PORT", str(stand_in["port"]))
    config["clusters"][0]["cluster"].update(cluster or {})
    for key in drop_user_keys:
        config["users"][0]["user"].pop(key, None)
    config["users"][0]["user"].update(user or {})
    config["contexts"][0]["context"].update(context or {})
    path = tmp / f"{case_id}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


MARKER_SCRIPT = """#!/bin/sh
touch "{marker}"
echo '{{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", \
"status": {{"token": "from-plugin"}}}}'
"""


def build_cases(stand_in, tmp: Path, decoy: _Decoy) -> list[dict]:
    """(id, what must happen) for every input; ``expect`` is refused, bad kubeconfig, connected or any."""
    cases = []

    def add(case_id, expect, **case):
        cases.append({"id": case_id, "expect": expect, **case})

    def server(case_id, url, expect="refused"):
        add(case_id, expect, kubeconfig=_variant(stand_in, tmp, case_id, server=url))

    # The server URL: forms that parsers read differently, and addresses written in unusual ways.
    server("baseline 127.0.0.1", "https://127.0.0.1:PORT", "connected")
    server("localhost pinned to 127.0.0.1", "https://localhost:PORT", "connected")
    server("IPv4-mapped loopback", "https://[::ffff:127.0.0.1]:PORT", "connected")
    server("backslash before @", f"https://{ELSEWHERE}\\@127.0.0.1:PORT")
    server("userinfo", "https://user@127.0.0.1:PORT")
    server("loopback as userinfo", f"https://127.0.0.1:PORT@{ELSEWHERE}")
    server("encoded slash in userinfo", f"https://127.0.0.1%2f@{ELSEWHERE}:PORT")
    server("fragment before @", f"https://{ELSEWHERE}#@127.0.0.1:PORT")
    server("query before @", f"https://{ELSEWHERE}?@127.0.0.1:PORT")
    server("tab in host", "https://127.0.0.1\t:PORT")
    server("IPv4-mapped remote", f"https://[::ffff:{ELSEWHERE}]:PORT")
    server("IPv6 zone", "https://[fe80::1%25lo]:PORT")
    server("decimal IPv4 2130706433", "https://2130706433:PORT")
    server("decimal IPv4 of elsewhere", "https://3221225994:PORT")
    server("octal IPv4", "https://0177.0.0.1:PORT")
    server("hex IPv4", "https://0x7f.0.0.1:PORT")
    server("short IPv4", "https://127.1:PORT")
    server("remote IPv4", f"https://{ELSEWHERE}:PORT")
    server("DNS name localhost.attacker", "https://localhost.attacker.invalid:PORT")
    server("DNS name 127.0.0.1.nip.io", "https://127.0.0.1.nip.io:PORT")
    server("trailing-dot localhost", "https://localhost.:PORT")
    server("upper-case scheme elsewhere", f"HTTPS://{ELSEWHERE}:PORT")
    server("ftp scheme", "ftp://127.0.0.1:PORT")
    server("port out of range", "https://127.0.0.1:65536")
    server("port 0", "https://127.0.0.1:0")
    server("two ports", "https://127.0.0.1:PORT:443")
    server("percent-encoded host", "https://%31%32%37.0.0.1:PORT")
    server("full-width digits", "https://１２７.0.0.1:PORT")
    server("unspecified address", "https://0.0.0.0:PORT")
    server("redirect to elsewhere", "https://127.0.0.1:PORT/redirect", "any")
    server("IPv6 loopback (nothing listens)", "https://[::1]:PORT", "any")
    # Proxies in the kubeconfig and in the environment.
    for scheme, port in (("http", 3128), ("https", 3128), ("socks5", 1080), ("socks5h", 1080)):
        add(f"proxy-url {scheme}", "refused",
            kubeconfig=_variant(stand_in, tmp, f"proxy-{scheme}", cluster={"proxy-url": f"{scheme}://{ELSEWHERE}:{port}"}))
    add("proxy-url on loopback", "refused",
        kubeconfig=_variant(stand_in, tmp, "proxy-loop", cluster={"proxy-url": f"http://127.0.0.1:{decoy.port}"}))
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        for value in (f"http://{ELSEWHERE}:3128", f"socks5://{ELSEWHERE}:1080", f"http://127.0.0.1:{decoy.port}"):
            add(f"{variable}={value}", "connected", kubeconfig=str(stand_in["kubeconfig"]),
                env={variable: value, "NO_PROXY": "", "no_proxy": ""})
    add("every proxy variable at once", "connected", kubeconfig=str(stand_in["kubeconfig"]),
        env={v: f"http://127.0.0.1:{decoy.port}" for v in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")})
    # Programs and identity providers named in the kubeconfig.
    marker = tmp / "plugin-ran"
    plugin = tmp / "plugin.sh"
    plugin.write_text(MARKER_SCRIPT.format(marker=marker))
    plugin.chmod(0o755)
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
                          "interactiveMode": "Never"}}
    add("exec credential plugin", "refused",
        kubeconfig=_variant(stand_in, tmp, "exec", user=exec_user,
                            drop_user_keys=("client-certificate-data", "client-key-data")))
    add("gcp auth-provider cmd-path", "refused", kubeconfig=_variant(stand_in, tmp, "gcp", user={"auth-provider": {
        "name": "gcp", "config": {"cmd-path": str(plugin), "cmd-args": "config config-helper"}}}))
    add("oidc auth-provider refresh", "refused", kubeconfig=_variant(stand_in, tmp, "oidc", user={"auth-provider": {
        "name": "oidc", "config": {"idp-issuer-url": f"https://{ELSEWHERE}/", "refresh-token": "x",
                                   "client-id": "x", "id-token": "x.y.z"}}}))
    add("exec plugin, explicitly allowed", "connected", allow_credential_plugins=True,
        kubeconfig=_variant(stand_in, tmp, "exec-allowed", user=exec_user,
                            drop_user_keys=("client-certificate-data", "client-key-data")))
    # Files the kubeconfig names, other fields, several files.
    fifo = tmp / "fifo"
    os.mkfifo(fifo)
    big = tmp / "big.pem"
    big.write_bytes(b"A" * (5 * 1024 * 1024))
    add("certificate-authority is a FIFO", "bad kubeconfig", kubeconfig=_variant(
        stand_in, tmp, "ca-fifo", cluster={"certificate-authority": str(fifo), "certificate-authority-data": None}))
    add("certificate-authority is /dev/zero", "bad kubeconfig", kubeconfig=_variant(
        stand_in, tmp, "ca-zero", cluster={"certificate-authority": "/dev/zero", "certificate-authority-data": None}))
    add("client-certificate is 5 MB", "bad kubeconfig", kubeconfig=_variant(
        stand_in, tmp, "cert-big", user={"client-certificate": str(big), "client-certificate-data": None}))
    add("tokenFile is a directory", "bad kubeconfig", kubeconfig=_variant(
        stand_in, tmp, "token-dir", user={"tokenFile": str(tmp)}, drop_user_keys=("client-certificate-data",
                                                                                     "client-key-data")))
    add("tls-server-name elsewhere", "any", kubeconfig=_variant(stand_in, tmp, "sni", cluster={
        "tls-server-name": "prod.example.invalid"}))
    add("disable-compression and extensions", "connected", kubeconfig=_variant(
        stand_in, tmp, "extras", cluster={"disable-compression": True, "extensions": [
            {"name": "client.authentication.k8s.io/exec", "extension": {"audience": f"https://{ELSEWHERE}"}}]}))
    add("impersonation", "refused", kubeconfig=_variant(stand_in, tmp, "as", user={"as": "system:admin"}))
    add("unknown cluster field", "bad kubeconfig", kubeconfig=_variant(
        stand_in, tmp, "unknown", cluster={"server-override": f"https://{ELSEWHERE}"}))
    remote = _variant(stand_in, tmp, "remote-first", server=f"https://{ELSEWHERE}:PORT")
    add("KUBECONFIG list, loopback file first", "connected",
        env={"KUBECONFIG": f"{stand_in['kubeconfig']}:{remote}", "PODNOTES_KUBECONFIG": ""})
    add("KUBECONFIG list, remote file first", "refused",
        env={"KUBECONFIG": f"{remote}:{stand_in['kubeconfig']}", "PODNOTES_KUBECONFIG": ""})
    # The command line: apply, its dry run and delete all go through the same guard.
    manifest = tmp / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    bad = _variant(stand_in, tmp, "cli", server=f"https://{ELSEWHERE}\\@127.0.0.1:PORT")
    for verb in (["apply"], ["apply", "--dry-run=server"], ["delete"]):
        # A refused cluster is one this environment cannot use: exit 5, as `podnotes --help` lists it.
        add(f"podnotes {' '.join(verb)}", "exit 5", argv=[*verb, "-f", str(manifest), "--kubeconfig", bad])
    return cases


def _strace_outside(path: Path) -> tuple[int, int]:
    """(connect calls to IP addresses, of which outside loopback) in an strace log."""
    total = outside = 0
    for line in path.read_text().splitlines():
        match = STRACE_CONNECT.search(line)
        if match:
            total += 1
            address = match.group(2) or match.group(3)
            import ipaddress

            if not ipaddress.ip_address(address).is_loopback:
                outside += 1
    return total, outside


def test_no_input_makes_the_guard_connect_outside_loopback_or_run_anything(stand_in, tmp_path):
    decoy = _Decoy()
    try:
        cases = build_cases(stand_in, tmp_path, decoy)
        cases_file = tmp_path / "cases.json"
        cases_file.write_text(json.dumps(cases))
        command = [sys.executable, str(PROBE), str(cases_file)]
        trace = tmp_path / "strace.log"
        strace = shutil.which("strace")
        if strace:
            command = [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace), *command]
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    finally:
        decoy.close()
    (tmp_path / "reports.jsonl").write_text(result.stdout)  # one line per input, kept for reading a failure
    assert result.returncode == 0, result.stderr[-3000:]
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(cases), result.stderr[-3000:]
    outside, runs, failures = [], [], []
    for case, report in zip(cases, reports, strict=True):
        events = report["events"]
        outside += [(case["id"], e) for e in events if e["event"] in ("connect", "lookup") and not e["loopback"]]
        if case["id"] != "exec plugin, explicitly allowed":
            runs += [(case["id"], e) for e in events if e["event"] == "run"]
        if report["outcome"] == "TRACEBACK" or (case["expect"] != "any" and report["outcome"] != case["expect"]):
            failures.append((case["id"], case["expect"], report["outcome"], report["message"][:600]))
    assert not failures, "\n".join(map(str, failures))
    assert not outside, outside
    assert not runs, runs
    assert decoy.accepted == 0, f"the decoy proxy was contacted {decoy.accepted} times"
    assert not (tmp_path / "plugin-ran").exists() or _plugin_ran_only_when_allowed(reports)
    allowed = next(r for r in reports if r["case"] == "exec plugin, explicitly allowed")
    assert any(e["event"] == "run" for e in allowed["events"]), "the allowed plugin ran"
    for report in reports:
        if report["outcome"] in ("refused", "bad kubeconfig"):
            assert "next:" in report["message"] or "Nothing was" in report["message"] or report["message"], report
    traced, traced_outside = _strace_outside(trace) if strace else (0, 0)
    assert traced_outside == 0
    refused = sum(r["outcome"] in ("refused", "bad kubeconfig") or r["outcome"].startswith("exit 5") for r in reports)
    slowest = max(reports, key=lambda r: r["seconds"])
    REPORT["guard"] = (f"{len(cases)} inputs tried, {refused} refused, "
                       f"{sum(r['outcome'] == 'connected' for r in reports)} connected to the pinned loopback "
                       f"address; connections attempted outside loopback: {len(outside)} (audit hook), "
                       f"{traced_outside} of {traced} connect() calls (strace{'' if strace else ': not installed'}); "
                       f"programs run without permission: {len(runs)}; decoy proxy contacted: {decoy.accepted}; "
                       f"slowest input {slowest['seconds']:.2f} s ({slowest['case']})")
    print(REPORT["guard"])


def _plugin_ran_only_when_allowed(reports) -> bool:
    return all(not any(e["event"] == "run" for e in r["events"]) for r in reports
               if r["case"] != "exec plugin, explicitly allowed")


@pytest.mark.cluster
@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (apt-get install strace)")
def test_apply_and_delete_on_the_real_server_connect_only_to_loopback_under_strace(kind_cluster, control_plane,
                                                                                  tmp_path):
    """The whole command, with every proxy variable pointing elsewhere, traced by the kernel's record."""
    from .test_real_server import NGINX

    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": "podnotes-test",
           **{name: f"http://{ELSEWHERE}:3128" for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY")}}
    traced = []
    for verb in (["apply"], ["apply", "--dry-run", "server"], ["delete", "--force"]):
        trace = tmp_path / f"{verb[0]}-{len(traced)}.log"
        result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), sys.executable,
                                 "-m", "podnotes", *verb, "-f", str(NGINX), "-n", kind_cluster.namespace],
                                capture_output=True, text=True, timeout=120, env=env)
        assert "Traceback" not in result.stderr, result.stderr
        traced.append((" ".join(verb), result.returncode, *_strace_outside(trace)))
    assert [code for _, code, _, _ in traced] == [0, 2, 0], traced  # created; "already exists"; deleted
    assert all(total > 0 for _, _, total, _ in traced), traced  # the commands did talk to the server
    assert sum(outside for *_, outside in traced) == 0, traced
    REPORT["guard, real server"] = "; ".join(f"podnotes {verb}: exit {code}, {total} connect() calls, "
                                             f"{outside} outside loopback" for verb, code, total, outside in traced)
    print(REPORT["guard, real server"])
