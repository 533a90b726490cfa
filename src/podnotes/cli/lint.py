"""``podnotes lint``: would the API server accept these manifests?"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from podnotes.cli import EXIT_CODES_HELP, EXIT_USAGE, CommandError, write_stdout
from podnotes.kube.enums import PSS_LEVELS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check Pod manifests offline: would the API server accept them, and what is advisable",
        description="Check Pods and Pod templates (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob) "
                    "offline, with file:line:column for every finding. Exit codes: 0 clean, 1 advice only, "
                    "2 the API server would reject something, 3 unreadable input, 4 bad command line. "
                    + EXIT_CODES_HELP,
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="manifest files, folders or URLs, as with -f (kubeconform's and kube-linter's habit)")
    parser.add_argument("-f", "--filename", action="append", default=[], metavar="FILE|DIR|URL|-",
                        help="manifest file, folder (searched for *.yaml, *.yml, *.json), http(s) URL (at most "
                             "3 MiB, 30 s) or - for stdin; repeatable")
    parser.add_argument("-o", "--output", choices=("text", "json", "yaml", "sarif"), default="text",
                        help="output format (default text: file:line:col: severity [RULE] Kind name: field.path: "
                             "message, and under an error the API server's words)")
    parser.add_argument("--list-rules", action="store_true",
                        help="list every rule (id, severity, first Kubernetes version, summary; -v adds the "
                             "description, fix and upstream source) and exit; with -o json|yaml|sarif as data, "
                             "with --k8s-version only the rules that apply to that version")
    parser.add_argument("--k8s-version", metavar="X.Y", default=None,
                        help="Kubernetes minor version to check against (default: the newest covered)")
    parser.add_argument("--level", choices=PSS_LEVELS, default="baseline",
                        help="Pod Security Standard to hold Pods to (default baseline; privileged checks none)")
    parser.add_argument("--no-advice", action="store_true",
                        help="report only what the API server answers: its rejections and its warnings")
    parser.add_argument("--reading", choices=("kubectl", "raw"), default="kubectl",
                        help="how the files reach the API server: kubectl (default; kubectl decodes them and sends "
                             "JSON, so a key given twice keeps its last value: a warning) or raw (each file is "
                             "the request body, as curl or `kubectl create --raw` send it; the server's strict "
                             "decoding refuses a key given twice: an error)")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE[,RULE]",
                        help="skip these rules (ids as in [RULE] of the text output); repeatable")
    parser.add_argument("--workers", type=_workers, default=None, metavar="N",
                        help="check files in up to N worker processes (default: the CPUs, at most 4, as "
                             "kubeconform's -n; 1 checks in this process); workers start from 100 files each")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="text output: add the fix to each finding, the server's words to warnings too "
                             "(errors always show them) and the field path to info lines")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes import __version__
    from podnotes.lint import (
        ERROR,
        MAX_FINDINGS,
        CatalogueError,
        Finding,
        Options,
        exit_code,
        lint_documents,
        ordered,
        schema,
    )
    from podnotes.lint.report import report, to_json, to_sarif, to_text, to_yaml
    from podnotes.manifest import Document

    try:
        version = schema.normalize_version(args.k8s_version)
    except CatalogueError as err:
        raise CommandError(str(err), EXIT_USAGE) from err
    sources = args.files + args.filename
    if args.list_rules:
        if sources:
            raise CommandError("--list-rules takes no files", EXIT_USAGE)
        write_stdout(_rules_listing(args.output, args.verbose, version if args.k8s_version else None) + "\n")
        return 0
    if not sources:
        raise CommandError("give the manifests: podnotes lint FILE..., -f FILE|DIR|URL, or -f - for stdin",
                           EXIT_USAGE)
    options = Options(version, args.level, not args.no_advice, _disabled(args.disable), args.reading)
    documents: list = []  # what the report counts of each document (file, index, error), not its values
    files = _many_files(sources, args.workers)
    if files is not None:
        from podnotes.lint.workers import lint_files

        checked = lint_files(files, options, args.workers or _default_workers(), None)
        every, documents = checked.findings, checked.documents
    else:
        def each_document():  # checked and dropped one by one, so memory stays flat in the number of documents
            for source in sources:
                for document in _load(source):
                    documents.append(Document(document.file, document.index, None, error=document.error))
                    yield document

        every = lint_documents(each_document(), options, limit=None)
    if not documents:  # still a whole report, so `-o json | jq` and SARIF uploads work
        every = [Finding("no-objects", ERROR, "no Kubernetes object found: the input is empty or holds only "
                         "comments", ", ".join(sources))]
    # Only the most important are printed; the counts and the exit code are those of all of them.
    findings = ordered(every, MAX_FINDINGS)
    code = exit_code(findings)
    if args.output == "json":
        text = to_json(findings, k8s_version=version, level=args.level, exit_code=code, documents=documents,
                       counted=every)
    elif args.output == "yaml":
        text = to_yaml(report(findings, k8s_version=version, level=args.level, exit_code=code,
                              documents=documents, counted=every)).rstrip("\n")
    elif args.output == "sarif":
        text = to_sarif(findings, version=__version__)
    else:
        text = to_text(findings, verbose=args.verbose, documents=documents, counted=every)
    write_stdout(text + "\n")
    return code


def _rules_listing(output: str, verbose: bool, k8s_version: str | None) -> str:
    """The rule registry in the ``-o`` format; only the rules that apply at ``k8s_version`` when given."""
    from podnotes import __version__
    from podnotes.lint.report import rules_text, to_sarif, to_yaml
    from podnotes.lint.rules import all_rules, applies_at

    rules = tuple(rule for rule in all_rules() if k8s_version is None or applies_at(rule.id, k8s_version))
    if output == "json":
        return json.dumps([rule.as_dict() for rule in rules], indent=2, ensure_ascii=False)
    if output == "yaml":
        return to_yaml([rule.as_dict() for rule in rules]).rstrip("\n")
    if output == "sarif":
        return to_sarif([], version=__version__, rules=tuple(rule.id for rule in rules))
    return rules_text(rules, verbose=verbose, width=_terminal_width())


def _terminal_width() -> int:
    """The terminal's width (``COLUMNS`` first, as argparse reads it), at most 100 columns."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    return min(int(columns) if columns.isdigit() and int(columns) > 0 else shutil.get_terminal_size().columns, 100)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return int(text)


def _default_workers() -> int:
    from podnotes.lint.workers import default_workers

    return default_workers()


# Fewer files than this never take workers (podnotes.lint.workers.MIN_FILES_PER_WORKER for two workers).
_FEW_FILES = 200


def _many_files(sources: list[str], workers: int | None) -> list[Path] | None:
    """The files to check in worker processes, or None to check in this process: one worker allowed, too
    few files, or a source that is stdin, a URL or a folder that cannot be listed."""
    from podnotes.inputfile import kind_of

    if workers == 1 or (len(sources) < _FEW_FILES and all(kind_of(s) != "dir" for s in sources)):
        return None  # decided without importing the workers' module: one file is the common case
    from podnotes.lint.workers import local_files, workers_for

    allowed = workers or _default_workers()
    files = local_files(sources)
    return files if files is not None and workers_for(len(files), allowed) > 1 else None


def _load(source: str) -> Iterator:
    from podnotes.inputfile import is_url
    from podnotes.manifest import iter_load

    return iter_load(source if source == "-" or is_url(source) else Path(source))


def _disabled(given: list[str]) -> frozenset[str]:
    """The rules of ``--disable a,b --disable c``; an unknown rule is a usage error naming the known ones."""
    import difflib

    from podnotes.lint.rules import rule_ids

    rules = [rule.strip() for item in given for rule in item.split(",") if rule.strip()]
    known = rule_ids()
    unknown = [rule for rule in rules if rule not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise CommandError(f"--disable: no rule {unknown[0]!r}{hint}; the rules are: {', '.join(known)}",
                           EXIT_USAGE)
    return frozenset(rules)
