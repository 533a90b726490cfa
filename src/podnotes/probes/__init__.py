"""Probes: a simulator of the kubelet's probe, restart and readiness rules, and
real probe handlers that check local processes the way the kubelet does.

* :func:`simulate` turns a Pod manifest and a :class:`Behaviour` into a
  :class:`Timeline` of events (``podnotes.probes.simulator``);
* :data:`PRESETS` holds the classic examples (``podnotes.probes.presets``);
* :func:`check` runs one real probe (``podnotes.probes.handlers``).
"""

from podnotes.probes.behaviour import (
    Behaviour, BehaviourError, ContainerBehaviour, ProbeAnswers, Steps, behaviour_from_dict, load_behaviour,
)
from podnotes.probes.handlers import ProbeResult, check
from podnotes.probes.presets import PRESETS, Preset, preset
from podnotes.probes.simulator import simulate
from podnotes.probes.spec import InvalidPod, parse_pod
from podnotes.probes.timeline import Event, Timeline

__all__ = [
    "Behaviour", "BehaviourError", "ContainerBehaviour", "Event", "InvalidPod", "PRESETS", "Preset",
    "ProbeAnswers", "ProbeResult", "Steps", "Timeline", "behaviour_from_dict", "check", "load_behaviour",
    "parse_pod", "preset", "simulate",
]
