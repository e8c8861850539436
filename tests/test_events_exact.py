"""EventDecoder: exact errors, counts and bounds, each one pinned."""

from __future__ import annotations

import dataclasses
import json

import pytest
from events_support import CLOSE, END, OPEN, chunk, decode, final, sse

from darkai_sdk._events import Event, EventDecoder, FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._template import Template, learn_template

pytestmark = pytest.mark.timeout(60)


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
    real = learn_template

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
