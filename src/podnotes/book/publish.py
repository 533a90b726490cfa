"""Package the built site as one versioned tarball with a SHA-256 checksum, ready
to copy to a workshop machine or to unpack on any static web host.

    python -m podnotes.book.publish --site _build/html --out _build

The archive holds one folder, ``podnotes-site-<version>/``, with ``index.html``
at its top. Names are sorted and owners cleared, so the same site gives the
same listing on every machine.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from podnotes import __version__
from podnotes.book.site import site_files

ARCHIVE_PREFIX = "podnotes-site"


class PublishError(Exception):
    """The site cannot be packaged as asked."""


@dataclass(frozen=True)
class SiteArchive:
    path: Path
    checksum_path: Path
    sha256: str
    files: int


def describe_checkout(repo: Path) -> str | None:
    """``git describe`` of the checkout (tag, commits since, short hash, ``-dirty``),
    or None outside a git checkout or without git."""
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), "describe", "--tags", "--always", "--dirty"],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def site_version(package_version: str, described: str | None) -> str:
    """The package version, followed by the checkout's description unless that
    is exactly the release tag of this version."""
    if not described or described.lstrip("v") == package_version:
        return package_version
    return f"{package_version}-{described}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_site(site_dir: Path, out_dir: Path, version: str) -> SiteArchive:
    """Write ``<out_dir>/podnotes-site-<version>.tar.gz`` and its ``.sha256`` file
    (``sha256sum -c`` format)."""
    if not (site_dir / "index.html").is_file():
        raise PublishError(f"{site_dir}: no index.html; build the site first with `make book`")
    name = f"{ARCHIVE_PREFIX}-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.tar.gz"
    partial = path.with_name(path.name + ".partial")
    files = site_files(site_dir)
    try:
        with partial.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped, \
                tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for file in files:
                tar.add(file, arcname=f"{name}/{file.relative_to(site_dir).as_posix()}",
                        recursive=False, filter=_anonymous)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    digest = sha256_of(path)
    checksum_path = path.with_name(path.name + ".sha256")
    checksum_path.write_text(f"{digest}  {path.name}\n")
    return SiteArchive(path, checksum_path, digest, len(files))


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def verify_archive(checksum_path: Path) -> bool:
    """Whether the archive named in a ``.sha256`` file still has that checksum."""
    digest, _, name = checksum_path.read_text().strip().partition("  ")
    archive = checksum_path.parent / name
    return archive.is_file() and sha256_of(archive) == digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m podnotes.book.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=Path("_build/html"), help="the built site (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("_build"),
                        help="where to write the archive (default: %(default)s)")
    parser.add_argument("--version", dest="version",
                        help="version in the file name (default: package version + git describe)")
    args = parser.parse_args(argv)
    version = args.version or site_version(__version__, describe_checkout(Path.cwd()))
    try:
        archive = archive_site(args.site, args.out, version)
    except PublishError as err:
        print(f"podnotes.book.publish: {err}", file=sys.stderr)
        return 2
    size = archive.path.stat().st_size
    print(f"{archive.path} ({archive.files} files, {size / 2**20:.2f} MiB)")
    print(f"{archive.checksum_path}: sha256 {archive.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
