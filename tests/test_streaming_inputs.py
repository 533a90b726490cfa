"""``explain -f``, ``timeline -f`` and ``apply -f`` read a stream one document at a time, as ``lint`` does.

A kept document costs its whole Node tree; a command that checks and drops
each document holds only the input's text (bounded by the loader's 32 MiB per
input) and the document in hand. Each test measures, with ``tracemalloc``, how
much the command's peak memory grows per document between a short and a long
stream, and requires it to stay far below what loading the stream into a list
costs per document.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from podnotes.cli import main
from podnotes.cluster.objects import ManifestProblem, iter_documents
from podnotes.manifest import load

POD = """apiVersion: v1
kind: Pod
metadata:
  name: web-{index}
  labels: {{app: web, tier: front, index: "{index}"}}
spec:
  containers:
  - name: web
    image: registry.k8s.io/nginx:1.27
    ports: [{{containerPort: 8080, name: http}}]
    env: [{{name: A, value: "1"}}, {{name: B, value: "2"}}, {{name: C, value: "3"}}]
    readinessProbe: {{httpGet: {{path: /healthz, port: http}}, periodSeconds: 5}}
    resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: 200m, memory: 128Mi}}}}
"""
SHORT, LONG = 100, 1_000


def _stream(tmp_path: Path, count: int) -> Path:
    path = tmp_path / f"stream-{count}.yaml"
    path.write_text("---\n".join(POD.format(index=index) for index in range(count)))
    return path


def _peak(action) -> int:
    """Peak bytes allocated while ``action`` runs (Python allocations, tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _growth_per_document(tmp_path: Path, action) -> tuple[float, float]:
    """(bytes of peak memory per extra document for ``action``, bytes per document of a loaded list)."""
    short, long = _stream(tmp_path, SHORT), _stream(tmp_path, LONG)
    action(short)  # imports, schemas and caches are loaded once, outside the measurement
    load(short)
    streamed = (_peak(lambda: action(long)) - _peak(lambda: action(short))) / (LONG - SHORT)
    kept = (_peak(lambda: load(long)) - _peak(lambda: load(short))) / (LONG - SHORT)
    return streamed, kept


def _quiet_main(argv: list[str]) -> int:
    """Run the command with its output dropped (not kept in memory, which would grow with the stream)."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        return main(argv)


def test_the_stream_is_long_enough_to_show_kept_documents(tmp_path):
    documents = load(_stream(tmp_path, LONG))
    assert len(documents) == LONG and all(d.kind == "Pod" and d.error is None for d in documents)


@pytest.mark.slow
def test_explain_reads_one_document_at_a_time(tmp_path):
    def explain(path: Path) -> None:
        assert _quiet_main(["explain", "-f", str(path), "-o", "json"]) == 0

    streamed, kept = _growth_per_document(tmp_path, explain)
    assert kept > 10_000, f"a loaded document should cost its tree ({kept:.0f} bytes)"
    assert streamed < kept / 4, f"explain -f keeps {streamed:.0f} bytes per document; a kept one is {kept:.0f}"


@pytest.mark.slow
def test_timeline_reads_one_document_at_a_time(tmp_path):
    def timeline(path: Path) -> None:
        assert _quiet_main(["timeline", "-f", str(path), "--duration", "20", "-o", "json"]) == 0

    streamed, kept = _growth_per_document(tmp_path, timeline)
    assert streamed < kept / 4, f"timeline -f keeps {streamed:.0f} bytes per document; a kept one is {kept:.0f}"


def test_apply_reads_one_document_at_a_time(tmp_path):
    def objects(path: Path) -> None:
        assert sum(1 for _ in iter_documents(path, "default")) in (SHORT, LONG)

    streamed, kept = _growth_per_document(tmp_path, objects)
    assert streamed < kept / 4, f"apply -f keeps {streamed:.0f} bytes per document; a kept one is {kept:.0f}"


def test_apply_sends_nothing_when_a_later_document_is_bad(tmp_path):
    path = tmp_path / "late-error.yaml"
    path.write_text(_stream(tmp_path, 50).read_text() + "---\napiVersion: v1\nkind: Pod\nmetadata: {}\n")
    objects = iter_documents(path, "default")
    with pytest.raises(ManifestProblem, match=r"late-error.yaml:\d+: missing metadata.name"):
        next(objects)  # the bad 51st document is found before the first object is handed out


def test_apply_reads_stdin_twice_from_memory(tmp_path, monkeypatch):
    text = _stream(tmp_path, 3).read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    names = [obj.ref.name for obj in iter_documents("-", "default")]
    assert names == ["web-0", "web-1", "web-2"]
