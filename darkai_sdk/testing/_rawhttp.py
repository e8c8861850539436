"""HTTP/1.1 written by hand, for the framing faults aiohttp cannot play.

aiohttp frames a streamed body itself: one chunk per write, sizes always right,
no extensions, no trailers. When a :class:`Reply` asks for HTTP-level faults,
the server writes the status line, headers and chunked framing itself, on the
request's own writer (so backpressure still holds), and hands aiohttp a
:class:`WrittenResponse` that writes nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from ._replies import Reply

__all__ = ["ChunkedWire", "WrittenResponse", "interim_head", "writes_own_framing"]

#: Waits up to the given seconds; True when the server is stopping.
Pause = Callable[[float], Awaitable[bool]]


def writes_own_framing(reply: Reply) -> bool:
    """True when ``reply`` needs HTTP framing aiohttp cannot write."""
    return bool(
        reply.http_chunk_size is not None
        or reply.chunk_extension
        or reply.drip_chunk_lines
        or reply.trailers
        or reply.drip_trailers
        or reply.bad_chunk_after is not None
        or reply.after_reply
    )


def interim_head(status: int) -> bytes:
    """The whole of one interim (1xx) response."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Interim"
    extra = "Link: </style.css>; rel=preload; as=style\r\n" if status == 103 else ""
    return f"HTTP/1.1 {status} {reason}\r\n{extra}\r\n".encode("latin-1")


class WrittenResponse(web.StreamResponse):
    """A response the handler already wrote on the wire: aiohttp sends nothing more."""

    def __init__(self, *, keep_alive: bool) -> None:
        super().__init__()
        self._written_keep_alive = keep_alive

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None

    @property
    def keep_alive(self) -> bool | None:
        return self._written_keep_alive


class ChunkedWire:
    """A ``Transfer-Encoding: chunked`` response framed by hand, faults included.

    Each ``write()`` becomes one chunk (or several of ``http_chunk_size`` bytes),
    every chunk-size line carries ``chunk_extension`` and may be dripped a byte
    at a time; ``write_eof()`` sends the last chunk, trailers and ``after_reply``.
    """

    def __init__(self, writer: AbstractStreamWriter, reply: Reply, pause: Pause) -> None:
        self._writer = writer
        self._reply = reply
        self._pause = pause
        self._extension = f";{reply.chunk_extension}".encode() if reply.chunk_extension else b""
        self.stopping = False  # the server stopped mid-drip: the caller aborts

    async def start(self, headers: Mapping[str, str]) -> None:
        """Write the status line and headers of a 200 chunked response."""
        lines = ["HTTP/1.1 200 OK", *(f"{name}: {value}" for name, value in headers.items())]
        lines.append("Transfer-Encoding: chunked")
        await self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def write(self, data: bytes) -> None:
        """Send ``data`` as one or more chunks."""
        if not data:
            return
        size = self._reply.http_chunk_size or len(data)
        if self._reply.drip_chunk_lines:
            for start in range(0, len(data), size):
                piece = data[start : start + size]
                if not await self._drip(b"%x%s\r\n" % (len(piece), self._extension)):
                    return
                await self._writer.write(piece + b"\r\n")
            return
        await self._writer.write(self._framed(data, size))

    def _framed(self, data: bytes, size: int) -> bytes:
        ext = self._extension
        if size == 1:
            # Many one-byte chunks, built with slices rather than a step per byte.
            unit = b"1%s\r\n-\r\n" % ext
            out = bytearray(unit * len(data))
            out[len(unit) - 3 :: len(unit)] = data
            return bytes(out)
        pieces = (data[i : i + size] for i in range(0, len(data), size))
        return b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in pieces)

    async def write_eof(self) -> None:
        """Send the last chunk and trailers, then ``after_reply`` (at once or after its delay)."""
        reply = self._reply
        tail = b"0%s\r\n" % self._extension
        tail += b"".join(
            f"{name}: {value}\r\n".encode("latin-1") for name, value in reply.trailers.items()
        )
        tail += b"\r\n"
        if reply.drip_trailers:
            if not await self._drip(tail, reply.drip_trailers):
                return
            tail = b""
        if reply.after_reply and not reply.after_reply_delay:
            await self._writer.write(tail + reply.after_reply)  # one write: one segment
            return
        if tail:
            await self._writer.write(tail)
        if reply.after_reply:
            if await self._pause(reply.after_reply_delay):
                self.stopping = True
                return
            await self._writer.write(reply.after_reply)

    async def bad_chunk(self) -> None:
        """Write ``bad_chunk_line`` where the next chunk-size line belongs."""
        await self._writer.write(self._reply.bad_chunk_line)

    async def _drip(self, data: bytes, interval: float | None = None) -> bool:
        """Write ``data`` a byte at a time; False if the server began stopping."""
        for byte in data:
            await self._writer.write(bytes((byte,)))
            if await self._pause(interval or self._reply.drip_chunk_lines):
                self.stopping = True
                return False
        return True
