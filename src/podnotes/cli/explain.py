"""``podnotes explain``: what a Pod field means, offline; or a manifest annotated field by field."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from podnotes.cli import EXIT_BAD_INPUT, EXIT_USAGE, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain a Pod field (type, default, allowed values) or annotate a manifest, offline",
        description="Explain a field, e.g. `podnotes explain spec.containers.livenessProbe` (a leading pod., "
                    "deployment. ... picks the kind; misspelt parts are matched to the nearest field), or print "
                    "a manifest with a one-line meaning beside each field and the defaults the API server would "
                    "fill in (`podnotes explain -f pod.yaml`).",
    )
    parser.add_argument("field", nargs="?", help="field path, e.g. spec.containers.livenessProbe")
    parser.add_argument("-f", "--filename", metavar="FILE|-", help="annotate this manifest instead")
    parser.add_argument("--recursive", action="store_true", help="list nested fields at every depth")
    parser.add_argument("--k8s-version", metavar="X.Y", default=None, help="Kubernetes minor version")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def terminal_width() -> int:
    """The width to wrap to: $COLUMNS, else the terminal's, else the book's code column (84) when the
    output goes to a file or pipe, so piped output is the same everywhere."""
    import os
    import shutil
    import sys

    from podnotes.display import COLUMNS

    if os.environ.get("COLUMNS", "").isdigit():
        return max(int(os.environ["COLUMNS"]), 40)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((COLUMNS, 24)).columns, 40)
    return COLUMNS


def run(args: argparse.Namespace) -> int:
    from podnotes.explain import ExplainError, explain_field
    from podnotes.lint.schema import CatalogueError

    if bool(args.field) == bool(args.filename):
        raise CommandError("give either a field path or -f FILE", EXIT_USAGE)
    try:
        if args.filename:
            return _annotate(args)
        info = explain_field(args.field, k8s_version=args.k8s_version, recursive=args.recursive)
    except (ExplainError, CatalogueError) as err:
        raise CommandError(str(err), EXIT_USAGE) from err
    if args.output == "json":
        print(json.dumps(asdict(info), indent=2))
    else:
        print(info.render(recursive=args.recursive, width=terminal_width()))
    return 0


def _annotate(args: argparse.Namespace) -> int:
    """Annotate each document as it is read and print it at once, so memory stays flat in the number of
    documents; a document that cannot be read ends the run (exit 3) after what came before it."""
    from pathlib import Path

    from podnotes.explain import annotate_document
    from podnotes.lint.schema import catalogue
    from podnotes.manifest import iter_load

    cat = catalogue(args.k8s_version)
    as_json = args.output == "json"
    documents = explained = 0
    try:
        for document in iter_load(args.filename if args.filename == "-" else Path(args.filename)):
            documents += 1
            if document.error is not None:
                error = document.error
                where = f"{document.file}:{error.line}:{error.column}" if error.line else document.file
                raise CommandError(f"{where}: {error.message}", EXIT_BAD_INPUT)
            result = annotate_document(document, cat)
            if result is None:
                continue
            _print_result(result, as_json, first=explained == 0)
            explained += 1
    finally:
        if as_json and explained:
            print("\n]")
    if not explained:
        empty = " (the input is empty)" if not documents else ""
        raise CommandError(f"{args.filename}: no Pod or Pod template found to explain{empty}", EXIT_BAD_INPUT)
    return 0


def _print_result(result, as_json: bool, first: bool) -> None:
    """One annotated manifest: as text, or as the next item of a JSON list printed piece by piece."""
    if not as_json:
        print(result.render(columns=terminal_width()))
        return
    item = json.dumps({"file": result.document.file, "fields": [asdict(n) for n in result.notes],
                       "defaults": [asdict(d) for d in result.defaults]}, indent=2)
    print(("[\n" if first else ",\n") + "\n".join("  " + line for line in item.splitlines()), end="")
