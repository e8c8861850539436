"""SSEDecoder, strict about bad input: invalid UTF-8, the line and event caps, linear time."""

from __future__ import annotations

import time

import pytest
from sse_support import datas, decode

from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, SSEDecoder

pytestmark = pytest.mark.timeout(60)


# --- UTF-8 ------------------------------------------------------------------------------------


def test_multibyte_characters_split_anywhere_decode_correctly() -> None:
    stream = "data: é中😀x\n\n".encode()
    for cut in range(len(stream) + 1):
        assert datas(decode([stream[:cut], stream[cut:]])) == ["é中😀x"], cut


def test_multibyte_characters_fed_one_byte_at_a_time_decode_correctly() -> None:
    stream = "data: é中😀\ndata: 😀\n\n".encode()
    assert datas(decode([bytes([byte]) for byte in stream])) == ["é中😀\n😀"]


@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\xc3(", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"],
    ids=["ff", "bad-continuation", "overlong", "surrogate", "above-max", "lone-continuation"],
)
def test_invalid_utf8_raises_protocol_error(bad: bytes) -> None:
    with pytest.raises(ProtocolError, match="UTF-8"):
        decode(b"data: " + bad + b"\n\n")


def test_invalid_utf8_error_shows_the_bytes_around_it() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b"data: abc\xffdef\n\n")
    assert info.value.line is not None
    assert "abc\\xffdef" in info.value.line


def test_utf8_sequence_cut_off_at_end_of_input_raises_protocol_error() -> None:
    decoder = SSEDecoder()
    assert datas(decoder.feed("data: a\n\ndata: é".encode()[:-1])) == ["a"]
    with pytest.raises(ProtocolError, match="UTF-8"):
        decoder.close()


def test_events_before_invalid_utf8_in_the_same_feed_are_returned_then_error_raised() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: a\n\ndata: b\n\ndata: \xff\n\n")
    assert datas(events) == ["a", "b"]
    with pytest.raises(ProtocolError, match="UTF-8"):
        decoder.feed(b"data: c\n\n")


def test_deferred_error_is_raised_by_close_too() -> None:
    decoder = SSEDecoder()
    assert datas(decoder.feed(b"data: a\n\n\xff")) == ["a"]
    with pytest.raises(ProtocolError):
        decoder.close()


def test_error_is_raised_at_once_when_no_event_came_before_it() -> None:
    decoder = SSEDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(b"data: a\xff\n\n")


def test_failed_decoder_keeps_raising_the_same_error() -> None:
    decoder = SSEDecoder()
    with pytest.raises(ProtocolError) as first:
        decoder.feed(b"\xff")
    with pytest.raises(ProtocolError) as second:
        decoder.feed(b"data: x\n\n")
    with pytest.raises(ProtocolError) as third:
        decoder.close()
    assert first.value is second.value is third.value


# --- limits -----------------------------------------------------------------------------------


def test_line_at_the_cap_is_accepted() -> None:
    line = b"data: " + b"x" * 94  # 100 characters
    assert datas(decode(line + b"\n\n", max_line_size=100)) == ["x" * 94]


def test_line_over_cap_raises_protocol_error() -> None:
    line = b"data: " + b"x" * 95  # 101 characters
    with pytest.raises(ProtocolError, match="line longer than 100") as info:
        decode(line + b"\n\n", max_line_size=100)
    assert info.value.line is not None
    assert info.value.line.startswith("data: xxx")


def test_cap_counts_characters_not_bytes() -> None:
    line = "data: " + "é" * 94  # 100 characters, 194 bytes
    assert datas(decode((line + "\n\n").encode(), max_line_size=100)) == ["é" * 94]


def test_unterminated_line_over_cap_raises_as_soon_as_the_cap_is_crossed() -> None:
    cap = 1 << 20
    decoder = SSEDecoder(max_line_size=cap)
    piece = b"x" * 65536
    fed = 0
    with pytest.raises(ProtocolError, match="line longer than"):
        while True:
            decoder.feed(piece)
            fed += len(piece)
            assert fed <= cap + len(piece)  # never far past the cap
    assert fed == cap  # the feed that crossed it raised


def test_line_over_cap_split_across_feeds_raises_before_its_end() -> None:
    decoder = SSEDecoder(max_line_size=10)
    decoder.feed(b"data: 1234")
    with pytest.raises(ProtocolError):
        decoder.feed(b"5")


def test_long_line_error_shows_only_its_beginning() -> None:
    with pytest.raises(ProtocolError) as info:
        decode([b"data: " + b"y" * 5000], max_line_size=3000)
    assert info.value.line is not None
    assert len(info.value.line) <= 1000
    assert len(str(info.value)) < 200


def test_event_data_over_cap_raises_even_when_each_line_fits() -> None:
    lines = b"data: " + b"x" * 40 + b"\n"
    with pytest.raises(ProtocolError, match="event data longer than 100"):
        decode(lines * 3 + b"\n", max_line_size=100)


def test_event_data_at_cap_is_accepted() -> None:
    # 49 + 1 (the joining LF) + 50 = 100 characters.
    stream = b"data: " + b"x" * 49 + b"\ndata: " + b"y" * 50 + b"\n\n"
    assert datas(decode(stream, max_line_size=100)) == ["x" * 49 + "\n" + "y" * 50]


def test_event_data_cap_resets_after_dispatch() -> None:
    event = b"data: " + b"x" * 40 + b"\ndata: " + b"x" * 40 + b"\n\n"
    assert len(decode(event * 5, max_line_size=100)) == 5


def test_event_data_over_cap_across_feeds_raises() -> None:
    decoder = SSEDecoder(max_line_size=100)
    decoder.feed(b"data: " + b"x" * 60 + b"\n")
    with pytest.raises(ProtocolError, match="event data"):
        decoder.feed(b"data: " + b"x" * 60 + b"\n")


def test_events_before_a_line_over_cap_in_the_same_feed_are_returned() -> None:
    decoder = SSEDecoder(max_line_size=50)
    events = decoder.feed(b"data: a\n\n" + b"data: " + b"z" * 60 + b"\n\n")
    assert datas(events) == ["a"]
    with pytest.raises(ProtocolError):
        decoder.close()


@pytest.mark.parametrize("size", [0, -1])
def test_max_line_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_line_size=size)


def test_default_cap_is_16_mib() -> None:
    assert DEFAULT_MAX_LINE_SIZE == 16 * 1024 * 1024
    assert SSEDecoder().max_line_size == DEFAULT_MAX_LINE_SIZE


# --- linear time ------------------------------------------------------------------------------


def test_long_line_fed_in_small_pieces_takes_linear_time() -> None:
    # Re-joining the unterminated line on every feed would copy ~150 GiB here.
    decoder = SSEDecoder()
    piece = b"x" * 512
    started = time.perf_counter()
    for _ in range(24 * 1024):
        decoder.feed(piece)
    events = decoder.feed(b"\n\n") + decoder.close()
    assert events == []  # the line "xxx..." is a field without a colon
    assert time.perf_counter() - started < 5


def test_many_events_in_tiny_feeds_take_linear_time() -> None:
    stream = b"data: abc\n\n" * 20000
    started = time.perf_counter()
    events = decode([stream[i : i + 7] for i in range(0, len(stream), 7)])
    assert len(events) == 20000
    assert time.perf_counter() - started < 5
