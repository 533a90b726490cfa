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

from pathlib import Path

from docutils import nodes
from sphinx.util.math import get_node_equation_number

THEBE_MARKERS = ("thebe",)
STATUS_WORDS = {"✅": "ran", "❌": "failed"}
# The downloaded .ipynb is a chapter of the book: its cells import the podnotes
# package and read files of the repository (chapters/manifests/...).
DOWNLOAD_NOTE_TAG = "podnotes-download-note"
RUN_STEPS = ["git clone {repository} podnotes", "cd podnotes", "make venv",
             ".venv/bin/jupyter lab chapters/"]
DOWNLOAD_NOTE = """\
**To run this notebook you need the podnotes repository**, not just this file: its
cells import the `podnotes` package and read the repository's files (manifests,
presets), with paths relative to the `chapters/` folder. On Linux with Python 3.10
to 3.13:

{steps}

then open this chapter's `.md` file there (jupytext opens it as a notebook).
Cells that need root or a cluster say so and what they would need. As downloaded,
this notebook shows the outputs of the build that published the site."""
FAVICON = Path(__file__).parent / "data" / "favicon.svg"
# The book's stylesheet (narrow screens, long code) and anything else the pages load.
SITE_STATIC = Path(__file__).parent / "data" / "site-static"
STYLESHEET = "podnotes.css"


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
    """The notebook with its outputs, opening with a note on what it needs to run.

    When myst-nb takes a notebook's outputs from the execution cache it renders
    them, but writes the notebook to ``jupyter_execute`` without them; those
    outputs are merged back here from the same cache.
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if code and all(cell.get("execution_count") is None for cell in code):
        notebook = _with_cached_outputs(app, notebook)
    steps = run_steps(app)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
        DOWNLOAD_NOTE.format(steps="\n".join(f"    {step}" for step in steps)),
        metadata={"tags": [DOWNLOAD_NOTE_TAG]}))
    notebook.metadata["podnotes"] = {"needs": "a checkout of the podnotes repository", "run": steps}
    return nbformat.writes(notebook)


def run_steps(app) -> list[str]:
    """The commands that run a downloaded chapter: clone, install, open."""
    repository = app.config.html_theme_options.get("repository_url") or "https://github.com/podnotes/podnotes"
    return [step.format(repository=repository) for step in RUN_STEPS]


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


def status_words_for_emoji(app, doctree, docname):
    """Write myst-nb's execution table's ✅/❌ as words: a reader without an
    emoji font would see a missing glyph."""
    for text in list(doctree.findall(nodes.Text)):
        word = STATUS_WORDS.get(text.astext().strip())
        if word is not None and isinstance(text.parent, nodes.paragraph) and _in_table(text):
            text.parent.replace(text, nodes.Text(word))


def _in_table(node) -> bool:
    return any(isinstance(up, nodes.table) for up in _ancestors(node))


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


def link_figures_to_full_size(app, doctree, docname):
    """Make every figure's picture a link to its own file.

    A figure fills the column, which on a phone makes a timeline about a third
    of its drawn size; a tap then opens the full-size drawing. (Sphinx links only
    pictures given an explicit width or scale.)"""
    if app.builder.format != "html":
        return
    from sphinx.util.osutil import relative_uri

    images_dir = relative_uri(app.builder.get_target_uri(docname), "_images")
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if isinstance(image.parent, nodes.reference) or uri not in app.env.images:
            continue
        if not any(isinstance(up, nodes.figure) for up in _ancestors(image)):
            continue
        link = nodes.reference("", "", internal=True, refuri=f"{images_dir}/{app.env.images[uri][1]}")
        image.replace_self(link)
        link.append(image)


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


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


def default_favicon(app, config):
    # A page without an icon makes browsers ask for /favicon.ico, a failed request.
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)


def add_site_static(app, config):
    config.html_static_path = [*config.html_static_path, str(SITE_STATIC)]


def setup(app):
    app.connect("config-inited", default_favicon)
    app.connect("config-inited", add_site_static)
    app.add_css_file(STYLESHEET)
    app.add_html_math_renderer(
        "mathml", (visit_math_as_mathml, None), (visit_displaymath_as_mathml, None),
    )
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_executed_notebook, priority=500)
    app.connect("html-page-context", drop_live_code_assets, priority=900)
    # After sphinx-thebe has appended its configuration (default priority 500).
    app.connect("doctree-resolved", drop_live_code_config, priority=900)
    app.connect("doctree-resolved", link_figures_to_full_size)
    app.connect("doctree-resolved", status_words_for_emoji)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
