"""Behaviour files: what they accept, and clear errors naming the field for what they do not."""

from __future__ import annotations

import pytest

from podnotes.probes import BehaviourError, Steps, behaviour_from_dict, load_behaviour


def test_steps_hold_their_value_until_the_next_instant():
    steps = Steps(((0.0, 200), (10.0, 500)))
    assert [steps.at(t) for t in (0, 9.99, 10, 100)] == [200, 200, 500, 500]
    with pytest.raises(BehaviourError, match="increase"):
        Steps(((5.0, 1), (1.0, 2)))


def test_a_full_behaviour_file(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(
        "containers:\n"
        "  app:\n"
        "    exitAfter: 45\n"
        "    exitCode: 2\n"
        "    sigterm: ignore\n"
        "    preStopSeconds: 3\n"
        "    probes:\n"
        "      readiness: {answers: [[0, null], [5, 200]], delays: [[0, 0.1]], clock: pod}\n"
        "tickPhase: {app/readiness: 2.5}\n"
        "deleteAt: 60\n")
    behaviour = load_behaviour(path)
    app = behaviour.container("app")
    assert (app.exit_after, app.exit_code, app.sigterm, app.pre_stop_seconds) == (45, 2, "ignore", 3)
    readiness = app.probes["readiness"]
    assert readiness.answers.at(1) is None and readiness.answers.at(5) == 200 and readiness.clock == "pod"
    assert behaviour.phase_for("app", "readiness") == 2.5 and behaviour.phase_for("app", "liveness") == 0.0
    assert behaviour.delete_at == 60


@pytest.mark.parametrize("data, message", [
    ({"containers": {"app": {"exitCode": 1, "colour": "red"}}}, "containers.app.colour: unknown field"),
    ({"containers": {"app": {"sigterm": "maybe"}}}, "containers.app.sigterm: must be one of exit, ignore"),
    ({"containers": {"app": {"probes": {"alive": {}}}}},
     r"containers.app.probes.alive: unknown field \(expected liveness, readiness, startup\)"),
    ({"containers": {"app": {"probes": {"liveness": {"answers": [[0, 200], "x"]}}}}},
     r"containers.app.probes.liveness.answers\[1\]: must be a list, not a string"),
    ({"containers": {"app": {"exitAfter": -1}}}, "containers.app.exitAfter: must be at least 0, not -1"),
    ({"tickPhase": "soon"}, "tickPhase: must be a number or a mapping, not a string"),
    ({"deleteAt": -3}, "deleteAt: must be at least 0, not -3"),
    ({"containers": {"app": {"exitAfter": "soon"}}},
     r"containers.app.exitAfter: must be a number or null, not a string \(Seconds after each start"),
])
def test_errors_name_the_field(data, message):
    with pytest.raises(BehaviourError, match=message):
        behaviour_from_dict(data)


def test_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("containers:\n  app:\n    exitAfter: [1,\n")
    with pytest.raises(BehaviourError, match=rf"{path}:\d+: not valid YAML"):
        load_behaviour(path)
    with pytest.raises(BehaviourError, match="cannot open the behaviour file: No such file"):
        load_behaviour(tmp_path / "missing.yaml")


def test_with_container_changes_one_container_only():
    from podnotes.probes import PRESETS

    original = PRESETS["exec-liveness"].behaviour
    changed = original.with_container("liveness", sigterm="exit")
    assert changed.container("liveness").sigterm == "exit"
    assert original.container("liveness").sigterm == "ignore"
    assert changed.container("liveness").probes == original.container("liveness").probes


def test_an_http_answer_may_carry_the_body_the_prober_reads(tmp_path):
    """A 3xx answer with a body is how a redirect to another host reaches the
    kubelet's HTTP prober (pkg/probe/http/http.go: DoHTTPProbe returns Warning
    with the body); a file can say so, and a body on another handler is refused."""
    path = tmp_path / "behaviour.yaml"
    path.write_text("containers:\n  app:\n    probes:\n      readiness:\n"
                    "        answers: [[0, {status: 302, body: moved}]]\n")
    answers = load_behaviour(path).containers["app"].probes["readiness"].answers
    assert list(answers.points) == [(0.0, {"status": 302, "body": "moved"})]
    with pytest.raises(BehaviourError, match="status"):
        behaviour_from_dict({"containers": {"app": {"probes": {"readiness": {"answers": {"body": "x"}}}}}})


def test_an_answer_that_does_not_fit_its_probe_is_named_by_file_and_line(tmp_path):
    """A tcpSocket probe is answered with true or false: a number there is an
    error that names the file, the line and the field path, like every other
    problem of a behaviour file."""
    from podnotes.probes import simulate

    path = tmp_path / "behaviour.yaml"
    path.write_text("containers:\n  app:\n    probes:\n      readiness:\n        answers:\n"
                    "          - [0, true]\n          - [10, 200]\n")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                    "readinessProbe": {"tcpSocket": {"port": 80}}}]}}
    with pytest.raises(BehaviourError) as raised:
        simulate(pod, load_behaviour(path), 30)
    assert str(raised.value).startswith(f"{path}:7: containers.app.probes.readiness.answers[1]: ")
    assert "is tcpSocket, so an answer is true (listening) or false" in str(raised.value)
