"""How long the test control plane takes to start, and how fast podnotes.cluster talks to it.

Starts etcd + kube-apiserver (LocalControlPlane) --runs times and prints each
start time (target: under 30 s on a 2-core CI machine once binaries are cached),
then, on one of them, times create / get / dry run / delete of the chapter's Pod.

Run: .venv/bin/python benchmarks/cluster_bench.py [--runs N] [--requests N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from podnotes import cluster
from podnotes.cluster.binaries import find_binaries, missing_binaries_reason
from podnotes.cluster.controlplane import LocalControlPlane

POD = Path(__file__).resolve().parent.parent / "chapters" / "manifests" / "nginx-test.yaml"


def time_call(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    binaries = find_binaries()
    if binaries is None:
        print(missing_binaries_reason(), file=sys.stderr)
        return 2
    print(f"binaries: {binaries}")
    starts = []
    for run in range(args.runs):
        with LocalControlPlane("bench", binaries) as plane:
            starts.append(plane.start_seconds)
            print(f"start {run + 1}: {plane.start_seconds:.2f} s")
            if run == 0:
                with cluster.open_cluster("bench", kubeconfig=plane.kubeconfig) as api:
                    api.dry_run(POD)  # discovery, connection set-up
                    timings = {"create+delete": [], "get": [], "dry run": []}
                    for _ in range(args.requests):
                        api.create(POD)
                        timings["get"].append(time_call(lambda: api.get("Pod", "nginx-test")))
                        timings["dry run"].append(time_call(lambda: api.dry_run(POD.read_text().replace(
                            "nginx-test", "nginx-dry"))))
                        timings["create+delete"].append(time_call(lambda: (api.delete(POD), api.create(POD))))
                        api.delete(POD)
                    for name, values in timings.items():
                        print(f"{name:>14}: median {statistics.median(values) * 1000:.1f} ms over {len(values)}")
    print(f"control plane start: median {statistics.median(starts):.2f} s, max {max(starts):.2f} s "
          f"over {len(starts)} runs (target < 30 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
