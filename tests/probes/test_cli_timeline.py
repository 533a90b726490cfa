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


# --- probes nobody described, and behaviours that describe nothing of the Pod -------------------

ASSUMED = "no behaviour given for the liveness probe of container liveness: every attempt is assumed to succeed"


def test_probes_without_behaviour_are_announced_on_stderr_and_in_every_output(tmp_path):
    """A Pod whose program deletes its health file draws all green without a
    behaviour: the output must say the probe was assumed to succeed."""
    manifest = str(MANIFESTS / "exec-liveness.yaml")
    events = podnotes("-f", manifest, "--duration", "60")
    assert events.returncode == 0, events.stderr
    assert ASSUMED in events.stderr and f"Note:         {ASSUMED}" in events.stdout
    as_json = podnotes("-f", manifest, "--duration", "60", "-o", "json")
    assert json.loads(as_json.stdout)["notes"] == [ASSUMED] and ASSUMED in as_json.stderr
    jsonschema.validate(json.loads(as_json.stdout), json_schema())
    described = podnotes("-f", manifest, "--preset", "exec-liveness", "--duration", "60", "-o", "json")
    assert "notes" not in json.loads(described.stdout) and described.stderr == ""


def test_the_figure_carries_the_note():
    from podnotes.probes import simulate

    timeline = simulate(PRESETS["exec-liveness"].pod(), None, 60)
    assert timeline.notes == [ASSUMED]
    figure = plot.timeline(timeline)
    # The note is wrapped to the figure's width: its lines, read in order, say it whole.
    lines = [t.get_text() for t in figure.texts if t.get_color() == plot.NOTE_COLOUR]
    assert lines and lines[0].startswith("Note:"), lines
    assert " ".join(" ".join(lines).split()) == " ".join(f"Note: {ASSUMED}".split())
    quiet = plot.timeline(simulate(PRESETS["exec-liveness"].pod(), PRESETS["exec-liveness"].behaviour, 60))
    assert not [t for t in quiet.texts if t.get_text().startswith("Note:")]


def test_every_preset_describes_all_its_probes():
    from podnotes.probes import simulate

    for name, chosen in PRESETS.items():
        assert simulate(chosen.pod(), chosen.behaviour, 30).notes == [], name


OTHER_NAME = """\
apiVersion: v1
kind: Pod
metadata: {name: renamed}
spec:
  containers:
  - name: web
    image: registry.k8s.io/busybox:1.27.2
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 5}
"""


def test_a_preset_for_other_containers_is_an_error_naming_them(tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(OTHER_NAME)
    result = podnotes("-f", str(pod), "--preset", "exec-liveness")
    assert result.returncode == 3
    assert ("--preset exec-liveness: the behaviour describes container 'liveness', which the Pod does not have "
            "(the Pod's containers: web)") in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("behaviour, message", [
    ("containers:\n  nosuch: {exitAfter: 5}\n",
     "describes container 'nosuch', which the Pod does not have (the Pod's containers: web)"),
    ("containers:\n  web:\n    probes:\n      readiness: {answers: [[0, 1]]}\n",
     "gives answers for the readiness probe of container 'web', which declares liveness"),
])
def test_a_behaviour_naming_what_the_pod_lacks_is_an_error(tmp_path, behaviour, message):
    pod, file = tmp_path / "pod.yaml", tmp_path / "b.yaml"
    pod.write_text(OTHER_NAME)
    file.write_text(behaviour)
    result = podnotes("-f", str(pod), "--behaviour", str(file))
    assert result.returncode == 3 and message in result.stderr and str(file) in result.stderr


# --- Pod templates of workloads ------------------------------------------------------------------

TEMPLATE = """\
    metadata:
      labels: {app: liveness}
    spec:
      restartPolicy: RESTART
      containers:
      - name: liveness
        image: registry.k8s.io/busybox:1.27.2
        args: [/bin/sh, -c, "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
        livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}
"""
SELECTOR = "  selector:\n    matchLabels: {app: liveness}\n"
WORKLOADS = {
    "Deployment": ("apps/v1", SELECTOR + "  template:\n", "Always"),
    "ReplicaSet": ("apps/v1", SELECTOR + "  template:\n", "Always"),
    "StatefulSet": ("apps/v1", "  serviceName: liveness\n" + SELECTOR + "  template:\n", "Always"),
    "DaemonSet": ("apps/v1", SELECTOR + "  template:\n", "Always"),
    "Job": ("batch/v1", "  template:\n", "OnFailure"),
    "CronJob": ("batch/v1", "  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n", "OnFailure"),
}


def workload(kind: str) -> str:
    api, head, policy = WORKLOADS[kind]
    indent = "    " if kind == "CronJob" else ""
    body = "".join(indent + line + "\n" for line in TEMPLATE.replace("RESTART", policy).splitlines())
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: web}}\nspec:\n{head}{body}"


@pytest.mark.parametrize("kind", list(WORKLOADS))
def test_pod_templates_of_every_workload_kind_are_simulated(tmp_path, kind):
    """The kinds and template paths are podnotes.lint.schema.KINDS (the linter's)."""
    manifest = tmp_path / "w.yaml"
    manifest.write_text(workload(kind))
    out = tmp_path / "t.json"
    result = podnotes("-f", str(manifest), "--preset", "exec-liveness", "--duration", "60", "--output-file", str(out))
    assert result.returncode == 0, result.stderr
    timeline = Timeline.from_json(out.read_text())
    assert timeline.pod == "web" and timeline.kills()[0] == 40.0


def test_a_bad_workload_template_is_refused_with_file_and_line(tmp_path):
    manifest = tmp_path / "w.yaml"
    manifest.write_text(workload("Deployment").replace("periodSeconds: 5", "periodSeconds: -1"))
    result = podnotes("-f", str(manifest), "--preset", "exec-liveness")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{manifest}:16: spec.template.spec.containers[0].livenessProbe.periodSeconds" in result.stderr
    assert result.stderr.count("Invalid value") == 1  # the linter's message and the probe rules' are one


def test_of_several_pods_and_templates_the_first_is_simulated_and_named(tmp_path):
    manifest = tmp_path / "all.yaml"
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"
    manifest.write_text(service + "---\n" + workload("Job") + "---\n" + OTHER_NAME)
    result = podnotes("-f", str(manifest), "--preset", "exec-liveness", "--duration", "60", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert "holds 2 Pods and Pod templates; simulating the first, Job web" in result.stderr
    assert json.loads(result.stdout)["pod"] == "web"


def test_a_file_without_pod_or_template_names_what_it_found(tmp_path):
    manifest = tmp_path / "svc.yaml"
    manifest.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n")
    result = podnotes("-f", str(manifest))
    assert result.returncode == 3 and "no Pod or Pod template found (found Service" in result.stderr


# --- output formats ------------------------------------------------------------------------------

def test_default_output_is_kubectl_describe_events():
    result = podnotes("--preset", "http-liveness")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Name:         liveness-http\n")
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in result.stdout
    assert "Restarts:     " in result.stdout


@pytest.mark.parametrize("args, check", [
    (["-o", "json"], lambda data: json.loads(data)["pod"] == "liveness-http"),
    (["-o", "yaml"], lambda data: __import__("yaml").safe_load(data)["schema"] == "podnotes.timeline/v1"),
    (["-o", "events"], lambda data: data.startswith(b"Name:") if isinstance(data, bytes) else data.startswith("Name:")),
])
def test_text_formats_on_stdout(args, check):
    result = podnotes("--preset", "http-liveness", *args)
    assert result.returncode == 0, result.stderr
    assert check(result.stdout)


@pytest.mark.parametrize("args, name, magic", [
    (["-o", "png", "--output-file", "a.out"], "a.out", b"\x89PNG"),
    (["--output-file", "b.svg"], "b.svg", b"<?xml"),
    (["--output-file", "c.yaml"], "c.yaml", b"schema: podnotes.timeline/v1"),
    (["--output-file", "d.txt"], "d.txt", b"Name:"),
    (["-o", "e.json"], "e.json", b"{"),  # the older -o FILE
])
def test_files_take_their_format_from_o_or_the_suffix(tmp_path, args, name, magic):
    result = podnotes("--preset", "crash-loop", "--duration", "60", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_text_and_json_outputs_do_not_import_matplotlib():
    code = ("import sys; from podnotes.cli import main; main(['timeline', '--preset', 'crash-loop', '-o', 'json', "
            "'--output-file', '/dev/null']); main(['timeline', '--preset', 'crash-loop']); "
            "print('matplotlib' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().endswith("False"), result.stderr


def test_usage_shows_o_as_a_format_and_documents_behaviour_files():
    result = subprocess.run([sys.executable, "-m", "podnotes", "timeline", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert "[-o FORMAT]" in result.stdout and "events (default), json, yaml, png or svg" in result.stdout
    assert "behaviour.schema.json" in result.stdout and "answers: [[0, 200], [10, 500]]" in result.stdout
    assert "required" not in result.stdout


def test_a_kind_in_the_wrong_case_is_named_with_its_spelling(tmp_path):
    """The API server knows kinds only as registered (`no kind "pod" is registered for version "v1"`), as
    `podnotes lint` reports too; the timeline says which spelling it means."""
    manifest = tmp_path / "lower.yaml"
    manifest.write_text(workload("Deployment").replace("kind: Deployment", "kind: deployment"))
    result = podnotes("-f", str(manifest), "--preset", "exec-liveness")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "kinds are case-sensitive: write kind: Deployment" in result.stderr


def test_a_behaviour_for_a_missing_container_gives_its_line_and_a_suggestion(tmp_path):
    behaviour = tmp_path / "b.yaml"
    behaviour.write_text("containers:\n  ap:\n    exitAfter: 5\n")
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                        "  - {name: app, image: nginx:1.27}\n")
    result = podnotes("-f", str(manifest), "--behaviour", str(behaviour))
    assert result.returncode == 3, result.stderr
    assert f"{behaviour}:2: the behaviour describes container 'ap', which the Pod does not have" in result.stderr
    assert "did you mean 'app'?" in result.stderr
