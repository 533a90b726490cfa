"""`make test`: the whole suite as two pytest runs side by side.

Most of the machine tier's time (the real node, the kernel experiments, the API servers, the chapters run as
root) is spent waiting on the kubelet's and the kernel's clocks, not on the CPU. The read-only tier (the
browser and layout checks of the built site, the book's own build tests, the code checks) needs the CPU and
touches nothing on the machine, so it runs beside the machine tier instead of after it.

- The machine tier's output is printed as it runs; the read-only tier's goes to _build/tests-read-only.log
  and is printed after the machine tier's. Each prints its own summary.
- Exit status: 0 when both pass, else the first failing tier's pytest status (machine tier first).
- Arguments go to both runs. Arguments that choose tests (paths, node ids, -k, -m, --lf, --deselect) run
  one pytest with them, as asked.
- Ctrl-C (from the terminal) and SIGTERM (forwarded) reach both runs, which clean up as they would alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "_build" / "tests-read-only.log"
# Files and folders that only read the built site and the repository, or build small books in temporary
# folders. Nothing here creates kernel or cluster objects or holds itself to a wall-clock budget; a new test
# file runs in the machine tier unless it is listed here.
READ_ONLY = [
    "tests/site/test_browser.py",
    "tests/site/test_editions.py",
    "tests/site/test_offline.py",
    "tests/site/test_pages_workflow.py",
    "tests/site/test_publish.py",
    "tests/site/test_screens.py",
    "tests/site/test_site_audit.py",
    "tests/site/test_site_build.py",
    "tests/site/test_site_text.py",
    "tests/site/test_theme_pins.py",
    "tests/book",
    "tests/test_code_quality.py",
    "tests/test_hostile_inputs.py",  # budgets in CPU seconds and peak memory, which a busy machine does not change
    "tests/test_plot.py",
    "tests/test_diagrams.py",
]
CHOOSING = ("-k", "-m", "--lf", "--last-failed", "--ff", "--deselect", "--sw", "--stepwise")
# pytest's "no tests collected": a tier with nothing to run has not failed.
NO_TESTS = 5


def chooses_tests(args: list[str]) -> bool:
    """Whether ``args`` pick tests: a -k/-m/--lf... option, or a path or node id that exists (an option's
    separate value, as in ``--durations 25``, is not a path)."""
    return any(arg in CHOOSING or arg.split("=", 1)[0] in CHOOSING
               or not arg.startswith("-") and (ROOT / arg.split("::", 1)[0]).exists() for arg in args)


def read_only_args(args: list[str]) -> list[str]:
    """The arguments for the read-only run: its own report files where the machine tier writes one."""
    changed = []
    for arg in args:
        if arg.startswith("--junitxml=") or arg.startswith("--junit-xml="):
            name, path = arg.split("=", 1)
            arg = f"{name}={Path(path).with_suffix('')}-read-only.xml"
        changed.append(arg)
    return changed


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    if chooses_tests(args):
        return subprocess.call(pytest + args, cwd=ROOT)
    LOG.parent.mkdir(exist_ok=True)
    print(f"::: the read-only tier ({len(READ_ONLY)} paths) runs beside this one; "
          f"its output follows, and is in {LOG.relative_to(ROOT)} as it goes", flush=True)
    with LOG.open("w") as log:
        beside = subprocess.Popen(pytest + ["-o", "cache_dir=_build/.pytest_cache_read_only", *read_only_args(args),
                                            *READ_ONLY], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        machine = subprocess.Popen(pytest + [*args, *(f"--ignore={path}" for path in READ_ONLY)], cwd=ROOT)
        runs = [machine, beside]

        def forward(signum, frame):
            for run in runs:
                if run.poll() is None:
                    run.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        # A terminal's Ctrl-C reaches every process of the foreground group, the runs included; a second
        # SIGINT from here would interrupt their clean-up.
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        statuses = [run.wait() for run in runs]
    print(f"\n::: the read-only tier: {' '.join(READ_ONLY)}\n", flush=True)
    sys.stdout.write(LOG.read_text())
    print(f"\n::: machine tier: pytest exit {statuses[0]}; read-only tier: pytest exit {statuses[1]}", flush=True)
    failed = [status for status in statuses if status not in (0, NO_TESTS)]
    if failed:
        return failed[0]
    return NO_TESTS if all(status == NO_TESTS for status in statuses) else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
