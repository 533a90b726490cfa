from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# One real node per test run, shared by tests/node and tests/workshop: one node runs per host at a time.
@pytest.fixture(scope="session")
def local_node():
    from podnotes.node import LocalNode, missing_prerequisites
    from tests.node.conftest import REPORT
    from tests.node.support import skip_or_fail

    missing = missing_prerequisites()
    if missing:
        skip_or_fail("no local node: missing " + "; ".join(missing))
    node = LocalNode("podnotes-node-test")
    started = time.perf_counter()
    node.start()
    REPORT.append(f"node Ready in {time.perf_counter() - started:.1f} s")
    REPORT.extend(f"  {phase.name}: {phase.seconds:.1f} s" for phase in node.phases)
    yield node
    stopped = time.perf_counter()
    left = node.stop()
    REPORT.append(f"node stopped and host cleaned in {time.perf_counter() - stopped:.1f} s; checked processes, "
                  f"mounts (network namespaces included), cgroups, bridge {node.network.bridge}, "
                  f"{len(node.veths)} veth(s), sysctls, kubelet/containerd/CNI paths; "
                  f"left behind: {', '.join(left) if left else 'nothing'}")
    REPORT.extend(f"  note: {note}" for note in node.notes)
    assert left == [], f"the node left things on the host: {left}"


def pytest_terminal_summary(terminalreporter):
    """The figures of the hostile-input runs (tests/test_hostile_inputs.py), when any ran."""
    from tests import hostile

    for line in hostile.summary():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (``/usr/bin/chromium``) under Playwright, one for the whole run: Playwright's
    sync API cannot start a second instance while one is running."""
    from tests.site.conftest import CHROMIUM_ARGS, chromium_executable

    executable = chromium_executable()
    if executable is None:
        message = ("no Chromium found: install Debian's `chromium` package (as root: "
                   "`apt-get install chromium`; `make venv` does it on a fresh checkout) "
                   "or set PODNOTES_CHROMIUM to a Chromium binary")
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
