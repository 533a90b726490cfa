"""The site archive: one versioned tarball with index.html at the top of its
folder, and a checksum file that ``sha256sum -c`` accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import pytest

from podnotes import __version__
from podnotes.book.publish import PublishError, archive_site, describe_checkout, site_version, verify_archive

from ..conftest import BUILD, ROOT
from .conftest import serving
from .reader import Reader, block_other_hosts


def small_site(root):
    (root / "_static").mkdir(parents=True)
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=intro.html" />')
    (root / "intro.html").write_text("<h1>Intro</h1>")
    (root / "_static" / "theme.css").write_text("body {}")
    (root / ".buildinfo").write_text("config: 1\n")
    return root


def test_the_archive_holds_the_site_under_one_versioned_folder(tmp_path):
    site = small_site(tmp_path / "html")
    archive = archive_site(site, tmp_path / "out", "1.2.3")
    assert archive.path.name == "podnotes-site-1.2.3.tar.gz"
    with tarfile.open(archive.path) as tar:
        names = tar.getnames()
        member = tar.getmember("podnotes-site-1.2.3/index.html")
        assert member.uid == 0 and member.uname == ""
    assert names == sorted(names)
    assert set(names) == {"podnotes-site-1.2.3/" + name for name in ("_static/theme.css", "index.html", "intro.html")}
    assert archive.files == 3


def test_the_checksum_file_verifies_and_catches_a_changed_archive(tmp_path):
    archive = archive_site(small_site(tmp_path / "html"), tmp_path / "out", "1.2.3")
    assert archive.checksum_path.read_text() == f"{archive.sha256}  podnotes-site-1.2.3.tar.gz\n"
    assert verify_archive(archive.checksum_path)
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", archive.checksum_path.name],
                       cwd=archive.path.parent, check=True)
    with archive.path.open("ab") as stream:
        stream.write(b"tampered")
    assert not verify_archive(archive.checksum_path)


def test_the_same_site_gives_the_same_archive(tmp_path):
    site = small_site(tmp_path / "html")
    first = archive_site(site, tmp_path / "a", "1.0").sha256
    assert archive_site(site, tmp_path / "b", "1.0").sha256 == first


def test_archiving_an_unbuilt_site_says_what_to_do(tmp_path):
    (tmp_path / "html").mkdir()
    with pytest.raises(PublishError, match="make book"):
        archive_site(tmp_path / "html", tmp_path / "out", "1.0")
    assert not any((tmp_path / "out").glob("*"))


@pytest.mark.parametrize("described,expected", [
    (None, "0.4.0"),
    ("v0.4.0", "0.4.0"),
    ("v0.4.0-3-gabc1234", "0.4.0-v0.4.0-3-gabc1234"),
    ("abc1234-dirty", "0.4.0-abc1234-dirty"),
])
def test_the_version_names_the_package_and_the_checkout(described, expected):
    assert site_version("0.4.0", described) == expected


def test_outside_a_checkout_the_version_is_the_package_version(tmp_path):
    assert describe_checkout(tmp_path) is None


@pytest.fixture(scope="module")
def made_archive(site_dir):
    """``make site-archive`` run once on the site the other tests read, as it is (``-o book``: its build is
    not remade while browsers read it): ``(archive path, version)``."""
    planned = subprocess.run(["make", "-n", "-C", str(ROOT), "site-archive"], capture_output=True, text=True,
                             timeout=60)
    assert "podnotes.book.build" in planned.stdout, "a reader's make site-archive builds the book first"
    result = subprocess.run(["make", "-s", "-o", "book", "-C", str(ROOT), "site-archive"],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"(\S+/podnotes-site-(\S+)\.tar\.gz) \(", result.stdout)
    assert match, result.stdout
    return BUILD / match.group(1).rsplit("/", 1)[1], match.group(2)


@pytest.mark.site
@pytest.mark.slow
def test_make_site_archive_packages_the_built_site(made_archive):
    path, version = made_archive
    assert version.startswith(__version__)
    assert verify_archive(path.with_name(path.name + ".sha256"))
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    assert f"podnotes-site-{version}/index.html" in names
    assert f"podnotes-site-{version}/chapters/01-processes.html" in names
    # The Chinese edition travels with the English one, at the same place as on the published site.
    assert f"podnotes-site-{version}/zh-CN/index.html" in names
    assert f"podnotes-site-{version}/zh-CN/chapters/01-processes.html" in names
    assert not any("/." in name for name in names)


@pytest.mark.site
@pytest.mark.slow
@pytest.mark.browser
def test_the_unpacked_archive_reads_offline(made_archive, browser, tmp_path):
    """What a workshop machine gets: the tarball unpacked and served, no network."""
    path, version = made_archive
    with tarfile.open(path) as tar:
        # The safe "data" filter exists from Python 3.10.12 / 3.11.4 on.
        tar.extractall(tmp_path, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    context = browser.new_context()
    blocked: list[str] = []
    block_other_hosts(context, blocked)
    try:
        with serving(tmp_path / f"podnotes-site-{version}") as url:
            reader = Reader(context)
            for page in ("intro.html", "chapters/01-processes.html", "search.html",
                         "zh-CN/intro.html", "zh-CN/chapters/01-processes.html", "zh-CN/search.html"):
                seen = reader.read(url + page)
                assert not (seen.console_errors or seen.failed_requests or seen.broken_figures), seen
    finally:
        context.close()
    assert blocked == []
