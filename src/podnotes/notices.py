"""Sentences that code shows a reader about this copy of the book, in both editions' languages.

The book is executed once and both editions show that one execution (:mod:`podnotes.book.translations`), so
what a cell prints is the same in both and is not translated by the catalogs: it changes from build to build
(versions, the reason a part could not run). The few such outputs that are sentences for a reader (what this
copy ran for real, what it could not and why, the command that runs it: :mod:`podnotes.provenance` and
:mod:`podnotes.linux.privileges`) are therefore shown as a :class:`Notice` that holds both languages; each
edition shows its own (``<html lang>``: ``en`` or ``zh-CN``). The Chinese words live in
``podnotes/data/notices.zh-CN.yml``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html import escape

# Each edition shows the paragraph of its own language. Kept with the output, so that a notebook opened in
# Jupyter (whose page says lang="en") shows the English one too.
_STYLE = ('<style>html:not([lang|="zh"]) .podnotes-lang-zh, html[lang|="zh"] .podnotes-lang-en '
          "{display: none;}</style>")

# English text a notice asked for that the table has no Chinese for (kept English in the Chinese edition);
# tests look here after building every notice.
untranslated: set[str] = set()


@dataclass(frozen=True)
class Notice:
    """Reader-facing sentences in English and Chinese (both Markdown: paragraphs, ``- `` lists, ``**bold**``
    and `` `code` ``).

    In a notebook it shows as Markdown (English) or, where HTML is preferred (the site), as both languages,
    each marked with its ``lang`` so that only the edition's own shows. ``title`` makes it a note box."""

    en: str
    zh: str
    title_en: str = ""
    title_zh: str = ""
    paragraph_class: str = ""  # the class of each language's paragraph, for the site's stylesheet

    def __str__(self) -> str:
        return self.en

    def _repr_pretty_(self, printer, cycle) -> None:  # how IPython shows it as text: the English
        printer.text(self.en)

    def _repr_markdown_(self) -> str:
        return self.en

    def _repr_html_(self) -> str:
        parts = [_STYLE]
        for lang, code, text, title in (("en", "en", self.en, self.title_en), ("zh", "zh-CN", self.zh, self.title_zh)):
            body = _blocks(text, self.paragraph_class)
            if title:
                body = (f'<div class="admonition note podnotes-not-run"><p class="admonition-title">'
                        f"{escape(title)}</p>{body}</div>")
            parts.append(f'<div class="podnotes-lang-{lang}" lang="{code}">{body}</div>')
        return "".join(parts)


def _blocks(text: str, paragraph_class: str = "") -> str:
    """Paragraphs (split at blank lines) and bulleted lists (lines starting ``- ``) as HTML."""
    css = f' class="{paragraph_class}"' if paragraph_class else ""
    html = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline_markdown(line[2:])}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append(f"<p{css}>{_inline_markdown(' '.join(lines))}</p>")
    return "".join(html)


def _inline_markdown(text: str) -> str:
    """The Markdown these sentences use (``**bold**``, `` `code` ``) as HTML, everything else escaped."""
    pieces = re.split(r"(`[^`]+`)", text)
    html = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            html.append(f"<code>{escape(piece[1:-1])}</code>")
        else:
            html.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(piece)))
    return "".join(html)


@functools.cache
def _table() -> dict:
    from .datafiles import load

    table = load("notices.zh-CN.yml")
    table["compiled"] = [(re.compile(rule["en"]), rule) for rule in table["patterns"]]
    return table


def sentence(name: str, **fields: str) -> str:
    """The Chinese sentence ``name`` (``ran``, ``not_run``, ``section``, ``section_title``) with ``fields``
    put in as they are (translate them first with :func:`zh`), with a space between Chinese and Latin letters
    or digits, as kubernetes.io/zh-cn writes."""
    return _spaced(_table()["sentences"][name].format(**fields))


_CJK = "\u4e00-\u9fff"


def _spaced(text: str) -> str:
    text = re.sub(f"(?<=[{_CJK}])(?=[A-Za-z0-9`])", " ", text)
    return re.sub(f"(?<=[A-Za-z0-9`])(?=[{_CJK}])", " ", text)


def phrase(text: str) -> str:
    """``text`` in Chinese when the table has it as a phrase, else as it is (data: a name, a version)."""
    return _table()["phrases"].get(text, text)


def zh(text: str) -> str:
    """``text`` (an English phrase or sentence of a notice) in Chinese: an exact phrase of the table, else
    the first pattern that matches all of it, its parts translated in turn. Text the table does not know is
    returned as it is and remembered in :data:`untranslated`."""
    table = _table()
    if text in table["phrases"]:
        return table["phrases"][text]
    for pattern, rule in table["compiled"]:
        match = pattern.fullmatch(text)
        if match:
            return rule["zh"].format(**{name: _part(name, value, rule) for name, value in match.groupdict().items()})
    untranslated.add(text)
    return text


# Pattern groups that hold data (an error message, example names, a system, a sysctl and its value): shown as
# they are unless the table has them as a phrase.
_DATA_GROUPS = {"error", "names", "system", "sysctl", "value", "controllers", "praise", "hint"}


def _part(name: str, value: str, rule: dict) -> str:
    if name == "items":
        return rule["join"].join(zh(item) for item in value.split(rule["split"]))
    if name in _DATA_GROUPS:
        return _table()["phrases"].get(value, value)
    return zh(value)
