"""The book's source template: the three rejected places, each with its line; the corrected one passes."""

from __future__ import annotations

from pathlib import Path

from podnotes.lint import ERROR, WARNING, exit_code, lint

MANIFESTS = Path(__file__).resolve().parents[2] / "chapters" / "manifests"


def test_seed_template_errors_with_their_lines():
    findings = lint(MANIFESTS / "seed-full-template.yaml")
    errors = [(f.line, f.rule, f.server_message) for f in findings if f.severity == ERROR]
    assert errors == [
        (65, "handler-count", "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 "
                              "handler type"),
        (71, "handler-count", "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 "
                              "handler type"),
        (86, "handler-count", "spec.containers[0].lifecycle.preStop.httpGet: Forbidden: may not specify more than "
                              "1 handler type"),
        (103, "volume-sources", "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"),
    ]
    assert exit_code(findings) == 2


def test_corrected_template_passes():
    findings = lint(MANIFESTS / "seed-full-template.fixed.yaml")
    assert not [f for f in findings if f.severity in (ERROR, WARNING)]
    assert exit_code(findings) == 0
