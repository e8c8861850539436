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
from ._sse import DEFAULT_MAX_LINE_SIZE, Dispatched, SSEDecoder

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

# The common event exactly as json.dumps writes it, cut around the text: between
# two matches of _SEP in a feed lies just the text of one event.
_OPEN = b'data: {"event": "text-chunk", "data": {"text": "'
_CLOSE = b'"}}\n\n'
_SEP = _CLOSE + _OPEN
_QUOTES_PER_SEP = _SEP.count(b'"')
# Raw control characters are invalid in JSON strings: json.loads must see them.
_CONTROL = bytes(c for c in range(0x20) if c != 0x0A)

_MAX_SLICE = 1 << 20
# An unfinished common line at the end of a feed up to this size waits for the next
# feed, which then starts with it: no feed boundary cuts into the fast path.
_MAX_CARRY = 4096

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

    __slots__ = ("_carry", "_sse", "skipped")

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        self.skipped = 0
        self._sse = SSEDecoder(max_line_size=max_line_size)
        self._carry = b""  # the start of an unfinished line: see _MAX_CARRY

    @property
    def error(self) -> ProtocolError | None:
        """The error met so far, if any: feed() and close() raise it from now on.

        A caller that got events with the error held back can raise it at once
        instead of waiting for more input.
        """
        return self._sse._error

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they complete."""
        sse = self._sse
        sse._check_open()
        out: list[Event] = []
        try:
            data = sse._normalize(data)
            # The fast path takes bytes no longer than the line cap, so that no line
            # in them can be longer; and a bounded size bounds its temporary copies.
            step = min(sse.max_line_size, _MAX_SLICE)
            if len(data) <= step:
                self._feed(data, out)
            else:
                for start in range(0, len(data), step):
                    self._feed(data[start : start + step], out)
        except ProtocolError as exc:
            self._fail(exc)
            if not out:
                raise
        return out

    def _feed(self, data: bytes, out: list[Event]) -> None:
        """Decode LF-only bytes no longer than the line cap, after any carried ones."""
        sse = self._sse
        if self._carry:
            carry, self._carry = self._carry, b""
            if len(carry) + len(data) <= sse.max_line_size:
                data = carry + data
            else:  # a small cap: the fast path must not see more than the cap
                self._general(carry, out)
        # Common events come in a run: `data: {"event": "text-chunk", ...{"text": "`
        # after a blank line (the _OPEN that ends each _SEP), text, and _CLOSE. Find
        # where the run starts: at once, when the decoder is between events and the
        # bytes start with _OPEN; else after the first _SEP, the bytes before it
        # going the general way (they may end a line begun in the last feed).
        if data.startswith(_OPEN) and sse._between_events():
            sse._at_start = False  # a BOM can no longer come: the stream has begun
            start = len(_OPEN)
        else:
            first = data.find(_SEP)
            if first < 0:
                self._general(data, out)
                return
            self._general(data[:first] + _CLOSE, out)
            start = first + len(_SEP)
        end = data.rfind(_SEP, start)
        if end >= 0:
            self._texts(data[start:end], out)
            start = end + len(_SEP)
        rest = data[start - len(_OPEN) :]  # the last common line, and what follows
        if 10 in rest or len(rest) > _MAX_CARRY:
            self._general(rest, out)
        else:
            self._carry = rest  # an unfinished line: no event to give yet

    def _texts(self, region: bytes, out: list[Event]) -> None:
        """Decode texts joined by _SEP, exactly as the general way would.

        Any doubt about a text sends its event the general way.
        """
        # Joined as the strings of one JSON array, all texts are decoded by one call
        # of json's C scanner. When no text holds a quote that is exact: each text
        # is one element, or json.loads fails (a backslash before a delimiter leaves
        # a string unterminated; controls, LFs and bad escapes are errors) and the
        # way below reports the error in stream order.
        body = region.replace(_SEP, b'","')
        seps = (len(region) - len(body)) // (len(_SEP) - 3)
        if region.count(34) == _QUOTES_PER_SEP * seps:
            try:
                texts = json.loads('["' + body.decode() + '"]')
            except ValueError:
                pass
            else:
                if "" in texts:  # rare: test first, as filtering costs more
                    texts = [text for text in texts if text]
                out += texts
                return
        pieces = region.split(_SEP)
        if len(region.translate(None, _CONTROL)) != len(region):
            for piece in pieces:
                self._general(_OPEN + piece + _CLOSE, out)
            return
        # Text by text, inlined: this loop is hot when texts hold quotes.
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
            if self._carry:
                carry, self._carry = self._carry, b""
                self._general(carry, out)
            events: list[Dispatched] = []
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
            self._fail(exc)
            if not out:
                raise
        return out

    def _fail(self, error: ProtocolError) -> None:
        self._carry = b""
        self._sse._fail(error)

    def _general(self, data: bytes, out: list[Event]) -> None:
        """Decode normalized bytes through the SSE decoder and convert its events."""
        sse = self._sse
        events: list[Dispatched] = []
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

    def _convert_all(self, events: list[Dispatched], out: list[Event]) -> None:
        for sse_name, raw, _, _ in events:
            self._convert(sse_name, raw, out)

    def _convert(self, sse_name: str, raw: str, out: list[Event]) -> None:
        """Append the DarkAI event one server-sent event carries, or count it skipped.

        ``sse_name`` is the event's ``event:`` field, ``raw`` its data. An event
        with empty data (a bare ``data:`` line, a keep-alive) is skipped.
        """
        if not raw:
            self.skipped += 1
            return
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise _bad_payload(f"not JSON ({exc})", raw) from exc
        if not isinstance(obj, dict):
            raise _bad_payload("not a JSON object", raw)
        if "event" in obj:
            name = obj["event"]
        elif sse_name != "message":
            name = sse_name
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
