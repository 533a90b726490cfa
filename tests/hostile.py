"""Hostile and unlucky inputs for every entry point that reads input, and a way to
measure one run of a command on one input in its own child process.

Each input is built by a function (some are megabytes), named after what it
tries: exhaust memory, time, the stack, the parser, or the reader itself.
``measure`` runs a child and takes its own CPU time and peak memory from
``os.wait4`` (the rusage of exactly that child, through a small launcher so
the test process's own size is not inherited), plus the wall time around it.
Every measurement is kept in ``FIGURES``; the test session prints how many
inputs were tried, the slowest and the largest (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The documented budget of one input: CPU seconds and peak memory of the process.
BUDGET_SECONDS = 1.0
BUDGET_MB = 200
# Past this the child is killed: a hang, not a slow input.
HANG_SECONDS = 60
# Pipes and FIFOs are read against this deadline in the children.
PIPE_TIMEOUT = "0.5"

POD = (b"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n"
       b"    image: nginx:1.27\n    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 5}\n")


def _pod_with(memory: str = "128Mi", period: str = "5", grace: str = "30") -> bytes:
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nspec:\n  terminationGracePeriodSeconds: {grace}\n"
            f"  containers:\n  - name: web\n    image: nginx:1.27\n"
            f"    resources: {{limits: {{memory: {memory}}}}}\n"
            f"    livenessProbe: {{exec: {{command: [cat, /tmp/healthy]}}, periodSeconds: {period}}}\n").encode()


def _billion_laughs() -> bytes:
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: lol", '  a: &a ["lol","lol","lol","lol","lol",'
             '"lol","lol","lol","lol"]']
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return ("\n".join(lines) + "\nspec: {containers: [{name: a, image: a:1}]}\n").encode()


def _long_key_bomb() -> bytes:
    """About 1 MB: each level is a mapping of 100 one-kilobyte keys whose values alias the level below."""
    key = "k" * 1000
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: x", "  annotations:",
             "    a0: &a0 {" + ", ".join(f"{key}{i}: v" for i in range(100)) + "}"]
    for level in range(1, 10):
        lines.append(f"    a{level}: &a{level} {{" + ", ".join(f"{key}{i}: *a{level - 1}" for i in range(100)) + "}")
    return ("\n".join(lines) + "\nspec: {containers: [{name: a, image: a:1}]}\n").encode()


def _wide_alias_bytes() -> bytes:
    """Few values, many bytes: one 100 kB string aliased 60 times (6 MB once expanded)."""
    return (b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    a: &a " + b"x" * 100_000
            + b"\n    b: [" + b", ".join([b"*a"] * 60) + b"]\nspec: {containers: [{name: a, image: a:1}]}\n")


def _merge_bomb() -> bytes:
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: m}", "x:", "  l0: &l0 {a: 1, b: 2, c: 3}"]
    for level in range(1, 12):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 8) + "]")
    lines.append("  merged: {<<: [*l0], z: *l11}")
    return ("\n".join(lines) + "\n").encode()


INPUTS: dict[str, Callable[[], bytes]] = {
    # memory
    "billion-laughs": _billion_laughs,
    "long-key-alias-bomb-1MB": _long_key_bomb,
    "one-string-aliased-60-times": _wide_alias_bytes,
    "merge-key-bomb": _merge_bomb,
    "self-referencing-alias": lambda: b"a: &a [1, *a]\n",
    "twenty-megabytes": lambda: b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  annotations:\n    blob: "
                                + b"x" * (20 * 1024 * 1024) + b"\n",
    # the stack
    "nested-flow-5000": lambda: b"[" * 5000 + b"]" * 5000,
    "nested-block-1000": lambda: "".join("  " * i + "a:\n" for i in range(1000)).encode() + b"  " * 1000 + b"b\n",
    # tracebacks
    "tag-int-abc": lambda: b"apiVersion: v1\nkind: Pod\na: !!int abc\n",
    "tag-float-abc": lambda: b"a: !!float abc\n",
    "tag-bool-maybe": lambda: b"a: !!bool maybe\n",
    "tag-int-key": lambda: b"? !!int zz\n: 1\n",
    "tag-python-object": lambda: b"apiVersion: v1\nkind: Pod\nmetadata: !!python/object:os.system {name: x}\n",
    "tag-timestamp-junk": lambda: b"a: !!timestamp yesterday\n",
    "integer-5001-digits": lambda: _pod_with(grace="9" * 5001),
    "integer-5001-digits-tagged": lambda: b"a: !!int " + b"9" * 5001 + b"\n",
    "memory-nan": lambda: _pod_with(memory=".nan"),
    "memory-inf": lambda: _pod_with(memory=".inf"),
    "memory-minus-inf": lambda: _pod_with(memory="-.inf"),
    "memory-exponent-1E99999999999999999999": lambda: _pod_with(memory="1E99999999999999999999"),
    "memory-exponent-e2147483647": lambda: _pod_with(memory="1e2147483647"),
    "binary-junk": lambda: bytes(range(256)) * 64,
    "latin-1": lambda: "apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9}\n".encode("latin-1"),
    # wrong verdicts
    "period-2147483648": lambda: _pod_with(period="2147483648"),
    "grace-2^63": lambda: _pod_with(grace=str(2**63)),
    # time
    "base60-900KB": lambda: b"a: 1" + b":59" * 300_000 + b"\n",
    "float-base60-900KB": lambda: b"a: 1" + b":59" * 300_000 + b".5\n",
    "documents-100000-small": lambda: b"a: 1\n---\n" * 100_000,
    "documents-700000-empty": lambda: b"---\n" * 700_000,
    "list-20000-items-no-aliases": lambda: (b"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: "
                                            b"[{name: a, image: a:1}]\n  x:\n"
                                            + b"  - {a: 1, b: 2, c: 3, d: 4, e: 5}\n" * 20_000),
    "pods-1400": lambda: b"\n---\n".join([POD] * 1400),
    "long-keys-100-levels": lambda: "".join("  " * i + f"{'k' * 200}{i}:\n" for i in range(99)).encode()
                                    + b"  " * 99 + b"v\n",
    # plain mistakes
    "empty": lambda: b"",
    "just-a-comment": lambda: b"# nothing\n",
    "a-list": lambda: b"- 1\n- 2\n",
    "tab-indent": lambda: b"apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
}

# What each hostile input must be told, where the wording is fixed (checked in every entry point's output).
MESSAGES = {
    "billion-laughs": "anchors and aliases are expanded",
    "long-key-alias-bomb-1MB": "anchors and aliases are expanded",
    "one-string-aliased-60-times": "characters of keys and values",
    "self-referencing-alias": "expands without end",
    "nested-flow-5000": "nested deeper than 100 levels",
    "nested-block-1000": "nested deeper than 100 levels",
    "tag-int-abc": "`abc` is not an integer, although its tag !!int says it is",
    "tag-float-abc": "`abc` is not a floating-point number",
    "tag-bool-maybe": "`maybe` is not a boolean",
    "tag-int-key": "`zz` is not an integer",
    "documents-100000-small": "more than 20,000 documents",
    "list-20000-items-no-aliases": "the document holds more than 50,000 values",
    "twenty-megabytes": "3 MiB",
}
# What lint must find in these (rule, server message), beyond reading them.
LINT_VERDICTS = {
    "memory-nan": ("number-range", "json: unsupported value: NaN"),
    "memory-inf": ("number-range", "json: unsupported value: +Inf"),
    "memory-minus-inf": ("number-range", "json: unsupported value: -Inf"),
    "memory-exponent-1E99999999999999999999": ("invalid-quantity", "unable to parse quantity's suffix"),
    "period-2147483648": ("number-range", "json: cannot unmarshal number 2147483648 into Go struct field "
                                          "Probe.spec.containers.livenessProbe.periodSeconds of type int32"),
    "grace-2^63": ("number-range", "json: cannot unmarshal number 9223372036854775808 into Go struct field "
                                   "PodSpec.spec.terminationGracePeriodSeconds of type int64"),
    "integer-5001-digits": ("type-mismatch", "json: cannot unmarshal string into Go struct field "
                                             "PodSpec.spec.terminationGracePeriodSeconds of type int64"),
}

BEHAVIOURS: dict[str, Callable[[], bytes]] = {
    "not-a-mapping": lambda: b"[1, 2]\n",
    "a-string": lambda: b"hello\n",
    "containers-a-list": lambda: b"containers: [a, b]\n",
    "container-a-string": lambda: b"containers: {liveness: x}\n",
    "probes-a-list": lambda: b"containers: {liveness: {probes: [1]}}\n",
    "probe-a-number": lambda: b"containers: {liveness: {probes: {liveness: 3}}}\n",
    "answers-pair-not-a-list": lambda: b"containers: {liveness: {probes: {liveness: {answers: [[0, 0], 5]}}}}\n",
    "answers-triple": lambda: b"containers: {liveness: {probes: {liveness: {answers: [[0, 0, 1]]}}}}\n",
    "answers-time-a-string": lambda: b"containers: {liveness: {probes: {liveness: {answers: [[soon, 0]]}}}}\n",
    "answers-decreasing": lambda: b"containers: {liveness: {probes: {liveness: {answers: [[5, 0], [1, 1]]}}}}\n",
    "answers-empty-list": lambda: b"containers: {liveness: {probes: {liveness: {answers: []}}}}\n",
    "answers-tcp-down": lambda: b"containers: {liveness: {probes: {liveness: {answers: down}}}}\n",
    "answers-exec-http-status": lambda: b"containers: {liveness: {probes: {liveness: {answers: true}}}}\n",
    "answers-alias-bomb": lambda: (b"containers:\n  liveness:\n    probes:\n      liveness: {answers: [[0, 0], [5, "
                                   b"&a [1,1,1,1,1,1,1,1,1]]]}\nx: &b [" + b",".join([b"*a"] * 9) + b"]\ny: &c ["
                                   + b",".join([b"*b"] * 9) + b"]\nz: &d [" + b",".join([b"*c"] * 9) + b"]\nw: ["
                                   + b",".join([b"*d"] * 99) + b"]\n"),
    "delays-negative": lambda: b"containers: {liveness: {probes: {liveness: {delays: [[0, -1]]}}}}\n",
    "delays-nan": lambda: b"containers: {liveness: {probes: {liveness: {delays: .nan}}}}\n",
    "delete-at-nan": lambda: b"deleteAt: .nan\n",
    "delete-at-inf": lambda: b"deleteAt: .inf\n",
    "delete-at-negative": lambda: b"deleteAt: -5\n",
    "delete-at-a-mapping": lambda: b"deleteAt: {a: 1}\n",
    "exit-code-abc": lambda: b"containers: {liveness: {exitCode: abc}}\n",
    "exit-code-huge": lambda: b"containers: {liveness: {exitCode: " + b"9" * 5001 + b"}}\n",
    "exit-after-1e999": lambda: b"containers: {liveness: {exitAfter: 1e999}}\n",
    "exit-after-overflow": lambda: b"containers: {liveness: {exitAfter: 1.0e+999}}\n",
    "sigterm-unknown": lambda: b"containers: {liveness: {sigterm: maybe}}\n",
    "tick-phase-a-list": lambda: b"tickPhase: [1]\n",
    "tick-phase-nan": lambda: b"tickPhase: .nan\n",
    "unknown-field": lambda: b"containers: {liveness: {exitAfterr: 3}}\n",
    "key-a-list": lambda: b"containers: {? [1]\n: {exitCode: 1}}\n",
    "nested-5000": lambda: b"[" * 5000 + b"]" * 5000,
    "tag-int-abc": lambda: b"deleteAt: !!int abc\n",
    "utf-16-junk": lambda: "containers: {}\n".encode("utf-16-le"),
    "latin-1": lambda: "containers: {caf\xe9: {}}\n".encode("latin-1"),
    "two-documents": lambda: b"containers: {}\n---\ncontainers: {}\n",
    "duplicate-key": lambda: b"deleteAt: 1\ndeleteAt: 2\n",
    "schedule-20000-pairs": lambda: b"containers: {liveness: {probes: {liveness: {answers: ["
                                    + b",".join(b"[%d, 0]" % i for i in range(20_000)) + b"]}}}}\n",
    "base60-900KB": lambda: b"deleteAt: 1" + b":59" * 300_000 + b"\n",
}
# Fixed wording for some behaviour problems (file:line: field.path: message).
BEHAVIOUR_MESSAGES = {
    "answers-tcp-down": "containers.liveness.probes.liveness.answers: down is not valid here",
    "answers-exec-http-status": "the liveness probe of container liveness is exec, so an answer is an exit code",
    "delete-at-nan": ":1: deleteAt: must be a finite number, not nan",
    "exit-code-abc": ":1: containers.liveness.exitCode: must be an integer, not a string",
    "delays-negative": "containers.liveness.probes.liveness.delays[0][1]: must be at least 0, not -1",
    "answers-decreasing": "schedule times must increase",
    "answers-alias-bomb": "once its anchors and aliases are expanded",
    "unknown-field": ":1: containers.liveness.exitAfterr: unknown field",
    "nested-5000": "nested deeper than 100 levels",
}


@dataclass
class Measurement:
    entry: str
    input: str
    returncode: int
    wall: float
    cpu: float
    peak_mb: float
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


FIGURES: list[Measurement] = []


def child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PODNOTES_DEBUG"}
    return {**env, "PODNOTES_READ_TIMEOUT": PIPE_TIMEOUT, "PYTHONWARNINGS": "ignore", **extra}


# Peak memory is a process's high-water mark, and a forked child inherits its
# parent's: measured straight from the test process (pytest, well over 100 MB),
# every child would look that large. So a small launcher (an isolated Python
# without site, about 10 MB) forks the command and reports the command's own
# rusage from os.wait4.
LAUNCHER = """\
import json, os, signal, sys, time
report, limit, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() - start > limit:
        os.kill(pid, signal.SIGKILL)
        done, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.005)
wall = time.monotonic() - start
with open(report, "w") as handle:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": wall,
               "cpu": usage.ru_utime + usage.ru_stime, "peak_kb": usage.ru_maxrss}, handle)
"""


def measure(entry: str, name: str, argv: list[str], *, stdin=None,
            env: dict[str, str] | None = None, cwd: str | None = None) -> Measurement:
    """Run ``argv`` in a child and take its wall time, CPU time (user + system) and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, report.name, str(HANG_SECONDS), *argv],
                       stdin=stdin if stdin is not None else subprocess.DEVNULL, stdout=out, stderr=err,
                       env=env or child_env(), cwd=cwd, timeout=HANG_SECONDS + 30, check=False)
        figures = json.loads(Path(report.name).read_text())
        out.seek(0)
        err.seek(0)
        result = Measurement(entry, name, figures["code"], figures["wall"], figures["cpu"],
                             figures["peak_kb"] / 1024, out.read().decode(errors="replace"),
                             err.read().decode(errors="replace"))
    FIGURES.append(result)
    return result


def podnotes(*args: str) -> list[str]:
    return [sys.executable, "-m", "podnotes", *args]


def write_input(folder: Path, name: str, data: bytes, suffix: str = ".yaml") -> Path:
    path = folder / f"{name}{suffix}"
    path.write_bytes(data)
    return path


def summary() -> list[str]:
    """The figures of every measured run: inputs tried, the slowest and the largest."""
    if not FIGURES:
        return []
    inputs = {(m.entry, m.input) for m in FIGURES}
    slowest = max(FIGURES, key=lambda m: m.cpu)
    slowest_wall = max(FIGURES, key=lambda m: m.wall)
    largest = max(FIGURES, key=lambda m: m.peak_mb)
    return [
        f"hostile inputs: {len(FIGURES)} runs, {len({m.input for m in FIGURES})} inputs over "
        f"{len({m.entry for m in FIGURES})} entry points ({len(inputs)} pairs); budget {BUDGET_SECONDS:g} s CPU "
        f"and {BUDGET_MB} MB per input",
        f"  slowest (CPU):  {slowest.cpu:.2f} s CPU, {slowest.wall:.2f} s wall  {slowest.entry} <- {slowest.input}",
        f"  slowest (wall): {slowest_wall.wall:.2f} s wall, {slowest_wall.cpu:.2f} s CPU  {slowest_wall.entry} <- "
        f"{slowest_wall.input}",
        f"  largest:        {largest.peak_mb:.0f} MB peak  {largest.entry} <- {largest.input}",
    ]
