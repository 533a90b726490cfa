"""The whole kit on the real node: set-up for 20, each exercise solved by a scripted participant and seen
by ``check``, a wrong answer shown failing with its hint, the notebook helper, isolation attacks refused
with 403, quota and Pod Security enforced, reset of one participant, and ``down`` with nothing left.

Upstream sources of what is asserted: RBAC (pkg/registry/rbac, 403 Forbidden for every verb a Role does
not grant), ResourceQuota and LimitRanger admission (plugin/pkg/admission/resourcequota, limitranger),
PodSecurity admission (staging/src/k8s.io/pod-security-admission, "violates PodSecurity").
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest

from podnotes.cluster import ApiRejected
from podnotes.workshop import board, down, exercises, namespace_objects, records, reset, rest, setup
from podnotes.workshop.notebook import check as notebook_check

from . import solutions
from .conftest import FIGURES, ROOM_SIZE

pytestmark = [pytest.mark.node, pytest.mark.cluster]
SOLVE_TIMEOUT = 180.0


def test_set_up_makes_every_participants_objects(room):
    assert len(room.people) == ROOM_SIZE
    namespaces = down.workshop_namespaces(room.cluster, "ws")
    assert namespaces == sorted(p.namespace for p in room.people)
    for person in room.people:
        ns = rest.get(room.cluster, "v1", "Namespace", None, person.namespace)
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
        assert labels[namespace_objects.PARTICIPANT_LABEL] == person.name
        for kind, api in (("ResourceQuota", "v1"), ("LimitRange", "v1")):
            assert rest.get(room.cluster, api, kind, person.namespace, "workshop") is not None
        for kind, api in (("ServiceAccount", "v1"), ("Role", "rbac.authorization.k8s.io/v1"),
                          ("RoleBinding", "rbac.authorization.k8s.io/v1")):
            assert rest.get(room.cluster, api, kind, person.namespace, namespace_objects.ACCOUNT) is not None
        for seeded in ("crasher", "reporter"):
            assert rest.get(room.cluster, "v1", "Pod", person.namespace, seeded) is not None
        kubeconfig = room.kubeconfig(person.name)
        assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
        sheet = (room.record.folder / "sheets" / f"{person.name}.txt").read_text()
        assert person.namespace in sheet and f"{person.name}.kubeconfig" in sheet
    assert records.load("ws").state == "ready"
    assert (room.record.folder / "sheets.html").read_text().count('class="sheet"') == ROOM_SIZE


def test_set_up_again_is_harmless_and_quick(room):
    uid = rest.get(room.cluster, "v1", "Pod", "ws-p03", "crasher")["metadata"]["uid"]
    again = setup.set_up(room.cluster, records.load("ws"))
    assert again.participants == ROOM_SIZE
    assert rest.get(room.cluster, "v1", "Pod", "ws-p03", "crasher")["metadata"]["uid"] == uid


def _wait_for_board(room, wanted, timeout=SOLVE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = board.check_round(room.cluster, "ws", room.people)
        if wanted(result) or time.monotonic() > deadline:
            return result
        time.sleep(2)


def _wait_until_running(cluster, name: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pod = rest.get(cluster, "v1", "Pod", cluster.namespace, name) or {}
        if (pod.get("status") or {}).get("phase") == "Running":
            return
        time.sleep(0.5)
    raise AssertionError(f"{name} is not Running after {timeout:.0f} s: {pod.get('status')}")


def test_each_exercise_solved_by_a_scripted_participant_is_seen_by_check(room, local_node, repo_root):
    fresh = board.check_round(room.cluster, "ws", room.people)
    assert set(fresh.results) == {p.name for p in room.people}
    assert fresh.count(exercises.PASSED) == 0
    with room.as_participant("p01", local_node.name) as p01:
        p01.namespace = "ws-p01"
        p01.create(solutions.CRASHER_CONFIG)
        for body in (solutions.liveness(7), solutions.init_first(), solutions.slow_ready(),
                     solutions.seed_fixed(repo_root)):
            p01.create(body)
        p01.create(solutions.REPORTER_SETTINGS)
        p01.create(solutions.steady())
        _wait_until_running(p01, "init-first")
        _replace_with_kubectl(room.kubeconfig("p01"), "ws-p01", solutions.init_first_replaced())
        _wait_until_running(p01, "init-first")
        rest.request(p01, "PATCH", "/api/v1/namespaces/ws-p01/pods/init-first/ephemeralcontainers",
                     "adding an ephemeral container", solutions.EPHEMERAL,
                     content_type="application/strategic-merge-patch+json")
    with room.as_participant("p02", local_node.name) as p02:
        p02.namespace = "ws-p02"
        p02.create(solutions.liveness(60))  # killed after about 7 s, not 60
        p02.create(solutions.slow_ready(start_after=0))  # Ready at once: the startup probe held nothing back
        p02.create(solutions.REPORTER_SETTINGS_WITHOUT_KEY)  # the ConfigMap, but not the key reporter needs
        p02.create(solutions.steady(equal=False))  # limits above requests: Burstable
    ids = [e.id for e in exercises.EXERCISES]

    def settled(result):
        mine = result.results["p01"]
        theirs = result.results["p02"]
        return all(mine[i].state == exercises.PASSED for i in ids) and \
            all(theirs[i].state == exercises.FAILING for i in ("liveness", "startup", "configerror", "guaranteed"))

    result = _wait_for_board(room, settled)
    FIGURES["check round"] = f"{ROOM_SIZE} participants x {len(ids)} exercises in {result.seconds:.2f} s"
    shown = board.text(result)
    for exercise_id in ids:
        assert result.passed("p01", exercise_id), f"{exercise_id}: {result.results['p01'][exercise_id]}\n{shown}"
    wrong = result.results["p02"]["liveness"]
    assert wrong.state == exercises.FAILING and "you predicted 60 s" in wrong.detail and wrong.hint
    assert result.results["p02"]["startup"].state == exercises.FAILING
    missing_key = result.results["p02"]["configerror"]
    assert missing_key.state == exercises.FAILING, missing_key
    assert missing_key.detail == "ConfigMap reporter-settings has no key level (its keys: colour)"
    assert result.results["p03"]["configerror"].detail == "reporter is waiting: CreateContainerConfigError"
    burstable = result.results["p02"]["guaranteed"]
    assert burstable.detail == "steady is Burstable: requests differ from limits in app", burstable
    assert all(result.results[p.name][i].state == exercises.NOT_YET for p in room.people[2:] for i in ids)
    assert "p02 liveness: killed" in shown and "hint:" in shown
    page = board.html_page(result)
    assert page.count('<td class="passed"') == len(ids) and page.count('<td class="failing"') >= 2


def _replace_with_kubectl(kubeconfig: str, namespace: str, body: dict) -> None:
    """What the exercise `replace` asks: apply is refused (a running Pod's env cannot change, see
    ValidatePodUpdate in pkg/apis/core/validation upstream); replace --force --grace-period=0 deletes the
    Pod at once and creates it again."""
    refused = solutions.kubectl(kubeconfig, namespace, "apply", manifest=body)
    assert refused.returncode == 1 and "may not change fields other than" in refused.stderr, refused.stderr
    replaced = solutions.kubectl(kubeconfig, namespace, "replace", "--force", "--grace-period=0", manifest=body)
    assert replaced.returncode == 0, replaced.stderr
    assert "pod/init-first replaced" in replaced.stdout, replaced.stdout


def test_the_notebook_cell_checks_the_participant_with_their_own_kubeconfig(room):
    mine = notebook_check(room.kubeconfig("p01"))
    assert mine.namespace == "ws-p01"
    assert len(mine.results) == len(exercises.EXERCISES)
    assert mine.passed == len(exercises.EXERCISES), str(mine)
    theirs = notebook_check(room.kubeconfig("p02"))
    assert theirs.results["liveness"].state == exercises.FAILING
    assert "hints:" in str(theirs)


def test_check_on_the_command_line_prints_json_and_writes_the_board_page(room, local_node):
    done = subprocess.run([sys.executable, "-m", "podnotes", "workshop", "check", "ws", "-o", "json"],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert len(answer["results"]) == ROOM_SIZE
    assert answer["results"]["p01"]["seed"]["state"] == exercises.PASSED
    page = (room.record.folder / "board.html").read_text()
    assert "p20" in page and "<table>" in page


def _refused(action) -> dict:
    with pytest.raises(ApiRejected) as caught:
        action()
    return caught.value.status


ATTACKS_IN_B = [
    ("GET", "/api/v1/namespaces/ws-p02/pods", None),
    ("GET", "/api/v1/namespaces/ws-p02/pods/crasher", None),
    ("GET", "/api/v1/namespaces/ws-p02/configmaps", None),
    ("GET", "/api/v1/namespaces/ws-p02/pods?watch=1&timeoutSeconds=1", None),
    ("GET", "/api/v1/namespaces/ws-p02/pods/crasher/log", None),
    ("GET", "/api/v1/namespaces/ws-p02/events", None),
    ("GET", "/api/v1/namespaces/ws-p02/services", None),
    ("GET", "/apis/apps/v1/namespaces/ws-p02/deployments", None),
    ("POST", "/api/v1/namespaces/ws-p02/pods", solutions.init_first()),
    ("POST", "/api/v1/namespaces/ws-p02/configmaps", solutions.CRASHER_CONFIG),
    ("DELETE", "/api/v1/namespaces/ws-p02/pods/crasher", None),
    ("DELETE", "/api/v1/namespaces/ws-p02/pods", None),
    ("PATCH", "/api/v1/namespaces/ws-p02/pods/crasher", {"metadata": {"labels": {"x": "y"}}}),
    ("POST", "/api/v1/namespaces/ws-p02/serviceaccounts/participant/token", {"spec": {}}),
]
ATTACKS_CLUSTER_WIDE = [
    ("GET", "/api/v1/namespaces", None),
    ("GET", "/api/v1/pods", None),
    ("GET", "/api/v1/nodes", None),
    ("GET", "/api/v1/secrets", None),
    ("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mine"}}),
    ("DELETE", "/api/v1/namespaces/ws-p02", None),
    ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", None),
    ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "me"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "ServiceAccount", "name": "participant", "namespace": "ws-p01"}]}),
]
ATTACKS_ON_OWN_LIMITS = [
    ("PATCH", "/api/v1/namespaces/ws-p01/resourcequotas/workshop", {"spec": {"hard": {"pods": "100"}}}),
    ("DELETE", "/api/v1/namespaces/ws-p01/limitranges/workshop", None),
    ("PATCH", "/api/v1/namespaces/ws-p01", {"metadata": {"labels": {"pod-security.kubernetes.io/enforce":
                                                                      "privileged"}}}),
    ("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ws-p01/rolebindings",
     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "me"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
      "subjects": [{"kind": "ServiceAccount", "name": "participant", "namespace": "ws-p01"}]}),
    ("GET", "/api/v1/namespaces/ws-p01/secrets", None),
]


@pytest.mark.parametrize("method, path, body", ATTACKS_IN_B + ATTACKS_CLUSTER_WIDE + ATTACKS_ON_OWN_LIMITS)
def test_a_participant_is_refused_with_403_outside_their_rights(room, local_node, method, path, body):
    with room.as_participant("p01", local_node.name) as p01:
        content = "application/merge-patch+json" if method == "PATCH" else "application/json"
        status = _refused(lambda: rest.request(p01, method, path, "attack", body, content_type=content))
    assert status["code"] == 403, status
    assert "system:serviceaccount:ws-p01:participant" in status["message"]


def test_the_same_kubeconfig_works_in_its_own_namespace(room, local_node):
    with room.as_participant("p01", local_node.name) as p01:
        assert any(p["metadata"]["name"] == "crasher" for p in rest.items(p01, "v1", "Pod", "ws-p01"))


def _pod(name: str, **container) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [{
        "name": "app", "image": exercises.IMAGE, "command": ["sleep", "60"], **container}]}}


def test_quota_and_limit_range_refuse_what_does_not_fit(room, local_node):
    with room.as_participant("p03", local_node.name) as p03:
        def create(body):
            return rest.request(p03, "POST", "/api/v1/namespaces/ws-p03/pods", "creating", body)

        too_big = _pod("too-big", resources={"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}})
        status = _refused(lambda: create(too_big))
        assert status["code"] == 403 and "exceeded quota" in status["message"], status
        over_max = _pod("over-max", resources={"limits": {"memory": "1Gi"}})
        status = _refused(lambda: create(over_max))
        assert status["code"] == 403 and "maximum memory usage per Container is 128Mi" in status["message"]
        made = []
        for index in range(int(namespace_objects.QUOTA["pods"]) + 2):
            try:
                create(_pod(f"filler-{index}"))
                made.append(index)
            except ApiRejected as err:
                assert err.status["code"] == 403 and "exceeded quota" in err.status["message"]
                break
        seeded = [seed for seed in exercises.seeds() if seed["kind"] == "Pod"]  # crasher and reporter
        assert len(made) == int(namespace_objects.QUOTA["pods"]) - len(seeded)
    reset.reset(room.cluster, "ws", room.people[2])


@pytest.mark.parametrize("container, spec, words", [
    ({"securityContext": {"privileged": True}}, {}, "privileged"),
    ({"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}, {}, "capabilities"),
    ({}, {"hostNetwork": True}, "host namespaces"),
    ({}, {"hostPID": True}, "host namespaces"),
    ({}, {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}, "hostPath"),
])
def test_pod_security_refuses_privileged_pods(room, local_node, container, spec, words):
    body = _pod("escape", **container)
    body["spec"].update(spec)
    with room.as_participant("p04", local_node.name) as p04:
        status = _refused(lambda: rest.request(p04, "POST", "/api/v1/namespaces/ws-p04/pods", "creating", body))
    assert status["code"] == 403 and 'violates PodSecurity "baseline:latest"' in status["message"], status
    assert words in status["message"]


def test_reset_empties_one_namespace_and_leaves_the_others(room, local_node):
    before_p02 = {p["metadata"]["name"]: p["metadata"]["uid"] for p in rest.items(room.cluster, "v1", "Pod", "ws-p02")}
    old_crasher = rest.get(room.cluster, "v1", "Pod", "ws-p01", "crasher")["metadata"]["uid"]
    done = subprocess.run([sys.executable, "-m", "podnotes", "workshop", "reset", "ws", "p01"],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    pods = rest.items(room.cluster, "v1", "Pod", "ws-p01")
    assert sorted(p["metadata"]["name"] for p in pods) == ["crasher", "reporter"]
    assert rest.get(room.cluster, "v1", "Pod", "ws-p01", "crasher")["metadata"]["uid"] != old_crasher
    assert [c["metadata"]["name"] for c in rest.items(room.cluster, "v1", "ConfigMap", "ws-p01")] == \
        ["kube-root-ca.crt"]
    assert {p["metadata"]["name"]: p["metadata"]["uid"]
            for p in rest.items(room.cluster, "v1", "Pod", "ws-p02")} == before_p02
    after = board.check_round(room.cluster, "ws", room.people)
    assert not any(after.passed("p01", e.id) for e in exercises.EXERCISES)
    with room.as_participant("p01", local_node.name) as p01:  # the token still works after a reset
        assert rest.items(p01, "v1", "Pod", "ws-p01")


def test_down_removes_everything_and_proves_it(room):
    done = subprocess.run([sys.executable, "-m", "podnotes", "workshop", "down", "ws"],
                          capture_output=True, text=True, timeout=180, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert "nothing labelled podnotes.io/workshop=ws is left" in done.stdout
    FIGURES["down"] = done.stdout.strip().splitlines()[-1]
    assert down.workshop_namespaces(room.cluster, "ws") == []
    left, checked = down.labelled_objects(room.cluster, "ws")
    assert checked > 30 and left == []
    assert records.load("ws") is None and not room.record.folder.exists()
    status = _refused(lambda: rest.request(room.cluster, "GET", "/api/v1/namespaces/ws-p01", "reading"))
    assert status["code"] == 404
