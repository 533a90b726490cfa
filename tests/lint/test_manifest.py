"""The located loader: every source form, YAML 1.1 values, positions and paths."""

from __future__ import annotations

import io
import sys

from podnotes import manifest
from podnotes.lint import lint
from podnotes.manifest import Document, load, walk

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app.kubernetes.io/name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27.3
    ports:
    - containerPort: 80
"""


def test_nodes_know_file_line_column_and_api_path():
    [doc] = load(POD, name="pod.yaml")
    port = doc.root.get("spec").get("containers").value[0].get("ports").value[0].get("containerPort")
    assert (port.file, port.line, port.column, port.key_line, port.key_column) == ("pod.yaml", 11, 22, 11, 7)
    assert port.path == "spec.containers[0].ports[0].containerPort"
    label = doc.root.get("metadata").get("labels").value["app.kubernetes.io/name"]
    assert label.path == "metadata.labels[app.kubernetes.io/name]"
    assert {node.path for node in walk(doc.root)} >= {"spec.containers[0].image", "metadata.name"}


def test_every_source_form(tmp_path, monkeypatch):
    path = tmp_path / "pod.yaml"
    path.write_text(POD + "---\n" + POD.replace("name: web\n  labels", "name: two\n  labels"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "job.yml").write_text(POD)
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert [d.name for d in load(path)] == ["web", "two"]
    assert [d.name for d in load(str(path))] == ["web", "two"]
    assert [d.file for d in load(tmp_path)] == [str(path), str(path), str(tmp_path / "sub" / "job.yml")]
    assert load(POD.encode())[0].name == "web"
    assert load(io.StringIO(POD))[0].name == "web"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(POD.encode())))
    assert load("-")[0].file == "<stdin>"
    documents = load(path)
    assert load(documents) is documents and load(documents[0]) == [documents[0]]
    plain = load({"kind": "Pod", "metadata": {"name": "x"}})[0]
    assert plain.name == "x" and plain.root.get("kind").line is None


def test_lint_accepts_a_loaded_document_and_a_dict_alike():
    [doc] = load(POD)
    from_document = [(f.rule, f.path) for f in lint(doc)]
    from_dict = [(f.rule, f.path) for f in lint(doc.to_python())]
    assert from_document and sorted(from_document) == sorted(from_dict)


def test_values_as_kubernetes_reads_them():
    """go-yaml v2 through sigs.k8s.io/yaml: octal, YAML 1.1 booleans, no base 60 (go.yaml.in/yaml/v2 resolve.go)."""
    [doc] = load("mode: 0644\nflag: yes\noff_: off\nversion: 1.10\nport: 0x50\ntime: 1:30\nquoted: '0644'\n")
    assert doc.to_python() == {"mode": 420, "flag": True, "off_": False, "version": 1.1, "port": 80,
                               "time": "1:30", "quoted": "0644"}


def test_anchors_and_merge_keys_are_expanded():
    [doc] = load("base: &b {cpu: 1, memory: 2}\nother:\n  <<: *b\n  memory: 3\ncopy: *b\n")
    assert doc.to_python() == {"base": {"cpu": 1, "memory": 2}, "other": {"cpu": 1, "memory": 3},
                               "copy": {"cpu": 1, "memory": 2}}
    # go-yaml's strict reading (a raw YAML body with fieldValidation=Strict) counts the merged key as set
    [overridden] = doc.duplicates
    assert (overridden.path, overridden.line, overridden.first_merge_line) == ("other.memory", 4, 3)
    assert "replaces the value merged" in overridden.message


def test_duplicate_keys_keep_both_positions():
    [doc] = load("a: 1\nb:\n  c: 1\n  c: 2\n")
    [dup] = doc.duplicates
    assert (dup.key, dup.path, dup.first_line, dup.first_column, dup.line, dup.column) == ("c", "b.c", 3, 3, 4, 3)
    assert doc.to_python() == {"a": 1, "b": {"c": 2}}, "the last value wins, as in Kubernetes' lenient mode"


def test_non_string_keys_become_text_like_yaml_to_json():
    [doc] = load("true: 1\n2: two\n")
    assert doc.to_python() == {"true": 1, "2": "two"}


def test_errors_are_documents_not_exceptions():
    [doc] = load("a: [1, 2\n")
    assert isinstance(doc, Document) and doc.root is None
    assert doc.error.rule == "yaml-syntax" and doc.error.line == 2


def test_an_unclosed_flow_collection_names_where_it_starts():
    """The parser notices a missing ']' only at the end of the input; the message also names the line and
    column where the sequence opened (PyYAML's context_mark)."""
    [doc] = load("spec:\n  ports: [80\n")
    assert doc.error.line == 3
    assert "flow sequence that starts at line 2, column 10" in doc.error.message


def test_pure_python_parser_gives_the_same_tree(monkeypatch):
    [fast] = load(POD)
    monkeypatch.setattr(manifest, "_Loader", manifest._PureLoader)
    monkeypatch.setattr(manifest, "LIBYAML", False)
    [pure] = load(POD)
    assert pure.to_python() == fast.to_python()
    assert ([(n.path, n.line, n.column) for n in walk(pure.root)]
            == [(n.path, n.line, n.column) for n in walk(fast.root)])


def test_kubernetes_client_models_are_accepted():
    from kubernetes import client

    pod = client.V1Pod(api_version="v1", kind="Pod", metadata=client.V1ObjectMeta(name="m"),
                       spec=client.V1PodSpec(containers=[client.V1Container(name="a", image="a:1",
                                                                            image_pull_policy="Nerver")]))
    [doc] = load(pod)
    assert doc.root.get("spec").get("containers").value[0].get("imagePullPolicy").value == "Nerver"
    assert [f.rule for f in lint(pod) if f.severity == "error"] == ["invalid-enum"]
