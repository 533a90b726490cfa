"""Walking the containers of a Pod spec, given as plain data or as a manifest Node tree.

The same walk serves lint (Node trees with positions), the simulator, the QoS
class and the offline cluster (plain dicts), so each says only which container
lists it wants (``podutil.VisitContainers`` in ``pkg/api/v1/pod/util.go``
walks init, regular and ephemeral containers in that order).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .enums import CONTAINER_GROUPS


def containers(spec: Any, groups: tuple[str, ...] = CONTAINER_GROUPS) -> Iterator[tuple[str, int, Any]]:
    """``(group, index, container)`` for every container of ``spec`` that is a mapping.

    ``spec`` is a dict (containers come back as dicts) or a
    :class:`podnotes.manifest.Node` (containers come back as Nodes); anything
    else, or a group that is not a list, yields nothing.
    """
    for group in groups:
        for index, item in enumerate(_items(spec, group)):
            if _is_mapping(item):
                yield group, index, item


def _items(spec: Any, group: str) -> list:
    if isinstance(spec, dict):
        items = spec.get(group)
        return items if isinstance(items, list) else []
    node = spec.get(group) if getattr(spec, "kind", None) == "map" else None
    return node.value if node is not None and node.kind == "seq" else []


def _is_mapping(item: Any) -> bool:
    return isinstance(item, dict) or getattr(item, "kind", None) == "map"
