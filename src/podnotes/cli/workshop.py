"""``podnotes workshop``: one cluster, a namespace per participant, exercises checked live.

up        make (or finish making) every participant's namespace, RBAC, quota, kubeconfig and sheet
check     run every participant's checks; print the board and write board.html (--watch repeats)
reset     empty one participant's namespace and put the exercises' seeds back
down      remove everything the workshop made, and prove it is gone
list      the workshops recorded on this machine
exercises the exercise statements and hints
allow-context  record a context that is not a local kind cluster as allowed for workshops

Exit status as every command: 0 done, 3 unreadable participant list, 4 bad command line, 5 the cluster
refused, went away or the guard refused it, 130 interrupted (rerun ``up`` to finish, or ``down``).
"""

from __future__ import annotations

import argparse
import json
import sys

from podnotes.cli import EXIT_BAD_INPUT, EXIT_UNAVAILABLE, EXIT_USAGE, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "workshop", help="run a workshop: a namespace per participant, exercises checked live",
        description="Set up a workshop on one cluster (a local kind cluster, or a context allowed by name with "
                    "`podnotes workshop allow-context`), check every participant's exercises, reset one "
                    "participant, and remove everything. Exit status: 0 done, 3 unreadable participant list, 4 "
                    "bad command line, 5 cluster unreachable, refused or guarded, 130 interrupted (rerun `up` "
                    "to finish, or `down`).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="create every participant's namespace, RBAC, quota, kubeconfig, sheet",
                            description="Create (or finish creating) the workshop NAME: for each participant a "
                                        "namespace, quota, limit range, account, Role, RoleBinding, the "
                                        "exercises' seed Pod, a kubeconfig and a sheet. Harmless to rerun.")
    up.add_argument("name", metavar="NAME", help="workshop name: prefixes every namespace (e.g. ws)")
    people = up.add_mutually_exclusive_group(required=True)
    people.add_argument("-f", "--filename", metavar="FILE",
                        help="participant list: one login name a line, optionally followed by the name to print")
    people.add_argument("--participants", type=int, metavar="N", help="N participants called p01 ... pN")
    _place_options(up)
    up.add_argument("--server", metavar="URL", help="API server address written into the participants' "
                                                    "kubeconfigs (default: the instructor's)")
    up.add_argument("--token-hours", type=float, default=12.0, metavar="H", help="token lifetime (default 12)")

    check = actions.add_parser("check", help="run every participant's checks; print the board, write board.html",
                               description="Run every exercise's check for every participant, print the "
                                           "board and write it as board.html in the workshop's folder.")
    check.add_argument("name", metavar="NAME")
    check.add_argument("--participant", metavar="NAME", help="only this participant")
    check.add_argument("-w", "--watch", type=float, nargs="?", const=5.0, metavar="SECONDS",
                       help="check again every SECONDS (default 5) until Ctrl-C, rewriting board.html")
    check.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _place_options(check, record=True)

    reset = actions.add_parser("reset", help="empty one participant's namespace, put the seeds back")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("participant", metavar="PARTICIPANT")
    _place_options(reset, record=True)

    down = actions.add_parser("down", help="remove everything the workshop made, proved gone")
    down.add_argument("name", metavar="NAME")
    _place_options(down, record=True)

    actions.add_parser("list", help="the workshops recorded on this machine")
    listing = actions.add_parser("exercises", help="the exercises: statement and hints")
    listing.add_argument("-o", "--output", choices=("text", "json"), default="text")

    allow = actions.add_parser("allow-context", help="record a context (not a kind cluster) as allowed",
                               description="Add CONTEXT to the recorded allow-list of contexts workshops may "
                                           "use although they are not local kind clusters; --remove takes it "
                                           "off; without CONTEXT, list the allow-list.")
    allow.add_argument("context", nargs="?", metavar="CONTEXT")
    allow.add_argument("--reason", default="", help="why (recorded with your user name and the time)")
    allow.add_argument("--remove", action="store_true", help="take CONTEXT off the allow-list")
    parser.set_defaults(handler=run)


def _place_options(parser: argparse.ArgumentParser, record: bool = False) -> None:
    suffix = " (default: the workshop's record)" if record else ""
    parser.add_argument("--cluster", metavar="NAME", default=None,
                        help=f"kind cluster name; the context is kind-NAME (default kind){suffix}")
    parser.add_argument("--context", metavar="CONTEXT", default=None,
                        help=f"a context on the workshop allow-list (see allow-context){suffix}")
    parser.add_argument("--kubeconfig", metavar="FILE", default=None,
                        help="kubeconfig to read (default: $PODNOTES_KUBECONFIG, $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--allow-credential-plugins", action="store_true",
                        help="let the kubeconfig's user run its credential plugin or auth provider")


def run(args: argparse.Namespace) -> int:
    from podnotes.cluster import ClusterError
    from podnotes.workshop import ParticipantError
    from podnotes.workshop.records import RecordError

    try:
        return ACTIONS[args.action](args)
    except ParticipantError as err:
        raise CommandError(str(err), EXIT_BAD_INPUT) from None
    except (ClusterError, RecordError) as err:
        raise CommandError(str(err), EXIT_UNAVAILABLE) from None


def _place(args: argparse.Namespace, record=None):
    from podnotes.workshop.connection import Place, place_of

    if record is not None and not (args.cluster or args.context):
        return place_of(record, args.kubeconfig)
    return Place(args.cluster or "kind", args.context, args.kubeconfig, args.allow_credential_plugins)


def _record(name: str, required: bool = True):
    from podnotes.workshop import records

    record = records.load(name)
    if record is None and required:
        known = ", ".join(records.recorded()) or "none"
        raise CommandError(f"no workshop {name!r} is recorded in {records.home()} (recorded: {known})",
                           EXIT_USAGE)
    return record


def _up(args: argparse.Namespace) -> int:
    from podnotes.cluster import ClusterError
    from podnotes.workshop import participants, setup
    from podnotes.workshop.connection import open_place

    if args.participants is not None and not 1 <= args.participants <= participants.MAX_PARTICIPANTS:
        raise CommandError(f"--participants must be 1 to {participants.MAX_PARTICIPANTS}", EXIT_USAGE)
    if args.token_hours <= 0 or args.token_hours > 24 * 7:
        raise CommandError("--token-hours must be more than 0 and at most 168 (a week)", EXIT_USAGE)
    people = (participants.load(args.filename, args.name) if args.filename
              else participants.numbered(args.participants, args.name))
    place = _place(args)
    with open_place(place) as cluster:
        record = setup.begin(place, cluster, args.name, people, args.server)
        try:
            report = setup.set_up(cluster, record, token_hours=args.token_hours)
        except (KeyboardInterrupt, ClusterError):
            print(f"podnotes workshop up: stopped before every participant was set up; the cluster is "
                  f"consistent: `podnotes workshop up {args.name} ...` again finishes the job, `podnotes "
                  f"workshop down {args.name}` removes it", file=sys.stderr)
            raise
    print(f"workshop {report.workshop}: {report.participants} participants ready in {report.seconds:.1f} s on "
          f"{record.context}")
    print(f"  kubeconfigs: {report.folder}/kubeconfigs/   sheets to print: {report.sheets}")
    print(f"  next: podnotes workshop check {report.workshop} --watch")
    return 0


def _check(args: argparse.Namespace) -> int:
    import time

    from podnotes.workshop import board
    from podnotes.workshop.connection import open_place

    record = _record(args.name)
    people = record.people()
    if args.participant:
        people = [person for person in people if person.name == args.participant]
        if not people:
            raise CommandError(f"workshop {args.name} has no participant {args.participant!r}", EXIT_USAGE)
    with open_place(_place(args, record)) as cluster:
        while True:
            result = board.check_round(cluster, record.workshop, people)
            page = board.write_html(result, record, board.REFRESH_SECONDS if args.watch else None)
            if args.output == "json":
                print(json.dumps(_as_json(result, page)))
            else:
                if args.watch and sys.stdout.isatty():
                    print("\033[H\033[J", end="")
                print(board.text(result))
                print(f"board: {page}")
            sys.stdout.flush()
            if not args.watch:
                return 0
            time.sleep(args.watch)


def _as_json(result, page: str) -> dict:
    return {"workshop": result.workshop, "seconds": round(result.seconds, 3), "html": page,
            "results": {person: {exercise: {"state": cell.state, "detail": cell.detail, "hint": cell.hint}
                                 for exercise, cell in row.items()} for person, row in result.results.items()}}


def _reset(args: argparse.Namespace) -> int:
    from podnotes.workshop import reset
    from podnotes.workshop.connection import open_place

    record = _record(args.name)
    person = next((p for p in record.people() if p.name == args.participant), None)
    if person is None:
        raise CommandError(f"workshop {args.name} has no participant {args.participant!r}", EXIT_USAGE)
    with open_place(_place(args, record)) as cluster:
        report = reset.reset(cluster, record.workshop, person)
    print(f"namespace {report.namespace} reset in {report.seconds:.1f} s; {person.name}'s kubeconfig still works")
    return 0


def _down(args: argparse.Namespace) -> int:
    from podnotes.workshop import down
    from podnotes.workshop.connection import open_place

    record = _record(args.name, required=not (args.cluster or args.context))
    with open_place(_place(args, record)) as cluster:
        report = down.down(cluster, args.name)
    if report.left:
        raise CommandError(f"workshop {args.name}: still on the cluster: {', '.join(report.left[:10])}",
                           EXIT_UNAVAILABLE)
    print(f"workshop {args.name}: {len(report.namespaces)} namespaces removed in {report.seconds:.1f} s; "
          f"nothing labelled podnotes.io/workshop={args.name} is left ({report.resources_checked} resources "
          "checked); records removed")
    return 0


def _list(args: argparse.Namespace) -> int:
    from podnotes.workshop import records

    names = records.recorded()
    if not names:
        print(f"no workshops recorded in {records.home()}")
    for name in names:
        record = records.load(name)
        state = record.state  # type: ignore[union-attr]
        if state == "setting-up" and not _running(record.pid):  # type: ignore[union-attr]
            state = (f"interrupted (`podnotes workshop up {name}` finishes it, `podnotes workshop down {name}` "
                     "removes it)")
        print(f"{name}  {len(record.participants)} participants  {record.context}  {state}")  # type: ignore[union-attr]
    return 0


def _running(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def _exercises(args: argparse.Namespace) -> int:
    from podnotes.display import wrap
    from podnotes.workshop import EXERCISES

    if args.output == "json":
        print(json.dumps([{"id": e.id, "title": e.title, "chapter": e.chapter, "statement": e.statement,
                           "hints": list(e.hints)} for e in EXERCISES], indent=2))
        return 0
    for exercise in EXERCISES:
        print(f"{exercise.id}: {exercise.title} ({exercise.chapter})")
        print(wrap("  " + exercise.statement))
        for number, hint in enumerate(exercise.hints, start=1):
            print(wrap(f"  hint {number}: {hint}"))
        print()
    return 0


def _allow(args: argparse.Namespace) -> int:
    from podnotes.workshop import records

    if args.context is None:
        if args.remove:
            raise CommandError("--remove needs the CONTEXT to take off", EXIT_USAGE)
        entries = records.allowed_contexts()
        if not entries:
            print(f"no contexts allowed ({records.allow_list_path()}); local kind clusters need none")
        for context, entry in sorted(entries.items()):
            print(f"{context}  allowed by {entry.get('by')} at {entry.get('at')}  {entry.get('reason', '')}")
        return 0
    if args.remove:
        if not records.disallow(args.context):
            raise CommandError(f"{args.context!r} is not on the allow-list", EXIT_USAGE)
        print(f"context {args.context} removed from the workshop allow-list")
        return 0
    entry = records.allow(args.context, args.reason)
    print(f"context {args.context} allowed for workshops by {entry['by']} at {entry['at']} "
          f"(recorded in {records.allow_list_path()})")
    return 0


ACTIONS = {"up": _up, "check": _check, "reset": _reset, "down": _down, "list": _list,
           "exercises": _exercises, "allow-context": _allow}
