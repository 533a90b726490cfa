"""kubectl's client-side reading of manifest files, for the tests that compare with it.

``tools/kubectl-decode`` is one small Go program on the modules Kubernetes
1.37.2 pins (k8s.io/apimachinery v0.37.2, sigs.k8s.io/yaml v1.6.0 over
go.yaml.in/yaml/v2), built once per source version by
``tools/kubectl-decode/build.sh`` into ``~/.cache/podnotes``. It reads files as
``kubectl create/apply -f`` does (k8s.io/cli-runtime's FileVisitor and
StreamVisitor): what kubectl sends, or with ``documents=True`` the reading
step alone (each document's JSON as Go's YAML reader makes it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .conftest import ROOT, in_ci

BUILD_SCRIPT = ROOT / "tools" / "kubectl-decode" / "build.sh"


def kubectl_decode_binary() -> Path:
    """Build (once, cached in ~/.cache/podnotes) and return the kubectl-decode program; without Go the test
    skips (fails under CI=true), saying what to install."""
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900, check=False)
    if done.returncode == 2 and shutil.which("go") is None:
        reason = "Go is not installed: tools/kubectl-decode/build.sh needs Go >= 1.26 (https://go.dev/dl/)"
        if in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    if done.returncode != 0:
        raise RuntimeError(f"{BUILD_SCRIPT} failed: {done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def kubectl_decode(binary: Path, contents: list[bytes], *, documents: bool = False) -> list[dict]:
    """What kubectl reads from each file's bytes: ``{"objects": [...], "error": "..."}``, in the order given
    (``documents=True``: the reading step alone, documents that are not objects or name no kind kept)."""
    with tempfile.TemporaryDirectory(prefix="podnotes-kubectl-decode-") as folder:
        paths = []
        for index, content in enumerate(contents):
            path = Path(folder) / f"{index:05d}.yaml"
            path.write_bytes(content)
            paths.append(str(path))
        mode = ["--documents"] if documents else []
        done = subprocess.run([str(binary), *mode, *paths], capture_output=True, timeout=300, check=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(contents), "kubectl-decode answered for fewer files than it was given"
    return results
