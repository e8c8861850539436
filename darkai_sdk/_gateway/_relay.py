"""One upstream reply relayed to one caller: as a stream of chunks, or whole."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import AsyncStream
from ._chunks import Completion, error_event
from ._errors import GatewayError, upstream_error

__all__ = ["CallerGone", "Relay", "send_stream", "send_whole"]

#: Seconds between two checks that the caller is still connected.
PEER_POLL = 0.2
#: Characters decoded in one go before the reading task lets the writer run. The
#: first chunk goes out at once; after it, a fast upstream's text goes out when
#: the reading waits for the network, or every BATCH characters (yielding more
#: often makes the upstream connection's reads smaller, and it then slows down).
BATCH = 256 * 1024
#: Characters read ahead for a caller slower than the upstream, before reading pauses.
MAX_HELD = 2 * BATCH


class CallerGone(Exception):
    """The caller disconnected: nobody is left to answer."""


class Relay:
    """Reads one upstream reply in a task of its own; :meth:`take` hands over what arrived.

    The reading task yields chunks as the SDK decodes them; everything decoded
    since the last :meth:`take` comes out as one string, so a fast upstream
    gives few, large chunks and a slow one gives each chunk as it comes. The
    reply is ``complete`` only when the SDK's iteration ended normally (it
    saw ``stream-end``). A caller that disconnects stops the reading within
    :data:`PEER_POLL` seconds, whether or not the server cancels handlers.
    """

    def __init__(self, stream: AsyncStream, request: web.BaseRequest, upstream_host: str) -> None:
        self._stream = stream
        self._request = request
        self._upstream_host = upstream_host
        self._chunks: list[str] = []
        self._held = 0
        #: Characters handed over by :meth:`take` so far.
        self.relayed = 0
        #: True once the upstream reply ended whole.
        self.complete = False
        #: What ended the reading early, if anything did.
        self.error: BaseException | None = None
        #: "shutdown" or "disconnected" once the relay was told to stop.
        self.stopped: str | None = None
        self._finished = False
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._read())
        self._watch = loop.call_later(PEER_POLL, self._check_peer)

    async def _read(self) -> None:
        chunks = self._chunks
        append = chunks.append
        ready = self._ready
        unsent = 0  # characters read since the writer last had the chance to run
        batch = 1  # so the first chunk goes out at once; BATCH after it
        try:
            async with self._stream as stream:
                async for chunk in stream:
                    if not chunks:  # the writer took the last batch: tell it of a new one
                        ready.set()
                    append(chunk)
                    unsent += len(chunk)
                    if unsent >= batch:
                        batch = BATCH
                        self._held += unsent
                        unsent = 0
                        # Decoded events come without a pause: let the writer run now.
                        await asyncio.sleep(0)
                        if self._held >= MAX_HELD:
                            self._room.clear()
                            await self._room.wait()
                self.complete = stream.done
        except Exception as exc:  # kept, and reported by whoever takes the reply
            self.error = exc
        finally:
            self._finished = True
            ready.set()

    async def take(self) -> str | None:
        """Wait for text and return all of it; None once the reply is over or must stop."""
        while True:
            if self.stopped == "disconnected":
                return None
            if self._chunks:
                text = "".join(self._chunks)
                self._chunks.clear()
                self._held = 0
                self._room.set()
                self.relayed += len(text)
                return text
            if self._finished or self.stopped is not None:
                return None
            self._ready.clear()
            await self._ready.wait()

    def stop(self, reason: str) -> None:
        """End the relay early: "shutdown" (text already read is still handed over) or
        "disconnected"."""
        if self.stopped is None:
            self.stopped = reason
        self._ready.set()

    def failure(self) -> GatewayError:
        """Why the reply is not whole, as the error to answer with."""
        if self.stopped == "disconnected":
            raise CallerGone
        if self.stopped == "shutdown" and not self.complete:
            where = f" after {self.relayed} characters" if self.relayed else ""
            return GatewayError(
                503,
                f"the gateway is shutting down; the reply was cut short{where}",
                kind="server_error",
                code="shutting_down",
            )
        if self.error is not None:
            return upstream_error(self.error, self.relayed, self._upstream_host)
        return GatewayError(
            502,
            f"the upstream reply ended before it was whole, after {self.relayed} characters",
            kind="server_error",
            code="reply_incomplete",
        )

    def _check_peer(self) -> None:
        transport = self._request.transport
        if transport is None or transport.is_closing():
            self.stop("disconnected")
            self._task.cancel()  # the caller is gone: release the upstream at once
        else:
            self._watch = asyncio.get_running_loop().call_later(PEER_POLL, self._check_peer)

    async def close(self) -> None:
        """Stop reading (cancelling the upstream request if it is still going) and wait."""
        self._watch.cancel()
        if not self._task.done():
            self._task.cancel()
        # asyncio.wait, not await: the task's cancellation must not look like ours.
        await asyncio.wait([self._task])


_STREAM_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # a proxy in front must not hold chunks back
}


async def send_stream(
    request: web.BaseRequest, relay: Relay, completion: Completion, headers: dict[str, str]
) -> web.StreamResponse:
    """Answer with ``chat.completion.chunk`` events as the text arrives.

    Nothing is sent before the first text (or the end of an empty reply), so a
    failure before it, retries included, is still a plain HTTP error. After
    it, a failure ends the stream with an error event and no ``[DONE]``.
    """
    first = await relay.take()
    if first is None and not relay.complete:
        raise relay.failure()
    response = web.StreamResponse(headers={**headers, **_STREAM_HEADERS})
    try:
        await response.prepare(request)
        opening = completion.first_chunk()
        await response.write(opening + completion.text_chunk(first) if first else opening)
        while (text := await relay.take()) is not None:
            if text:
                await response.write(completion.text_chunk(text))
        if relay.complete:
            await response.write(completion.last_chunks())
        else:
            await response.write(error_event(relay.failure()))
        await response.write_eof()
    except ConnectionError:
        raise CallerGone from None
    return response


async def send_whole(relay: Relay, completion: Completion, headers: dict[str, str]) -> web.Response:
    """Answer with one ``chat.completion`` once the reply is whole, or with an error."""
    parts: list[str] = []
    while (text := await relay.take()) is not None:
        parts.append(text)
    if not relay.complete:
        raise relay.failure()
    return web.Response(
        body=completion.whole("".join(parts)),
        headers={**headers, "Content-Type": "application/json"},
    )
