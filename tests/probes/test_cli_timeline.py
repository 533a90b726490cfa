"""``podnotes timeline`` writes PNG, SVG and JSON; bad input gets a clear error."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from podnotes import plot
from podnotes.probes import PRESETS, Timeline
from podnotes.probes.timeline import json_schema

MANIFESTS = Path(__file__).resolve().parents[2] / "chapters" / "manifests"


def podnotes(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "podnotes", "timeline", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_json_output_matches_the_documented_schema(tmp_path):
    out = tmp_path / "timeline.json"
    result = podnotes("-f", str(MANIFESTS / "exec-liveness.yaml"), "--preset", "exec-liveness",
                      "--duration", "120", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, json_schema())
    timeline = Timeline.from_dict(data)
    assert timeline.duration == 120.0 and timeline.kills() == [40.0, 110.0]


def test_png_output_is_an_image_of_the_expected_size(tmp_path):
    out = tmp_path / "timeline.png"
    result = podnotes("--preset", "http-liveness", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    chosen = PRESETS["http-liveness"]
    from podnotes.probes import simulate

    width, height = plot.figure_size(simulate(chosen.pod(), chosen.behaviour, chosen.duration))
    assert struct.unpack(">II", data[16:24]) == (round(width * plot.DPI), round(height * plot.DPI))


def test_svg_output(tmp_path):
    out = tmp_path / "timeline.svg"
    assert podnotes("--preset", "crash-loop", "--duration", "600", "-o", str(out)).returncode == 0
    assert b"<svg" in out.read_bytes()


def test_behaviour_file_and_stdout(tmp_path):
    behaviour = tmp_path / "behaviour.yaml"
    behaviour.write_text("containers:\n  liveness:\n    probes:\n      liveness:\n        answers: [[0, 0], [10, 1]]\n")
    result = podnotes("-f", str(MANIFESTS / "exec-liveness.yaml"), "--behaviour", str(behaviour),
                      "--duration", "60", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert Timeline.from_json(result.stdout).kills()[0] == 20.0


@pytest.mark.parametrize("args, message", [
    (["--preset", "nope", "-o", "x.json"], "no preset 'nope'"),
    (["--preset", "crash-loop", "-o", "x.gif"], "unknown output format; choose one of events, json, yaml, png, svg"),
    (["--preset", "crash-loop", "-o", "table"], "unknown output format; choose one of events, json, yaml, png, svg"),
    (["--preset", "crash-loop", "--output-file", "x.gif"], "say the format with -o"),
    (["-o", "x.json"], "give the Pod with -f"),
])
def test_usage_errors_are_clear(tmp_path, args, message):
    result = podnotes(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_pod_is_refused_with_file_line_and_field(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text((MANIFESTS / "exec-liveness.yaml").read_text().replace(
        "      periodSeconds: 5", "      periodSeconds: 5\n      successThreshold: 2"))
    result = podnotes("-f", str(manifest), "-o", str(tmp_path / "t.json"))
    assert result.returncode == 2
    assert "livenessProbe.successThreshold: Invalid value: 2: must be 1" in result.stderr
    assert f"{manifest}:" in result.stderr
    assert not (tmp_path / "t.json").exists()


def test_bad_behaviour_file_names_the_field(tmp_path):
    behaviour = tmp_path / "b.yaml"
    behaviour.write_text("containers:\n  liveness:\n    exitAfterr: 3\n")
    result = podnotes("-f", str(MANIFESTS / "exec-liveness.yaml"), "--behaviour", str(behaviour), "-o", "-")
    assert result.returncode == 3  # unreadable input, as lint says it
    assert f"{behaviour}:3: containers.liveness.exitAfterr: unknown field" in result.stderr


def test_list_presets():
    result = podnotes("--list-presets")
    assert result.returncode == 0
    assert all(name in result.stdout for name in PRESETS)
