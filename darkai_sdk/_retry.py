"""The retry schedule: what is retried, and how long to wait first."""

from __future__ import annotations

import datetime
import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._exceptions import APIConnectionError, APIStatusError, DarkAIError, IncompleteStreamError

__all__ = ["RetryPolicy", "parse_retry_after", "is_retryable_status"]

_RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status_code: int) -> bool:
    """408, 409, 429 and every 5xx are worth another try."""
    return status_code in _RETRYABLE_STATUSES or status_code >= 500


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, else ``Retry-After``."""
    value = _header(headers, "retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            ms = -1.0
        if ms >= 0 and ms == ms:
            return ms / 1000.0
    value = _header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true, float("²") fails
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):  # since 3.10 it raises, never returns None
        return None
    if when.tzinfo is None:  # "-0000" or no zone: an HTTP-date is always UTC, not local time
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: 0.5 s doubling up to 8 s; Retry-After up to 60 s."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, error: DarkAIError, attempt: int) -> bool:
        """Whether ``error`` on try number ``attempt`` (0-based) may be tried again.

        Only before any text reached the caller; the caller checks that.
        """
        if attempt >= self.max_retries:
            return False
        if isinstance(error, APIStatusError):
            if not is_retryable_status(error.status_code):
                return False
            return error.retry_after is None or error.retry_after <= self.max_retry_after
        return isinstance(error, (APIConnectionError, IncompleteStreamError))

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before try ``attempt + 1``: Retry-After, else backoff."""
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        # min(attempt, 64): 2**attempt overflows a float long before any sane max_retries
        base = min(self.initial_delay * (2.0 ** min(attempt, 64)), self.max_delay)
        # Full jitter on the upper quarter keeps clients apart without shrinking the wait much.
        return base * (1 - 0.25 * rng())
