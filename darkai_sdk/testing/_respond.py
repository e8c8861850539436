"""How the test server puts one scripted :class:`Reply` on the wire: the fault modes at work.

A streamed reply goes out through aiohttp, or, for HTTP-level faults, through
:class:`~._rawhttp.ChunkedWire`; plain answers (errors, redirects) are
ordinary aiohttp responses.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from multidict import CIMultiDict

from ._rawhttp import ChunkedWire, WrittenResponse, interim_head, writes_own_framing
from ._replies import Reply
from ._wire import error_body, plan_body

__all__ = [
    "abort",
    "plain_answer",
    "plain_response",
    "send_interim",
    "stream_headers",
    "stream_reply",
]

# Coalesce events into writes of about this size when there is no pacing,
# so a benchmark measures the client, not one syscall per event.
_COALESCE_BYTES = 64 * 1024
# Longest wait for the client to take the bytes written before an abort.
_DRAIN_TIMEOUT = 10.0

#: Waits up to the given seconds (None: for ever); True when the server is stopping.
Pause = Callable[[float | None], Awaitable[bool]]


class _Sink(Protocol):
    async def write(self, data: bytes) -> None: ...
    async def write_eof(self) -> None: ...


def error_type(status: int) -> str:
    """The ``error.type`` the service sends with ``status``."""
    if status == 429:
        return "rate_limit_error"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def reply_headers(base: dict[str, str], reply: Reply) -> CIMultiDict[str]:
    """``base`` plus the reply's ``Retry-After`` and scripted headers (which win)."""
    headers = CIMultiDict(base)
    if reply.retry_after is not None:
        headers["Retry-After"] = str(reply.retry_after)
    # Scripted headers win, so a test can send e.g. a wrong content-type.
    for name, value in reply.headers.items():
        headers[name] = value
    return headers


def abort(request: web.BaseRequest) -> None:
    """Drop the connection at once, leaving the response unfinished."""
    transport = request.transport
    if transport is not None:
        transport.abort()


async def send_interim(request: web.BaseRequest, reply: Reply) -> None:
    """Write the reply's interim 1xx responses ahead of its real one."""
    for status in reply.interim:
        await request.writer.write(interim_head(status))


def plain_answer(reply: Reply) -> tuple[int, CIMultiDict[str], bytes]:
    """The status, headers and body of the redirect or plain (error) answer ``reply`` scripts."""
    if reply.redirect is not None:
        return reply.redirect_status, reply_headers({"Location": reply.redirect}, reply), b""
    body = reply.body
    if body is None:
        content_type = "application/json"
        data = (
            error_body(f"scripted failure with status {reply.status}", error_type(reply.status))
            if reply.status >= 400
            else b""
        )
    else:
        content_type = "text/plain; charset=utf-8"
        data = body.encode("utf-8") if isinstance(body, str) else body
    return reply.status, reply_headers({"Content-Type": content_type}, reply), data


def plain_response(reply: Reply) -> web.Response:
    """The redirect or plain (error) answer ``reply`` scripts."""
    status, headers, data = plain_answer(reply)
    if reply.redirect is not None:
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, body=data, headers=headers)


def stream_headers(reply: Reply) -> CIMultiDict[str]:
    """The headers of ``reply`` as an event stream."""
    base = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    if reply.gzip:
        base["Content-Encoding"] = "gzip"
    return reply_headers(base, reply)


class _BodyWriter:
    """Writes body bytes in coalesced, optionally gzip-compressed and split, writes."""

    def __init__(self, sink: _Sink, reply: Reply) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self._write_size = reply.write_size
        # wbits=31: a gzip wrapper, as Content-Encoding: gzip requires.
        self._gzip = zlib.compressobj(wbits=31) if reply.gzip else None

    async def add(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= _COALESCE_BYTES:
            await self.flush()

    async def flush(self) -> None:
        data = bytes(self._buffer)
        self._buffer.clear()
        if not data:
            return
        size = self._write_size or len(data)
        for start in range(0, len(data), size):
            piece = data[start : start + size]
            if self._gzip is not None:
                # A sync flush per write makes each write decompressible on arrival.
                piece = self._gzip.compress(piece) + self._gzip.flush(zlib.Z_SYNC_FLUSH)
            await self._sink.write(piece)
            # write() only yields when the socket buffer is full; yield anyway so a
            # client on the same loop reads as we go. With write_size, wait a
            # little so each piece leaves as its own segment and read.
            await asyncio.sleep(0.001 if self._write_size is not None else 0)

    async def finish(self) -> None:
        await self.flush()
        if self._gzip is not None:
            await self._sink.write(self._gzip.flush(zlib.Z_FINISH))
        await self._sink.write_eof()


async def _drained(request: web.BaseRequest, pause: Pause) -> None:
    """Wait until the client has taken every byte written (or the server stops)."""
    transport = request.transport
    for _ in range(int(_DRAIN_TIMEOUT / 0.01)):
        if transport is None or transport.get_write_buffer_size() == 0:
            return
        if await pause(0.01):
            return


async def stream_reply(
    request: web.BaseRequest, reply: Reply, chunks: tuple[str, ...], pause: Pause
) -> web.StreamResponse:
    """Stream ``reply`` with these ``text-chunk`` texts, playing its faults."""
    plan = plan_body(reply, chunks)
    headers = stream_headers(reply)
    response: web.StreamResponse
    sink: _Sink
    if writes_own_framing(reply):
        sink = ChunkedWire(request.writer, reply, pause)
        response = WrittenResponse(keep_alive=plan.ending == "end")
    else:
        response = web.StreamResponse(status=200, headers=headers)
        sink = _AiohttpSink(response)
    try:
        if isinstance(sink, ChunkedWire):
            await sink.start(headers)
        else:
            await response.prepare(request)
        writer = _BodyWriter(sink, reply)
        for index, frame in enumerate(plan.frames):
            if reply.delay and index:
                await writer.flush()
                if await pause(reply.delay):
                    abort(request)
                    return response
            await writer.add(frame)
        if plan.ending == "end":
            await writer.finish()
            if isinstance(sink, ChunkedWire) and sink.stopping:
                abort(request)
            return response
        await writer.flush()
        if plan.ending == "cut":
            await writer.add(plan.partial)
            await writer.flush()
            # abort() drops unsent bytes; wait so the client gets all N chunks.
            await _drained(request, pause)
        else:
            if plan.ending == "bad_chunk" and isinstance(sink, ChunkedWire):
                await sink.bad_chunk()
            # "stall": hold on until stopped; a client leaving cancels this task.
            await pause(None)
        abort(request)
        return response
    except ConnectionError:
        # The client went away mid-write; nothing is left to send to.
        return response


class _AiohttpSink:
    """An aiohttp StreamResponse as a body sink: aiohttp frames the chunks."""

    def __init__(self, response: web.StreamResponse) -> None:
        self._response = response

    async def write(self, data: bytes) -> None:
        await self._response.write(data)

    async def write_eof(self) -> None:
        await self._response.write_eof()
