"""What a process sees, reported from inside an experiment.

These functions run in the launched process itself, after it has entered its
namespaces and switched its root (see ``podnotes.linux.launcher``). By then
the files of the host may be gone, so they use only modules that are already
imported, and they return plain JSON-ready data.
"""

from __future__ import annotations

import encodings.idna  # noqa: F401  socket needs it for host names, and it cannot be imported after a root switch
import os
import socket
import time

from podnotes.linux import syscalls, userns_probes

NAMESPACE_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")


def namespace_ids(pid: int | str = "self", proc: str = "/proc") -> dict[str, str]:
    """``{"net": "net:[4026531840]", ...}``: the identities ``lsns`` compares."""
    ids = {}
    for kind in NAMESPACE_KINDS:
        try:
            ids[kind] = os.readlink(f"{proc}/{pid}/ns/{kind}")
        except OSError:
            continue
    return ids


def interfaces() -> list[dict]:
    found = []
    for _index, name in socket.if_nameindex():
        found.append({"name": name, "up": syscalls.interface_is_up(name), "ipv4": syscalls.interface_ipv4(name)})
    return found


def mount_points() -> list[str]:
    try:
        with open("/proc/self/mounts") as mounts:
            return [line.split()[1] for line in mounts]
    except OSError:
        return []


def visible_pids() -> list[int]:
    try:
        return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    except OSError:
        return []


def sysv_queue_keys() -> list[int]:
    try:
        with open("/proc/sysvipc/msg") as table:
            rows = table.read().splitlines()[1:]
    except OSError:
        return []
    return sorted(int(row.split()[0]) for row in rows if row.strip())


def command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as raw:
            return raw.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def view() -> dict:
    """Everything the namespace chapters compare, seen from this process."""
    pids = visible_pids()
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "pids": pids,
        "commands": {str(pid): command_of(pid) for pid in pids[:50]},
        "hostname": socket.gethostname(),
        "interfaces": interfaces(),
        "mounts": mount_points(),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "namespaces": namespace_ids(),
        "root_entries": sorted(os.listdir("/")),
        "sysv_queues": sysv_queue_keys(),
    }


def create_queue(key: int) -> dict:
    """Create a System V message queue, then report the view."""
    syscalls.msgget(key)
    return view()


def effective_capabilities() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def identity(scratch_dir: str) -> dict:
    """Who this process is inside its user namespace, and what that means
    outside: create a file in ``scratch_dir`` and try a root-only file."""
    if os.getuid() != 0:
        try:
            os.setgid(0)
            os.setuid(0)
        except OSError:
            pass
    path = os.path.join(scratch_dir, f"made-by-{os.getpid()}")
    with open(path, "w") as made:
        made.write("hello\n")
    try:
        with open("/etc/shadow"):
            shadow = "readable"
    except PermissionError:
        shadow = "permission denied"
    except OSError as err:
        shadow = err.strerror  # type: ignore[assignment]
    return {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "all_capabilities": effective_capabilities() == _all_capabilities(),
        "file": path,
        "shadow": shadow,
        "namespaces": namespace_ids(),
    }


def _all_capabilities() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as last:
            return (1 << (int(last.read()) + 1)) - 1
    except OSError:
        return -1


def escape_chroot(root: str, marker: str) -> dict:
    """The classic chroot escape, done by root inside the chroot.

    Confine this process to ``root``, then: create a directory, chroot into
    it *without* changing directory (so the working directory is now outside
    the root), walk up with ``..`` past the old root, and chroot to where the
    walk ends: the host's ``/``. ``marker`` is a host path to look for.
    """
    os.chroot(root)
    os.chdir("/")
    return _walk_out_of_root(marker)


def try_escape(marker: str) -> dict:
    """The same escape from a root set up with ``pivot_root``: the walk up ends
    at the new root, because the old one is no longer mounted anywhere."""
    return _walk_out_of_root(marker)


def _walk_out_of_root(marker: str) -> dict:
    # chroot into a subfolder without entering it, so the working directory is
    # left outside the new root; then climb with ".." and make the top the root.
    confined = _root_view(marker)
    os.makedirs("/escape-hatch", exist_ok=True)
    os.chroot("/escape-hatch")
    for _ in range(64):
        os.chdir("..")
    os.chroot(".")
    os.chdir("/")
    return {"confined": confined, "escaped": _root_view(marker)}


def _root_view(marker: str) -> dict:
    return {"root_entries": sorted(os.listdir("/")), "marker_visible": os.path.exists(marker)}


def serve(port: int, message: str, address: str = "127.0.0.1") -> dict:
    """Answer every TCP connection on ``address:port`` with ``message``; never returns."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(8)
    _announce_ready()
    while True:
        connection, _peer = server.accept()
        with connection:
            connection.sendall(f"{message} (hostname {socket.gethostname()})\n".encode())


def fetch(port: int, address: str = "127.0.0.1", timeout: float = 5.0) -> dict:
    """Connect to ``address:port`` and return what the server says."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=timeout) as connection:
                data = b""
                while chunk := connection.recv(4096):
                    data += chunk
            return {"reply": data.decode().strip(), "namespaces": namespace_ids()}
        except OSError as err:  # refused, unreachable, timed out
            if time.monotonic() > deadline:
                return {"reply": None, "error": str(err), "namespaces": namespace_ids()}
            time.sleep(0.05)


def mount_tmpfs(target: str) -> dict:
    """Mount a fresh tmpfs on ``target`` and write a file into it."""
    syscalls.mount("podnotes-tmpfs", target, "tmpfs", 0, "size=1m")
    with open(os.path.join(target, "inside.txt"), "w") as note:
        note.write("written inside the mount namespace\n")
    return {"entries": sorted(os.listdir(target)), "mounts": mount_points()}


def cgroup_membership() -> dict:
    """The lines of ``/proc/self/cgroup`` (``ID:CONTROLLERS:PATH``), as this
    process's cgroup namespace shows them: paths are relative to the cgroup the
    namespace was created in, so inside a new one they read ``/``."""
    with open("/proc/self/cgroup") as own:
        lines = [line.strip() for line in own if line.strip()]
    return {"lines": lines, "paths": sorted({line.split(":", 2)[2] for line in lines}),
            "namespaces": namespace_ids()}


def proc_root_escape(marker: str) -> dict:
    """After ``pivot_root`` with the host's PIDs still visible in ``/proc``:
    does ``marker`` (a host path) exist under ``/proc/PID/root`` of a host
    process, here the parent that launched this one? That link is the host
    process's root directory, and root with ``CAP_SYS_PTRACE`` over the process
    may follow it (proc(5), "/proc/pid/root"; the classic target is PID 1)."""
    confined = _root_view(marker)
    host_root = f"/proc/{os.getppid()}/root"
    return {"confined": confined, "escaped": {"root_entries": sorted(os.listdir(host_root)),
                                              "marker_visible": os.path.exists(host_root + marker)}}


_ready_callback = None


def _announce_ready() -> None:
    if _ready_callback is not None:
        _ready_callback()


PROBES = {
    "view": view,
    "create_queue": create_queue,
    "identity": identity,
    "escape_chroot": escape_chroot,
    "try_escape": try_escape,
    "serve": serve,
    "fetch": fetch,
    "mount_tmpfs": mount_tmpfs,
    "cgroup_membership": cgroup_membership,
    "proc_root_escape": proc_root_escape,
    "pod_user_namespace": userns_probes.pod_user_namespace,
    "idmapped_volume": userns_probes.idmapped_volume,
}
