"""What runs inside the launched processes of :mod:`podnotes.linux.userns`.

Two probes (registered in ``podnotes.linux.views.PROBES``):

- :func:`pod_user_namespace`: the process of a Pod with ``hostUsers: false``.
  It becomes root of its user namespace, waits until the host has looked at it,
  then tries what root can do there and what it cannot do to the host;
- :func:`idmapped_volume`: root on the host makes an idmapped mount of a
  volume for that user namespace (what containerd 2 and runc 1.2+ do for a
  Pod's volumes, with ``mount_setattr(2)`` and ``MOUNT_ATTR_IDMAP``), and
  compares the owners the host and the Pod see, with and without the idmap.

They run in fresh single-threaded children (``podnotes.linux.launcher``),
never in a notebook kernel. Sources: user_namespaces(7), capabilities(7)
("Interaction with user namespaces"), mount_setattr(2), open_tree(2) and
move_mount(2) in the Linux man-pages, and the kernel's
``Documentation/filesystems/idmappings.rst``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
import time

from podnotes.linux import syscalls

# The newer mount system calls have one number on every architecture (the unified table since 5.1).
OPEN_TREE, MOVE_MOUNT, MOUNT_SETATTR = 428, 429, 442
OPEN_TREE_CLONE = 1
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_IDMAP = 0x00100000
GO_TIMEOUT = 30.0


class _MountAttr(ctypes.Structure):
    """``struct mount_attr`` of mount_setattr(2)."""

    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _syscall(number: int, *args) -> int:
    libc = syscalls.libc()
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def idmapped_mount(source: str, target: str, userns_path: str) -> None:
    """Mount a copy of ``source`` on ``target``, its owners shifted through the ID map of
    the user namespace ``userns_path`` (open_tree, mount_setattr with MOUNT_ATTR_IDMAP,
    move_mount). Needs CAP_SYS_ADMIN over the filesystem (root on the host)."""
    tree = _syscall(OPEN_TREE, ctypes.c_int(AT_FDCWD), source.encode(),
                    ctypes.c_uint(OPEN_TREE_CLONE | os.O_CLOEXEC | AT_RECURSIVE))
    userns = os.open(userns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        attr = _MountAttr(attr_set=MOUNT_ATTR_IDMAP, userns_fd=userns)
        _syscall(MOUNT_SETATTR, ctypes.c_int(tree), b"", ctypes.c_uint(AT_EMPTY_PATH | AT_RECURSIVE),
                 ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
        _syscall(MOVE_MOUNT, ctypes.c_int(tree), b"", ctypes.c_int(AT_FDCWD), target.encode(),
                 ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH))
    finally:
        os.close(userns)
        os.close(tree)


def _outcome(action) -> str:
    """``"allowed"``, or the errno name of the refusal (``"EPERM"``, ``"EACCES"`` ...)."""
    try:
        action()
    except OSError as err:
        return errno.errorcode.get(err.errno or 0, str(err))
    return "allowed"


def _become_root() -> None:
    os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def _wait_for(path: str, timeout: float = GO_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the host did not finish looking within {timeout:.0f} s")
        time.sleep(0.01)


def _status_field(name: str) -> str:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def _sethostname(name: str) -> None:
    if syscalls.libc().sethostname(name.encode(), len(name)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def pod_user_namespace(scratch: str, go_file: str) -> dict:
    """Inside a new user namespace and mount namespace whose maps the host wrote: become
    root, say ready, wait for ``go_file``, then try each action. Returns uid, ``id``'s
    output, CapEff (hex), the file made in ``scratch`` and each action's outcome."""
    _become_root()
    from podnotes.linux import views

    views._announce_ready()
    _wait_for(go_file)
    made = os.path.join(scratch, "made-by-container-root")
    with open(made, "w") as handle:
        handle.write("written by uid 0 in the Pod\n")
    inner_mount = os.path.join(scratch, "tmpfs-inside")
    os.mkdir(inner_mount)
    identity = subprocess.run(["id"], capture_output=True, text=True, timeout=10).stdout.strip()
    return {
        "uid": os.getuid(), "gid": os.getgid(), "id": identity, "cap_eff": _status_field("CapEff"),
        "file": made, "shadow_owner": os.stat("/etc/shadow").st_uid,
        "actions": {
            "read /etc/shadow": _outcome(lambda: open("/etc/shadow").close()),
            "mount a tmpfs in its own mount namespace":
                _outcome(lambda: syscalls.mount("tmpfs", inner_mount, "tmpfs", 0, "size=1m")),
            "enter the host's mount namespace": _outcome(lambda: syscalls.setns("/proc/1/ns/mnt")),
            "set the host's hostname": _outcome(lambda: _sethostname("pod-owns-the-host")),
            "signal the host's PID 1": _outcome(lambda: os.kill(1, 0)),
            "chown a file to an unmapped uid": _outcome(lambda: os.chown(made, 70_000, 70_000)),
        },
    }


def _owners(*paths: str) -> list[int]:
    return [os.stat(path).st_uid for path in paths]


def idmapped_volume(volume: str, mount_point: str, userns_path: str) -> dict:
    """As root on the host, in a private mount namespace: mount ``volume`` on ``mount_point``
    idmapped through ``userns_path``; read the owner of ``volume/data`` through both paths from
    the host, then join that user namespace as its root and read them again, and try to write
    through each. Returns owners as ``{"host": [plain, idmapped], "pod": [...]}``."""
    idmapped_mount(volume, mount_point, userns_path)
    plain, mapped = os.path.join(volume, "data"), os.path.join(mount_point, "data")
    host = _owners(plain, mapped)
    syscalls.setns(userns_path, syscalls.CLONE_NEWUSER)
    _become_root()
    pod = _owners(plain, mapped)
    written = os.path.join(mount_point, "written-by-pod-root")
    writes = {
        "plain": _outcome(lambda: open(os.path.join(volume, "written-by-pod-root"), "w").close()),
        "idmapped": _outcome(lambda: open(written, "w").close()),
    }
    return {"host": host, "pod": pod, "writes": writes,
            "written_owner_pod": os.stat(written).st_uid if writes["idmapped"] == "allowed" else None}
