"""Memory caps and connection release, over real sockets on 127.0.0.1."""

from __future__ import annotations

import gc
import time

import pytest
from rawservers import HandlerServer, endless, huge_body, open_fds, pool_stats

from darkai_sdk import APIStatusError, AsyncDarkAI, ProtocolError
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import FAST, TEXT, MiB, settle

pytestmark = pytest.mark.timeout(60)


# -- memory caps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "piece"),
    [
        (b"data: ", b"x" * 65536),
        (b": ", b"x" * 65536),
        (b"", b"x" * 65536),
        (b"", b"data: " + b"x" * 4000 + b"\n"),
    ],
    ids=["data-line", "comment-line", "fieldless-line", "endless-event"],
)
async def test_line_or_event_beyond_max_line_size_ends_in_protocol_error(
    prefix: bytes, piece: bytes
) -> None:
    with HandlerServer(endless(prefix, piece)) as endless_server:
        started = time.monotonic()
        async with AsyncDarkAI(
            endless_server.url(), max_retries=2, timeout=FAST, max_line_size=MiB
        ) as c:
            with pytest.raises(ProtocolError, match="longer than 1048576"):
                await c.complete("hi")
        assert time.monotonic() - started < 5
        # The client stopped reading soon after the cap: the server could not go on.
        assert endless_server.sent < 64 * MiB
        assert len(endless_server.seen) == 1  # a protocol error is not retried


@pytest.mark.parametrize(
    ("status", "content_type", "chunked"),
    [
        (500, "text/html", False),
        (500, "text/html", True),
        (403, "application/json", False),
    ],
    ids=["500-length", "500-chunked", "403-json"],
)
async def test_a_fifty_mib_error_body_is_capped_and_returns_quickly(
    status: int, content_type: str, chunked: bool
) -> None:
    handler = huge_body(status, 50 * MiB, content_type=content_type, chunked=chunked)
    with HandlerServer(handler) as big:
        started = time.monotonic()
        async with AsyncDarkAI(big.url(), max_retries=0, timeout=FAST) as c:
            with pytest.raises(APIStatusError) as info:
                await c.complete("hi")
        assert time.monotonic() - started < 2
        assert info.value.status_code == status
        assert 0 < len(info.value.body.encode("utf-8")) <= 64 * 1024
        assert len(str(info.value)) < 1024
        assert big.sent < 50 * MiB  # the client hung up instead of reading it all


async def test_a_fifty_mib_non_stream_2xx_body_is_a_quick_protocol_error() -> None:
    with HandlerServer(huge_body(200, 50 * MiB, content_type="application/json")) as big:
        started = time.monotonic()
        async with AsyncDarkAI(big.url(), max_retries=0, timeout=FAST) as c:
            with pytest.raises(ProtocolError, match="expected an event stream") as info:
                await c.complete("hi")
        assert time.monotonic() - started < 2
        assert len(str(info.value)) < 1024
        assert big.sent < 50 * MiB


# -- giving connections back -----------------------------------------------------------


SLOW = Reply(text=TEXT * 40, chunk_size=2, delay=0.01)


async def test_dropping_an_unclosed_stream_releases_the_connection(
    server: DarkAIServer,
) -> None:
    server.reply(SLOW)
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:
        stream = c.stream("hi")
        iterator = stream.__aiter__()
        assert await iterator.__anext__() == TEXT[:2]
        assert server.active_streams == 1
        assert pool_stats(c)[1] == 1
        del stream, iterator
        gc.collect()
        assert await settle(lambda: server.active_streams == 0)
        assert await settle(lambda: pool_stats(c)[1] == 0)


async def test_dropping_a_stream_releases_it_without_the_cycle_collector(
    server: DarkAIServer,
) -> None:
    # No reference cycle: the iterator is finalized when its last reference goes.
    server.reply(SLOW)
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:
        gc.disable()
        try:
            stream = c.stream("hi")
            async for _ in stream:
                break
            del stream
            assert await settle(lambda: server.active_streams == 0)
            assert await settle(lambda: pool_stats(c)[1] == 0)
        finally:
            gc.enable()


async def test_exception_in_a_loop_without_with_releases_the_connection(
    server: DarkAIServer,
) -> None:
    server.reply(SLOW)
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:
        with pytest.raises(KeyError):
            async for _ in c.stream("hi"):
                raise KeyError("caller bug")
        gc.collect()
        assert await settle(lambda: server.active_streams == 0)
        assert await settle(lambda: pool_stats(c)[1] == 0)


async def test_the_client_still_works_after_a_dropped_stream(server: DarkAIServer) -> None:
    server.reply(SLOW)
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:
        async for _ in c.stream("one"):
            break
        gc.collect()
        server.reply(Reply(text=TEXT))
        assert await c.complete("two") == TEXT


async def _early_break(client: AsyncDarkAI, i: int) -> None:
    """End a request after its first chunk, the three ways a caller does it."""
    way = i % 3
    if way == 0:  # break inside `with`
        async with client.stream("hi") as stream:
            async for _ in stream:
                break
    elif way == 1:  # an exception in the caller's loop
        try:
            async with client.stream("hi") as stream:
                async for _ in stream:
                    raise LookupError
        except LookupError:
            pass
    else:  # break without `with`: the stream is dropped unclosed
        async for _ in client.stream("hi"):
            break


@pytest.mark.timeout(90)
async def test_ten_thousand_early_breaks_leave_no_fd_or_connection_behind(
    server: DarkAIServer,
) -> None:
    # The pause keeps the reply unfinished when the caller leaves: a connection that has
    # read its whole body would go back to the pool whatever the client did.
    server.reply(Reply(text="abcdefgh", chunk_size=2, delay=1))
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:
        for i in range(30):  # warm up: the session, its pool, the server's sockets
            await _early_break(c, i)
        gc.collect()
        await settle(lambda: pool_stats(c)[1] == 0)
        fds_before, (idle_before, _) = open_fds(), pool_stats(c)
        for i in range(10_000):
            await _early_break(c, i)
        gc.collect()
        assert await settle(lambda: pool_stats(c)[1] == 0), pool_stats(c)
        assert pool_stats(c)[0] <= max(idle_before, 1)
        assert await settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)
        assert await settle(lambda: server.active_streams == 0)
