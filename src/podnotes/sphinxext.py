"""Sphinx glue for the book's site.

sphinx-book-theme offers an ``.ipynb`` download for MyST Markdown notebooks only
when a launch service (Binder, JupyterHub, Colab) is configured. The book links
to none, so that it works offline, and still offers each chapter both as its
``.md`` source and as the executed ``.ipynb``.

The site must also read completely without a network (workshops, a copy on a
laptop). Jupyter Book always loads sphinx-thebe, which writes the address of its
live-code bundle on a CDN and a Binder configuration into every page even when
live code is switched off; the book has no live code, so those assets are left
out of the pages. Math is written into the page as MathML at build time
(``html_math_renderer: mathml`` in ``_config.yml``) instead of being typeset in
the browser by MathJax loaded from a CDN.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from sphinx.util.math import get_node_equation_number

THEBE_MARKERS = ("thebe",)
FAVICON = Path(__file__).parent / "data" / "favicon.svg"


def offer_executed_notebook(app, pagename, templatename, context, doctree):
    if not context.get("sourcename", "").endswith((".md", ".md.txt")):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(executed_notebook_text(app, executed), encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def executed_notebook_text(app, executed: Path) -> str:
    """The notebook with its outputs.

    When myst-nb takes a notebook's outputs from the execution cache it renders
    them, but writes the notebook to ``jupyter_execute`` without them; those
    outputs are merged back here from the same cache.
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if code and all(cell.get("execution_count") is None for cell in code):
        notebook = _with_cached_outputs(app, notebook)
    return nbformat.writes(notebook)


def _with_cached_outputs(app, notebook):
    from jupyter_cache import get_cache

    cache_path = app.env.mystnb_config.execution_cache_path
    if not cache_path or not Path(cache_path).is_dir():
        return notebook
    try:
        _, merged = get_cache(cache_path).merge_match_into_notebook(notebook)
    except KeyError:  # not in the cache: the notebook really has no outputs
        return notebook
    return merged


def _mentions_thebe(asset) -> bool:
    text = f"{asset.filename or ''} {asset.attributes.get('body', '')}"
    return any(marker in text.lower() for marker in THEBE_MARKERS)


def drop_live_code_assets(app, pagename, templatename, context, doctree):
    """Leave sphinx-thebe's scripts and stylesheet out of the page."""
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _mentions_thebe(asset)]


def drop_live_code_config(app, doctree, docname):
    """Remove the raw ``text/x-thebe-config`` block sphinx-thebe appends to pages."""
    for node in list(doctree.findall(nodes.raw)):
        if "x-thebe-config" in node.astext() or "kernelName =" in node.astext():
            node.parent.remove(node)


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    return convert(latex.strip(), display=display)


def visit_math_as_mathml(self, node):
    self.body.append(_mathml(node.astext(), "inline"))
    raise nodes.SkipNode


def visit_displaymath_as_mathml(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, "Link to this equation")
        self.body.append("</span>")
    # Blank lines separate equations in one block, as Sphinx's own renderers read it.
    for equation in (part for part in node.astext().split("\n\n") if part.strip()):
        self.body.append(_mathml(equation, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


STATUS_PAGE = "chapters/reference/status"


def keep_provenance_records(app):
    """Chapters executed by this build record what they ran for real (:mod:`podnotes.provenance`); the
    notebook kernels inherit the variable that says where."""
    from podnotes import provenance

    os.environ[provenance.RECORDS_ENV] = str(Path(app.outdir).parent / "provenance")


def status_page_always_read(app, env, added, changed, removed):
    """The status page summarises every chapter's record, so it is read (and executed) on every build."""
    return [STATUS_PAGE] if STATUS_PAGE in env.found_docs else []


def default_favicon(app, config):
    # A page without an icon makes browsers ask for /favicon.ico, a failed request.
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)


def setup(app):
    app.connect("config-inited", default_favicon)
    app.connect("builder-inited", keep_provenance_records)
    app.connect("env-get-outdated", status_page_always_read)
    app.add_html_math_renderer(
        "mathml", (visit_math_as_mathml, None), (visit_displaymath_as_mathml, None),
    )
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_executed_notebook, priority=500)
    app.connect("html-page-context", drop_live_code_assets, priority=900)
    # After sphinx-thebe has appended its configuration (default priority 500).
    app.connect("doctree-resolved", drop_live_code_config, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
