"""Each Kubernetes fact has one home in podnotes.kube: the lists that used to be copied around the
package (and disagreed) are written out nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podnotes.kube import enums

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "podnotes"
HOME = PACKAGE / "kube"

# The spelled-out form of each fact, as a copy would write it.
COPIES = {
    "probe handlers": r'"exec",\s*"httpGet",\s*"tcpSocket"',
    "probe kinds": r'"startup",\s*"liveness",\s*"readiness"',
    "probe fields": r'"livenessProbe",\s*"readinessProbe",\s*"startupProbe"',
    "phases": r'"Pending",\s*"Running",\s*"Succeeded"',
    "conditions": r'"PodScheduled",\s*"PodReadyToStartContainers"',
    "Pod Security levels": r'"privileged",\s*"baseline",\s*"restricted"',
    "pull policies": r'"Always",\s*"IfNotPresent"|"Always" if .* else "IfNotPresent"',
    "restart policies": r'"Always",\s*"OnFailure",\s*"Never"',
    "QoS rule": r'"Guaranteed" if',
    "probe defaults": r'periodSeconds"\)\s*or\s*10|"periodSeconds",\s*10\)',
    "quantity suffixes": r'"Ki":\s*2\s*\*\*\s*10',
}


def sources() -> list[Path]:
    found = [path for path in PACKAGE.rglob("*.py") if HOME not in path.parents]
    assert len(found) > 50  # the whole package, not an empty folder
    return found


@pytest.mark.parametrize("fact", list(COPIES))
def test_the_fact_is_written_only_in_its_home(fact):
    pattern = re.compile(COPIES[fact])
    copies = [str(path.relative_to(PACKAGE)) for path in sources() if pattern.search(path.read_text("utf-8"))]
    assert copies == [], f"{fact} is written out again in {copies}; import it from podnotes.kube"


def test_the_enums_keep_the_servers_order():
    assert enums.PROBE_HANDLERS == ("exec", "httpGet", "tcpSocket", "grpc")  # validateHandler's order
    assert tuple(enums.PROBE_FIELDS) == ("startup", "liveness", "readiness")
    assert enums.PSS_LEVELS[0] == "privileged" and enums.PSS_LEVELS[-1] == "restricted"
    assert set(enums.TERMINAL_PHASES) < set(enums.PHASES)
