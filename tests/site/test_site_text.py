"""The words of the built site: no doubled words ("The The podnotes command
line"), no glyphs that need an emoji font, and a downloaded notebook that says
it needs the repository to run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pytest

from podnotes.book.notebooks import toc_notebooks
from podnotes.book.sphinxext import DOWNLOAD_NOTE_TAG

from ..conftest import ROOT
from .conftest import PAGES

pytestmark = [pytest.mark.site]

DOUBLED_WORD = re.compile(r"\b([A-Za-z]+)\s+\1\b", re.IGNORECASE)
# Characters shown only with an emoji font (Unicode emoji presentation blocks and
# the dingbats most used as status marks).
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2705\u274C\u274E\u2B50\u2B55\u231A\u231B\u23E9-\u23F3]")
CHAPTERS = [path.relative_to(ROOT).with_suffix("").as_posix() for path in toc_notebooks(ROOT)]


class _ArticleText(HTMLParser):
    """The prose of a page's <article>: code, tables (their cells are not
    sentences), API signatures, scripts and styles left out."""

    def __init__(self, skipped: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped = skipped
        self._open: list[str] = []  # tags open inside <article>

    def handle_starttag(self, tag, attrs):
        if (tag == "article" or self._open) and tag not in VOID:
            if tag in self.skipped and not set(self._open) & set(self.skipped):
                self.parts.append(" [...] ")  # "one of `4` of them" is no doubled word
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and not set(self._open) & set(self.skipped):
            self.parts.append(data)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NOT_PROSE = ("script", "style", "pre", "code", "table", "dt")


def article_text(html: str, skipped: tuple[str, ...] = NOT_PROSE) -> str:
    parser = _ArticleText(skipped)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.mark.parametrize("page", PAGES)
def test_no_word_is_written_twice_in_a_row(edition_dir, page):
    text = article_text((edition_dir / page).read_text(encoding="utf-8"))
    assert len(text) > 50 or page in ("search.html", "genindex.html"), f"{page}: no article text found"
    doubled = [text[max(0, m.start() - 30):m.end() + 30] for m in DOUBLED_WORD.finditer(text)]
    assert doubled == [], f"{page}: doubled words: {doubled}"


def test_the_doubled_word_check_sees_one():
    assert DOUBLED_WORD.search(article_text("<article><p>The <a>The podnotes command line</a></p></article>"))


@pytest.mark.parametrize("page", PAGES)
def test_no_page_needs_an_emoji_font(edition_dir, page):
    text = article_text((edition_dir / page).read_text(encoding="utf-8"), skipped=("script", "style"))
    assert not EMOJI.findall(text), f"{page} shows {set(EMOJI.findall(text))}, a missing glyph without an emoji font"


def test_the_status_page_says_in_words_that_notebooks_ran(edition_dir):
    text = article_text((edition_dir / "chapters" / "reference" / "status.html").read_text(encoding="utf-8"),
                        skipped=())
    assert re.search(r"\bran\b", text), "the execution table names each notebook's status"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_downloaded_notebook_says_it_needs_the_repository(edition_dir, edition, chapter):
    notebook = nbformat.reads((edition_dir / "_sources" / f"{chapter}.ipynb").read_text(encoding="utf-8"),
                              as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and DOWNLOAD_NOTE_TAG in first.metadata.get("tags", [])
    needs = {"en": "podnotes repository", "zh-CN": "podnotes 仓库"}[edition]
    assert needs in first.source and "make venv" in first.source
    assert "git clone https://" in first.source
    assert notebook.metadata["podnotes"]["run"][0].startswith("git clone ")
    assert [cell for cell in notebook.cells if cell.cell_type == "code" and cell.outputs]
    page = article_text((edition_dir / f"{chapter}.html").read_text(encoding="utf-8"))
    assert "make venv" not in page or "make venv" in (ROOT / f"{chapter}.md").read_text(), \
        "the note belongs to the download, not to the page"
