"""What one reply has received so far, and what each non-text event means for it."""

from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings
from collections.abc import Callable

from ._events import FinalResponse, ServerError, StreamEnd
from ._exceptions import (
    DarkAIError,
    IncompleteStreamError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
)

__all__ = ["ReplyState"]


class _Tally:
    """Counts and hashes chunks that are not kept, so final-response can still be checked."""

    __slots__ = ("digest", "length")

    def __init__(self) -> None:
        self.length = 0
        self.digest = hashlib.blake2b(digest_size=16)

    def add(self, chunk: str) -> None:
        self.length += len(chunk)
        self.digest.update(chunk.encode("utf-8", "surrogatepass"))

    def matches(self, message: str) -> bool:
        if len(message) != self.length:
            return False
        digest = hashlib.blake2b(message.encode("utf-8", "surrogatepass"), digest_size=16)
        return digest.digest() == self.digest.digest()


class ReplyState:
    """The text chunks, final message and progress of one reply (no I/O).

    ``append`` takes each text chunk. With ``keep_text=False`` chunks are only
    counted and hashed: memory stays flat however long the reply, ``text`` is
    empty, and errors carry no partial text (the caller already has it).
    """

    __slots__ = (
        "_tally",
        "append",
        "chunks",
        "done",
        "error",
        "final_message",
        "raise_on_mismatch",
        "retries",
        "started",
    )

    def __init__(self, *, raise_on_mismatch: bool = False, keep_text: bool = True) -> None:
        self.chunks: list[str] = []
        self._tally = None if keep_text else _Tally()
        # A bound method of the list (or of the tally), never of self: no reference cycle.
        self.append: Callable[[str], None] = (
            self.chunks.append if self._tally is None else self._tally.add
        )
        self.final_message: str | None = None
        self.done = False
        self.error: DarkAIError | None = None
        self.raise_on_mismatch = raise_on_mismatch
        self.started = time.monotonic()
        self.retries = 0

    @property
    def text(self) -> str:
        """All text received so far ("" when text is not kept)."""
        return "".join(self.chunks)

    @property
    def received(self) -> int:
        """How many characters of text have been received."""
        if self._tally is not None:
            return self._tally.length
        return sum(map(len, self.chunks))

    def has_text(self) -> bool:
        """Whether any text has reached the caller (a retry would repeat it)."""
        return bool(self.chunks) if self._tally is None else self._tally.length > 0

    def whole_text(self) -> str:
        """The text if the reply is whole; else its error (or IncompleteStreamError)."""
        if self.error is not None:
            raise self.error
        if not self.done:
            raise IncompleteStreamError(
                f"the stream was closed before stream-end, after {self.received} characters",
                partial_text=self.text,
            )
        return self.text

    @property
    def elapsed(self) -> float:
        """Seconds since the reply was asked for."""
        return time.monotonic() - self.started

    def handle(self, event: FinalResponse | StreamEnd | ServerError) -> bool:
        """Apply a non-text event; True at stream-end. Errors keep the text received."""
        if type(event) is StreamEnd:
            self.done = True
            return True
        if type(event) is FinalResponse:
            self.final_message = event.message
            text = self.text
            same = (
                event.message == text if self._tally is None else self._tally.matches(event.message)
            )
            if not same:
                message = (
                    f"final-response ({len(event.message)} characters) differs from the "
                    f"{self.received} characters of text-chunk events received"
                )
                if self.raise_on_mismatch:
                    raise StreamIntegrityError(
                        message, final_message=event.message, partial_text=text
                    )
                warnings.warn(message, StreamIntegrityWarning, stacklevel=_caller_level())
            return False
        if type(event) is ServerError:
            raise ServerEventError(
                f"the server reported an error: {event.message}", partial_text=self.text
            )
        raise TypeError(f"unexpected event {event!r}")  # pragma: no cover - decoder contract

    def incomplete(self) -> IncompleteStreamError:
        """The error for a body that ended before stream-end."""
        return IncompleteStreamError(
            f"the reply ended before stream-end after {self.received} characters",
            partial_text=self.text,
        )


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _caller_level() -> int:
    """The stacklevel of the first frame outside this package: the user's line."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
