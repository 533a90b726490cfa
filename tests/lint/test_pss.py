"""Pod Security messages as the pod-security admission plugin (k8s.io/pod-security-admission v0.37.2) words
them: one grouped reason per check, its plurals, quoting and sorting, its version gates and its order.
The real plugin checks the same messages in tests/cluster/test_pss_vs_server.py."""

from __future__ import annotations

import pytest

from podnotes.lint import lint
from podnotes.lint.pss import CHECK_IDS, checks_at, evaluate, minor_of, version_gates
from podnotes.manifest import load


def report(text: str, version: str = "latest"):
    root = load(text)[0].root
    assert root is not None and root.get("spec") is not None
    return evaluate(root.get("spec"), version, root.get("metadata"))


POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: a
    image: busybox
    ports: [{containerPort: 80, hostPort: 80}]
  - name: b
    image: busybox
    ports: [{containerPort: 81, hostPort: 81}, {containerPort: 10000, hostPort: 10000}]
"""


def test_host_ports_of_several_containers_are_one_reason():
    # check_hostPorts.go: containers joined and quoted, ports as a sorted set of strings
    assert report(POD).detail("baseline") == 'hostPort (containers "a", "b" use hostPorts 10000, 80, 81)'


def test_one_container_one_port_is_singular():
    text = POD.split("  - name: b")[0]
    assert report(text).detail("baseline") == 'hostPort (container "a" uses hostPort 80)'


def test_restricted_replaces_baseline_checks_and_keeps_the_plugins_order():
    text = POD.replace("spec:\n", "spec:\n  volumes: [{name: h, hostPath: {path: /tmp}}]\n")
    reasons = [v.check for v in report(text).at("restricted")]
    assert reasons == ["hostPorts", "allowPrivilegeEscalation", "capabilities_restricted", "restrictedVolumes",
                       "runAsNonRoot", "seccompProfile_restricted"]
    assert "hostPathVolumes" in [v.check for v in report(text).at("baseline")]


@pytest.mark.parametrize("version, allowed", [("v1.36", False), ("latest", True), ("1.37", True)])
def test_sysctls_allowed_since_1_37(version, allowed):
    text = POD.split("  - name: a")[0].replace("spec:\n", "spec:\n  securityContext:\n    sysctls:\n"
                                               "    - {name: net.ipv4.tcp_notsent_lowat, value: '1'}\n")
    text += "  - name: a\n    image: busybox\n"
    assert (report(text, version).at("baseline") == []) is allowed


def test_user_namespaces_relax_run_as_user_from_1_35():
    text = POD.split("  - name: a")[0].replace(
        "spec:\n", "spec:\n  hostUsers: false\n  securityContext: {runAsUser: 0, runAsNonRoot: false}\n")
    text += "  - name: a\n    image: busybox\n"
    old = [v.check for v in report(text, "v1.34").at("restricted")]
    new = [v.check for v in report(text, "v1.35").at("restricted")]
    assert {"runAsUser", "runAsNonRoot"} <= set(old)
    assert not {"runAsUser", "runAsNonRoot"} & set(new)


def test_an_app_armor_annotation_counts_as_the_field_the_server_makes_of_it():
    text = POD.split("  - name: b")[0].replace(
        "  name: p\n", "  name: p\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: unconfined\n")
    assert report(text).detail("baseline").startswith(
        'forbidden AppArmor profiles (container "a" and annotation must not set AppArmor profile type to '
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined""')


def test_lint_findings_carry_the_whole_enforce_message():
    findings = [f for f in lint(POD, level="baseline") if f.rule.startswith("pss-")]
    assert [f.rule for f in findings] == ["pss-hostPorts"]
    assert findings[0].server_message == ('violates PodSecurity "baseline:latest": hostPort (containers "a", "b" '
                                          "use hostPorts 10000, 80, 81)")


def test_version_gates_cover_every_check_and_only_restricted_checks_override():
    gates = version_gates()
    assert {row[0] for row in gates} == set(CHECK_IDS)
    assert all(row[1] == "restricted" for row in gates if row[4])
    assert [check.id for check, _ in checks_at("baseline", 18)][:2] == ["appArmorProfile", "capabilities_baseline"]
    assert "hostProbesAndHostLifecycle" not in [check.id for check, _ in checks_at("baseline", 33)]


@pytest.mark.parametrize("text", ["2.1", "v1", "one"])
def test_a_version_that_is_not_1_n_is_refused(text):
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        minor_of(text)


def test_the_reference_page_tables_the_gates_the_code_has():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "chapters" / "reference" / "linter-vs-server.md"
    rows = [line for line in page.read_text().splitlines() if line.startswith("| `")
            and line.count("|") == 6 and line.split("|")[2].strip() in ("baseline", "restricted")]
    assert rows, "the page has a table of gates"
    tabled = [tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")) for row in rows]
    assert tabled == [tuple(gate) for gate in version_gates()]
