"""A Pod on the real node, from the kubelet down to the kernel: the CRI calls containerd answered, what
``crictl`` shows, the host processes (shim, pause, the app), the network namespace with its veth and the
address from the CNI bridge, the cgroup path; then two Pods talking by Pod IP, no NAT between them.

Two Pods: ``web`` runs busybox ``httpd`` whose CGI script ``/cgi-bin/ip`` answers with ``REMOTE_ADDR``,
the source address of the connection as the server's socket saw it; ``client`` fetches that page by the
``web`` Pod's IP. Both are deleted before the scene returns.
"""

from __future__ import annotations

import time

from ...linux import views
from .. import podfiles, podhost, scenepods
from ..cri import Crictl, cri_calls

NAME = "pod-on-a-node"
IMAGE = "registry.k8s.io/busybox:1.27.2"
PORT = 8080
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
# httpd's CGI environment follows RFC 3875: REMOTE_ADDR is the peer address of the accepted connection.
SERVER = f"""\
mkdir -p /www/cgi-bin
cat > /www/cgi-bin/ip <<'EOF'
#!/bin/sh
echo Content-Type: text/plain
echo
echo $REMOTE_ADDR
EOF
chmod +x /www/cgi-bin/ip
exec httpd -f -p 0.0.0.0:{PORT} -h /www
"""


def manifests() -> list[dict]:
    """The two Pods of the scene (also printed by the chapter)."""
    web = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"terminationGracePeriodSeconds": 2, "containers": [
               {"name": "server", "image": IMAGE, "command": ["sh", "-c", SERVER],
                "ports": [{"containerPort": PORT}]}]}}
    client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
              "spec": {"terminationGracePeriodSeconds": 2,
                       "containers": [{"name": "client", "image": IMAGE, "command": SLEEPER}]}}
    return [web, client]


def observe(context) -> dict:
    crictl = Crictl.for_endpoint(context.node.containerd.endpoint)
    with scenepods.running(context.admin, context.namespace, manifests()) as live:
        return _record(context, crictl, live)


def _record(context, crictl: Crictl, live: dict[str, dict]) -> dict:
    namespace = context.namespace
    sandbox = crictl.sandbox_id("web", namespace)
    server = crictl.container_id(sandbox, "server")
    inspectp = crictl.json("inspectp", sandbox)
    inspect = crictl.json("inspect", server)
    pause_pid, server_pid = inspectp["info"]["pid"], inspect["info"]["pid"]
    netns = next(entry["path"] for entry in inspectp["info"]["runtimeSpec"]["linux"]["namespaces"]
                 if entry["type"] == "network")

    client_sandbox = crictl.sandbox_id("client", namespace)
    client = crictl.container_id(client_sandbox, "client")
    web_ip, client_ip = live["web"]["status"]["podIP"], live["client"]["status"]["podIP"]
    answer = _fetch(crictl, client, f"http://{web_ip}:{PORT}/cgi-bin/ip")

    log = (context.node.workdir / "containerd.log").read_text(errors="replace")
    host_ns = views.namespace_ids("self")
    return {
        "namespace": namespace,
        "manifests": manifests(),
        "pod_uid": live["web"]["metadata"]["uid"],
        "pod_ip": web_ip,
        "node_ip": live["web"]["status"].get("hostIP"),
        "cri_calls": [call.__dict__ for call in cri_calls(log, sandbox)],
        "crictl": {
            "pods": crictl.run("pods", "--namespace", f"^{namespace}$"),
            "ps": crictl.run("ps", "--pod", sandbox),
            "inspectp": _inspectp_summary(inspectp),
        },
        "processes": [p.__dict__ for p in podhost.process_tree(pause_pid, {"server": server_pid})],
        "network": podhost.pod_network(netns).__dict__,
        "bridge_ports": _bridge_ports(context.node.network.bridge),
        "cgroups": {"pause": podhost.cgroup_path(pause_pid), "server": podhost.cgroup_path(server_pid),
                    "root": "/" + context.node.cgroup_name},
        "namespaces": {"host": host_ns, "pause": views.namespace_ids(pause_pid),
                       "server": views.namespace_ids(server_pid)},
        "root_fstype": _root_fstype(server_pid),
        "no_nat": {"client_pod_ip": client_ip, "server_pod_ip": web_ip, "seen_by_server": podhost.plain_ip(answer),
                   "url": f"http://{web_ip}:{PORT}/cgi-bin/ip"},
    }


def _fetch(crictl: Crictl, container: str, url: str, attempts: int = 10) -> str:
    """``wget -qO- url`` in the container; retried while httpd may still be starting."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            # No -T: Debian's static busybox 1.35 wget crashes (SIGSEGV) with it; crictl's timeout bounds it.
            return crictl.exec(container, "wget", "-qO-", url)
        except RuntimeError as err:
            last = err
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer from the client Pod: {last}")


def _inspectp_summary(inspectp: dict) -> dict:
    """The parts of ``crictl inspectp`` the chapter shows (the full answer is several hundred lines)."""
    status, info = inspectp["status"], inspectp["info"]
    spec = info["runtimeSpec"]
    return {
        "state": status["state"],
        "network_ip": status["network"]["ip"],
        "namespace_options": status["linux"]["namespaces"]["options"],
        "pid": info["pid"],
        "image": info.get("image", ""),
        "cgroups_path": spec["linux"].get("cgroupsPath", ""),
        "process_args": spec["process"]["args"],
        "namespaces": spec["linux"]["namespaces"],
        "cni_interfaces": sorted((info.get("cniResult") or {}).get("Interfaces", {})),
    }


def _root_fstype(pid: int) -> str:
    """The file system type of ``/`` as the container's process sees it (``overlay`` for containerd's
    overlayfs snapshotter)."""
    from pathlib import Path

    mounts = podfiles.parse_mountinfo(Path(f"/proc/{pid}/mountinfo").read_text())
    return podfiles.mount_at(mounts, "/").fstype


def _bridge_ports(bridge: str) -> list[str]:
    from .. import host

    return sorted(host.bridge_ports(bridge))
