"""Random event streams, valid and broken, with the outcome a client must reach for each.

For the whole-client fuzz test (tests/_async/test_fuzz_client.py and its sync twin).
``scenarios()`` draws a stream, where it is cut, how it ends and the sizes of the
HTTP chunks that carry it; ``expected()`` is a small reference model of the
protocol, written from the rules (WHATWG server-sent events, then the DarkAI
events), that never calls the SDK's decoder. ``FuzzServer`` plays a scenario
over a real socket, one HTTP chunk per write.

Surrogate halves split across chunks are left out on purpose: how a client pairs
them is being reworked, and this model would have to follow it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from hypothesis import strategies as st
from rawservers import HandlerServer

from darkai_sdk import (
    DarkAIError,
    IncompleteStreamError,
    ProtocolError,
    ServerEventError,
    StreamIntegrityError,
)

Ending = Literal["end", "abort", "abort-mid-chunk"]

#: A text of printable and awkward characters: controls, NEL, U+2028, non-BMP;
#: no surrogates (Cs), which JSON would send as lone escapes.
TEXTS = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@dataclass(frozen=True)
class Scenario:
    """One response: the body, where it is cut, how it ends, how it is framed."""

    body: bytes
    cut: int  # the server sends body[:cut]
    ending: Ending
    chunk_sizes: tuple[int, ...]  # HTTP chunk sizes, used in turn
    pause: bool  # sleep a moment after each chunk, so reads split
    events: tuple[str, ...] = field(default=(), compare=False)  # what was drawn, for reports

    def pieces(self) -> list[bytes]:
        """``body[:cut]`` in HTTP-chunk-sized pieces."""
        sent, out, index = self.body[: self.cut], [], 0
        position = 0
        while position < len(sent):
            size = self.chunk_sizes[index % len(self.chunk_sizes)]
            out.append(sent[position : position + size])
            position += size
            index += 1
        return out


@dataclass(frozen=True)
class Outcome:
    """How a read of the reply ends: its text, and the error classes allowed (none: success)."""

    text: str
    errors: tuple[type[DarkAIError], ...] = ()

    def describe(self) -> str:
        names = "/".join(cls.__name__ for cls in self.errors) or "success"
        return f"{names} with text {self.text!r}"


# -- drawing streams -----------------------------------------------------------------------


def _payload(obj: dict[str, Any], ascii_only: bool, indent: bool) -> list[str]:
    """The data lines of one JSON payload: on one line, or one per JSON line."""
    text = json.dumps(obj, ensure_ascii=ascii_only, indent=1 if indent else None)
    return text.split("\n")


#: Items that keep a stream valid, weighted by how often they are drawn.
VALID_KINDS = ["text"] * 6 + ["text-named", "final", "unknown", "comment", "keep-alive", "id-retry"]
#: Items that end a stream with an error, or early.
BROKEN_KINDS = ["final-wrong", "end", "error", "error", "malformed", "bad-utf8"]


@st.composite
def _event(draw: st.DrawFn, text_so_far: str, kinds: list[str]) -> tuple[str, list[str], str]:
    """One drawn item: (kind, its lines without line ends, text it adds)."""
    kind = draw(st.sampled_from(kinds))
    ascii_only, indent, space = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    prefix = "data: " if space else "data:"

    def data(obj: dict[str, Any]) -> list[str]:
        return [prefix + line for line in _payload(obj, ascii_only, indent)] + [""]

    if kind == "text":
        text = draw(TEXTS)
        return kind, data({"event": "text-chunk", "data": {"text": text}}), text
    if kind == "text-named":  # the name in the SSE event field, not in the JSON
        text = draw(TEXTS)
        return kind, ["event: text-chunk", *data({"data": {"text": text}})], text
    if kind == "final":
        return kind, data({"event": "final-response", "data": {"message": text_so_far}}), ""
    if kind == "final-wrong":
        message = text_so_far + draw(st.text(min_size=1, max_size=5))
        return kind, data({"event": "final-response", "data": {"message": message}}), ""
    if kind == "end":
        return kind, data({"event": "stream-end"}), ""
    if kind == "error":
        message = draw(TEXTS)
        return kind, data({"event": "error", "data": {"message": message}}), ""
    if kind == "malformed":
        cut_json = json.dumps({"event": "text-chunk", "data": {"text": draw(TEXTS)}})[:-3]
        return kind, [prefix + cut_json, ""], ""
    if kind == "unknown":
        name = draw(st.sampled_from(["ping", "status", "usage", "text-chunk-v2"]))
        return kind, data({"event": name, "data": {"text": draw(TEXTS)}}), ""
    if kind == "comment":
        return kind, [": " + draw(TEXTS.map(lambda t: t.replace("\r", "").replace("\n", "")))], ""
    if kind == "keep-alive":
        return kind, ["data:", ""], ""
    if kind == "id-retry":
        return kind, ["id: 7", "retry: 1500"], ""
    return kind, ["data: \udcff\udcfe", ""], ""  # bad-utf8: bytes 0xFF 0xFE, written raw


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random stream, valid or broken, cut or whole, in random HTTP chunks."""
    items: list[str] = []
    lines: list[str] = []
    text = ""
    # Half the streams are valid throughout; the others may break anywhere.
    kinds = VALID_KINDS + (BROKEN_KINDS if draw(st.booleans()) else [])
    for _ in range(draw(st.integers(0, 8))):
        kind, event_lines, added = draw(_event(text, kinds))
        items.append(kind)
        lines += event_lines
        text += added
    if draw(st.integers(0, 3)):  # usually a proper end; without it the stream is cut short
        items.append("end")
        lines += ['data: {"event": "stream-end"}', ""]
    ends = [draw(LINE_ENDS) for _ in lines]
    body = "".join(line + end for line, end in zip(lines, ends, strict=True)).encode(
        "utf-8", "surrogateescape"
    )
    cut = len(body) if draw(st.booleans()) else draw(st.integers(0, len(body)))
    ending: Ending = draw(st.sampled_from(["end", "end", "abort", "abort-mid-chunk"]))
    sizes = tuple(draw(st.lists(st.integers(1, 48), min_size=1, max_size=6)))
    return Scenario(body, cut, ending, sizes, draw(st.booleans()), tuple(items))


# -- the reference model -------------------------------------------------------------------


def _utf8_prefix(data: bytes) -> tuple[str, bool, bool]:
    """Return the longest valid UTF-8 prefix as text, and whether bytes that are not follow.

    The third value tells whether they are only the start of an unfinished character.
    """
    try:
        return data.decode("utf-8"), False, False
    except UnicodeDecodeError as exc:
        text = data[: exc.start].decode("utf-8")
        unfinished = exc.end == len(data) and exc.reason == "unexpected end of data"
        return text, True, unfinished


def _sse_events(text: str, at_eof: bool) -> Iterator[tuple[str, str]]:
    """(event type, data) of each event the WHATWG rules dispatch from ``text``.

    With ``at_eof``, the end of input ends the last line and dispatches a pending
    event, as this SDK chooses to (the layer above judges a stream cut short).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rest = lines.pop()
    if at_eof:
        lines += [rest, ""] if rest else [""]
    name = ""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield name or "message", "\n".join(data)
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field_name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field_name == "data":
            data.append(value)
        elif field_name == "event":
            name = value


def _darkai(events: Iterator[tuple[str, str]]) -> Outcome | str:
    """Apply the DarkAI events; an Outcome at the first that ends the reply, else the text."""
    text = ""
    for sse_name, data in events:
        if not data:
            continue  # a keep-alive
        try:
            obj = json.loads(data)
        except ValueError:
            return Outcome(text, (ProtocolError,))
        if not isinstance(obj, dict):
            return Outcome(text, (ProtocolError,))
        name = obj.get("event", None if sse_name == "message" else sse_name)
        if not isinstance(name, str):
            return Outcome(text, (ProtocolError,))
        payload: Any = obj.get("data")  # JSON, as the fuzzer wrote it
        if name == "text-chunk":
            text += payload["text"]
        elif name == "final-response":
            if payload["message"] != text:
                return Outcome(text, (StreamIntegrityError,))
        elif name == "stream-end":
            return Outcome(text)
        elif name == "error":
            return Outcome(text, (ServerEventError,))
    return text


def expected(received: bytes, ending: Ending) -> Outcome:
    """What a client must end with after ``received`` and then ``ending``."""
    clean = ending == "end"
    text, invalid, unfinished = _utf8_prefix(received)
    if invalid and not (unfinished and not clean):
        # Invalid UTF-8 (or, at a clean end, an unfinished character) is a protocol
        # error once the events before it are delivered.
        result = _darkai(_sse_events(text, at_eof=False))
        return result if isinstance(result, Outcome) else Outcome(result, (ProtocolError,))
    result = _darkai(_sse_events(text, at_eof=clean))
    return result if isinstance(result, Outcome) else Outcome(result, (IncompleteStreamError,))


def outcomes(scenario: Scenario) -> list[Outcome]:
    """The outcomes a client may reach.

    When the last HTTP chunk is cut mid-way, any part of it may have been
    delivered before the client notices the connection's end: one outcome each.
    """
    sent = scenario.body[: scenario.cut]
    if scenario.ending != "abort-mid-chunk" or not sent:
        return [expected(sent, scenario.ending)]
    before = len(sent) - len(scenario.pieces()[-1])
    return [expected(sent[:end], "abort") for end in range(before, len(sent) + 1)]


# -- the server ----------------------------------------------------------------------------


class FuzzServer:
    """Plays ``self.scenario`` for every request: a 200 event stream, one HTTP chunk per piece."""

    def __init__(self) -> None:
        self.scenario: Scenario | None = None
        self._server = HandlerServer(self._handle)

    def url(self) -> str:
        return self._server.url()

    def __enter__(self) -> FuzzServer:
        self._server.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._server.__exit__(None, None, None)

    async def _handle(self, server: HandlerServer, request: web.BaseRequest) -> web.StreamResponse:
        scenario = self.scenario
        assert scenario is not None
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        transport = request.transport
        assert transport is not None
        pieces = scenario.pieces()
        half_chunk = scenario.ending == "abort-mid-chunk" and pieces
        try:
            for piece in pieces[:-1] if half_chunk else pieces:
                await response.write(piece)
                if scenario.pause:
                    await asyncio.sleep(0.001)
            if scenario.ending == "end":
                await response.write_eof()
                return response
            if half_chunk:
                # A chunk whose size line promises more than comes before the end.
                last = pieces[-1]
                transport.write(b"%x\r\n" % (len(last) + 7) + last)
            for _ in range(500):  # abort() drops unsent bytes: let them leave first
                if transport.get_write_buffer_size() == 0:
                    break
                await asyncio.sleep(0.01)
        except (ConnectionError, RuntimeError):
            return response  # the client went away first (after stream-end, say)
        transport.abort()
        return response
