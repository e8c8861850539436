"""Incremental decoder for server-sent events (the WHATWG ``text/event-stream`` format).

Pure and I/O-free: bytes in, events out, whatever sizes the bytes arrive in.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import TypeAlias

from ._exceptions import ProtocolError

__all__ = ["DEFAULT_MAX_LINE_SIZE", "Dispatched", "LineEnds", "SSEDecoder", "ServerSentEvent"]

#: Most characters allowed in one line, and in one event's data.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024

# How much of an offending line a ProtocolError keeps in ``line``.
_SHOWN = 1000
# Pending pieces of one line, or data lines of one event, are joined into one
# string once there are more than _JOIN_PAST of them averaging under _JOIN_SIZE
# characters: a str object costs ~50 bytes, so a stream of tiny pieces kept as
# that many objects would take ~20x the cap. Joining only then keeps the copying
# linear: each join follows at least (length / _JOIN_SIZE) new pieces.
_JOIN_PAST = 256
_JOIN_SIZE = 64


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


class LineEnds:
    """Turn CRLF and CR line ends into LF, in bytes fed in any pieces.

    Done on bytes, before decoding: CR and LF never occur inside a UTF-8
    sequence, and later steps then look for LF only.
    """

    __slots__ = ("_cr",)

    def __init__(self) -> None:
        self._cr = False  # the last byte was a CR, so a leading LF ends no line

    def __call__(self, data: bytes) -> bytes:
        """Return ``data`` with every line end as LF."""
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

    A layer that decodes some runs of bytes itself (the DarkAI event layer does,
    for speed) uses ``push()``, ``end()``, ``idle``, ``error`` and ``fail()``.
    """

    __slots__ = (
        "_at_start",
        "_closed",
        "_data",
        "_data_len",
        "_ends",
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
        self._ends = LineEnds()
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._at_start = True  # no text decoded yet: a BOM may still come
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
            self.push(self._ends(data), out)
        except ProtocolError as exc:
            self.fail(exc)
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
        out: list[Dispatched] = []
        try:
            self.end(out)
        except ProtocolError as exc:
            self.fail(exc)
            if not out:
                raise
        return list(map(_make_event, out))

    @property
    def error(self) -> ProtocolError | None:
        """The error met so far, if any: feed() and close() raise it from now on."""
        return self._error

    @property
    def closed(self) -> bool:
        """Whether the end of input was marked (close() or end())."""
        return self._closed

    @property
    def idle(self) -> bool:
        """True between two events of a begun stream: nothing at all is pending.

        The stream has begun (so no BOM can come), and no line, field or UTF-8
        sequence is pending: the next bytes start a new event.
        """
        return not (
            self._at_start
            or self._tail
            or self._data
            or self._event
            or self._utf8.getstate()[0]
            or self._error
        )

    def push(self, data: bytes, out: list[Dispatched]) -> None:
        """Decode LF-only bytes; append the events they complete to ``out``.

        On an error, the events completed before it are in ``out`` and the
        ProtocolError is raised; the decoder is not marked failed (see fail()).
        """
        self._check_open()
        try:
            text = self._utf8.decode(data, False)
        except UnicodeDecodeError as exc:
            self._process(exc.object[: exc.start].decode("utf-8"), out)
            raise _utf8_error(exc) from None
        self._process(text, out)

    def end(self, out: list[Dispatched]) -> None:
        """End the input, as close() does, appending the events it completes to ``out``."""
        self._check_open()
        self._closed = True
        try:
            text = self._utf8.decode(b"", True)
        except UnicodeDecodeError as exc:
            raise _utf8_error(exc) from None
        self._process(text, out)
        self._process("\n\n" if self._tail else "\n", out)

    def fail(self, error: ProtocolError) -> None:
        """Remember ``error`` and free the buffers: the stream is unusable now."""
        self._error = error
        self._tail = []
        self._tail_len = 0
        self._data = []
        self._data_len = 0

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("feed() called after close()")

    def _process(self, text: str, out: list[Dispatched]) -> None:
        """Handle decoded, LF-only text: complete lines are processed, the rest is kept."""
        if not text:
            return
        if self._at_start:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
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
            tail = self._tail
            self._tail_len += len(rest)
            tail.append(rest)
            if self._tail_len > cap:
                shown = "".join(tail[:4])[:_SHOWN]
                raise ProtocolError(f"event-stream line longer than {cap} characters", line=shown)
            if len(tail) > _JOIN_PAST and len(tail) * _JOIN_SIZE > self._tail_len:
                tail[:] = ["".join(tail)]

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
                    if len(data) > _JOIN_PAST and len(data) * _JOIN_SIZE > data_len:
                        data[:] = ["\n".join(data)]
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


def _utf8_error(exc: UnicodeDecodeError) -> ProtocolError:
    raw = exc.object
    shown = raw[max(0, exc.start - 40) : exc.end + 40].decode("utf-8", "backslashreplace")
    return ProtocolError(f"invalid UTF-8 in the event stream: {exc.reason}", line=shown)


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
