"""`podnotes lint` and `podnotes explain` as a user runs them: output formats and exit codes."""

from __future__ import annotations

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
    assert f"{SEED}:71:7: error [handler-count] " in "\n".join(lines)
    assert lines[-1] == "4 error(s), 3 warning(s), 3 info"


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
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

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
    """The API server refuses request bodies over 3 MiB (MaxRequestBodyBytes, k8s.io/apiserver)."""
    base, routes = web
    big = b"# " + b"x" * (3 * 1024 * 1024 + 10) + b"\n"
    routes["/declared.yaml"] = (200, {}, big)
    routes["/undeclared.yaml"] = (200, {"_stream": "1", "Connection": "close"}, big)
    for path in ("/declared.yaml", "/undeclared.yaml"):
        result = podnotes("lint", "-f", f"{base}{path}")
        assert result.returncode == 3, (path, result.stdout)
        assert "the API server accepts at most 3,145,728 bytes" in result.stdout


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
