"""What a participant's laptop needs without the internet: the exercises' images as OCI archives, next to
the wheels ``make workshop-offline`` downloads, with a README listing every file and its SHA-256.

The images are built from Debian's busybox-static by :mod:`podnotes.images`, exactly as the book's local
node builds them (an OCI image layout in a tar, one name per index entry), so ``ctr images import`` and
``kind load image-archive`` take them as they are.

Run: python -m podnotes.workshop.offline --out DIR [--site-archive FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

from podnotes import images

from .exercises import EXERCISES, IMAGE


def exercise_images() -> list[str]:
    """Every image the exercises' seeds and their statements use."""
    named = {IMAGE}
    for exercise in EXERCISES:
        for seed in exercise.seed:
            for container in (seed.get("spec") or {}).get("containers") or []:
                named.add(container["image"])
    return sorted(named)


def write_images(folder: Path) -> list[Path]:
    """One OCI archive per image the exercises use. Raises images.ImageError when one cannot be built."""
    wanted = exercise_images()
    buildable = images.busybox_image()
    missing = [name for name in wanted if name not in buildable.names]
    if missing:
        raise images.ImageError(f"no recipe for {', '.join(missing)}; podnotes builds only "
                                f"{', '.join(buildable.names)}")
    archive = folder / "images" / "busybox.tar"
    images.write_archive(buildable, archive)
    return [archive]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_readme(folder: Path) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "README.txt")
    lines = ["podnotes for a workshop without the internet", "",
             "Install (same Python version and platform as the machine that packed this):",
             "  python3 -m venv .venv",
             "  .venv/bin/pip install --no-index --find-links wheels -r requirements.txt podnotes",
             "Load the exercises' images:",
             "  kind load image-archive images/busybox.tar --name CLUSTER     # a kind cluster",
             "  ctr -n k8s.io images import images/busybox.tar               # containerd",
             "The book: unpack podnotes-site-*.tar.gz and open index.html.", "",
             "Files and their SHA-256 (check with: sha256sum -c SHA256SUMS):"]
    lines += [f"  {sha256(p)}  {p.relative_to(folder)}" for p in files]
    (folder / "SHA256SUMS").write_text("".join(f"{sha256(p)}  {p.relative_to(folder)}\n" for p in files))
    readme = folder / "README.txt"
    readme.write_text("\n".join(lines) + "\n")
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m podnotes.workshop.offline", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="the folder to fill (wheels/ may already be there)")
    parser.add_argument("--requirements", type=Path, help="the pinned requirements the wheels were fetched for")
    parser.add_argument("--site-archive", default="", help="the site archive of `make site-archive`, copied in")
    args = parser.parse_args(argv)
    site = Path(args.site_archive) if args.site_archive else None
    try:
        archives = write_images(args.out)
    except images.ImageError as err:
        print(f"workshop-offline: {err}", file=sys.stderr)
        return 5
    if args.requirements is not None:
        shutil.copy2(args.requirements, args.out / "requirements.txt")
    if site is not None and site.is_file():
        shutil.copy2(site, args.out / site.name)
    else:
        print("workshop-offline: no site archive; `make site-archive` builds one, then run this again",
              file=sys.stderr)
    readme = write_readme(args.out)
    wheels = len(list((args.out / "wheels").glob("*.whl"))) if (args.out / "wheels").is_dir() else 0
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {wheels} wheels, {len(archives)} image archive(s), {size / 2**20:.1f} MiB; see {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
