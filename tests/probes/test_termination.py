"""The termination sequence in the simulator, against the 1.37 sources (kubernetes/kubernetes v1.37.2):

* ``pkg/registry/core/pod/strategy.go`` ``CheckGracefulDelete``: the delete request's grace period, else the
  Pod's; 0 for a Pod already Succeeded or Failed; ``BeforeDelete`` sets deletionTimestamp = now + grace;
* ``pkg/kubelet/pod_workers.go`` ``calculateEffectiveGracePeriod``: the kubelet's grace period is the API
  server's, at least 1 s;
* ``pkg/kubelet/kuberuntime/kuberuntime_container.go`` ``killContainer`` and ``executePreStopHook``: the
  preStop hook is waited for at most the grace period, its whole seconds are taken from it, and at least
  ``minimumGracePeriodInSeconds`` (2) remain for the stop signal;
* ``kuberuntime_termination_order.go`` ``newTerminationOrdering``/``waitForTurn``: sidecars after the
  regular containers, in reverse order;
* ``pkg/kubelet/status/status_manager.go`` ``canBeDeleted``: the kubelet deletes the object with grace
  period 0 once nothing runs; finalizers keep it (``BeforeDelete`` in
  ``staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go``);
* ``staging/src/k8s.io/endpointslice/utils.go`` ``podToEndpoint``: a terminating Pod's address stays with
  ready false and terminating true.
"""

from __future__ import annotations

import pytest

from podnotes.probes import Behaviour, ContainerBehaviour, simulate
from podnotes.probes.behaviour import load_behaviour

DELETE_AT = 10.0


def pod(*containers, init=(), finalizers=(), **spec) -> dict:
    body = {"containers": list(containers), **spec}
    if init:
        body["initContainers"] = list(init)
    metadata = {"name": "demo", **({"finalizers": list(finalizers)} if finalizers else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": body}


def container(name="app", **fields) -> dict:
    return {"name": name, "image": "registry.k8s.io/busybox:1.27.2", **fields}


def pre_stop_sleep(seconds: int) -> dict:
    return {"preStop": {"sleep": {"seconds": seconds}}}


def deleted(behaviours: dict | None = None, **options) -> Behaviour:
    containers = {name: ContainerBehaviour(**fields) for name, fields in (behaviours or {}).items()}
    return Behaviour(containers, delete_at=DELETE_AT, **options)


def one(timeline, kind, container=None):
    found = timeline.select(kind, container)
    assert len(found) == 1, (kind, container, found)
    return found[0]


def test_pre_stop_sleep_delays_sigterm_and_the_endpoint_turns_terminating_at_once():
    """killContainer: the hook runs first; podToEndpoint: ready false, terminating true from the deletion."""
    manifest = pod(container(lifecycle=pre_stop_sleep(5)), terminationGracePeriodSeconds=30)
    timeline = simulate(manifest, deleted({"app": {"pre_stop_seconds": 5.0}}), duration=60)
    assert one(timeline, "delete").seconds == 30  # deletionTimestamp = deletion + 30 s
    endpoint = timeline.select("endpoint")[-1]
    assert (endpoint.time, endpoint.status, endpoint.reason) == (DELETE_AT, False, "Terminating")
    assert one(timeline, "hook", "app").seconds == 5.0
    stop = one(timeline, "stop", "app")
    assert stop.time == DELETE_AT + 5 and stop.seconds == 25  # 30 - 5 left for SIGTERM
    exit_ = one(timeline, "exit", "app")
    assert (exit_.time, exit_.exit_code) == (DELETE_AT + 5, 143)
    assert one(timeline, "removed").time == DELETE_AT + 5
    assert timeline.phases()[-1] == (DELETE_AT + 5, "Failed")  # 143 is not 0 (getPhase, podIsTerminal)


def test_a_pre_stop_hook_that_outlasts_the_grace_period_gets_the_one_time_two_seconds():
    """executePreStopHook stops waiting at the grace period; killContainer then gives 2 s before SIGKILL.
    An exec hook, because the API server refuses a sleep action longer than the grace period
    (validateSleepAction in pkg/apis/core/validation)."""
    exec_hook = {"preStop": {"exec": {"command": ["sh", "-c", "sleep 60"]}}}
    manifest = pod(container(lifecycle=exec_hook), terminationGracePeriodSeconds=8)
    timeline = simulate(manifest, deleted({"app": {"pre_stop_seconds": 60.0, "sigterm": "ignore"}}), duration=60)
    stop = one(timeline, "stop", "app")
    assert (stop.time, stop.seconds) == (DELETE_AT + 8, 2)
    exit_ = one(timeline, "exit", "app")
    assert (exit_.time, exit_.exit_code) == (DELETE_AT + 10, 137)


def test_a_program_that_ignores_sigterm_is_killed_at_the_deadline():
    manifest = pod(container(), terminationGracePeriodSeconds=6)
    timeline = simulate(manifest, deleted({"app": {"sigterm": "ignore"}}), duration=40)
    assert one(timeline, "stop", "app").time == DELETE_AT
    exit_ = one(timeline, "exit", "app")
    assert (exit_.time, exit_.exit_code) == (DELETE_AT + 6, 137)
    assert timeline.phases()[-1][1] == "Failed"


def test_the_delete_requests_grace_period_overrides_the_pods():
    """CheckGracefulDelete: DeleteOptions.gracePeriodSeconds wins over terminationGracePeriodSeconds."""
    manifest = pod(container(), terminationGracePeriodSeconds=30)
    timeline = simulate(manifest, deleted({"app": {"sigterm": "ignore"}}, delete_grace_seconds=4), duration=40)
    assert one(timeline, "delete").seconds == 4
    assert one(timeline, "exit", "app").time == DELETE_AT + 4


@pytest.mark.parametrize(("grace", "pre_stop", "stop_after", "kill_after"), [
    (1, 0.0, 0, 2),    # calculateEffectiveGracePeriod gives 1, killContainer raises it to 2
    (0, 0.0, 0, 2),    # force deletion: 0 becomes 1 at the kubelet, then 2
    (0, 5.0, 1, 3),    # force deletion with a preStop hook: 1 s for the hook, then 2 s
])
def test_short_and_forced_deletions_still_give_two_seconds(grace, pre_stop, stop_after, kill_after):
    lifecycle = {"lifecycle": pre_stop_sleep(5)} if pre_stop else {}
    manifest = pod(container(**lifecycle), terminationGracePeriodSeconds=30)
    behaviour = deleted({"app": {"sigterm": "ignore", "pre_stop_seconds": pre_stop}}, delete_grace_seconds=grace)
    timeline = simulate(manifest, behaviour, duration=40)
    assert one(timeline, "kill", "app").seconds == max(grace, 1)
    assert one(timeline, "stop", "app").time == DELETE_AT + stop_after
    assert one(timeline, "exit", "app").time == DELETE_AT + kill_after
    removed = one(timeline, "removed")
    # grace 0: the object goes with the request; otherwise after the kubelet's final delete
    assert removed.time == (DELETE_AT if grace == 0 else DELETE_AT + kill_after)


def test_a_finalizer_keeps_the_deleted_pod_until_it_is_removed():
    manifest = pod(container(), finalizers=["example.com/hold"], terminationGracePeriodSeconds=5)
    kept = simulate(manifest, deleted(), duration=60)
    assert kept.phases()[-1] == (DELETE_AT, "Failed")  # SIGTERM: 143
    assert not kept.select("removed"), "no finalizer removal: the object stays Terminating"
    released = simulate(manifest, deleted(finalizers_removed_at=30.0), duration=60)
    assert one(released, "removed").time == 30.0


def test_force_deletion_with_a_finalizer_keeps_the_object():
    """grace 0 on an object with finalizers: deletionGracePeriodSeconds 0, the object stays."""
    manifest = pod(container(), finalizers=["example.com/hold"])
    timeline = simulate(manifest, deleted({"app": {"sigterm": "ignore"}}, delete_grace_seconds=0), duration=30)
    assert not timeline.select("removed")
    assert one(timeline, "exit", "app").time == DELETE_AT + 2


def test_sidecars_stop_after_the_app_in_reverse_order_within_one_grace_period():
    """newTerminationOrdering: proxy (declared last) waits for app; log-shipper waits for proxy."""
    sidecars = [container("log-shipper", restartPolicy="Always"), container("proxy", restartPolicy="Always")]
    manifest = pod(container(), init=sidecars, terminationGracePeriodSeconds=20)
    behaviour = deleted({"app": {"sigterm_exit_after": 2.0, "sigterm_exit_code": 0},
                         "proxy": {"sigterm_exit_after": 1.0, "sigterm_exit_code": 0},
                         "log-shipper": {"sigterm_exit_code": 0}})
    timeline = simulate(manifest, behaviour, duration=60)
    kills = {event.container: event.time for event in timeline.select("kill")}
    assert kills == {"app": DELETE_AT, "proxy": DELETE_AT, "log-shipper": DELETE_AT}  # Killing at once
    stops = [(event.container, event.time) for event in timeline.select("stop")]
    assert stops == [("app", DELETE_AT), ("proxy", DELETE_AT + 2), ("log-shipper", DELETE_AT + 3)]
    assert one(timeline, "removed").time == DELETE_AT + 3
    assert timeline.phases()[-1] == (DELETE_AT + 3, "Succeeded")


def test_deleting_a_pod_that_already_succeeded_removes_it_at_once():
    """CheckGracefulDelete: a Succeeded or Failed Pod is deleted immediately (grace 0)."""
    manifest = pod(container(), restartPolicy="Never", terminationGracePeriodSeconds=30)
    behaviour = Behaviour({"app": ContainerBehaviour(exit_after=3.0)}, delete_at=DELETE_AT)
    timeline = simulate(manifest, behaviour, duration=30)
    assert one(timeline, "delete").seconds == 0
    assert one(timeline, "removed").time == DELETE_AT
    assert not timeline.select("kill")


def test_a_pod_never_deleted_is_never_removed():
    timeline = simulate(pod(container()), Behaviour(), duration=30)
    assert not timeline.select("removed") and not timeline.select("delete")


def test_behaviour_files_carry_the_delete_options_and_the_finalizers_removal(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("deleteAt: 10\ndeleteGracePeriodSeconds: 0\nfinalizersRemovedAt: 25\n")
    behaviour = load_behaviour(path)
    assert (behaviour.delete_at, behaviour.delete_grace_seconds, behaviour.finalizers_removed_at) == (10, 0, 25)


def test_a_negative_delete_grace_period_is_refused_with_its_line(tmp_path):
    from podnotes.probes import BehaviourError

    path = tmp_path / "b.yaml"
    path.write_text("deleteAt: 10\ndeleteGracePeriodSeconds: -1\n")
    with pytest.raises(BehaviourError, match=r"b\.yaml:2.*deleteGracePeriodSeconds"):
        load_behaviour(path)
