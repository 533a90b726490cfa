"""Whether the observations a build would overlay are current, and what make book does with them (no node)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from podnotes.linux import machine
from podnotes.node import observe
from podnotes.node.scenes import scene_names


def write_node_json(folder, digest):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "node.json").write_text(json.dumps({"kubernetes": "v1.37.2", "examples_digest": digest}))
    (folder / "agreement.json").write_text("{}")

    (folder / "scenes").mkdir(exist_ok=True)
    for name in scene_names():  # every scene's record is part of a complete set
        (folder / "scenes" / f"{name}.json").write_text(json.dumps({"scene": name}))


def test_observations_are_current_only_for_the_same_examples_and_pins(tmp_path):
    assert not observe.observations_state(tmp_path).present
    write_node_json(tmp_path, observe.examples_digest())
    assert observe.observations_state(tmp_path).current
    write_node_json(tmp_path, "0" * 16)
    state = observe.observations_state(tmp_path)
    assert state.present and not state.current and "other examples" in state.describe()


def test_the_tests_reuse_only_a_recording_this_package_made(tmp_path):
    """tests/node/test_agreement.py compares a recording again instead of running the examples twice only when
    it is current and its node.json names this package's digest."""
    from podnotes.book.build import package_digest

    write_node_json(tmp_path, observe.examples_digest())
    assert not observe.recorded_by_this_package(tmp_path), "no package digest: recorded by an older package"
    setup = json.loads((tmp_path / "node.json").read_text())
    (tmp_path / "node.json").write_text(json.dumps({**setup, "package_digest": package_digest()}))
    assert observe.recorded_by_this_package(tmp_path)
    (tmp_path / "node.json").write_text(json.dumps({**setup, "package_digest": "0" * 16}))
    assert not observe.recorded_by_this_package(tmp_path)


def test_recorded_runs_compare_a_recording_again(tmp_path):
    from podnotes.node.examples import examples, recorded_runs
    from podnotes.probes import simulate

    chosen = examples()[:2]
    assert len(chosen) == 2
    first = chosen[0]
    (tmp_path / f"{first.name}.json").write_text(
        simulate(first.manifest, first.behaviour, first.duration).to_json())  # a recording that agrees exactly
    runs = recorded_runs(tmp_path, chosen)
    assert runs[0].error is None and runs[0].agreement.rows and runs[0].agreement.ok
    assert isinstance(runs[1].error, FileNotFoundError) and runs[1].agreement is None


def test_check_exit_codes(tmp_path, capsys):
    assert observe.main(["--check", "--out", str(tmp_path)]) == 1
    write_node_json(tmp_path, observe.examples_digest())
    assert observe.main(["--check", "--out", str(tmp_path)]) == 0
    assert observe.main(["--out", str(tmp_path)]) == 0, "current observations are reused, no node started"
    assert "reusing" in capsys.readouterr().out


def test_a_machine_that_cannot_run_a_node_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv(machine.PRETEND_ENV, "1")
    reasons = observe.reasons_node_cannot_run()
    assert reasons and reasons[0].startswith("root")
    assert observe.main(["--out", str(tmp_path)]) == observe.CANNOT_RUN


def test_the_digest_changes_with_the_examples(monkeypatch):
    from podnotes.node import examples

    before = observe.examples_digest()
    original = examples.examples
    monkeypatch.setattr(examples, "examples", lambda: original()[:-1])
    assert observe.examples_digest() != before


def test_sigterm_inside_raises_terminated_and_a_second_one_is_ignored():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(observe.Terminated), observe.sigterm_stops_like_ctrl_c():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # the cleanup is not cut short
            os.kill(os.getpid(), signal.SIGTERM)  # ignored
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(("raised", "status"), [("Terminated", 143), ("KeyboardInterrupt", 130)])
def test_main_exits_128_plus_the_signal_and_make_book_stops_there(monkeypatch, tmp_path, capsys, raised, status):
    from podnotes.book import build

    def interrupted(*args, **kwargs):
        raise getattr(observe, raised, KeyboardInterrupt)()

    monkeypatch.setattr(observe, "reasons_node_cannot_run", lambda: [])
    monkeypatch.setattr(observe, "observe", interrupted)
    assert observe.main(["--out", str(tmp_path)]) == status
    assert "the node was stopped" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        build.make_observations(tmp_path)
    assert stopped.value.code == status
