"""What a node able to run `hostUsers: false` Pods would cost: containerd 2 and runc built from the Go module
proxy, cold and warm, and whether the built pair reports user-namespace support through CRI.

The node of this book runs Debian's containerd 1.6, which lists no runtime handlers through CRI's `Status`
call, so the kubelet refuses `hostUsers: false` (chapter user-namespaces). This measures the alternative:

1. build `cmd/containerd` and `cmd/containerd-shim-runc-v2` of github.com/containerd/containerd/v2 and runc
   at the versions pinned in tools/k8s-binaries/{containerd,runc}/go.mod, with an empty module and
   build cache (cold), then again with both filled (warm). containerd with CGO_ENABLED=0 and the tag
   `no_btrfs`; runc with cgo (its nsenter is C) and the `seccomp` tag (Debian's libseccomp-dev, which
   `make venv` installs as root), as tools/k8s-binaries/build.sh builds them for the node;
2. start the built containerd as root with every path in a temporary folder (socket, root, state; the CRI
   streaming server on 127.0.0.1) and the built shim first on PATH, ask the pinned crictl for `info`, and
   print each runtime handler's features (containerd 2's `internal/cri/server/service.go`
   `introspectRuntimeHandler` sets `user_namespaces` from `runc features`).

    .venv/bin/python benchmarks/runtime_build_bench.py [--skip-cold] [--caches DIR]

Needs Go, gcc and root (step 2); prints the figures, removes its folders.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "tools" / "k8s-binaries"
CONTAINERD_TAGS = "no_btrfs"
CONFIG = """version = 3
root = "{folder}/root"
state = "{folder}/state"
[grpc]
  address = "{folder}/containerd.sock"
[ttrpc]
  address = "{folder}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  BinaryName = "{runc}"
"""


def build_all(out: Path, caches: Path) -> dict[str, float]:
    """Build containerd, its shim and runc into ``out``; seconds per program (module download included)."""
    env = {**os.environ, "GOMODCACHE": str(caches / "mod"), "GOCACHE": str(caches / "build"),
           "GOFLAGS": "-buildvcs=false"}
    seconds = {}
    for module, packages, cgo, tags in (
            ("containerd", ["github.com/containerd/containerd/v2/cmd/containerd",
                            "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"], "0", CONTAINERD_TAGS),
            ("runc", ["github.com/opencontainers/runc"], "1", "seccomp urfave_cli_no_docs")):
        for package in packages:
            started = time.perf_counter()
            subprocess.run(["go", "build", "-trimpath", "-tags", tags, "-ldflags", "-s -w", "-o",
                            str(out / package.rsplit("/", 1)[-1]), package],
                           cwd=HERE / module, env={**env, "CGO_ENABLED": cgo}, check=True)
            seconds[package.rsplit("/", 1)[-1]] = time.perf_counter() - started
    return seconds


def handler_features(out: Path, crictl: str) -> list[dict]:
    """Start the built containerd in a private folder, return `crictl info`'s runtimeHandlers, stop it."""
    from podnotes.linux.processes import Children

    folder = Path(tempfile.mkdtemp(prefix=f"podnotes-runtime-bench-{os.getpid()}-"))
    (folder / "config.toml").write_text(CONFIG.format(folder=folder, runc=out / "runc"))
    env = {**os.environ, "PATH": f"{out}:{os.environ['PATH']}"}
    try:
        # Children: stopped on return, error, Ctrl-C and SIGTERM, and killed by the kernel if this process dies.
        with Children() as group:
            group.start([str(out / "containerd"), "--config", str(folder / "config.toml")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            endpoint = f"unix://{folder}/containerd.sock"
            for _ in range(100):
                info = subprocess.run([crictl, "--runtime-endpoint", endpoint, "info"], capture_output=True,
                                      text=True)
                if info.returncode == 0:
                    return json.loads(info.stdout).get("runtimeHandlers") or []
                time.sleep(0.2)
            raise RuntimeError(f"containerd did not answer on {endpoint}: {info.stderr.strip()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def version(program: Path) -> str:
    return subprocess.run([str(program), "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-cold", action="store_true", help="measure warm builds only")
    parser.add_argument("--caches", type=Path, help="Go module and build caches to use and keep (mod/, build/)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"podnotes-runtime-bench-{os.getpid()}-"))
    try:
        out, caches = work / "bin", args.caches or work / "caches"
        out.mkdir()
        runs = ["warm"] if args.skip_cold else ["cold", "warm"]
        if args.skip_cold and args.caches is None:  # fill the fresh caches untimed
            build_all(out, caches)
        for run in runs:
            load = os.getloadavg()[0]
            seconds = build_all(out, caches)
            parts = ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items())
            print(f"{run} build: {sum(seconds.values()):.0f} s ({parts}); load average {load:.1f}")
        print(version(out / "containerd"), "|", version(out / "runc"))
        from podnotes.cluster.binaries import find_client

        crictl = find_client("crictl")
        if os.geteuid() != 0 or crictl is None:
            print("runtime handlers: not asked (needs root and the pinned crictl)")
            return 0
        for handler in handler_features(out, str(crictl)):
            print(f"runtime handler {handler.get('name') or '(default)'}: {handler.get('features')}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
