"""Shared by the benchmark scripts: how one action is timed."""

from __future__ import annotations

import statistics
import time


def timed(action, repeat: int) -> tuple[float, float, object]:
    """Run ``action`` ``repeat`` times: (best seconds, median seconds, the last result)."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds), result
