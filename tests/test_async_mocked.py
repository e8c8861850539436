"""The async client against ``aioresponses`` mocks: request shape and error mapping."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aioresponses import aioresponses

from darkai_sdk import (
    APIConnectionError,
    AsyncDarkAI,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
)

pytestmark = pytest.mark.timeout(30)

URL = "https://darkai.test/chat"


def sse(*texts: str, end: bool = True) -> str:
    events = [{"event": "text-chunk", "data": {"text": t}} for t in texts]
    if end:
        events.append({"event": "stream-end"})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events)


async def test_stream_posts_query_and_model_and_yields_text() -> None:
    with aioresponses() as mock:
        mock.post(URL, body=sse("Hel", "lo"), content_type="text/event-stream")
        async with AsyncDarkAI(URL) as client:
            chunks = [c async for c in client.stream("hi", model="llama-3.1-70b")]
        assert chunks == ["Hel", "lo"]
        ((_, calls),) = mock.requests.items()
        assert json.loads(calls[0].kwargs["data"]) == {"query": "hi", "model": "llama-3-70b"}
        assert calls[0].kwargs["headers"]["accept"] == "text/event-stream"


async def test_unprocessable_is_bad_request() -> None:
    with aioresponses() as mock:
        mock.post(URL, status=422, payload={"detail": "query too long"})
        async with AsyncDarkAI(URL, max_retries=0) as client:
            with pytest.raises(BadRequestError, match="query too long") as info:
                await client.complete("hi")
    assert info.value.status_code == 422


async def test_server_error_is_retried_then_succeeds() -> None:
    with aioresponses() as mock:
        mock.post(URL, status=500, body="boom", headers={"Retry-After": "0"})
        mock.post(URL, body=sse("ok"), content_type="text/event-stream")
        async with AsyncDarkAI(URL, max_retries=1) as client:
            assert await client.complete("hi") == "ok"


async def test_server_error_after_last_retry_is_raised() -> None:
    with aioresponses() as mock:
        mock.post(URL, status=503, body="down", headers={"Retry-After": "0"}, repeat=True)
        async with AsyncDarkAI(URL, max_retries=1) as client:
            with pytest.raises(InternalServerError) as info:
                await client.complete("hi")
    assert info.value.status_code == 503


async def test_client_connection_error_is_api_connection_error() -> None:
    with aioresponses() as mock:
        mock.post(URL, exception=aiohttp.ClientConnectionError("refused"))
        async with AsyncDarkAI(URL, max_retries=0) as client:
            with pytest.raises(APIConnectionError, match="refused"):
                await client.complete("hi")


async def test_body_ending_early_keeps_partial_text() -> None:
    with aioresponses() as mock:
        mock.post(URL, body=sse("par", "tial", end=False), content_type="text/event-stream")
        async with AsyncDarkAI(URL, max_retries=0) as client:
            with pytest.raises(IncompleteStreamError) as info:
                await client.complete("hi")
    assert info.value.partial_text == "partial"


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ClientOSError(104, "reset by peer after s3cret-token"),
        aiohttp.ServerDisconnectedError("gone after s3cret-token"),
        OSError(5, "I/O error after s3cret-token"),
    ],
    ids=["client-os-error", "server-disconnected", "os-error"],
)
async def test_a_transport_error_mid_body_keeps_partial_text_and_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    # What a socket cannot be made to raise on cue: aiohttp's own errors, or the OS's,
    # from a read after the first body bytes arrived.
    real = aiohttp.StreamReader.readany
    reads = 0

    async def readany(self: aiohttp.StreamReader) -> bytes:
        nonlocal reads
        reads += 1
        if reads > 1:
            raise error
        return await real(self)

    monkeypatch.setattr(aiohttp.StreamReader, "readany", readany)
    headers = {"Authorization": "Bearer s3cret-token"}
    with aioresponses() as mock:
        mock.post(URL, body=sse("par", "tial", end=False), content_type="text/event-stream")
        async with AsyncDarkAI(URL, max_retries=2, headers=headers) as client:
            with pytest.raises(IncompleteStreamError) as info:
                await client.complete("hi")
    message = str(info.value)
    assert message.startswith(f"connection broken mid-reply: {type(error).__name__}: ")
    assert "s3cret-token" not in message and "****" in message
    assert info.value.__cause__ is None  # its text held the secret
    assert info.value.partial_text == "partial"
    assert reads == 2  # text had arrived: not retried
