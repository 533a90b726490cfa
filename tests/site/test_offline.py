"""The site reads completely with no network: no page fetches anything from
another host (checked in the built files and again in Chromium with every
non-localhost request blocked), and no page is heavy to download."""

from __future__ import annotations

from functools import lru_cache

import pytest

from podnotes.book.site import external_fetches, page_weight, toc_pages

from ..conftest import ROOT
from .conftest import PAGES
from .reader import Reader, block_other_hosts

MAX_PAGE_BYTES = 2 * 2**20  # a page's own transfer, shared theme assets excluded
# Pages whose body is filled in by JavaScript from what the reader types.
PAGES_WITHOUT_ARTICLE_TEXT = {"search.html"}


@pytest.mark.site
def test_every_page_in_the_table_of_contents_is_built(edition_dir):
    missing = [page for page in toc_pages(ROOT) if not (edition_dir / page).is_file()]
    assert missing == []


@pytest.mark.site
def test_no_built_file_fetches_from_another_host(site_dir):
    """Scripts, stylesheets, images, fonts, @import and url() in the HTML, CSS and
    JS must all be files of the site; links a reader clicks may go anywhere."""
    fetches = [f"{ref.source}: {ref.kind} {ref.url}" for ref in external_fetches(site_dir)]
    assert fetches == []


@pytest.mark.site
def test_no_page_is_heavy_to_download(edition_dir, site_report):
    print(site_report)
    built = [page for page in PAGES if (edition_dir / page).is_file()]
    heavy = {
        page: weight.own_bytes
        for page in built
        if (weight := page_weight(edition_dir, page)).own_bytes > MAX_PAGE_BYTES
    }
    assert heavy == {}, f"pages over {MAX_PAGE_BYTES} bytes of their own"


@pytest.fixture(scope="module")
def offline(browser, site_url):
    """A browser context where every request to another host fails."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    blocked: list[str] = []
    block_other_hosts(context, blocked)
    reader = Reader(context)
    read = lru_cache(maxsize=None)(lambda page: reader.read(site_url + page))
    yield read, blocked
    context.close()


@pytest.mark.browser
@pytest.mark.site
@pytest.mark.parametrize("page", PAGES)
def test_page_reads_completely_offline(offline, site_dir, page):
    read, blocked = offline
    seen = read(page)
    problems = {
        "asked other hosts": seen.external_requests,
        "console errors": seen.console_errors,
        "requests that failed": seen.failed_requests,
        "images that did not load": seen.broken_figures,
        "fonts that did not load": seen.fonts_failed,
    }
    found = {what: items for what, items in problems.items() if items}
    assert not found, f"{page} offline: " + "; ".join(f"{what}: {', '.join(items)}" for what, items in found.items())
    built_chapters = [name for name in toc_pages(ROOT) if (site_dir / name).is_file()]
    assert seen.nav_links >= len(built_chapters) - 1, f"{page}: the navigation did not render"
    if page not in PAGES_WITHOUT_ARTICLE_TEXT:
        assert seen.text_length > 0, f"{page}: no text rendered"
    assert blocked == []
