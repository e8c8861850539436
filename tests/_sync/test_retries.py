# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_retries.py;
# edit that file and run `python tools/unasync.py`.
"""Retries and timeouts, over real sockets on 127.0.0.1."""

from __future__ import annotations

import email.utils
import logging
import time

import pytest
from rawservers import ClosingListener, FullBacklog, Trickle

from darkai_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DarkAI,
    DarkAIError,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    RateLimitError,
    ServerEventError,
    Timeout,
)
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import FAST, TEXT

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything logger "darkai_sdk" says."""
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    return caplog


def _retries(log: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in log.records if r.name == "darkai_sdk" and r.msg.startswith("retry ")]


def _delays(log: pytest.LogCaptureFixture) -> list[float]:
    """The wait before each retry, as logged."""
    return [float(_args(record)[2]) for record in _retries(log)]


def _args(record: logging.LogRecord) -> tuple[float, ...]:
    assert isinstance(record.args, tuple)
    return tuple(float(value) for value in record.args if isinstance(value, (int, float)))


# -- what is retried ---------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_status_is_retried_then_succeeds(server: DarkAIServer, status: int) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(1, status=status, retry_after=0)
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        with c.stream("hi") as stream:
            assert stream.until_done() == TEXT
        assert stream.retries == 1
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 422])
def test_other_statuses_are_not_retried(server: DarkAIServer, status: int) -> None:
    server.fail_next(1, status=status, retry_after=0)
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        with pytest.raises(APIStatusError) as info:
            c.complete("hi")
    assert info.value.status_code == status
    assert len(server.requests) == 1


def test_connection_errors_are_retried_up_to_max_retries_with_backoff(
    log: pytest.LogCaptureFixture,
) -> None:
    with ClosingListener() as listener:
        started = time.monotonic()
        with DarkAI(listener.url(), max_retries=2, timeout=FAST) as c:
            with pytest.raises(APIConnectionError) as info:
                c.complete("hi")
        elapsed = time.monotonic() - started
        assert listener.accepted == 3
    assert not isinstance(info.value, APITimeoutError)
    first, second = _delays(log)
    assert 0.375 <= first <= 0.5  # 0.5 s less up to a quarter of jitter
    assert 0.75 <= second <= 1.0  # doubled
    assert first + second <= elapsed < first + second + 2.0


def test_backoff_without_retry_after_starts_at_half_a_second_and_doubles(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(2, status=500)
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        assert c.complete("hi") == TEXT
    elapsed = time.monotonic() - started
    first, second = _delays(log)
    assert 0.375 <= first <= 0.5
    assert 0.75 <= second <= 1.0
    assert first + second <= elapsed < first + second + 2.0


def test_retry_after_seconds_is_waited(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(1, status=503, retry_after=1)
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        assert c.complete("hi") == TEXT
    elapsed = time.monotonic() - started
    assert _delays(log) == [1.0]
    assert 1.0 <= elapsed < 3.0


def test_retry_after_http_date_is_waited(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(
        1, status=429, retry_after=email.utils.formatdate(time.time() + 2, usegmt=True)
    )
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        assert c.complete("hi") == TEXT
    elapsed = time.monotonic() - started
    (delay,) = _delays(log)
    assert 0.9 <= delay <= 2.1  # the date has whole seconds
    assert delay - 0.05 <= elapsed < delay + 2.0


def test_retry_after_ms_is_waited(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(1, status=503, headers={"retry-after-ms": "300"})
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        assert c.complete("hi") == TEXT
    assert _delays(log) == [0.3]
    assert 0.3 <= time.monotonic() - started < 2.3


def test_retry_after_date_beyond_sixty_seconds_raises_at_once_with_the_wait(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.fail_next(
        1, status=429, retry_after=email.utils.formatdate(time.time() + 300, usegmt=True)
    )
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        with pytest.raises(RateLimitError) as info:
            c.complete("hi")
    assert time.monotonic() - started < 2
    assert info.value.retry_after is not None and 290 < info.value.retry_after <= 300
    assert "retry after" in str(info.value)
    assert len(server.requests) == 1
    assert len(_retries(log)) == 0


def test_max_retries_zero_turns_retries_off(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.fail_next(1, status=503, retry_after=0)
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        with pytest.raises(InternalServerError):
            c.complete("hi")
    assert len(server.requests) == 1
    assert len(_retries(log)) == 0


def test_each_retry_is_logged_at_info_with_reason_and_delay(
    server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(1, status=503, retry_after=0)
    server.fail_next(1, status=429, retry_after=0)
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        assert c.complete("hi") == TEXT
    records = _retries(log)
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert [r.name for r in records] == ["darkai_sdk", "darkai_sdk"]
    first, second = (r.getMessage() for r in records)
    assert first.startswith("retry 1 of 2 in 0.00 s") and "HTTP 429" in first
    assert second.startswith("retry 2 of 2 in 0.00 s") and "HTTP 503" in second


def test_retries_give_up_with_the_last_error(server: DarkAIServer) -> None:
    server.fail_next(5, status=502, retry_after=0)
    with DarkAI(server.url, max_retries=3, timeout=FAST) as c:
        with pytest.raises(InternalServerError) as info:
            c.complete("hi")
    assert info.value.status_code == 502
    assert info.value.partial_text == ""
    assert len(server.requests) == 4


def test_timeout_before_the_reply_begins_is_retried(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.enqueue(Reply(text=TEXT, headers_delay=5))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=1, timeout=Timeout(read=0.3, total=10)) as c:
        with c.stream("hi") as stream:
            assert stream.until_done() == TEXT
        assert stream.retries == 1
    assert time.monotonic() - started < 3
    assert len(server.requests) == 2


def test_silence_after_headers_before_any_text_is_retried(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.enqueue(Reply(text=TEXT, stall_after=0))
    with DarkAI(server.url, max_retries=1, timeout=Timeout(read=0.3, total=10)) as c:
        assert c.complete("hi") == TEXT
    assert len(server.requests) == 2


def test_timeout_after_text_arrived_is_not_retried(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, stall_after=2))
    with DarkAI(server.url, max_retries=2, timeout=Timeout(read=0.3, total=10)) as c:
        with pytest.raises(APITimeoutError) as info:
            c.complete("hi")
    assert info.value.partial_text == TEXT[:10]
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            Reply(text=TEXT, chunk_size=5, truncate_after=1),
            IncompleteStreamError,
            "the reply ended before stream-end after 5 characters",
        ),
        (
            Reply(text=TEXT, chunk_size=5, error_after=1, error_message="model overloaded"),
            ServerEventError,
            "the server reported an error: model overloaded",
        ),
        (
            Reply(text=TEXT, chunk_size=5, malformed_after=1),
            ProtocolError,
            "malformed DarkAI event",
        ),
    ],
    ids=["truncated", "error-event", "malformed"],
)
def test_errors_after_text_arrived_are_not_retried(
    server: DarkAIServer, reply: Reply, error: type[DarkAIError], message: str
) -> None:
    server.reply(reply)
    with DarkAI(server.url, max_retries=2, timeout=FAST) as c:
        with pytest.raises(DarkAIError) as info:
            c.complete("hi")
    assert type(info.value) is error
    assert str(info.value).startswith(message), str(info.value)
    assert info.value.partial_text == TEXT[:5]
    assert len(server.requests) == 1


# -- timeouts --------------------------------------------------------------------


def test_connect_timeout_raises_api_timeout_error_in_time() -> None:
    with FullBacklog() as backlog:
        started = time.monotonic()
        timeout = Timeout(connect=0.3, read=5, total=10)
        with DarkAI(backlog.url(), max_retries=0, timeout=timeout) as c:
            with pytest.raises(APITimeoutError):
                c.complete("hi")
    assert 0.25 <= time.monotonic() - started < 2


def test_connect_timeout_is_retried(log: pytest.LogCaptureFixture) -> None:
    with FullBacklog() as backlog:
        started = time.monotonic()
        timeout = Timeout(connect=0.3, read=5, total=10)
        with DarkAI(backlog.url(), max_retries=1, timeout=timeout) as c:
            with pytest.raises(APITimeoutError):
                c.complete("hi")
    (delay,) = _delays(log)
    assert 0.6 + delay - 0.1 <= time.monotonic() - started < 4


def test_no_headers_within_the_read_timeout_raises_api_timeout_error(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT, headers_delay=10))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=Timeout(read=0.3, total=20)) as c:
        with pytest.raises(APITimeoutError):
            c.complete("hi")
    assert 0.25 <= time.monotonic() - started < 2


def test_total_timeout_bounds_the_wait_for_headers(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, headers_delay=10))
    started = time.monotonic()
    timeout = Timeout(connect=5, read=10, total=0.5)
    with DarkAI(server.url, max_retries=0, timeout=timeout) as c:
        with pytest.raises(APITimeoutError):
            c.complete("hi")
    assert 0.45 <= time.monotonic() - started < 2.5


def test_read_timeout_on_a_stalled_stream_is_in_time(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, stall_after=1))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=Timeout(read=0.4, total=20)) as c:
        with pytest.raises(APITimeoutError) as info:
            c.complete("hi")
    assert 0.35 <= time.monotonic() - started < 2.5
    assert info.value.partial_text == TEXT[:5]


_STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
#: A byte every 50 ms for 600 bytes: 30 s, unless the 1 s total timeout ends it. The
#: bound on the wait lies far from both, so neither a loaded machine nor a total
#: timeout that does not hold can pass for the other.
_TRICKLE_BOUND = 8.0


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (_STREAM_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"1000\r\n: " + b"x" * 600),
        (_STREAM_HEAD + b"Connection: close\r\n\r\n", b": " + b"x" * 600),
    ],
    ids=["one-big-chunk", "no-length"],
)
def test_total_timeout_bounds_a_body_sent_a_byte_at_a_time(head: bytes, body: bytes) -> None:
    # Each byte comes well within the read timeout: only the total can end this.
    with Trickle(head, body, interval=0.05) as trickle:
        started = time.monotonic()
        timeout = Timeout(connect=2, read=1, total=1)
        with DarkAI(trickle.url(), max_retries=0, timeout=timeout) as c:
            with pytest.raises(APITimeoutError, match="total timeout of 1 s expired") as info:
                c.complete("hi")
        assert 0.95 <= time.monotonic() - started < _TRICKLE_BOUND
    assert info.value.partial_text == ""


def test_total_timeout_bounds_headers_sent_a_byte_at_a_time() -> None:
    head = b"HTTP/1.1 200 OK\r\n"
    body = b"X-Slow: " + b"x" * 600 + b"\r\nContent-Type: text/event-stream\r\n\r\n"
    with Trickle(head, body, interval=0.05) as trickle:
        started = time.monotonic()
        timeout = Timeout(connect=2, read=1, total=1)
        with DarkAI(trickle.url(), max_retries=0, timeout=timeout) as c:
            with pytest.raises(APITimeoutError, match="total timeout of 1 s expired"):
                c.complete("hi")
        assert 0.95 <= time.monotonic() - started < _TRICKLE_BOUND
