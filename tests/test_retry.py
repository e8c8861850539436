"""The retry schedule: which failures are retried, and how long to wait first."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from darkai_sdk._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    DarkAIError,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    RateLimitError,
    ServerEventError,
    StreamIntegrityError,
)
from darkai_sdk._retry import RetryPolicy, is_retryable_status, parse_retry_after

# 2015-10-21 07:28:00 UTC
WHEN = 1445412480.0

# --- statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 422, 451, 499])
def test_other_statuses_are_not_retryable(status: int) -> None:
    assert not is_retryable_status(status)


# --- Retry-After -----------------------------------------------------------------------------


def test_no_retry_headers_gives_none() -> None:
    assert parse_retry_after({}) is None
    assert parse_retry_after({"content-type": "text/plain"}) is None


def test_retry_after_seconds() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0


def test_retry_after_header_name_is_case_insensitive() -> None:
    assert parse_retry_after({"RETRY-AFTER": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "3"}) == 3.0


def test_retry_after_zero_and_surrounding_spaces() -> None:
    assert parse_retry_after({"Retry-After": "0"}) == 0.0
    assert parse_retry_after({"Retry-After": "  12 "}) == 12.0


def test_retry_after_http_date_is_seconds_from_now() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}
    assert parse_retry_after(headers, now=lambda: WHEN) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_gives_zero() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert parse_retry_after(headers, now=lambda: WHEN + 100) == 0.0


def test_retry_after_date_with_numeric_utc_offset() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2015 09:28:10 +0200"}
    assert parse_retry_after(headers, now=lambda: WHEN) == pytest.approx(10.0)


@pytest.fixture
def non_utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("non_utc_local_time")
@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:20 -0000", "Wed, 21 Oct 2015 07:28:20"])
def test_retry_after_date_without_zone_is_utc_not_local_time(value: str) -> None:
    assert parse_retry_after({"Retry-After": value}, now=lambda: WHEN) == pytest.approx(20.0)


def test_retry_after_ms_is_in_milliseconds() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"Retry-After-Ms": "250.5"}) == pytest.approx(0.2505)


@pytest.mark.parametrize(("ms", "seconds"), [("0", 0.0), ("0.5", 0.0005), ("1", 0.001)])
def test_retry_after_ms_from_zero_up_is_used(ms: str, seconds: float) -> None:
    # Zero and fractions of a millisecond are waits too, not unusable values.
    assert parse_retry_after({"retry-after-ms": ms, "Retry-After": "30"}) == seconds


def test_retry_after_ms_takes_precedence() -> None:
    assert parse_retry_after({"Retry-After": "30", "retry-after-ms": "200"}) == 0.2
    assert parse_retry_after({"retry-after-ms": "200", "Retry-After": "30"}) == 0.2


@pytest.mark.parametrize("bad_ms", ["soon", "-5", "nan", "", "1e"])
def test_unusable_retry_after_ms_falls_back_to_retry_after(bad_ms: str) -> None:
    assert parse_retry_after({"retry-after-ms": bad_ms, "Retry-After": "4"}) == 4.0


@pytest.mark.parametrize("bad_ms", ["soon", "-5", "nan"])
def test_unusable_retry_after_ms_alone_gives_none(bad_ms: str) -> None:
    assert parse_retry_after({"retry-after-ms": bad_ms}) is None


@pytest.mark.parametrize(
    "garbage",
    ["", "soon", "-1", "1.5", "5s", "0x10", "²", "١٢", "Wed, 99 Foo 2015", "Wed, 21 Oct"],
)
def test_garbage_retry_after_is_ignored(garbage: str) -> None:
    assert parse_retry_after({"Retry-After": garbage}, now=lambda: WHEN) is None


@given(st.text(max_size=40))
def test_retry_after_parsing_never_raises(value: str) -> None:
    result = parse_retry_after({"Retry-After": value, "retry-after-ms": value}, now=lambda: WHEN)
    assert result is None or result >= 0


# --- should_retry ----------------------------------------------------------------------------


def test_default_policy() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == 2
    assert policy.initial_delay == 0.5
    assert policy.max_delay == 8.0
    assert policy.max_retry_after == 60.0


def test_a_policy_is_immutable_and_slotted() -> None:
    policy = RetryPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_retries = 5  # type: ignore[misc]
    assert not hasattr(policy, "__dict__")


def _status(code: int, retry_after: float | None = None) -> APIStatusError:
    return APIStatusError(f"HTTP {code}", status_code=code, retry_after=retry_after)


@pytest.mark.parametrize("code", [408, 409, 429, 500, 503])
def test_retryable_status_error_is_retried(code: int) -> None:
    assert RetryPolicy().should_retry(_status(code), 0)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_non_retryable_status_error_is_not_retried(code: int) -> None:
    assert not RetryPolicy().should_retry(_status(code), 0)


def test_status_subclasses_are_judged_by_their_status() -> None:
    policy = RetryPolicy()
    assert policy.should_retry(RateLimitError("x", status_code=429), 0)
    assert policy.should_retry(InternalServerError("x", status_code=502), 0)
    assert not policy.should_retry(BadRequestError("x", status_code=400), 0)


def test_retry_after_within_the_cap_is_retried() -> None:
    assert RetryPolicy().should_retry(_status(429, retry_after=60.0), 0)
    assert RetryPolicy().should_retry(_status(503, retry_after=0.0), 0)


def test_retry_after_above_the_cap_is_not_retried() -> None:
    assert not RetryPolicy().should_retry(_status(429, retry_after=60.5), 0)
    assert not RetryPolicy().should_retry(_status(503, retry_after=3600.0), 0)


def test_retry_after_cap_is_configurable() -> None:
    assert RetryPolicy(max_retry_after=5.0).should_retry(_status(429, retry_after=5.0), 0)
    assert not RetryPolicy(max_retry_after=5.0).should_retry(_status(429, retry_after=6.0), 0)


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError("refused"),
        APITimeoutError("read timed out"),
        IncompleteStreamError("cut short"),
    ],
)
def test_connection_timeout_and_incomplete_stream_are_retried(error: DarkAIError) -> None:
    assert RetryPolicy().should_retry(error, 0)


@pytest.mark.parametrize(
    "error",
    [
        ProtocolError("bad line", line="data: {"),
        ServerEventError("server said no"),
        StreamIntegrityError("mismatch", final_message="x"),
        DarkAIError("something else"),
    ],
)
def test_protocol_and_server_event_errors_are_not_retried(error: DarkAIError) -> None:
    assert not RetryPolicy().should_retry(error, 0)


def test_attempts_up_to_max_retries_are_retried() -> None:
    policy = RetryPolicy(max_retries=2)
    error = APIConnectionError("refused")
    assert policy.should_retry(error, 0) is True
    assert policy.should_retry(error, 1) is True
    assert policy.should_retry(error, 2) is False
    assert policy.should_retry(error, 3) is False
    assert policy.should_retry(_status(400), 0) is False
    assert policy.should_retry(_status(503), 0) is True


def test_zero_max_retries_never_retries() -> None:
    policy = RetryPolicy(max_retries=0)
    assert not policy.should_retry(APIConnectionError("refused"), 0)
    assert not policy.should_retry(_status(503), 0)


# --- delay -----------------------------------------------------------------------------------


def test_first_delay_is_half_a_second_without_jitter() -> None:
    assert RetryPolicy().delay(0, rng=lambda: 0.0) == 0.5


def test_delay_doubles_each_attempt() -> None:
    policy = RetryPolicy(max_retries=10)
    delays = [policy.delay(n, rng=lambda: 0.0) for n in range(5)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_delay_is_capped_at_eight_seconds() -> None:
    policy = RetryPolicy(max_retries=100)
    assert policy.delay(5, rng=lambda: 0.0) == 8.0
    assert policy.delay(50, rng=lambda: 0.0) == 8.0


def test_delay_for_a_huge_attempt_number_does_not_overflow() -> None:
    assert RetryPolicy(max_retries=10_000).delay(5_000, rng=lambda: 0.0) == 8.0


def test_jitter_shortens_the_delay_by_at_most_a_quarter() -> None:
    policy = RetryPolicy()
    assert policy.delay(1, rng=lambda: 1.0) == pytest.approx(0.75)
    assert policy.delay(1, rng=lambda: 0.5) == pytest.approx(0.875)


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0.0, max_value=1.0))
def test_delay_stays_within_jitter_bounds(attempt: int, r: float) -> None:
    base = min(0.5 * 2**attempt, 8.0)
    delay = RetryPolicy().delay(attempt, rng=lambda: r)
    assert 0.75 * base <= delay <= base


def test_default_jitter_uses_randomness() -> None:
    policy = RetryPolicy()
    delays = {policy.delay(3) for _ in range(50)}
    assert len(delays) > 1
    assert all(3.0 <= d <= 4.0 for d in delays)


def test_retry_after_of_exactly_the_cap_is_used_as_the_delay() -> None:
    assert RetryPolicy().delay(0, retry_after=60.0, rng=lambda: 0.0) == 60.0
    assert RetryPolicy().delay(0, retry_after=0.0, rng=lambda: 0.0) == 0.0


def test_retry_after_is_used_as_the_delay() -> None:
    assert RetryPolicy().delay(0, retry_after=12.5, rng=lambda: 0.9) == 12.5
    assert RetryPolicy().delay(1, retry_after=0.0, rng=lambda: 0.9) == 0.0


def test_retry_after_above_the_cap_falls_back_to_backoff() -> None:
    assert RetryPolicy().delay(0, retry_after=120.0, rng=lambda: 0.0) == 0.5


def test_negative_retry_after_falls_back_to_backoff() -> None:
    assert RetryPolicy().delay(2, retry_after=-1.0, rng=lambda: 0.0) == 2.0
