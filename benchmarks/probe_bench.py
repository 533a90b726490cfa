"""How fast the probe simulator and the timeline plot are.

One hour of a Pod whose container has startup, liveness and readiness probes
at periodSeconds 1 and crashes 60 s after every start (so it loops through
the whole back-off sequence). Targets: simulating under 50 ms, plotting
(building the figure and rendering the PNG) under 1 s. Prints the best and
median of several runs.

    .venv/bin/python benchmarks/probe_bench.py
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from timing import timed  # noqa: E402  (benchmarks/timing.py, beside this script)

from podnotes import plot  # noqa: E402
from podnotes.probes import Behaviour, ContainerBehaviour, ProbeAnswers, Steps, simulate  # noqa: E402

SIMULATE_TARGET = 0.050
PLOT_TARGET = 1.0
HOUR = 3600.0

PROBE = {"periodSeconds": 1, "failureThreshold": 3}
POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bench"},
    "spec": {"containers": [{
        "name": "app", "image": "registry.k8s.io/busybox:1.27.2",
        "startupProbe": {"httpGet": {"path": "/started", "port": 8080}, **PROBE, "failureThreshold": 30},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, **PROBE},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, **PROBE},
    }]},
}
BEHAVIOUR = Behaviour({"app": ContainerBehaviour(exit_after=60.0, exit_code=1, probes={
    "startup": ProbeAnswers(Steps(((0.0, None), (5.0, 200)))),
    "readiness": ProbeAnswers(Steps(((0.0, 503), (8.0, 200)))),
})})



def main() -> None:
    simulate(POD, BEHAVIOUR, HOUR)  # warm up: imports and the linter's schemas
    best, median, timeline = timed(lambda: simulate(POD, BEHAVIOUR, HOUR, check=False), repeat=20)
    checked_best, _, _ = timed(lambda: simulate(POD, BEHAVIOUR, HOUR), repeat=5)
    probes = len(timeline.select("probe"))
    print(f"simulate 1 h, 3 probes every 1 s, crash loop: {len(timeline.events)} events, {probes} probe attempts, "
          f"{len(timeline.restarts())} restarts")
    print(f"  simulate:            best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
          f"(target < {SIMULATE_TARGET * 1000:.0f} ms) {'ok' if best < SIMULATE_TARGET else 'SLOW'}")
    print(f"  simulate + validate: best {checked_best * 1000:7.1f} ms")
    plot.render(plot.timeline(timeline))  # warm up fonts
    best, median, png = timed(lambda: plot.render(plot.timeline(timeline)), repeat=5)
    print(f"  plot (figure + PNG): best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
          f"(target < {PLOT_TARGET * 1000:.0f} ms) {'ok' if best < PLOT_TARGET else 'SLOW'}   {len(png):,} bytes")


if __name__ == "__main__":
    main()
