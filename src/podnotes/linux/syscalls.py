"""The few Linux system calls the experiments need and Python 3.10/3.11 lack.

``os.unshare`` and ``os.setns`` arrived in Python 3.12; ``mount``,
``umount2`` and ``pivot_root`` are not in the standard library at all. These
wrappers call libc through ctypes and raise ``OSError`` with the real errno.

Only single-threaded processes should call them: the experiments run them in
fresh child processes (see ``podnotes.linux.launcher``), never in a notebook
kernel, whose extra threads make ``unshare(CLONE_NEWUSER)`` fail and confine
other namespace changes to one thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import platform
import socket
import struct

from podnotes.linux import calltrace

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# Names as /proc/PID/ns/ spells them, and the flag that creates each.
NAMESPACE_FLAGS = {
    "mnt": CLONE_NEWNS,
    "uts": CLONE_NEWUTS,
    "ipc": CLONE_NEWIPC,
    "user": CLONE_NEWUSER,
    "pid": CLONE_NEWPID,
    "net": CLONE_NEWNET,
    "cgroup": CLONE_NEWCGROUP,
}

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
MOUNT_FLAG_NAMES = {MS_RDONLY: "MS_RDONLY", MS_REMOUNT: "MS_REMOUNT", MS_BIND: "MS_BIND", MS_REC: "MS_REC",
                    MS_PRIVATE: "MS_PRIVATE"}

# glibc has no pivot_root() wrapper, so it goes through syscall(2).
_PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41, "i686": 217, "i386": 217, "armv7l": 218,
                       "ppc64le": 203, "s390x": 217, "riscv64": 41}

_libc = None


def libc() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def flags_for(names) -> int:
    """The CLONE_NEW* bit mask for namespace names such as ``["pid", "mnt"]``."""
    mask = 0
    for name in names:
        try:
            mask |= NAMESPACE_FLAGS[name]
        except KeyError:
            raise ValueError(f"unknown namespace {name!r}; expected one of {sorted(NAMESPACE_FLAGS)}") from None
    return mask


def kinds_for(flags: int) -> list[str]:
    """The namespace names a CLONE_NEW* mask sets (the inverse of :func:`flags_for`)."""
    return [name for name, flag in NAMESPACE_FLAGS.items() if flags & flag]


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), f"unshare({flags:#x})")
    calltrace.record("unshare", kinds_for(flags))


def setns(path: str, nstype: int = 0) -> None:
    """Join the namespace that ``path`` (a ``/proc/PID/ns/*`` file) names."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(libc().setns(fd, nstype), f"setns({path})")
    finally:
        os.close(fd)
    calltrace.record("setns", path, os.path.basename(path))


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    encode = lambda value: value.encode() if value is not None else None  # noqa: E731
    _check(libc().mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {source} on {target}")
    calltrace.record("mount", source, target, fstype, _flag_names(flags), data)


def umount2(target: str, flags: int = 0) -> None:
    _check(libc().umount2(target.encode(), flags), f"umount {target}")
    calltrace.record("umount2", target, ["MNT_DETACH"] if flags & MNT_DETACH else [])


def _flag_names(flags: int) -> list[str]:
    return [name for bit, name in MOUNT_FLAG_NAMES.items() if flags & bit]


def pivot_root(new_root: str, put_old: str) -> None:
    number = _PIVOT_ROOT_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(38, f"pivot_root: syscall number unknown for {platform.machine()}")
    _check(libc().syscall(number, new_root.encode(), put_old.encode()), f"pivot_root({new_root}, {put_old})")
    calltrace.record("pivot_root", new_root, put_old)


SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCGIFADDR = 0x8915
IFF_UP = 0x1


def _ifreq(name: str) -> bytes:
    return struct.pack("16s16s", name.encode(), b"")


def interface_is_up(name: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        reply = fcntl.ioctl(sock, SIOCGIFFLAGS, _ifreq(name))
    return bool(struct.unpack("16sH", reply[:18])[1] & IFF_UP)


def set_interface_up(name: str) -> None:
    """``ip link set NAME up``, done with one ioctl so no program is needed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        reply = fcntl.ioctl(sock, SIOCGIFFLAGS, _ifreq(name))
        flags = struct.unpack("16sH", reply[:18])[1] | IFF_UP
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", name.encode(), flags, b""))
    calltrace.record("ioctl", name)


def interface_ipv4(name: str) -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            reply = fcntl.ioctl(sock, SIOCGIFADDR, _ifreq(name))
        except OSError:
            return None  # no IPv4 address
    return socket.inet_ntoa(reply[20:24])


IPC_CREAT = 0o1000


def msgget(key: int) -> int:
    """Create (or open) the System V message queue ``key``; returns its id."""
    queue = libc().msgget(ctypes.c_int(key), ctypes.c_int(IPC_CREAT | 0o600))
    if queue < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"msgget({key:#x}): {os.strerror(errno)}")
    return queue
