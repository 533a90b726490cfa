"""A real unprivileged account to run podnotes as, the way a reader runs the notebooks.

The tests start as root (CI does); ``NormalUser.python(...)`` runs Python code as the
account through util-linux ``runuser``, with this checkout's package on the path. The
account is ``PODNOTES_TEST_USER`` (created with ``useradd`` when missing; Debian's
useradd also delegates it a range in ``/etc/subuid`` when that file exists).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

USER_ENV = "PODNOTES_TEST_USER"
DEFAULT_USER = "podnotes-reader"
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class NormalUser:
    name: str
    uid: int
    gid: int
    home: Path
    interpreter: str

    def environment(self, extra: dict | None = None) -> dict[str, str]:
        paths = dict.fromkeys([str(SRC), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(self.home), "USER": self.name,
               "LOGNAME": self.name, "LANG": "C.UTF-8", "PYTHONPATH": os.pathsep.join(paths),
               "PYTHONDONTWRITEBYTECODE": "1"}
        env.update({key: value for key, value in os.environ.items() if key.startswith("PODNOTES_")
                    and key != "PODNOTES_REQUIRE_PRIVILEGED"})
        return {**env, **(extra or {})}

    def command(self, argv: list[str], env: dict | None = None) -> list[str]:
        words = [f"{key}={value}" for key, value in self.environment(env).items()]
        return ["runuser", "-u", self.name, "--", "env", "-i", *words, *argv]

    def python(self, code: str, *args: str, env: dict | None = None, timeout: float = 300,
               cwd: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.command([self.interpreter, "-c", code, *args], env), capture_output=True,
                              text=True, timeout=timeout, cwd=cwd or str(self.home))

    def popen(self, code: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.command([self.interpreter, "-c", code], env), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=str(self.home))


def _interpreter_for(name: str) -> str | None:
    """This Python if the account may run it, else the system's of the same version (a venv made from
    a Python under /root is not reachable for other users)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, shutil.which(version, path="/usr/local/bin:/usr/bin") or ""):
        if not candidate:
            continue
        probe = subprocess.run(["runuser", "-u", name, "--", candidate, "-c", "import sys"], capture_output=True,
                               timeout=30)
        if probe.returncode == 0:
            return candidate
    return None


def normal_user() -> NormalUser:
    """The account, created if missing; skips (fails in CI) where that is impossible."""
    from ..conftest import in_ci

    def unavailable(reason: str):
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)

    if os.geteuid() != 0 or not shutil.which("runuser"):
        unavailable("running as a normal user needs root (to switch users) and util-linux runuser")
    name = os.environ.get(USER_ENV, DEFAULT_USER)
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        created = subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/sh", name],
                                 capture_output=True, text=True, timeout=60)
        if created.returncode != 0:
            unavailable(f"cannot create the account {name}: {created.stderr.strip()}")
        account = pwd.getpwnam(name)
    interpreter = _interpreter_for(name)
    if interpreter is None:
        unavailable(f"no Python {sys.version_info.major}.{sys.version_info.minor} that {name} may run")
    return NormalUser(name, account.pw_uid, account.pw_gid, Path(account.pw_dir), interpreter)  # type: ignore[arg-type]


DELEGATED_V2_PARENT = """
import os
from podnotes.linux import cgroups
parent = cgroups.detect_layout().parents["unified"]
owned = all(os.access(parent / name, os.W_OK) for name in ("", "cgroup.procs", "cgroup.subtree_control"))
print(parent if owned else "")
"""


def delegated_v2_parent_of(user: NormalUser) -> Path | None:
    """On cgroup v2: the group the account's processes make their groups under, when the account owns it
    (its processes sit below it in a subtree delegated to it: cgroups(7), "Delegation"); None otherwise."""
    done = user.python(DELEGATED_V2_PARENT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip()) if done.stdout.strip() else None
