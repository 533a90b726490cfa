"""A node whose kubelet dies at start: start() raises with the kubelet's own words, and everything already
started (etcd, kube-apiserver, containerd, controllers, the bridge, cgroups, imported images) is gone.

The file name sorts first so this runs before the session's node starts (one node per host at a time)."""

from __future__ import annotations

import pytest

from .support import skip_or_fail

pytestmark = pytest.mark.node


def test_a_failed_start_leaves_nothing_behind(tmp_path):
    from podnotes.node import LocalNode, NodeError, find_node_binaries, missing_prerequisites
    from podnotes.node.binaries import NodeBinaries

    missing = missing_prerequisites()
    if missing:
        skip_or_fail("no local node: missing " + "; ".join(missing))
    real = find_node_binaries()
    broken = tmp_path / "kubelet"
    broken.write_text("#!/bin/sh\necho 'kubelet: refusing to start (test)' >&2\nexit 1\n")
    broken.chmod(0o755)
    node = LocalNode("podnotes-broken",
                     binaries=NodeBinaries(broken, real.kube_scheduler, real.kube_controller_manager, real.folder))
    with pytest.raises(NodeError, match="refusing to start"):
        node.start()
    assert [phase.name for phase in node.phases][-1] == "controller-manager, scheduler"  # it got that far
    assert node.stop() == []  # stop() already ran inside start(); asking again re-checks the host
