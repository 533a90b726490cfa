"""Quantities as k8s.io/apimachinery/pkg/api/resource (quantity.go, suffix.go) reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from podnotes.kube.quantity import (
    QuantityError,
    fractional_bytes,
    millicores,
    parse_quantity,
    same_quantity,
    whole_units,
)


@pytest.mark.parametrize("text, value", [
    ("1e9", Decimal(10**9)), ("1Pi", Decimal(2**50)), ("500u", Decimal("0.0005")), ("0.1", Decimal("0.1")),
    ("100m", Decimal("0.1")), ("1.5G", Decimal(1_500_000_000)), (2, Decimal(2)), (0.25, Decimal("0.25")),
    ("1E3", Decimal(1000)), ("+1Ki", Decimal(1024)),
])
def test_every_spelling_parses(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1Gb", "12 cores", "", "1e", "Mi"])
def test_non_quantities_are_refused(text):
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_equal_amounts_are_equal_whatever_the_spelling():
    """Quantity.Equal compares values: 0.1 and 100m, 1Gi and 1073741824, 1e3 and 1k."""
    assert same_quantity("0.1", "100m") and same_quantity(0.1, "100m")
    assert same_quantity("1Gi", 1073741824) and same_quantity("1e3", "1k")
    assert same_quantity(None, "0") and not same_quantity("1", "1001m")


def test_milli_and_whole_values_round_up_like_the_server():
    """MilliValue and Value round up (quantity.go ScaledValue)."""
    assert millicores("500u") == 1 and millicores(0.1) == 100 and millicores("1") == 1000
    assert whole_units("1.5") == 2 and whole_units("64Mi") == 64 * 2**20


@pytest.mark.parametrize("text, shown", [
    ("1.5", "1500m"), ("100m", "100m"), ("1500001u", "1501m"), ("0.0001", "1m"),
    ("0.5Ki", None), ("1.5Mi", None), ("128Mi", None), ("1Gb", None),
])
def test_fractional_bytes_are_shown_as_the_server_shows_them(text, shown):
    """warningsForPodSpecAndMeta (pkg/api/pod/warnings.go) quotes value.String(), the canonical form:
    checked against kube-apiserver 1.37 (1500001u is warned about as "1501m")."""
    assert fractional_bytes(text) == shown


@pytest.mark.parametrize("text", ["1e2147483647", "9e18", "1Ei", "1e40"])
def test_huge_amounts_are_held_to_int64_not_expanded(text):
    """MilliValue and Value return an int64; a quantity of 2^31 decimal digits must cost nothing."""
    assert fractional_bytes(text) is None
    assert millicores(text) == 2**63 - 1
    assert whole_units(text) <= 2**63 - 1
