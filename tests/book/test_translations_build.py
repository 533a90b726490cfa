"""`make book` and `make translations` on a small book with a Chinese catalog: the Chinese edition is built
from the English build's execution (the notebook runs once for both), shows the translated text and the same
output, links each page to its other edition, and stops instead of executing a notebook the cache lacks."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from podnotes.book import translations

from ..conftest import ROOT
from .test_notebooks import build, make_book

pytestmark = pytest.mark.slow


def translate(path, english: str, chinese: str) -> None:
    from babel.messages.pofile import write_po

    catalog = translations.read_catalog(path)
    assert english in catalog, f"{path} has no message {english!r}"
    catalog[english].string = chinese
    with path.open("wb") as stream:
        write_po(stream, catalog, width=76)


def test_the_chinese_edition_reuses_the_execution(tmp_path):
    runs = tmp_path / "runs.txt"
    make_book(tmp_path, f"open({str(runs)!r}, 'a').write('ran\\n')\nprint('forty-two')",
              "from IPython.display import Markdown\nMarkdown('This copy ran it in 0.1 s.')")
    first = build(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Chinese edition" not in first.stdout, "no catalogs yet: no Chinese edition"

    update = subprocess.run([sys.executable, "-m", "podnotes.book.translations", "update", "--book", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    assert update.stdout.splitlines()[-1].split()[2:] == ["4", "4", "0", "0"], update.stdout  # all pages
    catalogs = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES"
    page_messages = {message.id for message in translations.read_catalog(catalogs / "page.po") if message.id}
    assert "Some prose." in page_messages
    assert not [message for message in page_messages if "This copy ran it" in message], "an output is no message"
    translate(catalogs / "intro.po", "A test book.", "一本测试用的书。")

    second = build(tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "::: Chinese edition: built" in second.stdout, second.stdout
    assert runs.read_text().count("ran") == 1, "the notebook ran again for the Chinese edition"
    site = tmp_path / "_build" / "html"
    chinese_intro = (site / "zh-CN" / "intro.html").read_text(encoding="utf-8")
    assert "一本测试用的书。" in chinese_intro and '<html lang="zh-CN"' in chinese_intro
    chinese_page = (site / "zh-CN" / "page.html").read_text(encoding="utf-8")
    assert "forty-two" in chinese_page and "This copy ran it in 0.1 s." in chinese_page
    assert 'href="zh-CN/intro.html"' in (site / "intro.html").read_text(encoding="utf-8")
    assert 'href="../page.html"' in (site / "zh-CN" / "page.html").read_text(encoding="utf-8")
    assert not (site / "zh-CN" / "jupyter_execute").exists() and not list(site.rglob("intro.mo"))
    assert not list((tmp_path / "locales").rglob("*.mo")), "catalogs are compiled in _build, not in the sources"
    report = translations.untranslated_report(tmp_path)
    assert report["intro"] == ["Intro"], "the translated paragraph is not reported, the heading is"
    assert "Some prose." in report["page"]

    shutil.rmtree(tmp_path / "_build" / ".jupyter_cache")
    stopped = subprocess.run([sys.executable, "-m", "podnotes.book.translations", "build", "--book", str(tmp_path),
                              "--", "-W", "-E"], capture_output=True, text=True, timeout=300)
    assert stopped.returncode == 1
    assert "not in its execution cache" in stopped.stdout + stopped.stderr and "Run `make book`" in stopped.stderr
    assert runs.read_text().count("ran") == 1, "the Chinese build executed a notebook"
    assert "Traceback" not in stopped.stderr


def test_the_book_itself_is_extracted_as_committed():
    """`make translations` reproduces the committed msgids: nothing to update when the pages did not change
    (needs the execution cache of a `make book`)."""
    from podnotes.node import observe
    from podnotes.node.overlays import observed_dir

    if not (ROOT / "_build" / ".jupyter_cache").is_dir():
        pytest.skip("no execution cache: run `make book` first")
    if not observe.observations_state(observed_dir()).current:
        pytest.skip("no current real-node observations: the captions of the figures that draw them are missing")
    pot_dir = translations.extract(ROOT, ROOT)
    catalogs = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
    pots = sorted(pot_dir.rglob("*.pot"))
    assert pots
    for pot in pots:
        page = pot.relative_to(pot_dir).with_suffix("")
        extracted = [message.id for message in translations.read_catalog(pot) if message.id]
        committed = [message.id for message in translations.read_catalog(catalogs / f"{page}.po") if message.id]
        new, gone = set(extracted) - set(committed), set(committed) - set(extracted)
        assert not (new or gone), (f"{page}: the catalog is stale ({len(new)} messages of the page missing, "
                                   f"{len(gone)} no longer on it): run `make translations`")
