"""The ``podnotes`` command line: a thin layer over the library.

Each subcommand lives in its own module under ``podnotes.cli`` and exposes
``register(subparsers)``; its handler imports the library only when it runs,
so ``podnotes --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from podnotes import __version__
from podnotes.display import COLUMNS

# Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = ("lint", "explain", "apply", "delete", "cleanup", "kind", "doctor",
                                         "timeline")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived (``timeout``, CI cancellation, systemd, a closed terminal): handled like
    Ctrl-C, so every command cleans up what it created; the exit status is 128 + the signal number."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def _terminated(number, _frame) -> None:
    raise Terminated(number)


class CommandError(Exception):
    """A failure the user can act on; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podnotes",
        description="How a Kubernetes Pod is built from plain Linux processes.",
    )
    parser.add_argument("--version", action="version", version=f"podnotes {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"podnotes.cli.{name}").register(subparsers)
    return parser


def help_text(command: str | None = None, width: int = COLUMNS) -> str:
    """The ``--help`` text of ``podnotes`` or of one subcommand (and of its
    own subcommands, for commands such as ``kind``), as the terminal shows it."""
    import os

    os.environ["COLUMNS"] = str(width)  # argparse wraps to this width
    parser = build_parser()
    if command is None:
        return parser.format_help()
    subparser = _subparsers(parser)[command]
    nested = [f"\n$ podnotes {command} {name} --help\n{child.format_help()}"
              for name, child in _subparsers(subparser).items()]
    return subparser.format_help() + "".join(nested)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _terminated)
    try:
        return int(args.handler(args) or 0)
    except CommandError as err:
        print(f"podnotes {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except Terminated as err:
        print(f"podnotes {args.command}: terminated by {signal.Signals(err.number).name}", file=sys.stderr)
        return 128 + err.number
    except KeyboardInterrupt:
        print(f"podnotes {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
