"""Do lint's server warnings say word for word what kube-apiserver answers in its ``Warning`` headers?

Each manifest goes to the real API server as ``kubectl create --dry-run=server`` sends it (dryRun=All,
fieldValidation=Strict); the warnings the server returns (pkg/api/pod/warnings.go) must be exactly the
``server_message`` of lint's warnings that are not Pod Security advice, and both must accept or refuse.
The server sends warnings only with an object it accepts; lint reports them with its errors too, so that
one round of fixes clears both.
"""

from __future__ import annotations

import json
import re

import pytest

from podnotes.lint import ERROR, WARNING, lint

pytestmark = pytest.mark.cluster

COLLECTIONS = {"Pod": "/api/v1/namespaces/{ns}/pods", "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
               "DaemonSet": "/apis/apps/v1/namespaces/{ns}/daemonsets",
               "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets"}
_WARNING = re.compile(r'\d{3} [^ ]+ "((?:[^"\\]|\\.)*)"')


def pod(spec_extra=None, **container):
    spec = {"containers": [{"name": "app", "image": "nginx:1.27.3", **container}], **(spec_extra or {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def deployment(template_spec, rolling=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "strategy": {"rollingUpdate": rolling or {}},
                     "template": {"metadata": {"labels": {"a": "b"}}, "spec": template_spec}}}


CASES = {
    "fractional requests and limits": pod(resources={"requests": {"memory": "1.5"}, "limits": {"memory": "2.5"}}),
    "fractional limits defaulted into requests": pod(resources={"limits": {"memory": "100m",
                                                                           "ephemeral-storage": "0.0001"}}),
    "fractional rounded up": pod(resources={"requests": {"memory": "1500001u"}}),
    "whole bytes": pod(resources={"requests": {"memory": "0.5Ki", "ephemeral-storage": "1e9"}}),
    "duplicate ports": pod(ports=[{"containerPort": 80}, {"containerPort": 80}]),
    "overlapping ports": pod({"initContainers": [{"name": "i", "image": "x:1", "ports": [{"containerPort": 80}]}]},
                             ports=[{"containerPort": 80, "hostPort": 8080}]),
    "ambiguous ports": pod(ports=[{"containerPort": 80, "hostPort": 80},
                                  {"containerPort": 80, "hostPort": 80, "hostIP": "127.0.0.1"}]),
    "hostIP without hostPort": pod(ports=[{"containerPort": 80, "hostIP": "127.0.0.1", "name": "web"}]),
    "env hides": pod(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]),
    "env refers": pod(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "$(A)2"}]),
    "pull secrets": pod({"imagePullSecrets": [{"name": "a"}, {"name": "a"}, {"name": ""}]}),
    "host aliases": pod({"hostAliases": [{"ip": "127.0.0.1", "hostnames": ["a"]},
                                         {"ip": "127.0.0.1", "hostnames": ["b"]}]}),
    "lifecycle tcpSocket (no warning)": pod(lifecycle={"preStop": {"tcpSocket": {"port": 80}}}),
    "template ports": deployment(pod(ports=[{"containerPort": 80}, {"containerPort": 80}])["spec"]),
    "template fractional limit (not defaulted into requests)": deployment(
        pod(resources={"limits": {"memory": "100m"}})["spec"]),
    "template refused and warned": deployment(pod(resources={"limits": {"memory": "100m"}})["spec"],
                                              {"maxSurge": "1"}),
}


def server_answer(cluster, body) -> tuple[bool, list[str]]:
    """(accepted, warnings) for a server-side dry run of ``body``."""
    api = cluster.api_client
    url = api.configuration.host + COLLECTIONS[body["kind"]].format(ns=cluster.namespace) + \
        "?dryRun=All&fieldValidation=Strict"
    headers = {"Content-Type": "application/json", "Accept": "application/json", **api.default_headers}
    token = api.configuration.api_key.get("authorization")
    if token:
        headers["authorization"] = token
    response = api.call_api("POST", url, header_params=headers, body=json.loads(json.dumps(body)))
    response.read()
    warning = response.getheader("Warning") or ""
    return response.status < 300, [text.replace('\\"', '"') for text in _WARNING.findall(warning)]


@pytest.mark.parametrize("case", list(CASES))
def test_lint_warns_as_the_server_does(kind_cluster, case):
    body = CASES[case]
    findings = lint(body, level="privileged", advice=False)
    accepted, warnings = server_answer(kind_cluster, body)
    assert accepted == (not any(f.severity == ERROR for f in findings))
    linted = sorted(f.server_message for f in findings if f.severity == WARNING)
    if accepted:
        assert linted == sorted(warnings)
    else:
        assert warnings == []
    if "no warning" not in case and "refers" not in case and "whole" not in case:
        assert linted  # the case shows a warning at all
