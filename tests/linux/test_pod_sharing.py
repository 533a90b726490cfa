"""What the drawings of chapters 5 and 6 show against what really happens: a Pod's namespace plan
(podnotes.linux.pod.planned_sharing) against /proc/PID/ns, and the launcher's setup steps against strace."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict

import pytest

from podnotes.linux import namespaces, rootfs, views
from podnotes.linux.container import container_spec
from podnotes.linux.launcher import SPEC_ENV, Spec, setup_steps
from podnotes.linux.pod import Pod, measured_sharing, planned_sharing
from podnotes.linux.processes import MARKER_ENV

from .conftest import needs_root

pytestmark = needs_root


@pytest.mark.parametrize("share_process_namespace", [False, True])
def test_measured_namespaces_match_the_plan(no_leaks, share_process_namespace):
    with rootfs.build_rootfs() as image, Pod("plan-pod", share_process_namespace=share_process_namespace) as pod:
        first = pod.start_container("first", image, argv=["sleep", "60"])
        second = pod.start_container("second", image, argv=["sleep", "60"])
        measured = measured_sharing(namespaces.namespace_ids(), pod.namespaces(),
                                    {"first": first.namespaces(), "second": second.namespaces()})
    plan = planned_sharing(["first", "second"], share_process_namespace)
    assert set(measured) == set(plan) and len(plan) == 7
    assert measured == plan


def test_a_container_outside_the_pod_is_seen_as_such():
    host = {"net": "net:[1]", "mnt": "mnt:[1]"}
    pause = {"net": "net:[2]", "mnt": "mnt:[1]"}
    lost = {"net": "net:[3]", "mnt": "mnt:[4]"}
    kinds = dict.fromkeys(views.NAMESPACE_KINDS, "x:[1]")
    matrix = measured_sharing({**kinds, **host}, {**kinds, **pause}, {"lost": {**kinds, **lost}})
    assert matrix["net"] == {"pause": "pod", "lost": "own"}
    assert matrix["mnt"] == {"pause": "host", "lost": "own"}


TRACED = ("unshare", "mount", "sethostname", "pivot_root", "umount2", "execve")


def _collapsed(names):
    return [name for index, name in enumerate(names) if index == 0 or names[index - 1] != name]


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (Debian package strace)")
def test_setup_steps_are_the_calls_the_launcher_makes(no_leaks, tmp_path):
    """The steps chapter 5 draws (launcher.setup_steps) against the system calls strace(1) records."""
    trace = tmp_path / "trace"
    with rootfs.build_rootfs() as image:
        spec = container_spec(image, "traced", [], argv=["true"])
        status_read, status_write = os.pipe()
        launch = Spec(**{**asdict(spec), "status_fd": status_write})
        env = {key: value for key, value in os.environ.items() if key != MARKER_ENV}
        env[SPEC_ENV] = json.dumps(asdict(launch))
        process = subprocess.Popen(["strace", "-f", "-qq", "-o", str(trace), "-e", "trace=" + ",".join(TRACED),
                                    sys.executable, "-m", "podnotes.linux.launcher"],
                                   env=env, pass_fds=[status_write], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        os.close(status_write)
        try:
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
            process.wait()
            os.close(status_read)
    assert process.returncode == 0, stderr
    # Calls that succeeded; the execve of a program inside the new root replaces the process and never returns.
    calls = [re.match(r"\d+\s+(\w+)\(.*= 0$", line) for line in trace.read_text().splitlines()]
    names = [match.group(1) for match in calls if match]
    names = names[names.index("unshare"):]  # the interpreter's own start comes first
    names = names[: names.index("execve") + 1]
    assert names, "strace recorded the launcher's calls"
    drawn = [step.call.split("(")[0] for step in setup_steps(spec)]
    assert _collapsed(names) == _collapsed([name for name in drawn if name in TRACED]), (names, drawn)
