"""CronJob schedules, read as the API server reads them.

Upstream: ``validateScheduleFormat`` and ``validateTimeZone`` in
``pkg/apis/batch/validation/validation.go``, which call ``cron.ParseStandard``
of ``github.com/robfig/cron/v3`` (``parser.go``): five fields (minute 0-59,
hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or
sun-sat) or a descriptor (``@hourly``, ``@every 5m`` ...); ``TZ=`` or
``CRON_TZ=`` in the schedule is refused in favour of ``timeZone``. The error
texts are robfig's own.
"""

from __future__ import annotations

import re

FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),  # type: ignore[var-annotated]
          ("month", 1, 12, {name: i + 1 for i, name in enumerate(
              ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
          ("day of week", 0, 6, {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}))
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_GO_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "m", "h")
TZ_MESSAGE = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"


def schedule_problem(schedule: str) -> str | None:
    """Why the API server refuses ``schedule``, in its words, or None."""
    if "TZ" in schedule:
        return TZ_MESSAGE
    if schedule.startswith("@"):
        return _descriptor_problem(schedule)
    fields = schedule.split()
    if len(fields) != len(FIELDS):
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, (_, low, high, names) in zip(fields, FIELDS, strict=False):
        for part in text.split(","):
            problem = _range_problem(part, low, high, names)
            if problem:
                return problem
    return None


def _descriptor_problem(schedule: str) -> str | None:
    if schedule in DESCRIPTORS:
        return None
    if schedule.startswith("@every "):
        duration = schedule[len("@every "):]
        problem = go_duration_problem(duration)
        return f"failed to parse duration {schedule}: {problem}" if problem else None
    return f"unrecognized descriptor: {schedule}"


def go_duration_problem(text: str) -> str | None:
    """time.ParseDuration's error for ``text`` (``5x``: unknown unit "x"), or None if it parses."""
    quoted = _go_quote(text)
    rest = text[1:] if text[:1] in "+-" else text
    if rest == "0":
        return None
    if not rest:
        return f"time: invalid duration {quoted}"
    while rest:
        number = re.match(r"[0-9]*(\.[0-9]*)?", rest)
        if number is None or number.group() in ("", "."):
            return f"time: invalid duration {quoted}"
        rest = rest[number.end():]
        unit = re.match(r"[^0-9.]*", rest).group()  # type: ignore[union-attr]
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _GO_UNITS:
            return f"time: unknown unit {_go_quote(unit)} in duration {quoted}"
        rest = rest[len(unit):]
    return None


def _range_problem(expr: str, low: int, high: int, names: dict[str, int]) -> str | None:
    """getRange in robfig/cron parser.go."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = low, high
        if len(low_and_high) > 1:
            return f"too many hyphens: {expr}"
    else:
        try:
            start = _number(low_and_high[0], names)
            end = start
            if len(low_and_high) == 2:
                end = _number(low_and_high[1], names)
            elif len(low_and_high) > 2:
                return f"too many hyphens: {expr}"
        except ValueError as err:
            return str(err)
    if len(range_and_step) == 2:
        try:
            step = _number(range_and_step[1], {})
        except ValueError as err:
            return str(err)
        if step <= 0:
            return f"step of range should be a positive number: {expr}"
    elif len(range_and_step) > 2:
        return f"too many slashes: {expr}"
    if start < low:
        return f"beginning of range ({start}) below minimum ({low}): {expr}"
    if end > high:
        return f"end of range ({end}) above maximum ({high}): {expr}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    return None


def _number(text: str, names: dict[str, int]) -> int:
    """parseIntOrName and mustParseInt."""
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f"failed to parse int from {text}: strconv.Atoi: parsing {_go_quote(text)}: "
                         "invalid syntax")
    number = int(text)
    if number < 0:
        raise ValueError(f"negative number ({number}) not allowed: {text}")
    return number


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def time_zone_problem(name: str) -> str | None:
    """validateTimeZone: an IANA zone name that the server's time zone database knows."""
    if name.lower() == "local":
        return "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
    import zoneinfo  # only CronJobs with a time zone need it; importing it costs every run about a millisecond

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name}"
    return None
