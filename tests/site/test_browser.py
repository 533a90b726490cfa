"""Every page of the built site, read in a real Chromium as a reader would:
no console errors, no missing files, every figure loads, every link inside the
site leads somewhere, search finds the chapters, downloads work, and
screenshots at desktop and phone widths are kept for review."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
import yaml

from podnotes.book.notebooks import toc_notebooks

from ..conftest import ROOT
from .conftest import EDITIONS, PAGES, SCREENSHOTS
from .reader import Reader, split_fragment

pytestmark = [pytest.mark.browser, pytest.mark.site]

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SCREENSHOT_PAGES = ("intro", "chapters/probe-timing")
SEARCH_TERMS = yaml.safe_load((Path(__file__).parent / "search_terms.yml").read_text())
CHINESE_SEARCH_TERMS = yaml.safe_load((Path(__file__).parent / "search_terms.zh-CN.yml").read_text(encoding="utf-8"))
TOC_NAMES = {page.removesuffix(".html") for page in PAGES}
NOTEBOOK_CHAPTERS = [path.relative_to(ROOT).with_suffix("").as_posix() for path in toc_notebooks(ROOT)]


def new_context(browser, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)  # a missing element fails fast instead of waiting 30 s
    return context


@pytest.fixture(scope="module")
def desktop(browser):
    context = new_context(browser, **DESKTOP)
    yield context
    context.close()


@pytest.fixture(scope="module")
def visit(desktop, site_url):
    """Read a page once per test module; the tests below look at different parts of the visit."""
    reader = Reader(desktop)
    return lru_cache(maxsize=None)(lambda page: reader.read(site_url + page))


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors_or_missing_files(visit, page):
    seen = visit(page)
    assert not seen.console_errors, f"{page}: console errors:\n" + "\n".join(seen.console_errors)
    assert not seen.failed_requests, f"{page}: requests that failed:\n" + "\n".join(seen.failed_requests)


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_loads_with_a_size(visit, page):
    seen = visit(page)
    assert not seen.broken_figures, f"{page}: images that did not load:\n" + "\n".join(seen.broken_figures)


@cache
def fetch(url: str) -> tuple[int, str]:
    try:
        with urlopen(url, timeout=10) as response:
            body = response.read()
            return response.status, body.decode("utf-8", "replace") if url.endswith(".html") else ""
    except HTTPError as err:
        return err.code, ""


def has_anchor(html: str, fragment: str) -> bool:
    from urllib.parse import unquote

    fragment = unquote(fragment)  # the Chinese index's letters: #%E4%BD%93 is id="体"
    return re.search(rf"""\b(?:id|name)=["']{re.escape(fragment)}["']""", html) is not None


@pytest.mark.parametrize("page", PAGES)
def test_every_link_inside_the_site_resolves(visit, site_url, page):
    broken = []
    for link in sorted(set(visit(page).links)):
        if not link.startswith(site_url):
            continue
        target, fragment = split_fragment(link)
        status, html = fetch(target)
        if status != 200:
            broken.append(f"{link}: HTTP {status}")
        elif fragment and target.endswith(".html") and not has_anchor(html, fragment):
            broken.append(f"{link}: no element with id {fragment!r}")
    assert not broken, f"{page}: broken links:\n" + "\n".join(broken)


def test_the_site_root_leads_to_the_introduction(desktop, site_url):
    page = desktop.new_page()
    try:
        page.goto(site_url)
        page.wait_for_url(site_url + "intro.html")
        assert page.locator("article h1").first.is_visible()
    finally:
        page.close()


def test_navigation_lists_every_chapter(visit):
    seen = visit("intro.html")
    for page in PAGES:
        if page not in ("intro.html", "genindex.html", "search.html"):
            assert any(link.endswith("/" + page) for link in seen.links), f"no link to {page} on intro.html"


@pytest.mark.parametrize("term,chapter", sorted(SEARCH_TERMS.items()))
def test_search_finds_the_chapter_that_explains_a_term(desktop, site_root_url, term, chapter):
    if chapter not in TOC_NAMES:
        pytest.skip(f"{chapter} is not in _toc.yml yet")
    source = (ROOT / f"{chapter}.md").read_text().lower()
    assert term.lower() in source, f"{chapter}.md no longer mentions {term!r}; update search_terms.yml"
    found = assert_search_lists(desktop, site_root_url, term, chapter)
    assert_first(found, site_root_url, term, chapter)


@pytest.mark.parametrize("term,chapter", sorted(CHINESE_SEARCH_TERMS.items()))
def test_chinese_search_finds_the_chapter_of_a_term(desktop, site_root_url, site_dir, term, chapter):
    """Sphinx's Chinese index splits the text into words with jieba (sphinx/search/zh.py), and the book's
    terms are added to jieba's dictionary, so a reader's 存活探针 finds the page that explains it."""
    folder = EDITIONS["zh-CN"]
    page_text = (site_dir / folder / f"{chapter}.html").read_text(encoding="utf-8")
    assert all(word in page_text for word in term.split()), f"{folder}{chapter}.html does not say {term!r}"
    found = assert_search_lists(desktop, site_root_url + folder, term, chapter)
    if not chapter.startswith("chapters/reference/"):  # the book's scorer (search-scorer.js) works here too
        assert "/chapters/reference/" not in found[0], f"{term!r}: a reference page comes first: {found}"
        assert_first(found, site_root_url + folder, term, chapter)


def assert_first(found: list[str], site_url: str, term: str, chapter: str) -> None:
    """The chapter that explains ``term`` is the first result: its ``{index}`` entry for the word (a main
    entry, which Sphinx's search scores 100 for an exact match, searchtools.js) puts it above the chapters
    that only use the word. A reader who pastes ``OOMKilled`` lands on the chapter that explains it."""
    assert found[0].split("#")[0] == f"{site_url}{chapter}.html", f"{term!r}: {chapter} is not first: {found[:4]}"


def assert_search_lists(desktop, site_url, term, chapter):
    """Type ``term`` into the search box of the introduction, as a reader does, and check the results list
    ``chapter`` and lead to it."""
    page = desktop.new_page()
    try:
        page.goto(site_url + "intro.html")
        page.keyboard.press("Control+k")  # the theme's search shortcut, as a reader would use it
        page.keyboard.type(term)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#search-results .search-summary", timeout=15_000)
        found = page.locator("#search-results ul.search li a").evaluate_all("links => links.map(a => a.href)")
        wanted = f"{site_url}{chapter}.html"
        assert any(link.split("?")[0].split("#")[0] == wanted for link in found), \
            f"searching {term!r} did not list {chapter}: {found}"
        with page.expect_navigation():
            page.locator(f'#search-results ul.search li a[href^="{chapter}.html"]').first.click()
        assert page.url.startswith(wanted)
    finally:
        page.close()
    return found


def downloaded_text(page, button_class: str) -> tuple[str, str]:
    """Open the download menu, click one entry and return ``(url, body)`` of what it opens."""
    page.locator(".dropdown-download-buttons button").first.click()
    with page.expect_popup() as opened:
        page.locator(f".dropdown-download-buttons .{button_class}").click()
    popup = opened.value
    popup.wait_for_load_state()
    response = popup.context.request.get(popup.url)
    assert response.ok, f"{popup.url}: HTTP {response.status}"
    popup.close()
    return popup.url, response.text()


def check_notebook_download(url: str, body: str, chapter: str) -> None:
    import nbformat

    assert url.endswith(f"_sources/{chapter}.ipynb"), url
    notebook = nbformat.reads(body, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and any(cell.outputs for cell in code), f"{url} is not the executed notebook"


def check_source_download(url: str, body: str, chapter: str) -> None:
    assert url.endswith(f"_sources/{chapter}.md"), url
    assert body.startswith("---\njupytext:") and "kernelspec:" in body, f"{url} is not a MyST notebook"


def test_the_download_buttons_of_a_chapter_work(desktop, site_url):
    """Click both entries of the download menu, as a reader does, on the first chapter."""
    chapter = NOTEBOOK_CHAPTERS[0]
    page = desktop.new_page()
    try:
        assert page.goto(f"{site_url}{chapter}.html").ok, f"{chapter}.html is not in the built site"
        check_notebook_download(*downloaded_text(page, "btn-download-notebook-button"), chapter)
        check_source_download(*downloaded_text(page, "btn-download-source-button"), chapter)
    finally:
        page.close()


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_every_chapter_offers_its_executed_notebook_and_its_source(visit, site_url, chapter):
    links = set(visit(f"{chapter}.html").links)
    for suffix, check in ((".ipynb", check_notebook_download), (".md", check_source_download)):
        url = f"{site_url}_sources/{chapter}{suffix}"
        assert url in links, f"{chapter}.html offers no {suffix} download"
        with urlopen(url, timeout=10) as response:
            check(url, response.read().decode(), chapter)


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("name", SCREENSHOT_PAGES)
def test_screenshot_for_review(browser, site_url, edition, name, width):
    if name not in TOC_NAMES:
        pytest.skip(f"{name} is not in _toc.yml yet; no screenshot taken")
    context = new_context(browser, **(DESKTOP if width == "desktop" else PHONE))
    try:
        page = context.new_page()
        assert page.goto(f"{site_url}{name}.html", wait_until="networkidle").ok, f"{name}.html is not in the built site"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a {width} screen"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if edition == "en" else f"-{edition}"
        path = SCREENSHOTS / f"{Path(name).name}-{width}{suffix}.png"
        png = page.screenshot(path=path, full_page=True, timeout=120_000)  # long chapters are tall
    finally:
        context.close()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    width_px = int.from_bytes(png[16:20], "big")
    expected = (DESKTOP if width == "desktop" else PHONE)["viewport"]["width"]
    assert width_px == expected, f"{path.name} is {width_px}px wide"
