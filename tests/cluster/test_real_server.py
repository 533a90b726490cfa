"""podnotes.cluster against a real kube-apiserver + etcd (see conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from podnotes import cluster
from podnotes.cluster import ApiRejected, ClusterUnreachable, WaitTimeout
from podnotes.probes.timeline import Event

from .conftest import CLUSTER_NAME
from .kubelet import FakeKubelet, effective_changes

pytestmark = pytest.mark.cluster

HERE = Path(__file__).parent
NGINX = HERE / "manifests" / "nginx-test.yaml"


def nginx(**changes) -> dict:
    body = yaml.safe_load(NGINX.read_text())
    for dotted, value in changes.items():
        node = body
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return body


def test_the_harness_looks_like_kind_to_the_guard(control_plane):
    from podnotes.cluster.binaries import pinned_versions

    with cluster.connect(CLUSTER_NAME, kubeconfig=control_plane.kubeconfig) as connection:
        assert connection.target.guard == "kind-loopback"
        assert connection.context == f"kind-{CLUSTER_NAME}"
        version = connection.version()
    if "build.sh cache" in control_plane.binaries.source:
        assert version == pinned_versions()[0]


def test_apply_creates_then_configures_with_the_podnotes_field_manager(kind_cluster):
    first = kind_cluster.apply(NGINX)
    assert [str(o) for o in first] == [f"pod/nginx-test in {kind_cluster.namespace} created"]
    second = kind_cluster.apply(nginx(**{"metadata.labels": {"app": "nginx", "tier": "web"}}))
    assert second[0].action == "configured"
    live = kind_cluster.get("Pod", "nginx-test")
    assert live["metadata"]["labels"] == {"app": "nginx", "tier": "web", "app.kubernetes.io/managed-by": "podnotes"}
    assert "podnotes.io/run" not in (live["metadata"].get("annotations") or {}), "outside a cleanup block"
    managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
    assert ("podnotes", "Apply") in managers


def test_create_refuses_an_existing_object_with_the_servers_reason(kind_cluster):
    kind_cluster.create(NGINX)
    with pytest.raises(ApiRejected) as caught:
        kind_cluster.create(NGINX)
    assert caught.value.reason == "AlreadyExists"
    assert str(NGINX) in str(caught.value)


def test_replace_may_change_the_image_but_not_the_ports(kind_cluster):
    # The ServiceAccount admission plugin sets serviceAccountName and adds the token volume on create, not
    # on update, so a replace that sends the manifest again would drop them, a change a Pod refuses (kubectl
    # replace does the same). This Pod names its account and opts out of the token.
    no_token = {"spec.automountServiceAccountToken": False, "spec.serviceAccountName": "default"}
    kind_cluster.create(nginx(**no_token))
    replaced = kind_cluster.replace(nginx(**no_token, **{"spec.containers.0.image": "nginx:1.28"}))
    assert replaced[0].object["spec"]["containers"][0]["image"] == "nginx:1.28"

    changed_port = nginx(**no_token, **{"spec.containers.0.ports": [{"name": "http", "containerPort": 8080}]})
    with pytest.raises(ApiRejected) as caught:
        kind_cluster.replace(changed_port)
    assert caught.value.reason == "Invalid"
    assert "pod updates may not change fields other than" in caught.value.message
    assert caught.value.hint == cluster.POD_UPDATE_HINT


def test_replace_with_the_manifest_again_drops_the_token_volume_and_is_refused(kind_cluster):
    """As on any cluster with the ServiceAccount admission plugin: the created Pod holds kube-api-access-*,
    the manifest does not, and a Pod update may not remove a volume."""
    created = kind_cluster.create(NGINX)[0].object
    assert any(v["name"].startswith("kube-api-access-") for v in created["spec"]["volumes"])
    with pytest.raises(ApiRejected) as caught:
        kind_cluster.replace(nginx(**{"spec.containers.0.image": "nginx:1.28"}))
    assert "pod updates may not change fields other than" in caught.value.message


def test_replace_force_deletes_and_creates_a_new_object(kind_cluster):
    before = kind_cluster.create(NGINX)[0].object["metadata"]["uid"]
    changed_port = nginx(**{"spec.containers.0.ports": [{"name": "http", "containerPort": 8080}]})
    after = kind_cluster.replace(changed_port, force=True)[0].object
    assert after["metadata"]["uid"] != before
    assert after["spec"]["containers"][0]["ports"][0]["containerPort"] == 8080


def test_an_unscheduled_pod_is_deleted_at_once(kind_cluster):
    kind_cluster.create(NGINX)
    outcome = kind_cluster.delete(NGINX)[0]
    assert outcome.action == "deleted"
    assert not kind_cluster.exists("Pod", "nginx-test")


def test_graceful_delete_waits_for_a_kubelet_and_force_delete_does_not(kind_cluster):
    kind_cluster.create(NGINX)
    FakeKubelet(kind_cluster, "nginx-test", kind_cluster.namespace).bind()

    outcome = kind_cluster.delete(NGINX, grace_period=30)[0]
    assert outcome.action == "terminating", "a Pod on a node stays until its kubelet confirms"
    live = kind_cluster.get("Pod", "nginx-test")
    assert live["metadata"]["deletionTimestamp"] and live["metadata"]["deletionGracePeriodSeconds"] == 30
    with pytest.raises(cluster.ClusterError, match="still terminating"):
        kind_cluster.delete(NGINX, wait=True, timeout=1)

    forced = kind_cluster.force_delete(NGINX)[0]
    assert forced.action == "deleted"
    assert not kind_cluster.exists("Pod", "nginx-test")


def test_dry_run_stores_nothing_and_reports_like_lint(kind_cluster):
    assert kind_cluster.dry_run(NGINX) == []
    assert not kind_cluster.exists("Pod", "nginx-test")

    broken = NGINX.read_text().replace("containerPort: 80", "containerPort: 80000").replace(
        "image: nginx:1.27", "image: ''")
    findings = kind_cluster.dry_run(broken)
    by_path = {f.path: f for f in findings}
    assert set(by_path) == {"spec.containers[0].image", "spec.containers[0].ports[0].containerPort"}
    port = by_path["spec.containers[0].ports[0].containerPort"]
    assert (port.rule, port.severity, port.line) == ("server-field-value-invalid", "error", 13)
    assert by_path["spec.containers[0].image"].rule == "server-field-value-required"
    assert "is invalid" in port.server_message


def test_offline_dry_run_answers_like_the_real_server(kind_cluster):
    """What the kubectl chapter prints without a cluster (podnotes.cluster.offline) is what the server says."""
    from podnotes.cluster.offline import OfflineCluster

    broken = NGINX.read_text().replace("containerPort: 80", "containerPort: 80000")
    real = [(f.rule, f.path, f.line, f.message) for f in kind_cluster.dry_run(broken)]
    predicted = [(f.rule, f.path, f.line, f.message) for f in OfflineCluster().dry_run(broken)]
    assert real and predicted == real


@pytest.mark.parametrize("init_policy, app_policy", [("Never", None), ("OnFailure", "OnFailure"),
                                                      ("Sometimes", None), (None, "Sometimes")])
def test_container_restart_policies_as_the_server_judges_them(kind_cluster, init_policy, app_policy):
    """Container restart rules are on in the pinned server (ContainerRestartRules, beta since 1.35): an init
    or app container's own restartPolicy may be Always, OnFailure or Never; podnotes lint agrees, value list
    included (validateInitContainerRestartPolicy, validateContainerRestartPolicy)."""
    from podnotes.lint import lint

    body = nginx()
    body["metadata"]["name"] = "restart-policies"
    body["spec"]["initContainers"] = [{"name": "prepare", "image": "busybox:1.36.1"}]
    for container, policy in ((body["spec"]["initContainers"][0], init_policy),
                              (body["spec"]["containers"][0], app_policy)):
        if policy:
            container["restartPolicy"] = policy
    server = sorted((f.path, f.server_message.split(": ", 1)[1] if ": " in f.server_message else "")
                    for f in kind_cluster.dry_run(yaml.safe_dump(body)))
    linted = sorted((f.path, f.server_message.split(": ", 1)[1]) for f in lint(body, advice=False)
                    if f.severity == "error")
    valid = "Sometimes" not in (init_policy, app_policy)
    assert (server == []) == valid, server
    assert [path for path, _ in linted] == [path for path, _ in server]
    for (_, said), (_, predicted) in zip(server, linted, strict=True):
        assert said.endswith('supported values: "Always", "Never", "OnFailure"') and predicted in said


def test_wait_for_follows_the_watch_until_ready(kind_cluster):
    kind_cluster.create(NGINX)
    kubelet = FakeKubelet(kind_cluster, "nginx-test", kind_cluster.namespace)
    kubelet.bind()
    script = [Event(0.0, "phase", phase="Pending"), Event(1.0, "start", container="nginx", restart_count=0),
              Event(1.0, "phase", phase="Running"), Event(2.0, "ready", container="nginx", status=True),
              Event(2.0, "condition", condition="Ready", status=True)]
    player = threading.Thread(target=kubelet.play, args=(script, 0.5))
    player.start()
    pod = cluster.wait_for(kind_cluster, "nginx-test", "Ready", timeout=30, progress=False)
    player.join()
    assert pod["status"]["phase"] == "Running"
    with pytest.raises(WaitTimeout) as caught:
        cluster.wait_for(kind_cluster, "nginx-test", "Succeeded", timeout=2, progress=False)
    assert "Running" in str(caught.value)



def test_wait_for_says_when_the_pod_ended_or_was_deleted(kind_cluster):
    """Typed outcomes: a Pod that reached Failed can never become Ready (PodEnded, with its last state);
    a Pod deleted while waited for raises PodDeleted."""
    kind_cluster.create(NGINX)
    kubelet = FakeKubelet(kind_cluster, "nginx-test", kind_cluster.namespace)
    kubelet.bind()
    kubelet.play([Event(0.0, "phase", phase="Failed")], 0.1)
    with pytest.raises(cluster.PodEnded) as ended:
        cluster.wait_for(kind_cluster, "nginx-test", "Ready", timeout=10, progress=False)
    assert ended.value.pod["status"]["phase"] == "Failed" and "never be Ready" in str(ended.value)
    kind_cluster.force_delete(NGINX)
    kind_cluster.create(NGINX)  # Pending, and nothing will run it
    threading.Timer(1.0, lambda: kind_cluster.force_delete(NGINX)).start()
    with pytest.raises(cluster.PodDeleted):
        cluster.wait_for(kind_cluster, "nginx-test", "Ready", timeout=20, progress=False)

LIVENESS_RESTART = [
    Event(0.0, "phase", phase="Pending"),
    Event(0.0, "condition", condition="PodScheduled", status=True),
    Event(0.5, "waiting", container="nginx", reason="ContainerCreating"),
    Event(1.0, "start", container="nginx", restart_count=0),
    Event(1.0, "started", container="nginx", status=True),
    Event(1.0, "phase", phase="Running"),
    Event(2.0, "ready", container="nginx", status=True),
    Event(2.0, "condition", condition="ContainersReady", status=True),
    Event(2.0, "condition", condition="Ready", status=True),
    Event(4.0, "probe", container="nginx", probe="liveness", handler="httpGet", result="failure",
          message="HTTP probe failed with statuscode: 500"),
    Event(5.0, "kill", container="nginx", reason="LivenessProbe", seconds=30.0),
    Event(5.5, "exit", container="nginx", exit_code=137, reason="Error"),
    Event(5.5, "ready", container="nginx", status=False),
    Event(5.5, "started", container="nginx", status=False),
    Event(5.5, "condition", condition="Ready", status=False),
    Event(5.5, "condition", condition="ContainersReady", status=False),
    Event(6.0, "start", container="nginx", restart_count=1),
    Event(6.0, "started", container="nginx", status=True),
    Event(7.0, "ready", container="nginx", status=True),
    Event(7.0, "condition", condition="ContainersReady", status=True),
    Event(7.0, "condition", condition="Ready", status=True),
]


def observe_while_playing(kind_cluster, kubelet, events, speed: float, duration: float):
    """observe() the Pod; the kubelet starts playing once the watch has delivered the Pod's current state."""
    watching = threading.Event()
    player = threading.Thread(target=lambda: watching.wait(60) and kubelet.play(events, speed))
    player.start()
    try:
        return cluster.observe(kind_cluster, kubelet.pod, duration=duration, on_event=lambda _: watching.set())
    finally:
        watching.set()
        player.join()


def test_observe_records_exactly_the_transitions_written(kind_cluster):
    kind_cluster.create(NGINX)
    kubelet = FakeKubelet(kind_cluster, "nginx-test", kind_cluster.namespace)
    kubelet.bind()
    timeline = observe_while_playing(kind_cluster, kubelet, LIVENESS_RESTART, speed=0.4, duration=6)
    assert timeline.source == "observed" and timeline.pod == "nginx-test"
    assert effective_changes(timeline.events) == effective_changes(LIVENESS_RESTART)
    assert timeline.restarts("nginx"), "the restart is visible as a start with restart_count 1"
    probes = timeline.select("probe", "nginx")
    assert [(p.probe, p.result) for p in probes] == [("liveness", "failure")]
    assert [k.reason for k in timeline.select("kill")] == ["LivenessProbe"]
    times = [e.time for e in timeline.events]
    assert times == sorted(times) and times[-1] < timeline.duration + 1


def test_observe_replays_a_simulated_timeline(kind_cluster):
    from podnotes.probes import preset, simulate

    example = preset("exec-liveness") if _has_preset("exec-liveness") else None
    if example is None:
        pytest.skip("no exec-liveness preset in podnotes.probes")
    pod = example.pod() if callable(getattr(example, "pod", None)) else example.pod
    predicted = simulate(pod, example.behaviour, duration=40)
    pod = {**pod, "metadata": {**pod["metadata"], "namespace": kind_cluster.namespace}}
    kind_cluster.create(pod)
    name = pod["metadata"]["name"]
    kubelet = FakeKubelet(kind_cluster, name, kind_cluster.namespace)
    kubelet.bind()
    speed = 0.1
    observed = observe_while_playing(kind_cluster, kubelet, predicted.events, speed,
                                     duration=predicted.duration * speed + 2)
    # The API server itself writes phase Pending (on create) and PodScheduled (on binding) before the kubelet
    # plays, so those two come first in the watch whatever order the simulator lists them in at time 0.
    from_server = [("phase", "Pending"), ("condition", "PodScheduled", True)]
    expected = [change for change in effective_changes(predicted.events) if change not in from_server]
    assert effective_changes(observed.events)[:2] == from_server
    assert effective_changes(observed.events)[2:] == expected
    assert [k.reason for k in observed.select("kill")] == [k.reason for k in predicted.select("kill")]
    from podnotes import plot

    png = plot.render(plot.compare(predicted, observed))
    assert png.startswith(b"\x89PNG"), "the observed timeline overlays the simulated one"


def _has_preset(name: str) -> bool:
    from podnotes.probes import PRESETS

    return name in PRESETS


def test_workshop_namespace_is_deleted_afterwards(control_plane):
    with cluster.open_cluster(CLUSTER_NAME, kubeconfig=control_plane.kubeconfig) as connected:
        with connected.workshop_namespace() as namespace:
            assert namespace.startswith("podnotes-")
            connected.create(NGINX)
        live = connected.list("Namespace")
        remaining = [ns for ns in live if ns["metadata"]["name"] == namespace]
        # Without a namespace controller the namespace stays Terminating; it is marked for deletion.
        assert not remaining or remaining[0]["metadata"].get("deletionTimestamp")


def test_an_error_inside_cleanup_on_error_removes_what_it_created(kind_cluster):
    kind_cluster.create(nginx(**{"metadata.name": "existing"}))
    with pytest.raises(RuntimeError), kind_cluster.cleanup_on_error() as record:
        kind_cluster.apply(nginx(**{"metadata.name": "existing"}))
        kind_cluster.apply(NGINX)
        raise RuntimeError("something failed half-way")
    assert [str(r) for r in record.removed] == ["pod/nginx-test"]
    assert not kind_cluster.exists("Pod", "nginx-test")
    assert kind_cluster.exists("Pod", "existing"), "an object that existed before is left alone"


def test_a_stopped_server_is_reported_with_what_to_run(tmp_path, control_plane):
    config = yaml.safe_load(control_plane.kubeconfig.read_text())
    from podnotes.cluster.controlplane import free_port

    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ClusterUnreachable) as caught:
        cluster.connect(CLUSTER_NAME, kubeconfig=path)
    assert "does not answer" in caught.value.message and "kind get clusters" in caught.value.hint


# --- the command line -----------------------------------------------------------------------
def podnotes(*args, control_plane, **kwargs):
    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": CLUSTER_NAME}
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, env=env,
                          timeout=120, **kwargs)


def test_cli_apply_and_delete(kind_cluster, control_plane):
    ns = kind_cluster.namespace
    applied = podnotes("apply", "-f", str(NGINX), "-n", ns, control_plane=control_plane)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == f"pod/nginx-test in {ns} created"
    dry = podnotes("apply", "-f", str(NGINX), "-n", ns, "--dry-run", "server", control_plane=control_plane)
    assert dry.returncode == 2 and "server-already-exists" in dry.stdout
    deleted = podnotes("delete", "-f", str(NGINX), "-n", ns, "--force", control_plane=control_plane)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"pod/nginx-test in {ns} deleted"
    assert "Immediate deletion does not wait" in deleted.stderr
    again = podnotes("delete", "-f", str(NGINX), "-n", ns, control_plane=control_plane)
    assert again.returncode == 2 and "not found" in again.stderr and "Traceback" not in again.stderr


def test_cli_refuses_a_context_that_is_not_kind(tmp_path, control_plane):
    config = yaml.safe_load(control_plane.kubeconfig.read_text())
    config["clusters"][0]["cluster"]["server"] = "https://prod.example.invalid:6443"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    result = podnotes("apply", "-f", str(NGINX), "--kubeconfig", str(path), control_plane=control_plane)
    assert result.returncode == 5
    assert "not a loopback address" in result.stderr and "Nothing was sent" in result.stderr


def test_cli_wait_timeout_removes_what_the_run_created(kind_cluster, control_plane):
    ns = kind_cluster.namespace
    result = podnotes("apply", "-f", str(NGINX), "-n", ns, "--wait", "Ready", "--timeout", "2",
                      control_plane=control_plane)
    assert result.returncode == 5
    assert "was not Ready after 2 s" in result.stderr
    assert "removing what this run created: pod/nginx-test" in result.stderr
    assert not kind_cluster.exists("Pod", "nginx-test")


def test_ctrl_c_during_wait_removes_what_the_run_created(kind_cluster, control_plane):
    ns = kind_cluster.namespace
    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": CLUSTER_NAME}
    process = subprocess.Popen([sys.executable, "-m", "podnotes", "apply", "-f", str(NGINX), "-n", ns,
                                "--wait", "Ready", "--timeout", "90"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not kind_cluster.exists("Pod", "nginx-test"):
            assert time.monotonic() < deadline, "the Pod was never created"
            time.sleep(0.1)
        time.sleep(0.5)  # inside the wait now
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "removing what this run created: pod/nginx-test" in err
    assert not kind_cluster.exists("Pod", "nginx-test")


@pytest.mark.parametrize("output_args", [
    ("-o", "{dir}/timeline.json"),  # the older form: a file whose suffix names the format
    ("-o", "json", "--output-file", "{dir}/timeline.out"),  # kubectl's habit: -o is a format
])
def test_cli_observe_writes_the_timeline(kind_cluster, control_plane, tmp_path, output_args):
    ns = kind_cluster.namespace
    output = tmp_path / output_args[-1].format(dir=tmp_path).rsplit("/", 1)[1]
    output_args = [arg.format(dir=tmp_path) for arg in output_args]
    env = {**os.environ, "PODNOTES_KUBECONFIG": str(control_plane.kubeconfig), "PODNOTES_CLUSTER": CLUSTER_NAME}
    process = subprocess.Popen([sys.executable, "-m", "podnotes", "apply", "-f", str(NGINX), "-n", ns,
                                "--observe", "8", *output_args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        seen = []
        while not any("phase phase=Pending" in line for line in seen):  # the watch has delivered the Pod
            line = process.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        assert seen[0].startswith("observing pod/nginx-test"), seen
        kubelet = FakeKubelet(kind_cluster, "nginx-test", ns)
        kubelet.bind()
        kubelet.play(LIVENESS_RESTART[:9], speed=0.3)
        out, err = process.communicate(timeout=60)
        err = "".join(seen) + err
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    from podnotes.probes.timeline import Timeline

    timeline = Timeline.from_json(output.read_text())
    assert timeline.source == "observed"
    assert effective_changes(timeline.events)[2:] == [
        c for c in effective_changes(LIVENESS_RESTART[:9]) if c not in [("phase", "Pending"),
                                                                       ("condition", "PodScheduled", True)]]
    assert "start container=nginx restart_count=0" in err, "events are printed as they arrive"
