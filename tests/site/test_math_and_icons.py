"""A book with math still needs nothing from another host: math is written as
MathML when the site is built, and Chromium lays it out with no script. Every
page also names its own icon, so browsers do not ask for a missing /favicon.ico."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from podnotes.site import external_fetches

from ..conftest import ROOT
from .conftest import serving

PAGE = r"""# Math

Inline $x^2 + y_i$ and a numbered display:

$$
\frac{a}{b} = \sqrt{c}
$$ (eq-ratio)

Equation {eq}`eq-ratio` again.
"""


@pytest.fixture(scope="module")
def math_site(tmp_path_factory):
    book = tmp_path_factory.mktemp("math-book")
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: page\n")
    (book / "intro.md").write_text("# Intro\n\nA book with one page of math.\n")
    (book / "page.md").write_text(PAGE)
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "book", f"BOOK={book}", f"BOOK_OUT={book}"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return book / "_build" / "html"


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
