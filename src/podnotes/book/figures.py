"""The book's drawings in both editions: a myst-nb renderer for the output of
:class:`podnotes.diagrams.BilingualDiagram`.

A glue cell glues one output holding a drawing in English and in Chinese (the MIME type
:data:`podnotes.diagrams.BILINGUAL_MIME`: ``{"en": svg, "zh-CN": svg}``). Each SVG is written to a file as
myst-nb writes any SVG output (so that a figure's picture stays an ``<img>`` of its own ``.svg`` file, which
the site links to full size and measures on a phone) and shown in a ``podnotes-lang-en|zh`` wrapper with its
``lang``, beside the style of :mod:`podnotes.notices`, so that each edition shows its own (``<html lang>``).
A ``glue:figure``'s ``:alt:`` applies to both pictures (in the Chinese edition, the catalogs' translation).
Registered as a ``myst_nb.mime_renderers`` entry point (pyproject.toml).
"""

from __future__ import annotations

from html import escape

from podnotes.diagrams import BILINGUAL_MIME, LANGUAGES


class BilingualFigureRenderer:
    """myst-nb mime render plugin (``myst_nb.core.render.MimeRenderPlugin``) for :data:`BILINGUAL_MIME`."""

    # Before text/html and image/svg+xml (myst-nb's HTML priorities start at 10), for every builder.
    mime_priority_overrides = [("*", BILINGUAL_MIME, 1)]

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        """The two pictures, each in its language's wrapper, or None for any other output."""
        if inline or data.mime_type != BILINGUAL_MIME:
            return None
        from docutils import nodes
        from myst_nb.core.render import MimeData

        from podnotes.notices import _STYLE

        content = data.content
        if not isinstance(content, dict) or set(content) != set(LANGUAGES):
            renderer.logger.warning(f"a bilingual figure needs exactly {LANGUAGES}, got {sorted(content)}",
                                    subtype="mime_type", line=data.line)
            return None
        shown: list[nodes.Element] = [nodes.raw(text=_STYLE, format="html")]
        for language in LANGUAGES:
            wrapper = "zh" if language.startswith("zh") else language
            svg = MimeData("image/svg+xml", content[language], cell_metadata=data.cell_metadata,
                           output_metadata=data.output_metadata, cell_index=data.cell_index,
                           output_index=data.output_index, line=data.line)
            shown.append(nodes.raw(text=f'<div class="podnotes-lang-{wrapper}" lang="{escape(language)}">',
                                   format="html"))
            shown.extend(renderer.render_image(svg))
            shown.append(nodes.raw(text="</div>", format="html"))
        return shown
