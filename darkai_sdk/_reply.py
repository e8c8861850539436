"""What one reply has received so far, and what each non-text event means for it."""

from __future__ import annotations

import time
import warnings

from ._events import FinalResponse, ServerError, StreamEnd
from ._exceptions import (
    IncompleteStreamError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
)

__all__ = ["ReplyState"]


class ReplyState:
    """The text chunks, final message and progress of one reply (no I/O)."""

    __slots__ = ("chunks", "done", "final_message", "raise_on_mismatch", "retries", "started")

    def __init__(self, *, raise_on_mismatch: bool = False) -> None:
        self.chunks: list[str] = []
        self.final_message: str | None = None
        self.done = False
        self.raise_on_mismatch = raise_on_mismatch
        self.started = time.monotonic()
        self.retries = 0

    @property
    def text(self) -> str:
        """All text received so far."""
        return "".join(self.chunks)

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
            if event.message != text:
                message = (
                    f"final-response ({len(event.message)} characters) differs from the "
                    f"{len(text)} characters of text-chunk events received"
                )
                if self.raise_on_mismatch:
                    raise StreamIntegrityError(
                        message, final_message=event.message, partial_text=text
                    )
                warnings.warn(message, StreamIntegrityWarning, stacklevel=4)
            return False
        if type(event) is ServerError:
            raise ServerEventError(
                f"the server reported an error: {event.message}", partial_text=self.text
            )
        raise TypeError(f"unexpected event {event!r}")  # pragma: no cover - decoder contract

    def incomplete(self) -> IncompleteStreamError:
        """The error for a body that ended before stream-end."""
        return IncompleteStreamError(
            f"the reply ended before stream-end after {sum(map(len, self.chunks))} characters",
            partial_text=self.text,
        )
