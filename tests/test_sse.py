"""SSEDecoder: the WHATWG event-stream rules (line ends, fields, BOM, close), fed in any pieces."""

from __future__ import annotations

import dataclasses

import pytest
from sse_support import datas, decode

from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.timeout(60)


BOM = "\ufeff".encode()


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
