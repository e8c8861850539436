"""SSEDecoder, property-tested against the WHATWG rules written out plainly."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sse_support import feed_like_a_client, split_at

from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.timeout(60)


def outcome(
    pieces: Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> tuple[list[ServerSentEvent], bool]:
    """Feed and close like a client: the events received, and whether an error ended it."""
    return feed_like_a_client(SSEDecoder(max_line_size=max_line_size), pieces)


def reference(data: bytes) -> tuple[list[ServerSentEvent], str, int | None]:
    """WHATWG "interpret an event stream", the obvious way: the whole input at once.

    Liberal at the end, like SSEDecoder.close(): an unterminated last line is
    processed and a pending event dispatched.
    """
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split("\r\n|\r|\n", text)
    if lines[-1]:
        lines.append("")  # the end of input ends the last line
    lines.append("")  # and dispatches what is pending
    events: list[ServerSentEvent] = []
    buffer: list[str] = []
    event_type = ""
    last_id = ""
    retry: int | None = None
    event_retry: int | None = None
    for line in lines:
        if line == "":
            if buffer:
                events.append(
                    ServerSentEvent(
                        event_type or "message", "\n".join(buffer), last_id or None, event_retry
                    )
                )
            buffer, event_type, event_retry = [], "", None
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            buffer.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and re.fullmatch("[0-9]+", value):
            retry = event_retry = int(value)
    return events, last_id, retry


VALUE = st.text(
    alphabet=st.sampled_from(
        ["a", "b", " ", ":", "é", "中", "😀", "\ufeff", "\u2028", "\x85", "\x0b", "\x00", "\t"]
    ),
    max_size=6,
)
LINE = st.one_of(
    VALUE.map(lambda v: f"data: {v}"),
    VALUE.map(lambda v: f"data:{v}"),
    st.just("data"),
    VALUE.map(lambda v: f"event: {v}"),
    VALUE.map(lambda v: f"id: {v}"),
    st.sampled_from(["id: a\x00b", "retry: 15", "retry: 0", "retry: x1", "retry:  2", "retry:"]),
    VALUE.map(lambda v: f":{v}"),
    VALUE.map(lambda v: f"{v}: {v}"),
    st.just(""),
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(LINE, max_size=20))
    text = draw(st.sampled_from(["", "\ufeff"]))
    for line in lines:
        text += line + draw(st.sampled_from(["\n", "\r", "\r\n"]))
    if draw(st.booleans()) and lines:
        text = text.rstrip("\r\n")  # end without a line end
    return text.encode()


CUTS = st.lists(st.integers(min_value=0, max_value=400), max_size=8)


@settings(max_examples=300, deadline=None)
@given(stream=streams(), cuts=CUTS)
def test_decoder_matches_the_whatwg_reference_for_any_split(stream: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in split_at(stream, cuts):
        events += decoder.feed(piece)
    events += decoder.close()
    expected, last_id, retry = reference(stream)
    assert events == expected
    assert decoder.last_event_id == last_id
    assert decoder.retry == retry


@st.composite
def damaged_streams(draw: st.DrawFn) -> bytes:
    """Valid streams with bytes changed, inserted or cut off: errors anywhere."""
    data = bytearray(draw(streams()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\x80"]))
        data[at:at] = bad
    if data and draw(st.booleans()):
        del data[draw(st.integers(0, len(data) - 1)) :]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stream=st.one_of(damaged_streams(), st.binary(max_size=200)),
    cuts=CUTS,
    cap=st.sampled_from([8, 40, DEFAULT_MAX_LINE_SIZE]),
)
def test_any_split_of_the_same_bytes_gives_the_same_outcome(
    stream: bytes, cuts: list[int], cap: int
) -> None:
    # Only ProtocolError may escape (outcome() lets anything else through), and
    # the events before an error do not depend on how the bytes were split.
    whole = outcome([stream], max_line_size=cap)
    assert outcome(split_at(stream, cuts), max_line_size=cap) == whole
    assert outcome([bytes([b]) for b in stream], max_line_size=cap) == whole
