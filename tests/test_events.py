"""EventDecoder: the four DarkAI events, malformed payloads, each event as soon as it is whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from events_support import END, OPEN, PAD, chunk, decode, final, run, run_error, sse

from darkai_sdk._events import EventDecoder, FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import ProtocolError

pytestmark = pytest.mark.timeout(60)


# --- the four events --------------------------------------------------------------------------


def test_text_chunk_becomes_a_plain_str(where: str) -> None:
    assert run(chunk("Hel"), where) == ["Hel"]


def test_final_response_becomes_final_response(where: str) -> None:
    assert run(final("Hello"), where) == [FinalResponse("Hello")]


def test_stream_end_becomes_stream_end(where: str) -> None:
    assert run(END, where) == [StreamEnd()]


def test_seed_example_stream_decodes_in_order() -> None:
    body = chunk("Hel") + chunk("lo") + final("Hello") + END
    assert decode(body) == ["Hel", "lo", FinalResponse("Hello"), StreamEnd()]


def test_error_event_takes_its_message_from_data_message(where: str) -> None:
    payload = {"event": "error", "data": {"message": "overloaded", "error": "other"}}
    assert run(sse(payload), where) == [ServerError("overloaded", json.dumps(payload))]


def test_error_event_takes_data_error_when_there_is_no_message() -> None:
    payload = {"event": "error", "data": {"error": "quota"}}
    assert decode(sse(payload)) == [ServerError("quota", json.dumps(payload))]


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "error"},
        {"event": "error", "data": "text"},
        {"event": "error", "data": {"message": 5, "error": None}},
        {"event": "error", "data": []},
    ],
)
def test_error_event_without_a_string_message_carries_the_raw_payload(payload: object) -> None:
    raw = json.dumps(payload)
    assert decode(sse(payload)) == [ServerError(raw, raw)]


def test_server_error_raw_is_the_whole_data_payload() -> None:
    event = decode(b'data: {"event":"error","data":{"message":"m"}, "x": 1}\n\n')[0]
    assert event == ServerError("m", '{"event":"error","data":{"message":"m"}, "x": 1}')


def test_unknown_event_names_are_skipped_and_counted(where: str) -> None:
    decoder = EventDecoder()
    body = sse({"event": "ping"}) + sse({"event": "usage", "data": {"n": 1}})
    if where == "alone":
        assert decoder.feed(body) + decoder.close() == []
    else:
        assert decoder.feed(PAD + body + PAD) + decoder.close() == ["p"] * 6
    assert decoder.skipped == 2


def test_empty_text_chunks_are_left_out(where: str) -> None:
    assert run(chunk("") + chunk("x") + chunk(""), where) == ["x"]


def test_extra_keys_are_ignored() -> None:
    body = sse({"event": "text-chunk", "data": {"text": "a", "n": 1}, "id": 3})
    assert decode(body) == ["a"]


def test_duplicate_keys_take_the_last_value_as_json_does() -> None:
    body = b'data: {"event": "text-chunk", "data": {"text": "a", "text": "b"}}\n\n'
    assert decode(PAD + body + PAD)[3:-3] == ["b"]


def test_sse_event_field_names_the_event_when_the_json_has_none() -> None:
    body = b"event: stream-end\ndata: {}\n\n"
    body += b'event: text-chunk\ndata: {"data": {"text": "t"}}\n\n'
    assert decode(body) == [StreamEnd(), "t"]


def test_json_event_key_wins_over_the_sse_event_field() -> None:
    body = b'event: stream-end\ndata: {"event": "text-chunk", "data": {"text": "t"}}\n\n'
    assert decode(body) == ["t"]


def test_other_spacing_and_key_order_decode_the_same(where: str) -> None:
    body = (
        b'data:{"event":"text-chunk","data":{"text":"a"}}\n\n'
        b'data: {"data": {"text": "b"}, "event": "text-chunk"}\n\n'
        b'data:  { "event" : "text-chunk" , "data" : { "text" : "c" } }\n\n'
    )
    assert run(body, where) == ["a", "b", "c"]


def test_multi_line_data_is_one_json_payload(where: str) -> None:
    body = b'data: {"event": "text-chunk",\ndata:  "data": {"text": "ab"}}\n\n'
    assert run(body, where) == ["ab"]


def test_comments_ids_and_retry_fields_around_events_change_nothing(where: str) -> None:
    body = b": ping\nid: 4\nretry: 100\n" + chunk("x") + b": bye\n\n"
    assert run(body, where) == ["x"]


# --- malformed payloads -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"{", b"not json", b"{'event': 'x'}", b"NaN x", b'{"event": "text-chunk"} x'],
    ids=["truncated", "words", "single-quotes", "junk", "trailing-data"],
)
def test_payload_that_is_not_json_raises_protocol_error(data: bytes, where: str) -> None:
    error = run_error(b"data: " + data + b"\n\n", where)
    assert "not JSON" in str(error)
    assert error.line == data.decode()


def test_empty_data_is_a_keep_alive_and_skipped() -> None:
    decoder = EventDecoder()
    body = b"data:\n\ndata: \n\n" + sse({"event": "text-chunk", "data": {"text": "a"}})
    assert decoder.feed(body) == ["a"]
    assert decoder.skipped == 2


def test_error_is_visible_at_once_when_held_back_behind_events() -> None:
    decoder = EventDecoder()
    good = sse({"event": "text-chunk", "data": {"text": "a"}})
    assert decoder.feed(good + b"data: {oops\n\n") == ["a"]
    assert isinstance(decoder.error, ProtocolError)
    with pytest.raises(ProtocolError):
        decoder.feed(b"")


@pytest.mark.parametrize("data", [b"[1]", b'"text-chunk"', b"3", b"null", b"true"])
def test_payload_that_is_not_an_object_raises_protocol_error(data: bytes, where: str) -> None:
    error = run_error(b"data: " + data + b"\n\n", where)
    assert "not a JSON object" in str(error)


def test_payload_without_an_event_name_raises_protocol_error(where: str) -> None:
    error = run_error(sse({"data": {"text": "a"}}), where)
    assert 'no "event"' in str(error)


@pytest.mark.parametrize("name", [1, None, ["text-chunk"], {"a": 1}])
def test_event_name_that_is_not_a_string_raises_protocol_error(name: object) -> None:
    with pytest.raises(ProtocolError, match="not a string"):
        decode(sse({"event": name, "data": {"text": "a"}}))


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "text-chunk"},
        {"event": "text-chunk", "data": "a"},
        {"event": "text-chunk", "data": {}},
        {"event": "text-chunk", "data": {"text": 5}},
        {"event": "text-chunk", "data": {"text": None}},
        {"event": "text-chunk", "data": {"text": ["a"]}},
        {"event": "final-response", "data": {}},
        {"event": "final-response", "data": {"message": 1}},
        {"event": "final-response", "data": None},
    ],
)
def test_data_of_the_wrong_type_raises_protocol_error(payload: dict[str, Any], where: str) -> None:
    error = run_error(sse(payload), where)
    assert error.line == json.dumps(payload)


def test_long_bad_payload_is_shortened_in_the_message_and_kept_in_line() -> None:
    payload = "x" * 5000
    with pytest.raises(ProtocolError) as info:
        decode(b"data: " + payload.encode() + b"\n\n")
    assert len(str(info.value)) < 300
    assert info.value.line == payload[:1000]


def test_deeply_nested_payload_raises_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        decode(b"data: " + b"[" * 100_000 + b"\n\n")


def test_integer_too_long_for_python_raises_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        decode(b'data: {"event": "x", "n": ' + b"9" * 5000 + b"}\n\n")


# --- no event is lost to an error --------------------------------------------------------------


def test_events_before_malformed_payload_are_returned_then_error_raised() -> None:
    decoder = EventDecoder()
    body = chunk("a") * 5 + b"data: {bad\n\n" + chunk("b") * 5
    assert decoder.feed(body) == ["a"] * 5
    with pytest.raises(ProtocolError) as info:
        decoder.feed(chunk("c"))
    assert info.value.line == "{bad"


def test_deferred_error_is_raised_by_close() -> None:
    decoder = EventDecoder()
    assert decoder.feed(chunk("a") + b"data: [\n\n") == ["a"]
    with pytest.raises(ProtocolError):
        decoder.close()


def test_error_is_raised_at_once_when_no_event_came_before_it() -> None:
    decoder = EventDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(b"data: [\n\n" + chunk("a") * 5)


def test_failed_decoder_keeps_raising_the_same_error() -> None:
    decoder = EventDecoder()
    decoder.feed(chunk("a") + b"data: nope\n\n")
    with pytest.raises(ProtocolError) as first:
        decoder.feed(b"")
    with pytest.raises(ProtocolError) as second:
        decoder.close()
    assert first.value is second.value


def test_events_before_a_line_over_the_cap_are_returned() -> None:
    decoder = EventDecoder(max_line_size=100)
    assert decoder.feed(chunk("a") + b"data: " + b"z" * 200) == ["a"]
    with pytest.raises(ProtocolError, match="longer than"):
        decoder.close()


def test_unterminated_long_line_raises_as_soon_as_the_cap_is_crossed() -> None:
    decoder = EventDecoder(max_line_size=1 << 20)
    decoder.feed(OPEN)
    with pytest.raises(ProtocolError):
        for _ in range(17):
            decoder.feed(b"x" * 65536)


# --- nothing is held back ---------------------------------------------------------------------


def test_each_event_is_returned_by_the_feed_that_completes_it() -> None:
    decoder = EventDecoder()
    for text in ["a", "b", "c"]:
        assert decoder.feed(chunk(text)) == [text]
    assert decoder.feed(final("abc")) == [FinalResponse("abc")]
    assert decoder.feed(END) == [StreamEnd()]


def test_event_is_returned_as_soon_as_its_blank_line_arrives() -> None:
    decoder = EventDecoder()
    body = chunk("a") + chunk("b")
    assert decoder.feed(body[:-1]) == ["a"]
    assert decoder.feed(body[-1:]) == ["b"]


def test_unfinished_line_after_common_events_completes_in_the_next_feed() -> None:
    decoder = EventDecoder()
    assert decoder.feed(PAD + OPEN + "é".encode()[:1]) == ["p"] * 3
    assert decoder.feed("é".encode()[1:] + b'xyz"}}\n') == []
    assert decoder.feed(b"\n" + PAD) == ["éxyz", "p", "p", "p"]


@pytest.mark.parametrize(
    "pending",
    [b"data: [1,\n", b"data: 1\n", b"data: [1", b"\xe4", b"\xe4\xb8"],
    ids=["data-line", "data-line-2", "unfinished-line", "utf8-1", "utf8-2"],
)
def test_pending_bytes_before_common_events_are_not_skipped(pending: bytes) -> None:
    decoder = EventDecoder()
    assert decoder.feed(chunk("a") + pending) == ["a"]
    with pytest.raises(ProtocolError):
        decoder.feed(chunk("b") + chunk("c") + chunk("d"))


def test_pending_event_type_applies_to_the_next_event_only() -> None:
    decoder = EventDecoder()
    assert decoder.feed(b"event: stream-end\n") == []
    assert decoder.feed(PAD) == ["p"] * 3  # the JSON name wins over the field
    with pytest.raises(ProtocolError, match='no "event"'):
        decoder.feed(b"data: {}\n\n")  # the field was spent on the first event


def test_carried_line_and_next_feed_over_the_cap_are_checked() -> None:
    decoder = EventDecoder(max_line_size=200)
    assert decoder.feed(chunk("a") + OPEN + b"x" * 10) == ["a"]
    # The line of the 150-character text has 201 characters.
    assert decoder.feed(b'"}}\n\n' + chunk("y" * 150) + chunk("z") + chunk("w")) == ["x" * 10]
    with pytest.raises(ProtocolError, match="longer than 200"):
        decoder.close()


# --- close() ----------------------------------------------------------------------------------


def test_close_decodes_an_event_without_a_trailing_blank_line() -> None:
    decoder = EventDecoder()
    assert decoder.feed(chunk("a") + END.rstrip(b"\n")) == ["a"]
    assert decoder.close() == [StreamEnd()]


def test_close_does_not_invent_a_stream_end() -> None:
    assert decode(chunk("a") + chunk("b")) == ["a", "b"]


def test_close_raises_for_a_utf8_sequence_cut_off() -> None:
    decoder = EventDecoder()
    assert decoder.feed(chunk("a") + chunk("é")[:-6]) == ["a"]  # half of "é"
    with pytest.raises(ProtocolError, match="UTF-8"):
        decoder.close()


def test_close_raises_for_a_truncated_payload() -> None:
    decoder = EventDecoder()
    decoder.feed(chunk("abc")[:-6])
    with pytest.raises(ProtocolError, match="not JSON"):
        decoder.close()


def test_second_close_returns_nothing() -> None:
    decoder = EventDecoder()
    decoder.feed(END.rstrip())
    assert decoder.close() == [StreamEnd()]
    assert decoder.close() == []


@pytest.mark.parametrize("split", [False, True], ids=["one-feed", "two-feeds"])
def test_deeply_nested_json_in_a_text_chunk_like_event_is_a_protocol_error(split: bool) -> None:
    # Under 4 KiB, one data line naming text-chunk: the decoder tries to learn its
    # form from it; the nesting must end in the typed error, not a RecursionError.
    deep = b'data: ["text-chunk", ' + b"[" * 1500 + b"]" * 1500 + b"]\n\n"
    first = b'data: {"event": "ping"}\n\n'
    decoder = EventDecoder()
    with pytest.raises(ProtocolError, match="malformed DarkAI event, not JSON"):
        if split:
            assert decoder.feed(first) == []
            decoder.feed(deep)
        else:
            decoder.feed(first + deep)
