"""Connections of the async transport: nothing unread is reused, framing is bounded.

aiohttp parses everything a connection receives, also after a reply's end: a
server (or whatever sits on the path) that writes a second response there has it
handed to the next request on that connection. It also lets a broken chunked
body leave its reader waiting, and reads chunk extensions of any length.
:class:`GuardedConnector` makes connections with :class:`GuardedProtocol`,
which closes a pooled connection when any byte arrives on it, fails the body's
reader when the framing is malformed, and bounds the framing between two body bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.http_exceptions import HttpProcessingError

from .._logging import logger
from ._base import MAX_FRAMING

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest, ConnectionKey
    from aiohttp.connector import Connection
    from aiohttp.streams import StreamReader
    from aiohttp.tracing import Trace

__all__ = ["BrokenFraming", "GuardedConnector", "GuardedProtocol"]


class BrokenFraming(aiohttp.ClientPayloadError):
    """The body's HTTP framing is malformed, or longer than MAX_FRAMING without data."""


def _progress(payload: StreamReader) -> int:
    # Body bytes so far, compressed ones too (aiohttp may defer decompressing).
    return payload.total_bytes + (getattr(payload, "total_compressed_bytes", None) or 0)


class GuardedProtocol(ResponseHandler):
    """aiohttp's connection protocol, hardened against bytes nobody asked for."""

    def __init__(self, loop: Any) -> None:
        super().__init__(loop)
        self._parked = False  # in the pool: no reply is expected
        self._framing = 0  # bytes received since the body last grew

    def park(self) -> None:
        """The connection went back to the pool: from now on any byte is unexpected."""
        self._parked = True

    def unpark(self) -> None:
        """The connection was taken from the pool for a new request."""
        self._parked = False
        self._framing = 0

    def data_received(self, data: bytes) -> None:
        if not data:
            # aiohttp resuming its parser on bytes it already holds (once per HTTP
            # chunk read when the chunks are small): nothing new from the peer.
            super().data_received(data)
            if self._parked and self.should_close:
                self.close()
            return
        if self._parked:
            logger.debug("closing a pooled connection: %d unexpected bytes", len(data))
            self.close()
            return
        payload = self._payload
        if payload is None or payload.is_eof():
            super().data_received(data)
        else:
            before = _progress(payload)
            super().data_received(data)
            if _progress(payload) != before or payload.is_eof():
                self._framing = 0
            else:
                self._framing += len(data)
                if self._framing > MAX_FRAMING:
                    message = f"more than {MAX_FRAMING} bytes of chunk framing without data"
                    _fail(payload, BrokenFraming(message))
                    self.close()
        if self._parked and self.should_close:
            # The reply ended mid-read and more came after it (a second response):
            # aiohttp pooled it first; it must not serve another request.
            self.close()

    def set_exception(self, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        payload = self._payload
        super().set_exception(exc, *args, **kwargs)
        if payload is not None and isinstance(exc, HttpProcessingError):
            # aiohttp fails the connection but not the body on malformed framing,
            # which would leave the body's reader waiting for ever.
            what = " ".join(str(exc.message).split())  # aiohttp's is several lines
            _fail(payload, BrokenFraming(f"malformed HTTP framing: {what}"))


def _fail(payload: StreamReader, exc: BaseException) -> None:
    if not payload.is_eof() and payload.exception() is None:
        payload.set_exception(exc)


class GuardedConnector(aiohttp.TCPConnector):
    """aiohttp's TCP connector with GuardedProtocol connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make: Callable[[], ResponseHandler] = functools.partial(GuardedProtocol, loop=self._loop)
        self._factory = make  # type: ignore[assignment]  # every connection is made by this

    def abandon(self) -> None:
        """Forget every connection without closing it: they are a parent process's.

        A forked child shares them, and the parent's event loop too; closing one
        here would unregister it from that loop. Their sockets close with the child.
        """
        self._conns.clear()
        self._acquired.clear()
        self._closed = True

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        while True:
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            if isinstance(protocol, GuardedProtocol):
                protocol.unpark()
            if protocol is None or not protocol.should_close:
                return connection
            # Pooled, but it holds bytes that came after its last reply: drop it.
            connection.close()

    def _release(
        self, key: ConnectionKey, protocol: ResponseHandler, *args: Any, **kwargs: Any
    ) -> None:
        super()._release(key, protocol, *args, **kwargs)
        if isinstance(protocol, GuardedProtocol):
            protocol.park()
