"""Differential check of the Pod Security Standards: `podnotes lint` against the pod-security admission plugin.

Namespaces of the real kube-apiserver 1.37.2 are labelled ``pod-security.kubernetes.io/enforce`` =
``baseline`` or ``restricted`` and ``enforce-version`` = several versions whose checks differ (the gates of
:func:`podnotes.lint.pss.version_gates`). Every Pod of :mod:`.pss_corpus` is dry-run created in each; the
plugin's whole message (``pods "NAME" is forbidden: violates PodSecurity "LEVEL:VERSION": ...``) must be
exactly the one the linter writes, and where the plugin admits the Pod the linter must find nothing. At
``latest`` the message is also read from the findings of ``podnotes lint --level``.
"""

from __future__ import annotations

import json
import uuid

import pytest

from podnotes.lint import lint
from podnotes.lint.pss import evaluate
from podnotes.manifest import load

from ..conftest import BUILD
from .conftest import REPORT
from .pss_corpus import generate
from .server_paths import Server

pytestmark = pytest.mark.cluster

VERSIONS = ("v1.18", "v1.22", "v1.24", "v1.25", "v1.30", "v1.31", "v1.34", "v1.35", "latest")
LEVELS = ("baseline", "restricted")
RESULTS = BUILD / "pss-vs-server.json"


@pytest.fixture(scope="module")
def namespaces(control_plane):
    created = {}
    suffix = uuid.uuid4().hex[:6]
    try:
        for level in LEVELS:
            for version in VERSIONS:
                server = Server(control_plane, f"pss-{level}-{version.replace('.', '-')}-{suffix}")
                server.create_namespace({"pod-security.kubernetes.io/enforce": level,
                                         "pod-security.kubernetes.io/enforce-version": version})
                created[(level, version)] = server
        for server in created.values():
            server.wait_for_service_account()
        yield created
    finally:
        for server in created.values():
            server.delete_namespace()


def expected_message(pod: dict, level: str, version: str) -> str:
    """What the linter says the plugin answers: "" for admitted."""
    root = load(pod)[0].root
    report = evaluate(root.get("spec"), version, root.get("metadata"))
    return report.server_message(level, pod["metadata"]["name"]) if report.at(level) else ""


def server_message(server: Server, pod: dict) -> str | None:
    """The plugin's message ("" when admitted), or None when validation refused the Pod before admission."""
    status, answer = server.post_status(server.url("Pod"), json.dumps(pod).encode())
    if status in (200, 201):
        return ""
    if status == 422:
        return None
    assert status == 403 and "violates PodSecurity" in answer.get("message", ""), \
        f"{pod['metadata']['name']}: the server refused it for another reason: {answer.get('message')}"
    return answer["message"]


def test_pod_security_messages_are_the_plugins(namespaces):
    cases = generate()
    assert len(cases) >= 250
    compared, differences = 0, []
    refused, invalid = 0, set()
    for (level, version), server in namespaces.items():
        answers = server.map(lambda case, target=server: server_message(target, case[1]), cases)
        for (label, pod), answer in zip(cases, answers, strict=True):
            if answer is None:
                invalid.add(label)  # a combination the API's validation refuses: admission never sees it
                continue
            expected = expected_message(pod, level, version)
            compared += 1
            refused += bool(answer)
            if answer != expected:
                differences.append({"pod": label, "namespace": f"{level}:{version}", "server": answer,
                                    "lint": expected})
    summary = (f"{compared - len(differences)}/{compared} Pod Security answers identical "
               f"({len(cases)} Pods x {len(namespaces)} namespaces, {refused} refused; {len(invalid)} Pods invalid "
               "before admission)")
    REPORT["pod security vs server"] = summary
    print(summary)
    BUILD.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "differences": differences}, indent=2, ensure_ascii=False))
    for difference in differences[:20]:
        print(f"  {difference['namespace']} {difference['pod']}\n    server: {difference['server']}\n"
              f"    lint:   {difference['lint']}")
    assert refused > len(cases)  # the corpus does violate the levels: most Pods are refused somewhere
    assert not [label for label in invalid if "+" not in label], "every single operator makes a valid Pod"
    assert len(invalid) < len(cases) // 10, sorted(invalid)
    assert not differences, f"{len(differences)} answers differ (see {RESULTS})"


def test_lint_findings_carry_the_plugins_message(namespaces):
    """`podnotes lint --level L` puts the enforce message of namespace L:latest on each Pod Security finding."""
    cases = [case for case in generate() if "+" not in case[0]]
    checked = 0
    for level in LEVELS:
        server = namespaces[(level, "latest")]
        answers = server.map(lambda case, target=server: server_message(target, case[1]), cases)
        for (label, pod), answer in zip(cases, answers, strict=True):
            assert answer is not None, f"{label}: refused by validation"
            findings = [f for f in lint(pod, level=level) if f.rule.startswith("pss-")]
            assert bool(findings) == bool(answer), f"{level} {label}: lint {findings} / server {answer}"
            prefix = f'pods "{pod["metadata"]["name"]}" is forbidden: '
            for finding in findings:
                assert prefix + finding.server_message == answer, label
                checked += 1
    assert checked > 50


def test_workload_warnings_are_the_plugins(namespaces):
    """For a Deployment the plugin only warns (``would violate PodSecurity ...``) about its Pod template;
    the linter's Pod Security findings on the Deployment carry the same text."""
    from .corpus import workload

    cases = [case for case in generate() if "+" not in case[0] and "win" not in case[0]]
    checked = 0
    for level in LEVELS:
        server = namespaces[(level, "latest")]
        deployments = [(label, workload("Deployment", pod)) for label, pod in cases]
        answers = server.map(lambda case, target=server: target.post_warnings(
            target.url("Deployment"), json.dumps(case[1]).encode()), deployments)
        for (label, deployment), (status, warnings) in zip(deployments, answers, strict=True):
            if status == 422:
                continue  # a template the Deployment's own validation refuses
            assert status == 201, f"{level} {label}: {status}"
            plugin = [w for w in warnings if "PodSecurity" in w]
            findings = {f.server_message for f in lint(deployment, level=level) if f.rule.startswith("pss-")}
            expected = [f"would violate {text.removeprefix('violates ')}" for text in findings]
            assert expected == plugin, f"{level} {label}"
            checked += bool(plugin)
    assert checked > 50
