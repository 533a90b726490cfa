"""How fast a day's timeline is written: JSON, YAML and the Events text.

24 hours of a Pod with startup, liveness and readiness probes at
periodSeconds 1 (the startup probe stops at its first success, so about
173,000 events). Target: the JSON under 1 s, in the library
(``Timeline.to_json``) and as ``podnotes timeline -o json`` adds it to the
simulation; the Events text under 1 s; and a text or JSON output never imports
matplotlib (importing it alone costs most of a second). Prints the best and
median of several runs.

    .venv/bin/python benchmarks/timeline_bench.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed  # benchmarks/timing.py, beside this script

from podnotes.probes import Behaviour, ContainerBehaviour, ProbeAnswers, Steps, simulate
from podnotes.probes.events import describe_text

JSON_TARGET = 1.0
EVENTS_TARGET = 1.0
DAY = 86_400.0
PROBE = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1}
POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "day"},
    "spec": {"containers": [{
        "name": "app", "image": "registry.k8s.io/e2e-test-images/agnhost:2.40",
        "startupProbe": PROBE, "livenessProbe": PROBE, "readinessProbe": PROBE,
    }]},
}
BEHAVIOUR = Behaviour({"app": ContainerBehaviour(probes={
    kind: ProbeAnswers(Steps(((0.0, 200),))) for kind in ("startup", "liveness", "readiness")})})



def verdict(best: float, target: float) -> str:
    return f"(target < {target * 1000:.0f} ms) {'ok' if best < target else 'SLOW'}"


def main() -> None:
    sim_best, _, timeline = timed(lambda: simulate(POD, BEHAVIOUR, DAY), repeat=3)
    print(f"24 h, startup + liveness + readiness every 1 s: {len(timeline.events):,} events")
    print(f"  simulate:          best {sim_best * 1000:7.1f} ms")
    best, median, text = timed(timeline.to_json, repeat=5)
    assert len(json.loads(text)["events"]) == len(timeline.events)
    print(f"  to_json:           best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
          f"{len(text) / 1e6:.1f} MB   {verdict(best, JSON_TARGET)}")
    best, median, events = timed(lambda: describe_text(timeline), repeat=5)
    print(f"  Events text:       best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
          f"{events.count(chr(10))} lines   {verdict(best, EVENTS_TARGET)}")
    from podnotes.cli.timeline import render

    best, median, text = timed(lambda: render(timeline, "json"), repeat=5)
    print(f"  -o json (render):  best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
          f"{verdict(best, JSON_TARGET)}")
    with tempfile.TemporaryDirectory() as folder:
        behaviour = Path(folder) / "behaviour.json"
        pod = Path(folder) / "pod.json"
        behaviour.write_text(json.dumps({"containers": {"app": {"probes": {
            kind: {"answers": [[0, 200]]} for kind in ("startup", "liveness", "readiness")}}}}))
        pod.write_text(json.dumps(POD))
        command = [sys.executable, "-X", "importtime", "-m", "podnotes", "timeline", "-f", str(pod), "--behaviour",
                   str(behaviour), "--duration", str(DAY), "-o", "json", "--output-file", str(Path(folder) / "t.json")]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        whole = time.perf_counter() - started
        print(f"  podnotes timeline -o json, whole command (start-up, checks, simulation, JSON): {whole * 1000:.0f} ms")
        imported = "matplotlib" in done.stderr
        print(f"  matplotlib imported for -o json: {'yes (SLOW)' if imported else 'no (ok)'}")

if __name__ == "__main__":
    main()
