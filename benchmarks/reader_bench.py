"""The YAML reader's share of ``podnotes lint``, and what a compiled reader from PyPI would change.

Printed, CPU ms per document on the benchmark corpus (``lint_corpus.py``, as
one stream of 1,000 documents; best of 5):

1. libyaml (PyYAML's C parser): parsing to events, composing node graphs, and
   ``podnotes.manifest`` reading (composing with Go's scalar rules, then the
   located tree);
2. rapidyaml (``pip install rapidyaml``, the Python wrapper of the C++ library
   rapidyaml, when installed): parsing to its tree, and walking that tree with
   the fewest queries a located tree needs (key, value, kind, style per node).

rapidyaml is not a dependency: its Python API (0.15) gives no line or column
of a node, only of a parse error, so it cannot give the positions every finding
carries; the walk shows what crossing into Python per node would cost anyway.

Run: .venv/bin/python benchmarks/reader_bench.py
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lint_tools  # noqa: E402

DOCUMENTS = 1_000


def main() -> int:
    import yaml

    from podnotes import manifest

    text = corpus_text()
    chunks = [text[begin:end] for _, begin, end, _ in manifest._split_documents(text)]
    assert len(chunks) == DOCUMENTS, f"the corpus holds {len(chunks)} documents, not {DOCUMENTS}"
    gc.freeze()
    figures = {
        "libyaml: events": best(lambda: [list(yaml.parse(c, Loader=manifest._Loader)) for c in chunks]),
        "libyaml: compose": best(lambda: [yaml.compose(c, Loader=manifest._Loader) for c in chunks]),
        "podnotes: read (compose + located tree)": best(lambda: list(manifest.iter_text(text, "corpus"))),
    }
    try:
        import ryml
    except ImportError:
        print("rapidyaml is not installed here (pip install rapidyaml): only libyaml is measured")
    else:
        data = text.encode()
        tree = ryml.parse_in_arena(data)
        assert tree.size() > 40 * DOCUMENTS, "rapidyaml read less than the corpus"
        figures[f"rapidyaml {ryml.version}: parse"] = best(lambda: ryml.parse_in_arena(data))
        figures[f"rapidyaml {ryml.version}: walk (key, value, kind, style)"] = best(lambda: walk(ryml, tree))
    print(f"CPU ms per document, {DOCUMENTS:,} documents of the lint benchmark's corpus, best of 5:")
    for name, seconds in figures.items():
        print(f"  {name:58} {seconds / DOCUMENTS * 1000:7.3f}")
    return 0


def corpus_text() -> str:
    cached = sorted((lint_tools.CACHE / "lint-bench").glob("corpus-*.json"))
    if cached:
        items = json.loads(cached[-1].read_text())[:DOCUMENTS]
        texts = [item["text"] for item in items]
    else:
        import lint_corpus

        texts = [manifest.text for manifest in lint_corpus.corpus(DOCUMENTS)]
    return "---\n".join(texts)


def walk(ryml, tree) -> int:
    queries = 0
    for node, _depth in ryml.walk(tree):
        if tree.has_key(node):
            tree.key(node)
        if tree.has_val(node):
            bytes(tree.val(node))
        tree.is_map(node)
        tree.is_seq(node)
        tree.is_val_quoted(node)
        queries += 1
    return queries


def best(action, repeat: int = 5) -> float:
    fastest = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        action()
        fastest = min(fastest, time.process_time() - started)
    return fastest


if __name__ == "__main__":
    sys.exit(main())
