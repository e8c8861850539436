"""What the EventDecoder tests share: event bytes, feeding helpers, the rules written out.

The DarkAI rules written out plainly are the general way the fast paths are held to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from sse_support import feed_all, feed_like_a_client

from darkai_sdk._events import Event, EventDecoder, FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder

OPEN = b'data: {"event": "text-chunk", "data": {"text": "'
CLOSE = b'"}}\n\n'


def sse(payload: object, *, ensure_ascii: bool = False) -> bytes:
    """One event whose data is ``payload`` as json.dumps writes it."""
    return b"data: " + json.dumps(payload, ensure_ascii=ensure_ascii).encode() + b"\n\n"


def chunk(text: str, *, ensure_ascii: bool = False) -> bytes:
    return sse({"event": "text-chunk", "data": {"text": text}}, ensure_ascii=ensure_ascii)


def final(message: str) -> bytes:
    return sse({"event": "final-response", "data": {"message": message}})


END = sse({"event": "stream-end"})
# Text chunks on both sides put an event in the middle of a feed, where the fast
# path runs; alone in its feed, an event takes the general way.
PAD = chunk("p") * 3


def decode(
    pieces: bytes | Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> list[Event]:
    """Feed every piece to an EventDecoder, then close; return all events (errors propagate)."""
    return feed_all(EventDecoder(max_line_size=max_line_size), pieces)


def outcome(
    pieces: Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> tuple[list[Event], bool, int]:
    """Feed and close like a client: events received, whether an error ended it, skipped."""
    decoder = EventDecoder(max_line_size=max_line_size)
    events, failed = feed_like_a_client(decoder, pieces)
    return events, failed, decoder.skipped


def run(body: bytes, where: str) -> list[Event]:
    """Decode ``body`` alone, or between text chunks in one feed (then strip those)."""
    if where == "alone":
        return decode(body)
    events = decode(PAD + body + PAD)
    assert events[:3] == ["p"] * 3
    assert events[-3:] == ["p"] * 3
    return events[3:-3]


def run_error(body: bytes, where: str) -> ProtocolError:
    """Decode ``body`` expecting a ProtocolError; check the events before it arrive."""
    decoder = EventDecoder()
    if where == "alone":
        with pytest.raises(ProtocolError) as info:
            decoder.feed(body)
            decoder.close()
        return info.value
    assert decoder.feed(PAD + body + PAD) == ["p"] * 3
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"")
    return info.value


def reference_event(event: ServerSentEvent) -> Event | None:
    """The DarkAI rules written out plainly; None for a skipped event.

    Raises ValueError (or RecursionError) for a payload the decoder must reject.
    """
    if not event.data:
        return None  # a keep-alive
    obj = json.loads(event.data)
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    if "event" in obj:
        name = obj["event"]
    elif event.event != "message":
        name = event.event
    else:
        raise ValueError("no name")
    if not isinstance(name, str):
        raise ValueError("name not a string")
    data = obj.get("data")
    if name == "text-chunk":
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise ValueError("bad text")
        return str(data["text"])
    if name == "final-response":
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            raise ValueError("bad message")
        return FinalResponse(data["message"])
    if name == "stream-end":
        return StreamEnd()
    if name == "error":
        for key in ("message", "error"):
            if isinstance(data, dict) and isinstance(data.get(key), str):
                return ServerError(data[key], event.data)
        return ServerError(event.data, event.data)
    return None


def _whole(text: str) -> str:
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def paired(events: list[Event], *, at_end: bool) -> list[Event]:
    """The surrogate rule written out plainly, over the events of a whole stream.

    A high surrogate ending a text moves to the next text; a lone surrogate is
    U+FFFD; one still waiting at a non-text event, or ``at_end``, is U+FFFD.
    """
    out: list[Event] = []
    pending = ""
    for event in events:
        if isinstance(event, str):
            text, pending = pending + event, ""
            if text and "\ud800" <= text[-1] <= "\udbff":
                text, pending = text[:-1], text[-1]
            if _whole(text):
                out.append(_whole(text))
            continue
        if pending:
            out.append("\ufffd")
            pending = ""
        out.append(
            FinalResponse(_whole(event.message)) if isinstance(event, FinalResponse) else event
        )
    if at_end and pending:
        out.append("\ufffd")
    return out


def reference(stream: bytes, max_line_size: int) -> tuple[list[Event], bool, int]:
    """SSEDecoder fed everything at once, then the rules above: the general way only."""
    decoder = SSEDecoder(max_line_size=max_line_size)
    sse_events: list[ServerSentEvent] = []
    failed = False
    try:
        sse_events += decoder.feed(stream)
        sse_events += decoder.close()
    except ProtocolError:
        failed = True
    events: list[Event] = []
    skipped = 0
    for sse_event in sse_events:
        try:
            event = reference_event(sse_event)
        except (ValueError, RecursionError):
            return paired(events, at_end=False), True, skipped
        if event is None:
            skipped += 1
        elif event != "":
            events.append(event)
    return paired(events, at_end=not failed), failed, skipped


def _compact(obj: object, ensure_ascii: bool) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()


#: The forms servers write text-chunk events in: each stream uses one.
FORMS: dict[str, Any] = {
    "json.dumps": lambda text, ascii_: chunk(text, ensure_ascii=ascii_),
    "compact": lambda text, ascii_: (
        b"data: " + _compact({"event": "text-chunk", "data": {"text": text}}, ascii_) + b"\n\n"
    ),
    "no-space-data-first": lambda text, ascii_: (
        b"data:" + _compact({"data": {"text": text}, "event": "text-chunk"}, ascii_) + b"\n\n"
    ),
    "extra-fields": lambda text, ascii_: sse(
        {"id": "c1", "event": "text-chunk", "data": {"text": text, "i": 0}}, ensure_ascii=ascii_
    ),
}
