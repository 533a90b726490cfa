"""Site search ranks the chapters before the reference pages (podnotes.book.sphinxext.rank_chapters_first,
data/search-scorer.js): Sphinx's searchtools.js calls ``Scorer.score`` on every result before sorting."""

from __future__ import annotations

import subprocess
import sys

from podnotes.book import sphinxext


def test_the_scorer_lowers_only_reference_pages():
    code = sphinxext.SEARCH_SCORER.read_text()
    assert "Scorer.score" in code and '"chapters/reference/"' in code


def test_a_built_site_carries_the_scorer(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text("extensions = ['myst_nb', 'podnotes.book.sphinxext']\n")
    (source / "index.md").write_text("# Title\n\nA page.\n")
    out = tmp_path / "html"
    # Run elsewhere than the source: the scorer's path must not depend on the working directory.
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Scorer.score = " in (out / "_static" / "language_data.js").read_text()
