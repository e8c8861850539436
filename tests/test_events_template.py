"""Learning a stream's form (_template): the bytes around a text-chunk's text."""

from __future__ import annotations

import dataclasses
import json

import pytest
from events_support import chunk

from darkai_sdk._events import EventDecoder
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._template import Template, learn_template

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("event", "open_", "close"),
    [
        (
            b'data: {"event": "text-chunk", "data": {"text": "hi"}}\n\n',
            b'data: {"event": "text-chunk", "data": {"text": "',
            b'"}}\n\n',
        ),
        (
            b'data:{"data":{"text":"hi"},"event":"text-chunk"}\n\n',
            b'data:{"data":{"text":"',
            b'"},"event":"text-chunk"}\n\n',
        ),
        (
            b'data: {"id": "c\\"1", "event": "text-chunk", "data": {"i": 0, "text": "h\\"i"}}\n\n',
            None,
            None,
        ),
        (
            b'data: {"id": "c1", "event": "text-chunk", "data": {"text": "hi", "n": "x"}}\n\n',
            b'data: {"id": "c1", "event": "text-chunk", "data": {"text": "',
            b'", "n": "x"}}\n\n',
        ),
        (
            b'data: {"event": "text-chunk", "data": {"text": "\\u0068i"}}\n\n',
            b'data: {"event": "text-chunk", "data": {"text": "',
            b'"}}\n\n',
        ),
        (  # an escaped quote or backslash in the text: its string still ends right
            b'data: {"event": "text-chunk", "data": {"text": "q\\"r\\\\"}}\n\n',
            b'data: {"event": "text-chunk", "data": {"text": "',
            b'"}}\n\n',
        ),
        (  # an empty text: its string's quotes are side by side
            b'data: {"event": "text-chunk", "data": {"text": ""}}\n\n',
            b'data: {"event": "text-chunk", "data": {"text": "',
            b'"}}\n\n',
        ),
        (  # JSON keeps the last of two equal keys: so does the template
            b'data: {"event": "text-chunk", "data": {"text": "a", "text": "b"}}\n\n',
            b'data: {"event": "text-chunk", "data": {"text": "a", "text": "',
            b'"}}\n\n',
        ),
    ],
    ids=[
        "json.dumps",
        "compact-data-first",
        "backslash-around-the-text",
        "extra-fields",
        "escape-in-the-text",
        "escaped-quote-and-backslash-in-the-text",
        "empty-text",
        "the-text-twice",
    ],
)
def test_learn_template_finds_the_bytes_around_the_text(
    event: bytes, open_: bytes | None, close: bytes | None
) -> None:
    template = learn_template(event)
    if open_ is None or close is None:
        assert template is None
        return
    assert template == Template(open=open_, close=close, sep=close + open_)


@pytest.mark.parametrize(
    "event",
    [
        b'data: {"event": "text-chunk", "data": {"text": "' + b"x" * 4096 + b'"}}\n\n',
        b'event: text-chunk\ndata: {"data": {"text": "hi"}}\n\n',
        b'data: {"event": "text-chunk", "data": {"text": "hi"}}\n',
        b'data: {"event": "text-chunk",\ndata: "data": {"text": "hi"}}\n\n',
        b'data: {"event": "text-chunk", "data": {"text": "hi"}\n\n',
        b'data: {"event": "final-response", "data": {"text": "hi"}}\n\n',
        b'data: {"event": "text-chunk", "data": ["hi"]}\n\n',
        b'data: {"event": "text-chunk", "data": {"text": 5}}\n\n',
        b'data: ["text-chunk", {"text": "hi"}]\n\n',
        b'data: {"event": "text-chunk", "data": {"text": "hi", "n": "a\\nb"}}\n\n',
    ],
    ids=[
        "over-4-KiB",
        "not-a-data-line-first",
        "no-blank-line",
        "two-data-lines",
        "not-json",
        "not-a-text-chunk",
        "data-not-an-object",
        "text-not-a-string",
        "not-an-object",
        "a-backslash-after-the-text",
    ],
)
def test_learn_template_refuses_an_event_with_no_single_text_slot(event: bytes) -> None:
    assert learn_template(event) is None


@pytest.mark.parametrize(("size", "learned"), [(4096, True), (4097, False)])
def test_a_template_is_learned_from_events_up_to_4_kib(size: int, learned: bool) -> None:
    event = chunk("x" * (size - len(chunk(""))))
    assert len(event) == size
    assert (learn_template(event) is not None) is learned


def test_a_template_is_immutable_and_slotted() -> None:
    template = learn_template(chunk("a"))
    assert template is not None and not hasattr(template, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.open = b""  # type: ignore[misc]


def test_a_utf16_text_chunk_teaches_no_template_and_is_a_protocol_error() -> None:
    # json.loads reads UTF-16 bytes; with text whose UTF-16 holds the bytes
    # "text-chunk", the event is tried as a template, and the probe put in its
    # slot leaves bytes that are no JSON: refused, not an error out of feed().
    magic = b"text-chunk".decode("utf-16-le")
    obj = {"event": "text-chunk", "data": {"text": magic}}
    event = b"data:" + json.dumps(obj, ensure_ascii=False).encode("utf-16-le") + b"\n\n"
    assert b"text-chunk" in event
    assert learn_template(event) is None
    decoder = EventDecoder()
    with pytest.raises(ProtocolError, match="malformed DarkAI event, not JSON"):
        decoder.feed(b'data: {"event": "ping"}\n\n' + event)


def test_feed_after_close_is_a_runtime_error() -> None:
    decoder = EventDecoder()
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(chunk("a"))
