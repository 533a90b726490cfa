"""``podnotes kind up|down|check``: a kind cluster suited to the book, for readers with kind and Docker."""

from __future__ import annotations

import argparse

from podnotes.cli import EXIT_UNAVAILABLE, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kind",
        help="create or delete the book's local kind cluster (needs kind and Docker)",
        description="Wraps the kind CLI: one node, API on 127.0.0.1, a pinned node image.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("up", "create the cluster (does nothing if it exists)"),
                         ("down", "delete the cluster"),
                         ("check", "say whether kind and a Docker engine are available")):
        sub = actions.add_parser(action, help=text, description=text)
        if action != "check":
            sub.add_argument("--name", "--cluster", dest="name", default="kind",
                             help="cluster name; context kind-NAME (default kind). --cluster is the same option, "
                                  "as apply, delete and cleanup spell it")
        if action == "up":
            sub.add_argument("--image", default=None, help="node image (default: the pinned one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes.cluster import ClusterError, kind

    try:
        if args.action == "check":
            problems = kind.missing_tools()
            if problems:
                raise ClusterError("kind cannot run here:\n  " + "\n  ".join(str(p) for p in problems))
            print(f"kind and Docker are available; `podnotes kind up` uses {kind.NODE_IMAGE}")
        elif args.action == "up":
            print(kind.up(args.name, image=args.image or kind.NODE_IMAGE))
        else:
            print(kind.down(args.name))
    except ClusterError as err:
        raise CommandError(str(err), EXIT_UNAVAILABLE) from None
    return 0
