"""The participant's side: run every exercise's check for *your* namespace, from a notebook cell::

    from podnotes.workshop import notebook
    notebook.check("alice.kubeconfig")

It connects with the kubeconfig the instructor handed out (the token of your ServiceAccount), through the
book's cluster guard, reads your namespace only (what your Role allows) and returns a
:class:`Progress` that prints as a small table: exercise, state, what the check saw, and the hint when
something is wrong. A cluster that is not on a loopback address (the instructor's machine, across the
room) must be named: ``notebook.check(file, allow_context="kind-workshop")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from podnotes.cluster import open_cluster
from podnotes.cluster.connect import choose_context, load_kubeconfig
from podnotes.cluster.kubeconfig import kubeconfig_paths

from .board import views_from_lists
from .connection import call
from .exercises import EXERCISES, PASSED, Result


@dataclass
class Progress:
    """One participant's results: ``results`` maps exercise id to Result."""

    namespace: str
    results: dict[str, Result] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(result.state == PASSED for result in self.results.values())

    def __str__(self) -> str:
        from podnotes.display import table, wrap

        rows = [(exercise_id, result.state, result.detail) for exercise_id, result in self.results.items()]
        hints = [f"{exercise_id}: {result.hint}" for exercise_id, result in self.results.items()
                 if result.state != PASSED and result.hint]
        lines = [f"namespace {self.namespace}: {self.passed} of {len(self.results)} passed",
                 table(["EXERCISE", "STATE", "WHAT THE CHECK SAW"], rows)]
        if hints:
            lines += ["hints:"] + [wrap("  " + hint) for hint in hints]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def check(kubeconfig: str, allow_context: str | None = None, context: str | None = None) -> Progress:
    """Every exercise's check on the namespace of the participant's kubeconfig (its only context, or
    ``context``). Raises the guard's errors (:class:`podnotes.cluster.ClusterError`) with what to do."""
    from podnotes.cluster import NoSuchContext

    paths, explicit = kubeconfig_paths(kubeconfig)
    config = load_kubeconfig(paths, explicit)
    if context is None:
        if len(config.contexts) != 1:
            raise NoSuchContext(f"{config.source} has {len(config.contexts)} contexts; name yours",
                                hint="notebook.check(FILE, context=NAME); the instructor's kubeconfig has one")
        context = next(iter(config.contexts))
    name = context[len("kind-"):] if context.startswith("kind-") else context
    allowed = allow_context is not None and allow_context == context
    target = choose_context(config, name, context=context, allow_non_kind_context=allowed)
    namespace = target.entries[0].string("namespace") or "default"
    with open_cluster(name, kubeconfig=kubeconfig, context=context, allow_non_kind_context=allowed) as mine:
        from podnotes.cluster import api

        core = api.core_v1(mine.api_client)
        lists = {kind: call(mine, f"listing {kind} in {namespace}",
                            lambda read=read: json.loads(read(namespace, _preload_content=False).data)["items"])
                 for kind, read in (("pods", core.list_namespaced_pod),
                                    ("configmaps", core.list_namespaced_config_map),
                                    ("events", core.list_namespaced_event))}
    view = views_from_lists({namespace}, lists)[namespace]
    return Progress(namespace, {exercise.id: exercise.run(view) for exercise in EXERCISES})
