"""Fixtures for testing the built site the way a reader meets it: ``_build/html``
served on localhost and read in Debian's Chromium, driven by Playwright.

Both editions are tested: English at the site's root and Chinese under
``zh-CN/`` (``podnotes.book.translations``). ``site_url`` is the address of one
edition (the fixture ``edition`` runs every test that reads pages once per
edition) and ``edition_dir`` its folder; tests that only make sense in one
edition ask for ``site_root_url`` or skip the other.

The site is built with ``make book`` (the same path as users and CI, using the
execution cache) when it is missing or older than its sources. In CI the site
build runs before the tests, so they check exactly the site CI built, and a
missing browser is a failure rather than a skip.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from podnotes.book import translations
from podnotes.book.notebooks import toc_documents
from podnotes.book.site import site_pages, weight_report

from ..conftest import BUILD, ROOT

SITE = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"
BUILT_STAMP = SITE / ".built-for-tests"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
# As root on a machine with no network but the package registries, Chromium
# needs these to start quickly and quietly (no sandbox, no background calls home).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

PAGES = site_pages(ROOT)
# Edition -> its folder under the site's root (podnotes.book.translations.EDITIONS).
EDITIONS = {edition.tag: f"{edition.folder}/" if edition.folder else "" for edition in translations.EDITIONS}


# Sphinx notices changed pages and configuration by itself, but not a change to
# the project's own Sphinx extension: then every page is written again.
EXTENSION_FILES = [
    ROOT / "src" / "podnotes" / "book" / "sphinxext.py", ROOT / "src" / "podnotes" / "data" / "favicon.svg",
    ROOT / "src" / "podnotes" / "book" / "translations.py", ROOT / "src" / "podnotes" / "data" / "zh-terms.yml",
    *sorted((ROOT / "src" / "podnotes" / "data" / "site-static").rglob("*.*")),
    *sorted((ROOT / "src" / "podnotes" / "data" / "templates").rglob("*.*")),
]


def site_sources() -> list[Path]:
    """The files a site build reads, besides the notebooks' imported code."""
    sources = [ROOT / "_config.yml", ROOT / "_toc.yml", *EXTENSION_FILES, *translations.catalog_files(ROOT)]
    sources += toc_documents(ROOT)
    static = ROOT / "_static"
    sources += [path for path in static.rglob("*") if path.is_file()] if static.is_dir() else []
    return sources


def newest_mtime(paths) -> float:
    return max((path.stat().st_mtime for path in paths), default=0.0)


def built_at() -> float:
    return newest_mtime(path for path in SITE.rglob("*") if path.is_file())


def site_is_stale() -> bool:
    if not all((SITE / folder / "index.html").is_file() for folder in EDITIONS.values()):
        return True
    return built_at() < newest_mtime(site_sources())


def build_site() -> None:
    BUILD.mkdir(exist_ok=True)
    with (BUILD / ".site-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time into the shared _build
        if not site_is_stale():
            return
        if (SITE / "index.html").is_file() and built_at() < newest_mtime(EXTENSION_FILES):
            shutil.rmtree(BUILD / ".doctrees", ignore_errors=True)  # outputs stay in the execution cache
        result = subprocess.run(
            ["make", "-s", "-C", str(ROOT), "book"], capture_output=True, text=True, timeout=3000,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-6000:]
            pytest.fail(f"`make book` failed, so the site cannot be tested:\n{output}", pytrace=False)
        BUILT_STAMP.touch()


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """``_build/html``, built first when missing or older than its sources.

    PODNOTES_SITE_DIR points the tests at a site built elsewhere, as it is.
    """
    elsewhere = os.environ.get("PODNOTES_SITE_DIR")
    if elsewhere:
        return Path(elsewhere)
    build_site()
    return SITE


class _SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ipynb": "application/x-ipynb+json",
        ".md": "text/markdown; charset=utf-8",
    }

    def log_message(self, format, *args):  # keep the test output readable
        pass


@contextmanager
def serving(directory: Path):
    """Serve ``directory`` with a Python HTTP server on an ephemeral localhost port; yield its base URL."""
    handler = functools.partial(_SiteHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def site_root_url(site_dir) -> str:
    """Base URL of ``_build/html`` served on localhost (the English edition; the Chinese one is under it)."""
    with serving(site_dir) as url:
        yield url


@pytest.fixture(scope="session", params=list(EDITIONS))
def edition(request) -> str:
    """The edition under test: ``en`` or ``zh-CN``."""
    return request.param


@pytest.fixture(scope="session")
def site_url(site_root_url, site_dir, edition) -> str:
    """Base URL of one edition of the site."""
    if not (site_dir / EDITIONS[edition] / "index.html").is_file():
        pytest.fail(f"the {edition} edition was not built: {site_dir / EDITIONS[edition]}", pytrace=False)
    return site_root_url + EDITIONS[edition]


@pytest.fixture(scope="session")
def edition_dir(site_dir, edition) -> Path:
    """The folder of one edition of the site."""
    return site_dir / EDITIONS[edition]


def chromium_executable() -> str | None:
    override = os.environ.get("PODNOTES_CHROMIUM")
    if override:
        return override
    return next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)


_REPORTS: list[str] = []


@pytest.fixture(scope="session")
def site_report(site_dir):
    """The site's size and its heaviest pages, printed at the end of the run."""
    report = weight_report(site_dir, PAGES)
    _REPORTS.append(report)
    return report


def pytest_terminal_summary(terminalreporter):
    for report in _REPORTS:
        terminalreporter.section("built site size")
        terminalreporter.write_line(report)
