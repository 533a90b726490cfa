"""The pause process: holds a Pod's namespaces and does nothing else.

Kubernetes starts one per Pod (the "pause" or "infra" container) before any
application container. It owns the namespaces the containers join, so they
survive any container's restart. Its only duties: sleep, reap children that
end up parented to it (it is PID 1 when the Pod shares one PID namespace),
and exit cleanly on SIGTERM or SIGINT. The original is a few lines of C;
this is the same loop in Python, so nothing needs compiling.

Run as ``python -m podnotes.linux.pause``.
"""

from __future__ import annotations

import os
import signal
import sys


def reap_children(*_signal_args) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGCHLD, reap_children)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
