"""``podnotes doctor``: what this machine lets the book's experiments do."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check which experiments this machine can run (root, namespaces, cgroups, tools)",
        description="Report whether this process runs on Linux as root (CAP_SYS_ADMIN), may create user "
                    "namespaces, which cgroup layout (v1, hybrid, v2) and controllers the machine has, whether "
                    "systemd is the init system, and which tools (unshare, nsenter, ip, busybox, kubectl, kind, "
                    "docker) are installed. Exit status 0 whatever the findings.",
    )
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from podnotes.linux.capabilities import detect
    from podnotes.linux.privileges import missing

    from podnotes.linux import leaks

    facts = detect()
    left = leaks.find()
    if args.output == "json":
        report = facts.as_dict()
        report["can_run"] = {requirement: missing(requirement, facts) is None for requirement in ("namespaces", "cgroups")}
        report["leftovers"] = {"orphaned": sum(item.orphaned for item in left),
                               "of_running_sessions": sum(not item.orphaned for item in left)}
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print(format_table(facts))
    print(leftovers_line(left))
    return 0


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
        parts.append(f"{in_use} more that podnotes processes still running may be using, or whose maker is "
                     "unknown (`podnotes cleanup --all` lists them too)")
    return "; ".join(parts)


def _mark(ok: bool) -> str:
    return "ok" if ok else "no"


def format_table(facts) -> str:
    from podnotes.linux.capabilities import NEEDED_CONTROLLERS

    controllers = ", ".join(facts.cgroup_controllers) or "none"
    rows = [
        ("Linux", _mark(facts.linux), f"kernel {facts.kernel}"),
        ("root", _mark(facts.root), "chroot, namespaces, cgroups and mounts need it"),
        ("CAP_SYS_ADMIN", _mark(facts.cap_sys_admin), "create namespaces, mount file systems"),
        ("user namespaces", _mark(facts.user_namespaces), "chapter 3's user namespace"),
        ("cgroups", _mark(facts.can_limit_resources),
         f"{facts.cgroup_version}; controllers: {controllers} (needs {', '.join(NEEDED_CONTROLLERS)})"),
        ("systemd", _mark(facts.systemd), "init system (not needed)"),
    ]
    for name, path in facts.tools.items():
        rows.append((name, _mark(path is not None), path or "not installed"))
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{'CHECK'.ljust(width)}  OK  DETAIL"]
    lines += [f"{name.ljust(width)}  {mark.ljust(2)}  {detail}" for name, mark, detail in rows]
    verdict = ("every experiment can run here" if facts.can_limit_resources and facts.can_create_namespaces
               else "privileged cells will say what they need and skip")
    lines.append(f"\n{verdict}")
    return "\n".join(lines)
