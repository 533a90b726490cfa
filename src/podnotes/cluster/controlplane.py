"""A real Kubernetes API server on this machine, without Docker or kind.

:class:`LocalControlPlane` runs ``etcd`` and ``kube-apiserver`` as child
processes on loopback ports, the way controller-runtime's envtest does: it
makes a certificate authority, a serving certificate for ``127.0.0.1``, an
admin client certificate (group ``system:masters``) and a service-account
key pair, starts both programs, waits until the API server is ready, and
writes a kubeconfig whose context, cluster and user are all named
``kind-<name>``, exactly as kind names them. Code that connects to a kind
cluster therefore runs unchanged, guard included, against this server.

Admission runs as in a cluster made by kubeadm or kind: the default plugins,
ServiceAccount included. That plugin refuses a Pod whose ServiceAccount does
not exist and adds the projected token volume, so the control plane also runs
kube-controller-manager with only the controllers that create each
namespace's ``default`` ServiceAccount and its ``kube-root-ca.crt``
ConfigMap. Where no kube-controller-manager binary sits next to
kube-apiserver (an envtest folder), the plugin is turned off instead and
``admission_note`` says so.

What it does not run: no scheduler, no other controllers, no kubelet. Pods stay
Pending unless someone writes their status (the tests play the kubelet);
a Pod bound to a node waits forever for a kubelet to confirm a graceful
delete; namespaces stay Terminating after deletion.

Run a command against one::

    python -m podnotes.cluster.controlplane -- make book
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from .binaries import Binaries, find_binaries, missing_binaries_reason

# The apiserver needs an advertise address, and auto-detecting one fails on hosts without a default route.
# With --endpoint-reconciler-type=none nothing ever connects to it, so a documentation address (RFC 5737) is safe.
ADVERTISE_ADDRESS = "192.0.2.10"
SERVICE_RANGE = "10.0.0.0/24"
START_TIMEOUT = 90.0


class ControlPlaneError(RuntimeError):
    """The control plane could not start; the message carries the end of the failing program's log."""


@dataclass(frozen=True)
class _Credentials:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    sa_public: Path
    sa_private: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(label: str, process: subprocess.Popen, ready, deadline: float, log_tail,
                     error: type[Exception], interval: float = 0.1) -> None:
    """Poll ``ready()`` until it is true; raise ``error`` with the end of the
    program's log if the program exits first or ``deadline`` passes."""
    while True:
        if process.poll() is not None:
            raise error(f"{label} exited with status {process.returncode}:\n{log_tail(label)}")
        if ready():
            return
        if time.monotonic() > deadline:
            raise error(f"{label} was not ready in time:\n{log_tail(label)}")
        time.sleep(interval)

class LocalControlPlane:
    """etcd + kube-apiserver on loopback, with a kubeconfig for context ``kind-<name>``.

    Use as a context manager; ``stop()`` terminates both processes and removes
    every file it wrote (certificates, etcd data, logs), also after a failed start.
    """

    def __init__(self, name: str = "podnotes", binaries: Binaries | None = None, workdir: Path | None = None):
        self.name = name
        self.context = f"kind-{name}"
        found = binaries or find_binaries()
        if found is None:
            raise ControlPlaneError(missing_binaries_reason())
        self.binaries: Binaries = found
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"podnotes-controlplane-{os.getpid()}-"))
        self.kubeconfig = self.workdir / "kubeconfig"
        self.etcd_port = self.apiserver_port = 0
        self.start_seconds: float | None = None
        self.controller_manager = _sibling(self.binaries.kube_apiserver, "kube-controller-manager")
        self.admission_note = ("default admission plugins" if self.controller_manager else
                               "default admission plugins except ServiceAccount (no kube-controller-manager "
                               "next to kube-apiserver to create the default ServiceAccounts)")
        self._processes: list[tuple[str, subprocess.Popen]] = []

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    # --- lifecycle -------------------------------------------------------------
    def __enter__(self) -> LocalControlPlane:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT) -> LocalControlPlane:
        started = time.perf_counter()
        try:
            credentials = _write_credentials(self.workdir / "pki")
            self._start_etcd(deadline=time.monotonic() + timeout)
            self._start_apiserver(credentials, deadline=time.monotonic() + timeout)
            _write_kubeconfig(self.kubeconfig, self.context, self.server, credentials)
            self._wait_for_default_namespace(deadline=time.monotonic() + 30)
            if self.controller_manager:
                self._start_service_account_controllers(credentials, deadline=time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - started
        return self

    def stop(self, grace: float = 15.0) -> None:
        """Stop the programs one at a time, in the reverse of their start order:
        kube-apiserver first, etcd once it has exited. Sent SIGTERM together,
        kube-apiserver loses etcd while it shuts down, keeps retrying it and
        never exits on its own; it was killed after the whole grace period."""
        for _, process in reversed(self._processes):
            _terminate_and_wait(process, grace)
        self._processes.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def environment(self) -> dict[str, str]:
        """Variables that point podnotes (and kubectl) at this control plane."""
        return {
            "KUBECONFIG": str(self.kubeconfig),
            "PODNOTES_KUBECONFIG": str(self.kubeconfig),
            "PODNOTES_CLUSTER": self.name,
        }

    # --- the two programs --------------------------------------------------------
    def _spawn(self, label: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{label}.log", "wb")  # noqa: SIM115 - kept open while the process runs
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_parent)
        finally:
            log.close()
        self._processes.append((label, process))
        return process

    def _start_etcd(self, deadline: float) -> None:
        self.etcd_port, peer_port = free_port(), free_port()
        client_url, peer_url = f"http://127.0.0.1:{self.etcd_port}", f"http://127.0.0.1:{peer_port}"
        process = self._spawn("etcd", [
            str(self.binaries.etcd),
            "--name=podnotes",
            f"--data-dir={self.workdir / 'etcd-data'}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=podnotes={peer_url}",
            "--unsafe-no-fsync=true",  # test data; saves seconds on slow disks
            "--log-level=warn",
        ])
        self._poll("etcd", process, lambda: _http_ok(f"{client_url}/health"), deadline)

    def _start_apiserver(self, credentials: _Credentials, deadline: float) -> None:
        self.apiserver_port = free_port()
        process = self._spawn("kube-apiserver", [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.apiserver_port}",
            f"--advertise-address={ADVERTISE_ADDRESS}",
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={credentials.server_cert}",
            f"--tls-private-key-file={credentials.server_key}",
            f"--client-ca-file={credentials.ca_cert}",
            # What the API server shows the kubelet when it proxies logs, exec and attach (a local node's
            # kubelet trusts this CA); without it `kubectl logs` and `kubectl exec` are refused as anonymous.
            f"--kubelet-client-certificate={credentials.client_cert}",
            f"--kubelet-client-key={credentials.client_key}",
            # The node's IP, never its name: resolving the name would ask the host's DNS server.
            "--kubelet-preferred-address-types=InternalIP",
            f"--service-cluster-ip-range={SERVICE_RANGE}",
            f"--service-account-issuer=https://127.0.0.1:{self.apiserver_port}/",
            f"--service-account-key-file={credentials.sa_public}",
            f"--service-account-signing-key-file={credentials.sa_private}",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            *([] if self.controller_manager else ["--disable-admission-plugins=ServiceAccount"]),
            f"--cert-dir={self.workdir / 'pki'}",
        ])
        context = ssl.create_default_context(cafile=str(credentials.ca_cert))
        context.load_cert_chain(str(credentials.client_cert), str(credentials.client_key))
        # /readyz answers 403 to anonymous callers until RBAC is bootstrapped, so ask as admin.
        self._poll("kube-apiserver", process, lambda: _http_ok(f"{self.server}/readyz", context), deadline)

    def _start_service_account_controllers(self, credentials: _Credentials, deadline: float) -> None:
        """kube-controller-manager with the two controllers the ServiceAccount admission plugin relies on;
        ready once namespace ``default`` has its ServiceAccount."""
        assert self.controller_manager is not None
        process = self._spawn("kube-controller-manager", [
            str(self.controller_manager),
            f"--kubeconfig={self.kubeconfig}",
            "--controllers=serviceaccount,root-ca-cert-publisher",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            f"--cert-dir={self.workdir / 'controller-manager'}",
            f"--root-ca-file={credentials.ca_cert}",
            f"--service-account-private-key-file={credentials.sa_private}",
            "--use-service-account-credentials=false",
        ])
        context = ssl.create_default_context(cafile=str(credentials.ca_cert))
        context.load_cert_chain(str(credentials.client_cert), str(credentials.client_key))
        url = f"{self.server}/api/v1/namespaces/default/serviceaccounts/default"
        self._poll("kube-controller-manager", process, lambda: _http_ok(url, context), deadline)

    def _wait_for_default_namespace(self, deadline: float) -> None:
        context = ssl.create_default_context(cafile=str(self.workdir / "pki" / "ca.crt"))
        context.load_cert_chain(str(self.workdir / "pki" / "admin.crt"), str(self.workdir / "pki" / "admin.key"))
        url = f"{self.server}/api/v1/namespaces/default"
        self._poll("kube-apiserver", self._processes[-1][1], lambda: _http_ok(url, context), deadline)

    def _poll(self, label: str, process: subprocess.Popen, ready, deadline: float) -> None:
        wait_until_ready(label, process, ready, deadline, self.log_tail, ControlPlaneError)

    def log_tail(self, label: str, lines: int = 25) -> str:
        path = self.workdir / f"{label}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _sibling(program: Path, name: str) -> Path | None:
    candidate = program.with_name(name)
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def _terminate_and_wait(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL if ``process`` has not exited after ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _die_with_parent() -> None:
    """Ask the kernel to stop the child if the process that started it dies (Linux PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


# --- certificates --------------------------------------------------------------------
def _write_credentials(folder: Path) -> _Credentials:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    valid_until = now + dt.timedelta(days=7)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def name(common_name: str, organization: str | None = None):
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        return x509.Name(attributes)

    def certificate(subject, public_key, issuer, signing_key, *, ca=False, usage=None, sans=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(valid_until)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        if usage:
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    def write(path: Path, data: bytes) -> Path:
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    def pem_key(private_key) -> bytes:
        return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())

    def pem_cert(cert) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    ca_key = key()
    ca_name = name("podnotes-local-ca", "podnotes")
    ca = certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)

    server_key = key()
    server = certificate(name("localhost"), server_key.public_key(), ca_name, ca_key,
                         usage=ExtendedKeyUsageOID.SERVER_AUTH,
                         sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    client_key = key()
    client = certificate(name("podnotes-admin", "system:masters"), client_key.public_key(), ca_name, ca_key,
                         usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    sa_key = key()
    # Kept so a local node (podnotes.node) can sign its kubelet's and controllers' client certificates.
    write(folder / "ca.key", pem_key(ca_key))
    return _Credentials(
        ca_cert=write(folder / "ca.crt", pem_cert(ca)),
        server_cert=write(folder / "apiserver.crt", pem_cert(server)),
        server_key=write(folder / "apiserver.key", pem_key(server_key)),
        client_cert=write(folder / "admin.crt", pem_cert(client)),
        client_key=write(folder / "admin.key", pem_key(client_key)),
        sa_public=write(folder / "sa.pub", sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)),
        sa_private=write(folder / "sa.key", pem_key(sa_key)),
    )


def _write_kubeconfig(path: Path, context: str, server: str, credentials: _Credentials) -> None:
    import base64

    def b64(file: Path) -> str:
        return base64.b64encode(file.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server,
                                                   "certificate-authority-data": b64(credentials.ca_cert)}}],
        "users": [{"name": context, "user": {"client-certificate-data": b64(credentials.client_cert),
                                             "client-key-data": b64(credentials.client_key)}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


# --- command line: run a command against a fresh control plane -----------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m podnotes.cluster.controlplane",
        description="Start etcd + kube-apiserver on loopback, run COMMAND with KUBECONFIG and PODNOTES_KUBECONFIG "
                    "pointing at it, then stop it.")
    parser.add_argument("--name", default="podnotes", help="cluster name; the context is kind-NAME")
    parser.add_argument("--optional", action="store_true",
                        help="if no binaries are found, run COMMAND without a control plane instead of failing")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    if find_binaries() is None:
        if not args.optional:
            print(f"controlplane: {missing_binaries_reason()}", file=sys.stderr)
            return 2
        print(f"controlplane: {missing_binaries_reason()}; running without one", file=sys.stderr)
        return subprocess.call(command)
    plane = LocalControlPlane(args.name)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        plane.start()
        print(f"controlplane: {plane.server} ready in {plane.start_seconds:.1f} s ({plane.binaries.source})",
              file=sys.stderr)
        return subprocess.call(command, env={**os.environ, **plane.environment()})
    except ControlPlaneError as err:
        print(f"controlplane: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        plane.stop()


if __name__ == "__main__":
    sys.exit(main())
