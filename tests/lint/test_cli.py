"""`podnotes lint` and `podnotes explain` as a user runs them: output formats and exit codes."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from podnotes.lint.report import json_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
SEED = Path(__file__).resolve().parents[2] / "chapters" / "manifests" / "seed-full-template.yaml"


def podnotes(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podnotes", *args], capture_output=True, text=True, input=stdin,
                          timeout=120)


@pytest.mark.parametrize("path,code", [
    (FIXTURES / "good" / "pod.yaml", 0),
    (FIXTURES / "bad" / "host-access.yaml", 1),
    (FIXTURES / "bad" / "classic-mistakes.yaml", 2),
    (FIXTURES / "bad" / "tab-indent.yaml", 3),
])
def test_exit_codes(path, code):
    result = podnotes("lint", "-f", str(path))
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_text_output_is_file_line_column_severity_rule_message():
    result = podnotes("lint", "-f", str(SEED))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert f"{SEED}:71:7: error [handler-count] Pod default/nginx: " in "\n".join(lines)
    assert lines[-2] == "4 error(s), 3 warning(s), 3 info"
    assert lines[-1] == "Summary: 1 resource found in 1 file - Valid: 0, Invalid: 1, Errors: 0, Skipped: 0"


def test_summary_counts_resources_as_kubeconform_does(tmp_path):
    """kubeconform's summary: resources found, then Valid, Invalid, Errors, Skipped (pkg/output/text.go)."""
    many = tmp_path / "many.yaml"
    many.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: web}\nspec: {containers: "
                    "[{name: c, image: x:1}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: c, image: x:1, "
                    "imagePullPolicy: Sometimes}]}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    result = podnotes("lint", str(many), str(broken), "-o", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, json_schema())
    assert report["resources"] == {"found": 4, "files": 2, "valid": 1, "invalid": 1, "errors": 1, "skipped": 1,
                                   "unreadable": 0}
    bad = next(f for f in report["findings"] if f["rule"] == "invalid-enum")
    assert bad["object"] == {"kind": "Pod", "namespace": "", "name": "bad", "documentIndex": 2}
    advice = next(f for f in report["findings"] if f["object"] and f["object"]["name"] == "ok")
    assert advice["object"]["namespace"] == "web"
    text = podnotes("lint", str(many), str(broken)).stdout
    assert text.splitlines()[-1] == ("Summary: 4 resources found in 2 files - Valid: 1, Invalid: 1, Errors: 1, "
                                     "Skipped: 1")
    assert "error [invalid-enum] Pod bad: " in text and "[naked-pod] Pod web/ok: " in text
    sarif = json.loads(podnotes("lint", str(many), "-o", "sarif").stdout)
    located = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "invalid-enum")
    logical = located["locations"][0]["logicalLocations"]
    assert {"name": "bad", "kind": "resource", "fullyQualifiedName": "Pod bad"} in logical
    assert located["properties"]["object"]["documentIndex"] == 2


@pytest.mark.parametrize("workers", ["1", "2"])
def test_counts_are_of_every_finding_when_only_some_are_shown(tmp_path, workers):
    """Past 2,000 findings only the most important are printed; the counts, the summary line and the exit
    code still cover every object, in one process and in worker processes alike."""
    bad_pod = ("apiVersion: v1\nkind: Pod\nmetadata: {{name: p{0}, namespace: web}}\nspec: {{containers: "
               "[{{name: c, image: x:1, imagePullPolicy: Sometimes}}]}}\n")
    for part in range(210):  # 210 files of 10 Pods: enough files for workers when they are allowed
        (tmp_path / f"part{part:03d}.yaml").write_text("---\n".join(bad_pod.format(part * 10 + i) for i in range(10)))
    result = podnotes("lint", "--workers", workers, "--no-advice", "-f", str(tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if " error [invalid-enum] " in line]) == 1999
    assert "101 more findings are not shown (101 error" in result.stdout
    assert lines[-2] == "2100 error(s), 0 warning(s), 0 info"
    assert lines[-1] == ("Summary: 2100 resources found in 210 files - Valid: 0, Invalid: 2100, Errors: 0, "
                         "Skipped: 0")
    report = json.loads(podnotes("lint", "--workers", workers, "--no-advice", "-o", "json", "-f",
                                 str(tmp_path)).stdout)
    assert len(report["findings"]) == 2000
    assert report["summary"]["error"] == 2100 and report["resources"]["invalid"] == 2100


def test_json_keys_are_camel_case_everywhere():
    import re

    report = json.loads(podnotes("lint", "-f", str(SEED), "-o", "json").stdout)

    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", key) for key in keys(report)), set(keys(report))
    schema_keys = set(keys(json_schema()["properties"])) | set(keys(json_schema()["$defs"]))
    assert "server_message" not in schema_keys and "serverMessage" in json.dumps(json_schema())


def test_json_output_matches_its_schema():
    result = podnotes("lint", "-f", str(FIXTURES / "bad"), "-o", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, json_schema())
    assert report["exitCode"] == result.returncode == 3  # the folder holds an unreadable file
    assert {f["rule"] for f in report["findings"]} >= {"invalid-enum", "duplicate-key", "yaml-syntax"}


def test_sarif_output_has_real_regions():
    result = podnotes("lint", "-f", str(SEED), "-o", "sarif")
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    regions = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert ("handler-count", 65) in regions and ("volume-sources", 103) in regions
    rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(r["ruleId"] == rules[r["ruleIndex"]] for r in results)


def test_stdin_and_version_and_level():
    pod = (FIXTURES / "good" / "pod.yaml").read_text()
    assert podnotes("lint", "-f", "-", stdin=pod).returncode == 0
    restricted = podnotes("lint", "-f", "-", "--level", "restricted", stdin=pod)
    assert restricted.returncode == 1 and "<stdin>:" in restricted.stdout
    assert podnotes("lint", "-f", "-", "--k8s-version", "1.30", stdin=pod).returncode == 0
    unknown = podnotes("lint", "-f", "-", "--k8s-version", "1.9", stdin=pod)
    assert unknown.returncode == 4 and "not covered" in unknown.stderr


def test_explain_a_field_offline():
    result = podnotes("explain", "pod.spec.containers.imagePullPolicy")
    assert result.returncode == 0
    assert "allowed values: Always, IfNotPresent, Never" in result.stdout
    assert "default: Always if the tag is missing or latest, else IfNotPresent" in result.stdout


def test_explain_rejects_a_field_that_does_not_exist():
    result = podnotes("explain", "spec.containers.flavour")
    assert result.returncode == 4 and "Container has no field `flavour`" in result.stderr


def test_explain_annotates_a_manifest():
    result = podnotes("explain", "-f", str(FIXTURES / "good" / "pod.yaml"))
    assert result.returncode == 0
    assert "# Filled in by the API server" in result.stdout
    assert "spec.containers[0].imagePullPolicy: IfNotPresent" in result.stdout


def test_huge_stdin_is_refused_without_a_traceback():
    result = podnotes("lint", "-f", "-", stdin="a: " + "x" * (20 * 1024 * 1024))
    assert result.returncode == 3
    assert "3 MiB" in result.stdout and "Traceback" not in result.stderr


# --- file names as kubeconform and kube-linter take them; URLs as kubectl takes them -------------------------

GOOD = FIXTURES / "good" / "pod.yaml"
BAD = FIXTURES / "bad" / "classic-mistakes.yaml"


def test_positional_files_are_linted_like_dash_f():
    both = podnotes("lint", str(GOOD), "-o", "json", str(BAD))
    assert both.returncode == 2, both.stderr
    files = {finding["file"] for finding in json.loads(both.stdout)["findings"]}
    assert str(BAD) in files
    mixed = podnotes("lint", str(GOOD), "-f", str(BAD))
    assert mixed.returncode == 2 and str(BAD) in mixed.stdout


def test_lint_without_any_file_is_a_usage_error():
    result = podnotes("lint")
    assert result.returncode == 4 and "usage: podnotes lint" in result.stderr


@pytest.fixture()
def web(tmp_path):
    """A web server on 127.0.0.1 serving ``routes`` (path -> (status, headers, body)); never another address."""
    import http.server
    import threading

    routes: dict[str, tuple[int, dict, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, headers, body = routes.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers and not headers.get("_stream"):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield base, routes
    server.shutdown()
    server.server_close()


def test_a_url_is_fetched_and_linted_with_the_url_as_file_name(web):
    base, routes = web
    routes["/bad.yaml"] = (200, {"Content-Type": "application/yaml"}, BAD.read_bytes())
    result = podnotes("lint", "-f", f"{base}/bad.yaml")
    assert result.returncode == 2, result.stderr
    assert f"{base}/bad.yaml:" in result.stdout
    positional = podnotes("lint", f"{base}/bad.yaml", "-o", "json")
    assert json.loads(positional.stdout)["exitCode"] == 2


def test_a_url_that_fails_is_unreadable_input_naming_the_url(web):
    base, routes = web
    missing = podnotes("lint", "-f", f"{base}/missing.yaml")
    assert missing.returncode == 3 and f"{base}/missing.yaml" in missing.stdout
    assert "HTTP 404" in missing.stdout and "Traceback" not in missing.stderr


def test_a_url_larger_than_the_api_servers_limit_is_refused(web):
    """The API server refuses request bodies over 3 MiB (MaxRequestBodyBytes, k8s.io/apiserver): per object, as
    kubectl sends one request per object; one input is read up to 32 MiB."""
    base, routes = web
    big = (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: " + b"x" * (3 * 1024 * 1024 + 10)
           + b"}\n")
    huge = b"# " + b"x" * (32 * 1024 * 1024 + 10) + b"\n"
    routes["/declared.yaml"] = (200, {}, big)
    routes["/undeclared.yaml"] = (200, {"_stream": "1", "Connection": "close"}, big)
    routes["/huge-declared.yaml"] = (200, {}, huge)
    routes["/huge-undeclared.yaml"] = (200, {"_stream": "1", "Connection": "close"}, huge)
    for path in ("/declared.yaml", "/undeclared.yaml"):
        result = podnotes("lint", "-f", f"{base}{path}")
        assert result.returncode == 3, (path, result.stdout)
        assert "larger than 3,145,728 bytes (3 MiB), the most the API server accepts per request" in result.stdout
    for path in ("/huge-declared.yaml", "/huge-undeclared.yaml"):
        result = podnotes("lint", "-f", f"{base}{path}")
        assert result.returncode == 3, (path, result.stdout)
        assert "at most 33,554,432 bytes (32 MiB) are read from one input" in result.stdout


def test_a_redirect_away_from_http_is_refused(web):
    base, routes = web
    routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    routes["/to-ftp"] = (302, {"Location": "ftp://127.0.0.1/pod.yaml"}, b"")
    routes["/to-good"] = (302, {"Location": f"{base}/good.yaml"}, b"")
    routes["/good.yaml"] = (200, {}, GOOD.read_bytes())
    to_file = podnotes("lint", "-f", f"{base}/to-file")
    assert to_file.returncode == 3 and "root:" not in to_file.stdout and "not allowed" in to_file.stdout
    to_ftp = podnotes("lint", "-f", f"{base}/to-ftp")
    assert to_ftp.returncode == 3 and "redirected to ftp://127.0.0.1/pod.yaml, which is not http(s)" in to_ftp.stdout
    followed = podnotes("lint", "-f", f"{base}/to-good")
    assert followed.returncode == 0, followed.stdout


# --- what a new user types, and what they get back --------------------------------------------------------

def test_disable_refuses_an_unknown_rule_and_lists_the_known_ones():
    result = podnotes("lint", str(GOOD), "--disable", "nonsense-rule")
    assert result.returncode == 4
    assert "--disable: no rule 'nonsense-rule'" in result.stderr and "naked-pod" in result.stderr
    assert "pss-runAsNonRoot" in result.stderr
    close = podnotes("lint", str(GOOD), "--disable", "naked-pods")
    assert close.returncode == 4 and "did you mean naked-pod?" in close.stderr


def test_disable_takes_a_comma_separated_list():
    shown = podnotes("lint", str(BAD), "-o", "json")
    rules = {f["rule"] for f in json.loads(shown.stdout)["findings"]}
    assert {"qos-class", "naked-pod"} <= rules
    hidden = podnotes("lint", str(BAD), "-o", "json", "--disable", "qos-class,naked-pod")
    assert not {"qos-class", "naked-pod"} & {f["rule"] for f in json.loads(hidden.stdout)["findings"]}


def test_lower_case_kind_is_an_error_with_the_servers_words(tmp_path):
    """Checked against a real 1.37 kube-apiserver (POST /api/v1/namespaces/default/pods): HTTP 400 with this
    message, from transformDecodeError in k8s.io/apiserver/pkg/endpoints/handlers/rest.go."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    result = podnotes("lint", str(manifest), "-o", "json")
    assert result.returncode == 2
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["rule"] == "kind-case" and finding["line"] == 2 and "kind: Pod" in finding["message"]
    assert finding["serverMessage"] == ('pod in version "v1" cannot be handled as a Pod: no kind "pod" is registered '
                                        'for version "v1" in scheme "pkg/runtime/scheme.go:111"')
    deployment = tmp_path / "deploy.yaml"
    deployment.write_text("apiVersion: apps/v1\nkind: deployment\nmetadata: {name: d}\n")
    assert "write `kind: Deployment`" in podnotes("lint", str(deployment)).stdout


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n{{- end }}\n",
])
def test_a_helm_template_is_told_to_be_rendered_first(tmp_path, text):
    manifest = tmp_path / "templates.yaml"
    manifest.write_text(text)
    result = podnotes("lint", str(manifest))
    assert result.returncode == 3
    assert "a Helm or Go template is not YAML until it is rendered: `helm template RELEASE CHART" in result.stdout


def test_a_tab_in_the_indentation_is_named(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n  \tapp: x\n")
    result = podnotes("lint", str(manifest))
    assert result.returncode == 3
    assert f"{manifest}:6:3: error [yaml-syntax] a tab character in the indentation (line 6, column 3)" in result.stdout


def test_a_field_of_a_later_version_says_which_version_added_it(tmp_path):
    """Sidecars (KEP-753): `restartPolicy` on a container appears in the 1.28 API (alpha, SidecarContainers
    feature gate), on by default since 1.29."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - name: side\n"
                        "    image: x:1\n    restartPolicy: Always\n  containers:\n  - name: c\n    image: x:1\n")
    old = podnotes("lint", str(manifest), "--k8s-version", "1.27")
    assert old.returncode == 2
    assert "Kubernetes 1.27 does not have it; it was added in 1.28" in old.stdout
    assert "need Kubernetes 1.28 or later" in old.stdout and "resizePolicy" not in old.stdout
    assert "unknown-field" not in podnotes("lint", str(manifest), "--k8s-version", "1.28").stdout


@pytest.mark.parametrize("output", ["json", "sarif", "text"])
def test_empty_input_still_gives_a_whole_report(tmp_path, output):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    result = podnotes("lint", "-f", str(empty), "-o", output)
    assert result.returncode == 3
    if output == "json":
        report = json.loads(result.stdout)
        jsonschema.validate(report, json_schema())
        assert report["exitCode"] == 3 and report["findings"][0]["rule"] == "no-objects"
    elif output == "sarif":
        assert json.loads(result.stdout)["runs"][0]["results"][0]["ruleId"] == "no-objects"
    else:
        assert "[no-objects]" in result.stdout


def test_a_template_that_parses_as_yaml_is_still_named_a_template(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "{{ .Values.name }}"\nspec:\n  containers:\n'
                        '  - name: c\n    image: "{{ .Values.image }}"\n')
    result = podnotes("lint", str(manifest), "-v")
    assert "warning [unrendered-template]" in result.stdout
    assert "helm template RELEASE CHART | podnotes lint -f -" in result.stdout
    assert result.stdout.count("[unrendered-template]") == 1, "one hint per document"


def test_text_output_shows_the_field_path_and_the_servers_words_by_default(tmp_path):
    """As kubectl and kubeconform do: the field path and what the server answers, without -v."""
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n")
    lines = podnotes("lint", str(path), "--level", "privileged").stdout.splitlines()
    error = next(i for i, line in enumerate(lines) if "error [required-field]" in line)
    assert lines[error].startswith(f"{path}:6:5: error [required-field] Pod web: spec.containers[0].image: ")
    assert lines[error + 1] == "    server: spec.containers[0].image: Required value"
    assert not any(line.startswith("    fix:") for line in lines)
    verbose = podnotes("lint", str(path), "--level", "privileged", "-v").stdout
    assert "    fix:    " in verbose


def test_a_missing_file_is_an_input_error_not_a_resource(tmp_path):
    good = tmp_path / "pod.yaml"
    good.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
                    "  - {name: web, image: 'nginx:1.27'}\n")
    missing = tmp_path / "missing.yaml"
    result = podnotes("lint", str(good), str(missing), "--level", "privileged", "--no-advice")
    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert f"{missing}: error [unreadable] cannot open the manifest: No such file or directory" in lines
    assert lines[-1] == ("Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0; "
                         "1 input could not be read")
    report = json.loads(podnotes("lint", str(missing), "-o", "json").stdout)
    jsonschema.validate(report, json_schema())
    assert report["resources"]["found"] == 0 and report["resources"]["unreadable"] == 1
    assert report["exitCode"] == 3


@pytest.mark.parametrize("name,text", [
    ("list.yaml", "- a\n- b\n"),
    ("scalar.yaml", "hello\n"),
    ("array.json", '[{"apiVersion": "v1", "kind": "Pod"}]'),
    ("second.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: "
                    "'x:1'}]}\n---\n- not an object\n"),
])
def test_a_document_that_is_not_an_object_is_unreadable_input(tmp_path, name, text):
    """kubectl cannot decode a list or a plain value into an object: exit 3, as README and --help say."""
    path = tmp_path / name
    path.write_text(text)
    result = podnotes("lint", str(path), "--level", "privileged", "--no-advice")
    assert result.returncode == 3, result.stdout
    assert "error [not-an-object]" in result.stdout and "not an object" in result.stdout
