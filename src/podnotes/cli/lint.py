"""``podnotes lint``: would the API server accept these manifests?"""

from __future__ import annotations

import argparse
import sys
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
    parser.add_argument("-o", "--output", choices=("text", "json", "sarif"), default="text",
                        help="output format (default text: file:line:col: severity [RULE] message)")
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
    from podnotes.lint import ERROR, CatalogueError, Finding, exit_code, lint_documents
    from podnotes.lint import Options, schema
    from podnotes.lint.report import to_json, to_sarif, to_text
    from podnotes.manifest import load

    try:
        version = schema.normalize_version(args.k8s_version)
    except CatalogueError as err:
        raise CommandError(str(err), EXIT_USAGE) from err
    sources = args.files + args.filename
    if not sources:
        raise CommandError("give the manifests: podnotes lint FILE..., -f FILE|DIR|URL, or -f - for stdin",
                           EXIT_USAGE)
    documents = [doc for source in sources for doc in _load(source)]
    disabled = _disabled(args.disable)
    if documents:
        findings = lint_documents(documents, Options(version, args.level, not args.no_advice, disabled))
    else:  # still a whole report, so `-o json | jq` and SARIF uploads work
        findings = [Finding("no-objects", ERROR, "no Kubernetes object found: the input is empty or holds only "
                            "comments", ", ".join(sources))]
    code = exit_code(findings)
    if args.output == "json":
        text = to_json(findings, k8s_version=version, level=args.level, exit_code=code, documents=documents)
    elif args.output == "sarif":
        text = to_sarif(findings, version=__version__)
    else:
        text = to_text(findings, verbose=args.verbose, documents=documents)
    write_stdout(text + "\n")
    return code


def _load(source: str) -> list:
    from podnotes.inputfile import is_url
    from podnotes.manifest import load

    return load(source if source == "-" or is_url(source) else Path(source))


def _disabled(given: list[str]) -> frozenset[str]:
    """The rules of ``--disable a,b --disable c``; an unknown rule is a usage error naming the known ones."""
    import difflib

    from podnotes.lint.report import known_rules

    rules = [rule.strip() for item in given for rule in item.split(",") if rule.strip()]
    known = known_rules()
    unknown = [rule for rule in rules if rule not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise CommandError(f"--disable: no rule {unknown[0]!r}{hint}; the rules are: {', '.join(known)}",
                           EXIT_USAGE)
    return frozenset(rules)
