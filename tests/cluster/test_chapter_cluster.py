"""Which cluster chapter 11 talks to: an exported control plane, kind, a private one, or predictions."""

from __future__ import annotations

import pytest

from podnotes.cluster import ClusterError, chapter
from podnotes.cluster.offline import OfflineCluster

from .conftest import CLUSTER_NAME


@pytest.fixture
def nothing_reachable(monkeypatch, tmp_path):
    for variable in ("PODNOTES_KUBECONFIG", "KUBECONFIG", "CI"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.setattr("podnotes.cluster.binaries.find_binaries", lambda: None)
    return monkeypatch


def test_without_any_cluster_the_chapter_predicts_and_says_so(nothing_reachable):
    book = chapter.chapter_cluster()
    assert book.mode == chapter.OFFLINE and not book.live
    assert isinstance(book.cluster, OfflineCluster)
    assert book.label() == "[simulated]"


def test_ci_refuses_to_show_only_predictions(nothing_reachable):
    nothing_reachable.setenv("CI", "true")
    with pytest.raises(ClusterError, match="only show predictions"):
        chapter.chapter_cluster()


@pytest.mark.cluster
def test_an_exported_control_plane_is_used(control_plane, monkeypatch):
    monkeypatch.setenv("PODNOTES_KUBECONFIG", str(control_plane.kubeconfig))
    monkeypatch.setenv("PODNOTES_CLUSTER", CLUSTER_NAME)
    book = chapter.chapter_cluster()
    try:
        assert book.live and book.mode == chapter.LOCAL
        assert book.context == f"kind-{CLUSTER_NAME}"
        assert book.kubectl("get", "pods")[:5] == ["kubectl", "--kubeconfig", str(control_plane.kubeconfig),
                                                   "--context", f"kind-{CLUSTER_NAME}"]
        assert book.cluster.exists("Namespace", "default")
    finally:
        book.close()
