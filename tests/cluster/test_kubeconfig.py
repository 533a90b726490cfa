"""Every kubeconfig problem is a clear error naming file, line and field path, never a traceback.

client-go's own rules are the reference (tools/clientcmd/api/v1/conversion.go refuses a name used twice in one
list; loader.go merges a KUBECONFIG list with the first file winning); the limits on size, nesting, aliases and
special files are podnotes' own, because a kubeconfig may come from anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from podnotes.cluster import BadKubeconfig, NoKubeconfig, choose_context
from podnotes.cluster.kubeconfig import MAX_KUBECONFIG_BYTES, load

from .conftest import REPORT

GOOD = textwrap.dedent("""\
    apiVersion: v1
    kind: Config
    clusters:
    - name: kind-kind
      cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
    contexts:
    - name: kind-kind
      context: {cluster: kind-kind, user: kind-kind}
    users:
    - name: kind-kind
      user: {token: abc}
""")

# (id, file contents, what the message must contain: the field path and the line)
BROKEN = [
    ("duplicate cluster name", GOOD.replace("contexts:", "- name: kind-kind\n  cluster: {server: https://127.0.0.1:1}\n"
                                            "contexts:"), ["clusters[1].name", ":6:", "duplicate name 'kind-kind'"]),
    ("entry without a name", GOOD.replace("- name: kind-kind\n  context:", "- context:"),
     ["contexts[0]", "has no name"]),
    ("context is a string", GOOD.replace("context: {cluster: kind-kind, user: kind-kind}", "context: 'abc'"),
     ["contexts[0].context", ":8:", "expected a mapping"]),
    ("name is a list", GOOD.replace("- name: kind-kind\n  user:", "- name: [1]\n  user:"),
     ["users[0].name", ":10:", "expected a string"]),
    ("server is a list", GOOD.replace('server: "https://127.0.0.1:6443"', "server: [1]"),
     ["clusters[0].cluster.server", "expected a string"]),
    ("insecure flag is a string", GOOD.replace("insecure-skip-tls-verify: true", "insecure-skip-tls-verify: 'yes'"),
     ["clusters[0].cluster.insecure-skip-tls-verify", "expected true or false"]),
    ("clusters is a mapping", GOOD.replace("clusters:\n- name: kind-kind\n  cluster:", "clusters:\n  x:"),
     ["clusters:", "expected a list"]),
    ("top level is a list", "- a\n- b\n", ["not a kubeconfig", "expected a mapping at the top"]),
    ("two documents", GOOD + "---\n" + GOOD, ["not a readable kubeconfig"]),
    ("YAML syntax", GOOD.replace("users:", "users: [\n"), ["not a readable kubeconfig"]),
    ("explicit !!int tag", GOOD.replace("user: {token: abc}", "user: {token: !!int abc}"),
     ["users[0].user.token", "invalid literal"]),
    ("alias", GOOD.replace("user: {token: abc}", "user: &u {token: abc}\n- name: other\n  user: *u"),
     ["users[1].user", "aliases"]),
    ("duplicate key", GOOD.replace("user: {token: abc}", "user: {token: abc, token: def}"),
     ["users[0].user.token", "appears twice"]),
    ("non-string key", GOOD.replace("user: {token: abc}", "user: {1: abc}"), ["users[0].user", "keys must be strings"]),
    ("deep nesting", GOOD.replace("user: {token: abc}", "user: {extensions: " + "[" * 60 + "]" * 60 + "}"),
     ["nested more than"]),
    ("bad base64", GOOD.replace("user: {token: abc}", "user: {client-certificate-data: '%%%'}"),
     ["users[0].user.client-certificate-data", "not valid base64"]),
    ("CA and insecure together", GOOD.replace("insecure-skip-tls-verify: true",
                                              "insecure-skip-tls-verify: true, certificate-authority-data: YWJj"),
     ["clusters[0].cluster.insecure-skip-tls-verify", "cannot be combined"]),
    ("apiVersion wrong", GOOD.replace("apiVersion: v1", "apiVersion: v2"), ["apiVersion", "expected 'v1'"]),
    ("token with a newline", GOOD.replace("user: {token: abc}", 'user: {token: "abc\\r\\nX-Injected: 1"}'),
     ["users[0].user.token", "HTTP header"]),
    ("certificate without key", GOOD.replace("user: {token: abc}", "user: {client-certificate-data: YWJj}"),
     ["users[0]", "client-key is missing"]),
]


def _write(tmp_path, name, text: str | bytes):
    path = tmp_path / f"{name.replace(' ', '-')}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize("case_id, text, expected", BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_kubeconfig_is_a_clear_error(tmp_path, case_id, text, expected):
    path = _write(tmp_path, case_id, text)
    started = time.monotonic()
    with pytest.raises((BadKubeconfig, NoKubeconfig)) as caught:
        choose_context(load([path], explicit=True), "kind")
    assert time.monotonic() - started < 1
    message = str(caught.value)
    assert str(path) in message, message
    for fragment in expected:
        assert fragment in message, message


def test_the_good_kubeconfig_passes(tmp_path):
    target = choose_context(load([_write(tmp_path, "good", GOOD)], explicit=True), "kind")
    assert (target.pinned.ip, target.pinned.port, target.credentials.authorization) == ("127.0.0.1", 6443,
                                                                                        "Bearer abc")


@pytest.mark.parametrize("contents, expected", [
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "not UTF-8 text"),
    (b"clusters: []\x00\n", "not a readable kubeconfig"),
    (b"A" * (MAX_KUBECONFIG_BYTES + 1), "larger than"),
])
def test_binary_and_oversized_files_are_refused(tmp_path, contents, expected):
    path = _write(tmp_path, "binary", contents)
    with pytest.raises(BadKubeconfig, match=expected):
        load([path], explicit=True)


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "FIFO"), ("/dev/zero", "character device"), (tmp_path, "directory")):
        started = time.monotonic()
        with pytest.raises(BadKubeconfig, match=kind):
            load([path], explicit=True)
        assert time.monotonic() - started < 1


def test_a_missing_explicit_file_is_an_error_but_a_missing_list_member_is_skipped(tmp_path, monkeypatch):
    with pytest.raises(NoKubeconfig, match="does not exist"):
        load([tmp_path / "absent"], explicit=True)
    good = _write(tmp_path, "good", GOOD)
    assert load([tmp_path / "absent", good]).files == [good]


def test_the_command_line_reports_a_broken_kubeconfig_without_a_traceback(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    for case_id, text, expected in BROKEN[:4]:
        path = _write(tmp_path, case_id, text)
        result = subprocess.run([sys.executable, "-m", "podnotes", "apply", "-f", str(manifest), "--kubeconfig",
                                 str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 5, result.stderr
        assert "Traceback" not in result.stderr and expected[0] in result.stderr, result.stderr


LARGEST = textwrap.dedent("""
    import sys, time
    from podnotes.cluster.kubeconfig import load
    from pathlib import Path
    started = time.monotonic()
    try:
        load([Path(sys.argv[1])], explicit=True)
        outcome = "read"
    except Exception as err:
        outcome = type(err).__name__
    # VmHWM belongs to this program's own memory map; ru_maxrss would also count the
    # high-water mark of the test process it was forked from.
    peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(outcome, time.monotonic() - started, peak_kib // 1024)
""")


def test_the_largest_accepted_kubeconfig_stays_within_a_second_and_200_mb(tmp_path):
    entry = ("- name: c{0}\n  cluster: {{server: 'https://127.0.0.1:{1}', certificate-authority-data: '"
             + "Q" * 2000 + "'}}\n")
    parts, size, index = ["clusters:\n"], 10, 0
    while size < MAX_KUBECONFIG_BYTES - 3000:
        parts.append(entry.format(index, 1000 + index % 60000))
        size += len(parts[-1])
        index += 1
    path = _write(tmp_path, "largest", "".join(parts))
    result = subprocess.run([sys.executable, "-c", LARGEST, str(path)], capture_output=True, text=True, timeout=120)
    outcome, seconds, peak_mib = result.stdout.split()
    assert outcome == "read", result.stderr
    assert float(seconds) < 1 and int(peak_mib) < 200, result.stdout
    REPORT["kubeconfig"] = (f"{len(BROKEN) + 6} broken kubeconfigs each a one-line error; largest accepted file "
                            f"{path.stat().st_size / 1e6:.1f} MB ({index} clusters) read in {float(seconds):.2f} s, "
                            f"peak {peak_mib} MiB")
    print(REPORT["kubeconfig"])
