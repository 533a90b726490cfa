"""The parts of benchmarks/lint_bench.py that decide what its figures mean: the corpus and the schemas.

A seeded mistake that is no mistake, or a schema rewritten for kubeconform that
says something else than kubernetes-validate's, would make the detection counts
lie; these tests hold each seeded mistake to the tool layer it belongs to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import lint_corpus  # noqa: E402
import lint_tools  # noqa: E402

K8S_VERSION = "1.37.0"


@pytest.fixture(scope="module")
def manifests():
    return lint_corpus.corpus(300)


@pytest.fixture(scope="module")
def validate():
    return lint_tools.CachedKubernetesValidate(K8S_VERSION)


def test_corpus_holds_every_kind_and_every_mistake(manifests):
    assert {m.kind for m in manifests} == set(lint_corpus.KINDS)
    assert {m.mistake for m in manifests} == set(lint_corpus.MISTAKES) | {None}


def test_schema_mistakes_and_only_they_fail_the_schema(manifests, validate):
    for manifest in manifests:
        error = validate.errors(yaml.safe_load(manifest.text))
        assert (error is not None) == (manifest.layer == "schema"), (manifest.name, manifest.mistake, error)


def test_podnotes_finds_every_mistake_of_a_kind_it_checks_and_nothing_in_clean_documents(manifests):
    from podnotes.lint import ERROR, WARNING, lint

    checked = [m for m in manifests if m.kind in lint_corpus.POD_KINDS]
    assert checked
    for manifest in checked:
        findings = lint(manifest.text)
        flagged = [f for f in findings if f.severity in (ERROR, WARNING)]
        if manifest.mistake is None:
            assert not flagged, (manifest.name, flagged)
        elif manifest.layer == "pss":
            assert any(f.rule == "pss-privileged" for f in findings), manifest.name
        else:
            assert any(f.severity == ERROR for f in findings), (manifest.name, manifest.mistake)


def test_standalone_schemas_judge_as_kubernetes_validate_does(manifests, validate, tmp_path, monkeypatch):
    monkeypatch.setattr(lint_tools, "CACHE", tmp_path)
    kinds = sorted({(m.kind, lint_corpus.API_VERSIONS[m.kind]) for m in manifests})
    template = lint_tools.kubeconform_schemas(K8S_VERSION, kinds)
    for manifest in manifests:
        document = yaml.safe_load(manifest.text)
        path = template.replace("{{ .ResourceKind }}{{ .KindSuffix }}", manifest.kind.lower()
                                + lint_tools.kind_suffix(document["apiVersion"]))
        text = Path(path).read_text()
        assert "_definitions.json" not in text and "kubernetes.io/api" not in text
        schema = json.loads(text)
        valid = jsonschema.Draft202012Validator(schema).is_valid(document)
        assert valid == (validate.errors(document) is None), manifest.name


def test_kubeconform_judges_the_corpus_as_kubernetes_validate_does(manifests, validate, tmp_path):
    binary = lint_tools.CACHE / f"kubeconform-{lint_tools.KUBECONFORM_VERSION}" / "bin" / "kubeconform"
    if not binary.exists():
        pytest.skip(f"kubeconform is not built; `python benchmarks/lint_bench.py --quick` builds it into {binary}")
    kinds = sorted({(m.kind, lint_corpus.API_VERSIONS[m.kind]) for m in manifests})
    for manifest in manifests:
        (tmp_path / f"{manifest.index:05d}.yaml").write_text(manifest.text)
    result = subprocess.run([str(binary), "-strict", "-output", "json", "-verbose", "-schema-location",
                             lint_tools.kubeconform_schemas(K8S_VERSION, kinds), str(tmp_path)],
                            capture_output=True, text=True, timeout=120, check=False)
    resources = json.loads(result.stdout)["resources"]
    assert len(resources) == len(manifests)
    for resource in resources:
        manifest = manifests[int(Path(resource["filename"]).stem)]
        assert (resource["status"] == "statusValid") == (manifest.layer != "schema"), (manifest.name, resource)
