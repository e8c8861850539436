"""The seam between a client and its transport, and the limits both transports share.

A transport sends one :class:`~darkai_sdk._request.Request` (under its
``timeout``) and returns a response once the status and headers are in; the
client reads its body with ``iter_bytes()`` and gives the connection back with
``aclose()``/``close()``. ``AsyncDarkAI`` talks to an
:class:`AsyncHTTPTransport` (``asend``/``aclose``), ``DarkAI`` to a
:class:`SyncHTTPTransport` (``send``/``close``): the names differ, so one
object can serve both (``darkai_sdk.testing.MockTransport`` does). Each
typing.Protocol is checked by mypy against the aiohttp and requests transports
where the clients hold them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Protocol

from .._request import Request

__all__ = [
    "DRAIN_LIMIT",
    "DRAIN_WAIT",
    "MAX_FRAMING",
    "timeout_message",
    "AsyncHTTPResponse",
    "AsyncHTTPTransport",
    "SyncHTTPResponse",
    "SyncHTTPTransport",
]

# After stream-end the reply is whole: wait this long at most for the body's end
# (so the connection can be pooled) before handing control back.
DRAIN_WAIT = 0.1
DRAIN_LIMIT = 64 * 1024
# Bytes of HTTP framing (a chunk-size line with its extensions, the trailer
# section) accepted between two bytes of body: framing carries no text, so a
# server sending more is broken or hostile.
MAX_FRAMING = 64 * 1024


def timeout_message(when: str, total: float | None = None) -> str:
    """What an APITimeoutError says: the total timeout if that ran out, else a phase's."""
    if total is None:
        return f"timed out {when}"
    return f"total timeout of {total:g} s expired {when}"


class AsyncHTTPResponse(Protocol):
    """A response whose status and headers are in and whose body is read as it arrives."""

    status_code: int
    #: Names in any case (the client makes them a case-insensitive ``Headers``).
    headers: Mapping[str, str]

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body's bytes (decoded, never empty); the iteration ends with the body.

        A body cut short or malformed raises a ``DarkAIError``.
        """
        ...

    async def read_error_body(self) -> bytes:
        """Return the start of an error answer's body, capped and with secrets masked."""
        ...

    async def drain(self) -> int:
        """Read the rest of the body if it ends within ``DRAIN_WAIT``; return the bytes read."""
        ...

    async def aclose(self) -> None:
        """Pool the connection if its body ended cleanly, else close it; safe to call twice."""
        ...


class AsyncHTTPTransport(Protocol):
    """Sends requests over pooled connections."""

    async def asend(self, request: Request) -> AsyncHTTPResponse:
        """POST ``request``; return once the status and headers are in.

        A failure to send raises a ``DarkAIError`` (``APIConnectionError`` is retried).
        """
        ...

    async def aclose(self) -> None:
        """Close every pooled connection; the transport stays usable."""
        ...


class SyncHTTPResponse(Protocol):
    """:class:`AsyncHTTPResponse` for blocking code."""

    status_code: int
    headers: Mapping[str, str]

    def iter_bytes(self) -> Iterator[bytes]: ...
    def read_error_body(self) -> bytes: ...
    def drain(self) -> int: ...
    def close(self) -> None: ...


class SyncHTTPTransport(Protocol):
    """:class:`AsyncHTTPTransport` for blocking code."""

    def send(self, request: Request) -> SyncHTTPResponse: ...
    def close(self) -> None: ...
