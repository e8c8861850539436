"""SSEDecoder: exact errors, state and bounds, each one pinned."""

from __future__ import annotations

import pytest
from sse_support import decode

from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import LineEnds, ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.timeout(60)


def test_a_cap_below_one_is_refused_and_one_is_accepted() -> None:
    with pytest.raises(ValueError) as info:
        SSEDecoder(max_line_size=0)
    assert str(info.value) == "max_line_size must be at least 1"
    decoder = SSEDecoder(max_line_size=1)
    assert decoder.feed(b"\n") == []
    with pytest.raises(ProtocolError, match="longer than 1 characters"):
        decoder.feed(b"ab\n")


def test_feed_after_close_names_the_mistake() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(RuntimeError) as info:
        decoder.feed(b"data: a\n\n")
    assert str(info.value) == "feed() called after close()"


def test_a_fresh_line_ends_keeps_a_leading_lf() -> None:
    assert LineEnds()(b"\nabc") == b"\nabc"


def test_error_and_closed_report_the_state() -> None:
    decoder = SSEDecoder()
    assert decoder.error is None and decoder.closed is False
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"\xff")
    assert decoder.error is info.value
    other = SSEDecoder()
    other.close()
    assert other.closed is True


@pytest.mark.parametrize(
    ("fed", "idle"),
    [
        ([], False),  # nothing yet: a BOM may still come
        ([b"data: a\n\n"], True),
        ([b"data: a\n\n", b"data: b"], False),  # a line is pending
        ([b"data: a\n"], False),  # an event's data is pending
        ([b"event: x\n"], False),  # an event's name is pending
        ([b": comment\n"], True),
        ([b"data: a\n\n", b"\xe4\xb8"], False),  # a UTF-8 sequence is pending
    ],
)
def test_idle_is_true_only_between_events(fed: list[bytes], idle: bool) -> None:
    decoder = SSEDecoder()
    for data in fed:
        decoder.feed(data)
    assert decoder.idle is idle


def test_idle_turns_false_on_a_failed_push_on_end_and_on_fail() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.idle
    with pytest.raises(ProtocolError):
        decoder.push(b"\xff", [])  # push() does not mark the decoder failed
    assert decoder.idle is False
    ended = SSEDecoder()
    ended.feed(b"data: a\n\n")
    ended.end([])
    assert ended.idle is False
    failed = SSEDecoder()
    failed.feed(b"data: a\n\n")
    failed.fail(ProtocolError("x"))
    assert failed.idle is False


def test_a_line_completed_by_a_short_feed_is_still_held_to_the_cap() -> None:
    decoder = SSEDecoder(max_line_size=10)
    assert decoder.feed(b"data: 123") == []  # 9 characters pending
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"45678\n")  # a 14-character line
    assert str(info.value) == "event-stream line longer than 10 characters"
    assert info.value.line == "data: 12345678"


def test_an_unended_line_over_the_cap_shows_its_first_four_pieces() -> None:
    decoder = SSEDecoder(max_line_size=10)
    for piece in (b"da", b"ta", b": ", b"12", b"34"):
        assert decoder.feed(piece) == []
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"56")
    assert str(info.value) == "event-stream line longer than 10 characters"
    assert info.value.line == "data: 12"


def test_event_data_is_held_to_the_cap_counting_the_line_breaks() -> None:
    decoder = SSEDecoder(max_line_size=12)
    assert decoder.feed(b"data:123456\ndata:12345\n") == []  # "123456\n12345": 12
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"data:\n")  # one more line break: 13
    assert str(info.value) == "event data longer than 12 characters"
    ok = SSEDecoder(max_line_size=12)
    assert ok.feed(b"data:123456\ndata:12345\n\n") == [ServerSentEvent(data="123456\n12345")]


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b"data: " + b"a" * 60 + b"\xff" + b"b" * 60 + b"\n", "a" * 40 + "\\xff" + "b" * 40),
        (b"\xff" + b"b" * 60, "\\xff" + "b" * 40),
    ],
    ids=["mid-line", "first-byte"],
)
def test_invalid_utf8_is_shown_with_forty_bytes_around_it(data: bytes, shown: str) -> None:
    with pytest.raises(ProtocolError) as info:
        SSEDecoder().feed(data)
    assert str(info.value) == "invalid UTF-8 in the event stream: invalid start byte"
    assert info.value.line == shown


@pytest.mark.parametrize("size", [1, 2, 63, 64, 65])
def test_a_line_in_many_tiny_pieces_comes_out_whole(size: int) -> None:
    text = "x" * (300 * size)
    data = b"data: " + text.encode() + b"\n\n"
    pieces = [data[:6]] + [data[i : i + size] for i in range(6, len(data), size)]
    assert decode(pieces) == [ServerSentEvent(data=text)]


def test_many_data_lines_come_out_joined_by_line_breaks() -> None:
    lines = [f"line {i}" for i in range(300)]
    body = "".join(f"data: {line}\n" for line in lines).encode() + b"\n"
    assert decode([body]) == [ServerSentEvent(data="\n".join(lines))]


# The join rule bounds memory (a str object costs ~50 bytes): pieces of a pending line,
# or data lines of a pending event, are joined once more than 256 of them average
# under 64 characters. These pin the rule at its bounds.


@pytest.mark.parametrize(
    ("pieces", "size", "held"),
    [(256, 1, 256), (257, 1, 1), (257, 63, 1), (257, 64, 257), (258, 64, 258)],
)
def test_a_pending_line_is_joined_past_256_pieces_under_64_characters(
    pieces: int, size: int, held: int
) -> None:
    decoder = SSEDecoder()
    for _ in range(pieces):
        decoder.feed(b"x" * size)
    assert len(decoder._tail) == held


@pytest.mark.parametrize(
    ("lines", "size", "held"),
    [(257, 1, 257), (258, 1, 2), (258, 62, 2), (258, 63, 258)],  # a line break adds 1
)
def test_pending_data_lines_are_joined_past_256_under_64_characters(
    lines: int, size: int, held: int
) -> None:
    decoder = SSEDecoder()
    decoder.feed(b"".join(b"data:" + b"x" * size + b"\n" for _ in range(lines)))
    assert len(decoder._data) == held


def test_pending_data_lines_averaging_exactly_64_characters_are_not_joined() -> None:
    # 257 lines of 63 characters and their breaks, then an empty line: 257 * 64 in all.
    decoder = SSEDecoder()
    decoder.feed((b"data:" + b"x" * 63 + b"\n") * 257 + b"data:\n")
    assert len(decoder._data) == 258
    assert decoder.feed(b"\n") == [ServerSentEvent(data="\n".join(["x" * 63] * 257 + [""]))]
