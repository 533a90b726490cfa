"""Run a command against a fresh local node, then stop it and check the host is clean::

    sudo .venv/bin/python -m podnotes.node -- .venv/bin/python -m pytest -m node
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from .localnode import LocalNode, NodeError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m podnotes.node",
        description="Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd and a "
                    "kubelet; run COMMAND with KUBECONFIG pointing at them; stop everything and clean the host.")
    parser.add_argument("--name", default="podnotes", help="cluster name; the context is kind-NAME")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    node = LocalNode(args.name)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    status = 0
    try:
        node.start()
        for phase in node.phases:
            print(f"node: {phase.name}: {phase.seconds:.1f} s", file=sys.stderr)
        print(f"node: Ready in {node.start_seconds:.1f} s", file=sys.stderr)
        status = subprocess.call(command, env={**os.environ, **node.environment()})
    except NodeError as err:
        print(f"node: {err}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        status = 130
    finally:
        left = node.stop()
        if left:
            print("node: left on the host: " + "; ".join(left), file=sys.stderr)
            status = status or 3
    return status


if __name__ == "__main__":
    sys.exit(main())
