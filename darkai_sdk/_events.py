"""The DarkAI event layer: event-stream bytes in, text chunks and stream events out.

Pure and I/O-free. Each server-sent event carries one JSON object such as
``{"event": "text-chunk", "data": {"text": "Hel"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._exceptions import ProtocolError
from ._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder

__all__ = ["Event", "EventDecoder", "FinalResponse", "ServerError", "StreamEnd"]


@dataclass(frozen=True, slots=True)
class FinalResponse:
    """The server's whole reply (``final-response``), to check the chunks against."""

    message: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The reply is complete (``stream-end``)."""


@dataclass(frozen=True, slots=True)
class ServerError:
    """An ``error`` event; ``raw`` is its whole data payload."""

    message: str
    raw: str


#: A plain ``str`` is a text chunk: no wrapper object, because chunks are most events.
Event: TypeAlias = str | FinalResponse | StreamEnd | ServerError

# The common event exactly as json.dumps writes it, cut around the text. Splitting
# a feed on _SEP leaves, between two matches, just the text of one event.
_OPEN = b'data: {"event": "text-chunk", "data": {"text": "'
_CLOSE = b'"}}\n\n'
_SEP = _CLOSE + _OPEN
# Raw control characters are invalid in JSON strings; a feed holding one (other
# than LF) skips the fast path, so json.loads reports it.
_CONTROL = bytes(c for c in range(0x20) if c != 0x0A)

# json.decoder.scanstring is not in typeshed; it is the C string scanner json uses.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

# How much of a bad payload a ProtocolError shows in its message, and keeps in ``line``.
_SHOWN_IN_MESSAGE = 200
_SHOWN = 1000


class EventDecoder:
    """Turn the bytes of a DarkAI event stream into :data:`Event` values.

    ``feed()`` takes the next bytes and returns the events they complete;
    ``close()`` marks the end of input (it reports nothing about a missing
    ``stream-end``: that is the caller's call). Text chunks come out as plain
    ``str``; empty ones are dropped. Events with unknown names are skipped and
    counted in ``skipped``. Every error is a :class:`ProtocolError`; a payload
    that is not the expected JSON is one, with the payload in ``line``.

    No event is lost to an error: when ``feed()`` or ``close()`` meets an error
    after decoding events in the same call, it returns those events and raises
    the error at the next call. A decoder that failed keeps raising the same
    error. ``feed()`` after ``close()`` is a RuntimeError.
    """

    __slots__ = ("_sse", "skipped")

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        self.skipped = 0
        self._sse = SSEDecoder(max_line_size=max_line_size)

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they complete."""
        sse = self._sse
        sse._check_open()
        out: list[Event] = []
        try:
            data = sse._normalize(data)
            # A feed longer than the line cap goes the general way, which checks the cap.
            pieces = data.split(_SEP) if len(data) <= sse.max_line_size else [data]
            if len(pieces) > 2 and len(data.translate(None, _CONTROL)) != len(data):
                pieces = [data]
            if len(pieces) == 1:
                self._general(data, out)
                return out
            # The first piece may continue a line or a UTF-8 sequence from the last
            # feed, and the last may be cut anywhere: both take the general way.
            last = pieces.pop()
            self._general(pieces[0] + _CLOSE, out)
            del pieces[0]
            # Each piece left is the text of `data: {"event": "text-chunk", ...}`
            # followed by a blank line, and the decoder is between events. The
            # fast path takes the text when it is plainly a JSON string's content;
            # any doubt sends the piece the general way. Inlined: this loop is hot.
            append = out.append
            for piece in pieces:
                if 10 not in piece:  # one line
                    if 92 not in piece:  # no backslash: no escapes
                        if 34 not in piece:  # no quote: the string ends where the line does
                            try:
                                text = piece.decode()
                            except UnicodeDecodeError:
                                pass  # the general way reports it
                            else:
                                if text:
                                    append(text)
                                continue
                    else:
                        try:
                            text = piece.decode()
                            chunk, end = _scanstring(text + '"', 0)
                        except ValueError:
                            pass  # bad UTF-8 or a bad escape: the general way reports it
                        else:
                            if end == len(text) + 1:  # the string ends where the line does
                                if chunk:
                                    append(chunk)
                                continue
                self._general(_OPEN + piece + _CLOSE, out)
            self._general(_OPEN + last, out)
        except ProtocolError as exc:
            sse._fail(exc)
            if not out:
                raise
        return out

    def close(self) -> list[Event]:
        """End the input: decode a last unterminated line and a pending event."""
        sse = self._sse
        if sse._error is not None:
            raise sse._error
        if sse._closed:
            return []
        sse._closed = True
        out: list[Event] = []
        try:
            events: list[ServerSentEvent] = []
            error: ProtocolError | None
            text, error = sse._decode(b"", final=True)
            try:
                sse._process(text, events)
                if error is None:
                    sse._finish(events)
            except ProtocolError as exc:
                error = exc
            self._convert_all(events, out)
            if error is not None:
                raise error
        except ProtocolError as exc:
            sse._fail(exc)
            if not out:
                raise
        return out

    def _general(self, data: bytes, out: list[Event]) -> None:
        """Decode normalized bytes through the SSE decoder and convert its events."""
        sse = self._sse
        events: list[ServerSentEvent] = []
        error: ProtocolError | None
        text, error = sse._decode(data, final=False)
        try:
            sse._process(text, events)
        except ProtocolError as exc:
            error = exc  # it comes later in the stream than a UTF-8 error would
        # The events complete before the error come first in the stream: convert
        # them (a bad one among them is the error to report).
        self._convert_all(events, out)
        if error is not None:
            raise error

    def _convert_all(self, events: list[ServerSentEvent], out: list[Event]) -> None:
        for event in events:
            self._convert(event, out)

    def _convert(self, event: ServerSentEvent, out: list[Event]) -> None:
        """Append the DarkAI event one server-sent event carries, or count it skipped."""
        raw = event.data
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise _bad_payload(f"not JSON ({exc})", raw) from exc
        if not isinstance(obj, dict):
            raise _bad_payload("not a JSON object", raw)
        if "event" in obj:
            name = obj["event"]
        elif event.event != "message":
            name = event.event
        else:
            raise _bad_payload('no "event" name', raw)
        if not isinstance(name, str):
            raise _bad_payload('"event" is not a string', raw)
        if name == "text-chunk":
            text = _string_field(obj, "text", raw)
            if text:
                out.append(text)
        elif name == "final-response":
            out.append(FinalResponse(_string_field(obj, "message", raw)))
        elif name == "stream-end":
            out.append(StreamEnd())
        elif name == "error":
            out.append(ServerError(_error_message(obj, raw), raw))
        else:
            self.skipped += 1


def _string_field(obj: dict[str, Any], key: str, raw: str) -> str:
    payload = obj.get("data")
    if not isinstance(payload, dict):
        raise _bad_payload('"data" is not an object', raw)
    value = payload.get(key)
    if not isinstance(value, str):
        raise _bad_payload(f'"data.{key}" is not a string', raw)
    return value


def _error_message(obj: dict[str, Any], raw: str) -> str:
    """An error event's message: data.message, else data.error, else the payload."""
    payload = obj.get("data")
    if isinstance(payload, dict):
        for key in ("message", "error"):
            value = payload.get(key)
            if isinstance(value, str):
                return value
    return raw


def _bad_payload(reason: str, raw: str) -> ProtocolError:
    shown = raw if len(raw) <= _SHOWN_IN_MESSAGE else raw[:_SHOWN_IN_MESSAGE] + "..."
    return ProtocolError(f"malformed DarkAI event, {reason}: {shown!r}", line=raw[:_SHOWN])
