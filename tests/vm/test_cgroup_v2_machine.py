"""The cgroup v2 tier (tools/vm/run.sh; README, "The cgroup v2 machine"): a Debian kernel booted under
qemu with every controller on cgroup v2 (cgroup_no_v1=all) runs the Linux tests as root, the rootless
tests in a delegated subtree (cgroups(7), "Delegation"), and chapters 2-6 as root and as a normal user.
Its results land in _build/vm/ and are reused while the image and the working tree's files are the
same, so the machine boots once for `make book` and `make test`."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from podnotes.linux import privileges

from ..conftest import BUILD, ROOT
from .conftest import REPORT

RESULTS = BUILD / "vm"
PARTS = ["linux-root", "linux-root-leaks", "linux-rootless", "chapters", "chapters-rootless"]
CHAPTERS = ["02-chroot", "03-namespaces", "04-cgroups", "05-container-from-scratch", "06-pod-and-pause"]
V2_CONTROLLERS = {"cpu", "memory", "pids", "io"}  # what the chapters limit and read on cgroup v2

pytestmark = [pytest.mark.vm, pytest.mark.slow]


def _why_not_here() -> str | None:
    if os.uname().sysname != "Linux":
        return "the cgroup v2 machine needs a Linux host"
    if os.geteuid() != 0:
        return "the cgroup v2 machine needs root (`sudo make vm-test`)"
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 missing (apt-get install qemu-system-x86), so `make vm-test` cannot run"
    return None


@pytest.fixture(scope="module")
def machine_run() -> subprocess.CompletedProcess:
    # Where privileged parts must run (CI), the machine must too: `make book` booted it, and this asks again.
    must_run = privileges.required()
    if not must_run and not (RESULTS / "digest").is_file() and os.environ.get("PODNOTES_VM") != "1":
        pytest.skip("no run of the cgroup v2 machine here: `sudo make vm-test` runs it (or PODNOTES_VM=1)")
    reason = _why_not_here()
    if reason:
        if must_run:
            pytest.fail(f"the cgroup v2 machine must run here, but {reason}", pytrace=False)
        pytest.skip(reason)
    done = subprocess.run([str(ROOT / "tools/vm/run.sh")], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    REPORT.extend(line for line in done.stdout.splitlines() if line.startswith("vm-test:"))
    return done


def _cases(part: str) -> list[ET.Element]:
    report = RESULTS / f"{part}.xml"
    assert report.is_file(), f"no JUnit XML from {part}"
    return list(ET.parse(report).iter("testcase"))


def _failed(case: ET.Element) -> bool:
    return case.find("failure") is not None or case.find("error") is not None


def test_every_part_passed_on_the_machine(machine_run):
    assert machine_run.returncode == 0, machine_run.stdout[-4000:] + machine_run.stderr[-2000:]
    summary = (RESULTS / "summary").read_text().splitlines()
    assert sorted(line.split(":")[0] for line in summary) == sorted(PARTS)
    assert all(": passed in " in line for line in summary), summary


def test_the_machine_had_cgroup_v2_alone_with_the_controllers(machine_run):
    enabled = set((RESULTS / "controllers").read_text().split(": ")[-1].split())
    assert enabled >= V2_CONTROLLERS, enabled
    assert (RESULTS / "kernel-release").read_text().strip()
    console = (RESULTS / "console.log").read_text(errors="replace")
    assert "podnotes-vm: cgroup mounts: 1" in console, "cgroup2 alone, no v1 hierarchy"


@pytest.mark.parametrize("part", PARTS)
def test_each_part_ran_tests_and_none_failed(machine_run, part):
    cases = _cases(part)
    assert cases, f"{part} ran no test"
    assert not [case.get("name") for case in cases if _failed(case)]
    ran = [case for case in cases if case.find("skipped") is None]
    assert ran, f"{part}: every test skipped"


@pytest.mark.parametrize("part", ["chapters", "chapters-rootless"])
def test_chapters_2_to_6_ran_on_cgroup_v2(machine_run, part):
    names = [case.get("name", "") for case in _cases(part) if case.find("skipped") is None and not _failed(case)]
    for chapter in CHAPTERS:
        assert any(chapter in name for name in names), f"{part}: chapter {chapter} did not run"
