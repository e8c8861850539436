"""A streamed reply: iterate it for text chunks; it keeps the text and final message."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

from .._events import EventDecoder
from .._exceptions import DarkAIError
from .._logging import logger
from .._reply import ReplyState
from .._request import Request
from .._transports._aiohttp import StrGenerator, sleep
from .._transports._base import AsyncHTTPResponse

if TYPE_CHECKING:
    from ._client import AsyncDarkAI

__all__ = ["AsyncStream"]


class AsyncStream:
    """One streamed reply: an iterable of text chunks and a context manager.

    Nothing is sent until iteration starts. Leaving the ``with`` block, whether
    the loop finished, broke out or raised, closes the connection (in async code,
    so does cancelling the reading task). ``text`` holds all text received so
    far and ``final_message`` the server's ``final-response``.
    """

    def __init__(self, client: AsyncDarkAI, request: Request, *, keep_text: bool = True) -> None:
        self.model = request.model
        self._state = ReplyState(
            raise_on_mismatch=client.on_mismatch == "raise", keep_text=keep_text
        )
        # The iterator holds the client and the state, never the stream: no reference
        # cycle, so dropping the stream finalizes the iterator (and the connection) at once.
        self._iterator = _iterate(client, request, self._state)

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


async def _iterate(client: AsyncDarkAI, request: Request, state: ReplyState) -> StrGenerator:
    """Send ``request`` (retrying while no text has arrived) and yield its text chunks."""
    policy = client.retry_policy
    append = state.append
    handle = state.handle
    attempt = 0
    while True:
        response: AsyncHTTPResponse | None = None
        try:
            response = await client._open(request)
            decoder = EventDecoder(max_line_size=client.max_line_size)
            body = response.iter_bytes()
            ended = False
            while not ended:
                try:
                    items = decoder.feed(await body.__anext__())
                except StopAsyncIteration:
                    items, ended = decoder.close(), True  # the body's end: flush the decoder
                for item in items:
                    if isinstance(item, str):
                        append(item)
                        yield item
                    elif handle(item):
                        await _finish(response, state, decoder.skipped)
                        return
                if decoder.error is not None:
                    # Held back behind the events just yielded: report it now, not
                    # after the server's next bytes (or a read timeout).
                    raise decoder.error
            raise state.incomplete()
        except DarkAIError as exc:
            if not exc.partial_text:
                exc.partial_text = state.text
            # Once text has reached the caller a retry would repeat it: report instead.
            if state.has_text() or not policy.should_retry(exc, attempt):
                state.error = exc
                raise
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


async def _finish(response: AsyncHTTPResponse, state: ReplyState, skipped: int) -> None:
    """After stream-end: read the body's end so the connection can be pooled, and log."""
    extra = await response.drain()
    if extra:
        logger.warning("ignored %d bytes sent after stream-end", extra)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "stream end: %d characters, %d chunks kept, %d unknown events, %.3f s",
            state.received,
            len(state.chunks),
            skipped,
            state.elapsed,
        )
