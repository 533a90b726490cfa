"""Shared storage and the files the kubelet writes, on the real node.

Pod ``files``: two containers share an ``emptyDir``; the writer also mounts an ``emptyDir`` with
``medium: Memory`` (a tmpfs) and has a 64 MiB memory limit, and writing 24 MiB there raises its cgroup's
memory usage; the Downward API as environment variables and as a volume; the projected service-account
token the ServiceAccount admission plugin adds; the kubelet's ``/etc/hosts``, the runtime's
``/etc/resolv.conf`` and ``/dev/shm``, the kubelet's ``/dev/termination-log``.
Pods ``dns-default`` and ``dns-none``: ``/etc/resolv.conf`` under ``dnsPolicy: Default`` and ``None``.
Pod ``ending``: termination messages from the file and, with ``FallbackToLogsOnError``, from the log.
Every Pod is deleted before the scene returns.
"""

from __future__ import annotations

import yaml

from .. import podfiles, podhost, scenepods
from ..cri import Crictl

NAME = "shared-storage"
IMAGE = "registry.k8s.io/busybox:1.27.2"
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
TMPFS_WRITE_MIB = 24
MEMORY_LIMIT = "64Mi"
TMPFS_SIZE_LIMIT = "32Mi"
DNS_SEARCH = "podnotes.example"
MOUNT_POINTS = ("/shared", "/cache", "/etc/podinfo", "/var/run/secrets/kubernetes.io/serviceaccount",
                "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/dev/shm", "/dev/termination-log")


def files_pod() -> dict:
    env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
           {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
           {"name": "MEMORY_LIMIT_MIB", "valueFrom": {"resourceFieldRef": {
               "resource": "limits.memory", "divisor": "1Mi"}}}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "files", "labels": {"app": "files", "tier": "demo"},
                         "annotations": {"team": "storage"}},
            "spec": {"terminationGracePeriodSeconds": 2,
                     "volumes": [
                         {"name": "shared", "emptyDir": {}},
                         {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": TMPFS_SIZE_LIMIT}},
                         {"name": "podinfo", "downwardAPI": {"items": [
                             {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                             {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
                             {"path": "cpu_limit_millicores", "resourceFieldRef": {
                                 "containerName": "writer", "resource": "limits.cpu", "divisor": "1m"}}]}}],
                     "containers": [
                         {"name": "writer", "image": IMAGE,
                          "command": ["sh", "-c", "echo written by $HOSTNAME > /shared/greeting; "
                                                  "trap 'exit 0' TERM; sleep 3600 & wait"],
                          "env": env,
                          "resources": {"limits": {"memory": MEMORY_LIMIT, "cpu": "250m"}},
                          "volumeMounts": [{"name": "shared", "mountPath": "/shared"},
                                           {"name": "cache", "mountPath": "/cache"},
                                           {"name": "podinfo", "mountPath": "/etc/podinfo"}]},
                         {"name": "reader", "image": IMAGE, "command": SLEEPER,
                          "volumeMounts": [{"name": "shared", "mountPath": "/shared", "readOnly": True}]}]}}


def dns_pods(nameserver: str) -> list[dict]:
    """``Default`` and ``None`` (with ``dnsConfig``); ``files`` above keeps ``ClusterFirst``, the default.
    The nameserver is the node's own bridge address, where nothing answers DNS: nothing is ever resolved."""
    base = {"terminationGracePeriodSeconds": 2, "automountServiceAccountToken": False,
            "containers": [{"name": "app", "image": IMAGE, "command": SLEEPER}]}
    return [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dns-default"},
         "spec": {**base, "dnsPolicy": "Default"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dns-none"},
         "spec": {**base, "dnsPolicy": "None", "dnsConfig": {
             "nameservers": [nameserver], "searches": [DNS_SEARCH],
             "options": [{"name": "ndots", "value": "2"}]}}},
    ]


def ending_pod() -> dict:
    """Three containers that fail at once: one writes its reason to /dev/termination-log, one only prints
    it under FallbackToLogsOnError, one only prints it under the default policy File."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ending"}, "spec": {
        "restartPolicy": "Never", "automountServiceAccountToken": False,
        "containers": [
            {"name": "writes-file", "image": IMAGE,
             "command": ["sh", "-c", "echo 'config /etc/app.conf missing' > /dev/termination-log; exit 3"]},
            {"name": "logs-fallback", "image": IMAGE, "terminationMessagePolicy": "FallbackToLogsOnError",
             "command": ["sh", "-c", "echo starting; echo 'cannot bind port 80'; exit 1"]},
            {"name": "logs-ignored", "image": IMAGE,
             "command": ["sh", "-c", "echo starting; echo 'cannot bind port 80'; exit 1"]}]}}


def observe(context) -> dict:
    crictl = Crictl.for_endpoint(context.node.containerd.endpoint)
    admin, namespace = context.admin, context.namespace
    record: dict = {"namespace": namespace, "manifests": {"files": files_pod(), "ending": ending_pod()}}
    with scenepods.running(admin, namespace, [files_pod(), *dns_pods(context.node.network.gateway)]) as live:
        record.update(_files(crictl, live["files"], namespace))
        record["resolv_conf"] = {"ClusterFirst": record.pop("files_resolv_conf")}
        for name, policy in (("dns-default", "Default"), ("dns-none", "None")):
            container = crictl.container_id(crictl.sandbox_id(name, namespace), "app")
            record["resolv_conf"][policy] = crictl.exec(container, "cat", "/etc/resolv.conf")
        record["dns_none_config"] = dns_pods(context.node.network.gateway)[1]["spec"]["dnsConfig"]
        record["events"] = [{"reason": e.get("reason"), "type": e.get("type"), "message": e.get("message"),
                             "object": e.get("involvedObject", {}).get("name")}
                            for e in admin.list("Event", namespace)
                            if e.get("reason") in ("MissingClusterDNS", "DNSConfigForming")]
        kubelet_config = yaml.safe_load((context.node.workdir / "kubelet-config.yaml").read_text())
        record["kubelet_cluster_dns"] = kubelet_config.get("clusterDNS", [])
    with scenepods.running(admin, namespace, [ending_pod()], until="Failed") as ended:
        record["ending"] = [{"name": s["name"], "terminated": s["state"]["terminated"]}
                            for s in ended["ending"]["status"]["containerStatuses"]]
    return record


def _files(crictl: Crictl, pod: dict, namespace: str) -> dict:
    sandbox = crictl.sandbox_id("files", namespace)
    writer, reader = crictl.container_id(sandbox, "writer"), crictl.container_id(sandbox, "reader")
    writer_pid = crictl.json("inspect", writer)["info"]["pid"]
    cgroup = podhost.cgroup_path(writer_pid, "memory")

    def run(container: str, *command: str) -> str:
        return crictl.exec(container, *command)

    before = podfiles.memory_charged(cgroup)
    run(writer, "dd", "if=/dev/zero", "of=/cache/blob", "bs=1M", f"count={TMPFS_WRITE_MIB}")
    after = podfiles.memory_charged(cgroup)
    cache_df = run(writer, "df", "-k", "/cache")
    run(writer, "rm", "/cache/blob")
    removed = podfiles.memory_charged(cgroup)

    token = run(writer, "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
    return {
        "pod_uid": pod["metadata"]["uid"],
        "pod_ip": pod["status"]["podIP"],
        "volumes": pod["spec"]["volumes"],
        "shared": {"reader_sees": run(reader, "cat", "/shared/greeting"),
                   "writer_hostname": run(writer, "hostname").strip(),
                   "reader_write": _refused(crictl, reader, "touch", "/shared/from-reader")},
        "tmpfs": {"cgroup": cgroup, "before": before, "after": after, "removed": removed,
                  "written_mib": TMPFS_WRITE_MIB, "df": cache_df},
        "downward_env": dict(line.split("=", 1) for line in run(writer, "env").splitlines()
                             if line.split("=", 1)[0] in ("POD_NAME", "POD_IP", "NODE_NAME", "MEMORY_LIMIT_MIB")),
        "downward_files": {name: run(writer, "cat", f"/etc/podinfo/{name}")
                           for name in ("labels", "annotations", "cpu_limit_millicores")},
        "token_claims": podfiles.jwt_claims(token),
        "token_dir": run(writer, "ls", "-la", "/var/run/secrets/kubernetes.io/serviceaccount/"),
        "namespace_file": run(writer, "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"),
        "ca_begins": run(writer, "head", "-n", "1", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"),
        "etc_hosts": run(writer, "cat", "/etc/hosts"),
        "files_resolv_conf": run(writer, "cat", "/etc/resolv.conf"),
        "mounts": [m.__dict__ for m in podfiles.parse_mountinfo(run(writer, "cat", "/proc/self/mountinfo"))
                   if m.target in MOUNT_POINTS],
        "shm_df": run(writer, "df", "-k", "/dev/shm"),
    }


def _refused(crictl: Crictl, container: str, *command: str) -> str:
    """The error a command fails with ('' when it succeeds)."""
    try:
        crictl.exec(container, *command)
    except RuntimeError as err:
        return str(err)
    return ""
