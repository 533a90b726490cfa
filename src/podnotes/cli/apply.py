"""``podnotes apply``: server-side apply manifests to a local kind cluster, then wait or watch."""

from __future__ import annotations

import argparse
import sys

from podnotes.cli import EXIT_BAD_INPUT, EXIT_REJECTED, EXIT_UNAVAILABLE, EXIT_USAGE, CommandError


def cluster_exit_code(err: Exception) -> int:
    """The exit code for a cluster failure: 2 the API server refused the object, 3 the manifest itself is
    unusable, 5 anything about reaching or choosing the cluster (no kubeconfig, unreachable, unsafe context)."""
    from podnotes.cluster import ApiRejected
    from podnotes.cluster.objects import ManifestProblem

    if isinstance(err, ApiRejected):
        return EXIT_REJECTED
    if isinstance(err, ManifestProblem):
        return EXIT_BAD_INPUT
    return EXIT_UNAVAILABLE


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every cluster command shares (kubectl's names where kubectl has one)."""
    parser.add_argument("-f", "--filename", action="append", required=True, metavar="FILE|DIR|URL|-",
                        help="manifest file, folder, http(s) URL (at most 3 MiB) or - for stdin; repeatable")
    parser.add_argument("--cluster", "--name", dest="cluster", default=None, metavar="NAME",
                        help="kind cluster name, as given to `podnotes kind up --name` (either spelling works); "
                             "the context used is kind-NAME (default: $PODNOTES_CLUSTER or kind)")
    parser.add_argument("-n", "--namespace", default="default", help="namespace for objects that name none")
    parser.add_argument("--kubeconfig", default=None, metavar="FILE",
                        help="kubeconfig to read (default: $PODNOTES_KUBECONFIG, $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", default=None,
                        help="use this context instead of kind-NAME; needs --allow-non-kind-context")
    parser.add_argument("--allow-non-kind-context", action="store_true",
                        help="DANGER: skip the check that the context is a kind cluster on a loopback address; "
                             "only for other local clusters (minikube, k3d, Docker Desktop)")
    parser.add_argument("--allow-credential-plugins", action="store_true",
                        help="let the kubeconfig's user run its credential plugin (exec) or auth provider (gcp, "
                             "oidc ...); refused otherwise, because they run programs or contact other hosts")


def check_files_exist(sources: list[str]) -> None:
    """Refuse a missing manifest before the kubeconfig is even read: the file is the first thing to fix."""
    import os

    from podnotes.inputfile import describe_os_error, is_url, shown

    for source in sources:
        if source == "-" or is_url(source):
            continue
        try:
            os.stat(source)
        except OSError as err:
            raise CommandError(f"{shown(source)}: cannot open the input: {describe_os_error(err)}",
                               EXIT_BAD_INPUT) from None


def open_from_args(args: argparse.Namespace):
    import os

    from podnotes import cluster

    name = args.cluster or os.environ.get("PODNOTES_CLUSTER") or cluster.DEFAULT_CLUSTER
    if args.allow_non_kind_context:
        print(f"podnotes {args.command}: WARNING: connection guard disabled, using context "
              f"{args.context or cluster.kind_context(name)} as given", file=sys.stderr)
    try:
        return cluster.open_cluster(name, namespace=args.namespace, kubeconfig=args.kubeconfig,
                                    context=args.context, allow_non_kind_context=args.allow_non_kind_context,
                                    allow_credential_plugins=args.allow_credential_plugins)
    except cluster.ClusterError as err:
        raise CommandError(str(err), cluster_exit_code(err)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="apply manifests to a local kind cluster (server-side apply), optionally wait for or record a Pod",
        description="Server-side apply every object in the files (field manager podnotes) to the kind cluster "
                    "NAME, refusing any context that is not kind-NAME on a loopback address. If anything fails, "
                    "or on Ctrl-C, the objects this run created are deleted again.",
    )
    add_connection_arguments(parser)
    parser.add_argument("--dry-run", choices=("server",), default=None,
                        help="server: ask the API server to validate without storing anything (lint-style output)")
    parser.add_argument("--wait", metavar="STATE", default=None,
                        help="wait until every Pod applied has this condition True (Ready, ContainersReady ...) "
                             "or is in this phase (Running, Succeeded ...)")
    parser.add_argument("--timeout", type=float, default=120, metavar="SECONDS",
                        help="for --wait (default 120)")
    parser.add_argument("--observe", type=float, default=None, metavar="SECONDS",
                        help="record the (single) Pod's status changes and events for SECONDS into a timeline")
    parser.add_argument("-o", "--output", default=None, metavar="FORMAT",
                        help="with --observe: print the observed timeline as events, json, yaml, png or svg "
                             "(as podnotes timeline does)")
    parser.add_argument("--output-file", metavar="FILE",
                        help="with --observe: write the timeline to FILE; its suffix (.txt .json .yaml .png .svg) "
                             "gives the format when -o is not given")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes import cluster

    if (args.output or args.output_file) and args.observe is None:
        raise CommandError("-o/--output and --output-file need --observe SECONDS", EXIT_USAGE)
    if args.output or args.output_file:
        from podnotes.cli.timeline import output_choice

        args.output_format, args.output_target = output_choice(args.output, args.output_file)
        if args.output_format in ("png", "svg") and args.output_target is None and sys.stdout.isatty():
            raise CommandError(f"-o {args.output_format} writes an image: give --output-file "
                               f"FILE.{args.output_format}, or redirect stdout", EXIT_USAGE)
    check_files_exist(args.filename)
    target = open_from_args(args)
    try:
        if args.dry_run:
            return _dry_run(target, args)
        with target.cleanup_on_error() as record:
            try:
                outcomes = [o for source in args.filename for o in target.apply(source)]
                for outcome in outcomes:
                    print(outcome)
                pods = [o.ref for o in outcomes if o.ref.kind == "Pod"]
                if args.wait:
                    for ref in pods:
                        cluster.wait_for(target, ref.name, args.wait, args.timeout, namespace=ref.namespace)
                if args.observe is not None:
                    _observe(target, pods, args)
            except (cluster.ClusterError, ValueError, KeyboardInterrupt) as err:
                _report_removed(record, err)
                raise
    except cluster.ClusterError as err:
        raise CommandError(str(err), cluster_exit_code(err)) from None
    except ValueError as err:
        raise CommandError(str(err), EXIT_USAGE) from None
    finally:
        target.close()
    return 0


def _report_removed(record, err) -> None:
    # The cleanup itself runs when the cleanup_on_error block exits; say what it is about to remove.
    if record.created:
        names = ", ".join(str(ref) for ref in record.created)
        print(f"podnotes apply: removing what this run created: {names}", file=sys.stderr)


def _dry_run(target, args) -> int:
    from podnotes.lint.finding import ERROR

    findings = [f for source in args.filename for f in target.dry_run(source)]
    for finding in findings:
        location = finding.location
        print(f"{location}: {finding.severity} [{finding.rule}] {finding.path + ': ' if finding.path else ''}"
              f"{finding.message}")
    if not findings:
        print("the API server accepts every object (nothing was stored)")
    return EXIT_REJECTED if any(f.severity == ERROR for f in findings) else 0


def _observe(target, pods, args) -> None:
    from podnotes import cluster

    if len(pods) != 1:
        raise ValueError(f"--observe records one Pod; the files hold {len(pods)}")
    ref = pods[0]
    print(f"observing pod/{ref.name} for {args.observe:.0f} s", file=sys.stderr)
    timeline = cluster.observe(target, ref.name, args.observe, namespace=ref.namespace,
                               on_event=lambda e: print(f"  {e.time:7.1f} s  {_describe(e)}", file=sys.stderr))
    if args.output or args.output_file:
        _write_timeline(timeline, args.output_format, args.output_target)


def _describe(event) -> str:
    details = {k: v for k, v in event.to_dict().items() if k not in ("time", "kind")}
    return f"{event.kind} " + " ".join(f"{k}={v}" for k, v in details.items())


def _write_timeline(timeline, fmt: str, target: str | None) -> None:
    """The observed timeline in the format ``podnotes timeline`` writes, to ``target`` or stdout."""
    from pathlib import Path

    from podnotes.cli.timeline import render, write_output

    data = render(timeline, fmt)
    if target is None:
        write_output(None, data)
        return
    write_output(Path(target), data)
    print(f"timeline written to {target}", file=sys.stderr)
