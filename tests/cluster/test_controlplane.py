"""The local control plane leaves nothing behind, also when it fails to start or is interrupted."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pytest

from podnotes.cluster.binaries import Binaries, find_binaries
from podnotes.cluster.controlplane import ControlPlaneError, LocalControlPlane
from podnotes.cluster.watching import Progress


@pytest.fixture
def control_plane_binaries():
    found = find_binaries()
    if found is None:
        pytest.skip("no kube-apiserver and etcd binaries")
    return found


def running(process_ids) -> list[int]:
    return [pid for pid in process_ids if os.path.exists(f"/proc/{pid}") and
            open(f"/proc/{pid}/stat").read().split()[2] != "Z"]


@pytest.mark.cluster
def test_a_failed_start_stops_etcd_and_removes_its_files(tmp_path):
    found = find_binaries()
    if found is None:
        pytest.skip("no etcd binary")
    broken = tmp_path / "kube-apiserver"
    broken.write_text("#!/bin/sh\necho 'flag provided but not defined' >&2\nexit 3\n")
    broken.chmod(0o755)
    plane = LocalControlPlane("broken", Binaries(broken, found.etcd, "test"))
    with pytest.raises(ControlPlaneError, match="exited with status 3") as caught:
        plane.start(timeout=30)
    assert "flag provided but not defined" in str(caught.value), "the error shows the end of the log"
    assert not plane.workdir.exists()
    assert plane._processes == []


@pytest.mark.cluster
def test_the_runner_stops_everything_when_interrupted(tmp_path):
    if find_binaries() is None:
        pytest.skip("no binaries")
    marker = tmp_path / "pids"
    probe = (f"import os, time; open({str(marker)!r}, 'w').write(os.environ['KUBECONFIG']); time.sleep(120)")
    runner = subprocess.Popen([sys.executable, "-m", "podnotes.cluster.controlplane", "--", sys.executable, "-c",
                               probe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import time

        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline and runner.poll() is None, runner.stderr.read()
            time.sleep(0.2)
        kubeconfig = marker.read_text()
        workdir = os.path.dirname(kubeconfig)
        children = subprocess.run(["pgrep", "-P", str(runner.pid)], capture_output=True, text=True).stdout.split()
        runner.send_signal(subprocess.signal.SIGINT)
        runner.wait(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert not os.path.exists(workdir), "certificates, etcd data and logs are removed"
    time.sleep(0.5)
    assert running([int(pid) for pid in children]) == [], "etcd and kube-apiserver are stopped"


def test_progress_rewrites_one_line_in_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress("pod/web", stream)
    progress.update("Pending")
    progress.done("Ready after 2.0 s")
    assert stream.getvalue() == "\r\x1b[Kpod/web: Pending\r\x1b[Kpod/web: Ready after 2.0 s\n"


def test_progress_prints_only_the_result_in_a_log():
    stream = io.StringIO()
    progress = Progress("pod/web", stream)
    progress.update("Pending")
    progress.done("Ready after 2.0 s")
    assert stream.getvalue() == "pod/web: Ready after 2.0 s\n"


def test_cli_without_kubeconfig_says_what_to_run(tmp_path):
    manifest = tmp_path / "x.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    result = subprocess.run([sys.executable, "-m", "podnotes", "apply", "-f", str(manifest), "--kubeconfig",
                             str(tmp_path / "missing")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 5, "the environment cannot do it"
    assert "no kubeconfig found" in result.stderr and "next: create a cluster with `podnotes kind up`" in result.stderr
    assert "Traceback" not in result.stderr


def test_waiting_for_a_program_that_exits_names_it_and_shows_its_log():
    import subprocess
    import sys
    import time

    import pytest

    from podnotes.cluster.controlplane import wait_until_ready

    class Failed(Exception):
        pass

    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    exited.wait()
    with pytest.raises(Failed, match=r"etcd exited with status 3:\nlast log line"):
        wait_until_ready("etcd", exited, lambda: False, time.monotonic() + 5, lambda label: "last log line", Failed)

    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(Failed, match="kubelet was not ready in time"):
            wait_until_ready("kubelet", running, lambda: False, time.monotonic() + 0.3, lambda label: "", Failed)
        calls = iter([False, False, True])
        wait_until_ready("kubelet", running, lambda: next(calls), time.monotonic() + 5, lambda label: "", Failed,
                         interval=0.01)
    finally:
        running.kill()
        running.wait()


def test_stop_ends_the_api_server_before_etcd(tmp_path):
    # Stand-ins with the real dependency: the "API server" exits on SIGTERM only
    # while "etcd" still answers (here: still runs); otherwise it hangs, as
    # kube-apiserver does when etcd goes away during its shutdown.
    log = tmp_path / "order"
    etcd = subprocess.Popen([sys.executable, "-c", (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGTERM, lambda *_: (open({str(log)!r}, 'a').write('etcd\\n'), sys.exit(0)))\n"
        "time.sleep(60)\n")])
    apiserver = subprocess.Popen([sys.executable, "-c", (
        "import os, signal, sys, time\n"
        "def stop(*_):\n"
        f"    if os.path.exists('/proc/{etcd.pid}') and open('/proc/{etcd.pid}/stat').read().split()[2] != 'Z':\n"
        f"        open({str(log)!r}, 'a').write('apiserver\\n')\n"
        "        sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    apiserver.stdout.readline()
    plane = LocalControlPlane.__new__(LocalControlPlane)
    plane._processes, plane._own_workdir = [("etcd", etcd), ("kube-apiserver", apiserver)], False
    plane.stop(grace=10)
    assert log.read_text().split() == ["apiserver", "etcd"]
    assert (apiserver.returncode, etcd.returncode) == (0, 0), "both exited on SIGTERM, none was killed"


@pytest.mark.cluster
def test_a_real_control_plane_stops_without_being_killed(control_plane_binaries):
    plane = LocalControlPlane("stopping", control_plane_binaries).start()
    processes = [process for _, process in plane._processes]
    plane.stop()
    # kube-apiserver ends with status 0 once it has drained; etcd shuts down and
    # then ends by the SIGTERM it was sent (-15). SIGKILL (-9) would mean the
    # grace period ran out.
    etcd, apiserver, *controllers = processes
    assert apiserver.returncode == 0
    assert etcd.returncode in (0, -signal.SIGTERM)
    assert [c.returncode in (0, -signal.SIGTERM) for c in controllers] == [True] * len(controllers)


@pytest.mark.cluster
def test_the_service_account_admission_plugin_runs_as_in_a_cluster(control_plane_binaries, tmp_path):
    """kubeadm and kind clusters run the ServiceAccount admission plugin: a Pod in a namespace gets the
    namespace's default ServiceAccount and the projected token volume kube-api-access-*, and a Pod that
    projects its own token is accepted (plugin/pkg/admission/serviceaccount/admission.go)."""
    import json
    import ssl
    import urllib.request

    if control_plane_binaries.kube_apiserver.with_name("kube-controller-manager").exists() is False:
        pytest.skip("no kube-controller-manager next to kube-apiserver: the plugin is off, and the plane says so")
    with LocalControlPlane("admission", control_plane_binaries) as plane:
        assert plane.admission_note == "default admission plugins"
        pki = plane.workdir / "pki"
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "token"},
               "spec": {"containers": [{"name": "app", "image": "busybox:1.36", "volumeMounts": [
                   {"name": "token", "mountPath": "/var/run/token"}]}],
                        "volumes": [{"name": "token", "projected": {"sources": [
                            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600,
                                                     "audience": "vault"}}]}}]}}
        request = urllib.request.Request(
            f"{plane.server}/api/v1/namespaces/default/pods?dryRun=All&fieldValidation=Strict",
            data=json.dumps(pod).encode(), headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            created = json.load(answer)
    assert created["spec"]["serviceAccountName"] == "default"
    volumes = [volume["name"] for volume in created["spec"]["volumes"]]
    assert "token" in volumes and any(name.startswith("kube-api-access-") for name in volumes)
