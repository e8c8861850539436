"""EventDecoder: DarkAI events from event-stream bytes, fast for the common form, never lossy."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darkai_sdk._events import Event, EventDecoder, FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder
from darkai_sdk._template import Template, learn_template

pytestmark = pytest.mark.timeout(60)

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
    """Feed every piece, then close; return all events (errors propagate)."""
    if isinstance(pieces, bytes):
        pieces = [pieces]
    decoder = EventDecoder(max_line_size=max_line_size)
    events: list[Event] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.close()
    return events


def outcome(
    pieces: Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> tuple[list[Event], bool, int]:
    """Feed and close like a client: events received, whether an error ended it, skipped."""
    decoder = EventDecoder(max_line_size=max_line_size)
    events: list[Event] = []
    try:
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.close()
    except ProtocolError:
        return events, True, decoder.skipped
    return events, False, decoder.skipped


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    return [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]


@pytest.fixture(params=["alone", "amid-text-chunks"])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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


# --- text decoding: the fast path must equal json.loads -----------------------------------------


TRICKY_TEXTS = [
    "plain words",
    "é中😀 mixed",
    'say "hi"',
    "back\\slash",
    "ends with backslash\\",
    "\\",
    '\\"',
    "line\nbreak\r\n",
    "tab\there",
    "\x00\x01\x1f\x7f",
    "\u2028\u2029\x85",
    "/slash/",
    "😀" * 10,
    '"}}\n\ndata: {"event": "text-chunk", "data": {"text": "',
]


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["raw-utf8", "ascii-escapes"])
@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_text_is_decoded_exactly(text: str, ensure_ascii: bool, where: str) -> None:
    assert run(chunk(text, ensure_ascii=ensure_ascii), where) == [text]


def test_lone_surrogate_escape_becomes_a_replacement_character_and_is_counted(
    where: str,
) -> None:
    assert run(chunk("a\ud800b", ensure_ascii=True), where) == ["a\ufffdb"]
    decoder = EventDecoder()
    assert decoder.feed(PAD + chunk("\udc00x", ensure_ascii=True) + PAD)[3] == "\ufffdx"
    assert decoder.replaced == 1


# A JavaScript server slices text by UTF-16 code units: an emoji can be cut in two.
HIGH, LOW = chunk("\ud83d", ensure_ascii=True), chunk("\ude42", ensure_ascii=True)


def test_surrogate_pair_split_across_two_events_is_one_character(where: str) -> None:
    assert run(
        chunk("a\ud83d", ensure_ascii=True) + chunk("\ude42b", ensure_ascii=True), where
    ) == [
        "a",
        "\U0001f642b",
    ]


@pytest.mark.parametrize("framing", ["one-feed", "two-feeds", "byte-by-byte"])
def test_high_surrogate_waits_for_its_pair_in_a_later_feed(framing: str) -> None:
    body = PAD + HIGH + LOW + PAD + END
    if framing == "one-feed":
        pieces = [body]
    elif framing == "two-feeds":
        pieces = [body[: body.index(LOW)], body[body.index(LOW) :]]
    else:
        pieces = [body[i : i + 1] for i in range(len(body))]
    decoder = EventDecoder()
    events: list[Event] = []
    for piece in pieces:
        events += decoder.feed(piece)
    assert events == ["p"] * 3 + ["\U0001f642"] + ["p"] * 3 + [StreamEnd()]
    assert decoder.replaced == 0


def test_high_surrogate_is_not_given_before_its_pair_arrives() -> None:
    decoder = EventDecoder()
    assert decoder.feed(PAD + HIGH) == ["p"] * 3
    assert decoder.feed(LOW) == ["\U0001f642"]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (chunk("x"), ["\ufffdx"]),
        (final("x"), ["\ufffd", FinalResponse("x")]),
        (END, ["\ufffd", StreamEnd()]),
        (sse({"event": "error", "data": {"message": "m"}}), ["\ufffd", ServerError("m", "")]),
        (HIGH, ["\ufffd", "\ufffd"]),
        (b"", ["\ufffd"]),
    ],
    ids=["text", "final-response", "stream-end", "error", "another-high", "end-of-input"],
)
def test_high_surrogate_without_its_pair_becomes_a_replacement_character(
    after: bytes, expected: list[Event]
) -> None:
    decoder = EventDecoder()
    events = decoder.feed(PAD + HIGH + after) + decoder.close()
    events = [ServerError(e.message, "") if isinstance(e, ServerError) else e for e in events]
    assert events == ["p"] * 3 + expected
    assert decoder.replaced == sum(e.count("\ufffd") for e in expected if isinstance(e, str))


def test_final_response_with_a_lone_surrogate_is_repaired_like_the_chunks() -> None:
    message = {"event": "final-response", "data": {"message": "\ud83d"}}
    body = HIGH + sse(message, ensure_ascii=True) + END
    assert decode(body) == ["\ufffd", FinalResponse("\ufffd"), StreamEnd()]


def test_many_tricky_texts_in_one_feed_decode_exactly() -> None:
    texts = TRICKY_TEXTS * 3
    body = b"".join(chunk(text) for text in texts) + END
    assert decode(body) == [*texts, StreamEnd()]


def test_surrogate_pair_escape_decodes_to_one_character() -> None:
    assert decode(PAD + OPEN + b"\\ud83d\\ude00" + CLOSE + PAD)[3:-3] == ["😀"]


def test_uppercase_and_slash_escapes_decode_as_json_does() -> None:
    assert decode(PAD + OPEN + b"\\u00E9\\/\\b\\f" + CLOSE + PAD)[3:-3] == ["é/\b\f"]


@pytest.mark.parametrize(
    "bad",
    [b"\\x41", b"\\u12", b"\\u12g4", b"\\", b"\\q", b"a\tb", b"a\x00b", b"a\x1fb"],
    ids=["hex-escape", "short-u", "bad-hex", "trailing-backslash", "unknown", "tab", "nul", "us"],
)
def test_invalid_json_string_raises_protocol_error(bad: bytes, where: str) -> None:
    error = run_error(OPEN + bad + CLOSE, where)
    assert error.line is not None
    assert error.line.startswith('{"event": "text-chunk"')


def test_unescaped_quote_making_valid_json_is_decoded_as_json_does(where: str) -> None:
    body = OPEN + b'a", "x": "y' + CLOSE
    assert run(body, where) == ["a"]


@pytest.mark.parametrize(
    "fragment", [b'a"b', b'a","b', b'a", "b', rb'a\","b', b'","'], ids=["1", "2", "3", "4", "5"]
)
def test_unescaped_quote_making_invalid_json_raises(fragment: bytes, where: str) -> None:
    # '","' would split one text into two elements of a JSON array: not here.
    run_error(OPEN + fragment + CLOSE, where)


@pytest.mark.parametrize("fragment", [rb"a\\", rb"\\", rb"a\\\\"])
def test_texts_ending_in_an_escaped_backslash_decode_exactly(fragment: bytes, where: str) -> None:
    text = json.loads(b'"' + fragment + b'"')
    assert run(OPEN + fragment + CLOSE + OPEN + fragment + CLOSE, where) == [text, text]


@pytest.mark.parametrize("fragment", [b"a\\", b"\\\\\\"], ids=["one", "three"])
def test_texts_ending_in_an_odd_backslash_run_raise(fragment: bytes, where: str) -> None:
    # The last backslash escapes the closing quote: the string runs past the line.
    run_error(OPEN + fragment + CLOSE + OPEN + b"x" + CLOSE, where)


def test_raw_newline_inside_a_text_splits_the_line(where: str) -> None:
    # "b..." becomes an unknown field; the event's data is not JSON.
    run_error(OPEN + b"a\nb" + CLOSE, where)


@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe4\xb8"],
    ids=["ff", "surrogate", "overlong", "cut"],
)
def test_invalid_utf8_inside_a_text_raises_after_earlier_events(bad: bytes, where: str) -> None:
    error = run_error(OPEN + b"a" + bad + b"b" + CLOSE, where)
    assert "UTF-8" in str(error)


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_crlf_and_cr_streams_decode_like_lf_streams(ending: str) -> None:
    body = PAD + chunk('é"\\') + final("x") + END
    assert decode(body.replace(b"\n", ending.encode())) == decode(body)


def test_crlf_split_between_feeds_inside_the_fast_region() -> None:
    body = (PAD * 10).replace(b"\n", b"\r\n")
    cut = body.index(b"\r\n", len(body) // 2) + 1
    assert decode([body[:cut], body[cut:]]) == ["p"] * 30


def test_leading_bom_is_stripped_before_text_chunks() -> None:
    assert decode("\ufeff".encode() + PAD + END) == ["p", "p", "p", StreamEnd()]


def test_text_chunk_split_across_feeds_anywhere() -> None:
    body = PAD + chunk('é中😀 \\ "q"') + PAD
    expected = ["p"] * 3 + ['é中😀 \\ "q"'] + ["p"] * 3
    for cut in range(len(body) + 1):
        assert decode([body[:cut], body[cut:]]) == expected, cut


def test_fast_path_skips_the_general_decoder_for_plain_and_escaped_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    general = EventDecoder._general

    def counting(self: EventDecoder, data: bytes, out: list[Event]) -> None:
        nonlocal calls
        calls += 1
        general(self, data, out)

    monkeypatch.setattr(EventDecoder, "_general", counting)
    texts = [f"word {i} é中😀" for i in range(500)] + ['with "quotes" \\ and \n'] * 10
    for form in FORMS:
        for ensure_ascii in (False, True):
            calls = 0
            body = b"".join(FORMS[form](text, ensure_ascii) for text in texts)
            assert decode(body) == texts
            assert calls <= 3, form  # the first event, the last one, and close()
            calls = 0
            assert decode(split_at(body, range(0, len(body), 1000))) == texts
            assert calls <= 3 + len(body) // 1000 // 20, form  # rarely: a cut at a line end


def test_feed_longer_than_the_cap_decodes_like_small_feeds() -> None:
    body = b"".join(chunk(f"t{i} é") for i in range(300)) + final("f") + END
    assert decode(body, max_line_size=200) == decode(split_at(body, range(0, len(body), 97)))


def test_feed_of_several_mebibytes_decodes_like_small_feeds() -> None:
    texts = [f"t{i} é中😀" for i in range(30_000)] + [f'"q{i}" \\' for i in range(30_000)]
    body = b"".join(map(chunk, texts)) + END
    assert len(body) > 3 << 20
    assert decode(body) == [*texts, StreamEnd()]
    assert decode(split_at(body, range(0, len(body), 65536))) == [*texts, StreamEnd()]


def test_text_line_over_the_cap_raises_even_in_the_fast_region() -> None:
    body = PAD + chunk("x" * 100) + PAD
    with pytest.raises(ProtocolError, match="longer than"):
        decode(body, max_line_size=120)
    assert decode(body, max_line_size=200)[3] == "x" * 100


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


# --- the fast paths hand what they cannot take to the general way ------------------------------

_GOOD = chunk("ab")
# The first event teaches the form; from the second on, the fast paths take over.
_WARM = [chunk("w"), _GOOD]
FAST_PATH_BAIL_OUTS = {
    "one-event-bad-utf8": [*_WARM, OPEN + b"\xff" + CLOSE],
    "one-event-bad-escape": [*_WARM, OPEN + b"\\x" + CLOSE],
    "one-event-inner-quote": [*_WARM, OPEN + b'a"b' + CLOSE],
    "one-event-high-surrogate": [*_WARM, OPEN + b"\\ud83d" + CLOSE, chunk("c")],
    "carried-then-bad-utf8": [*_WARM, OPEN + b"ab", b"\xff" + CLOSE],
    "carried-then-bad-escape": [*_WARM, OPEN + b"ab", b"\\x" + CLOSE],
    "carried-then-inner-quote": [*_WARM, OPEN + b'a"', b"b" + CLOSE],
    "carried-utf8-split": [*_WARM, OPEN + "中".encode()[:2], "中".encode()[2:] + CLOSE],
    "not-carried-bad-utf8-inside": [*_WARM, OPEN + b"\xffab", CLOSE],
    "not-carried-too-long": [*_WARM, OPEN + b"a" * 5000, CLOSE],
    "two-events-then-bad-utf8": [*_WARM, _GOOD + OPEN + b"\xff" + CLOSE],
}


@pytest.mark.parametrize("pieces", FAST_PATH_BAIL_OUTS.values(), ids=FAST_PATH_BAIL_OUTS.keys())
def test_what_a_fast_path_cannot_take_decodes_as_the_general_way_does(
    pieces: list[bytes],
) -> None:
    assert outcome(pieces) == reference(b"".join(pieces), DEFAULT_MAX_LINE_SIZE)
    assert outcome(pieces, max_line_size=60) == reference(b"".join(pieces), 60)


# --- exact errors, counts and bounds (each one pinned) -----------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            "{",
            "not JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
            "(char 1))",
        ),
        ("[1]", "not a JSON object"),
        ("{}", 'no "event" name'),
        ('{"event": 1}', '"event" is not a string'),
        ('{"event": "text-chunk", "data": 1}', '"data" is not an object'),
        ('{"event": "text-chunk", "data": {"text": 1}}', '"data.text" is not a string'),
        ('{"event": "final-response", "data": {}}', '"data.message" is not a string'),
    ],
)
def test_a_malformed_payload_names_what_is_wrong_and_shows_it(payload: str, reason: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(f"data: {payload}\n\n".encode())
    assert str(info.value) == f"malformed DarkAI event, {reason}: {payload!r}"
    assert info.value.line == payload


@pytest.mark.parametrize("length", [200, 201])
def test_a_malformed_payload_is_shown_up_to_200_characters(length: int) -> None:
    payload = "[" + "1" * (length - 2) + "]"
    with pytest.raises(ProtocolError) as info:
        decode(f"data: {payload}\n\n".encode())
    shown = payload if length <= 200 else payload[:200] + "..."
    assert str(info.value) == f"malformed DarkAI event, not a JSON object: {shown!r}"


def test_feed_after_close_names_the_mistake() -> None:
    decoder = EventDecoder()
    decoder.close()
    with pytest.raises(RuntimeError) as info:
        decoder.feed(chunk("a"))
    assert str(info.value) == "feed() called after close()"


@pytest.mark.parametrize("cls", [FinalResponse, ServerError, StreamEnd])
def test_events_are_immutable_and_slotted(cls: type) -> None:
    event = cls(*(["x"] * len(dataclasses.fields(cls))))
    assert not hasattr(event, "__dict__")
    assert hash(event) == hash(cls(*(["x"] * len(dataclasses.fields(cls)))))  # frozen
    for field in dataclasses.fields(cls):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, field.name, "y")


@pytest.mark.parametrize(("high", "low"), [("\\ud800", "\\udc00"), ("\\uDBFF", "\\uDFFF")])
@pytest.mark.parametrize("feeds", ["one-feed", "a-feed-each"])
def test_a_pair_split_at_the_ends_of_the_surrogate_ranges_is_one_character(
    high: str, low: str, feeds: str
) -> None:
    # Upper- or lower-case escapes, the first and last high surrogates: each waits for its pair.
    events = [OPEN + b"a" + high.encode() + CLOSE, OPEN + low.encode() + b"b" + CLOSE]
    body = [chunk("x"), chunk("y"), *events, END]
    pieces = [b"".join(body)] if feeds == "one-feed" else body
    pair = json.loads(f'"{high}{low}"')
    assert decode(pieces) == ["x", "y", "a", pair + "b", StreamEnd()]


@pytest.mark.parametrize("feeds", ["one-feed", "a-feed-each"])
def test_an_upper_case_surrogate_pair_escape_in_a_run_is_one_character(feeds: str) -> None:
    body = [chunk("x"), chunk("y"), OPEN + b"\\uD83D\\uDE00" + CLOSE, chunk("z"), END]
    pieces = [b"".join(body)] if feeds == "one-feed" else body
    assert decode(pieces) == ["x", "y", "\U0001f600", "z", StreamEnd()]


def test_an_upper_case_pair_escape_in_a_run_broken_by_another_event_is_one_character() -> None:
    # The final-response amid the run sends it through the halving path; the pair's
    # halves come in two events.
    run = OPEN + b"\\uD83D" + CLOSE + OPEN + b"\\uDE00" + CLOSE + final("m") + chunk("b")
    assert decode([chunk("w"), chunk("x"), run]) == [
        "w",
        "x",
        "\U0001f600",
        FinalResponse("m"),
        "b",
    ]


def test_replacements_count_only_lone_surrogates_not_a_u_fffd_sent_as_text() -> None:
    decoder = EventDecoder()
    events = decoder.feed(OPEN + "\ufffd".encode() + b"\\udc00" + CLOSE)
    assert events == ["\ufffd\ufffd"]
    assert decoder.replaced == 1


def test_a_repaired_final_response_does_not_count_as_replaced() -> None:
    decoder = EventDecoder()
    lone = sse({"event": "final-response", "data": {"message": "\udc00"}}, ensure_ascii=True)
    assert decoder.feed(chunk("a") + lone + END) == ["a", FinalResponse("\ufffd"), StreamEnd()]
    assert decoder.replaced == 0


def test_an_unfinished_event_with_a_bad_byte_fails_at_once() -> None:
    decoder = EventDecoder()
    decoder.feed(chunk("w"))
    decoder.feed(chunk("ab"))  # the form is learned: the fast paths are on
    assert decoder._fast is not None
    with pytest.raises(ProtocolError, match="invalid UTF-8"):
        decoder.feed(OPEN + b"ab\xff")


def test_an_unfinished_event_over_the_cap_fails_at_once() -> None:
    decoder = EventDecoder(max_line_size=60)
    decoder.feed(chunk("w"))
    decoder.feed(chunk("ab"))
    assert decoder._fast is not None
    with pytest.raises(ProtocolError, match="longer than 60"):
        decoder.feed(OPEN + b"a" * 40)


def test_the_form_is_learned_after_other_events_and_an_unlearnable_text_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import darkai_sdk._events as events_module

    tries: list[bytes] = []
    real = events_module.learn_template

    def spy(event: bytes) -> Template | None:
        tries.append(event)
        return real(event)

    monkeypatch.setattr(events_module, "learn_template", spy)
    decoder = EventDecoder()
    odd = b'data: {"event": "text-chunk", "data": {"text": "q\\"", "n": "\\\\"}}\n\n'
    assert decoder.feed(chunk("w")) == ["w"]  # the first read goes the general way
    for _ in range(10):  # a try is made on the event a read starts with
        assert decoder.feed(sse({"event": "ping"})) == []  # no text-chunk: no try spent
    assert decoder.feed(odd) == ['q"']
    assert decoder.feed(chunk("a") + chunk("b")) == ["a", "b"]
    assert decoder._template is not None  # learned from "a", the second try
    assert len(tries) == 2
    # Eight tries at most: a stream whose text-chunks teach nothing stops trying.
    stubborn = EventDecoder()
    stubborn.feed(chunk("w"))
    for _ in range(12):
        stubborn.feed(odd)
    assert len(tries) == 2 + 8


@pytest.mark.parametrize(
    "reads",
    [
        [chunk("a"), chunk("b")],  # a read per event
        [chunk("a") + chunk("b") + chunk("c")],  # several events a read
        [OPEN + b"ab", b"c" + CLOSE],  # an event cut across reads
        [chunk("a") + OPEN + b"b", b"c" + CLOSE + chunk("d")],  # whole events, then a cut one
        [OPEN + b"\\ud83d\\ude00" + CLOSE],  # a surrogate pair escape
    ],
    ids=["event-a-read", "events-a-read", "cut-event", "events-then-cut", "pair-escape"],
)
def test_common_reads_are_decoded_in_one_step(
    monkeypatch: pytest.MonkeyPatch, reads: list[bytes]
) -> None:
    # The speed the bench measures: once the form is known, a read of whole template
    # events (and the start of the next) never takes the general way.
    expected = decode([chunk("w"), chunk("x"), *reads])[2:]
    decoder = EventDecoder()
    decoder.feed(chunk("w"))
    decoder.feed(chunk("x"))  # learned, and the decoder is between events
    general: list[bytes] = []
    real = EventDecoder._feed_all

    def spy(self: EventDecoder, data: bytes) -> list[Event]:
        general.append(data)
        return real(self, data)

    monkeypatch.setattr(EventDecoder, "_feed_all", spy)
    assert [event for read in reads for event in decoder.feed(read)] == expected
    assert general == []


@pytest.mark.parametrize("rest", [OPEN + b"ab\xff", OPEN + b"a" * 80], ids=["bad-byte", "over-cap"])
def test_an_unfinished_event_after_whole_ones_fails_at_once(rest: bytes) -> None:
    decoder = EventDecoder(max_line_size=60)
    decoder.feed(chunk("w"))
    decoder.feed(chunk("ab"))
    assert decoder._fast is not None
    assert decoder.feed(chunk("c") + rest) == ["c"]  # the events first, the error held back
    assert decoder.error is not None


# --- learning a stream's form (_template) ------------------------------------------------------


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


# --- properties -------------------------------------------------------------------------------


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


TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", " ", "é", "中", "😀", '"', "\\", "\n", "\t", "\x00", "/", "\u2028", "\ud83d"]
    ),
    max_size=8,
)
# Pieces of JSON string contents, valid and not, that a server might send raw.
VALID_PARTS = ["a", "é", "😀", "\\\\", '\\"', "\\u00e9", "\\ud83d", "\\ude00", "\\n", "\\/"]
INVALID_PARTS = ['"', "\\", '","', "\\x", "\\u12", "\n", "\t", "\x00", '"}}', ",", ":", "}"]
BAD_UTF8 = [b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe4\xb8"]
FRAGMENT = st.lists(
    st.sampled_from([part.encode() for part in VALID_PARTS + INVALID_PARTS] + BAD_UTF8), max_size=6
).map(b"".join)


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


def form_around(form: str) -> tuple[bytes, bytes]:
    """The bytes of ``form`` before and after the text."""
    before, after = FORMS[form]("MARK", False).split(b"MARK")
    return before, after


@st.composite
def common_chunks(draw: st.DrawFn, form: str = "json.dumps") -> bytes:
    """A text-chunk event in ``form``, the kind the fast path takes, with any text."""
    text = draw(TEXT)
    return bytes(FORMS[form](text, draw(st.booleans()) or "\ud83d" in text))


def odd_texts(form: str = "json.dumps") -> st.SearchStrategy[bytes]:
    """``form`` around raw, possibly broken, string contents, amid events in that form."""
    before, after = form_around(form)
    good = FORMS[form]("q", False)
    return FRAGMENT.map(lambda fragment: good + before + fragment + after + good)


VALID_BLOCKS = st.one_of(
    common_chunks(),
    st.sampled_from([final("fin"), END, sse({"event": "ping"}), sse({"event": "error"}), PAD]),
    st.sampled_from(  # other layouts of valid events
        [
            b'data:{"event":"text-chunk","data":{"text":"c"}}\n\n',
            b'data: {"event": "text-chunk",\ndata: "data": {"text": "m"}}\n\n',
            b"event: stream-end\ndata: {}\n\n",
            b": comment\nid: 1\nretry: 5\n\n",
        ]
    ),
)
BAD_BLOCKS = st.one_of(
    odd_texts(),
    st.sampled_from(  # malformed payloads
        [b"data: {\n\n", b"data: [1]\n\n", b'data: {"event": 1}\n\n', b"data: {}\n\n"]
    ),
    st.sampled_from([b"\xff", b"\xe4\xb8", b"\xed\xa0\x80", b"\r", b"\n"]),  # damaged bytes
    st.sampled_from([b"data: [1,\n", b"event: stream-end\n", b"retry: 1\n"]),  # no blank line
)


@st.composite
def darkai_streams(draw: st.DrawFn) -> bytes:
    """Mostly valid streams in one form, a few bad blocks, other line ends, a BOM, a cut end."""
    form = draw(st.sampled_from(sorted(FORMS)))
    valid = st.one_of(common_chunks(form), common_chunks(form), VALID_BLOCKS)
    blocks = draw(st.lists(valid, max_size=20))
    bad = st.one_of(odd_texts(form), BAD_BLOCKS)
    for _ in range(draw(st.integers(0, 2))):
        blocks.insert(draw(st.integers(0, len(blocks))), draw(bad))
    body = b"".join(blocks)
    if draw(st.integers(0, 4)) == 0:
        body = body.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"])))
    if draw(st.integers(0, 5)) == 0:
        body = "\ufeff".encode() + body
    if body and draw(st.integers(0, 3)) == 0:
        body = body[: draw(st.integers(0, len(body) - 1))]
    return body


FEW_CUTS = st.lists(st.integers(min_value=0, max_value=3000), max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=darkai_streams(), cuts=FEW_CUTS)
def test_fast_path_equals_the_general_path(stream: bytes, cuts: list[int]) -> None:
    assert outcome(split_at(stream, cuts)) == reference(stream, DEFAULT_MAX_LINE_SIZE)


@settings(max_examples=300, deadline=None)
@given(
    form=st.sampled_from(sorted(FORMS)),
    before=st.lists(VALID_BLOCKS, max_size=5),
    fragment=FRAGMENT,
    after=st.lists(VALID_BLOCKS, max_size=5),
    cut=st.integers(0, 3000),
)
def test_odd_text_amid_common_events_decodes_as_the_general_path_does(
    form: str, before: list[bytes], fragment: bytes, after: list[bytes], cut: int
) -> None:
    opening, closing = form_around(form)
    good = FORMS[form]("q", False) * 3
    odd = good + opening + fragment + closing + good
    stream = b"".join(before) + odd + b"".join(after)
    assert outcome(split_at(stream, [cut])) == reference(stream, DEFAULT_MAX_LINE_SIZE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=darkai_streams(), cuts=FEW_CUTS, cap=st.sampled_from([60, 150, 400]))
def test_fast_path_equals_the_general_path_under_a_small_cap(
    stream: bytes, cuts: list[int], cap: int
) -> None:
    expected = reference(stream, cap)
    assert outcome(split_at(stream, cuts), max_line_size=cap) == expected
    assert outcome([stream], max_line_size=cap) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=darkai_streams(), cuts=st.lists(st.integers(0, 3000), max_size=12))
def test_any_split_of_the_same_bytes_gives_the_same_events(stream: bytes, cuts: list[int]) -> None:
    whole = outcome([stream])
    assert outcome(split_at(stream, cuts)) == whole
    assert outcome([stream[i : i + 5] for i in range(0, len(stream), 5)]) == whole


def reference_prefix(fed: bytes) -> tuple[list[Event], ProtocolError | str | None]:
    """What the bytes so far dispatch (no close()), and the first error among them.

    The error is the SSE layer's ProtocolError, or the reason a payload is bad.
    """
    sse = SSEDecoder()
    error: ProtocolError | str | None = None
    try:
        dispatched = sse.feed(fed)
    except ProtocolError as exc:
        dispatched, error = [], exc
    if error is None and sse.error is not None:
        error = sse.error  # held back behind the events it returned
    expected: list[Event] = []
    for event in dispatched:
        try:
            converted = reference_event(event)
        except (ValueError, RecursionError) as exc:
            return paired(expected, at_end=False), str(exc) or type(exc).__name__
        if converted is not None and converted != "":
            expected.append(converted)
    return paired(expected, at_end=False), error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=darkai_streams(), cuts=st.lists(st.integers(0, 3000), max_size=4))
def test_feeds_return_every_event_their_bytes_complete(stream: bytes, cuts: list[int]) -> None:
    # After each feed, the events so far are those the bytes so far dispatch: the
    # general way with no close(). Nothing waits for later bytes (but the high half
    # of a surrogate pair). An error is met exactly where the general way meets it.
    decoder = EventDecoder()
    received: list[Event] = []
    fed = b""
    for piece in split_at(stream, cuts):
        fed += piece
        expected, error = reference_prefix(fed)
        try:
            received += decoder.feed(piece)
        except ProtocolError as exc:
            assert error is not None, f"the decoder rejected what the general way accepts: {exc}"
            assert received == expected
            if isinstance(error, ProtocolError):
                assert str(exc) == str(error)
            else:
                assert str(exc).startswith("malformed DarkAI event")
            return
        assert received == expected
        if error is not None:
            # Events came first; the error is held back, and visible at once.
            assert decoder.error is not None
            if isinstance(error, ProtocolError):
                assert str(decoder.error) == str(error)
            else:
                assert str(decoder.error).startswith("malformed DarkAI event")
            return
        assert decoder.error is None


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=6))
def test_arbitrary_bytes_raise_nothing_but_protocol_error(data: bytes, cuts: list[int]) -> None:
    # outcome() catches only ProtocolError: anything else fails the test.
    outcome(split_at(PAD + data + PAD, cuts))
    outcome(split_at(data, cuts))


@settings(max_examples=150, deadline=None)
@given(
    form=st.sampled_from(sorted(FORMS)),
    texts=st.lists(st.text(), max_size=40),
    ensure_ascii=st.booleans(),
    cuts=FEW_CUTS,
)
def test_texts_written_by_json_dumps_come_back_exactly(
    form: str, texts: list[str], ensure_ascii: bool, cuts: list[int]
) -> None:
    texts = [text.encode("utf-8", "replace").decode() for text in texts]  # no lone surrogates
    body = b"".join(FORMS[form](text, ensure_ascii) for text in texts) + END
    assert decode(split_at(body, cuts)) == [*filter(None, texts), StreamEnd()]


@settings(max_examples=100, deadline=None)
@given(
    form=st.sampled_from(sorted(FORMS)),
    text=st.text(min_size=1, max_size=60),
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=30),
    cuts=FEW_CUTS,
)
def test_text_sliced_by_utf16_code_units_comes_back_whole(
    form: str, text: str, sizes: list[int], cuts: list[int]
) -> None:
    # As a JavaScript server slices a string: by UTF-16 code units, pairs cut in two.
    text = text.encode("utf-8", "replace").decode()
    units = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    units = "".join(c if ord(c) < 0x10000 else _halves(c) for c in units)
    pieces, start = [], 0
    for size in itertools.cycle(sizes):
        if start >= len(units):
            break
        pieces.append(units[start : start + size])
        start += size
    body = b"".join(FORMS[form](piece, True) for piece in pieces) + END
    events = decode(split_at(body, cuts))
    assert events[-1] == StreamEnd()
    assert "".join(str(e) for e in events[:-1]) == text


def _halves(char: str) -> str:
    code = ord(char) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))
