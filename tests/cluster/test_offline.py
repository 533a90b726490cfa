"""The chapter's offline predictions follow the API server's rules (checked against the real one in
test_real_server.py where both apply)."""

from __future__ import annotations

import pytest

from podnotes.cluster import POD_UPDATE_HINT, ApiRejected
from podnotes.cluster.offline import OfflineCluster
from podnotes.cluster.tables import pod_table

from .test_real_server import NGINX, nginx


def test_create_twice_is_already_exists():
    api = OfflineCluster("lady-killer9")
    assert str(api.create(NGINX)[0]) == "pod/nginx-test in lady-killer9 created"
    with pytest.raises(ApiRejected) as caught:
        api.create(NGINX)
    assert caught.value.reason == "AlreadyExists"


def test_defaults_are_filled_in_like_the_server():
    api = OfflineCluster()
    api.create(NGINX)
    stored = api.get("Pod", "nginx-test")
    assert stored["spec"]["restartPolicy"] == "Always"
    assert stored["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    latest = nginx(**{"metadata.name": "latest", "spec.containers.0.image": "nginx"})
    api.create(latest)
    assert api.get("Pod", "latest")["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_replace_allows_the_image_and_refuses_the_port():
    api = OfflineCluster()
    api.create(NGINX)
    assert api.replace(nginx(**{"spec.containers.0.image": "nginx:1.28"}))[0].action == "replaced"
    with pytest.raises(ApiRejected) as caught:
        api.replace(nginx(**{"spec.containers.0.ports": [{"containerPort": 8080}]}))
    assert caught.value.reason == "Invalid" and caught.value.hint == POD_UPDATE_HINT
    uid = api.get("Pod", "nginx-test")["metadata"]["uid"]
    api.replace(nginx(**{"spec.containers.0.ports": [{"containerPort": 8080}]}), force=True)
    assert api.get("Pod", "nginx-test")["metadata"]["uid"] != uid


def test_a_pod_on_a_node_terminates_until_forced():
    api = OfflineCluster()
    placed = nginx(**{"spec.nodeName": "gone"})
    api.create(placed)
    assert api.delete(placed)[0].action == "terminating"
    assert "Terminating" in pod_table(api.list("Pod"))
    assert api.force_delete(placed)[0].action == "deleted"
    assert pod_table(api.list("Pod")) == "No resources found."


def test_dry_run_is_what_lint_says_the_server_would_answer():
    api = OfflineCluster()
    findings = api.dry_run(NGINX.read_text().replace("containerPort: 80", "containerPort: 80000"))
    assert [f.path for f in findings] == ["spec.containers[0].ports[0].containerPort"]
    assert api.dry_run(NGINX) == []
    assert not api.exists("Pod", "nginx-test")


def test_dry_run_speaks_in_the_api_servers_words():
    """The chapter prints ``finding.message`` whether a server answered or not, so the offline answer uses
    the server's cause message (field.Error.ErrorBody() in k8s.io/apimachinery/pkg/util/validation/field),
    not the linter's own explanation."""
    broken = NGINX.read_text().replace("containerPort: 80", "containerPort: 80000").replace(
        "image: nginx:1.27", "image: ''")
    by_path = {f.path: f for f in OfflineCluster().dry_run(broken)}
    port = by_path["spec.containers[0].ports[0].containerPort"]
    assert port.message == "Invalid value: 80000: must be between 1 and 65535, inclusive"
    assert port.server_message == ('Pod "nginx-test" is invalid: spec.containers[0].ports[0].containerPort: '
                                   "Invalid value: 80000: must be between 1 and 65535, inclusive")
    assert (port.rule, port.line) == ("server-field-value-invalid", 13)
    assert by_path["spec.containers[0].image"].rule == "server-field-value-required"
    assert by_path["spec.containers[0].image"].message.startswith("Required value")


def test_wide_table_columns():
    api = OfflineCluster()
    api.create(NGINX)
    header = pod_table(api.list("Pod"), wide=True).splitlines()[0].split()
    assert header[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] and "NODE" in header


def test_the_stored_pod_has_its_qos_class_and_defaulted_probes():
    """The offline cluster records status.qosClass as ComputePodQOS does (quantities compared by value) and
    applies SetDefaults_Probe (successThreshold 0 -> 1), like the API server."""
    api = OfflineCluster()
    pod = nginx(**{"metadata.name": "exact"})
    container = pod["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": 0.1, "memory": "1e9"}, "limits": {"cpu": "100m", "memory": "1G"}}
    container["livenessProbe"] = {"tcpSocket": {"port": 80}, "successThreshold": 0}
    api.create(pod)
    stored = api.get("Pod", "exact")
    assert stored["status"]["qosClass"] == "Guaranteed"
    assert stored["spec"]["containers"][0]["livenessProbe"]["successThreshold"] == 1
    api.create(nginx(**{"metadata.name": "plain"}))
    assert api.get("Pod", "plain")["status"]["qosClass"] == "BestEffort"
