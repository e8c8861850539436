"""The client against the local server over real sockets: requests, replies, settings."""

from __future__ import annotations

import time

import pytest

from darkai_sdk import (
    AsyncDarkAI,
    BadRequestError,
    StreamIntegrityError,
    StreamIntegrityWarning,
    Timeout,
    UnknownModelError,
)
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import TEXT, collect

pytestmark = pytest.mark.timeout(30)


async def test_complete_returns_the_default_echo_reply(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    text = await client.complete("ping", model="gpt-4o")
    assert "ping" in text
    assert "gpt-4o" in text
    assert server.requests[0].json == {"query": "ping", "model": "gpt-4o"}


async def test_stream_yields_every_chunk_in_order(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3))
    chunks = await collect(client)
    assert "".join(chunks) == TEXT
    assert len(chunks) == -(-len(TEXT) // 3)


async def test_stream_keeps_text_and_final_message(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT))
    async with client.stream("hi") as stream:
        async for _ in stream:
            pass
        assert stream.text == TEXT
        assert stream.final_message == TEXT
        assert stream.done


async def test_messages_are_formatted_into_one_prompt(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]
    await client.complete(messages)
    assert server.requests[0].json["query"] == "System: Be brief.\nUser: Hello\nAssistant:"


async def test_model_alias_and_default_reach_the_server(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    await client.complete("a", model="llama-3.1-405b")
    await client.complete("b")
    assert [r.json["model"] for r in server.requests] == ["llama-3-405b", "llama-3-70b"]


async def test_extra_body_and_headers_are_sent(server: DarkAIServer) -> None:
    async with AsyncDarkAI(server.url, headers={"User-Agent": "mine/1.0", "X-Trace": "t1"}) as c:
        await c.complete("hi", extra_body={"history": []})
    request = server.requests[0]
    assert request.json["history"] == []
    assert request.headers["user-agent"] == "mine/1.0"
    assert request.headers["x-trace"] == "t1"
    assert request.headers["accept"] == "text/event-stream"


async def test_unknown_model_raises_before_any_request(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    with pytest.raises(UnknownModelError):
        client.stream("hi", model="gpt-99")
    assert server.requests == []


async def test_unknown_model_is_sent_when_not_strict_and_server_refuses(
    server: DarkAIServer,
) -> None:
    async with AsyncDarkAI(server.url, strict_models=False, max_retries=0) as c:
        with pytest.raises(BadRequestError) as info:
            await c.complete("hi", model="gpt-99")
    assert info.value.status_code == 400
    assert "gpt-99" in info.value.body


async def test_bad_arguments_raise_at_the_call(client: AsyncDarkAI) -> None:
    with pytest.raises(ValueError):
        client.stream("   ")
    with pytest.raises(ValueError):
        client.stream([])
    with pytest.raises(TypeError):
        client.stream(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AsyncDarkAI("ftp://example.com/chat")


async def test_early_break_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT * 50, chunk_size=2, delay=0.01))
    async with client.stream("hi") as stream:
        async for _ in stream:
            break
    assert stream.text == TEXT[:2]
    deadline = time.monotonic() + 3
    while server.active_streams and time.monotonic() < deadline:
        await _pause()
    assert server.active_streams == 0


async def test_exception_in_the_callers_loop_releases_the_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT * 50, chunk_size=2, delay=0.01))
    with pytest.raises(KeyError):
        async with client.stream("hi") as stream:
            async for _ in stream:
                raise KeyError("caller bug")
    deadline = time.monotonic() + 3
    while server.active_streams and time.monotonic() < deadline:
        await _pause()
    assert server.active_streams == 0


async def test_client_properties_are_the_settings_in_force(server: DarkAIServer) -> None:
    timeout = Timeout(connect=3, read=4, total=5)
    async with AsyncDarkAI(
        server.url, timeout=timeout, max_retries=4, on_mismatch="raise", max_line_size=1000
    ) as c:
        assert c.base_url == server.url
        assert c.timeout == timeout
        assert c.max_retries == 4
        assert c.retry_policy.max_retries == 4
        assert c.on_mismatch == "raise"
        assert c.max_line_size == 1000
    async with AsyncDarkAI(server.url) as default:
        assert default.timeout == Timeout()
        assert (default.max_retries, default.on_mismatch) == (2, "warn")
        assert default.max_line_size == 16 * 1024 * 1024
        assert default.verify is True
        name = type(default).__name__
        assert repr(default) == f"<{name} base_url={server.url!r}, max_retries=2>"


async def test_client_is_reusable_after_close(server: DarkAIServer) -> None:
    c = AsyncDarkAI(server.url)
    assert "one" in await c.complete("one")
    await c.aclose()
    assert "two" in await c.complete("two")
    await c.aclose()


async def _pause() -> None:
    # A tiny wait that the generator turns into time.sleep for the sync twin.
    from darkai_sdk._transports._aiohttp import sleep

    await sleep(0.02)


async def test_keep_text_false_streams_everything_but_keeps_no_copy(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3))
    received = []
    async with client.stream("hi", keep_text=False) as stream:
        async for chunk in stream:
            received.append(chunk)
    assert "".join(received) == TEXT
    assert stream.text == ""
    assert stream.done and stream.final_message == TEXT


async def test_keep_text_false_still_detects_a_final_response_mismatch(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, final_response=TEXT[:-1] + "!"))
    with pytest.warns(StreamIntegrityWarning):
        async with client.stream("hi", keep_text=False) as stream:
            await stream.until_done()


@pytest.mark.parametrize("final", [TEXT + "!", TEXT[:-3]], ids=["longer", "shorter"])
async def test_keep_text_false_reports_a_final_response_of_another_length(
    server: DarkAIServer, final: str
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=7, final_response=final))
    message = (
        f"final-response ({len(final)} characters) differs from the "
        f"{len(TEXT)} characters of text-chunk events received"
    )
    async with AsyncDarkAI(server.url, max_retries=0, on_mismatch="raise") as c:
        received: list[str] = []
        with pytest.raises(StreamIntegrityError) as info:
            async with c.stream("hi", keep_text=False) as stream:
                async for chunk in stream:
                    received.append(chunk)
        assert "".join(received) == TEXT  # every chunk reached the caller first
        assert str(info.value) == message
        assert info.value.final_message == final
        assert info.value.partial_text == ""  # no copy kept: the caller has the text
        assert stream.text == "" and not stream.done
        async with AsyncDarkAI(server.url, max_retries=0) as warns:
            with pytest.warns(StreamIntegrityWarning) as warned:
                async with warns.stream("hi", keep_text=False) as stream:
                    await stream.until_done()
        assert [str(w.message) for w in warned] == [message]
        assert stream.done and stream.final_message == final


async def test_sequential_requests_reuse_one_connection(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    for prompt in ("one", "two", "three"):
        assert prompt in await client.complete(prompt)
    peers = {request.peer for request in server.requests}
    assert len(server.requests) == 3
    assert len(peers) == 1 and None not in peers


async def test_a_new_client_uses_a_new_connection(server: DarkAIServer) -> None:
    for prompt in ("one", "two"):
        async with AsyncDarkAI(server.url) as c:
            await c.complete(prompt)
    assert len({request.peer for request in server.requests}) == 2


async def test_chunks_reach_the_caller_as_they_arrive(
    client: AsyncDarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text="abcdef", chunk_size=1, delay=0.15))
    started = time.monotonic()
    arrivals = []
    async for _ in client.stream("hi"):
        arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 6
    # The first chunk comes long before the last: nothing waits for the whole body.
    assert arrivals[-1] - arrivals[0] >= 0.6
    assert arrivals[0] < arrivals[-1] / 2
