"""Start one process inside new or existing namespaces, a cgroup and a root
of its own: the small runtime behind every namespace experiment.

The caller (a notebook kernel, a test) never changes its own process state.
It starts a fresh, single-threaded Python child, ``python -m
podnotes.linux.launcher SPEC``, which performs the steps a container runtime
performs, in the same order, then either runs a *probe* (a function from
``podnotes.linux.views`` that reports what the process sees) or replaces
itself with the requested program:

1. join cgroups (write its PID to ``cgroup.procs``);
2. join existing namespaces (``setns``), e.g. those of a pause process;
3. create new namespaces (``unshare``); map user IDs for a user namespace;
4. fork, when a PID namespace is involved: only children enter it, and the
   first child becomes PID 1 (the launcher stays outside, relays signals
   and exits with the child's status);
5. make all mounts private, set the host name, bring up loopback;
6. switch root (``pivot_root`` or ``chroot``) and mount a fresh ``/proc``;
7. run the probe, or ``exec`` the program.

The child reports its host PID and results as JSON lines on a pipe, so that
output of the program itself stays on stdout and stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from podnotes.linux import calltrace, syscalls, views
from podnotes.linux.processes import MARKER_ENV, Children

CONTAINER_PATH = "/bin:/sbin:/usr/bin:/usr/sbin"
PR_SET_PDEATHSIG = 1


class LaunchError(RuntimeError):
    """A step in the launched child failed; the message names the step."""


@dataclass
class Spec:
    """What the launched process should be and see. JSON-serialisable."""

    argv: list[str] | None = None
    probe: str | None = None
    probe_args: list[Any] = field(default_factory=list)
    unshare: list[str] = field(default_factory=list)  # "pid", "mnt", "uts", "ipc", "net", "user", "cgroup"
    join: dict[str, str] = field(default_factory=dict)  # kind -> /proc/PID/ns/KIND
    cgroup_procs: list[str] = field(default_factory=list)
    hostname: str | None = None
    loopback_up: bool = False
    rootfs: str | None = None
    root_mode: str = "pivot_root"  # or "chroot"
    mount_proc: bool = False
    proc_before_pivot: bool = False  # mount /proc while the host's is still visible (user namespaces need it)
    bind_host_proc: bool = False  # the host's /proc bound into the new root (rootless, no new PID namespace)
    populate_dev: bool = False  # a tmpfs /dev with null, zero, random, urandom (needs pivot_root)
    map_root_to_self: bool = False  # user namespace: uid 0 inside = our uid outside
    map_subordinate_ids: bool = False  # user namespace: also /etc/subuid's range, by newuidmap (rootless.py)
    handshake: bool = False  # pause after unshare until the parent says go (to write ID maps)
    env: dict[str, str] | None = None
    status_fd: int = -1
    go_fd: int = -1
    trace: str | None = None  # a file the child records its system calls into (podnotes.linux.calltrace)

    def __post_init__(self) -> None:
        syscalls.flags_for(self.unshare)  # rejects unknown names
        syscalls.flags_for(self.join)
        if (self.argv is None) == (self.probe is None):
            raise ValueError("give exactly one of argv (a program to exec) or probe (a views function)")
        if self.probe is not None and self.probe not in views.PROBES:
            raise ValueError(f"unknown probe {self.probe!r}; expected one of {sorted(views.PROBES)}")
        if self.root_mode not in ("pivot_root", "chroot"):
            raise ValueError(f"root_mode must be 'pivot_root' or 'chroot', not {self.root_mode!r}")
        private_mounts = "mnt" in self.unshare
        if self.mount_proc and not private_mounts:
            raise ValueError("mount_proc needs 'mnt' in unshare: /proc would be mounted on the host")
        if self.bind_host_proc and not (self.rootfs and self.root_mode == "pivot_root"):
            raise ValueError("bind_host_proc needs a rootfs entered with pivot_root")
        if self.populate_dev and not (self.rootfs and self.root_mode == "pivot_root"):
            raise ValueError("populate_dev needs a rootfs entered with pivot_root")
        if self.rootfs and self.root_mode == "pivot_root" and not private_mounts:
            raise ValueError("pivot_root needs 'mnt' in unshare: it would change the host's root")

    @property
    def enters_pid_namespace(self) -> bool:
        return "pid" in self.unshare or "pid" in self.join


# --------------------------------------------------------------------------
# Parent side: start the child, read what it reports.

# How long a child may take to report that it started or is ready. A healthy
# child reports within a second; this bound only decides when a hung one is
# given up on, so it is generous enough for a machine whose CPUs other
# programs keep busy.
START_TIMEOUT = 60.0


@dataclass
class Launched:
    """A launched process: ``pid`` is its host PID (the process that runs the
    probe or program, inside any PID namespace)."""

    process: Any  # subprocess.Popen of the launcher
    pid: int
    _status: _LineReader
    _go_fd: int

    def proceed(self) -> None:
        """Let a child that waits for its ID maps (``handshake``) continue."""
        if self._go_fd >= 0:
            os.write(self._go_fd, b"go\n")
            os.close(self._go_fd)
            self._go_fd = -1

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until a serving probe says it is listening."""
        message = self._next_message(timeout, "ready")
        if message is None or "ready" not in message:
            raise LaunchError(f"launched process {self.pid} did not become ready: {message or self._stderr()}")

    def result(self, timeout: float = 30.0) -> Any:
        """The probe's return value (waits for the process to finish)."""
        message = self._next_message(timeout, "result")
        self.process.wait(timeout=timeout)
        if message is None:
            raise LaunchError(f"launched process exited with {self.process.returncode} "
                              f"before reporting: {self._stderr()}")
        if "error" in message:
            raise LaunchError(message["error"])
        return message["result"]

    def _next_message(self, timeout: float, wanted: str) -> dict | None:
        # Skips PID reports (a PID-namespace child announces itself after a handshake).
        deadline = time.monotonic() + timeout
        while True:
            message = self._status.read(max(0.0, deadline - time.monotonic()))
            if message is None or wanted in message or "error" in message:
                return message
            if "pid" in message:
                self.pid = message["pid"]

    def _stderr(self) -> str:
        if self.process.poll() is None or not self.process.stderr:
            return "no message"
        return self.process.stderr.read().strip() or "no message"

    def close(self) -> None:
        self._status.close()
        if self._go_fd >= 0:
            os.close(self._go_fd)
            self._go_fd = -1


class _LineReader:
    def __init__(self, fd: int):
        self.fd, self.buffer = fd, b""

    def read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if self.fd < 0 or remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.close()
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def rootless_spec(spec: Spec) -> Spec:
    """``spec`` as a process without ``CAP_SYS_ADMIN`` can run it (podnotes.linux.rootless):
    new namespaces are created inside a new user namespace (mapped by newuidmap where
    ``/etc/subuid`` delegates a range, one ID otherwise), and namespaces are joined
    after the user namespace that owns them. Unchanged for a privileged process."""
    from podnotes.linux import rootless

    if not rootless.needs_user_namespace() or not (spec.unshare or spec.join or spec.rootfs):
        return spec
    join = dict(spec.join)
    if join and "user" not in join:
        owner = _owning_user_namespace(next(iter(join.values())))
        if owner is not None:
            join = {"user": owner, **join}
    # chroot needs CAP_SYS_CHROOT, which a user namespace of its own gives
    unshare = list(spec.unshare) if spec.unshare or join else ["user"]
    changes: dict[str, Any] = {"join": join}
    if unshare and "user" not in join and (unshare == ["user"] or "user" not in unshare):
        if "user" not in unshare:
            unshare.insert(0, "user")
        if not spec.handshake and not spec.map_root_to_self:
            subordinate = rootless.mapping().kind == "subordinate"
            changes.update(map_subordinate_ids=subordinate, map_root_to_self=not subordinate)
    changes["unshare"] = unshare
    if spec.mount_proc and not spec.enters_pid_namespace:
        # a proc mount for the host's PID namespace takes CAP_SYS_ADMIN over it; binding the
        # host's /proc shows the same processes (what rootless engines do for --pid=host)
        changes.update(mount_proc=False, bind_host_proc=True)
    elif spec.mount_proc and spec.rootfs and spec.root_mode == "pivot_root":
        # inside a user namespace the kernel mounts a new proc only where a full one is
        # visible (fs/namespace.c mount_too_revealing): before the old root goes
        changes["proc_before_pivot"] = True
    return Spec(**{**asdict(spec), **changes})


def _owning_user_namespace(ns_file: str) -> str | None:
    """``/proc/PID/ns/user`` for a namespace file ``/proc/PID/ns/KIND``, when
    that user namespace is not this process's own (joining one's own fails)."""
    parts = ns_file.split("/")
    if len(parts) != 5 or parts[1] != "proc" or parts[3] != "ns":
        return None
    owner = f"/proc/{parts[2]}/ns/user"
    try:
        return None if os.readlink(owner) == os.readlink("/proc/self/ns/user") else owner
    except OSError:
        return None


def start(spec: Spec, group: Children, timeout: float = START_TIMEOUT, **popen_kwargs) -> Launched:
    """Start the launcher for ``spec`` as a member of ``group`` (which stops
    it on exit). Returns once the child has reported its host PID; a child
    with ``handshake`` is then waiting for ``proceed()``. Without
    ``CAP_SYS_ADMIN`` the spec runs rootless (:func:`rootless_spec`)."""
    spec = rootless_spec(spec)
    status_read, status_write = os.pipe()
    go_read, go_write = os.pipe() if spec.handshake else (-1, -1)
    spec = Spec(**{**asdict(spec), "status_fd": status_write, "go_fd": go_read})
    passed = [fd for fd in (status_write, go_read) if fd >= 0]
    try:
        env = {**popen_kwargs.pop("env", os.environ), SPEC_ENV: json.dumps(asdict(spec))}
        process = group.start([sys.executable, "-m", "podnotes.linux.launcher", *_label(spec)], pass_fds=passed,
                              env=env, **popen_kwargs)
    finally:
        for fd in passed:
            os.close(fd)
    reader = _LineReader(status_read)
    launched = Launched(process=process, pid=-1, _status=reader, _go_fd=go_write)
    first = reader.read(timeout)
    if first is None or "pid" not in first:
        launched.close()
        process.wait(timeout=timeout)
        error = first["error"] if first and "error" in first else launched._stderr()
        raise LaunchError(error)
    launched.pid = first["pid"]
    return launched


def _label(spec: Spec) -> list[str]:
    """Words that only describe the launch in ``ps`` (the spec travels in the environment)."""
    if spec.probe is not None:
        return [spec.probe, *(str(arg) for arg in spec.probe_args)]
    return ["exec", *spec.argv]  # type: ignore[misc]


def run_probe(spec: Spec, timeout: float = 30.0) -> Any:
    """Launch ``spec`` (a probe) and return what it reports."""
    with Children() as group:
        launched = start(spec, group, timeout=timeout)
        try:
            return launched.result(timeout)
        finally:
            launched.close()


def run_program(spec: Spec, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Launch ``spec`` (a program) and wait for it; returns its exit status and output."""
    with Children() as group:
        launched = start(spec, group, timeout=timeout)
        try:
            stdout, stderr = launched.process.communicate(timeout=timeout)
        finally:
            launched.close()
        return subprocess.CompletedProcess(spec.argv, launched.process.returncode, stdout, stderr)  # type: ignore[arg-type]


SPEC_ENV = "PODNOTES_LAUNCH_SPEC"


# --------------------------------------------------------------------------
# Child side.


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG on the launcher itself, then make sure the parent did not die before that."""
    syscalls.libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    creator = os.environ.get(MARKER_ENV, "")
    if creator.isdigit() and os.getppid() != int(creator):
        os._exit(1)  # the process that started us is already gone: nothing would ever stop us


def main(spec_json: str) -> None:
    _die_with_parent()
    spec = Spec(**json.loads(spec_json))
    status = os.fdopen(spec.status_fd, "w", buffering=1)
    os.set_inheritable(spec.status_fd, False)

    def report(**message) -> None:
        status.write(json.dumps(message) + "\n")
        status.flush()

    step = "starting"
    try:
        calltrace.start(spec.trace)
        step = "joining cgroups"
        for procs in spec.cgroup_procs:
            with open(procs, "w") as target:
                target.write(str(os.getpid()))
            calltrace.record("write", procs, str(os.getpid()))
        step = "joining namespaces"
        for kind in ("user", "ipc", "uts", "net", "pid", "cgroup", "mnt"):
            if kind in spec.join:
                syscalls.setns(spec.join[kind], syscalls.NAMESPACE_FLAGS[kind])
        step = "creating namespaces"
        outer_uid, outer_gid = os.getuid(), os.getgid()
        if spec.map_subordinate_ids:
            step = "mapping user IDs with newuidmap/newgidmap"
            _unshare_mapped_by_helpers(spec.unshare)
        elif spec.unshare:
            syscalls.unshare(syscalls.flags_for(spec.unshare))
        if spec.map_root_to_self:
            step = "mapping user IDs"
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {outer_uid} 1")
            _write("/proc/self/gid_map", f"0 {outer_gid} 1")
        if spec.handshake:
            report(pid=os.getpid(), stage="unshared")
            with os.fdopen(spec.go_fd) as go:
                if go.readline().strip() != "go":
                    raise LaunchError("the parent went away during the handshake")
        if spec.enters_pid_namespace:
            _fork_into_pid_namespace(report, status, spec.handshake)
        elif not spec.handshake:
            report(pid=os.getpid())
        step = "setting up the view"
        _prepare_view(spec)
    except Exception as err:  # reported to the parent, which raises LaunchError
        report(error=f"{step}: {err}")
        sys.exit(1)

    if spec.probe is not None:
        # As PID 1 of a namespace, a process ignores SIGTERM unless it handles it.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        views._ready_callback = lambda: report(ready=True)  # type: ignore[assignment]
        try:
            result = views.PROBES[spec.probe](*spec.probe_args)  # type: ignore[operator]
        except Exception as err:
            report(error=f"probe {spec.probe}: {type(err).__name__}: {err}")
            sys.exit(1)
        report(result=result)
        sys.exit(0)
    env = dict(spec.env) if spec.env is not None else {"PATH": CONTAINER_PATH, "HOME": "/", "TERM": "dumb"}
    # The creator's PID, also when the caller passed its own environment (which may carry another marker).
    env[MARKER_ENV] = os.environ.get(MARKER_ENV, "1")
    status.close()
    calltrace.record("execve", spec.argv[0], spec.argv)  # type: ignore[index]
    try:
        os.execvpe(spec.argv[0], spec.argv, env)  # type: ignore[arg-type, index]
    except OSError as err:
        print(f"podnotes launcher: cannot run {spec.argv[0]}: {err.strerror}", file=sys.stderr)  # type: ignore[index]
        sys.exit(127)


def _unshare_mapped_by_helpers(kinds: list[str]) -> None:
    """unshare(), then have a process left outside the new user namespace run
    ``newuidmap``/``newgidmap`` for us, as Podman and RootlessKit do: setuid
    helpers only work from the parent namespace."""
    from podnotes.linux import rootless

    chosen = rootless.mapping()
    me = os.getpid()
    go_read, go_write = os.pipe()
    done_read, done_write = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.close(go_write)
        os.close(done_read)
        os.read(go_read, 1)
        try:
            rootless.write_maps_with_helpers(me, chosen)
            failure = ""
        except Exception as err:  # reported through the pipe, raised by the caller
            failure = str(err)
        os.write(done_write, failure.encode())
        os._exit(0)
    os.close(go_read)
    os.close(done_write)
    try:
        syscalls.unshare(syscalls.flags_for(kinds))
    finally:
        os.write(go_write, b"x")
        os.close(go_write)
    with os.fdopen(done_read, "rb") as done:
        message = done.read().decode()
    os.waitpid(helper, 0)
    if message:
        raise LaunchError(message)
    # written by newuidmap/newgidmap into /proc/PID/*_map, one write each, lines as C spells them
    for name, lines in (("uid_map", chosen.uid_map()), ("gid_map", chosen.gid_map())):
        calltrace.record("write", f"/proc/self/{name}", "\\n".join(" ".join(map(str, line)) for line in lines))


def _write(path: str, text: str) -> None:
    with open(path, "w") as target:
        target.write(text)
    calltrace.record("write", path, text)


def _fork_into_pid_namespace(report, status, already_reported: bool) -> None:
    """Fork: the child is the first process in the PID namespace (PID 1 when
    the namespace is new). This process waits for it, relays signals and
    exits with its status; the child returns and carries on."""
    # The child waits until its PID has been reported: the parent reads the
    # PID first, and a child left to run on could report its result before
    # that (it did, on a busy machine).
    reported_read, reported_write = os.pipe()
    child = os.fork()
    if child == 0:
        syscalls.libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(reported_write)
        os.read(reported_read, 1)  # returns at end of file: the parent has reported
        os.close(reported_read)
        return
    os.close(reported_read)
    calltrace.record("fork", result=child)
    try:
        report(pid=child)
    finally:
        os.close(reported_write)
    status.close()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: _relay(child, number))
    while True:
        try:
            _, wait_status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(wait_status) if not os.WIFSIGNALED(wait_status)
             else 128 + os.WTERMSIG(wait_status))


def _relay(child: int, number: int) -> None:
    try:
        os.kill(child, number)
        # PID 1 of a namespace ignores signals it has no handler for; make
        # sure a stop request still stops it, a second later.
        if number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal.SIGALRM, lambda *_: _kill_quietly(child))
            signal.alarm(1)
    except ProcessLookupError:
        pass


def _kill_quietly(child: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)



@dataclass(frozen=True)
class SetupStep:
    """One step :func:`main` takes before the program runs: the call, as C spells it, and what a shell
    user types for the same effect (util-linux ``unshare``, ``nsenter``, ``mount``, iproute2 ``ip``)."""

    call: str
    shell: str


_UNSHARE_OPTIONS = {"mnt": "-m", "uts": "-u", "ipc": "-i", "net": "-n", "pid": "-p", "user": "-U", "cgroup": "-C"}
_NSENTER_OPTIONS = {"mnt": "-m", "uts": "-u", "ipc": "-i", "net": "-n", "pid": "-p", "user": "-U", "cgroup": "-C"}


def clone_flag(kind: str) -> str:
    """The ``CLONE_NEW*`` flag that creates a namespace of ``kind`` (as ``/proc/PID/ns/`` names it):
    ``mnt`` is ``CLONE_NEWNS``, the first namespace Linux had (namespaces(7))."""
    return "CLONE_NEWNS" if kind == "mnt" else f"CLONE_NEW{kind.upper()}"


def setup_steps(spec: Spec) -> list[SetupStep]:
    """What the launched process does for ``spec``, in :func:`main`'s order (cgroups, ``setns``,
    ``unshare``, ID maps, the fork into a PID namespace, private mounts, host name, loopback, the new
    root, ``/proc``), ending with the ``execve`` of ``spec.argv``. File names only, no host paths."""
    kinds = [kind for kind in _NSENTER_OPTIONS if kind in spec.unshare]
    steps = [SetupStep("write(cgroup.procs, getpid())", "echo $$ > cgroup.procs") for _ in spec.cgroup_procs]
    steps += [SetupStep(f"setns(/proc/PID/ns/{kind}, {clone_flag(kind)})", f"nsenter -t PID {_NSENTER_OPTIONS[kind]}")
              for kind in ("user", "ipc", "uts", "net", "pid", "cgroup", "mnt") if kind in spec.join]
    if kinds:
        steps.append(SetupStep(f"unshare({' | '.join(clone_flag(kind) for kind in kinds)})",
                               "unshare " + " ".join(_UNSHARE_OPTIONS[kind] for kind in kinds)))
    if spec.map_root_to_self:
        steps.append(SetupStep("write(uid_map, \"0 UID 1\")", "unshare -U -r"))
    if spec.enters_pid_namespace:
        steps.append(SetupStep("fork(): the child is PID 1", "unshare -f"))
    if "mnt" in spec.unshare:
        steps.append(SetupStep("mount(\"/\", MS_REC|MS_PRIVATE)", "mount --make-rprivate /"))
    if spec.hostname:
        steps.append(SetupStep(f"sethostname(\"{spec.hostname}\")", f"hostname {spec.hostname}"))
    if spec.loopback_up:
        steps.append(SetupStep("ioctl(SIOCSIFFLAGS, lo, IFF_UP)", "ip link set lo up"))
    if spec.rootfs and spec.root_mode == "pivot_root":
        steps.append(SetupStep("mount(ROOT, ROOT, MS_BIND|MS_REC)", "mount --rbind ROOT ROOT"))
        if spec.populate_dev:
            steps.append(SetupStep("mount(tmpfs, ROOT/dev); bind null, zero…", "mount -t tmpfs tmpfs ROOT/dev"))
        steps.append(SetupStep("pivot_root(\".\", \".oldroot\")", "cd ROOT; pivot_root . .oldroot"))
        steps.append(SetupStep("umount2(\"/.oldroot\", MNT_DETACH)", "umount -l /.oldroot"))
    elif spec.rootfs:
        steps.append(SetupStep("chroot(ROOT); chdir(\"/\")", "chroot ROOT"))
    if spec.mount_proc:
        steps.append(SetupStep("mount(\"proc\", \"/proc\", \"proc\")", "mount -t proc proc /proc"))
    program = " ".join(spec.argv) if spec.argv else f"the {spec.probe} probe"
    steps.append(SetupStep(f"execve({program})", f"exec {program}"))
    return steps


def _prepare_view(spec: Spec) -> None:
    if "mnt" in spec.unshare:
        syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    if spec.hostname:
        socket.sethostname(spec.hostname)
        calltrace.record("sethostname", spec.hostname)
    if spec.loopback_up:
        syscalls.set_interface_up("lo")
    if spec.rootfs:
        if spec.root_mode == "pivot_root":
            _pivot_root(spec.rootfs, spec.populate_dev, spec.bind_host_proc, spec.proc_before_pivot)
        else:
            os.chroot(spec.rootfs)
            calltrace.record("chroot", spec.rootfs)
            os.chdir("/")
    if spec.mount_proc and not spec.proc_before_pivot:
        os.makedirs("/proc", exist_ok=True)
        syscalls.mount("proc", "/proc", "proc", 0)


DEVICES = ("null", "zero", "random", "urandom")


def _pivot_root(new_root: str, populate_dev: bool, bind_host_proc: bool = False, mount_proc: bool = False) -> None:
    # pivot_root wants the new root to be a mount point: bind it onto itself.
    syscalls.mount(new_root, new_root, None, syscalls.MS_BIND | syscalls.MS_REC)
    if mount_proc:
        os.makedirs(os.path.join(new_root, "proc"), exist_ok=True)
        syscalls.mount("proc", os.path.join(new_root, "proc"), "proc", 0)
    if bind_host_proc:
        proc = os.path.join(new_root, "proc")
        os.makedirs(proc, exist_ok=True)
        syscalls.mount("/proc", proc, None, syscalls.MS_BIND | syscalls.MS_REC)
    if populate_dev:
        # What runtimes do too: a small tmpfs /dev holding the host's harmless
        # devices, bind-mounted (while the host's /dev is still reachable).
        dev = os.path.join(new_root, "dev")
        os.makedirs(dev, exist_ok=True)
        syscalls.mount("podnotes-dev", dev, "tmpfs", 0, "mode=755,size=64k")
        for device in DEVICES:
            target = os.path.join(dev, device)
            open(target, "w").close()
            syscalls.mount(f"/dev/{device}", target, None, syscalls.MS_BIND)
    os.chdir(new_root)
    calltrace.record("chdir", new_root)
    os.makedirs(".oldroot", exist_ok=True)
    syscalls.pivot_root(".", ".oldroot")
    os.chdir("/")
    syscalls.umount2("/.oldroot", syscalls.MNT_DETACH)
    os.rmdir("/.oldroot")


if __name__ == "__main__":
    main(os.environ.pop(SPEC_ENV))
