"""The two editions of the built site: English at the root, Chinese under ``zh-CN/`` (podnotes.book.translations).

Each page says its language (``<html lang>``), links to the same page in the other edition with a relative
address, shows the same executed code and outputs as the other edition (one execution, two languages), and the
Chinese edition's catalogs are current: every message translated, none fuzzy, none missing for a changed
English text."""

from __future__ import annotations

import posixpath
import re

import pytest
from bs4 import BeautifulSoup

from podnotes.book import sphinxext, translations

from ..conftest import ROOT
from .conftest import EDITIONS, PAGES

pytestmark = pytest.mark.site

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LANG = {"en": "en", "zh-CN": "zh-CN"}
OTHER = {"en": "zh-CN", "zh-CN": "en"}


def soup_of(site_dir, edition: str, page: str) -> BeautifulSoup:
    return BeautifulSoup((site_dir / EDITIONS[edition] / page).read_text(encoding="utf-8"), "html.parser")


def switch_target(page: str, href: str, edition: str) -> str:
    """The page a relative ``href`` on ``page`` of ``edition`` leads to, as a path from the site's root."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(EDITIONS[edition] + page), href))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_its_language(site_dir, edition, page):
    html = soup_of(site_dir, edition, page).find("html")
    assert html is not None and html.get("lang") == LANG[edition], f"{edition}/{page}: <html lang={html.get('lang')!r}>"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_links_to_the_same_page_in_the_other_edition(site_dir, edition, page):
    links = soup_of(site_dir, edition, page).select("a.podnotes-language-switch")
    assert len(links) == 1, f"{edition}/{page}: {len(links)} language switches"
    href = links[0]["href"]
    assert not re.match(r"^([a-z]+:|/)", href), f"{edition}/{page}: the switch's address is not relative: {href}"
    assert links[0]["hreflang"] == LANG[OTHER[edition]]
    target = switch_target(page, href, edition)
    assert target == EDITIONS[OTHER[edition]] + page, f"{edition}/{page}: the switch leads to {target}"
    assert (site_dir / target).is_file(), f"{edition}/{page}: {target} is not in the site"


def cell_outputs(soup: BeautifulSoup) -> list[str]:
    """The text of every code cell's output, without the figure captions written in the cells' metadata
    (those are translated)."""
    for caption in soup.select("div.cell_output figcaption"):
        caption.decompose()
    return [" ".join(output.get_text(" ").split()) for output in soup.select("div.cell_output")]


def test_the_dropdown_hints_are_in_each_language(site_dir):
    """sphinx-togglebutton writes its hints into every page as script variables; the solutions' dropdowns of
    the Chinese edition say 点击显示 / 点击隐藏, not the English default."""
    hints = {edition: (site_dir / EDITIONS[edition] / "chapters" / "node-loss.html").read_text(encoding="utf-8")
             for edition in ("en", "zh-CN")}
    assert "toggleHintShow = 'Click to show'" in hints["en"]
    assert "toggleHintShow = '点击显示'" in hints["zh-CN"] and "toggleHintHide = '点击隐藏'" in hints["zh-CN"]


#: What the Chinese edition's own words (outside the article) may say in English: the way to the English edition,
#: written in English for a reader who looks for it, and the download buttons' file suffixes.
ENGLISH_IN_THE_CHINESE_CHROME = {"English", "Read this page in English", ".md", ".ipynb", ".pdf"}
CJK = re.compile(r"[\u3400-\u9fff]")
CHROME_ATTRIBUTES = ("title", "aria-label", "data-bs-title", "placeholder", "alt")


def chrome_words(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """The site's own words on a page: outside the article, tooltips and screen-reader labels of every element
    and the text of buttons and menu items; inside it, the permalinks' tooltips Sphinx writes (headings,
    figures, tables, code, glossary terms); each as (where, text)."""
    words = [(f'<a class="headerlink" title="{link["title"]}">', link["title"])
             for link in soup.select("article.bd-article a.headerlink[title]")]
    for article in soup.select("article.bd-article"):
        article.decompose()
    words += [(f'<{element.name} {name}="{element[name]}">', element[name])
              for element in soup.find_all(True) for name in CHROME_ATTRIBUTES if element.get(name)]
    for element in soup.select("button, .btn, .dropdown-item, label"):
        text = " ".join(element.get_text(" ").split())
        if text:
            words.append((f"<{element.name}>{text}</{element.name}>", text))
    return words


@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_edition_speaks_chinese_around_the_article(site_dir, page):
    """The theme's tooltips, labels and buttons: from its catalogs where it asks one (with the book's
    corrections, locales/zh_CN/LC_MESSAGES/booktheme.po), and where its templates fix English text, from the
    book's sphinx.po after the pages are written (podnotes.book.sphinxext.translate_template_attributes)."""
    words = chrome_words(soup_of(site_dir, "zh-CN", page))
    assert len(words) >= 5, f"zh-CN/{page}: too few of the site's own words found to check: {words}"
    english = sorted({where for where, text in words
                      if not CJK.search(text) and text not in ENGLISH_IN_THE_CHINESE_CHROME})
    assert not english, f"zh-CN/{page}: English around the article: {english}"
    assert "列印" not in str(words), "Taiwan's word for printing, from the theme's zh_CN catalog"


def test_the_english_edition_keeps_the_english_chrome(site_dir):
    """The translation of template attributes runs only in the translated build."""
    words = dict((text, where) for where, text in chrome_words(soup_of(site_dir, "en", "chapters/08-probes.html")))
    assert {"Toggle primary sidebar", "Main", "Link to this heading"} <= set(words), sorted(words)


@pytest.mark.parametrize("page", ["intro.html", "chapters/termination.html", "chapters/reference/glossary.html"])
def test_the_table_of_contents_parts_are_named_in_each_language(site_dir, page):
    """The sidebar's part captions come from _toc.yml, inserted after Sphinx translates a page
    (podnotes.book.sphinxext.TranslateTocCaptions): Chinese in the Chinese edition, English in the English."""
    captions = {edition: [span.get_text()
                          for span in soup_of(site_dir, edition, page).select("p.caption > span.caption-text")]
                for edition in ("en", "zh-CN")}
    assert "From processes to containers" in captions["en"] and len(captions["zh-CN"]) == len(captions["en"]) >= 4
    parts = captions["zh-CN"]
    assert "从进程到容器" in parts
    assert all(re.search(r"[\u4e00-\u9fff]", caption) for caption in parts), parts


def test_the_pages_have_outputs_to_compare(site_dir):
    assert sum(len(cell_outputs(soup_of(site_dir, "en", page))) for page in PAGES) > 100


@pytest.mark.parametrize("page", [page for page in PAGES
                                  if page.removesuffix(".html") not in sphinxext.TRANSLATED_OUTPUT_PAGES])
def test_both_editions_show_the_same_outputs(site_dir, page):
    """One execution for both languages: every code cell's output is the same in both editions, the status
    page's record of the build included (the Chinese build takes the English build's execution of it). The
    pages whose outputs are reader prose the catalogs translate (the rule registry's texts) are left out."""
    english, chinese = (cell_outputs(soup_of(site_dir, edition, page)) for edition in ("en", "zh-CN"))
    assert len(english) == len(chinese), f"{page}: {len(english)} outputs in English, {len(chinese)} in Chinese"
    differ = [number for number, (one, other) in enumerate(zip(english, chinese, strict=True), 1) if one != other]
    assert not differ, f"{page}: outputs {differ} differ between the editions, e.g.\n{english[differ[0] - 1][:300]}\n" \
                       f"{chinese[differ[0] - 1][:300]}"


def test_the_chinese_catalogs_cover_the_current_sources(site_dir):
    """A changed English paragraph is a message the catalogs do not have: the Chinese build reports it."""
    missing = translations.missing_from_catalogs(ROOT, ROOT)
    assert not missing, ("the zh_CN catalogs are stale: messages of the current pages they lack: "
                         + ", ".join(f"{page} ({count})" for page, count in sorted(missing.items()))
                         + ". Run `make translations` to update them, then translate what it lists.")


def test_every_chinese_page_shows_every_message_translated(site_dir):
    counts = translations.shown_in_english(ROOT, ROOT)
    assert not counts, ("pages of the Chinese edition with messages shown in English: "
                        + ", ".join(f"{page} ({count})" for page, count in sorted(counts.items()))
                        + ". Run `make translations` and translate what it lists.")


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_language_switch_is_in_the_header_and_keeps_the_page(browser, site_root_url, screen):
    options = PHONE if screen == "phone" else {"viewport": {"width": 1366, "height": 900}}
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(site_root_url + "chapters/08-probes.html")
        for edition, lang in (("zh-CN", "zh-CN"), ("en", "en")):
            switch = page.locator(".bd-header-article a.podnotes-language-switch")
            assert switch.is_visible(), f"{screen}: no visible language switch on {page.url}"
            box = switch.bounding_box()
            width = options["viewport"]["width"]
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{screen}: the switch is off screen"
            assert box["height"] >= 24 and box["width"] >= 24, f"{screen}: the switch is too small to tap: {box}"
            with page.expect_navigation():
                switch.tap() if screen == "phone" else switch.click()
            assert page.url == site_root_url + EDITIONS[edition] + "chapters/08-probes.html", page.url
            assert page.evaluate("document.documentElement.lang") == lang
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{screen}: {page.url} is {overflow}px wider than the screen"
    finally:
        context.close()


@pytest.mark.browser
def test_the_language_switch_keeps_the_search_words(browser, site_root_url):
    """A reader who searched, then switches language, sees the same search in the other edition."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(site_root_url + "search.html?q=OOMKilled")
        with page.expect_navigation():
            page.locator(".bd-header-article a.podnotes-language-switch, a.podnotes-language-switch").first.click()
        assert page.url == site_root_url + EDITIONS["zh-CN"] + "search.html?q=OOMKilled", page.url
        page.wait_for_selector("#search-results .search-summary", timeout=15_000)
        assert page.locator("#search-results ul.search li").count() > 0, "the same search, answered"
    finally:
        context.close()
