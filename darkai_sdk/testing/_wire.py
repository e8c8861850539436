"""The bytes of a DarkAI event stream, faults included; no I/O here."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Literal

from ._replies import Reply

__all__ = [
    "BodyPlan",
    "encode_event",
    "error_body",
    "plan_body",
    "render_body",
    "with_echo",
]

_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Names no DarkAI client knows; cycled through by Reply.unknown_events.
_UNKNOWN_EVENT_NAMES = ("ping", "status", "x-darkai-test-unknown")


# The service's own encoding: json.dumps(ensure_ascii=False), default separators,
# non-ASCII left as is (so U+2028 and U+0085 reach the client raw, as a real
# stream may send them). One shared encoder: json.dumps builds a new one per
# call when ensure_ascii is False, which would dominate a benchmark.
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (only ever inside a JSON string) as its JSON escape.

    As a JavaScript server's ``JSON.stringify`` writes it.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _joined(chunks: tuple[str, ...]) -> str:
    """The chunks as one text, surrogate halves split between chunks paired again."""
    text = "".join(chunks)
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _data_lines(payload: Mapping[str, object] | str, multiline: bool) -> list[str]:
    if isinstance(payload, str):
        return [payload]
    if not multiline:
        return [_dumps(payload)]
    # Split only where JSON allows a newline, so the "\n"-joined lines parse back.
    items = list(payload.items())
    middle = [
        f"{_dumps(key)}: {_dumps(value)}{',' if i < len(items) - 1 else ''}"
        for i, (key, value) in enumerate(items)
    ]
    return ["{", *middle, "}"]


def encode_event(
    payload: Mapping[str, object] | str,
    *,
    line_ending: str = "\n",
    data_space: bool = True,
    multiline: bool = False,
    comments: bool = False,
) -> bytes:
    """Return one SSE event carrying ``payload`` (a JSON object, or a str sent as is)."""
    prefix = "data: " if data_space else "data:"
    lines = [prefix + line for line in _data_lines(payload, multiline)]
    if comments and len(lines) > 1:
        # A comment between data lines of one event is legal and must not split it.
        lines = [part for line in lines[:-1] for part in (line, ": keep-alive")] + lines[-1:]
    text = "".join(line + line_ending for line in lines) + line_ending
    return _utf8(text)


def error_body(message: str, error_type: str, **extra: object) -> bytes:
    """Return the JSON error body the server sends with a 4xx/5xx status."""
    return _dumps({"error": {"message": message, "type": error_type, **extra}}).encode("utf-8")


@dataclass(frozen=True)
class BodyPlan:
    """What to write for a streamed reply: ``frames`` in order, then ``ending``."""

    #: One frame per event, with any comments or unknown events that precede it;
    #: pacing (``Reply.delay``) happens between frames. Produced lazily, once.
    frames: Iterator[bytes]
    #: "end": finish the body cleanly; "cut": write ``partial`` then abort the
    #: connection; "stall": keep the connection open and send nothing more;
    #: "bad_chunk": write ``Reply.bad_chunk_line``, then as "stall".
    ending: Literal["end", "cut", "stall", "bad_chunk"]
    partial: bytes = b""


_ENDINGS: dict[str, Literal["end", "cut", "stall", "bad_chunk"]] = {
    "cut": "cut",
    "stall": "stall",
    "bad_chunk": "bad_chunk",
}


def _position(after: int | None, chunk_count: int) -> int | None:
    return None if after is None else min(after, chunk_count)


class _EventEncoder:
    """``encode_event`` with one reply's settings, and a fast path for text chunks."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        prefix = "data: " if reply.data_space else "data:"
        ending = reply.line_ending * 2
        self._chunk_head = f'{prefix}{{"event": "text-chunk", "data": {{"text": '.encode()
        self._chunk_tail = f"}}}}{ending}".encode()

    def event(self, payload: Mapping[str, object] | str, comments: bool | None = None) -> bytes:
        reply = self._reply
        return encode_event(
            payload,
            line_ending=reply.line_ending,
            data_space=reply.data_space,
            multiline=reply.multiline,
            comments=reply.comments if comments is None else comments,
        )

    def chunk(self, text: str) -> bytes:
        if self._reply.multiline:
            return self.event({"event": "text-chunk", "data": {"text": text}})
        # Same bytes as encoding the whole object, without a JSON encoder call per
        # event: a benchmark of 100k events should measure the client.
        return self._chunk_head + _utf8(encode_basestring(text)) + self._chunk_tail


def plan_body(reply: Reply, chunks: tuple[str, ...]) -> BodyPlan:
    """Return the frames of ``reply``'s event stream for these ``text-chunk`` texts."""
    count = len(chunks)
    malformed_at = _position(reply.malformed_after, count)
    # The earliest connection-ending fault wins; on a tie, the first listed.
    stop_at, stop = count, "complete"
    for kind, after in (
        ("error", reply.error_after),
        ("truncate", reply.truncate_after),
        ("cut", reply.cut_after),
        ("bad_chunk", reply.bad_chunk_after),
        ("stall", reply.stall_after),
    ):
        position = _position(after, count)
        if position is not None and (position < stop_at or stop == "complete"):
            stop_at, stop = position, kind

    tail: list[Mapping[str, object]] = [{"event": "stream-end"}]
    if reply.final_response is not False:
        message = _joined(chunks) if reply.final_response is True else reply.final_response
        tail.insert(0, {"event": "final-response", "data": {"message": message}})
    encoder = _EventEncoder(reply)

    def events() -> Iterator[bytes]:
        for position in range(stop_at):
            if position == malformed_at:
                yield encoder.event(reply.malformed_data)
            yield encoder.chunk(chunks[position])
        if malformed_at == stop_at:
            yield encoder.event(reply.malformed_data)
        if stop == "error":
            yield encoder.event({"event": "error", "data": {"message": reply.error_message}})
            yield encoder.event({"event": "stream-end"})
        elif stop == "complete":
            yield from (encoder.event(payload) for payload in tail)

    def frames() -> Iterator[bytes]:
        keep_alive = f": keep-alive{reply.line_ending * 3}".encode()
        for index, event in enumerate(events()):
            if not (reply.comments or reply.unknown_events):
                yield event
                continue
            frame = keep_alive if reply.comments else b""
            if reply.unknown_events:
                name = _UNKNOWN_EVENT_NAMES[index % len(_UNKNOWN_EVENT_NAMES)]
                frame += encoder.event({"event": name, "data": {"seq": index}})
            yield frame + event

    partial = b""
    if stop == "cut":
        cut = encoder.chunk(chunks[stop_at]) if stop_at < count else encoder.event(tail[0], False)
        first_line = cut.split(reply.line_ending.encode())[0]
        partial = first_line[: max(1, len(first_line) // 2)]
    return BodyPlan(frames=frames(), ending=_ENDINGS.get(stop, "end"), partial=partial)


def render_body(
    reply: Reply | str | None = None,
    *,
    query: str = "Hi",
    model: str = "llama-3-70b",
) -> bytes:
    """Return the uncompressed body the server streams for ``reply`` (minus any cut line).

    Handy for HTTP mocking libraries; pacing, gzip and the connection faults
    (cut, stall) are the server's alone.
    """
    if reply is None or isinstance(reply, str):
        reply = Reply(text=reply)
    return b"".join(plan_body(reply, reply.chunks(query, model)).frames)


def with_echo(reply: Reply, value: str) -> Reply:
    """``reply`` as a hostile server plays it, echoing ``value`` (a request header's).

    ``value`` goes into the redirect's Location, the body of a status answer and
    the error event's message.
    """
    if reply.redirect is not None:
        glue = "&" if "?" in reply.redirect else "?"
        return dataclasses.replace(reply, redirect=f"{reply.redirect}{glue}echo={value}")
    if not reply.is_stream:
        body = reply.body
        if body is None:
            message = f"scripted failure with status {reply.status}; you sent {value}"
            body = error_body(message, "echo")
        elif isinstance(body, str):
            body = f"{body} {value}"
        else:
            body = body + b" " + value.encode("utf-8")
        return dataclasses.replace(reply, body=body)
    return dataclasses.replace(reply, error_message=f"{reply.error_message} {value}")
