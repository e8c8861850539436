"""The client against the local server over real sockets: every fault mode's outcome."""

from __future__ import annotations

import time

import pytest

from darkai_sdk import (
    APIConnectionError,
    APITimeoutError,
    AsyncDarkAI,
    IncompleteStreamError,
    ProtocolError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
    Timeout,
)
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import TEXT

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text=TEXT, line_ending="\r\n"),
        Reply(text=TEXT, line_ending="\r"),
        Reply(text=TEXT, data_space=False),
        Reply(text=TEXT, comments=True),
        Reply(text=TEXT, multiline=True),
        Reply(text=TEXT, unknown_events=True),
        Reply(text=TEXT, gzip=True),
        Reply(text=TEXT, write_size=7, line_ending="\r\n"),
        Reply(text=TEXT, final_response=False),
    ],
    ids=["crlf", "cr", "no-space", "comments", "multiline", "unknown", "gzip", "split", "nofinal"],
)
async def test_every_valid_wire_variant_gives_the_full_text(
    client: AsyncDarkAI, server: DarkAIServer, reply: Reply
) -> None:
    server.reply(reply)
    assert await client.complete("hi") == TEXT


async def test_body_without_stream_end_raises_incomplete_with_partial_text(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, truncate_after=3))
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as info:
        async for chunk in client.stream("hi"):
            received.append(chunk)
    assert info.value.partial_text == TEXT[:15] == "".join(received)


async def test_socket_cut_mid_chunk_raises_incomplete_with_partial_text(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    with pytest.raises(IncompleteStreamError) as info:
        await client.complete("hi")
    assert info.value.partial_text == TEXT[:10]


async def test_malformed_data_line_raises_protocol_error_with_the_line(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, malformed_after=2))
    with pytest.raises(ProtocolError) as info:
        await client.complete("hi")
    assert info.value.partial_text == TEXT[:10]
    assert info.value.line is not None and "text-chunk" in info.value.line


async def test_server_error_event_raises_with_its_message(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, error_after=1, error_message="model exploded"))
    with pytest.raises(ServerEventError, match="model exploded") as info:
        await client.complete("hi")
    assert info.value.partial_text == TEXT[:5]


async def test_final_response_mismatch_warns_and_keeps_both(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, final_response="something else"))
    with pytest.warns(StreamIntegrityWarning):
        async with client.stream("hi") as stream:
            text = await stream.until_done()
    assert text == TEXT
    assert stream.final_message == "something else"


async def test_final_response_mismatch_raises_when_asked(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, final_response="something else"))
    async with AsyncDarkAI(server.url, on_mismatch="raise") as c:
        with pytest.raises(StreamIntegrityError) as info:
            await c.complete("hi")
    assert info.value.final_message == "something else"
    assert info.value.partial_text == TEXT


async def test_stall_ends_in_read_timeout_with_partial_text(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, stall_after=1))
    started = time.monotonic()
    async with AsyncDarkAI(server.url, timeout=Timeout(read=0.5, total=10)) as c:
        with pytest.raises(APITimeoutError) as info:
            await c.complete("hi")
    assert info.value.partial_text == TEXT[:5]
    assert time.monotonic() - started < 5


async def test_total_timeout_ends_a_trickling_stream(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=1, delay=0.05))
    started = time.monotonic()
    async with AsyncDarkAI(server.url, timeout=Timeout(read=5, total=0.6)) as c:
        with pytest.raises(APITimeoutError) as info:
            await c.complete("hi")
    assert 0 < len(info.value.partial_text) < len(TEXT)
    assert time.monotonic() - started < 5


async def test_connection_refused_is_a_connection_error() -> None:
    async with DarkAIServer() as server:
        url = server.url
    async with AsyncDarkAI(url, max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            await c.complete("hi")


async def test_malformed_event_before_a_stall_is_reported_at_once(server: DarkAIServer) -> None:
    server.reply(Reply(text="abcdef", chunk_size=2, malformed_after=2, stall_after=2))
    started = time.monotonic()
    async with AsyncDarkAI(server.url, max_retries=0, timeout=Timeout(read=5)) as c:
        with pytest.raises(ProtocolError) as info:
            await c.complete("hi")
    assert info.value.partial_text == "abcd"
    assert time.monotonic() - started < 2


async def test_until_done_after_an_error_raises_it_again(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    async with client.stream("hi") as stream:
        with pytest.raises(IncompleteStreamError):
            async for _ in stream:
                pass
        with pytest.raises(IncompleteStreamError) as info:
            await stream.until_done()
    assert info.value.partial_text == TEXT[:10]


async def test_until_done_after_an_early_break_reports_the_reply_incomplete(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5))
    async with client.stream("hi") as stream:
        async for _ in stream:
            break
        await stream.aclose()
        with pytest.raises(IncompleteStreamError, match="closed before stream-end") as info:
            await stream.until_done()
    assert info.value.partial_text == TEXT[:5]
