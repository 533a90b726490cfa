"""The Chinese edition's term list (``podnotes/data/zh-terms.yml``): for each English term the standard Chinese
word, as kubernetes.io/zh-cn writes it (github.com/kubernetes/website, content/zh-cn/docs/reference/glossary/),
and the variants a translation must not use.

:func:`check_catalog` reads one gettext catalog (``.po``) and returns a :class:`TermProblem` for every
translated message that writes a variant, unless the message's English text writes that variant itself (the
glossary names the variants it replaces). Fuzzy messages are checked too: Sphinx does not show them, but they
are the next translation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TERMS_FILE = Path(__file__).parents[1] / "data" / "zh-terms.yml"
CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


@dataclass(frozen=True)
class Term:
    """``term``: the English term; ``zh``: its standard Chinese word; ``also``: other accepted words;
    ``avoid``: variants that must not appear; ``glossary``: whether the book's glossary has an entry for it."""

    term: str
    zh: str
    also: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    glossary: bool = True

    def searchable_words(self) -> list[str]:
        """The runs of Chinese characters of the accepted words: 存活探针, 名字空间, 容器 (of "pause 容器")."""
        return [run for word in (self.zh, *self.also) for run in CJK_RUN.findall(word)]


@dataclass(frozen=True)
class TermProblem:
    """A translated message (``line`` of ``path``) that writes ``variant`` where ``term`` wants ``standard``."""

    path: Path
    line: int
    term: str
    variant: str
    standard: str
    msgid: str = field(repr=False)

    def __str__(self) -> str:
        english = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "..."
        return (f"{self.path}:{self.line}: {self.variant!r} is not the standard word for {self.term!r}: "
                f"write {self.standard!r} (msgid {english!r})")


@cache
def load_terms(path: Path = TERMS_FILE) -> tuple[Term, ...]:
    """The term list; raises ``ValueError`` naming the entry when one lacks ``term`` or ``zh``, and
    :class:`podnotes.datafiles.DataFileError` (a ``ValueError``) for a key given twice in one entry."""
    from ..datafiles import load_path

    entries = load_path(path)
    terms = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("term") or not entry.get("zh"):
            raise ValueError(f"{path}: entry {number}: needs `term` and `zh`: {entry!r}")
        terms.append(Term(term=entry["term"], zh=entry["zh"], also=tuple(entry.get("also", ())),
                          avoid=tuple(entry.get("avoid", ())), glossary=entry.get("glossary", True)))
    return tuple(terms)


def index_entry_in_chinese(entry: str, terms: tuple[Term, ...]) -> str:
    """An index entry (``"liveness probe"``, or ``"probe; liveness"`` with a sub-entry) with each part that is a
    term of the list, in any case, replaced by its Chinese word; other parts (``OOMKilled``) unchanged."""
    chinese = {term.term.lower(): term.zh for term in terms}
    return "; ".join(chinese.get(part.strip().lower(), part.strip()) for part in entry.split(";"))


def check_message(msgid: str, msgstr: str, terms: tuple[Term, ...]) -> list[tuple[Term, str]]:
    """The (term, variant) pairs a translation writes that its English text does not."""
    return [(term, variant) for term in terms for variant in term.avoid
            if variant in msgstr and variant not in msgid]


def check_catalog(path: Path, terms: tuple[Term, ...] | None = None) -> list[TermProblem]:
    from .translations import read_catalog

    terms = terms if terms is not None else load_terms()
    problems = []
    for message in read_catalog(path):
        if not message.id or not message.string:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else "\n".join(message.string)
        line = message.lineno or 0
        problems += [TermProblem(path, line, term.term, variant, term.zh, msgid)
                     for term, variant in check_message(msgid, msgstr, terms)]
    return problems
