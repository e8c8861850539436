"""Timeouts: connect, read (silence between bytes) and total."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Timeout", "DEFAULT_TIMEOUT", "coerce_timeout"]


def _check(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Timeout.{name} must be a number of seconds or None")
    if not value > 0 or math.isnan(value):
        raise ValueError(f"Timeout.{name} must be positive, got {value!r}")


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds allowed to connect, between two received bytes, and for the whole request.

    ``None`` means no limit for that phase. The defaults keep the seed's 600 s
    total while noticing a stalled connection after 120 s of silence.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    total: float | None = 600.0

    def __post_init__(self) -> None:
        _check("connect", self.connect)
        _check("read", self.read)
        _check("total", self.total)

    def effective(self, phase: float | None) -> float | None:
        """Return ``phase`` capped by ``total`` (a phase never outlasts the request)."""
        if phase is None:
            return self.total
        if self.total is None:
            return phase
        return min(phase, self.total)


DEFAULT_TIMEOUT = Timeout()


def coerce_timeout(timeout: Timeout | float | None) -> Timeout:
    """Accept a :class:`Timeout`, a number (the total) or None (the defaults)."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be a Timeout, a number of seconds or None, got {type(timeout).__name__}"
        )
    return Timeout(total=float(timeout))
