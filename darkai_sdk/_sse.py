"""Incremental decoder for server-sent events (the WHATWG ``text/event-stream`` format).

Pure and I/O-free: bytes in, events out, whatever sizes the bytes arrive in.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import TypeAlias

from ._exceptions import ProtocolError

__all__ = ["DEFAULT_MAX_LINE_SIZE", "SSEDecoder", "ServerSentEvent"]

#: Most characters allowed in one line, and in one event's data.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024

# How much of an offending line a ProtocolError keeps in ``line``.
_SHOWN = 1000


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    ``id`` is the stream's last event ID when the event was dispatched (IDs
    persist from event to event, as in WHATWG), or None while it is empty.
    ``retry`` is the reconnection time a ``retry:`` field of this event set.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


#: An event as the decoder dispatches it: (event, data, id, retry), the fields of
#: ServerSentEvent. Tuples are cheap to build; the event layer needs no more.
Dispatched: TypeAlias = tuple[str, str, str | None, int | None]


class SSEDecoder:
    """Turn the bytes of an event stream into events, however the bytes are split.

    ``feed()`` takes the next bytes and returns the events they complete;
    ``close()`` marks the end of input. Every error is a :class:`ProtocolError`.

    No event is lost to an error: when ``feed()`` or ``close()`` meets an error
    after completing events in the same call, it returns those events and
    raises the error at the next call. A decoder that failed keeps raising the
    same error. ``feed()`` after ``close()`` is a RuntimeError.

    ``last_event_id`` and ``retry`` (milliseconds, or None) follow the
    ``id:`` and ``retry:`` fields seen so far.
    """

    __slots__ = (
        "_at_start",
        "_closed",
        "_cr",
        "_data",
        "_data_len",
        "_error",
        "_event",
        "_event_retry",
        "_tail",
        "_tail_len",
        "_utf8",
        "last_event_id",
        "max_line_size",
        "retry",
    )

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        if max_line_size < 1:
            raise ValueError("max_line_size must be at least 1")
        self.max_line_size = max_line_size
        self.last_event_id = ""
        self.retry: int | None = None
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._at_start = True  # no text decoded yet: a BOM may still come
        self._cr = False  # the last byte fed was a CR, so a leading LF ends no line
        # The unterminated last line, as pieces: joining once when it ends keeps
        # a long line from being copied again on every feed.
        self._tail: list[str] = []
        self._tail_len = 0
        self._data: list[str] = []
        self._data_len = 0  # length of "\n".join(self._data)
        self._event = ""
        self._event_retry: int | None = None
        self._error: ProtocolError | None = None
        self._closed = False

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next bytes of the stream; return the events they complete."""
        self._check_open()
        out: list[Dispatched] = []
        try:
            text, error = self._decode(self._normalize(data), final=False)
            self._process(text, out)
            if error is not None:
                raise error
        except ProtocolError as exc:
            self._fail(exc)
            if not out:
                raise
        return list(map(_make_event, out))

    def close(self) -> list[ServerSentEvent]:
        """End the input: decode a last unterminated line and dispatch a pending event.

        Keeping an event that no blank line ended is liberal on purpose: the
        layer above decides what a stream cut short means.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        out: list[Dispatched] = []
        try:
            text, error = self._decode(b"", final=True)
            self._process(text, out)
            if error is not None:
                raise error
            self._finish(out)
        except ProtocolError as exc:
            self._fail(exc)
            if not out:
                raise
        return list(map(_make_event, out))

    # The steps below are shared with the DarkAI event layer (_events.py).

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("feed() called after close()")

    def _between_events(self) -> bool:
        """True when no line, data, event type or UTF-8 sequence is pending."""
        return (
            not self._tail and not self._data and not self._event and not self._utf8.getstate()[0]
        )

    def _fail(self, error: ProtocolError) -> None:
        """Remember the error and free the buffers: the stream is unusable now."""
        self._error = error
        self._tail = []
        self._tail_len = 0
        self._data = []
        self._data_len = 0

    def _normalize(self, data: bytes) -> bytes:
        """Turn CRLF and CR line ends into LF.

        Done on bytes, before decoding: CR and LF never occur inside a UTF-8
        sequence, and the layer above can then look for LF-only patterns.
        """
        if self._cr and data:
            self._cr = False
            if data[0] == 10:  # the LF of a CRLF split across feeds
                data = data[1:]
        if 13 in data:
            self._cr = data[-1] == 13
            data = data.replace(b"\r\n", b"\n")
            if 13 in data:
                data = data.replace(b"\r", b"\n")
        return data

    def _decode(self, data: bytes, final: bool) -> tuple[str, ProtocolError | None]:
        """Decode UTF-8 (keeping a sequence split across feeds) and drop a leading BOM.

        On invalid UTF-8, return the valid text before it with the error, so
        that the events it completes are still delivered.
        """
        error: ProtocolError | None = None
        try:
            text = self._utf8.decode(data, final)
        except UnicodeDecodeError as exc:
            raw = exc.object
            text = raw[: exc.start].decode("utf-8")
            shown = raw[max(0, exc.start - 40) : exc.end + 40].decode("utf-8", "backslashreplace")
            error = ProtocolError(f"invalid UTF-8 in the event stream: {exc.reason}", line=shown)
        if self._at_start and text:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        return text, error

    def _process(self, text: str, out: list[Dispatched]) -> None:
        """Handle decoded, LF-only text: complete lines are processed, the rest is kept."""
        if not text:
            return
        cap = self.max_line_size
        lines = text.split("\n")
        rest = lines.pop()
        if lines:
            # Only a text longer than the cap can hold a line longer than the cap:
            # one test here spares a length test per line.
            check = len(text) + self._tail_len > cap
            if self._tail:
                self._tail.append(lines[0])
                lines[0] = "".join(self._tail)
                self._tail = []
            self._tail_len = 0
            self._lines(lines, check, out)
        if rest:
            self._tail_len += len(rest)
            self._tail.append(rest)
            if self._tail_len > cap:
                shown = "".join(self._tail[:4])[:_SHOWN]
                raise ProtocolError(f"event-stream line longer than {cap} characters", line=shown)

    def _finish(self, out: list[Dispatched]) -> None:
        """At the end of input, end the last line and dispatch what is pending."""
        self._process("\n\n" if self._tail else "\n", out)

    def _lines(self, lines: list[str], check: bool, out: list[Dispatched]) -> None:
        """Process complete lines (WHATWG "interpret an event stream")."""
        cap = self.max_line_size
        data = self._data
        data_len = self._data_len  # a local: this loop is hot
        for line in lines:
            if not line:
                if data:
                    out.append(
                        (
                            self._event or "message",
                            "\n".join(data),
                            self.last_event_id or None,
                            self._event_retry,
                        )
                    )
                    data.clear()
                    data_len = 0
                self._event = ""
                self._event_retry = None
                continue
            if check and len(line) > cap:
                raise ProtocolError(
                    f"event-stream line longer than {cap} characters", line=line[:_SHOWN]
                )
            colon = line.find(":")
            if colon == 0:
                continue  # a comment
            if colon < 0:
                name, value = line, ""
            elif line.startswith(" ", colon + 1):
                name, value = line[:colon], line[colon + 2 :]
            else:
                name, value = line[:colon], line[colon + 1 :]
            if name == "data":
                if data:
                    data_len += len(value) + 1
                    if data_len > cap:
                        raise ProtocolError(
                            f"event data longer than {cap} characters", line=value[:_SHOWN]
                        )
                else:
                    data_len = len(value)  # no longer than its line, so within the cap
                data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self.last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                try:
                    retry = int(value)
                except ValueError:
                    # Beyond int()'s digit limit: no reconnection time is that long.
                    continue
                self.retry = self._event_retry = retry
        self._data_len = data_len


def _make_event(fields: Dispatched) -> ServerSentEvent:
    """Build a ServerSentEvent without its frozen __init__, which costs twice as much."""
    event = _new(ServerSentEvent)
    _set_event(event, fields[0])
    _set_data(event, fields[1])
    _set_id(event, fields[2])
    _set_retry(event, fields[3])
    return event


# The slots' own setters write past the frozen __setattr__; calling them directly
# costs about half of what the generated __init__ does.
_new = object.__new__
_set_event, _set_data, _set_id, _set_retry = (
    vars(ServerSentEvent)[name].__set__ for name in ("event", "data", "id", "retry")
)
