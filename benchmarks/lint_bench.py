"""podnotes lint side by side with kubeconform and kubernetes-validate, on one corpus, in one run.

The corpus (``lint_corpus.py``) holds every kind ``podnotes lint`` reads plus
Services and ConfigMaps; half the documents carry one seeded mistake each:
schema mistakes (wrong type, unknown field, missing required field), mistakes
only the API server's validation code sees (duplicate container names, probe
handler count, port names, volumeMounts naming no volume, quantities, enums,
restartPolicy per kind) and a Pod Security Standards violation.

Printed:

1. whole processes, as a user runs them, at 1, 100, 1,000 and 10,000
   documents, as separate files (one folder) and as one stream (one file):
   CPU time (user + system of the child) and peak RSS from GNU time, wall time
   and exit code, per tool;
   - podnotes: ``podnotes lint -f PATH`` (text output, advice on; a folder of 100 files or more is checked
     in worker processes, as many as CPUs, at most 4), and for files also ``--workers 1`` (one process);
   - kubeconform (pinned, built from the Go module proxy; default 4 goroutines, on as many CPUs as Go
     sees): ``kubeconform -strict -summary -schema-location <local schemas> PATH``;
   - kubernetes-validate with one compiled validator per kind, reading YAML
     with libyaml (``lint_tools.py``), both schema validators using the same
     schema files;
2. podnotes in process: cost per document of reading (YAML to located tree)
   and of the rules, and kubernetes-validate in process, cached and as shipped;
   and the floor of any Python tool: the CPU time of ``python -c pass`` and of importing the libraries
   podnotes cannot start without (argparse, dataclasses, json, re, PyYAML), against kubeconform's one
   document;
3. a cProfile top 10 (own time) of ``podnotes.lint.lint`` on 1,000 documents;
4. how many of the seeded mistakes each tool finds, per kind of mistake, and
   how many clean documents it flags (false positives).

Run: .venv/bin/python benchmarks/lint_bench.py [--quick]
(--quick: 1, 100 and 1,000 documents). Exit 0 when every tool ran; 1 when a
tool crashed or the corpus lacks a kind of mistake.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lint_corpus  # noqa: E402
import lint_tools  # noqa: E402
from lint_corpus import LAYERS, MISTAKES, Manifest  # noqa: E402

K8S_VERSION = "1.37.0"
SIZES = (1, 100, 1_000, 10_000)
QUICK_SIZES = (1, 100, 1_000)
DETECTION_SIZE = 1_000
CHUNK = 1_000  # documents per podnotes input in process
TOOLS = ("podnotes", "kubeconform", "kubernetes-validate")
ONE_PROCESS = "podnotes --workers 1"
KUBECONFORM_GOROUTINES = 4  # kubeconform's default -n


@dataclass
class Run:
    tool: str
    size: int
    layout: str  # "files" or "stream"
    cpu: float  # seconds, user + system
    wall: float  # seconds
    peak_rss_mb: float
    exit_code: int
    note: str = ""
    workers: str = ""  # how many processes or goroutines checked the documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1, 100 and 1,000 documents only")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured, also into a file
    sizes = QUICK_SIZES if args.quick else SIZES

    manifests = cached_corpus(max(sizes))
    problems = check_corpus(manifests[:DETECTION_SIZE])
    kubeconform = [str(lint_tools.kubeconform_binary()), "-strict", "-summary", "-kubernetes-version", K8S_VERSION,
                   "-schema-location", lint_tools.kubeconform_schemas(
                       K8S_VERSION, sorted({(m.kind, lint_corpus.API_VERSIONS[m.kind]) for m in manifests}))]
    commands = {
        "podnotes": [str(Path(sys.executable).with_name("podnotes")), "lint", "-f"],
        "kubeconform": kubeconform,
        "kubernetes-validate": [sys.executable, str(Path(lint_tools.__file__)), "kubernetes-validate", K8S_VERSION],
    }
    commands[ONE_PROCESS] = commands["podnotes"][:2] + ["--workers", "1", "-f"]
    print_setup(manifests)
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="lint-bench-") as scratch:
        print_header()
        runs = []
        for size in sizes:
            folder, stream = write_corpus(Path(scratch) / str(size), manifests[:size])
            for layout, path in (("files", folder), ("stream", stream)):
                tools = TOOLS + ((ONE_PROCESS,) if layout == "files" and podnotes_workers(size, layout) > 1 else ())
                for tool in tools:
                    run = best_run(tool, size, layout, commands[tool] + [str(path)], repeat=3 if size <= 100 else 1)
                    run.workers = workers_of(tool, size, layout)
                    runs.append(run)
                    print_run(run)
                print_verdict(runs[-len(tools):])
            if size == 1:
                print_floor(commands, folder / f"{manifests[0].index:05d}.yaml")
        problems += [f"{run.tool} at {run.size} {run.layout}: exit {run.exit_code} {run.note}"
                     for run in runs if run.exit_code not in (0, 1, 2, 3)]
        in_process(manifests, (100, 1_000) if args.quick else (100, 1_000, 10_000))
        profile(manifests[:1_000])
        folder, _ = write_corpus(Path(scratch) / "detection", manifests[:DETECTION_SIZE])
        detection(manifests[:DETECTION_SIZE], kubeconform, folder)
    for problem in problems:
        print(f"PROBLEM: {problem}", flush=True)
    return 1 if problems else 0


# --- the corpus -------------------------------------------------------------------------------------------

def cached_corpus(count: int) -> list[Manifest]:
    """The corpus of ``count`` documents, generated once per version of ``lint_corpus.py`` (YAML dumping is slow)."""
    source = Path(lint_corpus.__file__).read_bytes()
    key = hashlib.sha256(source).hexdigest()[:12]
    folder = lint_tools.CACHE / "lint-bench"
    for cached in folder.glob(f"corpus-{key}-*.json"):
        if int(cached.stem.rsplit("-", 1)[1]) >= count:
            return [Manifest(**item) for item in json.loads(cached.read_text())[:count]]
    path = folder / f"corpus-{key}-{count}.json"
    print(f"generating the corpus of {count:,} documents (once) ...", flush=True)
    manifests = lint_corpus.corpus(count)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps([vars(m) for m in manifests]))
    path.with_suffix(".tmp").rename(path)
    return manifests


def check_corpus(manifests: list[Manifest]) -> list[str]:
    """Every kind of object and every kind of mistake present, or the comparison says nothing."""
    kinds = {m.kind for m in manifests}
    mistakes = {m.mistake for m in manifests}
    return ([f"the corpus lacks kind {kind}" for kind in lint_corpus.KINDS if kind not in kinds]
            + [f"the corpus lacks mistake {name}" for name in MISTAKES if name not in mistakes])


def write_corpus(root: Path, manifests: list[Manifest]) -> tuple[Path, Path]:
    folder = root / "files"
    folder.mkdir(parents=True)
    for manifest in manifests:
        (folder / f"{manifest.index:05d}.yaml").write_text(manifest.text)
    stream = root / "stream.yaml"
    stream.write_text("---\n".join(m.text for m in manifests))
    return folder, stream


def print_setup(manifests: list[Manifest]) -> None:
    import kubernetes_validate.version
    import yaml

    from podnotes import __version__, manifest

    print(f"podnotes {__version__} (YAML: {'libyaml' if manifest.LIBYAML else 'pure Python'}), kubeconform "
          f"{lint_tools.KUBECONFORM_VERSION}, kubernetes-validate {kubernetes_validate.version.__version__} "
          f"(PyYAML {yaml.__version__}, libyaml), Kubernetes API {K8S_VERSION}; {os.cpu_count()} CPUs")
    seeded = sum(1 for m in manifests if m.mistake)
    print(f"corpus: up to {len(manifests):,} documents of {len(lint_corpus.KINDS)} kinds, {seeded:,} with one "
          f"seeded mistake of {len(MISTAKES)} kinds; stream of {len(manifests):,}: "
          f"{sum(len(m.text) + 4 for m in manifests) / 2**20:.1f} MiB")


def compile_bytecode() -> None:
    """Compile podnotes' modules to bytecode once, as ``pip install`` does, so each process measures what a
    user's installed copy costs: with ``PYTHONDONTWRITEBYTECODE=1`` and an editable install without bytecode,
    every process would compile its modules again (about 0.06 s of CPU)."""
    import compileall

    import podnotes

    package = Path(podnotes.__file__).parent
    compiled = compileall.compile_dir(str(package), quiet=1)
    print(f"podnotes bytecode: {'compiled' if compiled else 'NOT compiled'} under {package} (as pip install does)")


# --- whole processes ------------------------------------------------------------------------------------------

def best_run(tool: str, size: int, layout: str, command: list[str], repeat: int) -> Run:
    runs = [run_once(tool, size, layout, command) for _ in range(repeat)]
    return min(runs, key=lambda run: run.cpu)


def run_once(tool: str, size: int, layout: str, command: list[str]) -> Run:
    """One process of ``command`` under GNU time, which reports the child's CPU time and peak RSS.

    Not ``wait4`` from here: a child forked from this process starts with this process's memory, which the
    kernel counts in the child's peak RSS even after ``exec``; GNU time is small, so its children are not
    inflated.
    """
    with tempfile.NamedTemporaryFile(mode="r") as usage, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(["/usr/bin/time", "-o", usage.name, "-f", "%U %S %M %x"] + command,
                                 stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            child.wait()
        except BaseException:
            child.kill()
            child.wait()
            raise
        wall = time.perf_counter() - started
        fields = usage.read().split()[-4:]  # "Command exited with non-zero status N" may come first
        user, system, peak_kib, code = float(fields[0]), float(fields[1]), int(fields[2]), int(fields[3])
        note = ""
        if code not in (0, 1, 2):
            err.seek(0)
            out.seek(0)
            text = (err.read() + out.read()).decode(errors="replace").strip().splitlines()
            note = text[0][:150] if text else ""
    return Run(tool, size, layout, user + system, wall, peak_kib / 1024, code, note)


def podnotes_workers(size: int, layout: str) -> int:
    """The worker processes ``podnotes lint`` uses on this machine for ``size`` documents in ``layout``."""
    from podnotes.lint.workers import default_workers, workers_for

    return workers_for(size, default_workers()) if layout == "files" else 1


def workers_of(tool: str, size: int, layout: str) -> str:
    if tool == "podnotes":
        workers = podnotes_workers(size, layout)
        return f"{workers} processes" if workers > 1 else "1 process"
    if tool == "kubeconform":
        return f"{KUBECONFORM_GOROUTINES} goroutines"
    return "1 process"


def print_header() -> None:
    print(f"\n1. Whole processes (best of 3 at 1 and 100 documents, one run above). CPU = user + system of the child;"
          f" RSS = peak resident memory; {os.cpu_count()} CPUs, load average {load_average()} at the start")
    header = (f"{'documents':>9} {'layout':7} {'tool':20} {'workers':>13} {'CPU s':>7} {'wall s':>7} {'ms/doc':>7} "
              f"{'RSS MB':>7} {'exit':>4}")
    print(header)
    print("-" * len(header), flush=True)


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def print_run(run: Run) -> None:
    print(f"{run.size:>9,} {run.layout:7} {run.tool:20} {run.workers:>13} {run.cpu:7.2f} {run.wall:7.2f} "
          f"{run.cpu / run.size * 1000:7.3f} {run.peak_rss_mb:7.0f} {run.exit_code:>4}"
          + (f"  {run.note}" if run.note else ""), flush=True)


def print_verdict(runs: list[Run]) -> None:
    """podnotes against kubeconform on one size and layout: the target is at most kubeconform's CPU and wall time."""
    ours, theirs = (next(run for run in runs if run.tool == tool) for tool in ("podnotes", "kubeconform"))
    if ours.exit_code == 3:
        verdict = "podnotes refused the input (exit 3), target NOT met"
    else:
        met = ours.cpu <= theirs.cpu and ours.wall <= theirs.wall
        verdict = (f"podnotes / kubeconform: CPU {ours.cpu / theirs.cpu:.2f}x, wall {ours.wall / theirs.wall:.2f}x, "
                   f"RSS {ours.peak_rss_mb / theirs.peak_rss_mb:.2f}x; target "
                   + ("met" if met else "NOT met"))
    print(f"{'':>18}{verdict} (load average {load_average()})", flush=True)


FLOOR_IMPORTS = "import argparse, dataclasses, json, re, yaml"


def print_floor(commands: dict[str, list[str]], one_file: Path) -> None:
    """What any Python tool pays before it reads a document, against kubeconform's whole run on one: median
    CPU of 9 runs each, from getrusage (microseconds, where GNU time counts hundredths)."""
    measured = {
        "python -c pass": child_cpu([sys.executable, "-c", "pass"]),
        f"python -c '{FLOOR_IMPORTS}'": child_cpu([sys.executable, "-c", FLOOR_IMPORTS]),
        "podnotes lint, one document": child_cpu(commands["podnotes"] + [str(one_file)]),
        "kubeconform, one document": child_cpu(commands["kubeconform"] + [str(one_file)]),
    }
    print("\n   One document against the floor of a Python tool here (CPU ms, median of 9): "
          + "; ".join(f"{name} {seconds * 1000:.1f}" for name, seconds in measured.items()), flush=True)


def child_cpu(command: list[str], runs: int = 9) -> float:
    import resource
    import statistics

    spent = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(spent)


# --- in process -----------------------------------------------------------------------------------------------

def in_process(manifests: list[Manifest], sizes: tuple[int, ...]) -> None:
    import kubernetes_validate
    import yaml

    from podnotes.lint import Options, lint_documents
    from podnotes.lint.schema import catalogue
    from podnotes.manifest import MAX_INPUT_NODES, load

    catalogue(None)
    lint_documents(load(manifests[0].text), Options())  # warm the catalogue and caches outside the timing
    print(f"\n2. In process, CPU ms per document (best of 3; 1 run above 1,000), reading and rules timed apart: "
          f"the corpus is read as inputs of {CHUNK:,} documents (one input may hold {MAX_INPUT_NODES:,} values), "
          "all read before any is checked; `podnotes lint` itself checks and drops each document as it is read")
    print(f"{'documents':>9} {'podnotes read':>14} {'rules':>7} {'total':>7}   {'k-v cached':>10} "
          f"{'k-v as shipped':>14}")
    cached = lint_tools.CachedKubernetesValidate(K8S_VERSION)
    for size in sizes:
        texts = ["---\n".join(m.text for m in manifests[start:min(start + CHUNK, size)])
                 for start in range(0, size, CHUNK)]
        repeat = 1 if size > 1_000 else 3
        read = best_cpu(lambda texts=texts: [load(text) for text in texts], repeat)
        documents = [document for text in texts for document in load(text)]
        refused = [document.error for document in documents if document.error]
        assert not refused and len(documents) == size, f"podnotes read {len(documents)} of {size}: {refused[:1]}"
        rules = best_cpu(lambda documents=documents: lint_documents(documents, Options()), repeat)
        kv = best_cpu(lambda texts=texts: [cached.errors(d) for text in texts
                               for d in yaml.load_all(text, Loader=yaml.CSafeLoader)], repeat)
        shipped = ""
        if size <= 100:
            seconds = best_cpu(lambda texts=texts: shipped_kubernetes_validate(kubernetes_validate, yaml, texts[0]), 1)
            shipped = f"{seconds / size * 1000:14.2f}"
        print(f"{size:>9,} {read / size * 1000:14.3f} {rules / size * 1000:7.3f} {(read + rules) / size * 1000:7.3f}"
              f"   {kv / size * 1000:10.3f} {shipped}")


def shipped_kubernetes_validate(kubernetes_validate, yaml, text: str) -> int:
    failed = 0
    for document in yaml.load_all(text, Loader=yaml.CSafeLoader):
        try:
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError:
            failed += 1
    return failed


def best_cpu(action, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best


def profile(manifests: list[Manifest]) -> None:
    from podnotes.lint import lint

    text = "---\n".join(m.text for m in manifests)
    profiler = cProfile.Profile()
    profiler.runcall(lint, text)
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(10)
    lines = buffer.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print(f"\n3. cProfile of podnotes.lint.lint on {len(manifests):,} documents, top 10 by own time "
          f"({stats.total_tt:.2f} s in all, with profiling overhead)")
    for line in lines[start:start + 11]:
        print("   " + line.replace(str(Path.cwd()) + "/", "").replace(sys.prefix + "/", ""))


# --- detection ------------------------------------------------------------------------------------------------

def detection(manifests: list[Manifest], kubeconform: list[str], folder: Path) -> None:
    """Per seeded mistake: does each tool report the document it is in? And how many clean documents does it flag?"""
    found = {"podnotes": podnotes_flags(manifests), "kubernetes-validate": kubernetes_validate_flags(manifests),
             "kubeconform": kubeconform_flags(manifests, kubeconform, folder)}
    print(f"\n4. Seeded mistakes found, on the corpus of {len(manifests):,} documents (a document counts as found when"
          " the tool reports it invalid; for the Pod Security Standards, when podnotes names the violated check)")
    print(f"{'mistake':26} {'layer':9} {'seeded':>6} " + " ".join(f"{tool:>19}" for tool in TOOLS))
    for layer in LAYERS:
        for name, (mistake_layer, _) in MISTAKES.items():
            if mistake_layer != layer:
                continue
            documents = [m for m in manifests if m.mistake == name]
            print(f"{name:26} {layer:9} {len(documents):6} "
                  + " ".join(f"{sum(found[tool][m.index] for m in documents):19}" for tool in TOOLS))
    for layer in LAYERS:
        documents = [m for m in manifests if m.layer == layer]
        print(f"{'all ' + layer:26} {'':9} {len(documents):6} "
              + " ".join(f"{sum(found[tool][m.index] for m in documents):19}" for tool in TOOLS))
    clean = [m for m in manifests if m.mistake is None]
    print(f"{'clean documents flagged':26} {'':9} {len(clean):6} "
          + " ".join(f"{sum(found[tool][m.index] for m in clean):19}" for tool in TOOLS))


def podnotes_flags(manifests: list[Manifest]) -> dict[int, bool]:
    """podnotes, one document at a time (one call's report stops at 2,000 findings): an error, or a pss-* finding."""
    from podnotes.lint import ERROR, lint

    flags = {}
    for manifest in manifests:
        findings = lint(manifest.text)
        flags[manifest.index] = any(f.severity == ERROR or f.rule.startswith("pss-") for f in findings)
    return flags


def kubernetes_validate_flags(manifests: list[Manifest]) -> dict[int, bool]:
    import yaml

    validate = lint_tools.CachedKubernetesValidate(K8S_VERSION)
    return {m.index: validate.errors(yaml.load(m.text, Loader=yaml.CSafeLoader)) is not None for m in manifests}


def kubeconform_flags(manifests: list[Manifest], kubeconform: list[str], folder: Path) -> dict[int, bool]:
    result = subprocess.run(kubeconform + ["-output", "json", "-verbose", str(folder)], capture_output=True,
                            text=True, check=False)
    resources = json.loads(result.stdout)["resources"]
    assert len(resources) == len(manifests), f"kubeconform reported {len(resources)} of {len(manifests)} documents"
    flags = {m.index: False for m in manifests}
    for resource in resources:
        flags[int(Path(resource["filename"]).stem)] = resource["status"] != "statusValid"
    return flags


if __name__ == "__main__":
    sys.exit(main())
