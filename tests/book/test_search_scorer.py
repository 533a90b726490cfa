"""Site search ranks the chapters before the reference pages (podnotes.book.sphinxext.rank_chapters_first,
data/search-scorer.js): Sphinx's searchtools.js calls ``Scorer.score`` on every result before sorting."""

from __future__ import annotations

import subprocess
import sys

from podnotes.book import sphinxext


def _sphinx_build(source, out, cwd) -> None:
    done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(out)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


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
    _sphinx_build(source, out, tmp_path)
    assert "Scorer.score = " in (out / "_static" / "language_data.js").read_text()


def _index_entries(out) -> dict[str, list]:
    import json

    text = (out / "searchindex.js").read_text()
    entries = json.loads(text[text.index("(") + 1:text.rindex(")")])["indexentries"]
    return {word: sorted(places) for word, places in entries.items()}


def test_an_incremental_build_keeps_the_index_entries_of_unchanged_pages(tmp_path):
    """Sphinx's own incremental build drops them (sphinx-doc/sphinx#12599):
    podnotes.book.sphinxext.keep_index_entries_of_unchanged_pages reads them again."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text("extensions = ['myst_nb', 'podnotes.book.sphinxext']\n")
    (source / "index.md").write_text("# Book\n\n```{toctree}\nprobes\ncgroups\n```\n")
    (source / "probes.md").write_text("# Probes\n\n```{index} ! liveness probe\n```\n\nText.\n")
    (source / "cgroups.md").write_text("# Cgroups\n\n```{index} ! cgroup\n```\n\nText.\n")
    out = tmp_path / "html"

    def build() -> dict[str, list]:
        _sphinx_build(source, out, tmp_path)
        return _index_entries(out)

    first = build()
    assert set(first) == {"liveness probe", "cgroup"}, first
    assert all(main for places in first.values() for _, _, main in places), "main entries, ranked first"
    (source / "probes.md").write_text("# Probes\n\n```{index} ! liveness probe\n```\n\nText, changed.\n")
    again = build()
    assert again == first, f"after rebuilding one page: {again}"
