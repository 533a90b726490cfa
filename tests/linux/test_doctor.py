from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stdout

import pytest

from podnotes.cli import main
from podnotes.linux import machine


def run_doctor(*args) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["doctor", *args]) == 0
    return out.getvalue()


def test_doctor_prints_a_table():
    table = run_doctor()
    for check in ("root", "CAP_SYS_ADMIN", "user namespaces", "cgroups", "unshare", "kubectl", "kind", "docker"):
        assert check in table
    assert machine.cgroup_version() in table


def test_doctor_json_matches_detection():
    report = json.loads(run_doctor("-o", "json"))
    facts = machine.detect()
    assert report["root"] == facts.root and report["cgroup_version"] == facts.cgroup_version
    assert set(report["can_run"]) == {"namespaces", "cgroups"}
    assert set(report["tools"]) >= {"unshare", "nsenter", "ip", "kubectl", "kind", "docker"}


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root to start from")
def test_doctor_works_for_an_unprivileged_user():
    # Everything is imported first: after setuid the interpreter's own files may be unreadable.
    import textwrap  # noqa: F401

    import podnotes.cli.doctor  # noqa: F401
    import podnotes.cluster.binaries  # noqa: F401
    import podnotes.cluster.kind  # noqa: F401
    import podnotes.linux.cgroups  # noqa: F401
    import podnotes.linux.privileges  # noqa: F401
    import podnotes.linux.rootless  # noqa: F401
    import podnotes.node.observe  # noqa: F401
    import podnotes.node.scenes  # noqa: F401

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)  # nobody
            out = io.StringIO()
            with redirect_stdout(out):
                code = main(["doctor", "-o", "json"])
            os.write(write_end, out.getvalue().encode())
            os._exit(code)
        except BaseException as err:
            os.write(write_end, f"error: {err!r}".encode())
            os._exit(99)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    report = json.loads(output)
    assert report["root"] is False and report["cap_sys_admin"] is False
    # a normal user creates namespaces inside a user namespace of its own, where the kernel allows that
    assert report["can_run"] == {"namespaces": machine.user_namespaces_allowed(root=False), "cgroups": False}
    assert report["cgroup_version"] == machine.cgroup_version()


def test_doctor_counts_leftovers_the_way_cleanup_lists_them(tmp_path, monkeypatch):
    """What ended runs left is what `podnotes cleanup` lists by default; what a
    running process made appears only with `--all`, and doctor says so."""
    import tempfile

    from podnotes.cli.doctor import leftovers_line
    from podnotes.linux import leaks

    # A private temporary folder: a cleanup run elsewhere on this machine must not take these away.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead_pid = os.getpid() + 1_000_000  # above pid_max: never a running process
    made = [tempfile.mkdtemp(prefix=f"podnotes-discovery-{dead_pid}-"),
            tempfile.mkdtemp(prefix=f"podnotes-discovery-{os.getpid()}-")]
    found = [item for item in leaks.find() if item.name in made]
    assert len(found) == 2, "both folders are found"
    line = leftovers_line(found)
    assert "1 left behind by podnotes runs that have ended (`podnotes cleanup` lists them" in line
    assert "1 more in use by running podnotes processes or of unknown origin" in line
    assert "`podnotes cleanup --all`" in line


def test_docker_is_ok_only_when_its_engine_answers(tmp_path, monkeypatch):
    """A docker program whose engine does not answer is not "ok" (kind cannot use it)."""
    import stat

    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\n"
                    "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    table = run_doctor()
    docker = next(line for line in table.splitlines() if line.startswith("docker "))
    assert " no " in docker and "cannot reach a Docker engine" in docker, docker
    report = json.loads(run_doctor("-o", "json"))
    assert report["docker_engine"]["answers"] is False


def test_doctor_says_what_decides_real_or_simulated_chapters(monkeypatch):
    table = run_doctor()
    assert "every experiment can run here" not in table
    parts = ("2", "3", "4", "5", "6", "node", "11")  # a line per kernel chapter, the node's, the API server's
    for chapters in parts:
        assert any(line.startswith(chapters + " (") for line in table.splitlines()), chapters
    report = json.loads(run_doctor("-o", "json"))
    assert [part["chapters"].split(" (")[0] for part in report["book"]] == list(parts)
    node = report["book"][-2]["chapters"]
    assert all(name in node for name in ("07-lifecycle", "node-loss", "user-namespaces")), node
    monkeypatch.setenv("PODNOTES_PRETEND_NO_KUBERNETES", "1")
    chapter_11 = json.loads(run_doctor("-o", "json"))["book"][-1]
    assert chapter_11["real"] is False and "make k8s-binaries" in chapter_11["detail"]


def test_doctor_says_per_chapter_what_skips_why_and_the_command(monkeypatch):
    """A reader whose distribution forbids user namespaces (the pretend path): every namespace section of
    chapters 2-6 skips, and each chapter's line says why and which command runs it."""
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    book = {part["chapters"].split(" (")[0]: part for part in json.loads(run_doctor("-o", "json"))["book"]}
    kernel = [book[number] for number in ("2", "3", "4", "5", "6")]
    assert kernel and all(part["real"] is False for part in kernel)
    assert all("skips" in part["detail"] and "` runs" in part["detail"] for part in kernel)
    assert "of 10 sections run" in book["3"]["detail"]
    assert "create a UTS namespace" in book["3"]["detail"]
