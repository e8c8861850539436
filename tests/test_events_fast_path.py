"""EventDecoder's fast paths: text decoded as json.loads does; what they cannot take, handed on.

What a fast path cannot take goes the general way, and comes out the same.
"""

from __future__ import annotations

import json

import pytest
from events_support import (
    CLOSE,
    END,
    FORMS,
    OPEN,
    PAD,
    chunk,
    decode,
    final,
    outcome,
    reference,
    run,
    run_error,
    sse,
)
from sse_support import split_at

from darkai_sdk._events import Event, EventDecoder, FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE

pytestmark = pytest.mark.timeout(60)


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
