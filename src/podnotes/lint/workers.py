"""Check many manifest files in worker processes, as kubeconform checks files in goroutines.

kubeconform validates files with 4 goroutines by default (``-n``,
github.com/yannh/kubeconform cmd/kubeconform/main.go); Python runs one thread
at a time, so :func:`lint_files` forks worker processes instead. Each worker
reads and checks one share of consecutive files and sends back, through a
pipe, its findings and what the report counts of each document; the parent
joins the shares in input order and sorts and cuts them with
:func:`podnotes.lint.ordered`, so the result is the very list one process
would give.

Workers are forked (Linux), so they start with the modules and the field
catalogue the parent already loaded. They ignore SIGINT (the terminal sends it
to the whole process group; the parent decides), die on SIGTERM, and die with
the parent (``PR_SET_PDEATHSIG``), even when it is killed with SIGKILL; on
Ctrl-C or SIGTERM the parent kills and reaps every worker before it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..manifest import YAML_SUFFIXES, Document, iter_load
from . import Finding, Options, lint_documents, ordered
from .schema import catalogue

#: kubeconform's default number of goroutines (``-n 4``); never more workers than CPUs.
MAX_WORKERS = 4
#: Below this many files one process is faster: forking and joining cost more than the checks save.
MIN_FILES_PER_WORKER = 100


@dataclass(frozen=True)
class Checked:
    """What checking some files gave: their findings (sorted and cut as :func:`podnotes.lint.lint_documents`
    does), the documents read (file, index and load error only, no values) and the workers used (1: none)."""

    findings: list[Finding]
    documents: list[Document]
    workers: int


def default_workers() -> int:
    """As many workers as CPUs this process may use, at most :data:`MAX_WORKERS`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def local_files(sources: Sequence[str]) -> list[Path] | None:
    """The files ``sources`` name (files, and the manifest files under folders, in :func:`iter_load`'s
    order), or None when a source is stdin, a URL or a folder that cannot be listed completely: those are read
    in one process, in order."""
    from ..inputfile import files_under, is_url, kind_of

    files: list[Path] = []
    for source in sources:
        if source == "-" or is_url(source):
            return None
        path = Path(source)
        if kind_of(path) != "dir":
            files.append(path)
            continue
        found, problems = files_under(path, YAML_SUFFIXES)
        if problems:
            return None
        files.extend(found)
    return files


def workers_for(files: int, workers: int) -> int:
    """How many worker processes checking ``files`` files takes, given at most ``workers``: 1 (none) for fewer
    than :data:`MIN_FILES_PER_WORKER` files per worker, or where processes cannot be forked (not Linux)."""
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(workers, files // MIN_FILES_PER_WORKER))


def lint_files(files: Sequence[Path], options: Options, workers: int, limit: int | None) -> Checked:
    """Check ``files`` with up to ``workers`` worker processes (one process for few files, or where ``fork``
    is not available); the same findings, in the same order, as one process gives.

    ``limit`` is :func:`podnotes.lint.lint_documents`' cap on findings. Raises what checking raises; a worker
    that fails raises :class:`WorkerFailed` with its error.
    """
    workers = workers_for(len(files), workers)
    if workers < 2:
        findings, documents = _check_batch(list(files), options)
        return Checked(ordered(findings, limit), documents, 1)
    catalogue(options.k8s_version)  # loaded once, before forking: every worker starts with it
    share = -(-len(files) // workers)
    parts = _run_workers([list(files[start:start + share]) for start in range(0, len(files), share)], options)
    findings = [finding for part_findings, _ in parts for finding in part_findings]
    documents = [document for _, part_documents in parts for document in part_documents]
    return Checked(ordered(findings, limit), documents, len(parts))


class WorkerFailed(RuntimeError):
    """A worker process ended without its results (an error while checking, or killed)."""


def _run_workers(shares: list[list[Path]], options: Options) -> list[tuple[list[Finding], list[Document]]]:
    """Fork one worker per share of consecutive files; their results in the order of the shares.

    Plain ``os.fork`` from this (single) thread, one pipe per worker: no pool threads that could fork a
    replacement worker while the pool is stopped, no lock a killed worker could leave held. Each worker dies
    with this process (``PR_SET_PDEATHSIG``); on any exception here (Ctrl-C, SIGTERM) every worker is killed
    and reaped before the exception goes on.
    """
    import gc
    import pickle

    gc.freeze()  # what exists now is never collected, so the workers' collections do not copy its pages
    children: dict[int, int] = {}  # read end of the pipe -> pid
    outputs: dict[int, bytearray] = {}
    stopping = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    try:
        for share in shares:
            read_end, write_end = os.pipe()
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, stopping)  # a signal now would find a half-made worker
            try:
                pid = os.fork()
                if pid == 0:  # the worker: never returns
                    os.close(read_end)
                    _work(write_end, share, options, mask)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(write_end)
            children[read_end], outputs[read_end] = pid, bytearray()
        _collect(outputs)
        results = []
        for read_end, pid in children.items():
            _, status = os.waitpid(pid, 0)
            if not outputs[read_end] or os.waitstatus_to_exitcode(status) not in (0, 1):
                raise WorkerFailed(f"a worker ended with status {os.waitstatus_to_exitcode(status)} and no results")
            ok, payload = pickle.loads(bytes(outputs[read_end]))
            if not ok:
                raise WorkerFailed(payload)
            results.append(payload)
        children.clear()
        return results
    finally:
        for pid in children.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for read_end in outputs:
            with contextlib.suppress(OSError):
                os.close(read_end)
        gc.unfreeze()


def _collect(outputs: dict[int, bytearray]) -> None:
    """Read every worker's pipe to its end, all at once (a worker blocks once its pipe is full)."""
    import select

    open_ends = set(outputs)
    while open_ends:
        ready, _, _ = select.select(list(open_ends), [], [])
        for read_end in ready:
            chunk = os.read(read_end, 1 << 20)
            if chunk:
                outputs[read_end] += chunk
            else:
                open_ends.discard(read_end)


def _work(write_end: int, files: list[Path], options: Options, mask: set[int | signal.Signals]) -> None:
    """A forked worker: check ``files``, write ``(ok, results or error)`` pickled to ``write_end``, exit."""
    import pickle

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        _die_with_parent()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            payload: bytes = pickle.dumps((True, _check_batch(files, options)), pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # noqa: BLE001 - reported to the parent, which raises it as WorkerFailed
            payload, code = pickle.dumps((False, f"{type(err).__name__}: {str(err)[:300]}")), 1
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Have the kernel send this process SIGKILL when its parent ends (prctl PR_SET_PDEATHSIG), so a parent
    killed with SIGKILL leaves no worker; if the parent is already gone, end at once."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() == 1:
        os._exit(1)


def _check_batch(files: list[Path], options: Options) -> tuple[list[Finding], list[Document]]:
    """Findings of ``files`` (unsorted, uncut) and their documents without values; each document is checked
    and dropped as it is read."""
    documents: list[Document] = []

    def each_document():
        for path in files:
            for document in iter_load(path):
                documents.append(Document(document.file, document.index, None, error=document.error))
                yield document

    return lint_documents(each_document(), options, limit=None), documents
