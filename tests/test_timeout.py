"""Timeout: defaults, validation, numbers as totals, and phases capped by the total."""

from __future__ import annotations

from typing import Any

import pytest

from darkai_sdk import Timeout
from darkai_sdk._timeout import DEFAULT_TIMEOUT, coerce_timeout


def test_defaults_are_connect_10_read_120_total_600() -> None:
    timeout = Timeout()
    assert (timeout.connect, timeout.read, timeout.total) == (10.0, 120.0, 600.0)


def test_default_timeout_constant_matches_the_defaults() -> None:
    assert Timeout() == DEFAULT_TIMEOUT


def test_none_means_the_defaults() -> None:
    assert coerce_timeout(None) == Timeout(connect=10.0, read=120.0, total=600.0)


def test_a_number_means_the_total() -> None:
    timeout = coerce_timeout(30)
    assert timeout.total == 30.0
    assert (timeout.connect, timeout.read) == (10.0, 120.0)


def test_a_float_means_the_total() -> None:
    assert coerce_timeout(2.5).total == 2.5


def test_a_timeout_passes_through_unchanged() -> None:
    timeout = Timeout(connect=1, read=2, total=3)
    assert coerce_timeout(timeout) is timeout


def test_none_phase_means_no_limit() -> None:
    timeout = Timeout(connect=None, read=None, total=None)
    assert (timeout.connect, timeout.read, timeout.total) == (None, None, None)


def test_timeout_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Timeout().total = 1  # type: ignore[misc]


@pytest.mark.parametrize("phase", ["connect", "read", "total"])
@pytest.mark.parametrize("value", [0, 0.0, -1, -0.5, float("nan"), float("-inf")])
def test_non_positive_or_nan_phase_raises_value_error(phase: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"Timeout.{phase}"):
        Timeout(**{phase: value})


@pytest.mark.parametrize("phase", ["connect", "read", "total"])
@pytest.mark.parametrize("value", ["10", True, False, [1], object()])
def test_non_number_phase_raises_type_error(phase: str, value: Any) -> None:
    with pytest.raises(TypeError, match=f"Timeout.{phase}"):
        Timeout(**{phase: value})


@pytest.mark.parametrize("value", [0, -3, float("nan")])
def test_bad_number_as_timeout_raises_value_error(value: float) -> None:
    with pytest.raises(ValueError):
        coerce_timeout(value)


@pytest.mark.parametrize("value", ["30", True, [30], {"total": 30}])
def test_bad_timeout_type_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="timeout"):
        coerce_timeout(value)


def test_effective_caps_a_phase_by_the_total() -> None:
    timeout = Timeout(connect=10, read=120, total=5)
    assert timeout.effective(timeout.connect) == 5
    assert timeout.effective(timeout.read) == 5


def test_effective_keeps_a_phase_shorter_than_the_total() -> None:
    timeout = Timeout()
    assert timeout.effective(timeout.connect) == 10.0
    assert timeout.effective(timeout.read) == 120.0


def test_effective_of_an_unlimited_phase_is_the_total() -> None:
    assert Timeout(read=None, total=42).effective(None) == 42


def test_effective_without_a_total_is_the_phase() -> None:
    assert Timeout(total=None).effective(7.5) == 7.5
    assert Timeout(total=None).effective(None) is None
