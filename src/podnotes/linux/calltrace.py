"""The system calls a launched child made, recorded as it makes them, so a page
can show them in order next to the shell commands that make the same calls.

The child (``podnotes.linux.launcher``) opens a trace file when its spec names
one; every wrapper in ``podnotes.linux.syscalls``, and the launcher's own file
writes, ``sethostname``, ``fork`` and ``execve``, then append one JSON line per
successful call: ``{"call": NAME, "args": [...], "result": ...}``. Nothing is
recorded when no trace file is open.

Shell equivalents follow util-linux (unshare(1), nsenter(1), mount(8),
umount(8), pivot_root(8)) and iproute2 (``ip link set lo up``).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

_trace = None

# unshare(1) and nsenter(1) short options for each namespace kind.
KIND_OPTIONS = {"mnt": "m", "uts": "u", "ipc": "i", "net": "n", "pid": "p", "user": "U", "cgroup": "C"}
CLONE_NAMES = {"mnt": "CLONE_NEWNS", "uts": "CLONE_NEWUTS", "ipc": "CLONE_NEWIPC", "net": "CLONE_NEWNET",
               "pid": "CLONE_NEWPID", "user": "CLONE_NEWUSER", "cgroup": "CLONE_NEWCGROUP"}


def start(path: str | None) -> None:
    """In the child: record every following call into ``path`` (nothing when ``None``)."""
    global _trace
    if path:
        _trace = open(path, "a", buffering=1)  # noqa: SIM115 - stays open for the child's remaining calls


def record(call: str, *args, result=0) -> None:
    """Append one made call to the trace, if one is open."""
    if _trace is not None:
        _trace.write(json.dumps({"call": call, "args": list(args), "result": result}) + "\n")


@dataclass(frozen=True)
class Call:
    """One system call a child made: ``name`` (``mount``), ``args`` as recorded, ``result``."""

    name: str
    args: tuple
    result: object = 0

    def c(self) -> str:
        """The call as C would write it: ``unshare(CLONE_NEWPID | CLONE_NEWNS)``."""
        if self.name == "unshare":
            return f"unshare({' | '.join(CLONE_NAMES[kind] for kind in self.args[0])})"
        if self.name == "setns":
            path, kind = self.args
            return f'setns(open("{path}"), {CLONE_NAMES[kind]})'
        if self.name == "mount":
            source, target, fstype, flags, data = self.args
            return (f"mount({_c_string(source)}, {_c_string(target)}, {_c_string(fstype)}, "
                    f"{' | '.join(flags) or '0'}, {_c_string(data)})")
        if self.name == "umount2":
            return f'umount2("{self.args[0]}", {" | ".join(self.args[1]) or "0"})'
        if self.name == "write":
            return f'write(open("{self.args[0]}"), "{self.args[1]}")'
        if self.name == "fork":
            return f"fork() = {self.result}"
        if self.name == "execve":
            return f'execve("{self.args[0]}", {json.dumps(self.args[1])})'
        if self.name == "ioctl":
            return f'ioctl(socket, SIOCSIFFLAGS, "{self.args[0]}" | IFF_UP)'
        return f"{self.name}({', '.join(_c_string(arg) for arg in self.args)})"

    def shell(self) -> str:
        """The shell command that makes the same call (``mount --make-rprivate /``)."""
        if self.name == "unshare":
            return "unshare -" + "".join(KIND_OPTIONS[kind] for kind in self.args[0])
        if self.name == "setns":
            path, kind = self.args
            return f"nsenter -t {path.split('/')[2]} -{KIND_OPTIONS[kind]}"
        if self.name == "fork":
            return "unshare -f (fork after unshare)"
        if self.name == "write":
            path, text = self.args
            return f"echo $$ > {path}" if path.endswith("cgroup.procs") else f"echo '{text}' > {path}"
        if self.name == "sethostname":
            return f"hostname {self.args[0]}"
        if self.name == "ioctl":
            return f"ip link set {self.args[0]} up"
        if self.name == "mount":
            return _mount_shell(*self.args)
        if self.name == "umount2":
            return f"umount {'-l ' if 'MNT_DETACH' in self.args[1] else ''}{self.args[0]}"
        if self.name == "pivot_root":
            return f"pivot_root {self.args[0]} {self.args[1]}"
        if self.name == "chdir":
            return f"cd {self.args[0]}"
        if self.name == "chroot":
            return f"chroot {self.args[0]}"
        if self.name == "execve":
            return "exec " + shlex.join(self.args[1])
        return self.c()


def _c_string(value) -> str:
    return "NULL" if value is None else f'"{value}"'


def _mount_shell(source, target, fstype, flags, data) -> str:
    if source is None and "MS_PRIVATE" in flags:
        return f"mount --make-{'r' if 'MS_REC' in flags else ''}private {target}"
    if "MS_BIND" in flags:
        return f"mount --{'r' if 'MS_REC' in flags else ''}bind {source} {target}"
    options = f" -o {data}" if data else ""
    return f"mount -t {fstype}{options} {source} {target}"


def read_calls(path: Path | str) -> list[Call]:
    """The calls recorded in ``path``, in the order they were made (an empty list for a missing file)."""
    path = Path(path)
    if not path.exists():
        return []
    calls = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        calls.append(Call(entry["call"], tuple(entry["args"]), entry.get("result", 0)))
    return calls


def short_names(calls: list[Call], rootfs: str, cgroup: str, mounts: Path = Path("/proc/mounts")) -> dict[str, str]:
    """Short names for :func:`listing`: ``rootfs`` becomes ``$ROOTFS``; each directory of the cgroup named
    ``cgroup`` becomes the mount point of its hierarchy (from ``mounts``), ``/…`` for any groups between,
    and ``$GROUP`` (``/sys/fs/cgroup/memory/…/$GROUP``), so neither this machine's paths nor its cgroup
    layout shows."""
    cgroup_mounts = [line.split()[1] for line in mounts.read_text().splitlines()
                     if len(line.split()) > 2 and line.split()[2] in ("cgroup", "cgroup2")]
    names = {rootfs: "$ROOTFS"}
    for call in calls:
        if call.name != "write" or not call.args[0].endswith("/cgroup.procs"):
            continue
        directory = call.args[0].rsplit("/", 1)[0]
        if directory.rsplit("/", 1)[-1] != cgroup:
            continue
        mount = max((m for m in cgroup_mounts if directory.startswith(m + "/")), key=len, default=None)
        if mount is None:
            continue
        between = "/…" if directory[len(mount) + 1:].count("/") else ""
        names[directory] = f"{mount}{between}/$GROUP"
    return names


def listing(calls: list[Call], names: dict[str, str] | None = None) -> str:
    """The calls as a page shows them: each call as C writes it, and under it, after ``$``, the shell command
    that makes the same call. ``names`` replaces long strings (a root file system's path) with short names
    (``$ROOTFS``); lines are wrapped to the book's width."""
    from podnotes.display import wrap

    lines = []
    for call in calls:
        lines.append(call.c())
        lines.append(f"    $ {call.shell()}")
    text = "\n".join(lines)
    for long, short in sorted((names or {}).items(), key=lambda item: -len(item[0])):
        text = text.replace(long, short)
    return wrap(text)
