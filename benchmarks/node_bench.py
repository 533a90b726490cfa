"""How long the local node takes to become Ready, to run a Pod, and to stop and leave the host clean.

Starts the whole node (etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet) --runs
times and prints each phase (target: Ready in under 60 s on a 2-core CI machine once binaries are cached),
the time from creating a busybox Pod to its Ready condition, and the stop-and-clean time with what was
left on the host (must be nothing). Needs root.

Run: sudo .venv/bin/python benchmarks/node_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from podnotes import cluster
from podnotes.node import LocalNode, missing_prerequisites

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bench"}, "spec": {
    "terminationGracePeriodSeconds": 1,
    "containers": [{"name": "app", "image": "registry.k8s.io/busybox:1.27.2",
                    "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]}]}}


def one_run() -> tuple[float, float, float, list[str]]:
    node = LocalNode("podnotes-bench")
    try:
        node.start()
        for phase in node.phases:
            print(f"  {phase.name:<40} {phase.seconds:6.1f} s")
        with cluster.open_cluster(node.name, kubeconfig=node.kubeconfig) as connected:
            created = time.perf_counter()
            connected.create(POD)
            cluster.wait_for(connected, "bench", "Ready", timeout=60, progress=False)
            pod_ready = time.perf_counter() - created
    finally:
        stopping = time.perf_counter()
        left = node.stop()
        stop = time.perf_counter() - stopping
    return node.start_seconds, pod_ready, stop, left


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    missing = missing_prerequisites()
    if missing:
        print("cannot start a local node, missing: " + "; ".join(missing), file=sys.stderr)
        return 2
    starts, pods, stops = [], [], []
    for run in range(1, args.runs + 1):
        print(f"run {run}:")
        start, pod, stop, left = one_run()
        starts.append(start), pods.append(pod), stops.append(stop)
        print(f"  node Ready {start:.1f} s, Pod Ready {pod:.1f} s, stop + clean {stop:.1f} s, "
              f"left behind: {', '.join(left) if left else 'nothing'}")
        if left:
            return 1
    print(f"node Ready: median {statistics.median(starts):.1f} s, max {max(starts):.1f} s (target < 60 s)")
    print(f"Pod Ready after create: median {statistics.median(pods):.1f} s")
    print(f"stop + clean: median {statistics.median(stops):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
