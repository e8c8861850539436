"""What one reply has received so far, and what each non-text event means for it."""

from __future__ import annotations

import hashlib
import inspect
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from ._events import FinalResponse, ServerError, StreamEnd
from ._exceptions import (
    DarkAIError,
    IncompleteStreamError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from ._info import Headers

__all__ = ["ReplyState", "StreamMetrics"]

_NO_HEADERS = Headers()


@dataclass(frozen=True, slots=True)
class StreamMetrics:
    """How one reply went, so far: a snapshot taken when ``stream.metrics`` is read.

    Times are in seconds from the start of iteration (when the request is sent).
    """

    #: Until the first text arrived (retries and their waits included); None before.
    time_to_first_text: float | None
    #: Until now, or until the reply ended (whole, failed or closed).
    elapsed: float
    #: Characters of text received.
    chars: int
    #: Events received: each text chunk, final-response, stream-end and error
    #: (events of unknown name are skipped, not counted).
    events: int
    #: Times the request was retried before the reply began.
    retries: int
    #: ``chars / elapsed`` (0.0 before any time has passed).
    chars_per_second: float

    def as_dict(self) -> dict[str, float | int | None]:
        """The metrics as a JSON-ready dict."""
        return asdict(self)


class ReplyState:
    """The text, final message and progress of one reply (no I/O).

    ``append`` takes each text chunk as it reaches the caller; ``settle()``,
    called once per read, moves the chunks so far into a UTF-8 store: a str of
    text with one emoji in it costs 4 bytes a character, its UTF-8 about one.
    With ``keep_text=False`` chunks are only counted and hashed instead: memory
    stays flat however long the reply, ``text`` is empty, and errors carry no
    partial text (the caller already has it).
    """

    __slots__ = (
        "_chars",
        "_chunks",
        "_digest",
        "_kept",
        "_pending",
        "_replaced",
        "append",
        "done",
        "ended",
        "error",
        "events",
        "final_message",
        "first_text",
        "headers",
        "raise_on_mismatch",
        "retries",
        "started",
        "status_code",
    )

    def __init__(self, *, raise_on_mismatch: bool = False, keep_text: bool = True) -> None:
        self._pending: list[str] = []  # chunks given since the last settle()
        # A bound method of the list, never of self: no reference cycle.
        self.append: Callable[[str], None] = self._pending.append
        self._kept: bytearray | None = bytearray() if keep_text else None
        self._digest = None if keep_text else hashlib.blake2b(digest_size=16)
        self._chars = 0  # characters settled
        self._chunks = 0  # chunks settled
        self._replaced = 0  # lone surrogates reported so far
        self.final_message: str | None = None
        self.done = False
        self.error: DarkAIError | None = None
        self.raise_on_mismatch = raise_on_mismatch
        #: time.monotonic() when iteration began, the first text arrived (the time of
        #: the latest read until text has come), the reply ended.
        self.started: float | None = None
        self.first_text: float | None = None
        self.ended: float | None = None
        #: Events other than text chunks: final-response, stream-end, error.
        self.events = 0
        self.retries = 0
        #: The response being read, once the reply began.
        self.status_code: int | None = None
        self.headers = _NO_HEADERS

    def begin(self) -> None:
        """Iteration starts: the request is about to be sent."""
        self.started = time.monotonic()

    def began(self, status_code: int, headers: Mapping[str, str]) -> None:
        """A response arrived whose body is the reply (or, on a retry, its next try)."""
        self.status_code = status_code
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)

    def end(self) -> None:
        """The reply ended (whole, failed or closed): its clock stops."""
        if self.ended is None:
            self.ended = time.monotonic()

    def metrics(self) -> StreamMetrics:
        """A snapshot of how the reply went so far."""
        started = self.started
        if started is None:
            return StreamMetrics(None, 0.0, 0, 0, self.retries, 0.0)
        end = self.ended if self.ended is not None else time.monotonic()
        elapsed = max(0.0, end - started)
        chars = self.received
        first = None if self.first_text is None or not chars else self.first_text - started
        return StreamMetrics(
            time_to_first_text=first,
            elapsed=elapsed,
            chars=chars,
            events=self.chunks + self.events,
            retries=self.retries,
            chars_per_second=chars / elapsed if elapsed > 0 else 0.0,
        )

    def settle(self) -> None:
        """Move the chunks given so far into the UTF-8 store (or the tally)."""
        pending = self._pending
        if not pending:
            return
        text = "".join(pending)
        self._chunks += len(pending)
        pending.clear()
        self._chars += len(text)
        data = text.encode("utf-8", "surrogatepass")
        if self._kept is not None:
            self._kept += data
        elif self._digest is not None:
            self._digest.update(data)

    @property
    def text(self) -> str:
        """All text received so far ("" when text is not kept)."""
        if self._kept is None:
            return ""
        return self._kept.decode("utf-8", "surrogatepass") + "".join(self._pending)

    @property
    def received(self) -> int:
        """How many characters of text have been received."""
        return self._chars + sum(map(len, self._pending))

    @property
    def chunks(self) -> int:
        """How many text chunks have been received."""
        return self._chunks + len(self._pending)

    def has_text(self) -> bool:
        """Whether any text has reached the caller (a retry would repeat it)."""
        return self._chars > 0 or bool(self._pending)

    def whole_text(self) -> str:
        """The text if the reply is whole; else its error (or IncompleteStreamError)."""
        if self.error is not None:
            raise self.error
        if not self.done:
            raise self.fail(
                IncompleteStreamError(
                    f"the stream was closed before stream-end, after {self.received} characters"
                )
            )
        return self.text

    def fail(self, error: DarkAIError) -> DarkAIError:
        """Record ``error`` as the reply's, with the text received as its ``partial_text``."""
        error.partial_text = self.text
        self.error = error
        return error

    def report_replaced(self, count: int) -> None:
        """Warn once per new lone UTF-16 surrogate the decoder replaced with U+FFFD."""
        if count > self._replaced:
            warnings.warn(
                f"{count - self._replaced} unpaired UTF-16 surrogate(s) in the reply's text "
                "replaced with U+FFFD",
                StreamIntegrityWarning,
                stacklevel=_caller_level(),
            )
            self._replaced = count

    def _matches(self, message: str) -> bool:
        """Whether ``message`` is exactly the text received."""
        self.settle()
        if len(message) != self._chars:
            return False
        data = message.encode("utf-8", "surrogatepass")
        if self._kept is not None:
            return self._kept == data
        if self._digest is None:  # pragma: no cover - one of the two is always set
            return False
        return hashlib.blake2b(data, digest_size=16).digest() == self._digest.digest()

    def handle(self, event: FinalResponse | StreamEnd | ServerError) -> bool:
        """Apply a non-text event; True at stream-end. Errors keep the text received."""
        self.events += 1
        if type(event) is StreamEnd:
            self.done = True
            return True
        if type(event) is FinalResponse:
            self.final_message = event.message
            if not self._matches(event.message):
                message = (
                    f"final-response ({len(event.message)} characters) differs from the "
                    f"{self.received} characters of text-chunk events received"
                )
                if self.raise_on_mismatch:
                    raise StreamIntegrityError(message, final_message=event.message)
                warnings.warn(message, StreamIntegrityWarning, stacklevel=_caller_level())
            return False
        if type(event) is ServerError:
            raise ServerEventError(f"the server reported an error: {event.message}")
        raise TypeError(f"unexpected event {event!r}")  # pragma: no cover - decoder contract


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _caller_level() -> int:
    """The stacklevel of the first frame outside this package: the user's line."""
    level = 1
    here = inspect.currentframe()
    frame = here.f_back if here is not None else None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
