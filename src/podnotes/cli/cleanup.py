"""``podnotes cleanup``: list, and offer to remove, what ended or killed podnotes runs left behind.

On this machine: processes, cgroups, mounts, network interfaces and
temporary folders named by podnotes whose creating process is gone
(:mod:`podnotes.linux.leaks`), and everything a local node whose owner is
gone left: its containerd shims and containers, their mounts and cgroups,
its veths and bridge, its work folder (:mod:`podnotes.node.leftovers`). On the kind cluster ``kind-NAME``, when the
kubeconfig has it: objects labelled ``app.kubernetes.io/managed-by=podnotes``
whose run is over (:mod:`podnotes.cluster.ownership`).

Exit status: 0 nothing is left (or everything listed was removed), 1
leftovers were listed and kept (``--dry-run``, or the question was answered
no or could not be asked), 5 something could not be removed, 4 bad command
line.
"""

from __future__ import annotations

import argparse
import json
import sys

from podnotes.cli import EXIT_ADVICE, EXIT_UNAVAILABLE, EXIT_USAGE, CommandError

KEPT, FAILED = EXIT_ADVICE, EXIT_UNAVAILABLE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cleanup",
        help="list and remove what ended or killed podnotes runs left (processes, cgroups, folders, cluster "
             "objects)",
        description="List what podnotes runs that have ended left behind on this machine (processes, cgroups, "
                    "mounts, network interfaces, temporary folders) and on the kind cluster kind-NAME (objects "
                    "labelled app.kubernetes.io/managed-by=podnotes whose run is over), then remove them: at "
                    "once with --yes, after asking when the terminal can answer. Exit status: 0 nothing left "
                    "(or all removed), 1 leftovers kept, 5 some could not be removed, 4 bad command line.",
    )
    parser.add_argument("-y", "--yes", action="store_true", help="remove without asking")
    parser.add_argument("--dry-run", action="store_true", help="only list; never remove")
    parser.add_argument("--all", action="store_true",
                        help="also what podnotes processes that are still running made on this machine, and "
                             "cluster objects of runs on other machines or of unknown runs")
    parser.add_argument("--cluster", "--name", dest="cluster", default=None, metavar="NAME",
                        help="kind cluster name; the context used is kind-NAME (default: $PODNOTES_CLUSTER or kind)")
    parser.add_argument("--kubeconfig", default=None, metavar="FILE",
                        help="kubeconfig to read (default: $PODNOTES_KUBECONFIG, $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", default=None, help="use this context instead of kind-NAME; needs "
                                                         "--allow-non-kind-context")
    parser.add_argument("--allow-non-kind-context", action="store_true",
                        help="DANGER: skip the check that the context is a kind cluster on a loopback address")
    parser.add_argument("--allow-credential-plugins", action="store_true",
                        help="let the kubeconfig's user run its credential plugin or auth provider")
    parser.add_argument("--machine-only", action="store_true", help="do not look at any cluster")
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes.linux import leaks

    if args.yes and args.dry_run:
        raise CommandError("--yes and --dry-run contradict each other; drop one", EXIT_USAGE)
    leaks.skip_reaping()  # list first, remove only what the user agreed to
    machine = _machine_leftovers(args.all)
    cluster, note = (None, "not looked at (--machine-only)") if args.machine_only else _open_cluster(args)
    try:
        objects = _cluster_leftovers(cluster, args.all) if cluster else []
        _show(machine, objects, note, args.output)
        if not machine and not objects:
            return 0
        if args.dry_run or not _confirmed(args, len(machine) + len(objects)):
            if args.output == "table":
                print(f"kept; `{_removal_command(args)}` removes them"
                      + (" (--all: also what running podnotes processes are still using)" if args.all else ""),
                      file=sys.stderr)
            return KEPT
        return _remove(machine, objects, cluster, args.output)
    finally:
        if cluster is not None:
            cluster.close()


def _removal_command(args: argparse.Namespace) -> str:
    """The command that removes what this run listed: the same selection, with --yes."""
    words = ["podnotes cleanup"]
    if args.all:
        words.append("--all")
    if args.machine_only:
        words.append("--machine-only")
    if args.cluster:
        words.append(f"--cluster {args.cluster}")
    return " ".join(words + ["--yes"])


def _machine_leftovers(everything: bool) -> list:
    import os

    from podnotes.linux import leaks

    mine = leaks._ancestors(os.getpid())
    return [item for item in leaks.find() if (everything or item.orphaned) and item.pid not in mine]


def _open_cluster(args):
    import os

    from podnotes import cluster

    name = args.cluster or os.environ.get("PODNOTES_CLUSTER") or cluster.DEFAULT_CLUSTER
    try:
        connected = cluster.open_cluster(name, kubeconfig=args.kubeconfig, context=args.context,
                                         allow_non_kind_context=args.allow_non_kind_context,
                                         allow_credential_plugins=args.allow_credential_plugins)
    except (cluster.NoKubeconfig, cluster.NoSuchContext, cluster.ClusterUnreachable) as err:
        if args.cluster or args.kubeconfig or args.context:
            raise CommandError(str(err), EXIT_UNAVAILABLE) from None
        return None, f"not looked at: {err.message}"
    except cluster.ClusterError as err:
        raise CommandError(str(err), EXIT_UNAVAILABLE) from None
    return connected, f"{connected.connection.context} at {connected.connection.target.pinned}"


def _cluster_leftovers(connected, everything: bool) -> list:
    from podnotes.cluster import ClusterError
    from podnotes.cluster.ownership import find_leftovers

    try:
        return find_leftovers(connected, everything)
    except ClusterError as err:
        raise CommandError(str(err), EXIT_UNAVAILABLE) from None


def _show(machine: list, objects: list, note: str, output: str) -> None:
    if output == "json":
        print(json.dumps({
            "machine": [{"kind": item.kind, "name": item.name, "creator": item.creator, "orphaned": item.orphaned,
                         "node": item.node} for item in machine],
            "cluster": {"target": note, "objects": [
                {"apiVersion": o.api_version, "kind": o.kind, "name": o.name, "namespace": o.namespace,
                 "run": str(o.owner) if o.owner else None} for o in objects]},
        }, indent=2))
        return
    print(f"cluster: {note}")
    if not machine and not objects:
        print("nothing left behind")
        return
    rows = [(item.kind, item.name, item.made_by()) for item in machine]
    rows += [("cluster", f"{o.kind.lower()}/{o.name}" + (f" -n {o.namespace}" if o.namespace else ""),
              o.owner.describe() if o.owner else "unknown run") for o in objects]
    width = max(len(row[0]) for row in rows)
    name_width = min(80, max(len(row[1]) for row in rows))
    print(f"{'KIND'.ljust(width)}  {'NAME'.ljust(name_width)}  MADE BY")
    for kind, name, made in rows:
        print(f"{kind.ljust(width)}  {name.ljust(name_width)}  {made}")


def _confirmed(args, count: int) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(f"remove these {count} leftovers? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _remove(machine: list, objects: list, connected, output: str) -> int:
    from podnotes.linux import leaks

    removal = leaks.remove(machine)
    failed = [f"{item}: {why}" for item, why in removal.failed]
    deleted = 0
    for obj in objects:
        metadata = {"name": obj.name, **({"namespace": obj.namespace} if obj.namespace else {})}
        try:
            connected.delete({"apiVersion": obj.api_version, "kind": obj.kind, "metadata": metadata},
                             ignore_not_found=True)
            deleted += 1
        except Exception as err:  # noqa: BLE001 - report and carry on with the others
            failed.append(f"{obj}: {str(err).splitlines()[0]}")
    if output == "table":
        print(f"removed {len(removal.removed)} leftovers from this machine and {deleted} cluster objects")
        for line in failed:
            print(f"could not remove {line}", file=sys.stderr)
    return FAILED if failed else 0
