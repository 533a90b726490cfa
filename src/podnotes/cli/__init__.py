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

# Exit codes shared by every command, beyond each command's own (lint: 0 clean,
# 1 advice only, 2 the API server would reject something, 3 unreadable input,
# 4 bad command line). They come from sysexits.h, so no command's own codes
# can collide with them, and a crash can never look like "advice only".
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in podnotes; the message says how to get the traceback
EXIT_OUTPUT_ERROR = 74  # EX_IOERR: the output could not be written (a full disk, /dev/full)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`| head`), as a shell reports it
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_CODES_HELP = ("Every command: 70 internal error (a bug; PODNOTES_DEBUG=1 shows the traceback), 74 the output "
                   "could not be written, 130 interrupted, 141 stdout closed early.")


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
        code = int(args.handler(args) or 0)
        sys.stdout.flush()
        return code
    except CommandError as err:
        _say(args, str(err))
        return err.exit_code
    except Terminated as err:
        print(f"podnotes {args.command}: terminated by {signal.Signals(err.number).name}", file=sys.stderr)
        return 128 + err.number
    except KeyboardInterrupt:
        _say(args, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        if _is_output_error(err):
            _detach_stdout()
            _say(args, f"cannot write the output: {err.strerror or err}")
            return EXIT_OUTPUT_ERROR
        return _crashed(args, err)
    except Exception as err:  # noqa: BLE001 - the last line of defence: a clear message, never exit 1
        return _crashed(args, err)


def _say(args: argparse.Namespace, message: str) -> None:
    try:
        print(f"podnotes {args.command}: {message}", file=sys.stderr)
    except OSError:
        pass


def _is_output_error(err: OSError) -> bool:
    import errno

    return err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EBADF)


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _crashed(args: argparse.Namespace, err: BaseException) -> int:
    import os
    import traceback

    if os.environ.get("PODNOTES_DEBUG"):
        traceback.print_exc()
    _say(args, f"internal error: {type(err).__name__}: {str(err)[:300]} (a bug in podnotes; run again with "
               "PODNOTES_DEBUG=1 to see the traceback, and report it)")
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
