"""Sphinx glue for the book's site.

sphinx-book-theme offers an ``.ipynb`` download for MyST Markdown notebooks only
when a launch service (Binder, JupyterHub, Colab) is configured. The book links
to none, so that it works offline, and still offers each chapter both as its
``.md`` source and as the executed ``.ipynb``.
"""

from __future__ import annotations

from pathlib import Path
from shutil import copy2


def offer_executed_notebook(app, pagename, templatename, context, doctree):
    if not context.get("sourcename", "").endswith((".md", ".md.txt")):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    copy2(executed, published)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_executed_notebook, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
