"""The gateway's lifecycle over raw HTTP: a caller that leaves, a gateway that stops."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from gatewayservers import Running, chunk_texts, running_gateway, sse_events
from rawservers import pool_stats
from test_gateway_http import BODY, TEXT, error_of, post

from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    async with DarkAIServer() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _wait_until(condition: Any, limit: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit + 5, "never happened"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.parametrize("handler_cancellation", [False, True])
@pytest.mark.parametrize("stream", [True, False])
async def test_a_caller_that_leaves_cancels_the_upstream_within_a_second(
    handler_cancellation: bool, stream: bool, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, stall_after=2))
    async with running_gateway(server.url, handler_cancellation=handler_cancellation) as gateway:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", int(gateway.base_url.split(":")[2].split("/")[0])
        )
        body = json.dumps({**BODY, "stream": stream}).encode()
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await _wait_until(lambda: server.active_streams == 1, 5)
        if stream:
            assert b"HTTP/1.1 200 OK" in await reader.read(4096)
        writer.close()
        await writer.wait_closed()
        left = await _wait_until(lambda: server.active_streams == 0, 1.0)
        assert left < 1.0
        assert pool_stats(gateway.client)[1] == 0  # no connection left in use


async def test_shutting_down_ends_streams_in_flight_with_an_error_event(
    server: DarkAIServer, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, stall_after=2))
    async with running_gateway(server.url) as gateway:
        async with session.post(gateway.chat_url, json=BODY) as response:
            first = await response.content.readuntil(b"\n\n")
            stopping = asyncio.create_task(gateway.runner.cleanup())
            rest = await response.read()
            await stopping
        after = await asyncio.wait_for(_refused(session, gateway), 5)
    events = sse_events(first + rest)
    assert chunk_texts(events[:-1]) == TEXT[:8]
    error = error_of(events[-1])
    assert error["code"] == "shutting_down" and "after 8 characters" in error["message"]
    assert b"[DONE]" not in rest
    assert after
    await _wait_until(lambda: server.active_streams == 0, 1.0)


async def test_shutting_down_answers_an_unstreamed_reply_in_flight_with_a_503(
    server: DarkAIServer, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, stall_after=2))
    async with running_gateway(server.url) as gateway:
        answer = asyncio.create_task(post(session, gateway, {**BODY, "stream": False}))
        await _wait_until(lambda: server.active_streams == 1, 5)
        await asyncio.sleep(0.1)  # the two chunks have reached the gateway
        await gateway.runner.cleanup()
        status, _, body = await answer
    assert status == 503
    error = error_of(body)
    assert error["code"] == "shutting_down" and "after 8 characters" in error["message"]
    await _wait_until(lambda: server.active_streams == 0, 1.0)


async def _refused(session: aiohttp.ClientSession, gateway: Running) -> bool:
    try:
        async with session.post(gateway.chat_url, json=BODY):
            return False
    except aiohttp.ClientConnectionError:
        return True
