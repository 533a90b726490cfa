"""A drawing glued in both languages (podnotes.diagrams.bilingual) as a real Sphinx + myst-nb build shows it:
one figure, its caption and alt text, two pictures written as .svg files, each in its language's wrapper
(podnotes.book.figures)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from podnotes import diagrams
from podnotes.book.figures import BilingualFigureRenderer

CONF = """extensions = ["myst_nb"]
nb_execution_mode = "force"
language = "{language}"
locale_dirs = ["locales"]
gettext_compact = False
"""
ALT = "A parent process and its child, as the chapter says it."
CAPTION = "How one process starts another."
# The Chinese edition's catalog of the page: the figure's alt text and caption.
CATALOG = f"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "{ALT}"
msgstr "父进程和它的子进程，如本章所述。"

msgid "{CAPTION}"
msgstr "一个进程如何启动另一个进程。"
"""
SHOWN = {"en": (ALT, CAPTION), "zh_CN": ("父进程和它的子进程，如本章所述。", "一个进程如何启动另一个进程。")}
PAGE_TEMPLATE = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
# Drawings

```{code-cell} ipython3
:tags: [remove-input]
from myst_nb import glue
from podnotes import diagrams
glue("fig-fork-exec", diagrams.bilingual(diagrams.fork_exec).image(), display=False)
```

```{glue:figure} fig-fork-exec
:alt: {alt}
:name: fig-processes-fork-exec

{caption}
```
"""


class FigureParts(HTMLParser):
    """The wrappers (class, lang), the pictures (src, alt, the wrapper they are in) and captions of a page."""

    def __init__(self):
        super().__init__()
        self.wrappers: list[tuple[str, str]] = []
        self.pictures: list[tuple[str, str, str]] = []
        self.captions = 0
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("class") or "").startswith("podnotes-lang-"):
            self.wrappers.append((attrs["class"], attrs.get("lang")))
            self._open.append(attrs["class"])
        elif tag == "div":
            self._open.append("")
        elif tag == "img":
            self.pictures.append((attrs["src"], attrs.get("alt", ""), next((w for w in self._open[::-1] if w), "")))
        elif tag == "figcaption":
            self.captions += 1

    def handle_endtag(self, tag):
        if tag == "div" and self._open:
            self._open.pop()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_glued_drawing_shows_both_pictures_with_caption_and_alt(tmp_path, language):
    if shutil.which("sphinx-build", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("sphinx-build is not installed beside this Python")
    (tmp_path / "conf.py").write_text(CONF.format(language=language))
    (tmp_path / "index.md").write_text(PAGE_TEMPLATE.replace("{alt}", ALT).replace("{caption}", CAPTION))
    (tmp_path / "locales" / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locales" / "zh_CN" / "LC_MESSAGES" / "index.po").write_text(CATALOG, encoding="utf-8")
    alt, caption = SHOWN[language]
    build = subprocess.run([str(Path(sys.executable).parent / "sphinx-build"), "-W", "-q", "-b", "html",
                            str(tmp_path), str(tmp_path / "html")], capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr[-2000:]
    page = (tmp_path / "html" / "index.html").read_text()
    figure = page[page.index("<figure"):page.index("</figure>")]
    parts = FigureParts()
    parts.feed(figure)
    assert parts.wrappers == [("podnotes-lang-en", "en"), ("podnotes-lang-zh", "zh-CN")]
    assert [wrapper for _, _, wrapper in parts.pictures] == ["podnotes-lang-en", "podnotes-lang-zh"]
    assert [shown for _, shown, _ in parts.pictures] == [alt, alt], "the edition's alt text on both pictures"
    assert parts.captions == 1 and caption in figure
    assert 'html[lang|="zh"] .podnotes-lang-en' in figure, "the style that shows each edition its own"
    files = [tmp_path / "html" / src for src, _, _ in parts.pictures]
    assert all(file.suffix == ".svg" and file.is_file() for file in files), files
    english, chinese = (file.read_text() for file in files)
    assert english.strip() == diagrams.fork_exec().svg().strip()
    assert chinese.strip() == diagrams.drawn_in("zh-CN", diagrams.fork_exec).svg().strip() != english.strip()


def test_the_renderer_takes_only_a_whole_bilingual_figure():
    class Renderer:
        class logger:  # noqa: N801 - stands for the renderer's logger attribute
            warnings: list[str] = []

            @classmethod
            def warning(cls, message, **_):
                cls.warnings.append(message)

    from myst_nb.core.render import MimeData

    other = MimeData("image/svg+xml", "<svg/>")
    assert BilingualFigureRenderer.handle_mime(Renderer, other, False) is None
    half = MimeData(diagrams.BILINGUAL_MIME, {"en": "<svg/>"})
    assert BilingualFigureRenderer.handle_mime(Renderer, half, False) is None
    assert Renderer.logger.warnings and "zh-CN" in Renderer.logger.warnings[0]
    assert ("*", diagrams.BILINGUAL_MIME, 1) in BilingualFigureRenderer.mime_priority_overrides
