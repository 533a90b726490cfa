"""Read one input file (or stdin) within a byte and time budget, whatever it is.

Every file the tools read goes through :func:`read_bytes`: manifests given to
``lint``, ``explain``, ``timeline`` and ``apply`` with ``-f``, stdin (``-``)
and behaviour files. It never trusts ``st_size`` (``/proc`` files say 0,
``/dev/zero`` says 0 and never ends): it reads at most ``limit + 1`` bytes and
refuses the input if that many arrive. Regular files are read at once. Pipes,
FIFOs and character devices are read with ``poll(2)`` against a deadline, so a
FIFO nobody writes to, or a terminal, ends with an error instead of waiting
for ever; they are opened with ``O_NONBLOCK`` so that opening a FIFO without a
writer cannot block either. Sockets and block devices are refused.

Every problem is an :class:`InputError` whose message names the file and says
what to do; nothing here raises anything else for a bad path (a name of 5,000
characters, a folder that cannot be entered, a dangling link).
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

# The API server refuses request bodies larger than 3 MiB (``MaxRequestBodyBytes``
# in k8s.io/apiserver), so no manifest it would accept is bigger.
MAX_BYTES = 3 * 1024 * 1024
# How long to wait for a pipe, FIFO or terminal to deliver its data. A producer
# such as `helm template` can take a few seconds before it writes anything.
PIPE_TIMEOUT_SECONDS = float(os.environ.get("PODNOTES_READ_TIMEOUT", "10"))
# Longest path shown in a message; longer ones are cut in the middle.
_SHOWN_PATH = 160
_CHUNK = 1 << 16


class InputError(Exception):
    """An input that cannot be read; ``file`` names it and ``str()`` says why."""

    def __init__(self, file: str, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.file = file
        self.message = message
        self.too_large = too_large

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Budget:
    """How much one input may cost: ``limit`` bytes, ``timeout`` seconds of waiting on a pipe."""

    limit: int = MAX_BYTES
    timeout: float = PIPE_TIMEOUT_SECONDS


def shown(path: str | os.PathLike) -> str:
    """A path as messages show it: cut in the middle when it is very long."""
    text = os.fsdecode(path)
    if len(text) <= _SHOWN_PATH:
        return text
    half = _SHOWN_PATH // 2 - 1
    return f"{text[:half]}…{text[-half:]} ({len(text):,} characters)"


def describe_os_error(err: OSError) -> str:
    """The reason of an OSError in words, with what to do for the common ones."""
    reason = err.strerror or str(err)
    if err.errno == errno.ENAMETOOLONG:
        return f"{reason}: the name is longer than this system allows (255 bytes per name, 4,096 per path)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"{reason}: this user may not read it, or may not enter a folder on its path"
    if err.errno == errno.ENXIO:
        return f"{reason}: a socket or a device without a driver, not a file"
    if err.errno == errno.ELOOP:
        return f"{reason}: symbolic links loop"
    return reason


def read_bytes(source: str | os.PathLike, budget: Budget = Budget(), *, what: str = "the input") -> bytes:
    """The bytes of the file ``source`` (``"-"`` for stdin), at most ``budget.limit`` of them.

    Raises :class:`InputError` for a missing or unreadable file, a folder, a
    socket or block device, an input larger than the limit (``too_large`` set)
    and a pipe, FIFO or terminal that delivers nothing within the deadline.
    """
    if os.fspath(source) == "-":
        return read_stream(sys.stdin, "<stdin>", budget)
    name = shown(source)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputError(name, f"cannot open {what}: {describe_os_error(err)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(name, "is a folder; give a file, or a folder where a folder is accepted")
        if stat.S_ISBLK(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            raise InputError(name, f"is a {'block device' if stat.S_ISBLK(info.st_mode) else 'socket'}, "
                                   "not a file")
        if stat.S_ISREG(info.st_mode):
            if info.st_size > budget.limit:
                raise _too_large(name, budget.limit, info.st_size)
            os.set_blocking(fd, True)
            return _read_fd(fd, name, budget, deadline=None)
        return _read_fd(fd, name, budget, deadline=time.monotonic() + budget.timeout)
    finally:
        os.close(fd)


def read_stream(stream: Any, name: str, budget: Budget = Budget()) -> bytes:
    """Read a file object (stdin, an open file, a BytesIO) within the budget.

    Streams with a real file descriptor are read like files (pipes against the
    deadline); others are read with ``read(limit + 1)``.
    """
    raw: BinaryIO = getattr(stream, "buffer", stream)
    try:
        fd = raw.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        try:
            info = os.fstat(fd)
        except OSError as err:
            raise InputError(name, f"cannot read: {describe_os_error(err)}") from None
        regular = stat.S_ISREG(info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(name, "is a folder, not a file")
        return _read_fd(fd, name, budget, deadline=None if regular else time.monotonic() + budget.timeout)
    try:
        data = raw.read(budget.limit + 1)
    except OSError as err:
        raise InputError(name, f"cannot read: {describe_os_error(err)}") from None
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > budget.limit:
        raise _too_large(name, budget.limit)
    return data


def _read_fd(fd: int, name: str, budget: Budget, deadline: float | None) -> bytes:
    """Read until end of file, at most ``limit + 1`` bytes; before ``deadline`` when one is given."""
    chunks: list[bytes] = []
    total = 0
    poller = None
    if deadline is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
    while total <= budget.limit:
        if poller is not None and deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(max(left, 0) * 1000):
                got = f" after {total:,} bytes" if total else ""
                raise InputError(name, f"no end of input within {budget.timeout:g} s{got}: a FIFO, pipe or "
                                       "terminal that is still open; close its writing end, or set "
                                       "PODNOTES_READ_TIMEOUT=SECONDS for a slow producer")
        try:
            chunk = os.read(fd, min(_CHUNK, budget.limit + 1 - total))
        except BlockingIOError:
            continue
        except OSError as err:
            raise InputError(name, f"cannot read: {describe_os_error(err)}") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise _too_large(name, budget.limit)


def _too_large(name: str, limit: int, size: int | None = None) -> InputError:
    amount = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    if limit != MAX_BYTES:  # a manifest input: the API server's limit applies to each of its objects
        return InputError(name, f"the input is {amount}; at most {limit:,} bytes ({limit / 1048576:g} MiB) "
                                "are read from one input: split it into smaller files", too_large=True)
    return InputError(name, f"the input is {amount}; the API server accepts at most {limit:,} bytes "
                            f"({limit / 1048576:g} MiB) per request: split it into smaller files",
                      too_large=True)


def files_under(folder: str | os.PathLike, suffixes: tuple[str, ...]) -> tuple[list[Path], list[InputError]]:
    """The files under ``folder`` whose name ends in one of ``suffixes``, in a stable order,
    and an InputError for each folder that could not be listed. Symbolic links to folders
    are not followed (they could loop)."""
    found: list[Path] = []
    problems: list[InputError] = []

    def on_error(err: OSError) -> None:
        problems.append(InputError(shown(err.filename or folder), f"cannot list this folder: "
                                                                  f"{describe_os_error(err)}"))

    for root, _dirs, names in os.walk(os.fspath(folder), onerror=on_error):
        for name in names:
            if name.endswith(suffixes):
                found.append(Path(root, name))
    return sorted(found), problems


def kind_of(path: str | os.PathLike) -> str:
    """``"dir"``, ``"missing"`` or ``"file"`` (anything else, including what cannot be inspected)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "file"  # reading it will say what is wrong
    return "dir" if stat.S_ISDIR(mode) else "file"


URL_SCHEMES = ("http://", "https://")
# How long a URL may take as a whole (connecting, waiting, reading), so a server that drips
# its answer byte by byte cannot hold a command for ever.
URL_TIMEOUT_SECONDS = float(os.environ.get("PODNOTES_URL_TIMEOUT", "30"))


def is_url(source: str | os.PathLike) -> bool:
    """Whether ``source`` is an http(s) URL (``kubectl apply -f https://…``) rather than a path."""
    return isinstance(source, str) and source.lower().startswith(URL_SCHEMES)


URL_BUDGET = Budget(limit=MAX_BYTES, timeout=URL_TIMEOUT_SECONDS)


def read_url(url: str, budget: Budget = URL_BUDGET) -> bytes:
    """The body of the http(s) ``url``, at most ``budget.limit`` bytes, within ``budget.timeout`` seconds
    in all. Redirects are followed to http(s) URLs only; proxies come from the environment as for any
    HTTP client (``https_proxy``, ``no_proxy``).

    Raises :class:`InputError` naming the URL for an HTTP error status, a host that cannot be reached, a
    body larger than the limit (``too_large`` set; a ``Content-Length`` above it is refused before
    reading) and an answer that does not end in time.
    """
    import http.client
    import urllib.error
    import urllib.request

    name = shown(url)
    opener = urllib.request.build_opener(_redirect_handler()())
    request = urllib.request.Request(url, headers={"User-Agent": "podnotes", "Accept": "application/yaml, */*"})
    deadline = time.monotonic() + budget.timeout
    try:
        with opener.open(request, timeout=budget.timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > budget.limit:
                raise _too_large(name, budget.limit, int(declared))
            chunks: list[bytes] = []
            total = 0
            while total <= budget.limit:
                if time.monotonic() > deadline:
                    raise InputError(name, f"the server did not finish its answer within {budget.timeout:g} s "
                                           "(PODNOTES_URL_TIMEOUT=SECONDS to wait longer)")
                chunk = response.read(min(_CHUNK, budget.limit + 1 - total))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                total += len(chunk)
            raise _too_large(name, budget.limit)
    except urllib.error.HTTPError as err:
        raise InputError(name, f"the server answered HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        reason = err.reason.strerror if isinstance(err.reason, OSError) and err.reason.strerror else err.reason
        raise InputError(name, f"cannot fetch: {reason}") from None
    except TimeoutError:
        raise InputError(name, f"no answer within {budget.timeout:g} s "
                               "(PODNOTES_URL_TIMEOUT=SECONDS to wait longer)") from None
    except (http.client.HTTPException, OSError, ValueError) as err:
        raise InputError(name, f"cannot fetch: {type(err).__name__}: {err}") from None


def _redirect_handler():
    import urllib.request

    class HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
        """Follow redirects to http(s) only (urllib would also follow one to ftp://)."""

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if not is_url(newurl):
                raise InputError(shown(req.full_url), f"redirected to {shown(newurl)}, which is not http(s)")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return HttpOnlyRedirects

