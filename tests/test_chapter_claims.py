"""No chapter states a result its data does not support.

A static check reads every chapter's code: an ``all(...)`` or ``any(...)`` over a collection must come after
an assertion about that collection (``all`` over nothing is True), and an assertion guarded by an ``if``
must either have an ``else`` that asserts too, or be a privileged experiment guarded by ``ran()`` on a page
whose top says whether its experiments ran (:mod:`podnotes.provenance`).

Then the chapters that overlay a real kubelet's observations are executed without them (each shows the
note and draws no observed figure), with a complete set (the figures and the agreement are shown), and with a
set whose claims have no data (the chapter must fail rather than state the result).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from podnotes.book.notebooks import execute_notebook, read_notebook, toc_notebooks

from .conftest import ROOT

CHAPTERS = [path for path in toc_notebooks(ROOT)]
# A privileged experiment's checks may be guarded by ran(result) or by a name set from section(...): both
# decide by what this machine lacks, and the page says so in a note (podnotes.linux.privileges).
PRIVILEGED_GUARDS = ("ran", "section")


def code_cells(path: Path) -> list[ast.Module]:
    cells = []
    for cell in read_notebook(path).cells:
        if cell.cell_type == "code":
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            cells.append(ast.parse(source, filename=str(path)))
    return cells


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _nonempty_literal(node: ast.AST) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        return all(isinstance(arg, ast.Constant) for arg in node.args) and len(range(*[a.value for a in node.args])) > 0
    return False


class ClaimChecker:
    """Walks a chapter's cells in order, remembering which names are known to be non-empty."""

    def __init__(self, path: Path):
        self.path = path
        self.known: set[str] = set()
        self.problems: list[str] = []
        self.privileged_note = False

    def check(self) -> list[str]:
        for index, cell in enumerate(code_cells(self.path)):
            source = ast.unparse(cell)
            if "provenance.privileged_part(" in source or "section(" in source or "podnotes.linux.privileges" in source:
                self.privileged_note = True
            for statement in cell.body:
                self._statement(statement, index)
        return self.problems

    def _statement(self, statement: ast.stmt, cell: int) -> None:
        for node in ast.walk(statement):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and self._nonempty(node.value)):
                self.known.add(node.targets[0].id)
            if isinstance(node, ast.If) and self._asserts(node.body) and not self._asserts(node.orelse):
                self._guarded(node, cell)
        for node in _in_order(statement):
            if isinstance(node, ast.Assert):
                self._assertion(node, cell)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("all", "any"):
                self._quantifier(node, cell)

    def _nonempty(self, value: ast.AST) -> bool:
        if _nonempty_literal(value):
            return True
        if isinstance(value, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            generator = value.generators[0]
            return not generator.ifs and (_nonempty_literal(generator.iter) or _root_name(generator.iter) in self.known)
        return False

    def _assertion(self, node: ast.Assert, cell: int) -> None:
        quantified = {id(n) for q in ast.walk(node.test) if _is_quantifier(q) for n in ast.walk(q)}
        for name in ast.walk(node.test):
            if isinstance(name, ast.Name) and id(name) not in quantified:
                self.known.add(name.id)

    def _quantifier(self, node: ast.Call, cell: int) -> None:
        argument = node.args[0] if node.args else None
        if isinstance(argument, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            iterable = argument.generators[0].iter
        else:
            iterable = argument
        if iterable is None or _nonempty_literal(iterable) or _root_name(iterable) in self.known:
            return
        self.problems.append(f"{self.path.name}, code cell {cell}: {ast.unparse(node)[:80]} may be over an empty "
                             f"collection; assert that {ast.unparse(iterable)} holds data first")

    @staticmethod
    def _asserts(body: list[ast.stmt]) -> bool:
        return any(isinstance(node, ast.Assert) for statement in body for node in ast.walk(statement))

    def _guarded(self, node: ast.If, cell: int) -> None:
        guard = node.test
        privileged = (isinstance(guard, ast.Call) and isinstance(guard.func, ast.Name)
                      and guard.func.id in PRIVILEGED_GUARDS) or (isinstance(guard, ast.Name) and guard.id in
                                                                 self.privileged_guards())
        if privileged and self.privileged_note:
            return
        self.problems.append(f"{self.path.name}, code cell {cell}: checks skipped when `{ast.unparse(guard)}` is "
                             "false, with no else branch that checks what the page shows instead")

    def privileged_guards(self) -> set[str]:
        names = set()
        for cell in code_cells(self.path):
            for node in ast.walk(cell):
                # `x = section(...)`, or `x = earlier and section(...)`: a guard whose note the page shows
                calls = node.value.values if isinstance(node, ast.Assign) and isinstance(node.value, ast.BoolOp) \
                    else [node.value] if isinstance(node, ast.Assign) else []
                if any(isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                       and call.func.id in PRIVILEGED_GUARDS for call in calls):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        return names


def _is_quantifier(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("all", "any")


def _in_order(statement: ast.stmt):
    """Asserts and quantifier calls in source order (nested blocks included)."""
    found = [node for node in ast.walk(statement) if isinstance(node, ast.Assert) or _is_quantifier(node)]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_no_claim_without_data(path):
    problems = ClaimChecker(path).check()
    assert problems == [], "\n".join(problems)


def test_the_checker_catches_vacuous_checks(tmp_path):
    chapter = tmp_path / "vacuous.md"
    chapter.write_text("""---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

```{code-cell} ipython3
rows = load()
assert all(row.ok for row in rows)
if rows:
    assert rows[0].ok
checked = [1, 2]
assert all(n > 0 for n in checked)
```
""")
    problems = ClaimChecker(chapter).check()
    assert len(problems) == 2, problems
    assert "row.ok for row in rows" in problems[0] and "`rows`" in problems[1]


# ---------------------------------------------------------------------------------------------------------
# The observation chapters, executed with and without data.

OBSERVATION_CHAPTERS = {
    "07-lifecycle": ["crash-loop", "never-restart"],
    "probe-timing": ["exec-liveness", "http-liveness", "tcp-liveness-readiness", "slow-start"],
    "11-kubectl": ["deleted-with-grace"],
}
NOTE = "could not run these examples on a real kubelet"


def write_observations(folder: Path, names: list[str], empty_rows: tuple[str, ...] = ()) -> None:
    """Observations as a node run writes them, each observed timeline equal to its simulation except for
    what a real node does not show: only failed probes are seen (the kubelet records an Event for those
    alone), and no Service endpoints (the test node runs no endpoint controller for Services)."""
    from podnotes.node.agreement import compare
    from podnotes.node.examples import ExampleRun, examples, write_observed
    from podnotes.probes import Timeline, simulate

    runs = []
    for example in examples():
        if example.name not in names:
            continue
        simulated = simulate(example.manifest, example.behaviour, example.duration)
        data = simulated.to_dict()
        events = [event for event in data["events"] if event["kind"] != "endpoint"
                  and (event["kind"] != "probe" or event.get("result") == "failure")]
        observed = Timeline.from_dict({**data, "events": events, "source": "observed"})
        runs.append(ExampleRun(example, simulated, observed, compare(example.name, simulated, observed)))
    write_observed(runs, folder)
    write_scene_records(folder)
    if empty_rows:
        agreement = json.loads((folder / "agreement.json").read_text())
        for name in empty_rows:
            agreement[name]["rows"] = []
        (folder / "agreement.json").write_text(json.dumps(agreement))


def write_scene_records(folder: Path, records: dict[str, dict] | None = None) -> None:
    """A record per scene (podnotes.node.scenes), as a node run writes them: ``records`` by scene name, an
    error record for the others (observations are complete only with every scene's record)."""
    from podnotes.node.scenes import scene_names

    (folder / "scenes").mkdir(parents=True, exist_ok=True)
    for name in scene_names():
        record = (records or {}).get(name, {"scene": name, "error": "not recorded by this test"})
        (folder / "scenes" / f"{name}.json").write_text(json.dumps(record))


def outputs(notebook) -> str:
    text = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            # One representation per output, the one a reader's Jupyter shows first.
            text.append(output.get("text", "") + (data.get("text/markdown") or data.get("text/plain", "")))
            if "image/png" in data or "image/svg+xml" in data:
                text.append(f"<figure in a cell tagged {cell.metadata.get('tags')}>")
    return "\n".join(text)


def executed(chapter: str, monkeypatch, folder: Path):
    return executed_path(ROOT / "chapters" / f"{chapter}.md", monkeypatch, folder)


def executed_path(path: Path, monkeypatch, folder: Path):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(folder))
    for name in ("CI", "PODNOTES_REQUIRE_REAL"):
        monkeypatch.delenv(name, raising=False)
    notebook = read_notebook(path)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nbformat.from_dict(notebook)


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(OBSERVATION_CHAPTERS))
def test_without_observations_the_page_says_so_and_draws_nothing_observed(chapter, monkeypatch, tmp_path):
    shown = outputs(executed(chapter, monkeypatch, tmp_path))
    assert shown.count(NOTE) == 1, "one note, at the top of the section"
    assert "(not observed)" not in shown
    assert "largest difference" not in shown.lower()


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(OBSERVATION_CHAPTERS))
def test_with_observations_the_page_draws_them(chapter, monkeypatch, tmp_path):
    write_observations(tmp_path, OBSERVATION_CHAPTERS[chapter])
    notebook = executed(chapter, monkeypatch, tmp_path)
    shown = outputs(notebook)
    assert NOTE not in shown and "ran for real" in shown
    overlay_figures = [cell for cell in notebook.cells if "overlay_image(" in cell.source
                       and any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                               for o in cell.get("outputs", []))]
    assert len(overlay_figures) == len(OBSERVATION_CHAPTERS[chapter])


@pytest.mark.notebooks
@pytest.mark.slow
def test_a_claim_without_data_fails_the_chapter(monkeypatch, tmp_path):
    """Observations that hold no paired instant for one example: the page that compares the real kubelet
    with the simulation must not state agreement."""
    from podnotes.book.notebooks import NotebookFailed

    names = [name for chapter in OBSERVATION_CHAPTERS.values() for name in chapter]
    write_observations(tmp_path, names, empty_rows=("slow-start",))
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    for name in ("CI", "PODNOTES_REQUIRE_REAL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotebookFailed, match="paired instants"):
        execute_notebook(CHECKS_ITSELF)


CHECKS_ITSELF = ROOT / "chapters" / "reference" / "checks-itself.md"


@pytest.mark.notebooks
@pytest.mark.slow
def test_the_comparison_page_states_agreement_only_with_observations(monkeypatch, tmp_path):
    names = [name for chapter in OBSERVATION_CHAPTERS.values() for name in chapter]
    without = outputs(executed_path(CHECKS_ITSELF, monkeypatch, tmp_path / "none"))
    assert without.count(NOTE) == 1 and "largest difference" not in without.lower()
    write_observations(tmp_path, names)
    shown = outputs(executed_path(CHECKS_ITSELF, monkeypatch, tmp_path))
    assert NOTE not in shown and "ran for real" in shown
    assert shown.count("instants compared") == len(names)


def test_the_checker_catches_the_old_agreement_cell(tmp_path):
    """The probes chapter once asserted agreement over an empty list, and the lifecycle chapter checked only
    the observations it happened to have."""
    chapter = tmp_path / "old.md"
    chapter.write_text("""---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

```{code-cell} ipython3
agreement = [(name, round(overlay.largest_difference, 1), overlay.agrees) for name, overlay in overlays.items()]
assert all(agrees for _, _, agrees in agreement), "every observed instant within its tolerance"
for name in ("crash-loop", "never-restart"):
    if name in overlays:
        assert overlays[name].agrees
```
""")
    problems = ClaimChecker(chapter).check()
    assert len(problems) == 2, problems


# ---------------------------------------------------------------------------------------------------------
# The resources chapter, executed with and without the node's recording of its scene.

RESOURCES_NOTE = "could not run this section's Pods on a real kubelet"
RESOURCES_RECORDING = ROOT / "tests" / "fixtures" / "node" / "resources-scene.json"
NODE_TABLES = ("containerd's own oom_score_adj", "its container's group", "lastState.terminated")
# The chapters built on a real-node scene: executed without a recording, and with one the test node made
# (tests/fixtures/scenes/<scene>.json, recorded by `python -m podnotes.node.observe`).
SCENE_CHAPTERS = {"pod-on-a-node": "pod-on-a-node", "shared-storage": "shared-storage"}
SCENE_NOTE = "could not run the commands on this page on a real node"
SCENE_FIXTURES = ROOT / "tests" / "fixtures" / "scenes"


@pytest.mark.notebooks
@pytest.mark.slow
def test_resources_without_a_recording_says_so_and_shows_no_node_table(monkeypatch, tmp_path):
    shown = outputs(executed("resources", monkeypatch, tmp_path))
    assert shown.count(RESOURCES_NOTE) == 1, "one note, at the top of the section"
    assert not [table for table in NODE_TABLES if table in shown]
@pytest.mark.parametrize("chapter", sorted(SCENE_CHAPTERS))
def test_without_a_scene_the_page_says_so_once_and_shows_no_node_output(chapter, monkeypatch, tmp_path):
    shown = outputs(executed(chapter, monkeypatch, tmp_path))
    assert shown.count(SCENE_NOTE) == 1, "one note, at the top of the section"
    assert "ran for real" not in shown and "containerd-shim" not in shown and "SANDBOX_READY" not in shown


@pytest.mark.notebooks
@pytest.mark.slow
def test_resources_with_a_recording_shows_and_checks_it(monkeypatch, tmp_path):
    """A recording the scene made on the test node (kept as a fixture), as a node run leaves it."""
    write_observations(tmp_path, [])
    (tmp_path / "scenes" / "resources.json").write_text(RESOURCES_RECORDING.read_text())
    shown = outputs(executed("resources", monkeypatch, tmp_path))
    assert RESOURCES_NOTE not in shown and "ran for real" in shown
    assert all(table in shown for table in NODE_TABLES)
    assert "OOMKilled" in shown and "cgroup v1, cgroupfs driver" in shown
@pytest.mark.parametrize("chapter", sorted(SCENE_CHAPTERS))
def test_with_a_recorded_scene_the_page_shows_and_checks_it(chapter, monkeypatch, tmp_path):
    scene = SCENE_CHAPTERS[chapter]
    record = json.loads((SCENE_FIXTURES / f"{scene}.json").read_text())
    assert record["scene"] == scene and "error" not in record
    write_observations(tmp_path, [])
    write_scene_records(tmp_path, {scene: record})
    shown = outputs(executed(chapter, monkeypatch, tmp_path))
    assert SCENE_NOTE not in shown and "ran for real" in shown
    assert record["pod_ip"] in shown, "the recorded Pod's IP is on the page"


@pytest.mark.notebooks
@pytest.mark.slow
def test_a_scene_that_contradicts_the_chapter_fails_it(monkeypatch, tmp_path):
    """A recording in which the server saw the node's address (NAT between Pods): the page must fail."""
    from podnotes.book.notebooks import NotebookFailed

    record = json.loads((SCENE_FIXTURES / "pod-on-a-node.json").read_text())
    record["no_nat"]["seen_by_server"] = record["node_ip"]
    write_observations(tmp_path, [])
    write_scene_records(tmp_path, {"pod-on-a-node": record})
    monkeypatch.setenv("PODNOTES_OBSERVED_DIR", str(tmp_path))
    for name in ("CI", "PODNOTES_REQUIRE_REAL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotebookFailed):
        execute_notebook(ROOT / "chapters" / "pod-on-a-node.md")
