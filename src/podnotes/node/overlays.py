"""What a real kubelet did, next to what the simulator predicted.

The real-node tests (``tests/node``) run the book's examples on a kubelet and
write what they observed to ``_build/observed``: one ``<example>.json``
timeline per example, ``agreement.json`` with every paired instant, and
``node.json`` describing the node. This module reads those files back and pairs
each observation with the simulation of the same manifest, on the same clock,
so the chapters can overlay them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..probes.timeline import Timeline

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Overlay:
    """One example as simulated (shifted onto the observed clock) and as observed."""

    name: str
    simulated: Timeline
    observed: Timeline
    offset: float  # seconds from the Pod's creation to its first container start
    largest_difference: float
    rows: list[dict]

    @property
    def agrees(self) -> bool:
        return all(row["agrees"] for row in self.rows)


def observed_dir() -> Path:
    """Where the real-node tests wrote their observations (``PODNOTES_OBSERVED_DIR``
    overrides the default ``_build/observed`` of this checkout)."""
    return Path(os.environ.get("PODNOTES_OBSERVED_DIR", REPO_ROOT / "_build" / "observed"))


def node_setup(folder: Path | None = None) -> dict[str, str]:
    """The node the observations come from (Kubernetes, containerd and runc
    versions, kernel, cgroup layout); empty when there are none."""
    path = (folder or observed_dir()) / "node.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_overlays(folder: Path | None = None) -> dict[str, Overlay]:
    """Every example that was observed, by name; empty when nothing was."""
    from ..probes import simulate
    from .examples import examples

    folder = folder or observed_dir()
    agreement_file = folder / "agreement.json"
    if not agreement_file.is_file():
        return {}
    agreement = json.loads(agreement_file.read_text())
    overlays = {}
    for example in examples():
        summary = agreement.get(example.name)
        observed_file = folder / f"{example.name}.json"
        if summary is None or not observed_file.is_file():
            continue
        simulated = simulate(example.manifest, example.behaviour, example.duration)
        overlays[example.name] = Overlay(
            name=example.name,
            simulated=simulated.shifted(summary["offset"]),
            observed=Timeline.from_json(observed_file.read_text()),
            offset=summary["offset"],
            largest_difference=summary["largest_difference"],
            rows=summary["rows"],
        )
    return overlays


def simulated(name: str) -> Timeline:
    """The simulation of one of the node examples, on its own clock."""
    from ..probes import simulate
    from .examples import examples

    for example in examples():
        if example.name == name:
            return simulate(example.manifest, example.behaviour, example.duration)
    raise KeyError(f"no node example called {name!r}")


def overlay_figure(name: str, overlays: dict[str, Overlay]):
    """The observed timeline over the simulated one when ``name`` was observed,
    otherwise the simulation alone."""
    from .. import plot

    if name in overlays:
        return plot.compare(overlays[name].simulated, overlays[name].observed)
    return plot.timeline(simulated(name))


def overlay_image(name: str, overlays: dict[str, Overlay]):
    """The observed-over-simulated figure of ``name`` as an image for a notebook, or None when ``name`` was
    not observed: a figure cell then shows nothing, so no caption speaks of data that is not there."""
    from .. import plot

    if name not in overlays:
        return None
    return plot.as_image(plot.compare(overlays[name].simulated, overlays[name].observed))


def agreement_markdown(overlays: dict[str, Overlay]):
    """One sentence per observed example: its largest difference from the simulation and whether every
    instant was within its tolerance; then the largest of all. None when nothing was observed."""
    from ..notices import Notice

    if not overlays:
        return None
    lines, chinese = [], []
    for name, overlay in overlays.items():
        verdict = "every instant within its tolerance" if overlay.agrees else "some instants outside their tolerance"
        lines.append(f"- `{name}`: {len(overlay.rows)} instants compared, largest difference "
                     f"{overlay.largest_difference:.1f} s, {verdict}.")
        chinese.append(f"- `{name}`：比较了 {len(overlay.rows)} 个时刻，最大差异 {overlay.largest_difference:.1f} s，"
                       f"{_VERDICT_ZH[overlay.agrees]}。")
    worst = max(overlays.values(), key=lambda overlay: overlay.largest_difference)
    lines += ["", f"The largest difference in this build was {worst.largest_difference:.1f} seconds, in the "
                  f"`{worst.name}` example."]
    chinese += ["", f"这次构建中最大的差异是 {worst.largest_difference:.1f} 秒，出现在示例 `{worst.name}` 中。"]
    return Notice("\n".join(lines), "\n".join(chinese))


# One execution serves both editions, so these lines come in both languages (podnotes.notices).
_VERDICT_ZH = {True: "每个时刻都在容差之内", False: "有些时刻超出了容差"}


def load_scene_comparisons(folder: Path | None = None) -> dict[str, list]:
    """Every scene's simulated-versus-observed comparisons
    (:func:`podnotes.node.agreement.scene_comparisons`), by scene name, for the scenes that recorded any;
    empty unless the observations are there and current. A scene whose record holds an error is listed with
    no comparison, so a check can name it."""
    from .agreement import scene_comparisons
    from .observe import observations_state
    from .scenes import load_scene, scene_names

    state = observations_state(folder)
    if not state.current:
        return {}
    found: dict[str, list] = {}
    for name in scene_names():
        record = load_scene(name, state.folder)
        if record is None:
            continue
        comparisons = [] if "error" in record else scene_comparisons(name, record)
        if comparisons or "error" in record:
            found[name] = comparisons
    return found


def scene_agreement_markdown(found: dict[str, list]):
    """One line per comparison, in the words of :func:`agreement_markdown`, with the final phases; None when
    nothing was compared."""
    from ..notices import Notice

    lines, chinese = [], []
    for scene, comparisons in found.items():
        if not comparisons:
            lines.append(f"- `{scene}`: the scene failed, nothing compared.")
            chinese.append(f"- `{scene}`：场景失败，没有可比较的内容。")
        for comparison in comparisons:
            verdict = ("every instant within its tolerance" if comparison.agrees
                       else "some instants outside their tolerance")
            removed = comparison.removed_before_phase
            if comparison.simulated_phase == comparison.observed_phase:
                phase = f"final phase {comparison.observed_phase}, as simulated"
                phase_zh = f"最终阶段为 {comparison.observed_phase}，与模拟一致"
            else:
                phase = (f"final phase {comparison.simulated_phase} simulated, {comparison.observed_phase} "
                         "last seen" + (" (the object was removed first)" if removed else ""))
                phase_zh = (f"模拟的最终阶段为 {comparison.simulated_phase}，最后看到的是 "
                            f"{comparison.observed_phase}" + ("（对象先被删除了）" if removed else ""))
            lines.append(f"- `{comparison.name}`: {len(comparison.rows)} instants compared, largest difference "
                         f"{comparison.largest_difference:.1f} s, {verdict}; {phase}.")
            chinese.append(f"- `{comparison.name}`：比较了 {len(comparison.rows)} 个时刻，最大差异 "
                           f"{comparison.largest_difference:.1f} s，{_VERDICT_ZH[comparison.agrees]}；{phase_zh}。")
    return Notice("\n".join(lines), "\n".join(chinese)) if lines else None
