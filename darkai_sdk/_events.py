"""The DarkAI event layer: event-stream bytes in, text chunks and stream events out.

Pure and I/O-free. Each server-sent event carries one JSON object such as
``{"event": "text-chunk", "data": {"text": "Hel"}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._exceptions import ProtocolError
from ._sse import DEFAULT_MAX_LINE_SIZE, Dispatched, LineEnds, SSEDecoder
from ._template import Template, learn_template
from ._texts import Surrogates, can_carry, decode_bodies, may_hold_surrogates, scanstring

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

_MAX_SLICE = 1 << 20
# An unfinished template event at the end of a feed up to this size waits for the
# next feed, which then starts with it: no feed boundary cuts into a run.
# How many times a stream may try to learn its events' template (see _template.py).
_LEARN_TRIES = 8


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

    Text is always valid Unicode: a UTF-16 surrogate pair split across two
    text-chunk events (as JavaScript servers slice strings) is joined, the high
    half waiting for the next chunk; a surrogate that never gets its partner
    becomes U+FFFD and is counted in ``replaced``.

    No event is lost to an error: when ``feed()`` or ``close()`` meets an error
    after decoding events in the same call, it returns those events and raises
    the error at the next call. A decoder that failed keeps raising the same
    error. ``feed()`` after ``close()`` is a RuntimeError.

    Speed: the events of one stream are written by one encoder, so they share
    one form around their text. The decoder learns that form from the stream
    (:mod:`._template`) and decodes runs of such events in one pass of json's C
    scanner; anything else takes the general way, through :class:`SSEDecoder`.
    """

    __slots__ = (
        "_carry",
        "_ends",
        "_fast",
        "_learn_tries",
        "_sse",
        "_step",
        "_surrogates",
        "_template",
        "skipped",
    )

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        self.skipped = 0
        self._sse = SSEDecoder(max_line_size=max_line_size)
        # A run is decoded from bytes no longer than the line cap, so no line in
        # it can be longer; and a bounded size bounds its temporary copies.
        self._step = min(max_line_size, _MAX_SLICE)
        self._ends = LineEnds()
        self._template: Template | None = None
        self._learn_tries = _LEARN_TRIES
        self._carry = b""  # the start of an unfinished event: see can_carry()
        # The template while the next bytes may take it at once, the SSE decoder
        # being idle (else None). Set after each _feed_all.
        self._fast: Template | None = None
        self._surrogates = Surrogates()

    @property
    def replaced(self) -> int:
        """How many lone UTF-16 surrogates in the text became U+FFFD."""
        return self._surrogates.replaced

    @property
    def error(self) -> ProtocolError | None:
        """The error met so far, if any: feed() and close() raise it from now on.

        A caller that got events with the error held back can raise it at once
        instead of waiting for more input.
        """
        return self._sse.error

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they complete."""
        if 13 in data or self._ends.cr:
            data = self._ends(data)
        template = self._fast
        if template is None:
            return self._feed_all(data)
        if (
            data.endswith(template.close)
            and data.startswith(template.open)
            and not self._carry
            and len(data) <= self._step
        ):
            # One event, as a server flushing every token sends them: json's C
            # string scanner alone. A second event (its quotes end the string
            # early) or a bad byte goes the longer way.
            try:
                body = data[len(template.open) : len(data) - len(template.close)].decode()
                text, after = scanstring(body + '"', 0)
            except ValueError:
                return self._feed_all(data)
            if (
                after == len(body) + 1
                and not self._surrogates.pending
                and (92 not in data or (b"\\ud" not in data and b"\\uD" not in data))
            ):
                return [text] if text else []
        # The common read, in one step: template events, whole, then perhaps the
        # start of the next (carried). Exactly what _feed_all would do; anything
        # else goes there, with nothing changed.
        whole = self._carry + data if self._carry else data
        end = whole.rfind(b"\n\n") + 2
        if end < 2:  # not one whole event yet: nothing to give
            if not can_carry(whole, self._step):
                return self._feed_all(data)
            self._carry = whole
            return []
        if (
            len(whole) > self._step
            or not whole.startswith(template.open)
            or not whole.endswith(template.close, 0, end)
        ):
            return self._feed_all(data)
        start = len(template.open)
        stop = end - len(template.close)
        if whole.find(b"\n\n", start) + 2 == end:
            # One event, as a server flushing every token sends them: json's C
            # string scanner alone (an inner quote or any bad byte ends it early).
            try:
                body = whole[start:stop].decode()
                text, after = scanstring(body + '"', 0)
            except ValueError:
                return self._feed_all(data)
            if after != len(body) + 1:
                return self._feed_all(data)
            texts = [text]
        else:
            batch = decode_bodies(whole[start:stop], template.sep)
            if batch is None:
                return self._feed_all(data)
            texts = batch
        if end < len(whole):
            rest = whole[end:]
            if not can_carry(rest, self._step):
                return self._feed_all(data)
            self._carry = rest
        else:
            self._carry = b""
        if self._surrogates.pending or may_hold_surrogates(whole):
            texts = self._surrogates.pair(texts)
        if "" in texts:  # rare: test first, as filtering costs more
            texts = [text for text in texts if text]
        return texts  # type: ignore[return-value]

    def _feed_all(self, data: bytes) -> list[Event]:
        """feed() for any LF-only bytes in any state."""
        sse = self._sse
        if sse.error is not None:
            raise sse.error
        if sse.closed:
            raise RuntimeError("feed() called after close()")
        self._fast = None
        out: list[Event] = []
        try:
            step = self._step
            if len(data) <= step:
                self._feed(data, out)
            else:
                for start in range(0, len(data), step):
                    self._feed(data[start : start + step], out)
        except ProtocolError as exc:
            self._fail(exc)
            if not out:
                raise
        if self._template is not None and sse.idle:
            self._fast = self._template
        return out

    def close(self) -> list[Event]:
        """End the input: decode a last unterminated line and a pending event."""
        sse = self._sse
        if sse.error is not None:
            raise sse.error
        if sse.closed:
            return []
        self._fast = None
        out: list[Event] = []
        try:
            if self._carry:
                carry, self._carry = self._carry, b""
                self._general(carry, out)
            events: list[Dispatched] = []
            error: ProtocolError | None = None
            try:
                sse.end(events)
            except ProtocolError as exc:
                error = exc
            self._convert_all(events, out)
            if error is not None:
                raise error
            self._flush_surrogate(out)
        except ProtocolError as exc:
            self._fail(exc)
            if not out:
                raise
        return out

    def _fail(self, error: ProtocolError) -> None:
        self._carry = b""
        self._sse.fail(error)

    def _feed(self, data: bytes, out: list[Event]) -> None:
        """Decode LF-only bytes no longer than the line cap, after any carried ones."""
        sse = self._sse
        if self._carry:
            carry, self._carry = self._carry, b""
            if len(carry) + len(data) <= sse.max_line_size:
                data = carry + data
            else:  # a small cap: a run must not see more than the cap
                self._general(carry, out)
        pos = 0
        size = len(data)
        while pos < size:
            if not sse.idle:
                # Within an event: the general way, to the blank line that ends it.
                end = data.find(b"\n\n", pos)
                if end < 0:
                    self._general(data[pos:] if pos else data, out)
                    return
                self._general(data[pos : end + 2], out)
                pos = end + 2
                continue
            template = self._template
            if template is not None and data.startswith(template.open, pos):
                pos = self._run(template, data, pos, out)
                continue
            if self._learn_tries and self._learn(data, pos):
                continue
            if template is None:
                self._general(data[pos:] if pos else data, out)
                return
            # Up to the next template event (if any), the general way.
            first = data.find(template.sep, pos)
            if first < 0:
                self._general(data[pos:] if pos else data, out)
                return
            end = first + len(template.close)
            self._general(data[pos:end], out)
            pos = end

    def _learn(self, data: bytes, pos: int) -> bool:
        """Try to learn the template from the whole event at ``pos``; True if one was learned."""
        end = data.find(b"\n\n", pos)
        if end < 0 or data.find(b"text-chunk", pos, end) < 0:
            return False  # only a whole text-chunk event can teach it
        self._learn_tries -= 1
        template = learn_template(data[pos : end + 2])
        if template is None:
            return False
        self._template = template
        return True

    def _run(self, template: Template, data: bytes, pos: int, out: list[Event]) -> int:
        """Decode the run of template events at ``pos``; return where it stopped.

        ``data[pos:]`` starts with ``template.open`` and the SSE decoder is idle.
        Whole events are decoded; an unfinished one at the end is carried.
        """
        start = pos + len(template.open)
        blank = data.rfind(b"\n\n", start)
        if blank >= 0:
            whole = blank + 2
            if data.endswith(template.close, start, whole):
                self._texts(template, data[start : whole - len(template.close)], out)
            else:  # the last whole event is of another kind
                last = data.rfind(template.sep, start, whole)
                if last >= 0:
                    self._texts(template, data[start:last], out)
                    start = last + len(template.sep)
                self._general(data[start - len(template.open) : whole], out)
            pos = whole
        if pos < len(data):
            rest = data[pos:]
            if can_carry(rest, self._step):
                self._carry = rest  # an unfinished event: nothing to give yet
            else:
                self._general(rest, out)
        return len(data)

    def _texts(self, template: Template, region: bytes, out: list[Event]) -> None:
        """Decode texts joined by ``template.sep``, exactly as the general way would.

        Any doubt about a text sends its event the general way.
        """
        texts = decode_bodies(region, template.sep)
        if texts is None:
            # Some event here is not a plain template event (a final-response amid
            # the run, say) or is malformed: find it by halves, in stream order.
            pieces = region.split(template.sep)
            self._pieces(template, pieces, 0, len(pieces), out)
            return
        if self._surrogates.pending or may_hold_surrogates(region):
            texts = self._surrogates.pair(texts)
        if "" in texts:  # rare: test first, as filtering costs more
            texts = [text for text in texts if text]
        out += texts

    def _pieces(
        self, template: Template, pieces: list[bytes], lo: int, hi: int, out: list[Event]
    ) -> None:
        """Decode the texts ``pieces[lo:hi]``: in one batch if it can, else each half."""
        joined = template.sep.join(pieces[lo:hi]) if hi - lo > 1 else pieces[lo]
        texts = decode_bodies(joined, template.sep)
        if texts is None:
            if hi - lo == 1:
                self._general(template.open + joined + template.close, out)
                return
            mid = (lo + hi) // 2
            self._pieces(template, pieces, lo, mid, out)
            self._pieces(template, pieces, mid, hi, out)
            return
        if self._surrogates.pending or may_hold_surrogates(joined):
            texts = self._surrogates.pair(texts)
        out += [text for text in texts if text]

    def _flush_surrogate(self, out: list[Event]) -> None:
        """A high surrogate still waiting for its pair will not get it: U+FFFD."""
        if self._surrogates.pending:
            out.append(self._surrogates.flush())

    def _general(self, data: bytes, out: list[Event]) -> None:
        """Decode LF-only bytes through the SSE decoder and convert its events."""
        events: list[Dispatched] = []
        error: ProtocolError | None = None
        try:
            self._sse.push(data, events)
        except ProtocolError as exc:
            error = exc
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
            if self._surrogates.pending or "\\u" in raw:
                (text,) = self._surrogates.pair([text])
            if text:
                out.append(text)
        elif name == "final-response":
            self._flush_surrogate(out)
            message = _string_field(obj, "message", raw)
            if "\\u" in raw:  # repaired as the chunks are, to compare; the text counts
                message = self._surrogates.whole(message, count=False)
            out.append(FinalResponse(message))
        elif name == "stream-end":
            self._flush_surrogate(out)
            out.append(StreamEnd())
        elif name == "error":
            self._flush_surrogate(out)
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
