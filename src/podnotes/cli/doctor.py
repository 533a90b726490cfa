"""``podnotes doctor``: what this machine lets the book's experiments do."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check which experiments this machine can run (root, namespaces, cgroups, tools)",
        description="Report whether this process runs on Linux as root (CAP_SYS_ADMIN), may create user "
                    "namespaces, which cgroup layout (v1, hybrid, v2) and controllers the machine has, whether "
                    "systemd is the init system, and which tools (unshare, nsenter, ip, busybox, kubectl, kind, "
                    "docker) are installed, whether the Docker engine answers, and what decides whether the "
                    "book's chapters show real or simulated results here (chapters 2-6: root, namespaces and "
                    "cgroups; the chapters with real-node parts: a local kubelet node, which needs root, the "
                    "Kubernetes binaries, Go, "
                    "and a C compiler for runc; 11: a reachable cluster or the kube-apiserver and etcd programs). "
                    "Exit status 0 whatever the findings.",
    )
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from podnotes.linux import leaks
    from podnotes.linux.machine import detect, user_namespace_restrictions
    from podnotes.linux.privileges import missing

    facts = detect()
    left = leaks.find()
    engine = docker_engine_problem() if facts.tools.get("docker") else "not installed"
    parts = book_parts(facts)
    if args.output == "json":
        report = facts.as_dict()
        report["can_run"] = {requirement: missing(requirement, facts) is None
                             for requirement in ("namespaces", "cgroups")}
        report["docker_engine"] = {"answers": engine is None, "problem": engine or ""}
        report["book"] = [{"chapters": part.chapters, "real": part.real, "detail": part.detail} for part in parts]
        report["restrictions"] = [asdict(item) for item in user_namespace_restrictions()]
        report["rootless"] = facts.rootless
        report["leftovers"] = {"orphaned": sum(item.orphaned for item in left),
                               "of_running_sessions": sum(not item.orphaned for item in left)}
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print(format_table(facts, engine))
    print()
    print(format_book(parts))
    print(leftovers_line(left))
    return 0


@dataclass
class BookPart:
    """Whether some chapters show real results on this machine, and what decides it."""

    chapters: str
    real: bool
    detail: str


def docker_engine_problem() -> str | None:
    """None when ``docker info`` reaches an engine, else why not (``docker info`` waits at most 20 s)."""
    from podnotes.cluster.kind import missing_tools

    problem = next((p for p in missing_tools() if p.tool == "docker"), None)
    return problem.problem if problem else None


def book_parts(facts) -> list[BookPart]:
    """What decides real or simulated results for the chapters that need more than Python."""
    from podnotes.cluster.binaries import find_binaries
    from podnotes.node.observe import observations_state, reasons_node_cannot_run

    parts = kernel_chapter_parts(facts)
    try:
        state, cannot = observations_state(), reasons_node_cannot_run()
    except OSError as err:  # a cache folder this user may not read
        parts.append(BookPart(_node_chapters(), False,
                              f"simulated only; cannot check for a local node: {err.strerror}: {err.filename}"))
        return parts + [_api_server_part(find_binaries)]
    if state.current:
        detail = f"observed on a real kubelet: {state.describe()}"
    elif not cannot:
        detail = ("not recorded yet, and this machine can run a local node: "
                  "`sudo .venv/bin/python -m podnotes.node.observe` (or "
                  "`sudo make book`) records the observed timelines beside the simulation")
    else:
        detail = "simulated only; a local node (kubelet, containerd, runc) needs: " + "; ".join(cannot)
    parts.append(BookPart(_node_chapters(), state.current, detail))
    return parts + [_api_server_part(find_binaries)]


def _node_chapters() -> str:
    """The chapters whose real parts come from the local node's recordings, by file name."""
    from podnotes import provenance

    try:
        names = [name for name in provenance.chapters_with_real_parts() if name != "11-kubectl"]
    except OSError:  # an installed copy without the book's sources
        names = []
    return f"node ({', '.join(names) or 'the Pod chapters'})"


def kernel_chapter_parts(facts) -> list[BookPart]:
    """Chapters 2-6, one part each: how many of its sections run for real here, and for each that
    skips, what it does, why it cannot and the command that runs it (read from the chapters' own
    ``section(...)`` checks, :func:`podnotes.linux.privileges.chapter_plans`)."""
    from podnotes.linux.privileges import chapter_plans

    plans = chapter_plans(facts=facts)
    if not plans:
        return [BookPart("2-6 (chroot, namespaces, cgroups, a container by hand)",
                         facts.can_create_namespaces and facts.can_limit_resources,
                         "run for real with namespaces (as root, or rootless in a user namespace) and cgroups "
                         "(root, or a delegated subtree); otherwise each section says what it needs")]
    parts = []
    for chapter in dict.fromkeys(plan.chapter for plan in plans):
        sections = [plan for plan in plans if plan.chapter == chapter]
        skipped = [plan for plan in sections if not plan.runs]
        ran = len(sections) - len(skipped)
        how = " rootless" if facts.rootless and ran else ""
        detail = f"{ran} of {len(sections)} sections run{how} here"
        for (reason, command), alike in _grouped(skipped).items():
            what = ", ".join(f'"{plan.purpose}"' for plan in alike)
            detail += f"; skips {what}: {reason}; `{command}` runs {'it' if len(alike) == 1 else 'them'}"
        number, _, name = chapter.partition("-")
        parts.append(BookPart(f"{int(number)} ({name.replace('-', ' ')})", not skipped, detail))
    return parts


def _grouped(plans) -> dict[tuple[str, str], list]:
    groups: dict[tuple[str, str], list] = {}
    for plan in plans:
        groups.setdefault((plan.reason, plan.command), []).append(plan)
    return groups


def _api_server_part(find_binaries) -> BookPart:
    what = "11 (kubectl against a real API server)"
    try:
        binaries = find_binaries()
    except OSError as err:
        binaries, problem = None, f"cannot look for them: {err.strerror}: {err.filename}"
    else:
        problem = "`make k8s-binaries` builds them with Go"
    if binaries is not None:
        return BookPart(what, True, f"a kind cluster if one answers, else a private API server from {binaries}")
    return BookPart(what, False, "simulated unless a kind cluster (`podnotes kind up`) or $PODNOTES_KUBECONFIG "
                                 f"answers: no kube-apiserver and etcd programs ({problem})")


def format_book(parts: list[BookPart]) -> str:
    """Each part: the chapters, then whether they show real results and what decides it, wrapped to 84."""
    import textwrap

    from podnotes.display import COLUMNS

    lines = ["CHAPTERS  REAL  WHAT DECIDES"]
    for part in parts:
        lines += textwrap.wrap(part.chapters, COLUMNS, subsequent_indent="  ", break_on_hyphens=False)
        lines += textwrap.wrap(part.detail, COLUMNS, initial_indent=f"          {'yes' if part.real else 'no':<4}  ",
                               subsequent_indent=" " * 16, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines)


def leftovers_line(left: list) -> str:
    """One sentence on this machine's podnotes objects, worded as `podnotes cleanup` will list them:
    by default it shows what ended runs left; ``--all`` adds what running processes still use."""
    orphaned = sum(item.orphaned for item in left)
    in_use = len(left) - orphaned
    if not orphaned and not in_use:
        return "nothing left behind by earlier podnotes runs"
    parts = []
    if orphaned:
        parts.append(f"{orphaned} left behind by podnotes runs that have ended (`podnotes cleanup` lists them "
                     "and offers to remove them)")
    else:
        parts.append("nothing left behind by earlier podnotes runs")
    if in_use:
        parts.append(f"{in_use} more in use by running podnotes processes or of unknown origin "
                     "(`podnotes cleanup --all` lists them too)")
    return "; ".join(parts)


def _user_namespace_detail(facts) -> str:
    from podnotes.linux import machine, rootless

    restrictions = machine.user_namespace_restrictions()
    if restrictions:
        return "forbidden: " + "; ".join(str(item) for item in restrictions)
    if not facts.user_namespaces:
        return "not available to this process"
    if facts.cap_sys_admin:
        return "allowed (chapters 2-6 use root's own namespaces)"
    return f"allowed: chapters 2-6 run rootless; ID map {rootless.mapping().describe()}"


def _mark(ok: bool) -> str:
    return "ok" if ok else "no"


def format_table(facts, docker_problem: str | None = None) -> str:
    from podnotes.linux.machine import NEEDED_CONTROLLERS

    controllers = ", ".join(facts.cgroup_controllers) or "none"
    rows = [
        ("Linux", _mark(facts.linux), f"kernel {facts.kernel}"),
        ("root", _mark(facts.root), "everything; without it, what user namespaces and delegation allow"),
        ("CAP_SYS_ADMIN", _mark(facts.cap_sys_admin), "create namespaces in the host's user namespace"),
        ("user namespaces", _mark(facts.user_namespaces), _user_namespace_detail(facts)),
        ("cgroups", _mark(facts.can_limit_resources),
         f"{facts.cgroup_version}; controllers: {controllers} (needs {', '.join(NEEDED_CONTROLLERS)})"),
        ("systemd", _mark(facts.systemd), "init system (not needed)"),
    ]
    for name, path in facts.tools.items():
        if name == "docker" and path is not None and docker_problem:
            rows.append((name, _mark(False), f"{path}, but {docker_problem}"))
            continue
        rows.append((name, _mark(path is not None), path or "not installed"))
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{'CHECK'.ljust(width)}  OK  DETAIL"]
    lines += [f"{name.ljust(width)}  {mark.ljust(2)}  {detail}" for name, mark, detail in rows]
    if facts.can_limit_resources and facts.can_create_namespaces:
        verdict = "the namespace and cgroup experiments can run here"
        if facts.rootless:
            verdict += ", rootless: inside a user namespace of this user's own"
    else:
        verdict = "sections that cannot run here say so once, with the command that runs them"
    lines.append(f"\n{verdict}")
    return "\n".join(lines)
