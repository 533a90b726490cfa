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
    from IPython.display import Markdown

    if not overlays:
        return None
    lines = []
    for name, overlay in overlays.items():
        verdict = "every instant within its tolerance" if overlay.agrees else "some instants outside their tolerance"
        lines.append(f"- `{name}`: {len(overlay.rows)} instants compared, largest difference "
                     f"{overlay.largest_difference:.1f} s, {verdict}.")
    worst = max(overlays.values(), key=lambda overlay: overlay.largest_difference)
    lines.append("")
    lines.append(f"The largest difference in this build was {worst.largest_difference:.1f} seconds, in the "
                 f"`{worst.name}` example.")
    return Markdown("\n".join(lines))
