"""Async-only resource rules: a cancelled task gives its connection back, whenever it is cancelled.

What holds for both clients (early break, caller exceptions, garbage collection,
10,000 early breaks) is in tests/_async/test_reliability.py and its sync twin.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import AsyncIterator, Callable

import pytest
from rawservers import open_fds, pool_stats

from darkai_sdk import AsyncDarkAI, Timeout
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(60)

TEXT = "The quick brown fox jumps over the lazy dog. " * 20
FAST = Timeout(connect=5, read=5, total=30)


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    async with DarkAIServer(reply=Reply(text=TEXT, chunk_size=3, delay=0.01)) as running:
        yield running


@pytest.fixture
async def client(server: DarkAIServer) -> AsyncIterator[AsyncDarkAI]:
    async with AsyncDarkAI(server.url, max_retries=2, timeout=FAST) as c:
        yield c


async def _settle(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _released(client: AsyncDarkAI, server: DarkAIServer) -> bool:
    return await _settle(lambda: server.active_streams == 0 and pool_stats(client)[1] == 0)


async def test_cancelling_a_task_mid_stream_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    first_chunk = asyncio.Event()
    received: list[str] = []

    async def read() -> None:
        async with client.stream("hi") as stream:
            async for chunk in stream:
                received.append(chunk)
                first_chunk.set()

    task = asyncio.create_task(read())
    await asyncio.wait_for(first_chunk.wait(), 5)
    assert server.active_streams == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 0 < len(received) < len(TEXT) // 3
    assert await _released(client, server)


async def test_cancelling_complete_mid_reply_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    task = asyncio.create_task(client.complete("hi"))
    assert await _settle(lambda: server.active_streams == 1)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _released(client, server)


async def test_cancelling_a_stream_without_with_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    async def read() -> None:
        async for _ in client.stream("hi"):
            pass

    task = asyncio.create_task(read())
    assert await _settle(lambda: server.active_streams == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gc.collect()
    assert await _released(client, server)


async def test_cancelling_while_waiting_for_headers_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, headers_delay=30))
    fds = open_fds()
    task = asyncio.create_task(client.complete("hi"))
    assert await _settle(lambda: len(server.requests) == 1)
    assert pool_stats(client)[1] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _released(client, server)
    # The server's handler was waiting too; both ends of the socket are gone.
    assert await _settle(lambda: open_fds() <= fds)


async def test_cancelling_during_retry_backoff_sends_no_more_requests(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.fail_next(1, status=503, retry_after=1)
    task = asyncio.create_task(client.complete("hi"))
    assert await _settle(lambda: len(server.requests) == 1)
    await asyncio.sleep(0.1)
    assert pool_stats(client)[1] == 0  # the failed answer was given back before the wait
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(1.3)
    assert len(server.requests) == 1


async def test_timeout_around_a_stream_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    received: list[str] = []
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            async with client.stream("hi") as stream:
                async for chunk in stream:
                    received.append(chunk)
    assert received and stream.text == "".join(received)
    assert await _released(client, server)


async def test_cancelling_a_stalled_stream_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3, stall_after=1))
    task = asyncio.create_task(client.complete("hi"))
    assert await _settle(lambda: server.active_streams == 1)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _released(client, server)


async def test_two_thousand_cancellations_leave_no_fd_or_connection_behind(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3, delay=0.002))
    rng = random.Random(4)
    async with AsyncDarkAI(server.url, max_retries=0, timeout=FAST) as c:

        async def read() -> None:
            async with c.stream("hi") as stream:
                async for _ in stream:
                    pass

        await c.complete("warm up")
        fds_before, (idle_before, _) = open_fds(), pool_stats(c)
        cancelled = 0
        for _ in range(40):
            tasks = [asyncio.create_task(read()) for _ in range(50)]
            # Cancel each at a random moment: before connecting, awaiting headers, mid-reply.
            await asyncio.sleep(rng.random() * 0.02)
            for task in tasks:
                if rng.random() < 0.5:
                    await asyncio.sleep(0)
                task.cancel()
            for task in tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    cancelled += 1
        assert cancelled > 1900  # almost all were still running when cancelled
        assert await _released(c, server), pool_stats(c)
        assert pool_stats(c)[0] <= max(idle_before, 1)
        assert await _settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)
        # The client is still usable.
        server.reply(Reply(text="fine"))
        assert await c.complete("hi") == "fine"


def test_client_works_across_two_event_loops() -> None:
    from darkai_sdk import AsyncDarkAI
    from darkai_sdk.testing import DarkAIServer

    with DarkAIServer() as server:
        client = AsyncDarkAI(server.url)
        assert "one" in asyncio.run(client.complete("one"))
        # A second asyncio.run() has a new loop: the client makes a new session.
        assert "two" in asyncio.run(client.complete("two"))
        asyncio.run(client.aclose())
