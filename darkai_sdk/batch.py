"""Run many prompts through one :class:`~darkai_sdk.AsyncDarkAI` client, a bounded number at once.

``run(client, rows, concurrency=8)`` yields a :class:`BatchResult` per row as
each finishes; :func:`read_input` checks a JSONL file whole and then streams
its rows. The ``darkai batch`` command is built on both.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import TYPE_CHECKING, Any

from ._batch._input import BatchInputError, InputFile, read_input
from ._batch._types import BatchError, BatchResult, BatchRow, RowId, row_from_object
from ._exceptions import DarkAIError, RateLimitError
from ._logging import logger

if TYPE_CHECKING:
    from ._async._client import AsyncDarkAI

__all__ = [
    "BatchError",
    "BatchInputError",
    "BatchResult",
    "BatchRow",
    "InputFile",
    "RowId",
    "read_input",
    "run",
]

#: Rows a batch runs at once unless told otherwise.
DEFAULT_CONCURRENCY = 8
#: How long new rows wait after a 429 that gave no Retry-After, in seconds.
RATE_LIMIT_PAUSE = 1.0

Rows = Iterable[BatchRow | Mapping[str, Any]] | AsyncIterable[BatchRow | Mapping[str, Any]]


def run(
    client: AsyncDarkAI, rows: Rows, concurrency: int = DEFAULT_CONCURRENCY
) -> AsyncGenerator[BatchResult, None]:
    """Stream a reply to every row, at most ``concurrency`` at once; yield each result as it ends.

    ``rows`` is an iterable or async iterable of :class:`BatchRow` or of dicts
    ``{"id", "prompt"}`` / ``{"id", "messages"}`` (optional ``"model"``); it
    is read only as rows can start, so it may be endless. All rows share
    ``client`` and its connection pool. A row whose reply fails is a result
    with ``error`` set and its partial ``text``; a row that is not valid
    raises ``ValueError`` when it is reached. A 429 holds back every row not
    yet started until its ``Retry-After`` has passed. Close the iterator
    (``contextlib.aclosing``) to stop early: rows in flight are cancelled.
    """
    if not inspect.iscoroutinefunction(getattr(client, "complete", None)):
        raise TypeError(f"run() needs an AsyncDarkAI client, got {type(client).__name__}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    if not isinstance(rows, Iterable | AsyncIterable) or isinstance(rows, str | bytes | Mapping):
        raise TypeError(f"rows must be an iterable of rows, got {type(rows).__name__}")
    return _run(client, rows, concurrency)


class _Pause:
    """When new rows may start again: not before the latest Retry-After has passed.

    A wait is capped at ``longest`` seconds (the client's cap on a Retry-After
    it honours), so a server asking for hours cannot stall the batch unseen.
    """

    def __init__(self, longest: float) -> None:
        self.until = 0.0
        self._longest = longest

    def hold(self, seconds: float | None) -> None:
        """Let no row start for ``seconds`` (None: :data:`RATE_LIMIT_PAUSE`)."""
        if seconds is None:
            seconds = RATE_LIMIT_PAUSE
        if not seconds > 0:  # NaN too: a server's number
            return
        self.until = max(self.until, time.monotonic() + min(seconds, self._longest))

    def remaining(self) -> float:
        return self.until - time.monotonic()


#: What the loop waits on: a finished row or read, or None, the wake-up after a pause.
_Done = asyncio.Queue["asyncio.Future[Any] | None"]


class _Source:
    """The rows: an iterable read in place, or an async one read by a task of its own."""

    def __init__(self, rows: Rows, done: _Done) -> None:
        self._done = done
        self._iterator: Iterator[Any] | None = None
        self._async: AsyncIterator[Any] | None = None
        if isinstance(rows, AsyncIterable):
            self._async = aiter(rows)
        else:
            self._iterator = iter(rows)
        self.reading: asyncio.Future[Any] | None = None
        self._ready: list[Any] = []
        self.ended = False
        self._taken = 0

    def next(self) -> BatchRow | None:
        """The next row, or None when there is none now (the end, or still being read)."""
        if self._iterator is not None:
            try:
                return self._row(next(self._iterator))
            except StopIteration:
                self.ended = True
                return None
        if self._ready:
            return self._row(self._ready.pop())
        if self.reading is None and self._async is not None:
            self.reading = asyncio.ensure_future(anext(self._async))
            self.reading.add_done_callback(self._done.put_nowait)
        return None

    def _row(self, item: Any) -> BatchRow:
        self._taken += 1
        if isinstance(item, BatchRow):
            return item
        try:
            # The client checks the model by its own strict_models setting.
            return row_from_object(item, strict_models=False)
        except ValueError as exc:
            raise ValueError(f"row {self._taken} of the batch: {exc}") from None

    def read(self, future: asyncio.Future[Any]) -> None:
        """Take the row an async read brought (or its end, or its error)."""
        self.reading = None
        try:
            self._ready.append(future.result())
        except StopAsyncIteration:
            self.ended = True

    def cancel(self) -> list[asyncio.Future[Any]]:
        if self.reading is None:
            return []
        self.reading.cancel()
        return [self.reading]


async def _run(
    client: AsyncDarkAI, rows: Rows, concurrency: int
) -> AsyncGenerator[BatchResult, None]:
    done: _Done = asyncio.Queue()
    source = _Source(rows, done)
    pause = _Pause(client.retry_policy.max_retry_after)
    running: set[asyncio.Future[Any]] = set()
    wake: asyncio.TimerHandle | None = None
    try:
        while True:
            while len(running) < concurrency and not source.ended:
                wait = pause.remaining()
                if wait > 0:
                    if wake is None:
                        wake = asyncio.get_running_loop().call_later(wait, done.put_nowait, None)
                    break
                row = source.next()
                if row is None:
                    break
                task = asyncio.ensure_future(_one(client, row, pause))
                task.add_done_callback(done.put_nowait)
                running.add(task)
            if not running and source.ended:
                return
            finished = await done.get()
            if finished is None:
                wake = None
            elif finished is source.reading:
                source.read(finished)
            else:
                running.discard(finished)
                yield finished.result()
    finally:
        if wake is not None:
            wake.cancel()
        stopping = [*running, *source.cancel()]
        for future in stopping:
            future.cancel()
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)


async def _one(client: AsyncDarkAI, row: BatchRow, pause: _Pause) -> BatchResult:
    """Stream one row's reply to its end or its error, retrying as the client would.

    The batch does the retrying (each request is sent with ``max_retries=0``),
    by the client's retry policy: so it sees every 429, and holds back the
    whole batch for its Retry-After, not only this row's next try.
    """
    policy = client.retry_policy
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            stream = client.stream(row.messages, row.model, max_retries=0)
        except (TypeError, ValueError) as exc:
            exc.add_note(f"in the batch row with id {row.id!r}")
            raise
        try:
            async with stream:
                text = await stream.until_done()
        except DarkAIError as exc:
            # A status error's Retry-After: what the server asks of every request, not one.
            retry_after: float | None = getattr(exc, "retry_after", None)
            if isinstance(exc, RateLimitError):
                pause.hold(retry_after)
            # Once text has arrived a retry would be a different reply: report this one.
            if exc.partial_text or not policy.should_retry(exc, attempt):
                elapsed = time.monotonic() - started
                return BatchResult(
                    row.id, stream.model, exc.partial_text, BatchError.of(exc), elapsed, attempt
                )
            delay = policy.delay(attempt, retry_after)
            attempt += 1
            logger.info(
                "row %r: retry %d of %d in %.2f s after: %s",
                row.id,
                attempt,
                policy.max_retries,
                delay,
                exc,
            )
            await asyncio.sleep(max(delay, pause.remaining()))
            continue
        return BatchResult(row.id, stream.model, text, None, time.monotonic() - started, attempt)
