"""``podnotes delete``: delete the objects of manifest files from a local kind cluster."""

from __future__ import annotations

import argparse
import sys

from podnotes.cli import EXIT_USAGE, CommandError
from podnotes.cli.apply import add_connection_arguments, check_files_exist, cluster_exit_code, open_from_args

FORCE_WARNING = ("Immediate deletion does not wait for the kubelet to confirm that the containers stopped; "
                 "if the node is unreachable they may keep running there.")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "delete",
        help="delete the objects of manifest files from a local kind cluster",
        description="Delete every object in the files, gracefully (the Pod's terminationGracePeriodSeconds, "
                    "default 30 s) unless told otherwise.",
    )
    add_connection_arguments(parser)
    parser.add_argument("--grace-period", type=int, default=None, metavar="SECONDS",
                        help="seconds the containers get between SIGTERM and SIGKILL (default: the Pod's own)")
    parser.add_argument("--force", action="store_true",
                        help="remove the objects from the API immediately (grace period 0), without waiting for "
                             "the kubelet: kubectl delete --force --grace-period=0")
    parser.add_argument("--wait", action="store_true", help="wait until the objects are gone")
    parser.add_argument("--timeout", type=float, default=60, metavar="SECONDS", help="for --wait (default 60)")
    parser.add_argument("--ignore-not-found", action="store_true", help="objects already gone are not an error")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes import cluster

    if args.force and args.grace_period not in (None, 0):
        raise CommandError("--force means --grace-period=0; drop one of them", EXIT_USAGE)
    check_files_exist(args.filename)
    target = open_from_args(args)
    try:
        for source in args.filename:
            if args.force:
                print(f"warning: {FORCE_WARNING}", file=sys.stderr)
                outcomes = target.force_delete(source, ignore_not_found=args.ignore_not_found)
            else:
                outcomes = target.delete(source, grace_period=args.grace_period, wait=args.wait,
                                         timeout=args.timeout, ignore_not_found=args.ignore_not_found)
            for outcome in outcomes:
                print(outcome)
    except cluster.ClusterError as err:
        raise CommandError(str(err), cluster_exit_code(err)) from None
    finally:
        target.close()
    return 0
