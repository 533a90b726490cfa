"""How long a workshop takes to set up, to check and to remove, for 20 and 40 participants.

Starts one local node (etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet), then for
each room size: ``up`` (namespaces, quota, limit range, account, Role, RoleBinding, the seed Pods, a token
kubeconfig and a sheet per participant), check rounds over the whole room (median and worst of --rounds),
and ``down`` until the namespaces are gone and nothing labelled with the workshop is left. Targets (the
kit's promise to an instructor): set-up under 30 s for 40, a check round under 5 s, down under 30 s with
nothing left. Needs root (the node).

Run: sudo .venv/bin/python benchmarks/workshop_bench.py [--sizes 20 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from podnotes.node import LocalNode, missing_prerequisites

TARGETS = {"set-up": 30.0, "check round": 5.0, "down": 30.0}


def one_room(node: LocalNode, size: int, rounds: int) -> dict[str, float]:
    from podnotes.workshop import board, down, participants, setup
    from podnotes.workshop.connection import Place, open_place

    place = Place(cluster=node.name, kubeconfig=str(node.kubeconfig))
    workshop = f"bench{size}"
    with open_place(place) as cluster:
        people = participants.numbered(size, workshop)
        record = setup.begin(place, cluster, workshop, people)
        report = setup.set_up(cluster, record)
        checks = []
        for _ in range(rounds):
            started = time.perf_counter()
            result = board.check_round(cluster, workshop, people)
            board.write_html(result, record)
            checks.append(time.perf_counter() - started)
        assert len(result.results) == size
        removed = down.down(cluster, workshop)
    return {"set-up": report.seconds, "check round": statistics.median(checks), "worst check round": max(checks),
            "down": removed.seconds, **{f"  {name}": value for name, value in removed.phases.items()},
            "left": len(removed.left), "resources checked": removed.resources_checked}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report-only", action="store_true",
                        help="exit 0 when a timing target is missed (still 1 when `down` left anything)")
    args = parser.parse_args()
    missing = missing_prerequisites()
    if missing:
        print("cannot start a local node, missing: " + "; ".join(missing), file=sys.stderr)
        return 2
    home = tempfile.mkdtemp(prefix="podnotes-workshop-bench-")
    os.environ["PODNOTES_WORKSHOP_HOME"] = home
    node = LocalNode("podnotes-bench")
    failed = False
    try:
        node.start()
        print(f"node Ready in {node.start_seconds:.1f} s")
        for size in args.sizes:
            figures = one_room(node, size, args.rounds)
            print(f"{size} participants:")
            for name, value in figures.items():
                target = TARGETS.get(name)
                verdict = "" if target is None else (f"  (target < {target:.0f} s: "
                                                     f"{'ok' if value < target else 'MISSED'})")
                unit = " s" if isinstance(value, float) else ""
                print(f"  {name:<24} {value:7.2f}{unit}{verdict}" if unit else f"  {name:<24} {value:7d}")
                failed |= target is not None and value >= target and not args.report_only
            failed |= figures["left"] != 0
    finally:
        left = node.stop()
        shutil.rmtree(home, ignore_errors=True)
        print(f"node stopped; left on the host: {', '.join(left) if left else 'nothing'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
