"""Run the connection guard on many inputs in one process and report every connection it attempted.

Usage: python guard_probe.py CASES.json  ->  prints one JSON line per case.

An audit hook (PEP 578: ``socket.connect``, ``socket.getaddrinfo``,
``subprocess.Popen``, ``os.exec``, ``os.posix_spawn``) records every
connection, name lookup and program start, and *blocks* any connection to an
address outside loopback, so that even a broken guard sends no packet off this
machine. Run under ``strace -f -e trace=connect`` as well, the kernel's own
record covers what Python's hooks cannot see (C libraries, child programs).
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import sys
import time

EVENTS: list[dict] = []


def _loopback(host) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def audit(event: str, args) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):
            EVENTS.append({"event": "connect", "to": f"{address[0]}:{address[1]}", "loopback": _loopback(address[0])})
            if not _loopback(address[0]):
                raise ConnectionRefusedError(f"blocked by the test: {address[0]} is not a loopback address")
    elif event == "socket.getaddrinfo":
        EVENTS.append({"event": "lookup", "name": str(args[0]), "loopback": _loopback(args[0])})
    elif event in ("subprocess.Popen", "os.exec", "os.posix_spawn"):
        EVENTS.append({"event": "run", "program": str(args[0])[:200]})


def run_case(case: dict) -> dict:
    from podnotes import cluster
    from podnotes.cli import main

    saved = dict(os.environ)
    os.environ.update(case.get("env", {}))
    EVENTS.clear()
    started = time.monotonic()
    stderr, stdout = io.StringIO(), io.StringIO()
    outcome, message = "connected", ""
    try:
        if case.get("argv"):
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
                code = main(case["argv"])
            outcome, message = f"exit {code}", (stderr.getvalue() + stdout.getvalue()).strip()
        else:
            connection = cluster.connect(case.get("name", "kind"), kubeconfig=case.get("kubeconfig"),
                                         context=case.get("context"),
                                         allow_non_kind_context=case.get("allow_non_kind_context", False),
                                         allow_credential_plugins=case.get("allow_credential_plugins", False))
            message = f"{connection.version()} via {connection.target.pinned}"
            connection.close()
    except cluster.UnsafeCluster as err:
        outcome, message = "refused", str(err)
    except cluster.BadKubeconfig as err:
        outcome, message = "bad kubeconfig", str(err)
    except cluster.ClusterError as err:
        outcome, message = type(err).__name__, str(err)
    except BaseException as err:  # a traceback: the case fails
        import traceback

        outcome, message = "TRACEBACK", "".join(traceback.format_exception(err))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"case": case["id"], "outcome": outcome, "message": message, "seconds": time.monotonic() - started,
            "events": list(EVENTS)}


def main() -> None:
    cases = json.loads(open(sys.argv[1]).read())  # noqa: SIM115 - kept open while the process runs
    sys.addaudithook(audit)
    for case in cases:
        print(json.dumps(run_case(case)), flush=True)


if __name__ == "__main__":
    main()
