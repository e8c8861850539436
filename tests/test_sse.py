"""SSEDecoder: the WHATWG event-stream rules, fed in any pieces, strict about bad input."""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, LineEnds, ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.timeout(60)

BOM = "\ufeff".encode()


def decode(
    pieces: bytes | Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> list[ServerSentEvent]:
    """Feed every piece, then close; return all events (errors propagate)."""
    if isinstance(pieces, bytes):
        pieces = [pieces]
    decoder = SSEDecoder(max_line_size=max_line_size)
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.close()
    return events


def outcome(
    pieces: Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> tuple[list[ServerSentEvent], bool]:
    """Feed and close like a client: the events received, and whether an error ended it."""
    decoder = SSEDecoder(max_line_size=max_line_size)
    events: list[ServerSentEvent] = []
    try:
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.close()
    except ProtocolError:
        return events, True
    return events, False


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def datas(events: Sequence[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]


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


# --- line ends --------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_end_dispatches_events(end: str) -> None:
    stream = f"data: a{end}{end}data: b{end}data: c{end}{end}".encode()
    assert datas(decode(stream)) == ["a", "b\nc"]


def test_mixed_line_ends_in_one_stream() -> None:
    assert datas(decode(b"data: a\r\n\rdata: b\n\r\ndata: c\r\r")) == ["a", "b", "c"]


def test_cr_at_end_of_feed_and_lf_at_start_of_next_is_one_line_end() -> None:
    # Two line ends would make a blank line and dispatch "a" on its own.
    assert datas(decode([b"data: a\r", b"\ndata: b\n\n"])) == ["a\nb"]


def test_cr_at_end_of_feed_then_cr_at_start_of_next_are_two_line_ends() -> None:
    assert datas(decode([b"data: a\r", b"\rdata: b\n\n"])) == ["a", "b"]


def test_cr_then_empty_feed_then_lf_is_one_line_end() -> None:
    assert datas(decode([b"data: a\r", b"", b"\ndata: b\n\n"])) == ["a\nb"]


def test_cr_then_lf_then_lf_across_feeds_dispatches_once() -> None:
    assert datas(decode([b"data: a\r", b"\n", b"\n"])) == ["a"]


def test_lone_lf_after_consumed_crlf_is_a_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []  # ends "data: a"
    assert datas(decoder.feed(b"\n")) == ["a"]  # a blank line


@pytest.mark.parametrize(
    "char",
    ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"],
    ids=["U+2028", "U+2029", "NEL", "VT", "FF", "FS", "GS", "RS"],
)
def test_unicode_and_ascii_separators_are_not_line_ends(char: str) -> None:
    stream = f"data: a{char}b\n\n".encode()
    assert datas(decode(stream)) == [f"a{char}b"]


def test_u2028_is_not_a_line_end() -> None:
    assert datas(decode("data: a\u2028data: b\n\n".encode())) == ["a\u2028data: b"]


def test_bytes_fed_one_at_a_time_give_the_same_events() -> None:
    stream = "id: 7\r\nevent: x\r\ndata: é中😀\r\n\r\n:c\rdata: 2\r\r".encode()
    assert decode([stream[i : i + 1] for i in range(len(stream))]) == decode(stream)


# --- fields -----------------------------------------------------------------------------------


def test_one_space_after_colon_is_removed() -> None:
    assert datas(decode(b"data: x\n\n")) == ["x"]


def test_only_one_space_after_colon_is_removed() -> None:
    assert datas(decode(b"data:  x \n\n")) == [" x "]


def test_value_without_space_after_colon_is_kept_whole() -> None:
    assert datas(decode(b"data:x\n\n")) == ["x"]


def test_tab_after_colon_is_not_removed() -> None:
    assert datas(decode(b"data:\tx\n\n")) == ["\tx"]


def test_colon_inside_value_is_kept() -> None:
    assert datas(decode(b"data: a: b:c\n\n")) == ["a: b:c"]


def test_data_lines_of_one_event_are_joined_with_lf() -> None:
    assert datas(decode(b"data: a\ndata:b\ndata: c\n\n")) == ["a\nb\nc"]


def test_empty_data_lines_add_empty_lines() -> None:
    assert datas(decode(b"data:\ndata\ndata: x\ndata:\n\n")) == ["\n\nx\n"]


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert decode(b"data\n\n") == [ServerSentEvent(data="")]


def test_field_names_are_case_sensitive() -> None:
    assert decode(b"Data: x\nDATA: y\n\n") == []


def test_field_name_with_trailing_space_is_unknown() -> None:
    assert decode(b"data : x\n\n") == []


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\ndata: x\nbaz\n\n") == [ServerSentEvent(data="x")]


@pytest.mark.parametrize("comment", [b":", b": ping", b":data: x", b"::"])
def test_comment_lines_are_ignored(comment: bytes) -> None:
    assert decode(comment + b"\ndata: x\n" + comment + b"\n\n") == [ServerSentEvent(data="x")]


def test_stream_of_comments_dispatches_nothing() -> None:
    assert decode(b": keep-alive\n\n: keep-alive\n\n") == []


def test_blank_line_without_data_dispatches_nothing() -> None:
    assert decode(b"\n\n\n\nevent: x\n\n") == []


def test_event_field_sets_the_event_type() -> None:
    assert decode(b"event: update\ndata: x\n\n") == [ServerSentEvent(event="update", data="x")]


def test_empty_event_field_means_message() -> None:
    assert decode(b"event: update\nevent:\ndata: x\n\n")[0].event == "message"


def test_event_type_resets_after_dispatch() -> None:
    events = decode(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert [event.event for event in events] == ["a", "message"]


def test_event_type_resets_on_blank_line_without_data() -> None:
    assert decode(b"event: a\n\ndata: 2\n\n") == [ServerSentEvent(data="2")]


def test_event_fields_may_follow_data_lines() -> None:
    assert decode(b"data: x\nevent: late\n\n") == [ServerSentEvent(event="late", data="x")]


def test_nul_and_controls_in_data_are_kept() -> None:
    assert datas(decode(b"data: a\x00b\x01\x7f\n\n")) == ["a\x00b\x01\x7f"]


def test_id_sets_last_event_id_which_persists() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\ndata: b\n\n")
    assert [event.id for event in events] == ["1", "1"]
    assert decoder.last_event_id == "1"


def test_id_without_data_still_sets_last_event_id() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 9\n\n") == []
    assert decoder.last_event_id == "9"
    assert decoder.feed(b"data: x\n\n")[0].id == "9"


def test_id_containing_nul_is_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\n\nid: 2\x003\ndata: a\n\n")
    assert events[0].id == "1"
    assert decoder.last_event_id == "1"


def test_empty_id_resets_last_event_id() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\nid\ndata: b\n\n")
    assert [event.id for event in events] == ["1", None]
    assert decoder.last_event_id == ""


def test_event_before_any_id_has_none() -> None:
    assert decode(b"data: a\n\n")[0].id is None


def test_retry_sets_the_reconnection_time() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: 3000\ndata: a\n\n")
    assert decoder.retry == 3000
    assert events[0].retry == 3000


def test_retry_applies_to_its_own_event_only() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: 5\ndata: a\n\ndata: b\n\n")
    assert [event.retry for event in events] == [5, None]
    assert decoder.retry == 5


def test_retry_without_data_updates_the_decoder_only() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 10\n\n") == []
    assert decoder.retry == 10
    assert decoder.feed(b"data: x\n\n")[0].retry is None


@pytest.mark.parametrize(
    "value",
    [b"", b"12a", b" 12", b"-1", b"+1", b"1.5", b"1e3", "\uff11\uff12".encode(), b"\xc2\xb2"],
)
def test_retry_that_is_not_only_ascii_digits_is_ignored(value: bytes) -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: 7\n\nretry: " + value + b"\ndata: x\n\n")
    assert decoder.retry == 7
    assert events[0].retry is None


def test_retry_with_leading_zeros_is_decimal() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"retry: 0010\n\n")
    assert decoder.retry == 10


def test_retry_too_long_for_int_is_ignored_without_crashing() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: " + b"9" * 5000 + b"\ndata: x\n\n")
    assert decoder.retry is None
    assert events == [ServerSentEvent(data="x")]


# --- BOM --------------------------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    assert datas(decode(BOM + b"data: x\n\n")) == ["x"]


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_bom_split_across_feeds_is_stripped(cut: int) -> None:
    stream = BOM + b"data: x\n\n"
    assert datas(decode([stream[:cut], stream[cut:]])) == ["x"]


def test_bom_fed_one_byte_at_a_time_is_stripped() -> None:
    assert datas(decode([b"\xef", b"\xbb", b"\xbf", b"data: x\n\n"])) == ["x"]


def test_only_one_leading_bom_is_stripped() -> None:
    # The second BOM starts the first line's field name, which is then unknown.
    assert decode(BOM + BOM + b"data: x\n\ndata: y\n\n") == [ServerSentEvent(data="y")]


def test_bom_after_the_start_is_data() -> None:
    assert datas(decode(b"data: " + BOM + b"x\n\n" + BOM + b"data: y\n\n")) == ["\ufeffx"]


def test_bom_is_stripped_even_before_a_line_end() -> None:
    assert datas(decode(BOM + b"\ndata: x\n\n")) == ["x"]


def test_partial_bom_followed_by_other_bytes_is_invalid_utf8() -> None:
    with pytest.raises(ProtocolError):
        decode([b"\xef\xbb", b"data: x\n\n"])


def test_partial_bom_at_end_of_input_is_invalid_utf8() -> None:
    with pytest.raises(ProtocolError):
        decode([b"\xef\xbb"])


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


# --- close() ----------------------------------------------------------------------------------


def test_close_dispatches_a_pending_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert datas(decoder.close()) == ["a"]


def test_close_processes_an_unterminated_last_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: x\ndata: a\ndata: b") == []
    assert decoder.close() == [ServerSentEvent(event="x", data="a\nb")]


def test_close_ignores_an_unterminated_comment() -> None:
    assert decode(b"data: a\n\n: bye") == [ServerSentEvent(data="a")]


def test_close_with_nothing_pending_returns_nothing() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.close() == []


def test_close_on_empty_input_returns_nothing() -> None:
    assert SSEDecoder().close() == []


def test_second_close_returns_nothing() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a")
    assert datas(decoder.close()) == ["a"]
    assert decoder.close() == []


def test_feed_after_close_is_a_runtime_error() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(b"data: a\n\n")


def test_empty_feeds_change_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert datas(decoder.feed(b"data: a\n\n")) == ["a"]
    assert decoder.feed(b"") == []


# --- ServerSentEvent --------------------------------------------------------------------------


def test_server_sent_event_defaults() -> None:
    assert ServerSentEvent() == ServerSentEvent("message", "", None, None)


def test_server_sent_event_is_frozen() -> None:
    event = decode(b"data: a\n\n")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "b"  # type: ignore[misc]


def test_decoded_events_equal_constructed_ones_and_hash_alike() -> None:
    event = decode(b"event: e\nid: 1\nretry: 2\ndata: d\n\n")[0]
    built = ServerSentEvent(event="e", data="d", id="1", retry=2)
    assert event == built
    assert hash(event) == hash(built)
    assert repr(event) == repr(built)


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


# --- properties -------------------------------------------------------------------------------

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


# --- exact errors, state and bounds (each one pinned) -------------------------------------------


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
