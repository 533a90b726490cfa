"""What podnotes.book.sphinxext does to a small book built with the project's
_config.yml: math is written as MathML when the site is built, so it needs no
script from another host, and Chromium lays it out; every page names its own
icon, so browsers do not ask for a missing /favicon.ico; and the ``.ipynb``
download is the executed notebook even when the outputs came from the
execution cache."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from podnotes.book.site import external_fetches

from ..conftest import ROOT
from .conftest import serving

PAGE = r"""# Math

Inline $x^2 + y_i$ and a numbered display:

$$
\frac{a}{b} = \sqrt{c}
$$ (eq-ratio)

Equation {eq}`eq-ratio` again.
"""
NOTEBOOK = """---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

# A notebook

```{code-cell} ipython3
6 * 7
```
"""


def build(book):
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "book", f"BOOK={book}", f"BOOK_OUT={book}"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def math_site(tmp_path_factory):
    book = tmp_path_factory.mktemp("math-book")
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: page\n  - file: nb\n")
    (book / "intro.md").write_text("# Intro\n\nA book with one page of math and one notebook.\n")
    (book / "page.md").write_text(PAGE)
    (book / "nb.md").write_text(NOTEBOOK)
    build(book)
    return book / "_build" / "html"


def code_cells(path):
    return [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]


@pytest.mark.slow
def test_the_notebook_download_keeps_outputs_taken_from_the_execution_cache(math_site):
    build_dir = math_site.parent
    assert code_cells(math_site / "_sources" / "nb.ipynb")[0]["outputs"][0]["data"]["text/plain"] == ["42"]
    # A rebuild that reads the page again but finds its outputs in the cache.
    for folder in ("html", ".doctrees", "jupyter_execute"):
        shutil.rmtree(build_dir / folder)
    log = build(build_dir.parent)
    assert "Executing notebook" not in log
    assert code_cells(math_site / "_sources" / "nb.ipynb")[0]["outputs"][0]["data"]["text/plain"] == ["42"]


@pytest.mark.slow
def test_math_is_built_into_the_page_as_mathml(math_site):
    html = (math_site / "page.html").read_text()
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert html.count('display="block"') == 1
    assert '<span class="eqno">(1)' in html
    assert external_fetches(math_site) == []


@pytest.mark.slow
def test_every_page_names_its_icon(math_site):
    for page in ("intro.html", "page.html"):
        assert '<link rel="icon" href="_static/favicon.svg"/>' in (math_site / page).read_text()
    assert (math_site / "_static" / "favicon.svg").read_text().startswith("<svg")


@pytest.mark.slow
@pytest.mark.browser
def test_chromium_lays_out_the_math_offline(math_site, browser):
    with serving(math_site) as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(url + "page.html", wait_until="networkidle")
            sizes = page.evaluate("""() => Array.from(document.querySelectorAll("article math"),
                (m) => { const box = m.getBoundingClientRect(); return [box.width, box.height]; })""")
        finally:
            context.close()
    assert len(sizes) == 2 and all(width > 5 and height > 5 for width, height in sizes)
