"""`podnotes kind`: precise messages when kind or Docker is missing; config suited to the book."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from podnotes.cluster import kind


def fake_program(folder, name, script):
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_cli(*args, path):
    env = {**os.environ, "PATH": str(path)}
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_both_missing_are_named_with_how_to_install(tmp_path):
    result = run_cli("kind", "up", path=tmp_path)
    assert result.returncode == 5
    assert "kind: not found on PATH" in result.stderr and "go install sigs.k8s.io/kind@" in result.stderr
    assert "docker: not found on PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_docker_without_an_engine_is_named(tmp_path):
    fake_program(tmp_path, "kind", "exit 0")
    fake_program(tmp_path, "docker", "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' >&2; "
                                     "exit 1")
    result = run_cli("kind", "check", path=tmp_path)
    assert result.returncode == 5
    assert "cannot reach a Docker engine (Cannot connect to the Docker daemon" in result.stderr
    assert "kind:" not in result.stderr.split("kind cannot run here:")[1], "kind itself was found"


def test_up_passes_the_pinned_image_and_config(tmp_path):
    log = tmp_path / "calls"
    fake_program(tmp_path, "docker", "exit 0")
    fake_program(tmp_path, "kind", f'echo "$@" >> {log}; '
                                   f'if [ "$1" = create ]; then /bin/cat "$8" >> {log}; fi; exit 0')
    result = run_cli("kind", "up", "--name", "book", path=tmp_path)
    assert result.returncode == 0, result.stderr
    calls = log.read_text()
    assert f"create cluster --name book --image {kind.NODE_IMAGE} --config" in calls
    assert "apiServerAddress: 127.0.0.1" in calls


def test_an_interrupted_create_deletes_the_half_made_cluster(tmp_path):
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        if argv[:2] == ["kind", "create"]:
            raise KeyboardInterrupt
        return subprocess.CompletedProcess(argv, 0, "", "")

    original = kind.shutil.which
    kind.shutil.which = lambda name: f"/usr/bin/{name}"
    try:
        try:
            kind.up("book", run=run)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the interrupt must propagate")
    finally:
        kind.shutil.which = original
    assert calls[-1] == ["kind", "delete", "cluster", "--name", "book"]


def test_the_node_image_is_pinned_by_digest():
    assert "@sha256:" in kind.NODE_IMAGE and len(kind.NODE_IMAGE.split("@sha256:")[1]) == 64


def test_the_node_image_runs_the_kubernetes_minor_the_book_targets():
    """kind v0.33.0's release notes list kindest/node:v1.37.0@sha256:a1ed56cf… as its default image; the
    book's API schemas and test API server are 1.37."""
    from podnotes.lint.schema import default_version

    assert kind.KIND_VERSION == "v0.33.0"
    tag = kind.NODE_IMAGE.split("@")[0].rsplit(":", 1)[1]
    assert tag.startswith(f"v{default_version()}."), (tag, default_version())


def test_a_failed_down_says_how_to_look_and_retry_down_not_up(tmp_path):
    fake_program(tmp_path, "docker", "exit 0")
    fake_program(tmp_path, "kind", 'if [ "$1" = get ]; then echo book; exit 0; fi; echo "boom" >&2; exit 3')
    result = run_cli("kind", "down", "--name", "book", path=tmp_path)
    assert result.returncode == 5
    assert "`kind delete cluster --name book` failed (exit 3)" in result.stderr
    assert "podnotes kind down --name book` tries again" in result.stderr and "kind up" not in result.stderr


def test_missing_tools_for_down_name_down_in_the_hint(tmp_path):
    result = run_cli("kind", "down", "--cluster", "book", path=tmp_path)
    assert result.returncode == 5
    assert "run `podnotes kind down --name book` again" in result.stderr and "kind up" not in result.stderr


def test_name_and_cluster_are_one_option_everywhere():
    from podnotes.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["kind", "up", "--cluster", "x"]).name == "x"
    assert parser.parse_args(["kind", "up", "--name", "x"]).name == "x"
    for command in ("apply", "delete"):
        assert parser.parse_args([command, "-f", "a.yaml", "--name", "x"]).cluster == "x"
        assert parser.parse_args([command, "-f", "a.yaml", "--cluster", "x"]).cluster == "x"
    assert parser.parse_args(["cleanup", "--name", "x"]).cluster == "x"


def test_an_unreachable_cluster_is_named_in_the_systems_words(tmp_path):
    """Port 1 on loopback refuses: the message is "Connection refused", not urllib3's wrapper text."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: kind-kind\n  cluster: {server: "
                      "'https://127.0.0.1:1'}\ncontexts:\n- name: kind-kind\n  context: {cluster: kind-kind, user: u}\n"
                      "users:\n- name: u\n  user: {token: t}\ncurrent-context: kind-kind\n")
    result = subprocess.run([sys.executable, "-m", "podnotes", "apply", "-f", str(manifest), "--kubeconfig",
                             str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 5
    assert "at https://127.0.0.1:1 does not answer (Connection refused)" in result.stderr
    assert "HTTPSConnectionPool" not in result.stderr and "Max retries" not in result.stderr
