"""EventDecoder, property-tested: the fast paths decode any stream as the general way does."""

from __future__ import annotations

import itertools

import pytest
from events_support import (
    END,
    FORMS,
    PAD,
    decode,
    final,
    outcome,
    paired,
    reference,
    reference_event,
    sse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sse_support import split_at

from darkai_sdk._events import Event, EventDecoder, StreamEnd
from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, SSEDecoder

pytestmark = pytest.mark.timeout(60)


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
