"""The Chinese edition's catalogs and machinery (podnotes.book.translations): every message of every page is
translated and none is fuzzy (Sphinx shows a fuzzy message in English); the counts `make translations` lists;
the relative address of the same page in the other edition."""

from __future__ import annotations

import pytest

from podnotes.book import translations
from podnotes.book.translations import CHINESE, ENGLISH, CatalogCount, count_catalog, same_page_in

from ..conftest import ROOT

CATALOG = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgid "A probe."
msgstr "一个探针。"

msgid "Untranslated."
msgstr ""

#, fuzzy
msgid "Changed paragraph."
msgstr "旧的翻译。"

#~ msgid "Removed paragraph."
#~ msgstr "已删除。"
"""


@pytest.mark.parametrize("pagename,target,here,there,expected", [
    ("intro", "intro.html", ENGLISH, CHINESE, "zh-CN/intro.html"),
    ("chapters/08-probes", "chapters/08-probes.html", ENGLISH, CHINESE, "../zh-CN/chapters/08-probes.html"),
    ("chapters/reference/glossary", "chapters/reference/glossary.html", ENGLISH, CHINESE,
     "../../zh-CN/chapters/reference/glossary.html"),
    ("intro", "intro.html", CHINESE, ENGLISH, "../intro.html"),
    ("chapters/08-probes", "chapters/08-probes.html", CHINESE, ENGLISH, "../../chapters/08-probes.html"),
    ("search", "search.html", CHINESE, ENGLISH, "../search.html"),
])
def test_the_same_page_in_the_other_edition_is_a_relative_address(pagename, target, here, there, expected):
    assert same_page_in(pagename, target, here, there) == expected


def test_the_language_tags_are_bcp_47():
    assert (ENGLISH.tag, CHINESE.tag) == ("en", "zh-CN")


def test_a_catalog_is_counted_by_state(tmp_path):
    path = tmp_path / "chapters" / "08-probes.po"
    path.parent.mkdir()
    path.write_text(CATALOG, encoding="utf-8")
    count = count_catalog(path, tmp_path)
    assert count == CatalogCount("chapters/08-probes", total=3, untranslated=1, fuzzy=1, stale=1)
    assert count.needs_work
    table = translations.counts_table([count])
    assert "chapters/08-probes" in table and table.splitlines()[-1].split()[-4:] == ["3", "1", "1", "1"]


def test_the_book_has_a_catalog_for_every_page():
    from podnotes.book.notebooks import toc_documents

    pages = {path.relative_to(ROOT).with_suffix("").as_posix() for path in toc_documents(ROOT)}
    counted = {row.page: row for row in translations.catalog_counts(ROOT)}
    assert pages, "no pages in _toc.yml"
    assert pages - set(counted) == set(), "pages without a catalog: run `make translations`"
    assert all(counted[page].total > 0 for page in pages)


def test_every_message_is_translated_and_none_is_fuzzy_or_stale():
    """Drift: fails while any page's catalog has an untranslated, fuzzy (its English text changed) or stale
    (its English text is gone) entry."""
    counts = translations.catalog_counts(ROOT)
    assert counts, "no zh_CN catalogs"
    work = [row for row in counts if row.needs_work]
    assert not work, (
        f"{len(work)} of {len(counts)} zh_CN catalogs need work (messages / untranslated / fuzzy / stale):\n"
        + "\n".join(f"  locales/zh_CN/LC_MESSAGES/{row.page}.po: {row.total} / {row.untranslated} / "
                    f"{row.fuzzy} / {row.stale}" for row in work)
        + "\nRun `make translations` to update the catalogs and list them, then translate.")


def test_the_command_line_lists_the_catalogs(capsys):
    assert translations.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "chapters/08-probes" in out and out.splitlines()[-1].startswith("all pages")


def test_a_bad_command_line_exits_4(capsys):
    assert translations.main(["translate-everything"]) == 4


def test_a_book_without_catalogs_exits_3(tmp_path, capsys):
    assert translations.main(["status", "--book", str(tmp_path)]) == 3
    assert "no zh_CN catalogs" in capsys.readouterr().err


def test_a_message_translated_as_itself_is_not_shown_in_english(tmp_path):
    """Sphinx leaves a node whose translation equals its English text untouched, so the build reports it; the
    catalog says it is translated (``kubectl`` stays ``kubectl``). A message the catalog lacks is stale."""
    import json

    catalog = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES" / "page.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                       'msgid "kubectl"\nmsgstr "kubectl"\n\nmsgid "Some prose."\nmsgstr ""\n', encoding="utf-8")
    report = tmp_path / "_build" / "zh-CN" / translations.UNTRANSLATED_REPORT
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"page": ["kubectl", "Some prose.", "A new paragraph."]}), encoding="utf-8")
    assert translations.shown_in_english(tmp_path, tmp_path) == {"page": 2}
    assert translations.missing_from_catalogs(tmp_path, tmp_path) == {"page": 1}
