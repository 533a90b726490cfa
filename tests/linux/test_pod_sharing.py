"""The namespace plan of a Pod (podnotes.linux.pod.planned_sharing, which chapter 6 draws) against the
namespaces its processes are really in (/proc/PID/ns)."""

from __future__ import annotations

import pytest

from podnotes.linux import namespaces, rootfs
from podnotes.linux.pod import Pod, measured_sharing, planned_sharing

from .conftest import needs_root

pytestmark = needs_root


@pytest.mark.parametrize("share_process_namespace", [False, True])
def test_measured_namespaces_match_the_plan(no_leaks, share_process_namespace):
    with rootfs.build_rootfs() as image, Pod("plan-pod", share_process_namespace=share_process_namespace) as pod:
        first = pod.start_container("first", image, argv=["sleep", "60"])
        second = pod.start_container("second", image, argv=["sleep", "60"])
        measured = measured_sharing(namespaces.namespace_ids(), pod.namespaces(),
                                    {"first": first.namespaces(), "second": second.namespaces()})
    plan = planned_sharing(["first", "second"], share_process_namespace)
    assert set(measured) == set(plan) and len(plan) == 7
    assert measured == plan


def test_a_container_outside_the_pod_is_seen_as_such():
    from podnotes.linux import views

    host = {"net": "net:[1]", "mnt": "mnt:[1]"}
    pause = {"net": "net:[2]", "mnt": "mnt:[1]"}
    lost = {"net": "net:[3]", "mnt": "mnt:[4]"}
    kinds = dict.fromkeys(views.NAMESPACE_KINDS, "x:[1]")
    matrix = measured_sharing({**kinds, **host}, {**kinds, **pause}, {"lost": {**kinds, **lost}})
    assert matrix["net"] == {"pause": "pod", "lost": "own"}
    assert matrix["mnt"] == {"pause": "host", "lost": "own"}
