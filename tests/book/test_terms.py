"""The Chinese edition's term list (src/podnotes/data/zh-terms.yml, read by podnotes.book.terms) agrees with
the glossary, and every translated message of every Chinese page uses the standard words of
kubernetes.io/zh-cn (github.com/kubernetes/website, content/zh-cn/docs/reference/glossary/)."""

from __future__ import annotations

import pytest

from podnotes.book import translations
from podnotes.book.terms import Term, check_catalog, check_message, index_entry_in_chinese, load_terms

from ..conftest import ROOT
from .test_glossary import glossary_entries

TERMS = load_terms()
GLOSSARY_TERMS = [term for term in TERMS if term.glossary]


def test_the_term_list_has_its_terms():
    assert len(TERMS) >= 50
    assert {"存活探针", "名字空间", "命名空间", "控制组", "pause 容器", "体面终止"} <= {term.zh for term in TERMS}


@pytest.mark.parametrize("term", GLOSSARY_TERMS, ids=lambda term: term.term)
def test_the_glossary_entry_opens_with_the_standard_word(term):
    entries = glossary_entries()
    assert term.term in entries, f"no glossary entry {term.term!r}"
    first_line = entries[term.term].strip().splitlines()[0]
    assert first_line.startswith(term.zh), f"{term.term}: the glossary says {first_line!r}, the list {term.zh!r}"
    for word in term.also:
        assert word in entries[term.term], f"{term.term}: {word} is accepted but the glossary does not name it"


@pytest.mark.parametrize("term", TERMS, ids=lambda term: term.term)
def test_no_variant_is_an_accepted_word(term):
    accepted = (term.zh, *term.also)
    assert not [variant for variant in term.avoid if variant in accepted], term


@pytest.mark.parametrize("variant,standard", [
    ("存活性探针", "存活探针"), ("优雅终止", "体面终止"), ("侧车容器", "边车容器"), ("服务帐户", "服务账号"),
    ("名称空间", "名字空间"), ("pause容器", "pause 容器"), ("网络名字空间", "网络命名空间"),
])
def test_a_variant_in_a_translation_fails(tmp_path, variant, standard):
    path = tmp_path / "page.po"
    path.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                    f'msgid "The text."\nmsgstr "这里写的是{variant}。"\n', encoding="utf-8")
    problems = check_catalog(path)
    assert problems and problems[0].variant == variant and problems[0].standard.endswith(standard[-2:])
    assert f"{path}:5:" in str(problems[0]) and "The text." in str(problems[0])


def test_a_variant_the_english_text_quotes_is_allowed():
    term = Term("graceful termination", "体面终止", avoid=("优雅终止",))
    assert check_message("体面终止 (elsewhere often 优雅终止)", "体面终止（别处常写作 优雅终止）", (term,)) == []
    assert check_message("Stopping a Pod gracefully.", "优雅终止 Pod。", (term,)) == [(term, "优雅终止")]


def test_a_standard_word_passes():
    assert check_message("The liveness probe.", "存活探针。", TERMS) == []


def test_the_catalogs_have_messages_to_check():
    assert sum(row.total for row in translations.catalog_counts(ROOT)) > 1000


@pytest.mark.parametrize("path", translations.catalog_files(ROOT),
                         ids=lambda path: path.relative_to(ROOT / "locales").as_posix())
def test_every_translated_message_uses_the_standard_words(path):
    problems = check_catalog(path)
    assert not problems, "\n".join(map(str, problems))


def test_index_entries_become_the_chinese_term_and_names_stay():
    """The Chinese edition's index entries (sphinxext.TranslateIndexEntries) use the term list's words."""
    terms = load_terms()
    assert index_entry_in_chinese("liveness probe", terms) == "存活探针"
    assert index_entry_in_chinese("Pause Container", terms) == "pause 容器"
    assert index_entry_in_chinese("probe; liveness probe", terms) == "探针; 存活探针"
    assert index_entry_in_chinese("OOMKilled", terms) == "OOMKilled"
