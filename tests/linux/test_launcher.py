"""The launcher without privileges: plain children, probes, errors, signals."""

from __future__ import annotations

import json

import pytest

from podnotes.linux import launcher
from podnotes.linux.launcher import LaunchError, Spec, run_probe, run_program
from podnotes.linux.processes import MARKER_ENV, children

from .conftest import needs_root


def test_a_probe_reports_what_a_plain_child_sees():
    view = run_probe(Spec(probe="view"))
    assert view["pid"] > 1 and view["hostname"]
    assert "lo" in [interface["name"] for interface in view["interfaces"]]


def test_a_program_runs_with_a_minimal_environment_and_the_marker():
    result = run_program(Spec(argv=["sh", "-c", "echo $PATH; echo $" + MARKER_ENV]))
    path, marker = result.stdout.split()
    assert result.returncode == 0
    assert path == launcher.CONTAINER_PATH
    assert marker.isdigit(), "processes podnotes starts carry the marker leaks() looks for"


def test_a_missing_program_is_reported_with_exit_status_127():
    result = run_program(Spec(argv=["/no/such/program"]))
    assert result.returncode == 127
    assert "cannot run /no/such/program" in result.stderr


def test_a_failing_probe_names_the_probe():
    with pytest.raises(LaunchError, match="probe create_queue: TypeError"):
        run_probe(Spec(probe="create_queue", probe_args=["not-a-key"]))


def test_specs_round_trip_through_json():
    spec = Spec(probe="view", unshare=["uts"], hostname="x")
    assert Spec(**json.loads(json.dumps(spec.__dict__))) == spec


def test_launches_are_labelled_for_ps():
    assert launcher._label(Spec(probe="serve", probe_args=[8080, "hi"])) == ["serve", "8080", "hi"]
    assert launcher._label(Spec(argv=["sleep", "5"])) == ["exec", "sleep", "5"]


def _launch_in_pid_namespaces(count: int) -> list[str]:
    from podnotes.linux import namespaces

    failures = []
    for _ in range(count):
        try:
            namespaces.look_from(["pid"])
        except LaunchError as err:
            failures.append(str(err)[-200:])
    return failures


@needs_root
def test_launches_into_pid_namespaces_hold_side_by_side_on_a_busy_machine(no_leaks):
    # A child in a new PID namespace once reported its result before its parent
    # had reported the child's PID; on a busy machine (here: four launchers at
    # once beside two busy loops) about one launch in twelve then failed.
    from concurrent.futures import ProcessPoolExecutor

    with children() as group:
        for _ in range(2):
            group.python("while True: pass")
        with ProcessPoolExecutor(4) as pool:
            failures = [failure for found in pool.map(_launch_in_pid_namespaces, [10] * 4) for failure in found]
    assert failures == []
