"""The kubelet's container restart back-off ("CrashLoopBackOff").

A transcription of the two pieces of upstream code that decide it:

* ``Backoff`` in client-go ``util/flowcontrol/backoff.go`` (``Next``,
  ``IsInBackOffSince``, ``hasExpired``), as the kubelet builds it in
  ``NewMainKubelet`` with ``newCrashLoopBackOff`` (``pkg/kubelet/kubelet.go``):
  by default initial 10 s and maximum 300 s (both set by the kubelet
  configuration, :class:`~podnotes.probes.kubelet.KubeletConfig`), no jitter,
  and an entry expires when the event is more than 600 s after the entry's
  last update (``HasExpiredFunc``, whatever the maximum).
* ``kubeGenericRuntimeManager.doBackOff``
  (``pkg/kubelet/kuberuntime/kuberuntime_manager.go``), called before every container start: it looks at
  the newest *exited* instance of the container. Entries are keyed by
  ``GetBackoffKey`` (Pod, container name, image, resources), so a new image
  starts without back-off. If there is no exited instance, the start
  goes ahead and no back-off entry is created. Otherwise, if less than the
  entry's back-off has passed since that instance finished, the start is
  refused (the container waits in ``CrashLoopBackOff``); if not, ``Next``
  doubles the back-off (capped) and the container starts.

Consequence, with the defaults: after the first crash the container restarts
at once (and the entry starts at 10 s), after the next ones it waits 10, 20,
40, 80, 160 s, then 300 s; a container that ran for more than 10 minutes
before exiting starts the sequence again.
"""

from __future__ import annotations

from dataclasses import dataclass

INITIAL_SECONDS = 10.0  # initial crash loop back-off, pkg/kubelet/kubelet.go
MAX_SECONDS = 300.0  # MaxContainerBackOff
EXPIRY_SECONDS = 600.0  # HasExpiredFunc: eventTime - lastUpdate > 600 s (10 minutes)
# Times are float seconds; a retry scheduled at exactly finish + back-off must
# not be refused because of rounding.
TOLERANCE = 1e-6


@dataclass
class _Entry:
    backoff: float
    last_update: float


class CrashLoopBackOff:
    """Per-container back-off entries, keyed by container name."""

    def __init__(self, initial: float = INITIAL_SECONDS, maximum: float = MAX_SECONDS,
                 expiry: float = EXPIRY_SECONDS):
        self.initial, self.maximum, self.expiry = initial, maximum, expiry
        self.entries: dict[str, _Entry] = {}

    def _expired(self, event_time: float, entry: _Entry) -> bool:
        return event_time - entry.last_update > self.expiry

    def is_in_backoff_since(self, key: str, event_time: float, now: float) -> bool:
        """client-go ``IsInBackOffSince``: less than the back-off has passed since ``event_time``."""
        entry = self.entries.get(key)
        if entry is None or self._expired(event_time, entry):
            return False
        return now - event_time < entry.backoff - TOLERANCE

    def next(self, key: str, event_time: float, now: float) -> None:
        """client-go ``Next``: start at ``initial`` (new or expired entry) or double, capped."""
        entry = self.entries.get(key)
        if entry is None or self._expired(event_time, entry):
            self.entries[key] = _Entry(self.initial, now)
        else:
            entry.backoff = min(entry.backoff * 2, self.maximum)
            entry.last_update = now

    def current(self, key: str) -> float:
        entry = self.entries.get(key)
        return entry.backoff if entry else 0.0

    def decide(self, key: str, newest_exit: float | None, now: float) -> float:
        """``doBackOff`` for a start attempted at ``now``, when the newest exited
        instance finished at ``newest_exit`` (None: no exited instance).

        Returns 0 when the container may start now (recording the start as the
        kubelet does), else how long it must still wait.
        """
        if newest_exit is None:
            return 0.0
        if self.is_in_backoff_since(key, newest_exit, now):
            return newest_exit + self.entries[key].backoff - now
        self.next(key, newest_exit, now)
        return 0.0
