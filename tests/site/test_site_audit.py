"""The site audit (podnotes.book.site) on small hand-written sites: which addresses
count as fetched from another host, and how a page's own weight is counted."""

from __future__ import annotations

import pytest

from podnotes.book.site import (
    css_references,
    external_fetches,
    html_fetches,
    is_external,
    page_weight,
    site_pages,
    weight_report,
)

from ..conftest import ROOT


@pytest.mark.parametrize("url,external", [
    ("https://cdn.example.org/lib.js", True),
    ("//fonts.example.com/font.css", True),
    ("http://127.0.0.1:8000/x.js", False),
    ("http://localhost/x.js", False),
    ("_static/x.js", False),
    ("../_images/plot.png", False),
    ("data:image/png;base64,AAAA", False),
    ("mailto:someone@example.org", False),
])
def test_what_counts_as_another_host(url, external):
    assert is_external(url) is external


def test_fetched_resources_are_found_and_clickable_links_are_not():
    html = """<html><head>
      <script src="https://cdn.example.org/mathjax.js"></script>
      <link rel="stylesheet" href="https://fonts.example.com/css">
      <link rel="next" href="https://example.org/next.html">
      <style>@import "https://example.org/a.css"; body { background: url(https://example.org/bg.png) }</style>
      <script>const URL = "https://unpkg.example/thebe.js";</script>
    </head><body>
      <a href="https://kind.example.io/">kind</a>
      <img src="_images/plot.png" srcset="https://img.example.org/1x.png 1x, _images/2x.png 2x">
      <div style="background-image: url('https://example.org/div.png')"></div>
    </body></html>"""
    fetched = {url for _kind, url in html_fetches(html) if is_external(url)}
    assert fetched == {
        "https://cdn.example.org/mathjax.js", "https://fonts.example.com/css", "https://example.org/a.css",
        "https://example.org/bg.png", "https://unpkg.example/thebe.js", "https://img.example.org/1x.png",
        "https://example.org/div.png",
    }


def test_css_references_skip_inline_data():
    css = """@font-face { src: url("fonts/a.woff2") format("woff2"), url(data:font/woff2;base64,AA) }"""
    assert css_references(css) == ["fonts/a.woff2"]


def write(path, text="", size=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if size is None else b"x" * size)


def test_external_fetches_name_the_file_and_skip_hidden_leftovers(tmp_path):
    write(tmp_path / "index.html", '<link rel="stylesheet" href="_static/theme.css">')
    write(tmp_path / "_static/theme.css", "@import url(https://fonts.example.com/x.css);")
    write(tmp_path / "_static/loader.js", 'script.src = "https://cdn.example.org/x.js"; // see https://docs.example')
    write(tmp_path / ".stale/old.html", '<script src="https://cdn.example.org/old.js"></script>')
    found = {(ref.source, ref.url) for ref in external_fetches(tmp_path)}
    assert found == {
        ("_static/theme.css", "https://fonts.example.com/x.css"),
        ("_static/loader.js", "https://cdn.example.org/x.js"),
    }


def test_a_pages_own_weight_leaves_out_shared_theme_assets(tmp_path):
    write(tmp_path / "chapters/a.html",
          '<script src="../_static/big.js"></script><img src="../_images/plot.png"><img src="../_images/plot.png">'
          '<a href="b.html">next</a>')
    write(tmp_path / "_static/big.js", size=5000)
    write(tmp_path / "_images/plot.png", size=700)
    write(tmp_path / "chapters/b.html", size=100)
    weight = page_weight(tmp_path, "chapters/a.html")
    html_size = (tmp_path / "chapters/a.html").stat().st_size
    assert weight.own_files == ["_images/plot.png"]
    assert weight.own_bytes == html_size + 700
    report = weight_report(tmp_path, ["chapters/a.html", "chapters/b.html"])
    assert "heaviest page: chapters/a.html" in report


def test_the_pages_to_check_follow_the_table_of_contents():
    pages = site_pages(ROOT)
    assert pages[0] == "intro.html"
    assert "chapters/01-processes.html" in pages
    assert {"search.html", "genindex.html"} <= set(pages)
