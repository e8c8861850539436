"""How a reply is shown: plain text as it streams, or one JSON object per line (``--json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ._console import escape_controls

if TYPE_CHECKING:
    from .._reply import StreamMetrics

__all__ = ["Summary", "Renderer", "TextRenderer", "JsonRenderer"]


@dataclass(frozen=True, slots=True)
class Summary:
    """What is known about a reply once it is whole."""

    model: str
    characters: int
    seconds: float
    #: Whether ``final-response`` equals the streamed text; None when none was sent.
    final_message_matches: bool | None


class Renderer:
    """Writes one reply at a time, flushing every chunk, and keeps the text of the current one."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._chunks: list[str] | None = None
        #: How the reply in progress went, once its stream has ended (None before).
        self.metrics: StreamMetrics | None = None

    @property
    def partial_text(self) -> str:
        """The text written so far of the reply in progress ("" between replies)."""
        return "".join(self._chunks or ())

    def begin(self) -> None:
        """Start a new reply."""
        self._chunks = []
        self.metrics = None

    def text(self, chunk: str) -> None:
        """Write the next chunk of the reply at once."""
        if self._chunks is None:
            self._chunks = []
        self._chunks.append(chunk)
        self._write_text(chunk)

    def done(self, summary: Summary) -> None:
        """The reply is whole."""
        self._write_done(summary)
        self._chunks = None
        self.metrics = None

    def failed(self, error: str, message: str) -> None:
        """The reply (or the attempt to start one) stopped with ``error``, a class name."""
        self._write_failed(error, message, self.partial_text)
        self._chunks = None
        self.metrics = None

    def _write_text(self, chunk: str) -> None:
        raise NotImplementedError

    def _write_done(self, summary: Summary) -> None:
        raise NotImplementedError

    def _write_failed(self, error: str, message: str, partial_text: str) -> None:
        raise NotImplementedError


class TextRenderer(Renderer):
    """The reply as plain text; its last line is always ended with a newline.

    With ``terminal=True`` (stdout is a terminal) control characters in the
    reply are shown escaped (``\\x1b``), except newline and tab, and CRLF is
    shown as a newline: the reply cannot move the cursor, recolour, clear or
    retitle the terminal. Otherwise the text is written exactly as received.
    """

    def __init__(self, out: TextIO, *, terminal: bool = False) -> None:
        super().__init__(out)
        self.line_open = False
        self._terminal = terminal
        self._held_cr = False  # a CR that ended a chunk: the next may start with LF

    def end_line(self) -> None:
        """Write a newline if the text written so far does not end with one."""
        if self._held_cr:
            self._held_cr = False
            self._write_text("\\r")  # a lone CR at the very end, shown
        if self.line_open:
            self.line_open = False
            self.out.write("\n")
            self.out.flush()

    def _for_terminal(self, chunk: str) -> str:
        if self._held_cr:
            self._held_cr = False
            chunk = "\r" + chunk
        if chunk.endswith("\r"):
            self._held_cr = True
            chunk = chunk[:-1]
        return escape_controls(chunk.replace("\r\n", "\n"), keep="\n\t")

    def _write_text(self, chunk: str) -> None:
        if self._terminal:
            chunk = self._for_terminal(chunk)
        if chunk:
            # Set first: a Ctrl-C right after the write must still see the line as open.
            self.line_open = not chunk.endswith("\n")
            self.out.write(chunk)
            self.out.flush()

    def _write_done(self, summary: Summary) -> None:
        self.end_line()

    def _write_failed(self, error: str, message: str, partial_text: str) -> None:
        # The error goes to stderr; end the partial reply's line so it shows on its own.
        self.end_line()


class JsonRenderer(Renderer):
    """One JSON object per line: ``text`` per chunk, then ``done`` or ``error``.

    Both end objects carry the stream's ``metrics`` once it ran (times rounded
    to the microsecond).
    """

    def _write_text(self, chunk: str) -> None:
        self._emit({"type": "text", "text": chunk})

    def _write_done(self, summary: Summary) -> None:
        self._emit(
            {
                "type": "done",
                "model": summary.model,
                "characters": summary.characters,
                "seconds": round(summary.seconds, 3),
                "final_message_matches": summary.final_message_matches,
                **self._metrics(),
            }
        )

    def _write_failed(self, error: str, message: str, partial_text: str) -> None:
        self._emit(
            {
                "type": "error",
                "error": error,
                "message": message,
                "partial_text": partial_text,
                **self._metrics(),
            }
        )

    def _metrics(self) -> dict[str, Any]:
        if self.metrics is None:
            return {}
        figures = {
            name: round(value, 6) if isinstance(value, float) else value
            for name, value in self.metrics.as_dict().items()
        }
        return {"metrics": figures}

    def _emit(self, event: dict[str, Any]) -> None:
        # ASCII-only JSON: a reader decodes it whatever the locale, and U+2028 stays escaped.
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()
