"""tools/kubectl-decode reads files as `kubectl create -f` does (k8s.io/cli-runtime's FileVisitor and
StreamVisitor on k8s.io/apimachinery v0.37.2): the differential test trusts it as kubectl's client side."""

from __future__ import annotations

import pytest

from ..kubectl_decode import kubectl_decode, kubectl_decode_binary

pytestmark = pytest.mark.cluster

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    image: busybox\n"


@pytest.fixture(scope="module")
def binary():
    return kubectl_decode_binary()


def test_streams_encodings_and_lists(binary):
    files = {
        "trailing ---": POD + "---\n",
        "comments and empty documents": "# x\n---\n---\n" + POD + "---\n# end\n",
        "JSON stream": '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}\n'
                       '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"b"}}',
        "List": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p1}}\n"
                "- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: {name: p2}}]}\n",
        "items [[]]": "apiVersion: v1\nkind: List\nitems: [[]]\n",
    }
    contents = [text.encode() for text in files.values()] + [POD.encode("utf-16")]
    results = dict(zip([*files, "UTF-16"], kubectl_decode(binary, contents), strict=True))
    assert len(results["trailing ---"]["objects"]) == 1 and not results["trailing ---"]["error"]
    assert len(results["comments and empty documents"]["objects"]) == 1
    assert [o["metadata"]["name"] for o in results["JSON stream"]["objects"]] == ["a", "b"]
    assert [o["metadata"]["name"] for o in results["List"]["objects"]] == ["p1", "p2"]
    assert "cannot unmarshal array" in results["items [[]]"]["error"]
    assert results["UTF-16"]["objects"][0]["spec"]["containers"][0]["image"] == "busybox"


def test_scalars_resolve_as_go_yaml_does(binary):
    text = POD + ("    env: [{name: A, value: y}, {name: B, value: 10:30}, {name: C, value: 0o17}, "
                  "{name: D, value: =}, {name: E, value: 1e3}]\n    ports: [{containerPort: 8080.0}]\n")
    [result] = kubectl_decode(binary, [text.encode()])
    container = result["objects"][0]["spec"]["containers"][0]
    assert [e["value"] for e in container["env"]] == [True, "10:30", 15, "=", 1000]
    assert container["ports"] == [{"containerPort": 8080}]


def test_duplicate_keys_keep_the_last_value(binary):
    [result] = kubectl_decode(binary, [(POD + "    image: nginx\n").encode()])
    assert result["objects"][0]["spec"]["containers"][0]["image"] == "nginx"
