"""The real cluster and the offline stand-in offer the same verbs with the same parameters, so a
chapter or a command can be given either (podnotes.cluster.interface.ClusterVerbs)."""

import inspect

import pytest

from podnotes.cluster.interface import ClusterVerbs
from podnotes.cluster.objects import Cluster
from podnotes.cluster.offline import OfflineCluster

VERBS = [name for name, member in vars(ClusterVerbs).items()
         if callable(member) and not name.startswith("_")]


def test_the_protocol_names_the_verbs():
    assert {"create", "replace", "delete", "force_delete", "get", "list", "exists", "dry_run",
            "workshop_namespace", "close"} <= set(VERBS)


@pytest.mark.parametrize("implementation", [Cluster, OfflineCluster])
@pytest.mark.parametrize("verb", VERBS)
def test_each_cluster_takes_the_verbs_parameters(implementation, verb):
    wanted = inspect.signature(getattr(ClusterVerbs, verb)).parameters
    offered = inspect.signature(getattr(implementation, verb)).parameters
    offered_signature = inspect.signature(getattr(implementation, verb))
    assert list(offered) == list(wanted), f"{implementation.__name__}.{verb}{offered_signature}"
    for name, parameter in wanted.items():
        assert offered[name].kind == parameter.kind, f"{implementation.__name__}.{verb}: {name}"
        assert offered[name].default == parameter.default, f"{implementation.__name__}.{verb}: {name}"


def test_the_offline_cluster_is_one():
    assert isinstance(OfflineCluster("default"), ClusterVerbs)
