"""``make book``: everything the site needs, in order, each phase printed with its time.

    python -m podnotes.book.build [--force] [--book DIR] [--out DIR] [-- JUPYTER_BOOK_FLAGS...]

1. **Kubernetes binaries**: as root with Go installed, ``tools/k8s-binaries/build.sh`` builds the pinned
   kube-apiserver, etcd, kubelet, kube-scheduler and kube-controller-manager once, or reuses them (the kubectl
   chapter talks to that API server; the real node needs all of them). Without root, existing binaries are
   reused and none are built.
2. **real-node observations**: where this machine can run a local node (Linux, root, the binaries, Debian's
   containerd, runc and CNI plugins), the book's examples run on a real kubelet
   (:mod:`podnotes.node.observe`) unless the observations in ``_build/observed`` are current.
3. **cgroup v2 machine**: as root with qemu, ``tools/vm/run.sh`` boots Debian's kernel with every controller on
   cgroup v2 under emulation and runs the Linux tests and chapters 2-6 there, as root and as a normal user
   (:mod:`podnotes.book.cgroup_v2`), unless its results in ``_build/vm`` are current for these files. The
   status page and chapter 4 show what it recorded.
4. **site**: ``jupyter-book build``. Notebooks whose code did not change come from the execution cache,
   unless ``--force`` is given or what the chapters depend on besides their code changed since the last
   build (the observations, root, the binaries): then every notebook is executed again.
5. **Chinese edition**: when the book has catalogs (``locales/zh_CN``), the same pages in Chinese under
   ``_build/html/zh-CN``, from the execution cache the site phase just filled: nothing is executed again
   (:mod:`podnotes.book.translations`).

A phase that cannot run says why and the build goes on; the affected chapters then say so to the reader
(:mod:`podnotes.provenance`). Exit code: 0 when both editions were built, else jupyter-book's or
sphinx-build's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..provenance import OBSERVATIONS_ENV

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "tools" / "k8s-binaries" / "build.sh"
VM_SCRIPT = REPO_ROOT / "tools" / "vm" / "run.sh"
INPUTS_FILE = ".podnotes-book-inputs.json"
DEFAULT_FLAGS = ["-W", "-n", "--keep-going"]


@dataclass
class Phases:
    """Phase names, seconds and outcomes, printed as they finish and once more at the end."""

    rows: list[tuple[str, float, str]] = field(default_factory=list)

    def run(self, name: str, action):
        print(f"::: {name}", flush=True)
        started = time.perf_counter()
        outcome = action()
        seconds = time.perf_counter() - started
        self.rows.append((name, seconds, outcome))
        print(f"::: {name}: {outcome} ({seconds:.1f} s)", flush=True)
        return outcome

    def summary(self) -> str:
        lines = ["make book: phases"]
        lines += [f"  {name:<24} {seconds:7.1f} s  {outcome}" for name, seconds, outcome in self.rows]
        return "\n".join(lines)


def build_binaries() -> str:
    """Build or reuse the pinned Kubernetes binaries; returns what happened, in a few words.

    A cold build takes a quarter of an hour or more, so ``make book`` starts one only as root (where the
    real node needs it too); a normal user's build reuses binaries that exist and otherwise says how to
    build them (``make k8s-binaries``)."""
    from ..cluster.binaries import find_binaries, pretending_no_kubernetes
    from ..linux import machine

    if pretending_no_kubernetes():
        return "skipped: PODNOTES_PRETEND_NO_KUBERNETES is set"
    if shutil.which("go") is None:
        return "skipped: Go is not installed (the kubectl chapter and the real node need Go 1.26 to build them)"
    if not machine.detect().root:
        found = find_binaries()
        if found is not None:
            return f"reusing {found.kube_apiserver.parent}"
        return "skipped: not root; `make k8s-binaries` builds them once (a quarter of an hour or more)"
    result = subprocess.run([str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        return f"failed (tools/k8s-binaries/build.sh exit {result.returncode}); the chapters will say so"
    folder = (result.stdout.strip().splitlines() or ["?"])[-1]
    return f"ready in {folder}"


def make_observations(out_dir: Path) -> str:
    from ..node import observe

    state = observe.observations_state(out_dir)
    if state.current:
        os.environ[OBSERVATIONS_ENV] = "reused"  # the status page says so
        return f"reusing {state.folder} (current for these examples and pins)"
    reasons = observe.reasons_node_cannot_run()
    if reasons:
        return "skipped: this machine cannot run a local node: " + "; ".join(reasons)
    status = observe.main(["--out", str(out_dir)])
    if status in (observe.INTERRUPTED, observe.TERMINATED):
        raise SystemExit(status)  # stopped by Ctrl-C or SIGTERM: the node is stopped, the build ends here
    if status != 0:
        return f"failed (exit {status}); the chapters will say which examples are missing"
    os.environ[OBSERVATIONS_ENV] = "recorded"
    return f"ran the examples on a real kubelet into {out_dir}"


def run_cgroup_v2_machine() -> str:
    """Boot the cgroup v2 machine, or reuse its current results; returns what happened, in a few words.
    ``tools/vm/run.sh`` prints its own figures (boot, each part, each chapter) as it goes."""
    from . import cgroup_v2

    reasons = cgroup_v2.reasons_machine_cannot_run()
    if reasons:
        return "skipped: " + "; ".join(reasons) + f" (`{cgroup_v2.COMMAND}` runs it where it can)"
    status = subprocess.call([str(VM_SCRIPT)])
    if status == 0:
        return f"passed on cgroup v2; results in {cgroup_v2.RESULTS}"
    return f"failed (tools/vm/run.sh exit {status}); the status page says so"


def package_digest(package: Path = REPO_ROOT / "src" / "podnotes") -> str:
    """A digest of the package the chapters import (its code and data files): the execution cache knows
    only the notebooks' own code, so a figure drawn by a changed ``podnotes.plot`` would stay old."""
    files = sorted(path for path in package.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def chapter_inputs(out_dir: Path) -> dict:
    """What the chapters' outputs depend on besides their code: a change re-executes every notebook."""
    from ..cluster.binaries import find_binaries
    from ..linux import machine
    from . import cgroup_v2

    observed = sorted(out_dir.glob("*.json")) if out_dir.is_dir() else []
    digest = hashlib.sha256(b"".join(path.name.encode() + path.read_bytes() for path in observed)).hexdigest()
    binaries = find_binaries()
    facts = machine.detect()
    return {
        "observations": digest[:16] if observed else None,
        "package": package_digest(),
        "binaries": str(binaries.kube_apiserver.parent) if binaries else None,
        "root": facts.root,
        "kernel": facts.kernel,
        "cgroups": facts.cgroup_version,
        "cgroup v2 machine": cgroup_v2.recorded_digest(),
    }


def inputs_changed(build_dir: Path, inputs: dict) -> list[str]:
    """Names of the inputs that differ from the last build's (every name when there was none)."""
    try:
        before = json.loads((build_dir / INPUTS_FILE).read_text())
    except (OSError, ValueError):
        return sorted(inputs)
    return sorted(name for name in inputs if before.get(name) != inputs[name])


def build_site(book: Path, out: Path, flags: list[str], force: bool, inputs: dict) -> tuple[int, str]:
    build_dir = out / "_build"
    changed = inputs_changed(build_dir, inputs)
    everything = force or bool(changed) and (build_dir / ".jupyter_cache").exists()
    if everything:
        shutil.rmtree(build_dir / ".jupyter_cache", ignore_errors=True)
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", *flags,
               *(["--all"] if everything else []), "--path-output", str(out), str(book)]
    print("  " + " ".join(command), flush=True)
    status = subprocess.call(command)
    if status == 0:
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / INPUTS_FILE).write_text(json.dumps(inputs, indent=2))
    why = "--force" if force else f"changed since the last build: {', '.join(changed)}" if everything else ""
    executed = f"every notebook executed ({why})" if everything else "notebooks executed unless unchanged"
    return status, (f"built {out / '_build' / 'html'}, {executed}" if status == 0
                    else f"FAILED (jupyter-book exit {status})")


# jupyter-book's build flags that sphinx-build takes as they are.
SPHINX_FLAGS = ("-W", "-n", "--keep-going", "-q", "-Q", "-v", "-T")


def build_translation(book: Path, out: Path, flags: list[str], everything: bool) -> tuple[int, str]:
    """The Chinese edition, from the execution the site phase left in the cache. ``everything``: the English
    build executed every notebook again, so every page is read again (Sphinx does not see changed outputs)."""
    from . import translations

    sphinx_flags = [flag for flag in flags if flag in SPHINX_FLAGS] + (["-E"] if everything else [])
    status = translations.build_edition(book, out, sphinx_flags)
    from ..plot import FONT_FAMILIES, has_cjk_font

    folder = out / "_build" / "html" / translations.CHINESE.folder
    font = "" if has_cjk_font() else (f"; no CJK font ({', '.join(FONT_FAMILIES[1:])}) is installed, so its drawings "
                                      "show boxes for Chinese characters (Debian: apt-get install fonts-wqy-zenhei)")
    return status, (f"built {folder} from the same execution{font}" if status == 0
                    else f"FAILED (sphinx-build exit {status})")


def main(argv: list[str] | None = None) -> int:
    from ..node.overlays import observed_dir

    parser = argparse.ArgumentParser(prog="python -m podnotes.book.build", description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="execute every notebook again")
    parser.add_argument("--book", type=Path, default=REPO_ROOT, help="the book's folder (with _config.yml)")
    parser.add_argument("--out", type=Path, default=None, help="where _build goes (default: the book's folder)")
    parser.add_argument("--english-only", action="store_true",
                        help="build the English edition only (faster; the Chinese edition is left as it was)")
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="jupyter-book build flags, after --")
    args = parser.parse_args(argv)
    flags = args.flags[1:] if args.flags[:1] == ["--"] else args.flags
    out = args.out or args.book
    phases = Phases()
    observed = observed_dir()
    if args.book.resolve() == REPO_ROOT:
        phases.run("Kubernetes binaries", build_binaries)
        phases.run("real-node observations", lambda: make_observations(observed))
        phases.run("cgroup v2 machine", run_cgroup_v2_machine)
    else:  # another book (the tests' small ones) has no chapter that needs them
        print(f"::: {args.book} is not this repository's book: no Kubernetes binaries or observations needed")
    inputs = chapter_inputs(observed)
    result: list[int] = []

    def site() -> str:
        status, outcome = build_site(args.book, out, flags or DEFAULT_FLAGS, args.force, inputs)
        result.append(status)
        return outcome

    phases.run("site", site)
    from .translations import has_translations

    if result[0] == 0 and has_translations(args.book) and not args.english_only:
        def chinese() -> str:
            everything = args.force or "every notebook executed" in phases.rows[-1][2]
            status, outcome = build_translation(args.book, out, flags or DEFAULT_FLAGS, everything)
            result[0] = status
            return outcome

        phases.run("Chinese edition", chinese)
    print(phases.summary(), flush=True)
    return result[0]


if __name__ == "__main__":
    sys.exit(main())
