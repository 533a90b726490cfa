"""What a real container on the local node may do, as chapters 2 and 5 state it: the runtime's default
capability set keeps CAP_SYS_CHROOT and drops CAP_SYS_ADMIN and CAP_SYS_PTRACE (containerd's defaultUnixCaps,
pkg/oci/spec.go); a Pod that asks for nothing runs without a seccomp filter and without no_new_privs (the
kubelet's seccompDefault is false, k8s.io/kubernetes v1.37.2 pkg/kubelet/apis/config/v1beta1/defaults.go;
NoNewPrivs only with allowPrivilegeEscalation: false, pkg/securitycontext/util.go AddNoNewPrivileges);
seccompProfile RuntimeDefault and allowPrivilegeEscalation: false turn both on."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_pod_namespaces import container_pids, run_pod

pytestmark = pytest.mark.node

CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SYS_ADMIN = 18, 19, 21  # capability(7) numbers, linux/capability.h
SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER = 0, 2  # proc(5), "Seccomp"


def sleeper(name: str, security_context: dict) -> dict:
    command = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "terminationGracePeriodSeconds": 2,
        "containers": [{"name": "one", "image": "registry.k8s.io/busybox:1.27.2", "command": command,
                        "securityContext": security_context}],
    }}


def status_fields(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


def test_default_container_keeps_sys_chroot_and_has_no_seccomp_filter(local_node, node_cluster):
    pod = run_pod(node_cluster, sleeper("privileges-default", {}))
    status = status_fields(container_pids(local_node, pod)["one"])
    assert {"CapEff", "Seccomp", "NoNewPrivs"} <= set(status), "the container's status was read"
    effective = int(status["CapEff"], 16)
    assert effective & (1 << CAP_SYS_CHROOT), "the default set keeps CAP_SYS_CHROOT"
    assert not effective & (1 << CAP_SYS_ADMIN), "and drops CAP_SYS_ADMIN"
    assert not effective & (1 << CAP_SYS_PTRACE), "and CAP_SYS_PTRACE"
    assert int(status["Seccomp"]) == SECCOMP_MODE_DISABLED, "no seccomp filter unless the Pod asks for one"
    assert status["NoNewPrivs"] == "0", "no_new_privs only with allowPrivilegeEscalation: false"


def test_runtime_default_seccomp_and_no_privilege_escalation_when_asked(local_node, node_cluster):
    asked = {"seccompProfile": {"type": "RuntimeDefault"}, "allowPrivilegeEscalation": False}
    pod = run_pod(node_cluster, sleeper("privileges-asked", asked))
    status = status_fields(container_pids(local_node, pod)["one"])
    assert int(status["Seccomp"]) == SECCOMP_MODE_FILTER
    assert status["NoNewPrivs"] == "1"
