"""What a participant who solved each exercise applies, and a wrong answer per exercise for the
"failing" column. Every object is created with the participant's own kubeconfig."""

from __future__ import annotations

from pathlib import Path

import yaml

from podnotes.workshop.exercises import IMAGE, PREDICTION_ANNOTATION, REPLACED_ENV

LOOP = 'trap "exit 0" TERM; while true; do sleep 1 & wait; done'


def _pod(name: str, spec: dict, annotations: dict | None = None) -> dict:
    metadata = {"name": name, **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"terminationGracePeriodSeconds": 2, **spec}}


def liveness(predicted: float) -> dict:
    # The file goes at 6 s; the probe runs every 2 s from 1 s on, so the kill comes 6 to 8 s after the start.
    return _pod("predicted", {"containers": [{
        "name": "app", "image": IMAGE,
        "command": ["sh", "-c", f'touch /tmp/healthy; trap "exit 0" TERM; sleep 6 & wait; rm /tmp/healthy; {LOOP}'],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 1,
                          "periodSeconds": 2, "failureThreshold": 1}}]},
        {PREDICTION_ANNOTATION: str(predicted)})


CRASHER_CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "crasher-config"},
                  "data": {"greeting": "hello from the workshop"}}


def init_first() -> dict:
    mount = [{"name": "work", "mountPath": "/work"}]
    return _pod("init-first", {
        "volumes": [{"name": "work", "emptyDir": {}}],
        "initContainers": [{"name": "prepare", "image": IMAGE, "volumeMounts": mount,
                            "command": ["sh", "-c", "sleep 1; echo ok > /work/ready"]}],
        "containers": [{"name": "app", "image": IMAGE, "volumeMounts": mount,
                        "command": ["sh", "-c", f"test -f /work/ready || exit 1; {LOOP}"]}]})


def init_first_replaced() -> dict:
    """init-first with MODE=replaced in its app container: what `kubectl replace --force` sends."""
    body = init_first()
    body["spec"]["containers"][0]["env"] = [dict(REPLACED_ENV)]
    return body


REPORTER_SETTINGS = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "reporter-settings"},
                     "data": {"level": "info"}}
REPORTER_SETTINGS_WITHOUT_KEY = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "reporter-settings"},
                                 "data": {"colour": "blue"}}


def slow_ready(start_after: int = 7) -> dict:
    probe = {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 1}
    return _pod("slow-ready", {"containers": [{
        "name": "app", "image": IMAGE,
        "command": ["sh", "-c", f'trap "exit 0" TERM; sleep {start_after} & wait; touch /tmp/started; {LOOP}'],
        "startupProbe": {**probe, "failureThreshold": 30}, "readinessProbe": probe}]})


def seed_fixed(repo_root: Path) -> dict:
    """The book's fixed seed template, made to fit a workshop namespace (no namespace of its own; requests
    and limits within the namespace's LimitRange and ResourceQuota)."""
    body = yaml.safe_load((repo_root / "chapters/manifests/seed-full-template.fixed.yaml").read_text())
    body["metadata"].pop("namespace", None)
    for container in body["spec"]["containers"]:
        container["resources"] = {"requests": {"cpu": "20m", "memory": "32Mi"},
                                  "limits": {"cpu": "200m", "memory": "64Mi"}}
    return body


def seed_as_given(repo_root: Path) -> dict:
    body = yaml.safe_load((repo_root / "chapters/manifests/seed-full-template.yaml").read_text())
    body["metadata"].pop("namespace", None)
    return body


EPHEMERAL = {"spec": {"ephemeralContainers": [{
    "name": "debugger", "image": IMAGE, "targetContainerName": "app",
    "command": ["sh", "-c", "ps; sleep 1"]}]}}


def kubectl(kubeconfig: str, namespace: str, *args: str, manifest: dict | None = None):
    """The pinned kubectl as the participant runs it, with their own kubeconfig; ``manifest`` goes to
    ``-f -``. Returns the CompletedProcess."""
    import subprocess
    import tempfile

    from podnotes.cluster.binaries import find_client, missing_client_reason

    program = find_client("kubectl")
    assert program is not None, missing_client_reason("kubectl")
    argv = [str(program), f"--kubeconfig={kubeconfig}", f"--namespace={namespace}", *args]
    if manifest is not None:
        argv += ["-f", "-"]
    with tempfile.TemporaryDirectory(prefix="podnotes-kubectl-home-") as home:  # its caches, not the user's
        return subprocess.run(argv, input=yaml.safe_dump(manifest) if manifest is not None else None,
                              capture_output=True, text=True, timeout=120, cwd=home,
                              env={"PATH": "/usr/bin:/bin", "HOME": home})


def steady(equal: bool = True) -> dict:
    """The exercise `guaranteed`: requests equal to limits for CPU and memory (ComputePodQOS); with
    ``equal=False`` the limits are twice the requests, which makes the Pod Burstable."""
    requests = {"cpu": "10m", "memory": "16Mi"}
    limits = requests if equal else {"cpu": "20m", "memory": "32Mi"}
    return _pod("steady", {"containers": [{"name": "app", "image": IMAGE, "command": ["sh", "-c", LOOP],
                                           "resources": {"requests": dict(requests), "limits": dict(limits)}}]})
