"""Tables a reader can read on a phone and on a desktop without scrolling sideways.

Two changes to every table of a page's body, made to the HTML Sphinx writes (``html-page-context``):

- a word in a table cell (inline code or not) of :data:`LONG_CODE` characters or more may break after a
  path or field separator (``/``, ``.``, ``::``, ``_``, ``,``, ``=``), and a camel-case name of
  :data:`LONG_IDENTIFIER` letters or more between its words: a ``<wbr>`` marks each place, so
  ``tests/site/test_screens.py::test_x`` wraps at its slashes while ``Pending`` or
  ``PodReadyToStartContainers`` stay whole, and a copied path has no extra characters in it;
- a table with headings and :data:`STACK_FROM_COLUMNS` columns or more gets the class
  :data:`STACK_CLASS`, and each of its body cells a ``data-label`` with its column's heading: on a narrow
  screen the site's CSS (``podnotes/data/site-static/podnotes.css``) shows such a table as one block per
  row, every cell under the heading it belongs to, and an empty cell (:data:`EMPTY_CLASS`) not at all;
- punctuation glued to inline code (``（`kubeletConfig`）、`` in the Chinese edition, where no line may begin
  with ``）`` nor end with ``（``) is wrapped with the code in a :data:`GLUE_CLASS` span, which the CSS lets
  break there only when nothing else fits: a table's narrowest width is then that of the code itself, not
  of the code and its brackets (a full-width bracket is one em wide).

Tables that lay themselves out (the general index, the status page's execution table,
:data:`OWN_LAYOUT`) are left as they are.
"""

from __future__ import annotations

import re

#: A word at least this long may break at its separators; a shorter one stays on one line.
LONG_CODE = 16
#: A camel-case identifier at least this long may also break between its words
#: (``InPlacePodLevel|ResourcesVerticalScaling``); ``PodReadyToStartContainers`` or
#: ``terminationGracePeriodSeconds`` stay whole.
LONG_IDENTIFIER = 30
#: Tables with at least this many columns stack on a narrow screen (a one-column table is a list already).
STACK_FROM_COLUMNS = 2
STACK_CLASS = "podnotes-stack"
#: An empty cell of a stacking table: a stacked row leaves it out.
EMPTY_CLASS = "podnotes-empty"
#: Inline code and the punctuation glued to it, breakable only as a last resort (``overflow-wrap: anywhere``).
GLUE_CLASS = "podnotes-glue"
#: Punctuation that UAX #14 keeps on the line of the code it touches: opening marks before, closing marks
#: and separators after (ASCII and full-width).
_OPENING = "([{“‘「『（《【〔"
_CLOSING = ")]}”’」』）》】〕、，；：。！？,;:.!?"
#: CSS selectors of tables with a layout of their own.
OWN_LAYOUT = ("table.indextable", "section#execution-of-every-notebook table")
# A break is allowed after each of these, never before the first character or after the last.
_SEPARATOR = re.compile(r"(::|[/.,=_])(?=.)")
_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])")


def break_points(word: str) -> list[str]:
    """``word`` cut after each separator when it is at least ``LONG_CODE`` characters long, and between
    the words of a camel-case name of ``LONG_IDENTIFIER`` characters or more: ``"a/b.c"`` stays
    ``["a/b.c"]``; ``"pkg/kubelet/prober/worker.go"`` gives ``["pkg/", "kubelet/", "prober/", "worker.",
    "go"]``."""
    if len(word) < LONG_CODE:
        return [word]
    cuts = {match.end() for match in _SEPARATOR.finditer(word)}
    for name in re.finditer(r"[A-Za-z]+", word):
        if name.end() - name.start() >= LONG_IDENTIFIER:
            cuts |= _hump_cuts(name.group(), name.start())
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(word)), len(word)]
    return [word[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def _hump_cuts(name: str, offset: int, shortest: int = 5) -> set[int]:
    """Where a long camel-case ``name`` (at ``offset`` in its word) may break: between its words, each
    piece at least ``shortest`` letters (``InPlace|PodLevel|Resources|Vertical|Scaling``)."""
    cuts, last = set(), 0
    for hump in _CAMEL_HUMP.finditer(name):
        if hump.start() - last >= shortest and len(name) - hump.start() >= shortest:
            cuts.add(offset + hump.start())
            last = hump.start()
    return cuts


def readable_tables(body: str) -> str:
    """``body`` (a page's HTML) with break points in the long code of its tables and the stacking class
    and cell labels on its tables of ``STACK_FROM_COLUMNS`` columns or more; unchanged without tables."""
    if "<table" not in body:
        return body
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    skipped = {id(table) for selector in OWN_LAYOUT for table in soup.select(selector)}
    changed = False
    for table in soup.find_all("table"):
        if id(table) in skipped or table.find_parent("table") is not None:
            continue
        changed |= _break_long_words(soup, table)
        changed |= _glue_punctuation(soup, table)
        changed |= _label_cells(table)
    return str(soup) if changed else body


def _break_long_words(soup, table) -> bool:
    """Put a ``<wbr>`` after each separator of the long words of the table's cells, code or not. Sphinx
    writes each word of inline code as a ``span.pre``, which the site keeps on one line (``white-space: nowrap``, so
    that ``handler-count`` never breaks at its hyphen): such a span is split into one span per piece, the
    ``<wbr>`` between them."""
    changed = False
    for cell in table.select("td, th"):
        for text in list(cell.find_all(string=True)):
            if text.find_parent(["pre", "script", "style"]) is not None:
                continue
            tokens = _with_breaks(str(text))
            if None not in tokens:
                continue
            holder = text.parent
            whole_span = holder.name == "span" and "pre" in (holder.get("class") or []) and \
                len(holder.contents) == 1
            anchor = holder if whole_span else text
            for token in tokens:
                if token is None:
                    anchor.insert_before(soup.new_tag("wbr"))
                elif whole_span:
                    span = soup.new_tag("span", attrs={"class": holder.get("class")})
                    span.string = token
                    anchor.insert_before(span)
                else:
                    anchor.insert_before(token)
            anchor.extract()
            changed = True
    return changed


def _glue_punctuation(soup, table) -> bool:
    """Wrap each inline code of the table's cells (with the link around it when the link holds only the
    code) and the opening punctuation just before it and the closing punctuation just after it in a
    ``span`` of :data:`GLUE_CLASS`."""
    changed = False
    for code in table.select("td code, th code"):
        if code.find_parent(class_=GLUE_CLASS) is not None:
            continue
        unit = code.parent if code.parent.name == "a" and code.parent.get_text() == code.get_text() else code
        before = _split_punctuation(unit.previous_sibling, _OPENING, at_end=True)
        after = _split_punctuation(unit.next_sibling, _CLOSING, at_end=False)
        if before is None and after is None:
            continue
        glue = soup.new_tag("span", attrs={"class": GLUE_CLASS})
        unit.insert_before(glue)
        glue.extend([part for part in (before, unit.extract(), after) if part])
        changed = True
    return changed


def _split_punctuation(node, marks: str, at_end: bool) -> str | None:
    """The run of ``marks`` at the end (``at_end``) or start of the text ``node``, cut out of it; ``None``
    when ``node`` is not text or has no such run."""
    from bs4 import NavigableString

    if not isinstance(node, NavigableString):  # a tag, or nothing
        return None
    text = str(node)
    kept = text.rstrip(marks) if at_end else text.lstrip(marks)
    if kept == text:
        return None
    run = text[len(kept):] if at_end else text[:len(text) - len(kept)]
    if kept:
        node.replace_with(kept)
    else:
        node.extract()
    return run


def _with_breaks(text: str) -> list[str | None]:
    """``text`` as pieces, ``None`` where a break may go (:func:`break_points` of each word)."""
    tokens: list[str | None] = []
    for word in re.split(r"(\s+)", text):
        for index, piece in enumerate(break_points(word)):
            tokens += [None, piece] if index else [piece]
    return [token for token in tokens if token != ""]


def _label_cells(table) -> bool:
    head = table.find("thead")
    first = table.find("tr")
    columns = len(first.find_all(["th", "td"], recursive=False)) if first else 0
    if head is None or columns < STACK_FROM_COLUMNS:
        return False
    labels = [" ".join(cell.get_text(" ", strip=True).split()) for cell in head.find_all(["th", "td"])]
    classes = table.get("class") or []
    if STACK_CLASS not in classes:
        table["class"] = [STACK_CLASS, *classes]
    for row in table.select("tbody > tr"):
        for cell, label in zip(row.find_all(["td", "th"], recursive=False), labels, strict=False):
            if not cell.get_text(strip=True) and cell.find(["img", "svg"]) is None:
                cell["class"] = [*(cell.get("class") or []), EMPTY_CLASS]  # a heading over nothing is left out
            elif label:
                cell["data-label"] = label
    return True


def on_page_context(app, pagename, templatename, context, doctree) -> None:
    """Sphinx ``html-page-context`` handler: rewrite the page's body with :func:`readable_tables`."""
    if isinstance(context.get("body"), str):
        context["body"] = readable_tables(context["body"])
