"""A streamed reply: iterate it for text chunks; it keeps the text and final message."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Protocol

from .._events import Event, EventDecoder, StreamEnd
from .._exceptions import DarkAIError, IncompleteStreamError
from .._info import REQUEST_ID_HEADER, Headers
from .._logging import logger
from .._options import ClientOptions
from .._redact import mask_error
from .._reply import ReplyState, StreamMetrics
from .._request import Request
from .._transports._aiohttp import StrGenerator, sleep
from .._transports._base import AsyncHTTPResponse

__all__ = ["AsyncStream", "AsyncOpener"]


class AsyncOpener(Protocol):
    """What a stream opens its reply with: the client's way of sending a request."""

    async def __call__(
        self, request: Request, options: ClientOptions, attempt: int
    ) -> AsyncHTTPResponse:
        """Send ``request`` (try ``attempt``, 0 first) under ``options``.

        Returns its 2xx event-stream response, with ``headers`` a ``Headers``;
        any other answer raises a typed error.
        """


class AsyncStream:
    """One streamed reply: an iterable of text chunks and a context manager.

    Nothing is sent until iteration starts. Leaving the ``with`` block, whether
    the loop finished, broke out or raised, closes the connection (in async code,
    so does cancelling the reading task). ``text`` holds all text received so
    far and ``final_message`` the server's ``final-response``; once the reply
    began, ``status_code``, ``headers`` and ``request_id`` describe its
    response; ``metrics`` tells how it went so far.
    """

    def __init__(
        self,
        open_response: AsyncOpener,
        request: Request,
        options: ClientOptions,
        *,
        keep_text: bool = True,
    ) -> None:
        self.model = request.model
        self._state = ReplyState(
            raise_on_mismatch=options.on_mismatch == "raise", keep_text=keep_text
        )
        # The iterator holds the opener, options and state, never the stream: no
        # reference cycle, so dropping the stream finalizes the iterator (and the
        # connection) at once.
        self._iterator = _iterate(open_response, request, options, self._state)

    @property
    def text(self) -> str:
        """All text received so far ("" if the stream was made with ``keep_text=False``)."""
        return self._state.text

    @property
    def final_message(self) -> str | None:
        """The ``final-response`` message, or None if none has arrived."""
        return self._state.final_message

    @property
    def done(self) -> bool:
        """Whether ``stream-end`` has arrived: the reply is whole."""
        return self._state.done

    @property
    def retries(self) -> int:
        """How many times the request was retried before the reply began."""
        return self._state.retries

    @property
    def status_code(self) -> int | None:
        """The status of the response being read, or None before the reply began."""
        return self._state.status_code

    @property
    def headers(self) -> Headers:
        """The headers of the response being read (any case; empty before the reply began)."""
        return self._state.headers

    @property
    def request_id(self) -> str | None:
        """The response's ``x-request-id`` header (for the service's support), or None."""
        return self._state.headers.get(REQUEST_ID_HEADER)

    @property
    def metrics(self) -> StreamMetrics:
        """How the reply went so far: time to first text, elapsed, chars, events, retries."""
        return self._state.metrics()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterator

    async def until_done(self) -> str:
        """Read the rest of the reply and return its whole text.

        Raises the stream's error if it failed, or IncompleteStreamError if it
        was closed before stream-end: a text returned is always whole.
        """
        async for _ in self._iterator:
            pass
        return self._state.whole_text()

    async def display(self) -> str:
        """Show the reply as it arrives and return its whole text.

        In IPython/Jupyter it is Markdown updated in place; elsewhere plain text
        printed to stdout. Needs ``darkai-sdk[notebook]`` for the live Markdown.
        """
        from ..notebook import live_display

        view = live_display()
        try:
            async for chunk in self._iterator:
                view.append(chunk)
        finally:
            view.close()
        return self._state.whole_text()

    async def aclose(self) -> None:
        """Stop reading and release the connection; safe to call twice.

        Call it from the code that iterates (or leave the ``with`` block), not
        from another thread or task while a loop over the stream is running.
        """
        await self._iterator.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "done" if self._state.done else "open"
        return "<{} model={!r} {} chars={}>".format(
            type(self).__name__, self.model, state, self._state.received
        )


async def _iterate(
    open_response: AsyncOpener, request: Request, options: ClientOptions, state: ReplyState
) -> StrGenerator:
    """Send ``request`` (retrying while no text has arrived) and yield its text chunks."""
    policy = options.retry
    append = state.append
    handle = state.handle
    settle = state.settle
    attempt = 0
    # Until text has come, each read notes its time: the first text came with the last.
    waiting = True
    state.begin()
    try:
        while True:
            response: AsyncHTTPResponse | None = None
            try:
                response = await open_response(request, options, attempt)
                state.began(response.status_code, response.headers)
                decoder = EventDecoder(max_line_size=options.max_line_size)
                body: AsyncIterator[bytes] | None = response.iter_bytes()
                items: list[Event] = []
                while True:
                    for item in items:
                        if isinstance(item, str):
                            append(item)
                            yield item
                        elif handle(item):
                            break  # stream-end
                    settle()
                    if waiting and state.has_text():
                        waiting = False
                    if decoder.replaced:
                        state.report_replaced(decoder.replaced)
                    if state.done:
                        state.end()
                        await _finish(response, state, decoder, _after_end(items))
                        return
                    if decoder.error is not None:
                        # Held back behind the events just yielded: report it now, not
                        # after the server's next bytes (or a read timeout).
                        raise decoder.error
                    if body is None:
                        raise IncompleteStreamError(
                            f"the reply ended before stream-end after {state.received} characters"
                        )
                    try:
                        data = await body.__anext__()
                    except StopAsyncIteration:
                        body = None
                        items = decoder.close()
                    else:
                        items = decoder.feed(data)
                    if waiting:
                        state.first_text = time.monotonic()
            except DarkAIError as exc:
                # A server may echo a credential in any message: mask them all, once, here.
                state.fail(mask_error(exc, options.secrets))
                # Once text has reached the caller a retry would repeat it: report instead.
                if state.has_text() or not policy.should_retry(exc, attempt):
                    raise
                state.error = None
                delay = policy.delay(attempt, getattr(exc, "retry_after", None))
                attempt += 1
                state.retries = attempt
                logger.info(
                    "retry %d of %d in %.2f s after: %s", attempt, policy.max_retries, delay, exc
                )
            finally:
                if response is not None:
                    await response.aclose()
            await sleep(delay)
    finally:
        state.end()


def _after_end(items: list[Event]) -> int:
    """How many of ``items`` (events of the read that held stream-end) came after it."""
    return len(items) - 1 - items.index(_STREAM_END)


_STREAM_END = StreamEnd()


async def _finish(
    response: AsyncHTTPResponse, state: ReplyState, decoder: EventDecoder, ignored: int
) -> None:
    """After stream-end: read the body's end so the connection can be pooled, and log."""
    if ignored:
        logger.warning("ignored %d events sent after stream-end", ignored)
    extra = await response.drain()
    if extra:
        logger.warning("ignored %d bytes sent after stream-end", extra)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "stream end: %d characters, %d chunks, %d unknown events, %.3f s",
            state.received,
            state.chunks,
            decoder.skipped,
            state.metrics().elapsed,
        )
