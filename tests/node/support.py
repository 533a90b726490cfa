"""Helpers shared by the real-node tests."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip with a one-line reason; in CI the real-node tier must run, so there it fails instead."""
    if in_ci():
        pytest.fail(f"the real-node tier must run in CI, but: {reason}", pytrace=False)
    pytest.skip(reason)
