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
from ._sse import DEFAULT_MAX_LINE_SIZE, Dispatched, LineEnds, SSEDecoder
from ._template import Template, learn_template

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
_MAX_CARRY = 4096
# How many times a stream may try to learn its events' template (see _template.py).
_LEARN_TRIES = 8
_HIGH_SURROGATES = ("\ud800", "\udbff")

# json's C scanner: scan(s, i) -> (value, end); no wrapper around it, as it runs per run.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

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
        "_high",
        "_learn_tries",
        "_sse",
        "_template",
        "replaced",
        "skipped",
    )

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        self.skipped = 0
        self.replaced = 0
        self._sse = SSEDecoder(max_line_size=max_line_size)
        self._ends = LineEnds()
        self._template: Template | None = None
        self._learn_tries = _LEARN_TRIES
        self._carry = b""  # the start of an unfinished template event: see _MAX_CARRY
        self._high = ""  # a high surrogate that ended the last text, waiting for its pair

    @property
    def error(self) -> ProtocolError | None:
        """The error met so far, if any: feed() and close() raise it from now on.

        A caller that got events with the error held back can raise it at once
        instead of waiting for more input.
        """
        return self._sse.error

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they complete."""
        sse = self._sse
        if sse.error is not None:
            raise sse.error
        if sse.closed:
            raise RuntimeError("feed() called after close()")
        out: list[Event] = []
        try:
            data = self._ends(data)
            # A run is decoded from bytes no longer than the line cap, so no line
            # in it can be longer; and a bounded size bounds its temporary copies.
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

    def close(self) -> list[Event]:
        """End the input: decode a last unterminated line and a pending event."""
        sse = self._sse
        if sse.error is not None:
            raise sse.error
        if sse.closed:
            return []
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
            self._flush_high(out)
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
            if _can_carry(rest, self._sse.max_line_size):
                self._carry = rest  # an unfinished event: nothing to give yet
            else:
                self._general(rest, out)
        return len(data)

    def _texts(self, template: Template, region: bytes, out: list[Event]) -> None:
        """Decode texts joined by ``template.sep``, exactly as the general way would.

        Any doubt about a text sends its event the general way.
        """
        texts = _batch(region, template.sep)
        if texts is None:
            # Some event here is not a plain template event (a final-response amid
            # the run, say) or is malformed: find it by halves, in stream order.
            pieces = region.split(template.sep)
            self._pieces(template, pieces, 0, len(pieces), out)
            return
        if self._high or b"\\u" in region:
            texts = self._pair(texts)
        if "" in texts:  # rare: test first, as filtering costs more
            texts = [text for text in texts if text]
        out += texts

    def _pieces(
        self, template: Template, pieces: list[bytes], lo: int, hi: int, out: list[Event]
    ) -> None:
        """Decode the texts ``pieces[lo:hi]``: in one batch if it can, else each half."""
        joined = template.sep.join(pieces[lo:hi]) if hi - lo > 1 else pieces[lo]
        texts = _batch(joined, template.sep)
        if texts is None:
            if hi - lo == 1:
                self._general(template.open + joined + template.close, out)
                return
            mid = (lo + hi) // 2
            self._pieces(template, pieces, lo, mid, out)
            self._pieces(template, pieces, mid, hi, out)
            return
        if self._high or b"\\u" in joined:
            texts = self._pair(texts)
        out += [text for text in texts if text]

    def _pair(self, texts: list[str]) -> list[str]:
        """Join surrogate pairs split across texts; replace lone surrogates with U+FFFD.

        A high surrogate ending the last text waits in ``_high`` for the next.
        Only a \\u escape in JSON makes a surrogate (strict UTF-8 has none), so
        callers skip this for texts decoded from bytes without one.
        """
        if self._high:
            texts[0] = self._high + texts[0]
            self._high = ""
        try:
            "".join(texts).encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return texts  # no surrogate at all: nothing to do
        fixed: list[str] = []
        for text in texts:
            if self._high:
                text = self._high + text
                self._high = ""
            if text and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]:
                self._high = text[-1]
                text = text[:-1]
            fixed.append(self._whole(text))
        return fixed

    def _whole(self, text: str, *, count: bool = True) -> str:
        """``text`` with surrogate pairs joined and lone surrogates as U+FFFD (counted)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            before = text.count("\ufffd")
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            if count:
                self.replaced += text.count("\ufffd") - before
        return text

    def _flush_high(self, out: list[Event]) -> None:
        """A high surrogate still waiting for its pair will not get it: U+FFFD."""
        if self._high:
            self._high = ""
            self.replaced += 1
            out.append("\ufffd")

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
            if self._high or "\\u" in raw:
                (text,) = self._pair([text])
            if text:
                out.append(text)
        elif name == "final-response":
            self._flush_high(out)
            message = _string_field(obj, "message", raw)
            if "\\u" in raw:  # repaired as the chunks are, to compare; the text counts
                message = self._whole(message, count=False)
            out.append(FinalResponse(message))
        elif name == "stream-end":
            self._flush_high(out)
            out.append(StreamEnd())
        elif name == "error":
            self._flush_high(out)
            out.append(ServerError(_error_message(obj, raw), raw))
        else:
            self.skipped += 1


def _can_carry(rest: bytes, cap: int) -> bool:
    """Whether an unfinished event may wait for the next feed: it could hold no error yet.

    It is short (no line in it can be over the cap) and valid UTF-8 but for a
    sequence cut at its end: a decoder that saw it now would raise nothing.
    """
    if len(rest) > min(_MAX_CARRY, cap):
        return False
    try:
        rest.decode()
    except UnicodeDecodeError as exc:
        return exc.end == len(rest) and exc.reason == "unexpected end of data"
    return True


def _batch(region: bytes, sep: bytes) -> list[str] | None:
    """The texts in ``region`` (JSON string bodies joined by ``sep``), or None.

    Joined as the strings of one JSON array, all texts are decoded by one call of
    json's C scanner. First ``\\\\`` and ``\\"`` become ``\\u005c`` and ``\\u0022``
    (the same characters), so that no quote is left inside a text. Then if every
    quote left is a delimiter, the array's structure is exactly the texts: a
    backslash before a delimiter would have been rewritten, so the quote count
    would be off. Anything else (a quote, a control character, a bad escape or
    bad UTF-8 in some text) gives None, and the caller takes the general way.
    """
    if 92 in region:
        region = region.replace(b"\\\\", b"\\u005c").replace(b'\\"', b"\\u0022")
    joined = region.replace(sep, b'","')
    count = (len(region) - len(joined)) // (len(sep) - 3) + 1
    if joined.count(34) != 2 * (count - 1):
        return None
    try:
        source = '["' + joined.decode() + '"]'
        texts, end = _scan(source, 0)
    except (ValueError, StopIteration):  # bad UTF-8, or not JSON
        return None
    if end != len(source) or len(texts) != count:
        return None  # cannot happen with the quote count right; kept as a guard
    return texts  # type: ignore[no-any-return]


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
