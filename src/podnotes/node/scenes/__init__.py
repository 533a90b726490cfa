"""Scenes: what the node chapters show from the real node beyond probe timelines.

A scene is a module in this package with a ``NAME`` (the file name of what it records) and a function
``observe(context: SceneContext) -> dict`` that does something on the running node (create Pods, run
``crictl``, read ``/proc`` and cgroup files on the host, stop the kubelet …), cleans up what it made, and
returns what a chapter needs, as JSON-ready data. :func:`run_scenes` runs every scene once per node start,
after the probe examples, and writes ``<observed>/scenes/<NAME>.json``; a scene that fails writes
``{"error": "..."}`` instead, and the chapters say the node part could not run. Scenes are found by module
name, so adding a chapter's scene never edits a shared list. Their source, and the node package's, is part
of the observations' digest (:func:`scenes_digest`), so changing a scene or a helper it uses records again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import pkgutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass
class SceneContext:
    """What a scene gets: the running node (:class:`podnotes.node.localnode.LocalNode`), an admin
    connection to its API server (:class:`podnotes.cluster.Cluster`), a namespace of its own (made by
    :func:`run_scenes` for each scene and deleted after it), where the observations go, and a progress
    printer."""

    node: Any
    admin: Any
    namespace: str
    folder: Path
    progress: Callable[[str], None] = print


def scene_modules() -> list[ModuleType]:
    """Every scene module of this package, in name order."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def scene_names() -> list[str]:
    return [module.NAME for module in scene_modules()]


def scenes_digest() -> str:
    """SHA-256 (16 hex digits) of the source the recordings depend on: the scene modules and the node
    package whose helpers they call (the Pods they make, the recorders, the parsers of what they read)."""
    digest = hashlib.sha256()
    scenes_dir = Path(__path__[0])
    for path in sorted([*scenes_dir.glob("*.py"), *scenes_dir.parent.glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def run_scenes(context: SceneContext) -> dict[str, str | None]:
    """Run every scene on the node, one after another; write each one's record. Returns each scene's
    error message, or None where it ran."""
    out = context.folder / "scenes"
    out.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, str | None] = {}
    for module in scene_modules():
        started = time.perf_counter()
        try:
            with _own_namespace(context, module.NAME) as namespace:
                record = {"scene": module.NAME, **module.observe(dataclasses.replace(context, namespace=namespace))}
            outcome[module.NAME] = None
        except Exception as err:  # a scene's failure is recorded for its chapter, not fatal to the others
            record = {"scene": module.NAME, "error": f"{type(err).__name__}: {err}"}
            outcome[module.NAME] = record["error"]
        record["seconds"] = round(time.perf_counter() - started, 1)
        (out / f"{module.NAME}.json").write_text(json.dumps(record, indent=2, default=str))
        context.progress(f"scene {module.NAME}: {record['seconds']:.1f} s"
                         f"{'' if outcome[module.NAME] is None else ' FAILED: ' + str(outcome[module.NAME])}")
    return outcome


def _own_namespace(context: SceneContext, name: str) -> AbstractContextManager[str]:
    """A fresh namespace for one scene (deleted after it), so what a scene lists by namespace (``crictl pods
    --namespace``, Events) holds only its own Pods, even while an earlier scene's Pods are still going."""
    if context.admin is None:
        return nullcontext(context.namespace)
    return context.admin.workshop_namespace(f"scene-{name}")


def load_scene(name: str, folder: Path | None = None) -> dict | None:
    """A scene's record as written by :func:`run_scenes`, or None when it was not recorded."""
    from ..overlays import observed_dir

    path = (folder or observed_dir()) / "scenes" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None
