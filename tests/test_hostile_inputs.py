"""Every entry point that reads input, against hostile and unlucky inputs.

Each run happens in its own child process (``tests/hostile.py``), which gives
its own CPU time and peak memory. The documented budget of one input is 1 s
and 200 MB, a clear message naming the file (and the line and field path where
there is one), never a traceback, and the documented exit codes; a crash
would exit 70, never 1 (lint's "advice only").

Entry points: ``podnotes lint -f FILE`` (text, JSON, SARIF; a folder; stdin),
``podnotes explain -f``, ``podnotes timeline -f``, ``podnotes timeline
--behaviour``, the reading step of ``podnotes apply -f``
(``podnotes.cluster.load_documents``), and the Python API
(``podnotes.lint.lint``, ``podnotes.manifest.load``,
``podnotes.probes.load_behaviour``). The session ends by printing how many
inputs were tried, the slowest and the largest run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import hostile
from tests.hostile import BUDGET_MB, BUDGET_SECONDS, measure, podnotes

ROOT = Path(__file__).resolve().parent.parent
EXEC_LIVENESS = ROOT / "chapters" / "manifests" / "exec-liveness.yaml"
WARM = str(ROOT / "tests" / "fixtures" / "lint" / "good" / "pod.yaml")  # a readable input to warm up with
LINT_CODES = {0, 1, 2, 3}
# A run's cost of its own input: the run minus the same entry point on a small valid input.
_BASELINES: dict[str, float] = {}

APPLY_READ = textwrap.dedent("""\
    import sys
    from podnotes.cluster import ManifestProblem, load_documents
    try:
        documents = load_documents(sys.argv[1] if sys.argv[1] == "-" else __import__("pathlib").Path(sys.argv[1]))
    except ManifestProblem as err:
        print(f"refused: {err}")
        sys.exit(3)
    if not documents:
        print(f"refused: {sys.argv[1]}: no objects to send")
        sys.exit(3)
    print(f"{len(documents)} objects to send")
    """)
PYTHON_LINT = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from podnotes.lint import exit_code, lint
    findings = lint(Path(sys.argv[1]))
    for finding in findings:
        print(finding)
        print("   ", finding.server_message)
    sys.exit(exit_code(findings))
    """)
PYTHON_BEHAVIOUR = textwrap.dedent("""\
    import sys
    from podnotes.probes import BehaviourError, load_behaviour, simulate
    from podnotes.manifest import load
    try:
        behaviour = load_behaviour(sys.argv[1])
    except BehaviourError as err:
        print(err)  # names the file itself
        sys.exit(3)
    try:
        simulate(load(sys.argv[2]), behaviour, 600)
    except BehaviourError as err:  # answers that do not fit the Pod's probes: the caller knows the file
        print(f"{sys.argv[1]}: {err}")
        sys.exit(3)
    print("simulated")
    """)

ENTRIES = {
    "lint -o json": lambda path: podnotes("lint", "-f", str(path), "-o", "json"),
    "explain -f": lambda path: podnotes("explain", "-f", str(path)),
    "timeline -f": lambda path: podnotes("timeline", "-f", str(path), "-o", "-"),
    "apply -f (reading)": lambda path: [sys.executable, "-c", APPLY_READ, str(path)],
    "python lint()": lambda path: [sys.executable, "-c", PYTHON_LINT, str(path)],
}
# The inputs that cost time: every output format, and stdin.
TIME_INPUTS = ["documents-100000-small", "documents-700000-empty", "list-20000-items-no-aliases", "pods-1400",
               "base60-900KB", "long-key-alias-bomb-1MB"]


def _baseline(entry: str, argv: list[str], tmp_path: Path) -> float:
    if entry not in _BASELINES:
        path = hostile.write_input(tmp_path, "baseline-pod", hostile.POD)
        argv = [str(path) if arg == "BASELINE" else arg for arg in argv]
        _BASELINES[entry] = min(measure(entry, "(small valid Pod)", argv).cpu for _ in range(2))
    return _BASELINES[entry]


def _best_of(run, baseline: float, tries: int = 3) -> hostile.Measurement:
    """The run with the least CPU time, trying again while over budget: the read-only tier runs beside the
    machine tier on the same two CPUs, and a process's CPU time grows with what its neighbours do to caches
    and shared cores. An entry point that truly needs more than the budget exceeds it every time."""
    results = [run()]
    while results[-1].cpu - baseline > BUDGET_SECONDS and len(results) < tries:
        results.append(run())
    return min(results, key=lambda result: result.cpu)


def _check_budget(result: hostile.Measurement, baseline: float) -> None:
    assert "Traceback" not in result.output, result.output[-2000:]
    assert result.returncode != 70, f"crashed: {result.stderr[-2000:]}"
    assert result.cpu - baseline <= BUDGET_SECONDS, (
        f"{result.entry} <- {result.input}: {result.cpu:.2f} s CPU ({baseline:.2f} s of it starting up), "
        f"{result.wall:.2f} s wall")
    assert result.peak_mb <= BUDGET_MB, f"{result.entry} <- {result.input}: {result.peak_mb:.0f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("name", list(hostile.INPUTS))
def test_hostile_manifest(entry, name, tmp_path):
    path = hostile.write_input(tmp_path, name, hostile.INPUTS[name]())
    baseline = _baseline(entry, ENTRIES[entry]("BASELINE"), tmp_path)
    result = _best_of(lambda: measure(entry, name, ENTRIES[entry](path)), baseline)
    _check_budget(result, baseline)
    assert result.returncode in LINT_CODES, result.output[-2000:]
    if result.returncode == 3:
        assert path.name in result.output, "the message names the file"
    if name in hostile.MESSAGES:
        assert hostile.MESSAGES[name] in result.output, result.output[-2000:]
    if entry in ("lint -o json", "python lint()"):
        _check_lint_verdict(name, result)


def _check_lint_verdict(name: str, result: hostile.Measurement) -> None:
    if name in hostile.MESSAGES:
        assert result.returncode == 3, "a budget exceeded is unreadable input"
    if name in hostile.LINT_VERDICTS:
        rule, server = hostile.LINT_VERDICTS[name]
        assert result.returncode == 2, "the API server would reject it"
        assert f"[{rule}]" in result.output or f'"rule": "{rule}"' in result.output, result.output
        assert server in result.output
    if result.entry == "lint -o json" and result.stdout:
        report = json.loads(result.stdout)
        assert report["exitCode"] == result.returncode
        for finding in report["findings"]:
            if finding["rule"] in ("yaml-tag", "number-range", "invalid-quantity", "type-mismatch"):
                assert finding["line"] is not None, finding


@pytest.mark.slow
@pytest.mark.parametrize("output", ["text", "sarif"])
@pytest.mark.parametrize("name", TIME_INPUTS)
def test_time_inputs_in_every_format_and_from_stdin(name, output, tmp_path):
    path = hostile.write_input(tmp_path, name, hostile.INPUTS[name]())
    entry = f"lint -o {output}"
    baseline = _baseline(entry, podnotes("lint", "-f", "BASELINE", "-o", output), tmp_path)
    _check_budget(_best_of(lambda: measure(entry, name, podnotes("lint", "-f", str(path), "-o", output)), baseline),
                  baseline)

    def from_stdin() -> hostile.Measurement:
        with path.open("rb") as stdin:
            return measure(f"lint -f - -o {output}", name, podnotes("lint", "-f", "-", "-o", output), stdin=stdin)

    result = _best_of(from_stdin, baseline)
    _check_budget(result, baseline)
    assert result.returncode in LINT_CODES


@pytest.mark.slow
@pytest.mark.parametrize("name", list(hostile.BEHAVIOURS))
def test_hostile_behaviour_file(name, tmp_path):
    path = hostile.write_input(tmp_path, name, hostile.BEHAVIOURS[name]())
    entry = "timeline --behaviour"
    baseline = _baseline(entry, podnotes("timeline", "-f", str(EXEC_LIVENESS), "-o", "-"), tmp_path)
    result = _best_of(lambda: measure(entry, name, podnotes("timeline", "-f", str(EXEC_LIVENESS), "--behaviour",
                                                           str(path), "-o", "-")), baseline)
    _check_budget(result, baseline)
    assert result.returncode == 3, result.output[-2000:]
    assert str(path) in result.stderr and result.stderr.count("\n") <= 12, result.stderr
    if name in hostile.BEHAVIOUR_MESSAGES:
        assert hostile.BEHAVIOUR_MESSAGES[name] in result.stderr, result.stderr
    api = _best_of(lambda: measure("python load_behaviour()", name, [sys.executable, "-c", PYTHON_BEHAVIOUR,
                                                                     str(path), str(EXEC_LIVENESS)]), baseline)
    _check_budget(api, baseline)
    assert api.returncode == 3 and str(path) in api.stdout, api.output


# --- special files, names and folders --------------------------------------------

def _special_inputs(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "silent.fifo"
    os.mkfifo(fifo)
    sock = tmp_path / "listening.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "nowhere.yaml")
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    return {"fifo-never-written": fifo, "/dev/zero": Path("/dev/zero"), "/dev/urandom": Path("/dev/urandom"),
            "/dev/null": Path("/dev/null"), "unix-socket": sock, "dangling-link": dangling, "link-loop": loop,
            "name-5000-characters": tmp_path / ("a" * 5000 + ".yaml"),
            "path-5000-characters": Path(str(tmp_path) + "/d" * 2500 + "/pod.yaml"),
            "empty-folder": _empty_folder(tmp_path), "missing": tmp_path / "missing.yaml"}


def _empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "empty-folder"
    folder.mkdir()
    return folder


SPECIAL_ENTRIES = {
    "lint -f": lambda path: podnotes("lint", "-f", str(path)),
    "explain -f": lambda path: podnotes("explain", "-f", str(path)),
    "timeline -f": lambda path: podnotes("timeline", "-f", str(path), "-o", "-"),
    "timeline --behaviour": lambda path: podnotes("timeline", "-f", str(EXEC_LIVENESS), "--behaviour", str(path),
                                                  "-o", "-"),
    "apply -f (reading)": lambda path: [sys.executable, "-c", APPLY_READ, str(path)],
}


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(SPECIAL_ENTRIES))
def test_special_files_never_hang_or_crash(entry, tmp_path):
    for name, path in _special_inputs(tmp_path).items():
        result = measure(entry, name, SPECIAL_ENTRIES[entry](path))
        assert "Traceback" not in result.output, (name, result.output)
        assert result.wall < 10, (name, result.wall)
        assert result.peak_mb <= BUDGET_MB, (name, result.peak_mb)
        if name == "/dev/null" and entry == "timeline --behaviour":
            assert result.returncode == 0, "an empty behaviour file is the default behaviour"
            continue
        assert result.returncode == 3, (name, result.returncode, result.output)
        shown = path.name if len(path.name) < 100 else "characters)"
        assert shown in result.output, (name, result.output)


def test_fifo_with_a_silent_writer_times_out(tmp_path):
    fifo = tmp_path / "held.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"exec 3>{fifo}; sleep 30"])
    try:
        result = measure("lint -f", "fifo-held-open", podnotes("lint", "-f", str(fifo)))
    finally:
        writer.kill()
        writer.wait()
    assert result.returncode == 3 and "no end of input within 0.5 s" in result.stdout, result.output
    assert result.wall < 5


def test_stdin_that_never_closes_times_out():
    reader, writer = os.pipe()
    try:
        result = measure("lint -f -", "stdin-held-open", podnotes("lint", "-f", "-"), stdin=reader)
    finally:
        os.close(reader)
        os.close(writer)
    assert result.returncode == 3 and "<stdin>: error [unreadable] no end of input" in result.stdout, result.output


# The interpreter's own files live under /root, which another user cannot read:
# the child runs the same command once as root (importing everything it needs),
# then drops to nobody and runs it for real.
DROP_PRIVILEGES = textwrap.dedent("""\
    import contextlib, io, os, sys
    import encodings.utf_8_sig, encodings.utf_16, encodings.latin_1
    import podnotes.cli
    warm = [sys.argv[1], *(a if not a.startswith("/tmp/") else sys.argv[-1] for a in sys.argv[2:-1])]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        podnotes.cli.main(warm)
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    sys.exit(podnotes.cli.main(sys.argv[1:-1]))
    """)


@pytest.fixture
def reachable_tmp():
    """A temporary folder every user can reach (pytest's own is private to root)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="podnotes-hostile-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the child as another user")
def test_folders_that_cannot_be_entered_or_listed(reachable_tmp):
    """As a normal user: a file inside a folder without x, a folder without r, among readable ones."""
    good = reachable_tmp / "manifests"
    (good / "locked").mkdir(parents=True)
    (good / "unlisted").mkdir()
    hostile.write_input(good, "pod", hostile.POD)
    hostile.write_input(good / "locked", "inside", hostile.POD)
    hostile.write_input(good / "unlisted", "inside", hostile.POD)
    (good / "locked").chmod(0o644)  # readable, not enterable
    (good / "unlisted").chmod(0o311)  # enterable, not listable
    cwd = str(ROOT / "src")
    inside = measure("lint -f (as nobody)", "file-in-untraversable-folder",
                     [sys.executable, "-c", DROP_PRIVILEGES, "lint", "-f", str(good / "locked" / "inside.yaml"), WARM],
                     cwd=cwd)
    assert inside.returncode == 3, inside.output
    assert "Permission denied: this user may not read it, or may not enter a folder on its path" in inside.stdout
    folder = measure("lint -f (as nobody)", "folder-with-unlistable-parts",
                     [sys.executable, "-c", DROP_PRIVILEGES, "lint", "-f", str(good), WARM], cwd=cwd)
    assert folder.returncode == 3, folder.output
    assert "cannot list this folder" in folder.stdout and "unlisted" in folder.stdout, folder.output
    assert "naked-pod" in folder.stdout, "the readable manifest beside them was still checked"
    assert "locked/inside.yaml: error [unreadable] cannot open the manifest: Permission denied" in folder.stdout
    behaviour = measure("timeline --behaviour (as nobody)", "behaviour-in-untraversable-folder",
                        [sys.executable, "-c", DROP_PRIVILEGES, "timeline", "-f", str(EXEC_LIVENESS),
                         "--behaviour", str(good / "locked" / "inside.yaml"), "-o", "-", WARM], cwd=cwd)
    assert behaviour.returncode == 3 and "Permission denied" in behaviour.stderr, behaviour.output
    for result in (inside, folder, behaviour):
        assert "Traceback" not in result.output


# --- output that cannot be written ------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["lint", "-f", str(EXEC_LIVENESS)],
    ["lint", "-f", str(EXEC_LIVENESS), "-o", "sarif"],
    ["explain", "-f", str(EXEC_LIVENESS)],
    ["explain", "spec.containers", "--recursive"],
    ["timeline", "--preset", "exec-liveness", "-o", "-"],
])
def test_output_to_a_full_device(argv):
    with open("/dev/full", "wb") as full:
        result = subprocess.run(podnotes(*argv), stdout=full, stderr=subprocess.PIPE, text=True,
                                env=hostile.child_env(), timeout=60)
    assert result.returncode == 74, result.stderr
    assert "cannot write the output: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_timeline_file_on_a_full_device(tmp_path):
    target = tmp_path / "full.json"
    target.symlink_to("/dev/full")
    result = subprocess.run(podnotes("timeline", "--preset", "exec-liveness", "-o", str(target)),
                            capture_output=True, text=True, env=hostile.child_env(), timeout=60)
    assert result.returncode == 74 and "No space left on device" in result.stderr, result.stderr


def test_a_crash_exits_70_with_one_line_never_1(tmp_path, monkeypatch):
    """An unexpected exception in a command is reported on one line and exits 70 (PODNOTES_DEBUG shows more)."""
    script = textwrap.dedent("""\
        import sys
        import podnotes.lint
        def broken(*args, **kwargs):
            raise KeyError("boom")
        podnotes.lint.lint_documents = broken
        from podnotes.cli import main
        sys.exit(main(["lint", "-f", sys.argv[1]]))
        """)
    result = subprocess.run([sys.executable, "-c", script, str(EXEC_LIVENESS)], capture_output=True, text=True,
                            env=hostile.child_env(), timeout=60)
    assert result.returncode == 70, result.stderr
    assert "internal error: KeyError: 'boom'" in result.stderr and "PODNOTES_DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr
    debug = subprocess.run([sys.executable, "-c", script, str(EXEC_LIVENESS)], capture_output=True, text=True,
                           env=hostile.child_env(PODNOTES_DEBUG="1"), timeout=60)
    assert debug.returncode == 70 and "Traceback" in debug.stderr


# --- the simulator's own bounds ------------------------------------------------------

@pytest.mark.parametrize("duration", ["inf", "nan", "1e9", "-1", "0", "86401"])
def test_duration_out_of_range_is_refused(duration):
    result = measure("timeline --duration", duration,
                     podnotes("timeline", "--preset", "exec-liveness", f"--duration={duration}", "-o", "-"))
    assert result.returncode == 4, "a bad command line"
    assert "--duration: the duration must be more than 0 and at most 86,400 seconds (one day)" in result.stderr
    assert result.wall < 10


def test_a_day_of_busy_probes_stays_within_the_event_bound():
    """Thirty probes every second for a day would be 2.6 million events: refused before the simulation
    starts, from the probes' periods."""
    script = textwrap.dedent("""\
        import sys
        from podnotes.probes import simulate
        from podnotes.probes.simulator import SimulationTooLong
        probe = {"exec": {"command": ["true"]}, "periodSeconds": 1}
        containers = [{"name": f"c{i}", "image": "busybox:1.36", "livenessProbe": probe,
                       "readinessProbe": probe, "startupProbe": probe} for i in range(10)]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "busy"}, "spec": {"containers": containers}}
        try:
            simulate(pod, None, 86400)
        except SimulationTooLong as err:
            print(err)
            sys.exit(3)
        """)
    result = measure("python simulate()", "30 probes at 1 s for a day", [sys.executable, "-c", script])
    assert result.returncode == 3 and "about 1,728,000 probe events" in result.stdout, result.output
    assert result.peak_mb <= BUDGET_MB
    assert result.cpu <= BUDGET_SECONDS + 1.5, "refused before any event is simulated (plus the imports)"


def test_a_pod_of_five_thousand_containers_is_refused_before_it_is_validated(tmp_path):
    containers = "".join(f"  - {{name: c{i}, image: nginx:1.27}}\n" for i in range(5000))
    path = hostile.write_input(tmp_path, "containers-5000",
                               f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  containers:\n"
                               f"{containers}".encode())
    result = measure("timeline -f", "containers-5000", podnotes("timeline", "-f", str(path), "-o", "-"))
    assert result.returncode in (3, 4), result.output
    assert "the Pod has 5,000 containers; the simulator takes at most 100" in result.stderr
    assert result.cpu <= 1 + 0.5, "refused before the Pod is validated"
