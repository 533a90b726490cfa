"""What each hostile input costs each entry point: wall time, CPU time and peak memory of the process.

Every run is a fresh child process (``python -m podnotes ...``), measured with
``os.wait4`` (the child's own CPU time and peak RSS) and the wall time around
it. The first row of each entry point is a small valid Pod, which is what
starting the interpreter and importing podnotes costs; the budget of one input
is 1 s of CPU beyond that and 200 MB in all. CPU time is reported because a
busy machine stretches wall time far more than it stretches CPU time.

The inputs are those of ``tests/hostile.py`` (billion laughs, a 1 MB alias
bomb of long keys, 5,000 levels of nesting, 100,000 and 700,000 documents,
a 900 KB base-60 integer, explicit tags that do not fit their value, ...).

Run: .venv/bin/python benchmarks/input_bench.py [--entry lint|explain|timeline|behaviour] [--only NAME]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402  (the inputs live with the tests that assert on them)

EXEC_LIVENESS = ROOT / "chapters" / "manifests" / "exec-liveness.yaml"
ENTRIES = {
    "lint": lambda path: hostile.podnotes("lint", "-f", str(path), "-o", "json"),
    "lint-sarif": lambda path: hostile.podnotes("lint", "-f", str(path), "-o", "sarif"),
    "explain": lambda path: hostile.podnotes("explain", "-f", str(path)),
    "timeline": lambda path: hostile.podnotes("timeline", "-f", str(path), "-o", "-"),
    "behaviour": lambda path: hostile.podnotes("timeline", "-f", str(EXEC_LIVENESS), "--behaviour", str(path),
                                               "-o", "-"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entry", choices=list(ENTRIES), action="append")
    parser.add_argument("--only", action="append", help="input name (repeatable)")
    args = parser.parse_args()
    entries = args.entry or list(ENTRIES)
    with tempfile.TemporaryDirectory() as folder:
        for entry in entries:
            inputs = hostile.BEHAVIOURS if entry == "behaviour" else hostile.INPUTS
            names = [name for name in inputs if not args.only or name in args.only]
            baseline_file = hostile.write_input(Path(folder), "baseline", b"{}\n" if entry == "behaviour"
                                                else hostile.POD)
            base = hostile.measure(entry, "(small valid input)", ENTRIES[entry](baseline_file))
            print(f"\n{entry}: {' '.join(ENTRIES[entry]('FILE')[2:])}")
            print(f"  {'input':42} {'bytes':>10} {'exit':>4} {'wall s':>7} {'CPU s':>6} {'CPU-base':>8} {'peak MB':>7}")
            rows = [("(small valid input)", baseline_file.stat().st_size, base)]
            for name in names:
                path = hostile.write_input(Path(folder), name, inputs[name]())
                rows.append((name, path.stat().st_size, hostile.measure(entry, name, ENTRIES[entry](path))))
                path.unlink()
            for name, size, run in rows:
                over = " OVER BUDGET" if run.cpu - base.cpu > hostile.BUDGET_SECONDS or \
                    run.peak_mb > hostile.BUDGET_MB else ""
                print(f"  {name[:42]:42} {size:>10,} {run.returncode:>4} {run.wall:>7.2f} {run.cpu:>6.2f} "
                      f"{run.cpu - base.cpu:>8.2f} {run.peak_mb:>7.0f}{over}")
    print()
    for line in hostile.summary():
        print(line)


if __name__ == "__main__":
    main()
