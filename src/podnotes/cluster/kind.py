"""``podnotes kind up`` / ``down``: a kind cluster suited to the book, through the ``kind`` CLI.

kind runs each Kubernetes node as a Docker container, so it needs the ``kind``
program and a running Docker engine. :func:`missing_tools` says precisely
which of them is missing and how to get it; nothing else here runs without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import yaml

from .errors import ClusterError, ToolMissing

KIND_VERSION = "v0.33.0"
# The default node image of kind v0.33.0 (its release notes, "Breaking Changes" and "Images pre-built for
# this release": https://github.com/kubernetes-sigs/kind/releases/tag/v0.33.0), Kubernetes 1.37.0 as the
# book targets, pinned by digest because kind supports an image only with the release that built it.
NODE_IMAGE = "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"


def cluster_config() -> dict:
    """One control-plane node that also runs Pods, API on loopback only (what the connection guard expects)."""
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": {"apiServerAddress": "127.0.0.1"},
        "nodes": [{"role": "control-plane", "labels": {"podnotes.dev/book": "true"}}],
    }


@dataclass(frozen=True)
class Missing:
    tool: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.tool}: {self.problem} -> {self.fix}"


def missing_tools(run=subprocess.run) -> list[Missing]:
    """What stops `kind create cluster` from working here (empty list: nothing)."""
    problems = []
    if shutil.which("kind") is None:
        problems.append(Missing("kind", "not found on PATH",
                                f"`go install sigs.k8s.io/kind@{KIND_VERSION}` (or a release binary from "
                                "https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"))
    if shutil.which("docker") is None:
        problems.append(Missing("docker", "not found on PATH",
                                "install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop"))
    else:
        try:
            info = run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                       timeout=20)
            if info.returncode != 0:
                detail = (info.stderr or info.stdout).strip().splitlines()
                problems.append(Missing("docker", "the docker command cannot reach a Docker engine"
                                        + (f" ({detail[0]})" if detail else ""),
                                        "start the engine (`sudo systemctl start docker`, or open Docker Desktop) "
                                        "and make sure your user may use it (`docker info` must work)"))
        except subprocess.TimeoutExpired:
            problems.append(Missing("docker", "`docker info` did not answer in 20 s",
                                    "check that the Docker engine is running"))
    return problems


def require_tools(run=subprocess.run, again: str = "podnotes kind up") -> None:
    """Raise ToolMissing naming each missing tool; ``again`` is the command the hint says to run again."""
    problems = missing_tools(run)
    if problems:
        raise ToolMissing("kind needs the kind program and a running Docker engine:\n  "
                          + "\n  ".join(str(p) for p in problems),
                          hint=f"fix the above, then run `{again}` again; without Docker, the book's "
                               "cluster cells show the simulated outcome instead")


def existing_clusters(run=subprocess.run) -> list[str]:
    result = run(["kind", "get", "clusters"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ClusterError(f"`kind get clusters` failed: {result.stderr.strip()}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def up(name: str = "kind", image: str = NODE_IMAGE, wait: str = "180s", run=subprocess.run) -> str:
    """Create kind cluster ``name`` (context ``kind-<name>``) unless it exists; return what happened.

    If creation fails or is interrupted, the half-made cluster is deleted again.
    """
    require_tools(run, f"podnotes kind up --name {name}")
    if name in existing_clusters(run):
        return f"kind cluster {name!r} already exists (context kind-{name})"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="podnotes-kind-", delete=False) as config:
        yaml.safe_dump(cluster_config(), config, sort_keys=False)
    try:
        result = run(["kind", "create", "cluster", "--name", name, "--image", image, "--config", config.name,
                      "--wait", wait])
        if result.returncode != 0:
            raise ClusterError(f"`kind create cluster --name {name}` failed (exit {result.returncode})",
                               hint="its output above says why; `podnotes kind down` removes leftovers")
    except BaseException:
        run(["kind", "delete", "cluster", "--name", name], capture_output=True, text=True, timeout=300)
        raise
    finally:
        os.unlink(config.name)
    return f"kind cluster {name!r} is up (context kind-{name}, image {image.split('@')[0]})"


def down(name: str = "kind", run=subprocess.run) -> str:
    require_tools(run, f"podnotes kind down --name {name}")
    if name not in existing_clusters(run):
        return f"there is no kind cluster {name!r}"
    result = run(["kind", "delete", "cluster", "--name", name])
    if result.returncode != 0:
        raise ClusterError(f"`kind delete cluster --name {name}` failed (exit {result.returncode})",
                           hint="its output above says why; `docker ps -a --filter "
                                f"label=io.x-k8s.kind.cluster={name}` lists the cluster's containers, and "
                                f"`podnotes kind down --name {name}` tries again")
    return f"kind cluster {name!r} deleted"
