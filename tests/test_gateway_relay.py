"""The gateway's relay on its own: batches, read-ahead for a slow caller, failures kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import pytest

from darkai_sdk import IncompleteStreamError
from darkai_sdk._gateway import _relay
from darkai_sdk._gateway._relay import BATCH, MAX_HELD, Relay

pytestmark = pytest.mark.timeout(30)


class FakeStream:
    """What the relay reads: the chunks given, then ``error`` or the end (``done``)."""

    def __init__(self, chunks: list[str], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.yielded = 0
        self.done = False
        self.closed = False

    async def __aenter__(self) -> FakeStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closed = True

    async def _iterate(self) -> AsyncIterator[str]:
        for chunk in self.chunks:
            self.yielded += 1
            yield chunk
        if self.error is not None:
            raise self.error
        self.done = True

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()


class FakeRequest:
    """A request whose caller is still connected."""

    class _Transport:
        def is_closing(self) -> bool:
            return False

    transport: Any = _Transport()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_first_chunk_comes_alone_then_what_arrived_comes_at_once() -> None:
    stream = FakeStream(["a", "b", "c", "d"])
    relay = Relay(stream, FakeRequest(), "")  # type: ignore[arg-type]
    assert await relay.take() == "a"  # at once: the caller sees the reply begin
    assert await relay.take() == "bcd"  # decoded without a pause: one batch
    assert await relay.take() is None
    assert relay.complete and relay.error is None and relay.relayed == 4
    await relay.close()
    assert stream.closed


async def test_reading_pauses_for_a_caller_that_does_not_take() -> None:
    piece = "x" * 1024
    chunks = [piece] * (4 * MAX_HELD // len(piece))
    stream = FakeStream(chunks)
    relay = Relay(stream, FakeRequest(), "")  # type: ignore[arg-type]
    await _settle()
    held = stream.yielded * len(piece)
    assert MAX_HELD <= held <= MAX_HELD + BATCH  # read ahead, then waiting
    taken = 0
    while (text := await relay.take()) is not None:
        taken += len(text)
    assert taken == len(chunks) * len(piece) and relay.complete
    await relay.close()


async def test_a_failure_after_text_is_kept_and_the_text_handed_over_first() -> None:
    error = IncompleteStreamError("cut")
    relay = Relay(FakeStream(["ab", "cd"], error), FakeRequest(), "")  # type: ignore[arg-type]
    assert await relay.take() == "ab"
    assert await relay.take() == "cd"
    assert await relay.take() is None
    assert not relay.complete and relay.error is error
    failure = relay.failure()
    assert (
        failure.status == 502
        and "lost after 4 characters: IncompleteStreamError" in failure.message
    )
    await relay.close()


async def test_shutdown_hands_over_what_was_read_then_ends() -> None:
    gate = asyncio.Event()

    class Stalling(FakeStream):
        async def _iterate(self) -> AsyncIterator[str]:
            yield "ab"
            yield "cd"
            await gate.wait()
            yield "never"

    relay = Relay(Stalling([]), FakeRequest(), "")  # type: ignore[arg-type]
    assert await relay.take() == "ab"
    await _settle()
    relay.stop("shutdown")
    assert await relay.take() == "cd"
    assert await relay.take() is None
    failure = relay.failure()
    assert failure.status == 503 and failure.code == "shutting_down"
    await relay.close()  # cancels the stalled read
    assert relay.error is None and not relay.complete


async def test_a_caller_gone_stops_the_relay_and_cancels_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_relay, "PEER_POLL", 0.01)
    gate = asyncio.Event()

    class Stalling(FakeStream):
        async def _iterate(self) -> AsyncIterator[str]:
            yield "ab"
            await gate.wait()
            yield "never"

    request = FakeRequest()
    stream = Stalling([])
    relay = Relay(stream, request, "")  # type: ignore[arg-type]
    assert await relay.take() == "ab"
    request.transport = None  # what aiohttp does when the connection is lost
    assert await asyncio.wait_for(relay.take(), 5) is None
    with pytest.raises(_relay.CallerGone):
        relay.failure()
    await relay.close()
    assert stream.closed
