"""The OCI image writer: reproducible archives that containerd imports and runs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from podnotes import images
from podnotes.images import ImageError, ImageSpec, LayerEntry

from .support import skip_or_fail

HAVE_BUSYBOX = images.BUSYBOX.is_file()
needs_busybox = pytest.mark.skipif(not HAVE_BUSYBOX, reason="Debian's busybox-static is not installed")


def small_image(names=("example.invalid/tool:1",)) -> ImageSpec:
    return ImageSpec(names=names, entries=(
        LayerEntry("bin", mode=0o755),
        LayerEntry("bin/tool", data=b"#!/bin/sh\necho hi\n"),
        LayerEntry("bin/alias", target="/bin/tool"),
    ), entrypoint=("/bin/tool",), exposed_ports=("8080/tcp",))


def read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()}


def test_layer_is_reproducible_and_owned_by_root():
    first = images.layer_tar(small_image().entries)
    assert first == images.layer_tar(tuple(reversed(small_image().entries)))
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["bin", "bin/alias", "bin/tool"]
    assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 for m in members)
    assert members[1].issym() and members[1].linkname == "/bin/tool"
    assert members[2].mode == 0o755


def test_duplicate_paths_are_refused():
    entries = (LayerEntry("bin/tool", data=b"a"), LayerEntry("/bin/tool", data=b"b"))
    with pytest.raises(ImageError, match="given twice"):
        images.layer_tar(entries)


def test_archive_is_a_valid_oci_layout(tmp_path):
    built = images.write_archive(small_image(("example.invalid/tool:1", "example.invalid/tool:latest")),
                                 tmp_path / "tool.tar", arch="amd64")
    files = read_archive(built.archive)
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    for name, data in files.items():  # every blob is stored under its own digest
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1]
    index = json.loads(files["index.json"])
    names = [m["annotations"]["io.containerd.image.name"] for m in index["manifests"]]
    assert names == ["example.invalid/tool:1", "example.invalid/tool:latest"]
    assert {m["digest"] for m in index["manifests"]} == {built.manifest_digest}
    manifest = json.loads(files["blobs/sha256/" + built.manifest_digest.split(":")[1]])
    config = json.loads(files["blobs/sha256/" + manifest["config"]["digest"].split(":")[1]])
    layer = files["blobs/sha256/" + manifest["layers"][0]["digest"].split(":")[1]]
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]
    assert config["config"]["Entrypoint"] == ["/bin/tool"]
    assert config["config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert (config["os"], config["architecture"]) == ("linux", "amd64")


def test_same_input_same_digest(tmp_path):
    first = images.write_archive(small_image(), tmp_path / "a.tar", arch="amd64")
    second = images.write_archive(small_image(), tmp_path / "b.tar", arch="amd64")
    assert first.manifest_digest == second.manifest_digest
    assert first.archive.read_bytes() == second.archive.read_bytes()


def test_missing_inputs_are_named(tmp_path):
    with pytest.raises(ImageError, match="busybox-static"):
        images.busybox_entries(tmp_path / "no-busybox")
    with pytest.raises(ImageError, match="tools/node/pause"):
        images.pause_image(tmp_path / "no-pause")
    with pytest.raises(ImageError, match="at least one name"):
        images.write_archive(ImageSpec(names=(), entries=()), tmp_path / "x.tar")


@needs_busybox
def test_busybox_image_has_a_shell_and_applets():
    entries = {entry.path: entry for entry in images.busybox_entries()}
    assert entries["bin/busybox"].data == images.BUSYBOX.read_bytes()
    assert entries["bin/sh"].target == "/bin/busybox"
    assert "usr/bin/wget" in entries and "bin/sleep" in entries
    assert entries["tmp"].mode == 0o1777


@needs_busybox
def test_healthz_handler_follows_the_schedule(tmp_path):
    """The agnhost stand-in's handler, run directly: 200 before HEALTHZ_FAIL_AFTER, 500 after, 404 elsewhere."""
    handler = tmp_path / "healthz"
    # The handler reads its start time from /tmp/started inside the container; point it at a private file.
    handler.write_text(images.HEALTHZ_HANDLER.replace("/tmp/started", str(tmp_path / "started")))
    uptime = float(Path("/proc/uptime").read_text().split()[0])

    def ask(path: str, started: float, fail_after: str = "10") -> str:
        (tmp_path / "started").write_text(f"{started:.2f}\n")
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        result = subprocess.run([str(images.BUSYBOX), "sh", str(handler)], input=request, capture_output=True,
                                timeout=10, env={"HEALTHZ_FAIL_AFTER": fail_after, "PATH": "/usr/bin:/bin"})
        return result.stdout.decode()  # bytes: the reply's CRLF line ends must survive

    assert ask("/healthz", started=uptime).startswith("HTTP/1.1 200 OK")
    assert ask("/healthz", started=uptime - 11).startswith("HTTP/1.1 500 ")
    assert ask("/healthz", started=uptime - 3, fail_after="2").startswith("HTTP/1.1 500 ")
    assert ask("/other", started=uptime).startswith("HTTP/1.1 404 ")
    reply = ask("/healthz", started=uptime)
    assert "\r\nContent-Length: 2\r\n" in reply and reply.endswith("\r\n\r\nok")


# --- with a real containerd ---------------------------------------------------------------------------------
@pytest.fixture
def private_containerd(tmp_path_factory):
    from podnotes.node.binaries import find_node_binaries, pause_binary
    from podnotes.node.host import (
        HostSnapshot,
        leftovers,
        mounts_under,
        processes_mentioning,
        restore_paths,
        unmount_under,
    )
    from podnotes.node.runtime import ContainerdLayout, PodNetwork, force_remove_everything, write_containerd_files

    found = find_node_binaries()
    if os.geteuid() != 0 or found is None or not HAVE_BUSYBOX or not shutil.which("go"):
        skip_or_fail("needs root, containerd and runc (tools/k8s-binaries/build.sh), busybox-static and go")
    folder = tmp_path_factory.mktemp("ctd")
    snapshot = HostSnapshot.take()  # runc keeps state in /run/containerd whatever containerd's root is
    layout = ContainerdLayout(folder / "c", found.folder)
    write_containerd_files(layout, PodNetwork(bridge="pnimgtest0", subnet="10.218.0.0/24"))
    log = open(folder / "containerd.log", "wb")  # noqa: SIM115 - kept open while the process runs
    process = subprocess.Popen([str(found.containerd), "--config", str(layout.config)], stdout=log, stderr=log,
                               start_new_session=True, env=layout.environment())
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(found.ctr), "--address", str(layout.socket), "version"],
                             capture_output=True).returncode:
            assert process.poll() is None and time.monotonic() < deadline, (folder / "containerd.log").read_text()
            time.sleep(0.2)
        yield layout, pause_binary(), folder
    finally:
        force_remove_everything(layout)
        process.terminate()
        process.wait(timeout=30)
        log.close()
        unmount_under(str(folder))
        restore_paths(snapshot)
        assert mounts_under(str(folder)) == []
        assert leftovers(snapshot, workdir=folder / "removed", cgroup_name="podnotes-none", bridge="pnimgtest0") == []
        assert [pid for pid, _ in processes_mentioning(str(folder))] == []


@pytest.mark.node
def test_images_import_and_run_in_containerd(private_containerd):
    layout, pause, folder = private_containerd
    from podnotes.node.runtime import ctr

    imported = []
    for spec in images.standard_images(pause):
        built = images.write_archive(spec, folder / "archives" / f"{len(imported)}.tar")
        imported += images.import_archive(built.archive, str(layout.socket), ctr=str(layout.ctr_program))
    listed = images.list_images(str(layout.socket), ctr=str(layout.ctr_program))
    for name in images.PAUSE_NAMES + images.BUSYBOX_NAMES + images.AGNHOST_NAMES + images.GOPROXY_NAMES:
        assert name in imported and name in listed

    output = ctr(layout, "run", "--rm", images.BUSYBOX_NAMES[0], "podnotes-img-bb", "sh", "-c", "echo hello; id -u")
    assert output.split() == ["hello", "0"]

    # The agnhost stand-in: healthy for one second, then failing, checked from inside its own container.
    ctr(layout, "run", "-d", "--env", "HEALTHZ_FAIL_AFTER=1", images.AGNHOST_NAMES[0], "podnotes-img-agn",
        "/agnhost", "liveness")
    try:
        script = ("ip link set lo up; sleep 0.3; wget -q -O- http://127.0.0.1:8080/healthz; echo; sleep 1.5; "
                  "wget -q -O- http://127.0.0.1:8080/healthz || echo failed")
        output = ctr(layout, "tasks", "exec", "--exec-id", "probe", "podnotes-img-agn", "sh", "-c", script)
        assert output.split() == ["ok", "failed"]
    finally:
        ctr(layout, "tasks", "kill", "--signal", "SIGKILL", "podnotes-img-agn", check=False)



def test_an_archive_names_its_images_in_its_index(tmp_path):
    built = images.write_archive(small_image(("example.invalid/tool:1", "example.invalid/a-long-name/tool:2")),
                                 tmp_path / "tool.tar")
    assert images.archive_names(built.archive) == ["example.invalid/tool:1", "example.invalid/a-long-name/tool:2"]
