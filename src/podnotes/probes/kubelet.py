"""The kubelet settings that change what the simulator predicts: feature gates
and ``KubeletConfiguration`` fields, as a kubelet of Kubernetes 1.37 reads them.

Only settings that change probe, restart or back-off timing are modelled:

* feature gate ``KubeletCrashLoopBackOffMax`` (beta, on by default since
  1.35): the back-off maximum is ``crashLoopBackOff.maxContainerRestartPeriod``;
* feature gate ``ReduceDefaultCrashLoopBackOffDecay`` (alpha since 1.33, off by
  default): the back-off starts at 1 s, with a 60 s maximum;
* ``crashLoopBackOff.maxContainerRestartPeriod`` (1 s to 300 s, defaulted to
  300 s while the first gate is on): the back-off maximum; the initial back-off
  is lowered to it when larger.

Upstream: ``newCrashLoopBackOff`` and the constants ``initialCrashLoopBackOff``
(10 s), ``reducedInitialCrashLoopBackOff`` (1 s), ``reducedMaxCrashLoopBackOff``
(60 s) in ``pkg/kubelet/kubelet.go``; ``MaxContainerBackOff`` (300 s) and the
defaulting of ``maxContainerRestartPeriod`` in
``pkg/kubelet/apis/config/v1beta1/defaults.go``; its validation in
``pkg/kubelet/apis/config/validation/validation.go``; the gates in
``pkg/features/kube_features.go``.

Because ``KubeletCrashLoopBackOffMax`` is on by default and defaults the
maximum to 300 s, turning on ``ReduceDefaultCrashLoopBackOffDecay`` alone gives
an initial back-off of 1 s but keeps the 300 s maximum; the 60 s maximum needs
``maxContainerRestartPeriod: 60s`` or ``KubeletCrashLoopBackOffMax`` off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KUBERNETES_VERSION = "1.37"
INITIAL_BACKOFF = 10.0  # initialCrashLoopBackOff
REDUCED_INITIAL_BACKOFF = 1.0  # reducedInitialCrashLoopBackOff
MAX_BACKOFF = 300.0  # MaxContainerBackOff / MaxCrashLoopBackOff
REDUCED_MAX_BACKOFF = 60.0  # reducedMaxCrashLoopBackOff
BACKOFF_EXPIRY = 600.0  # crashLoopBackOff.HasExpiredFunc: fixed, whatever the maximum
MIN_RESTART_PERIOD, MAX_RESTART_PERIOD = 1.0, 300.0  # validation: between 1s and 300s

# The gates a 1.37 kubelet accepts that change what is simulated, with their defaults.
FEATURE_GATES: dict[str, bool] = {
    "KubeletCrashLoopBackOffMax": True,
    "ReduceDefaultCrashLoopBackOffDecay": False,
}
# Gates that still exist but are locked to their default in 1.37: setting them
# to the other value makes the kubelet refuse to start.
LOCKED_GATES: dict[str, bool] = {"ExecProbeTimeout": True, "PodReadyToStartContainersCondition": True}

CONFIG_KIND = "KubeletConfiguration"
CONFIG_API_VERSION = "kubelet.config.k8s.io/v1beta1"


class KubeletConfigError(ValueError):
    """A kubelet setting the 1.37 kubelet would refuse; the message names the field."""


@dataclass(frozen=True)
class KubeletConfig:
    """Feature gates and configuration of the simulated kubelet.

    ``feature_gates`` maps gate names to booleans (unlisted gates keep their
    1.37 defaults, ``FEATURE_GATES``); ``max_container_restart_period`` is
    ``crashLoopBackOff.maxContainerRestartPeriod`` in seconds (None: the
    default). Raises :class:`KubeletConfigError` for what the kubelet refuses.
    """

    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    max_container_restart_period: float | None = None

    def __post_init__(self):
        for name, value in self.feature_gates.items():
            if not isinstance(value, bool):
                raise KubeletConfigError(f"featureGates.{name}: expected true or false, got {value!r}")
            if name in LOCKED_GATES:
                if value != LOCKED_GATES[name]:
                    raise KubeletConfigError(
                        f"featureGates.{name}: cannot set feature gate {name} to {str(value).lower()}, "
                        f"feature is locked to {str(LOCKED_GATES[name]).lower()}")
            elif name not in FEATURE_GATES:
                raise KubeletConfigError(
                    f"featureGates.{name}: not a feature gate this simulation models "
                    f"(known: {', '.join(sorted({**FEATURE_GATES, **LOCKED_GATES}))})")
        period = self.max_container_restart_period
        if self.enabled("KubeletCrashLoopBackOffMax"):
            if period is not None and not MIN_RESTART_PERIOD <= period <= MAX_RESTART_PERIOD:
                raise KubeletConfigError(
                    f"crashLoopBackOff.maxContainerRestartPeriod: invalid configuration: "
                    f"CrashLoopBackOff.MaxContainerRestartPeriod (got: {period:g} seconds) must be set "
                    "between 1s and 300s")
        elif period is not None:
            raise KubeletConfigError(
                "crashLoopBackOff.maxContainerRestartPeriod: invalid configuration: FeatureGate "
                "KubeletCrashLoopBackOffMax not enabled, CrashLoopBackOff.MaxContainerRestartPeriod must not be set")

    def enabled(self, gate: str) -> bool:
        if gate in self.feature_gates:
            return self.feature_gates[gate]
        return {**FEATURE_GATES, **LOCKED_GATES}[gate]

    def crash_loop_backoff(self) -> tuple[float, float]:
        """``(initial, maximum)`` restart back-off in seconds (``newCrashLoopBackOff``)."""
        initial, maximum = INITIAL_BACKOFF, MAX_BACKOFF
        if self.enabled("ReduceDefaultCrashLoopBackOffDecay"):
            initial, maximum = REDUCED_INITIAL_BACKOFF, REDUCED_MAX_BACKOFF
        if self.enabled("KubeletCrashLoopBackOffMax"):
            # defaulted to MaxContainerBackOff when unset (SetDefaults_KubeletConfiguration)
            maximum = MAX_BACKOFF if self.max_container_restart_period is None \
                else float(self.max_container_restart_period)
            initial = min(initial, maximum)
        return initial, maximum


def kubelet_config_from_dict(data: Mapping[str, Any]) -> KubeletConfig:
    """A :class:`KubeletConfig` from a ``KubeletConfiguration`` document (the
    kubelet's ``--config`` file) or a mapping with just ``featureGates`` and
    ``crashLoopBackOff``. Other kubelet fields are ignored."""
    if not isinstance(data, Mapping):
        raise KubeletConfigError("a kubelet configuration is a mapping (kind: KubeletConfiguration)")
    kind = data.get("kind")
    if kind is not None and kind != CONFIG_KIND:
        raise KubeletConfigError(f"kind: expected {CONFIG_KIND}, got {kind!r}")
    api_version = data.get("apiVersion")
    if api_version is not None and api_version != CONFIG_API_VERSION:
        raise KubeletConfigError(f"apiVersion: expected {CONFIG_API_VERSION}, got {api_version!r}")
    gates = data.get("featureGates") or {}
    if not isinstance(gates, Mapping):
        raise KubeletConfigError(f"featureGates: expected a mapping of gate names to true/false, got {gates!r}")
    backoff = data.get("crashLoopBackOff") or {}
    if not isinstance(backoff, Mapping):
        raise KubeletConfigError(f"crashLoopBackOff: expected a mapping, got {backoff!r}")
    unknown = sorted(set(backoff) - {"maxContainerRestartPeriod"})
    if unknown:
        raise KubeletConfigError(f"crashLoopBackOff.{unknown[0]}: unknown field (expected maxContainerRestartPeriod)")
    period = backoff.get("maxContainerRestartPeriod")
    seconds = None if period is None else parse_duration(period, "crashLoopBackOff.maxContainerRestartPeriod")
    return KubeletConfig(feature_gates=dict(gates), max_container_restart_period=seconds)


def load_kubelet_config(path: str | Path) -> KubeletConfig:
    """Read a ``KubeletConfiguration`` YAML or JSON file (``"-"`` for stdin),
    with the same bounded reader as every other input
    (``podnotes.manifest.load_single_document``).

    Raises :class:`KubeletConfigError` naming the file, and the line where known."""
    from podnotes.manifest import SingleDocumentError, load_single_document

    try:
        document, name = load_single_document(path, "the kubelet configuration")
    except SingleDocumentError as err:
        raise KubeletConfigError(str(err)) from None
    data = document.root.to_python() if document is not None and document.root is not None else None
    try:
        return kubelet_config_from_dict(data or {})
    except KubeletConfigError as err:
        raise KubeletConfigError(f"{name}: {err}") from None


def parse_feature_gates(text: str) -> dict[str, bool]:
    """``--feature-gates`` syntax: ``A=true,B=false``."""
    gates: dict[str, bool] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or value.lower() not in ("true", "false"):
            raise KubeletConfigError(f"--feature-gates: expected NAME=true|false, got {item!r}")
        gates[name.strip()] = value.lower() == "true"
    return gates


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any, where: str = "duration") -> float:
    """Seconds from a Go duration string (``metav1.Duration``: ``"90s"``, ``"1m30s"``, ``"500ms"``)."""
    if not isinstance(value, str) or not value:
        raise KubeletConfigError(f"{where}: expected a duration such as \"60s\" or \"1m30s\", got {value!r}")
    text, sign = value, 1.0
    if text[0] in "+-":
        sign, text = (-1.0 if text[0] == "-" else 1.0), text[1:]
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or position == 0:
        raise KubeletConfigError(f"{where}: time: invalid duration {value!r}")
    return sign * total


def go_duration(seconds: float) -> str:
    """How Go prints a ``time.Duration`` of whole or fractional seconds: ``1m20s``, ``5m0s``, ``1.5s``."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600.0)
    minutes, secs = divmod(rest, 60.0)
    secs_text = f"{secs:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{int(hours)}h{int(minutes)}m{secs_text}s"
    if minutes:
        return f"{int(minutes)}m{secs_text}s"
    return f"{secs_text}s"
