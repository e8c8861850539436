"""An in-memory transport for unit tests: a handler answers each request, no socket.

``AsyncDarkAI(transport=MockTransport(handler))`` and ``DarkAI(transport=...)``
send every request to ``handler(request)`` instead of the network. Everything
above the HTTP layer runs as it does for real: the event decoder, retries,
redirects, hooks, the typed errors.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from .._exceptions import DarkAIError, IncompleteStreamError
from .._info import Headers
from .._request import Request
from .._status import MAX_ERROR_BODY
from .._transports._base import AsyncHTTPTransport, SyncHTTPTransport
from ._replies import Reply
from ._respond import plain_answer, stream_headers
from ._server import RecordedRequest, parse_json
from ._wire import encode_event, plan_body, with_echo

__all__ = ["MockAnswer", "MockEvent", "MockHandler", "MockResponse", "MockTransport"]

#: One event of a mocked body: a str is a ``text-chunk`` event with that text, a
#: mapping is one event's JSON object (``{"event": "stream-end"}``), bytes are
#: sent as they are (a malformed line, say).
MockEvent: TypeAlias = str | bytes | Mapping[str, object]

_EVENT_STREAM = "text/event-stream"

# Reply fields that only a server on a socket can play (pacing, HTTP framing, compression).
_NEEDS_A_SOCKET = (
    "delay",
    "headers_delay",
    "stall_after",
    "gzip",
    "write_size",
    "interim",
    "http_chunk_size",
    "chunk_extension",
    "drip_chunk_lines",
    "trailers",
    "drip_trailers",
    "bad_chunk_after",
    "after_reply",
    "after_reply_delay",
)
_PLAIN_REPLY = Reply()


@dataclass(frozen=True)
class MockResponse:
    """A handler's answer: a ``status``, ``headers`` and a ``body``.

    ``body`` is bytes, or a list of events (see ``MockEvent``), each read by
    the client as it would one network read. With a list of events the
    ``Content-Type`` is ``text/event-stream`` unless ``headers`` set one.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Sequence[MockEvent] = b""

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise TypeError(f"status must be an int, got {type(self.status).__name__}")
        if not 200 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status 200-599, got {self.status!r}")
        if not isinstance(self.headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise TypeError("headers must be a mapping of str to str")
        body = self.body
        if isinstance(body, str) or not isinstance(body, (bytes, Sequence)):
            raise TypeError(
                "body must be bytes or a list of events, got "
                f"{type(body).__name__} (for a whole reply return Reply(text))"
            )
        if not isinstance(body, bytes):
            object.__setattr__(self, "body", tuple(body))  # frozen: later edits cannot change it

    def pieces(self) -> list[bytes]:
        """The body as the client reads it: one piece per event, or the bytes whole."""
        if isinstance(self.body, bytes):
            return [self.body]
        return [_encode(event) for event in self.body]

    def header_map(self) -> Headers:
        """The response headers, with the event-stream type for a list of events."""
        headers = Headers(self.headers)
        if isinstance(self.body, bytes) or "content-type" in headers:
            return headers
        return Headers({**headers, "content-type": _EVENT_STREAM})


#: What a handler returns.
MockAnswer: TypeAlias = Reply | MockResponse | Sequence[MockEvent]
#: ``handler(request)``: a plain function, or (for AsyncDarkAI) a coroutine function.
MockHandler: TypeAlias = Callable[[RecordedRequest], MockAnswer | Awaitable[MockAnswer]]


def _encode(event: MockEvent) -> bytes:
    if isinstance(event, str):
        return encode_event({"event": "text-chunk", "data": {"text": event}})
    if isinstance(event, bytes):
        return event
    if isinstance(event, Mapping):
        return encode_event(event)
    raise TypeError(
        f"an event must be a str (a text chunk), a mapping (an event object) or bytes, "
        f"got {type(event).__name__}"
    )


class _Answer:
    """One answer being read: status, headers, and body pieces handed out once."""

    def __init__(self, status: int, headers: Headers, pieces: list[bytes], cut: bool) -> None:
        self.status_code = status
        self.headers = headers
        self._body = b"".join(pieces)
        self.chunks = self._read(pieces, cut)

    @staticmethod
    def _read(pieces: list[bytes], cut: bool) -> Generator[bytes, None, None]:
        for piece in pieces:
            if piece:
                yield piece
        if cut:
            raise IncompleteStreamError(
                "connection broken mid-reply: the mocked reply was cut (Reply.cut_after)"
            )

    def error_body(self) -> bytes:
        return self._body[:MAX_ERROR_BODY]

    def drain(self) -> int:
        size = 0
        try:
            for piece in self.chunks:
                size += len(piece)
        except DarkAIError:
            return size
        return size


class _SyncResponse:
    """An answer for DarkAI (the SyncHTTPResponse protocol)."""

    def __init__(self, answer: _Answer) -> None:
        self._answer = answer
        self.status_code = answer.status_code
        self.headers: Mapping[str, str] = answer.headers

    def iter_bytes(self) -> Generator[bytes, None, None]:
        return self._answer.chunks

    def read_error_body(self) -> bytes:
        return self._answer.error_body()

    def drain(self) -> int:
        return self._answer.drain()

    def close(self) -> None:
        self._answer.chunks.close()


class _AsyncResponse:
    """An answer for AsyncDarkAI (the AsyncHTTPResponse protocol)."""

    def __init__(self, answer: _Answer) -> None:
        self._answer = answer
        self.status_code = answer.status_code
        self.headers: Mapping[str, str] = answer.headers
        self._chunks = self._read()

    async def _read(self) -> AsyncGenerator[bytes, None]:
        for piece in self._answer.chunks:
            await asyncio.sleep(0)  # as a network read would, let other tasks run
            yield piece

    def iter_bytes(self) -> AsyncGenerator[bytes, None]:
        return self._chunks

    async def read_error_body(self) -> bytes:
        return self._answer.error_body()

    async def drain(self) -> int:
        return self._answer.drain()

    async def aclose(self) -> None:
        await self._chunks.aclose()
        self._answer.chunks.close()


class MockTransport:
    """A transport that answers every request with ``handler(request)``: no socket.

    ``request`` is a :class:`RecordedRequest` (``prompt``, ``model``, ``json``,
    ``headers``, as the local server records them). The handler returns a
    :class:`Reply` (as the local server would play it: text, chunk sizes,
    statuses, ``retry_after``, redirects, ``truncate_after``, ``cut_after``,
    ``malformed_after``, ``error_after``...), a :class:`MockResponse`, or a list
    of events (``MockResponse(body=events)``). A handler may raise a
    ``DarkAIError`` (``APIConnectionError("down")``) to fail the request as the
    network would. ``requests`` lists what was sent. Pass it to either client:
    it serves ``DarkAI`` (``send``) and ``AsyncDarkAI`` (``asend``, where the
    handler may also be a coroutine function). Timeouts never expire here.
    """

    def __init__(self, handler: MockHandler) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {type(handler).__name__}")
        self._handler = handler
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def _call(self, request: Request) -> tuple[RecordedRequest, object]:
        parts = urlsplit(request.url)
        recorded = RecordedRequest(
            method="POST",
            path=parts.path,
            query_string=parts.query,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=request.body,
            json=parse_json(request.body),
        )
        with self._lock:
            self._requests.append(recorded)
        return recorded, self._handler(recorded)

    def send(self, request: Request) -> _SyncResponse:
        """Answer ``request`` with the handler's answer (for DarkAI)."""
        recorded, answer = self._call(request)
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()
            raise TypeError("the handler returned an awaitable: async handlers need AsyncDarkAI")
        return _SyncResponse(_playable(answer, recorded))

    async def asend(self, request: Request) -> _AsyncResponse:
        """Answer ``request`` with the handler's answer (for AsyncDarkAI)."""
        recorded, answer = self._call(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return _AsyncResponse(_playable(answer, recorded))

    def close(self) -> None:
        """Nothing to close (there is no connection)."""

    async def aclose(self) -> None:
        """Nothing to close (there is no connection)."""

    def __repr__(self) -> str:
        return f"<MockTransport {len(self._requests)} requests>"


def _playable(answer: object, request: RecordedRequest) -> _Answer:
    """The answer a handler returned, ready to be read."""
    if isinstance(answer, Reply):
        return _play(answer, request)
    if isinstance(answer, MockResponse):
        return _Answer(answer.status, answer.header_map(), answer.pieces(), cut=False)
    if isinstance(answer, Sequence) and not isinstance(answer, (str, bytes)):
        return _playable(MockResponse(body=answer), request)
    hint = " (for a whole reply return Reply(text))" if isinstance(answer, str) else ""
    raise TypeError(
        "a MockTransport handler must return a Reply, a MockResponse or a list of "
        f"events, got {type(answer).__name__}{hint}"
    )


def _play(reply: Reply, request: RecordedRequest) -> _Answer:
    """``reply`` as the local server would send it, without the socket."""
    socket_only = [
        name for name in _NEEDS_A_SOCKET if getattr(reply, name) != getattr(_PLAIN_REPLY, name)
    ]
    if socket_only:
        raise ValueError(
            f"MockTransport cannot play Reply({', '.join(socket_only)}=...): they need a "
            "socket; use DarkAIServer for them"
        )
    if reply.echo_header is not None:
        reply = with_echo(reply, request.headers.get(reply.echo_header, ""))
    if not reply.is_stream:
        status, headers, body = plain_answer(reply)
        return _Answer(status, Headers(headers.items()), [body], cut=False)
    plan = plan_body(reply, reply.chunks(request.prompt or "", request.model or ""))
    pieces = [*plan.frames]
    if plan.ending == "cut":
        pieces.append(plan.partial)
    return _Answer(200, Headers(stream_headers(reply).items()), pieces, cut=plan.ending == "cut")


if TYPE_CHECKING:

    def _serves_both(mock: MockTransport) -> tuple[AsyncHTTPTransport, SyncHTTPTransport]:
        """Checked by mypy: a MockTransport satisfies both transport protocols."""
        return mock, mock
