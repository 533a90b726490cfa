"""Container images without a registry: build OCI image archives from local files.

A node with no registry in reach can still run the book's manifests unchanged when the images they name
(``registry.k8s.io/busybox:1.27.2`` and friends) are already in the container runtime's image store. This
module writes such images: one uncompressed layer made of Debian's static busybox (plus a few scripts),
an image config, a manifest, and the OCI image layout around them, packed in a tar archive that
``ctr -n k8s.io images import`` reads. Every byte is deterministic, so the same inputs give the same digests.

The images are stand-ins that behave like the originals in the ways the book relies on:

* ``busybox``: a shell and the usual tools;
* ``pause``: a program that holds a Pod's namespaces and reaps orphans (built from ``tools/node/pause``);
* ``agnhost``: ``liveness`` is an HTTP server on port 8080 whose ``/healthz`` answers 200 for the first
  ``HEALTHZ_FAIL_AFTER`` seconds (10 by default, as the real agnhost) and 500 after that; ``netexec`` keeps
  ``/healthz`` healthy, after an optional ``HEALTHZ_START_DELAY``; both exit with status 2 on SIGTERM;
* ``goproxy``: a TCP server on port 8080 that stays up.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}

BUSYBOX_NAMES = ("registry.k8s.io/busybox:1.27.2", "docker.io/library/busybox:latest",
                 "docker.io/library/busybox:1.36")
PAUSE_NAMES = ("registry.k8s.io/pause:3.10",)
AGNHOST_NAMES = ("registry.k8s.io/e2e-test-images/agnhost:2.40",)
GOPROXY_NAMES = ("registry.k8s.io/goproxy:0.1",)

MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

AGNHOST_SCRIPT = r"""#!/bin/sh
# Stand-in for the agnhost test image: the subcommands the book's manifests use. Like the Go original it
# exits with status 2 on SIGTERM (as PID 1 a shell only gets SIGTERM because it installs this trap).
serve() {  # serve PORT: answer HTTP on PORT until SIGTERM
    nc -ll -p "$1" -e /usr/lib/agnhost/healthz &
    server=$!
    trap 'kill $server 2>/dev/null; exit 2' TERM INT
    wait $server
}
case "$1" in
liveness)
    # Like agnhost liveness: /healthz is healthy for HEALTHZ_FAIL_AFTER seconds (10), then answers 500.
    cut -d' ' -f1 /proc/uptime > /tmp/started
    serve 8080
    ;;
netexec)
    # /healthz always healthy (HEALTHZ_FAIL_AFTER unset means never failing); --http-port=N picks the port.
    # HEALTHZ_START_DELAY (stand-in only) keeps the port closed that many seconds, for slow-start examples.
    port=8080
    for arg in "$@"; do case "$arg" in --http-port=*) port=${arg#--http-port=} ;; esac; done
    trap 'exit 2' TERM INT
    sleep "${HEALTHZ_START_DELAY:-0}" & wait $!
    cut -d' ' -f1 /proc/uptime > /tmp/started
    HEALTHZ_FAIL_AFTER=${HEALTHZ_FAIL_AFTER:-never} serve "$port"
    ;;
pause)
    exec /pause
    ;;
*)
    echo "agnhost stand-in: unknown subcommand '$1' (known: liveness, netexec, pause)" >&2
    exit 2
    ;;
esac
"""

HEALTHZ_HANDLER = r"""#!/bin/sh
# Answers one HTTP request on stdin/stdout (run by nc for every connection).
read -r method target version
cr=$(printf '\r')
while read -r header; do
    case "$header" in ""|"$cr") break ;; esac
done
reply() {
    printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
        "$1" "${#2}" "$2"
}
case "$target" in
/healthz)
    started=$(cat /tmp/started)
    now=$(cut -d' ' -f1 /proc/uptime)
    limit=${HEALTHZ_FAIL_AFTER:-10}
    if [ "$limit" != never ] && awk -v s="$started" -v n="$now" -v l="$limit" 'BEGIN { exit !(n - s > l) }'; then
        reply "500 Internal Server Error" "error: unhealthy after ${HEALTHZ_FAIL_AFTER:-10} seconds"
    else
        reply "200 OK" "ok"
    fi
    ;;
*)
    reply "404 Not Found" "not found"
    ;;
esac
"""

GOPROXY_SCRIPT = r"""#!/bin/sh
# Stand-in for the goproxy image: a TCP server on port 8080 that stays up; exits with status 2 on SIGTERM,
# as the Go original does when it runs as PID 1.
nc -ll -p 8080 -e /bin/cat &
server=$!
trap 'kill $server 2>/dev/null; exit 2' TERM INT
wait $server
"""

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


class ImageError(RuntimeError):
    """An image cannot be built or imported; the message says which and why."""


@dataclass(frozen=True)
class LayerEntry:
    """One entry of an image layer: a regular file (``data``), a symlink (``target``) or a directory."""

    path: str
    data: bytes | None = None
    target: str | None = None
    mode: int = 0o755


@dataclass(frozen=True)
class ImageSpec:
    """What goes into one image: its names, the files of its single layer and its run settings."""

    names: tuple[str, ...]
    entries: tuple[LayerEntry, ...]
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = (DEFAULT_PATH,)
    working_dir: str = "/"
    exposed_ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltImage:
    names: tuple[str, ...]
    manifest_digest: str
    layer_digest: str
    archive: Path


@dataclass
class _Blobs:
    contents: dict[str, bytes] = field(default_factory=dict)

    def add(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.contents[digest] = data
        return digest


def architecture() -> str:
    import platform

    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise ImageError(f"no OCI architecture known for machine type {machine!r}")
    return ARCHITECTURES[machine]


# --- the images ---------------------------------------------------------------------------------------------
def busybox_entries(busybox: Path = BUSYBOX) -> tuple[LayerEntry, ...]:
    """busybox at /bin/busybox, a symlink for every applet, and the directories a shell expects."""
    if not busybox.is_file():
        raise ImageError(f"{busybox} not found: install Debian's busybox-static package")
    applets = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True, check=True)
    entries = [LayerEntry(d, mode=0o755) for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root")]
    entries += [LayerEntry("tmp", mode=0o1777), LayerEntry("bin/busybox", data=busybox.read_bytes())]
    entries += [LayerEntry("etc/passwd", data=PASSWD.encode(), mode=0o644),
                LayerEntry("etc/group", data=GROUP.encode(), mode=0o644)]
    for applet in sorted(set(applets.stdout.split())):
        if applet != "bin/busybox":
            entries.append(LayerEntry(applet, target="/bin/busybox"))
    return tuple(entries)


def busybox_image(busybox: Path = BUSYBOX, names: tuple[str, ...] = BUSYBOX_NAMES) -> ImageSpec:
    return ImageSpec(names=names, entries=busybox_entries(busybox), cmd=("sh",))


def pause_image(pause: Path, names: tuple[str, ...] = PAUSE_NAMES) -> ImageSpec:
    if not pause.is_file():
        raise ImageError(f"{pause} not found: build it from tools/node/pause first")
    return ImageSpec(names=names, entries=(LayerEntry("pause", data=pause.read_bytes()),),
                     entrypoint=("/pause",), env=(DEFAULT_PATH,))


def agnhost_image(pause: Path, busybox: Path = BUSYBOX, names: tuple[str, ...] = AGNHOST_NAMES) -> ImageSpec:
    scripts = (LayerEntry("usr/lib", mode=0o755), LayerEntry("usr/lib/agnhost", mode=0o755),
               LayerEntry("agnhost", data=AGNHOST_SCRIPT.encode()),
               LayerEntry("usr/lib/agnhost/healthz", data=HEALTHZ_HANDLER.encode()),
               LayerEntry("pause", data=pause.read_bytes()))
    return ImageSpec(names=names, entries=busybox_entries(busybox) + scripts, entrypoint=("/agnhost",),
                     exposed_ports=("8080/tcp",))


def goproxy_image(busybox: Path = BUSYBOX, names: tuple[str, ...] = GOPROXY_NAMES) -> ImageSpec:
    script = LayerEntry("goproxy", data=GOPROXY_SCRIPT.encode())
    return ImageSpec(names=names, entries=busybox_entries(busybox) + (script,), entrypoint=("/goproxy",),
                     exposed_ports=("8080/tcp",))


def standard_images(pause: Path, busybox: Path = BUSYBOX) -> list[ImageSpec]:
    """The images the book's manifests name, in the order a node needs them (pause first)."""
    return [pause_image(pause), busybox_image(busybox), agnhost_image(pause, busybox), goproxy_image(busybox)]


# --- OCI layout ---------------------------------------------------------------------------------------------
def layer_tar(entries: tuple[LayerEntry, ...]) -> bytes:
    """An uncompressed, reproducible tar of the entries (owner root, time 0, sorted by path)."""
    buffer = io.BytesIO()
    seen: set[str] = set()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(entries, key=lambda e: e.path):
            path = entry.path.strip("/")
            if not path or path in seen:
                raise ImageError(f"layer entry {entry.path!r} is empty or given twice")
            seen.add(path)
            info = tarfile.TarInfo(path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            info.mode = entry.mode
            if entry.data is not None:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
                continue
            if entry.target is not None:
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.target, 0o777
            else:
                info.type = tarfile.DIRTYPE
            tar.addfile(info)
    return buffer.getvalue()


def image_config(spec: ImageSpec, layer: bytes, arch: str) -> dict:
    config: dict = {"Env": list(spec.env), "WorkingDir": spec.working_dir}
    if spec.entrypoint:
        config["Entrypoint"] = list(spec.entrypoint)
    if spec.cmd:
        config["Cmd"] = list(spec.cmd)
    if spec.exposed_ports:
        config["ExposedPorts"] = {port: {} for port in spec.exposed_ports}
    return {
        "created": "1970-01-01T00:00:00Z",
        "architecture": arch,
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "podnotes.images"}],
    }


def _json(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def write_archive(spec: ImageSpec, archive: Path, arch: str | None = None) -> BuiltImage:
    """Write ``spec`` as an OCI image layout tar at ``archive``; one index entry per name."""
    if not spec.names:
        raise ImageError("an image needs at least one name")
    arch = arch or architecture()
    blobs = _Blobs()
    layer = layer_tar(spec.entries)
    layer_digest = blobs.add(layer)
    config = _json(image_config(spec, layer, arch))
    config_digest = blobs.add(config)
    manifest = _json({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": MEDIA_LAYER, "digest": layer_digest, "size": len(layer)}],
    })
    manifest_digest = blobs.add(manifest)
    index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": [
        {"mediaType": MEDIA_MANIFEST, "digest": manifest_digest, "size": len(manifest),
         "platform": {"architecture": arch, "os": "linux"},
         "annotations": {"io.containerd.image.name": name,
                         "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}
        for name in spec.names]}
    files = {"oci-layout": _json({"imageLayoutVersion": "1.0.0"}), "index.json": _json(index)}
    files.update({f"blobs/sha256/{digest.split(':', 1)[1]}": data for digest, data in blobs.contents.items()})
    archive.parent.mkdir(parents=True, exist_ok=True)
    temporary = archive.with_name(archive.name + ".partial")
    with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    temporary.replace(archive)
    return BuiltImage(spec.names, manifest_digest, layer_digest, archive)


def import_archive(archive: Path, address: str, namespace: str = "k8s.io", ctr: str = "ctr") -> list[str]:
    """Import an archive into the containerd at ``address``; returns the archive's image names (its
    ``index.json`` annotations ``io.containerd.image.name``) that containerd then lists. Read back rather than
    from ``ctr``'s output: containerd 2's ``ctr`` prints a progress display that shortens long names."""
    command = [ctr, "--address", address, "-n", namespace, "images", "import", str(archive)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ImageError(f"importing {archive} into {address} failed: {result.stderr.strip() or result.stdout}")
    listed = set(list_images(address, namespace, ctr))
    return [name for name in archive_names(archive) if name in listed]


def archive_names(archive: Path) -> list[str]:
    """The image names an OCI archive's ``index.json`` gives its manifests (``io.containerd.image.name``)."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("index.json")
        if member is None:
            raise ImageError(f"{archive}: no index.json")
        index = json.load(member)
    return [manifest.get("annotations", {}).get("io.containerd.image.name") for manifest in index.get("manifests", [])
            if manifest.get("annotations", {}).get("io.containerd.image.name")]


def list_images(address: str, namespace: str = "k8s.io", ctr: str = "ctr") -> list[str]:
    result = subprocess.run([ctr, "--address", address, "-n", namespace, "images", "list", "-q"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ImageError(f"listing images at {address} failed: {result.stderr.strip()}")
    return [line for line in result.stdout.splitlines() if line and not line.startswith("sha256:")]
