"""How long the kernel experiments of chapters 2-6 take, and what they leave behind.

Times, over --runs repetitions each: building a root file system (busybox and
host-program fallback), a probe in a plain child, a probe in new PID+mount+UTS+
IPC+net namespaces, creating and removing a cgroup, a container run, and a Pod
(pause process + one container + one request over localhost). Targets: a
namespaced probe under 0.5 s and a Pod under 3 s on a 2-core CI machine, so each
chapter stays well under two minutes. Ends by checking that nothing leaked.

Run as root: .venv/bin/python benchmarks/linux_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from podnotes.linux import rootfs
from podnotes.linux.cgroups import Limits, create_cgroup
from podnotes.linux.container import run_in_container
from podnotes.linux.launcher import Spec, run_probe
from podnotes.linux.leaks import leaks
from podnotes.linux.pod import Pod
from podnotes.linux.privileges import missing


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def report(name: str, samples: list[float]) -> None:
    print(f"{name:42} median {statistics.median(samples) * 1000:8.1f} ms   max {max(samples) * 1000:8.1f} ms")


def pod_round_trip(root) -> None:
    with Pod("bench") as pod:
        pod.start_container("web", root, probe="serve", probe_args=[8080, "hi"])
        assert pod.run(root, "fetch", [8080])["reply"].startswith("hi")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lacking = missing("cgroups") or missing("namespaces")
    if lacking:
        print(f"needs {lacking}", file=sys.stderr)
        return 2

    if rootfs.find_busybox():
        report("rootfs from busybox", [timed(lambda: rootfs.build_rootfs(use_busybox=True).remove())
                                       for _ in range(args.runs)])
    report("rootfs from host programs", [timed(lambda: rootfs.build_rootfs(use_busybox=False).remove())
                                         for _ in range(args.runs)])
    report("probe in a plain child", [timed(lambda: run_probe(Spec(probe="view"))) for _ in range(args.runs)])
    isolated = Spec(probe="view", unshare=["pid", "mnt", "uts", "ipc", "net"], mount_proc=True)
    report("probe in 5 new namespaces", [timed(lambda: run_probe(isolated)) for _ in range(args.runs)])
    report("cgroup create + remove", [timed(lambda: create_cgroup(Limits(pids_max=10), name="bench").remove())
                                      for _ in range(args.runs)])
    with rootfs.build_rootfs() as root:
        report("container run (sh -c true)", [timed(lambda: run_in_container(["sh", "-c", "true"], root))
                                              for _ in range(args.runs)])
        report("Pod: pause + container + localhost request", [timed(lambda: pod_round_trip(root))
                                                               for _ in range(args.runs)])
    left = leaks()
    print("leaks after the benchmark:", "none" if left.empty() else left)
    return 0 if left.empty() else 1


if __name__ == "__main__":
    sys.exit(main())
