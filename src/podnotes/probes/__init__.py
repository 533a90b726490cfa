"""Probes: a simulator of the kubelet's probe, restart and readiness rules, and
real probe handlers that check local processes the way the kubelet does.

* :func:`simulate` turns a Pod manifest and a :class:`Behaviour` into a
  :class:`Timeline` of events (``podnotes.probes.simulator``), for a kubelet
  configured by a :class:`KubeletConfig` and with :class:`PodUpdate` changes;
* :data:`PRESETS` holds the classic examples (``podnotes.probes.presets``);
* :func:`check` runs one real probe (``podnotes.probes.handlers``).
"""

from podnotes.probes.behaviour import (
    Behaviour,
    BehaviourError,
    ContainerBehaviour,
    ProbeAnswers,
    Steps,
    behaviour_from_dict,
    load_behaviour,
)
from podnotes.probes.handlers import ProbeResult, check
from podnotes.probes.kubelet import KubeletConfig, KubeletConfigError, kubelet_config_from_dict, load_kubelet_config
from podnotes.probes.presets import PRESETS, Preset, preset
from podnotes.probes.simulator import simulate
from podnotes.probes.spec import InvalidPod, PodUpdate, parse_pod
from podnotes.probes.timeline import Event, Timeline

__all__ = [
    "Behaviour", "BehaviourError", "ContainerBehaviour", "Event", "InvalidPod", "KubeletConfig",
    "KubeletConfigError", "PRESETS", "PodUpdate", "Preset", "ProbeAnswers", "ProbeResult", "Steps", "Timeline",
    "behaviour_from_dict", "check", "kubelet_config_from_dict", "load_behaviour", "load_kubelet_config",
    "parse_pod", "preset", "simulate",
]
