"""How long an exec ``preStop`` hook keeps a container from its SIGTERM, when that can be read off the command.

The kubelet stops a container in ``killContainer`` (pkg/kubelet/kuberuntime/kuberuntime_container.go): it
runs the preStop hook (``executePreStopHook``) for at most the grace period (the Pod's
``terminationGracePeriodSeconds``, 30 unless given), subtracts the time the hook took, then sends SIGTERM and
waits what is left, but never less than ``minimumGracePeriodInSeconds`` (2 s), before SIGKILL. A hook that
sleeps as long as the grace period therefore leaves the program 2 s between SIGTERM and SIGKILL. (The
documentation calls those 2 s a one-off extension for a hook still running; in the code they are a floor on
the stop window after the hook, which itself gets no more time.)

Only what a command states outright is read: ``sleep N`` run directly, or ``sleep N`` statements of a
``sh -c`` (or ``bash -c``, ``ash -c``) script that are not sent to the background with ``&``. Durations are
those of GNU and busybox ``sleep``: a number with an optional ``s``, ``m``, ``h`` or ``d`` suffix, or
``infinity``.
"""

from __future__ import annotations

import math
import re
import shlex

MINIMUM_GRACE_PERIOD_SECONDS = 2  # minimumGracePeriodInSeconds in kuberuntime_container.go

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)\Z")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def sleep_seconds(duration: str) -> float | None:
    """The seconds of a ``sleep`` argument (``30``, ``1.5``, ``2m``, ``infinity``); None if not one."""
    if duration == "infinity":
        return math.inf
    match = _DURATION.match(duration)
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else None


def exec_sleep_seconds(command: list[str]) -> float:
    """The seconds an exec hook's ``command`` sleeps in the foreground, as far as it says so (0 when it states
    no sleep); several sleeps add up. ``["sleep", "30"]`` -> 30; ``["sh", "-c", "sleep 5 && nginx -s quit"]``
    -> 5."""
    if not command:
        return 0.0
    program = command[0].rsplit("/", 1)[-1]
    if program == "sleep":
        return sum(s for s in (sleep_seconds(arg) for arg in command[1:]) if s is not None)
    if program in _SHELLS and len(command) >= 3 and command[1] == "-c":
        return script_sleep_seconds(command[2])
    return 0.0


def script_sleep_seconds(script: str) -> float:
    """The foreground ``sleep N`` statements of a shell script, added up (0 when the script cannot be split)."""
    try:
        tokens = []
        for line in script.splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens += [*lexer, ";"]
    except ValueError:
        return 0.0
    total = 0.0
    for index, token in enumerate(tokens[:-1]):
        if token.rsplit("/", 1)[-1] != "sleep" or (index and tokens[index - 1] not in _STATEMENT_STARTS):
            continue
        seconds = sleep_seconds(tokens[index + 1])
        background = index + 2 < len(tokens) and tokens[index + 2] == "&"
        if seconds is not None and not background:
            total += seconds
    return total


# What may stand before a command in a script: the start, a separator, or a keyword that runs the next command
_STATEMENT_STARTS = frozenset({";", "&&", "||", "|", "&", "\n", "then", "do", "else", "{", "(", "!"})
