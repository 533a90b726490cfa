"""The ``podnotes`` command line: a thin layer over the library.

Each subcommand lives in its own module under ``podnotes.cli`` and exposes
``register(subparsers)``; its handler imports the library only when it runs,
so ``podnotes --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from podnotes import __version__
from podnotes.display import COLUMNS

# Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = ("lint", "explain", "apply", "delete", "cleanup", "kind", "workshop", "doctor",
                                         "timeline")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived (``timeout``, CI cancellation, systemd, a closed terminal): handled like
    Ctrl-C, so every command cleans up what it created; the exit status is 128 + the signal number."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def _terminated(number, _frame) -> None:
    raise Terminated(number)

# One exit-code scheme for every command. 0-5 are podnotes' own; the rest come
# from sysexits.h and the shell's 128 + signal, so a crash can never look like
# "advice only" and a closed pipe never like a rejected manifest.
EXIT_OK = 0
EXIT_ADVICE = 1  # nothing refused, but there is advice (lint) or something left to act on (cleanup kept leftovers)
EXIT_REJECTED = 2  # the API server would reject (lint, timeline) or did reject (apply, delete) an object
EXIT_BAD_INPUT = 3  # an input file could not be used: missing, YAML syntax, size, nesting, alias limits, wrong kind
EXIT_USAGE = 4  # bad command line: unknown option or command, missing or contradicting options
EXIT_UNAVAILABLE = 5  # the environment cannot do it: no cluster or kubeconfig, cluster unreachable, kind or
# Docker missing, the machine cannot run a node, a cluster or cleanup step failed
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in podnotes; the message says how to get the traceback
EXIT_OUTPUT_ERROR = 74  # EX_IOERR: the output could not be written (a full disk, /dev/full)
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`| head`), as a shell reports it

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success (lint: clean, information only)"),
    (EXIT_ADVICE, "advice only (lint); leftovers found and kept (cleanup)"),
    (EXIT_REJECTED, "the API server would reject (lint, timeline) or rejected (apply, delete) an object"),
    (EXIT_BAD_INPUT, "unreadable input: missing file, YAML syntax, size or nesting limits, a document that is "
                     "not an object (a list or a plain value), no Pod found"),
    (EXIT_USAGE, "bad command line: unknown command or option, missing or contradicting options"),
    (EXIT_UNAVAILABLE, "the environment cannot do it: no cluster, a cluster the guard refuses, cluster "
                       "unreachable, kind or Docker missing, a cluster or cleanup step failed"),
    (EXIT_INTERNAL_ERROR, "internal error, a bug in podnotes (PODNOTES_DEBUG=1 shows the traceback)"),
    (EXIT_OUTPUT_ERROR, "the output could not be written (full disk)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); 128 + N for signal N (143 SIGTERM, 129 SIGHUP)"),
    (EXIT_BROKEN_PIPE, "stdout closed early (`| head`)"),
)
EXIT_CODES_HELP = ("Exit codes are the same for every command; `podnotes --help` lists them.")

# The output formats of every command, for `podnotes --help` and the reference page.
OUTPUT_FORMATS: tuple[tuple[str, str], ...] = (
    ("lint -o", "text (file:line:col: severity [RULE] Kind namespace/name: message, then kubeconform's "
                "summary line), json "
                "(schema: podnotes/data/lint-report.schema.json), yaml (the same report), sarif (SARIF 2.1.0, "
                "for code scanning, with each rule's description); lint --list-rules -o: text, json, yaml, sarif"),
    ("explain -o", "text (as kubectl explain), json"),
    ("doctor -o, cleanup -o", "table, json"),
    ("timeline -o", "events (default: as kubectl describe pod shows them, with RESTARTS), json "
                    "(schema: podnotes/probes/timeline.schema.json), yaml, png, svg; --output-file FILE writes "
                    "to FILE, its suffix (.txt .json .yaml .png .svg) choosing the format when -o is not given"),
    ("apply --observe -o", "as for timeline: events, json, yaml, png, svg, and --output-file FILE"),
)


def _epilog() -> str:
    import os
    import shutil
    import textwrap

    width = min(int(os.environ.get("COLUMNS", 0)) or shutil.get_terminal_size().columns, 100) - 2

    def rows(items, key_width: int) -> str:
        return "\n".join(textwrap.fill(what, width, initial_indent=f"  {str(key).rjust(key_width)}  ",
                                        subsequent_indent=" " * (key_width + 4)) for key, what in items)

    return (f"exit codes (every command):\n{rows(EXIT_CODES, 3)}\n\n"
            f"output formats:\n{rows(((k + ':', v) for k, v in OUTPUT_FORMATS), 0)}\n\n"
            "`podnotes help COMMAND` or `podnotes COMMAND --help` shows a command's options.")


class CommandError(Exception):
    """A failure the user can act on; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


class Parser(argparse.ArgumentParser):
    """argparse with podnotes' exit code for a bad command line (4, not argparse's 2, which ``lint`` uses for
    "the API server would reject"), the usage of the command that was mistyped, and a suggestion for a
    misspelt command or option."""

    def format_help(self) -> str:
        if self.prog == "podnotes":
            self.epilog = _epilog()  # built when shown, so building the parser imports nothing more
        return super().format_help()

    def print_help(self, file=None) -> None:  # noqa: D102 - argparse's hook
        if file is not None and file is not sys.stdout:
            return super().print_help(file)
        # argparse ignores a failed write; written here, a reader that went away ends the command with 141.
        try:
            write_stdout(self.format_help())
        except BrokenPipeError:
            _detach_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{_suggestion(self, message)}\n"
                              f"run `{self.prog} --help` for every option\n")


def _suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    import difflib
    import re

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        word, known = choice.group(1), re.findall(r"'([^']*)'", choice.group(2))
    else:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if not unknown:
            return ""
        word = unknown.group(1).split("=")[0]
        known = [o for action in parser._actions for o in action.option_strings]
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``only`` (a command's name) registers that command alone, so running one
    command imports only its own module (the full parser is what help and misspelt commands need)."""
    parser = Parser(
        prog="podnotes",
        description="How a Kubernetes Pod is built from plain Linux processes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"podnotes {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only in COMMAND_MODULES else COMMAND_MODULES:
        importlib.import_module(f"podnotes.cli.{name}").register(subparsers)
    helper = subparsers.add_parser("help", help="show the help of podnotes or of a command (`podnotes help lint`)",
                                   description="Show the help of podnotes or of a command, as COMMAND --help does.")
    helper.add_argument("topic", nargs="*", metavar="COMMAND", help="a command, e.g. lint, or kind up")
    helper.set_defaults(handler=_show_help)
    return parser


def _show_help(args: argparse.Namespace) -> int:
    parser = build_parser()
    for word in args.topic:
        children = _subparsers(parser)
        if word not in children:
            known = [name for name in children if name != "help"]
            listed = ", ".join(map(repr, known))
            raise CommandError(f"no command {word!r}; the commands are {', '.join(known)}"
                               f"{_suggestion(parser, f'invalid choice: {word!r} (choose from {listed})')}",
                               EXIT_USAGE)
        parser = children[word]
    parser.print_help()
    return EXIT_OK


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an option the chosen command does not know is reported with that command's usage."""
    args, unknown = parser.parse_known_args(argv)
    chosen = _chosen_parser(parser, args)
    unknown = _intermixed(chosen, args, unknown)
    if unknown:
        chosen.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _intermixed(parser: argparse.ArgumentParser, args: argparse.Namespace, unknown: list[str]) -> list[str]:
    """Give file names that follow an option (``lint a.yaml -o json b.yaml``) to the command's list of files,
    as kubeconform and kube-linter take them; return what is left."""
    lists = [a for a in parser._actions if not a.option_strings and a.nargs == "*"]
    if len(lists) != 1:
        return unknown
    words = [word for word in unknown if word == "-" or not word.startswith("-")]
    getattr(args, lists[0].dest).extend(words)
    return [word for word in unknown if word not in words]


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            return _chosen_parser(chosen, args) if chosen is not None else parser
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
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(only=words[0] if words and words[0] in COMMAND_MODULES else None)
    args = _parse(parser, argv)
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
        if err.exit_code == EXIT_USAGE:
            _chosen_parser(parser, args).print_usage(sys.stderr)
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
    with contextlib.suppress(OSError):
        print(f"podnotes {args.command}: {message}", file=sys.stderr)


def _is_output_error(err: OSError) -> bool:
    import errno

    return err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EBADF)


def write_stdout(data: str | bytes) -> None:
    """Write a command's whole output to stdout, every byte or an error.

    Python's buffered stdout can return from a large write to a pipe whose
    reader left (``| head``) having sent only part of it, and no error follows;
    writing to the file descriptor until all is written makes the next write
    fail with EPIPE, so the command ends with ``EXIT_BROKEN_PIPE`` as documented.
    """
    import os

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout replaced in-process (a test's capture)
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    sys.stdout.flush()
    view = memoryview(data.encode() if isinstance(data, str) else data)
    while view:
        view = view[os.write(fd, view):]


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
