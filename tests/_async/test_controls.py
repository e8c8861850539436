"""Per-request controls, over real sockets: with_options, per-call settings, pool size,
the response's status and headers, metrics (issue 14, section 2; hooks: test_hooks.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from darkai_sdk import (
    APIStatusError,
    APITimeoutError,
    AsyncDarkAI,
    AuthenticationError,
    IncompleteStreamError,
    InternalServerError,
    StreamMetrics,
    Timeout,
)
from darkai_sdk._transports._aiohttp import sleep
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import FAST, TEXT, concurrently, peers

pytestmark = pytest.mark.timeout(60)

TOKEN = "sk-controls-0123456789"


# -- with_options -----------------------------------------------------------------------


async def test_with_options_overrides_the_settings_and_leaves_the_original_alone(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT))
    async with DarkAIServer(reply=Reply(text="other")) as other:
        async with AsyncDarkAI(
            server.url, timeout=FAST, max_retries=1, headers={"X-Team": "a", "X-Keep": "k"}
        ) as c:
            copy = c.with_options(
                timeout=Timeout(connect=1, read=2, total=3),
                max_retries=4,
                headers={"x-team": "b", "X-New": "n"},
                base_url=other.url,
            )
            assert (copy.base_url, copy.max_retries) == (other.url, 4)
            assert copy.timeout == Timeout(connect=1, read=2, total=3)
            assert (c.base_url, c.max_retries, c.timeout) == (server.url, 1, FAST)
            assert await copy.complete("hi") == "other"
            assert await c.complete("hi") == TEXT
        (sent_by_copy,) = other.requests
        (sent_by_original,) = server.requests
    assert sent_by_copy.headers.getall("X-Team") == ["b"]  # replaced, whatever its case
    assert (sent_by_copy.headers["X-Keep"], sent_by_copy.headers["X-New"]) == ("k", "n")
    assert sent_by_original.headers["X-Team"] == "a"
    assert "X-New" not in sent_by_original.headers


async def test_a_copy_shares_the_originals_connections(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        copy = c.with_options(max_retries=0)
        deeper = copy.with_options(headers={"X-Deeper": "1"})
        assert await c.complete("one") == TEXT
        assert await copy.complete("two") == TEXT
        assert await deeper.complete("three") == TEXT
    first, second, third = peers(server)
    assert first == second == third  # one pooled connection served all three clients


async def test_closing_a_copy_leaves_the_pool_open(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        async with c.with_options(max_retries=0) as copy:
            assert await copy.complete("one") == TEXT
        assert await c.complete("two") == TEXT
        assert await copy.complete("three") == TEXT  # closing it did nothing
    first, second, third = peers(server)
    assert first == second == third


async def test_closing_the_original_closes_the_pool_and_its_copies_refuse_to_run(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT))
    c = AsyncDarkAI(server.url, timeout=FAST)
    copy = c.with_options(max_retries=0)
    assert await copy.complete("one") == TEXT
    stream = copy.stream("made before the close")
    await c.aclose()
    with pytest.raises(RuntimeError, match=r"with_options\(\) from a client that has since been"):
        await copy.complete("two")
    with pytest.raises(RuntimeError, match="closed"):
        copy.with_options(max_retries=1)
    with pytest.raises(RuntimeError, match="closed"):
        async for _ in stream:
            pass
    assert len(server.requests) == 1  # nothing was sent after the close
    # The original itself stays usable (as before), and so do copies made from now on.
    assert await c.complete("three") == TEXT
    assert await c.with_options(max_retries=1).complete("four") == TEXT
    await c.aclose()
    first, second, third = peers(server)
    assert second == third and first != second  # the old connection was closed


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"max_retries": -1}, ValueError, "max_retries must be an integer >= 0"),
        ({"max_retries": True}, ValueError, "max_retries"),
        ({"timeout": "10"}, TypeError, "timeout must be a Timeout"),
        ({"timeout": -1}, ValueError, "must be positive"),
        ({"headers": {"X-A": 1}}, TypeError, "names and values must be strings"),
        ({"headers": ["X-A"]}, TypeError, "headers must be a mapping"),
        ({"headers": {"X-A": "a\r\nX-B: b"}}, ValueError, "line breaks"),
        ({"base_url": "ftp://example.com/chat"}, ValueError, "http:// or https://"),
        ({"base_url": 42}, TypeError, "base_url must be a string"),
        ({"on_request": "log"}, TypeError, "on_request must be a callable"),
        ({"on_response": 1}, TypeError, "on_response must be a callable"),
    ],
)
async def test_with_options_checks_every_argument_at_the_call(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    async with AsyncDarkAI("http://127.0.0.1:9/chat") as c:
        with pytest.raises(error, match=message):
            c.with_options(**arguments)


# -- per-call settings --------------------------------------------------------------------


async def test_a_per_call_timeout_holds_for_that_call_only(server: DarkAIServer) -> None:
    # A slow reply: its events 0.6 s apart (a 0.2 s read timeout notices the silence).
    server.reply(Reply(text=TEXT[:8], chunk_size=4, delay=0.6))
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            await c.complete("hi", timeout=Timeout(connect=5, read=0.2, total=10))
        assert time.monotonic() - started < 3
        assert info.value.partial_text == TEXT[:4]
        assert await c.complete("hi") == TEXT[:8]  # the client's 5 s read timeout


async def test_a_per_call_total_timeout_as_a_number(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, delay=0.25))
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        stream = c.stream("hi", timeout=1)
        with pytest.raises(APITimeoutError, match="total timeout of 1 s"):
            async for _ in stream:
                pass
        assert 0 < len(stream.text) < len(TEXT)


async def test_per_call_max_retries_replace_the_clients(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        server.fail_next(2, status=503, retry_after=0)
        async with c.stream("hi", max_retries=2) as stream:
            assert await stream.until_done() == TEXT
        assert stream.retries == 2
        server.fail_next(1, status=503, retry_after=0)
        with pytest.raises(InternalServerError):
            await c.complete("hi")  # back to the client's 0
    assert len(server.requests) == 4


async def test_per_call_extra_headers_go_on_top_of_the_clients(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    async with AsyncDarkAI(server.url, timeout=FAST, headers={"X-A": "1", "X-B": "2"}) as c:
        assert await c.complete("hi", extra_headers={"x-b": "3", "X-C": "4"}) == TEXT
        assert await c.complete("hi") == TEXT
    with_extra, without = server.requests
    assert with_extra.headers.getall("X-B") == ["3"]
    assert (with_extra.headers["X-A"], with_extra.headers["X-C"]) == ("1", "4")
    assert without.headers["X-B"] == "2" and "X-C" not in without.headers


async def test_a_credential_in_extra_headers_is_masked_like_the_clients(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(status=401, echo_header="Authorization"))
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.complete("hi", extra_headers={"Authorization": f"Bearer {TOKEN}"})
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(info.value) and TOKEN not in info.value.body
    assert "****" in info.value.body


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"timeout": -1}, ValueError, "must be positive"),
        ({"timeout": [1]}, TypeError, "timeout must be a Timeout"),
        ({"max_retries": -2}, ValueError, "max_retries must be an integer >= 0"),
        ({"max_retries": 1.5}, ValueError, "max_retries"),
        ({"extra_headers": {"X-A": None}}, TypeError, "names and values must be strings"),
        ({"extra_headers": "X-A: 1"}, TypeError, "headers must be a mapping"),
    ],
)
@pytest.mark.parametrize("call", ["stream", "complete"])
async def test_per_call_settings_are_checked_before_anything_is_sent(
    server: DarkAIServer, call: str, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        with pytest.raises(error, match=message):
            if call == "stream":
                c.stream("hi", **arguments)
            else:
                await c.complete("hi", **arguments)
    assert server.requests == []


async def test_complete_keeps_the_text_it_returns(server: DarkAIServer) -> None:
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        with pytest.raises(ValueError, match="keep_text=False is for stream"):
            await c.complete("hi", keep_text=False)
        with pytest.raises(TypeError, match="keep_text must be True or False"):
            c.stream("hi", keep_text=None)  # type: ignore[arg-type]
    assert server.requests == []


# -- pool size ----------------------------------------------------------------------------


async def test_max_connections_caps_the_connections_open_at_once(server: DarkAIServer) -> None:
    # Each reply takes 0.6 s (7 events 0.1 s apart): six at once over two connections
    # take three rounds.
    server.reply(Reply(text=TEXT[:20], chunk_size=4, delay=0.1))
    async with AsyncDarkAI(server.url, timeout=FAST, max_connections=2) as c:
        started = time.monotonic()
        texts = await concurrently(*[lambda: c.complete("hi")] * 6)
        elapsed = time.monotonic() - started
    assert texts == [TEXT[:20]] * 6
    assert len(set(peers(server))) <= 2
    assert elapsed >= 3 * 0.6 - 0.05  # never more than two replies at once


async def test_waiting_for_a_connection_is_bounded_by_the_total_timeout(
    server: DarkAIServer,
) -> None:
    server.enqueue(Reply(text=TEXT, chunk_size=4, stall_after=1))
    async with AsyncDarkAI(server.url, max_connections=1, max_retries=0) as c:
        async with c.stream("holds the only connection") as holding:
            assert await holding.__aiter__().__anext__() == TEXT[:4]
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="total timeout of 1 s"):
                await c.complete("waits", timeout=Timeout(connect=5, read=5, total=1))
            assert time.monotonic() - started < 4
    assert len(server.requests) == 1  # the second never got a connection


@pytest.mark.parametrize("value", [0, -1, True, 2.5, "8"])
async def test_max_connections_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(ValueError, match="max_connections must be an integer >= 1"):
        AsyncDarkAI("http://127.0.0.1:9/chat", max_connections=value)


# -- the response, visible ------------------------------------------------------------------


async def test_the_stream_shows_the_status_headers_and_request_id_once_the_reply_began(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT, headers={"X-Request-ID": "req-123", "X-Other": "o"}))
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        async with c.stream("hi") as stream:
            assert (stream.status_code, stream.request_id, dict(stream.headers)) == (None, None, {})
            async for _ in stream:
                break
            assert stream.status_code == 200
            assert stream.request_id == "req-123"
            assert stream.headers["x-request-id"] == stream.headers["X-Request-Id"] == "req-123"
            assert stream.headers.get("X-OTHER") == "o"
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert await stream.until_done() == TEXT


async def test_request_id_is_none_without_the_header(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        async with c.stream("hi") as stream:
            await stream.until_done()
    assert stream.status_code == 200 and stream.request_id is None


async def test_status_errors_carry_headers_and_request_id(server: DarkAIServer) -> None:
    server.fail_next(1, status=500, headers={"X-Request-ID": "err-9"})
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        with pytest.raises(InternalServerError) as info:
            await c.complete("hi")
    assert info.value.request_id == "err-9"
    assert info.value.headers["X-REQUEST-ID"] == "err-9"
    assert info.value.headers["content-type"] == "application/json"


async def test_a_redirect_not_followed_carries_its_answers_headers(server: DarkAIServer) -> None:
    server.reply(
        Reply(redirect="http://elsewhere.invalid/chat", headers={"X-Request-ID": "moved-1"})
    )
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        with pytest.raises(APIStatusError, match="not followed") as info:
            await c.complete("hi")
    assert (info.value.status_code, info.value.request_id) == (307, "moved-1")
    assert info.value.headers["Location"] == "http://elsewhere.invalid/chat"


async def test_headers_shown_have_known_secrets_masked(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, headers={"X-Echo": f"you sent {TOKEN}"}))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with AsyncDarkAI(server.url, timeout=FAST, headers=headers) as c:
        async with c.stream("hi") as stream:
            await stream.until_done()
    assert stream.headers["x-echo"] == "you sent ****"


# -- metrics ------------------------------------------------------------------------------


async def test_metrics_fill_in_as_the_reply_arrives(server: DarkAIServer) -> None:
    # The first chunk at once, the other four 0.2 s apart, then final-response and stream-end.
    server.reply(Reply(text=TEXT[:20], chunk_size=4, delay=0.2))
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        stream = c.stream("hi")
        assert stream.metrics == StreamMetrics(None, 0.0, 0, 0, 0, 0.0)
        async with stream:
            iterator = stream.__aiter__()
            assert await iterator.__anext__() == TEXT[:4]
            early = stream.metrics
            assert await stream.until_done() == TEXT[:20]
        done = stream.metrics
        await sleep(0.1)
        assert stream.metrics.elapsed == done.elapsed  # the clock stopped at the end
    assert (early.chars, early.events, early.retries) == (4, 1, 0)
    assert early.time_to_first_text is not None and early.time_to_first_text < 0.5
    assert (done.chars, done.events, done.retries) == (20, 7, 0)  # 5 chunks + 2 events
    assert done.time_to_first_text == early.time_to_first_text
    assert 0.75 < done.elapsed < 5
    assert done.chars_per_second == pytest.approx(20 / done.elapsed)


async def test_metrics_count_retries_and_the_wait_before_the_first_text(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(1, status=429, retry_after=1)
    async with AsyncDarkAI(server.url, timeout=FAST) as c:
        async with c.stream("hi") as stream:
            await stream.until_done()
    metrics = stream.metrics
    assert metrics.retries == 1
    assert metrics.time_to_first_text is not None and metrics.time_to_first_text >= 0.99
    assert metrics.chars == len(TEXT)


async def test_metrics_of_a_reply_cut_short(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, cut_after=2))
    async with AsyncDarkAI(server.url, timeout=FAST, max_retries=0) as c:
        async with c.stream("hi") as stream:
            with pytest.raises(IncompleteStreamError) as info:
                await stream.until_done()
    assert info.value.partial_text == TEXT[:8]
    assert (stream.metrics.chars, stream.metrics.events) == (8, 2)


# -- constructor checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"transport": object()}, TypeError, "transport must have a callable"),
        ({"on_request": 3}, TypeError, "on_request must be a callable"),
        ({"proxy": "http://127.0.0.1:3128", "session": "s"}, ValueError, "proxy cannot be"),
        ({"verify": False, "session": "s"}, ValueError, "verify cannot be combined"),
        ({"max_connections": 4, "session": "s"}, ValueError, "max_connections cannot be"),
        ({"session": "s", "transport": "t"}, ValueError, "session= or transport=, not both"),
    ],
)
async def test_the_new_constructor_arguments_are_checked(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        AsyncDarkAI("http://127.0.0.1:9/chat", **arguments)
