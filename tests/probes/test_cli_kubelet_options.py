"""``podnotes timeline --kubelet-config / --feature-gates``: the kubelet settings
that change restart timing (newCrashLoopBackOff in pkg/kubelet/kubelet.go)."""

from __future__ import annotations

import json
import subprocess
import sys


def podnotes(*args):
    return subprocess.run([sys.executable, "-m", "podnotes", "timeline", *args], capture_output=True, text=True,
                          timeout=120)


def back_offs(result):
    assert result.returncode == 0, result.stderr
    return [e["seconds"] for e in json.loads(result.stdout)["events"] if e["kind"] == "backoff"]


def test_feature_gates_and_a_kubelet_config_file_change_the_back_off(tmp_path):
    """ReduceDefaultCrashLoopBackOffDecay starts at 1 s; the config file's
    maxContainerRestartPeriod caps it; the flag wins over the file, as for the kubelet."""
    assert back_offs(podnotes("--preset", "crash-loop", "-o", "-"))[:3] == [10, 20, 40]
    reduced = podnotes("--preset", "crash-loop", "--feature-gates", "ReduceDefaultCrashLoopBackOffDecay=true",
                       "-o", "-")
    assert back_offs(reduced)[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    config = tmp_path / "kubelet.yaml"
    config.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                      "featureGates:\n  ReduceDefaultCrashLoopBackOffDecay: true\n"
                      "crashLoopBackOff:\n  maxContainerRestartPeriod: 60s\n")
    assert back_offs(podnotes("--preset", "crash-loop", "--kubelet-config", str(config), "-o", "-"))[:8] == [
        1, 2, 4, 8, 16, 32, 60, 60]
    flag_wins = podnotes("--preset", "crash-loop", "--kubelet-config", str(config),
                         "--feature-gates", "ReduceDefaultCrashLoopBackOffDecay=false", "-o", "-")
    assert back_offs(flag_wins)[:4] == [10, 20, 40, 60]


def test_bad_kubelet_settings_are_refused_without_a_traceback(tmp_path):
    result = podnotes("--preset", "crash-loop", "--feature-gates", "KubeletCrashLoopBackOffMax=maybe", "-o", "-")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "--feature-gates: expected NAME=true|false, got 'KubeletCrashLoopBackOffMax=maybe'" in result.stderr
    config = tmp_path / "kubelet.yaml"
    config.write_text("kind: KubeletConfiguration\ncrashLoopBackOff:\n  maxContainerRestartPeriod: 10m\n")
    result = podnotes("--preset", "crash-loop", "--kubelet-config", str(config), "-o", "-")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{config}: crashLoopBackOff.maxContainerRestartPeriod" in result.stderr
    assert "must be set between 1s and 300s" in result.stderr
