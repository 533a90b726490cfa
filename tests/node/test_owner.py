"""The owner record of a local node, and telling a dead node's folder from a live one's, without a node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, replace

import pytest

from podnotes.node import leftovers
from podnotes.node.owner import (
    NodeOwner,
    OwnerRecordError,
    parse_owner,
    process_start_ticks,
    read_owner,
    this_process,
    write_owner,
)


def _dead_process() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_this_process_is_alive_and_round_trips(tmp_path):
    owner = this_process("pnnode0", "10.217.0.0/24")
    assert owner.pid == os.getpid() and owner.alive()
    write_owner(tmp_path, owner)
    assert read_owner(tmp_path) == owner
    assert not list(tmp_path.glob("*.partial"))


def test_a_reused_pid_another_boot_or_a_gone_process_is_dead():
    owner = this_process("pnnode0", "10.217.0.0/24")
    assert not replace(owner, start_ticks=owner.start_ticks + 1).alive()  # same PID, another process
    assert not replace(owner, boot_id="00000000-0000-0000-0000-000000000000").alive()
    gone = _dead_process()
    assert process_start_ticks(gone) is None
    assert not replace(owner, pid=gone).alive()


def test_start_ticks_survive_a_command_name_with_spaces_and_parentheses(tmp_path):
    script = tmp_path / "a) b ("
    script.write_text("import time; time.sleep(30)\n")
    child = subprocess.Popen([sys.executable, str(script)])
    try:
        time.sleep(0.2)
        ticks = process_start_ticks(child.pid)
        assert ticks is not None and ticks >= process_start_ticks(os.getpid())
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(("text", "message"), [
    ("", "owner.json:1:1: not JSON"),
    ("{", "owner.json:1:2: not JSON"),
    ("[]", "expected an object, found list"),
    ('{"pid": 1}', "field start_ticks is missing"),
    ('{"pid": "12", "start_ticks": 1, "boot_id": "b", "bridge": "x", "subnet": "s"}', "field pid must be int"),
    ('{"pid": true, "start_ticks": 1, "boot_id": "b", "bridge": "x", "subnet": "s"}', "field pid must be int"),
    ('{"pid": -4, "start_ticks": 1, "boot_id": "b", "bridge": "x", "subnet": "s"}', "pid must be positive"),
    ('{"pid": 4, "start_ticks": 1, "boot_id": 7, "bridge": "x", "subnet": "s"}', "field boot_id must be str"),
])
def test_a_bad_record_is_named_with_its_field(text, message):
    with pytest.raises(OwnerRecordError, match=message.replace("(", r"\(")):
        parse_owner(text)


def test_parse_keeps_every_field():
    record = {"pid": 42, "start_ticks": 913377, "boot_id": "b1", "bridge": "pnnode0", "subnet": "10.217.0.0/24"}
    assert asdict(parse_owner(json.dumps(record))) == record


def _workdir(parent, name, owner: NodeOwner | None = None, text: str | None = None, age: float = 0.0):
    folder = parent / f"podnotes-node-{name}"
    folder.mkdir()
    if owner is not None:
        write_owner(folder, owner)
    if text is not None:
        (folder / "owner.json").write_text(text)
    if age:
        then = time.time() - age
        os.utime(folder, (then, then))
    return folder


def test_node_states_tell_dead_nodes_from_live_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(leftovers, "_lock_open_elsewhere", lambda: False)
    me = this_process("pnlive0", "10.218.1.0/24")
    _workdir(tmp_path, "live", me)
    _workdir(tmp_path, "killed", replace(me, pid=_dead_process(), bridge="pndead0"))
    _workdir(tmp_path, "corrupt", text="{", age=3600)
    _workdir(tmp_path, "old", age=3600)  # from before owner records, no process: dead
    _workdir(tmp_path, "fresh")  # no record yet, just made: may be a node being created
    states = {state.name: state for state in leftovers.node_states(tmp_path)}
    assert sorted(states) == [f"podnotes-node-{n}" for n in ("corrupt", "fresh", "killed", "live", "old")]
    assert {name for name, state in states.items() if state.alive} == {"podnotes-node-live", "podnotes-node-fresh"}
    assert states["podnotes-node-killed"].bridge == "pndead0"
    assert "not JSON" in states["podnotes-node-corrupt"].problem


def test_an_old_folder_without_record_counts_as_live_while_a_node_may_wait_for_the_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(leftovers, "_lock_open_elsewhere", lambda: True)
    _workdir(tmp_path, "waiting", age=600)
    _workdir(tmp_path, "ancient", age=leftovers.LOCK_TIMEOUT + 2 * leftovers.FRESH_SECONDS)
    alive = {state.name: state.alive for state in leftovers.node_states(tmp_path)}
    assert alive == {"podnotes-node-ancient": False, "podnotes-node-waiting": True}


def test_a_legacy_node_with_a_program_started_by_a_live_parent_is_alive(tmp_path, monkeypatch):
    monkeypatch.setattr(leftovers, "_lock_open_elsewhere", lambda: False)
    folder = _workdir(tmp_path, "legacy", age=3600)
    child = subprocess.Popen(["sleep", "30"], cwd=folder)  # its parent is this (live) test process
    try:
        assert [state.alive for state in leftovers.node_states(tmp_path)] == [True]
    finally:
        child.kill()
        child.wait()
    assert [state.alive for state in leftovers.node_states(tmp_path)] == [False]


def test_only_a_dead_node_is_listed_and_never_a_live_nodes_bridge(tmp_path, monkeypatch):
    monkeypatch.setattr(leftovers, "_lock_open_elsewhere", lambda: False)
    me = this_process("lo", "127.0.0.0/8")  # a live node's bridge name that exists: loopback
    _workdir(tmp_path, "live", me)
    dead = _workdir(tmp_path, "killed", replace(me, pid=_dead_process()))  # same bridge name, owner gone
    states = leftovers.node_states(tmp_path)
    found = leftovers.dead_node_leftovers(states)
    assert [(item.kind, item.name, item.node, item.orphaned) for item in found] == [
        ("paths", str(dead), dead.name, True)]
    assert found[0].made_by() == f"local node {dead.name} (gone, PID {found[0].creator})"


def test_a_dead_nodes_processes_are_orphans_never_a_live_programs_child(tmp_path, monkeypatch):
    """A shim outlives its node re-parented to PID 1: listed. A live program working in the folder (another
    run's umount removing these leftovers) has a live parent: never listed, never killed."""
    monkeypatch.setattr(leftovers, "_lock_open_elsewhere", lambda: False)
    dead = _workdir(tmp_path, "killed", replace(this_process("pnnone0", "10.218.9.0/24"), pid=_dead_process()))
    live_child = subprocess.Popen(["sleep", "30"], cwd=dead)
    orphan = subprocess.run(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"], cwd=dead, capture_output=True,
                            text=True, check=True)
    orphan_pid = int(orphan.stdout)
    try:
        found = leftovers.dead_node_leftovers(leftovers.node_states(tmp_path))
        processes = [item.pid for item in found if item.kind == "processes"]
        assert processes == [orphan_pid]
        assert live_child.poll() is None
    finally:
        live_child.kill()
        live_child.wait()
        os.kill(orphan_pid, 9)
