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
                        help="output format (default text: file:line:col: severity [RULE] message)")
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
    parser.add_argument("--disable", action="append", default=[], metavar="RULE[,RULE]",
                        help="skip these rules (ids as in [RULE] of the text output); repeatable")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="text output: add the field path, the server's message and the fix")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes import __version__
    from podnotes.lint import ERROR, CatalogueError, Finding, Options, exit_code, lint_documents, schema
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
    disabled = _disabled(args.disable)
    documents: list = []  # what the report counts of each document (file, index, error), not its values

    def each_document():  # checked and dropped one by one, so memory stays flat in the number of documents
        for source in sources:
            for document in _load(source):
                documents.append(Document(document.file, document.index, None, error=document.error))
                yield document

    findings = lint_documents(each_document(), Options(version, args.level, not args.no_advice, disabled))
    if not documents:  # still a whole report, so `-o json | jq` and SARIF uploads work
        findings = [Finding("no-objects", ERROR, "no Kubernetes object found: the input is empty or holds only "
                            "comments", ", ".join(sources))]
    code = exit_code(findings)
    if args.output == "json":
        text = to_json(findings, k8s_version=version, level=args.level, exit_code=code, documents=documents)
    elif args.output == "yaml":
        text = to_yaml(report(findings, k8s_version=version, level=args.level, exit_code=code,
                              documents=documents)).rstrip("\n")
    elif args.output == "sarif":
        text = to_sarif(findings, version=__version__)
    else:
        text = to_text(findings, verbose=args.verbose, documents=documents)
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
