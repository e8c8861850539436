"""The blocking transport's body framing and decoding (_http1), without sockets."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest
from dechunk_support import chunked, feed_all, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darkai_sdk._transports._base import MAX_FRAMING
from darkai_sdk._transports._http1 import (
    INFLATE_STEP,
    ChunkedBody,
    CloseDelimitedBody,
    Inflater,
    LengthBody,
    MalformedBody,
    TruncatedBody,
    body_framing,
    inflater_for,
)

pytestmark = pytest.mark.timeout(60)


# -- chunked ---------------------------------------------------------------------------


def test_a_chunked_body_gives_its_data_and_ends_clean() -> None:
    body = ChunkedBody()
    assert feed_all(body, chunked(b"hello ", b"world")) == b"hello world"
    assert body.done and body.leftover == b"" and body.error is None
    body.end()  # the connection closing after the end is fine


def test_extensions_upper_case_hex_leading_zeros_and_trailers_are_legal() -> None:
    wire = b'00A;name=value;q="x y"\r\n0123456789\r\n' + b"1 ;x\r\nZ\r\n"
    wire += b"0;last\r\nX-Checksum: abc\r\nX-Other:\r\n\r\n"
    body = ChunkedBody()
    assert feed_all(body, wire) == b"0123456789Z"
    assert body.done


def test_bytes_after_the_end_are_leftover_not_data() -> None:
    body = ChunkedBody()
    extra = b"HTTP/1.1 200 OK\r\n\r\n"
    assert feed_all(body, chunked(b"abc") + extra, b"more") == b"abc"
    assert body.done and body.leftover == extra + b"more"


@pytest.mark.parametrize(
    "line",
    [b"zz", b"0x1a", b"-1", b"+1", b"1_0", b" 1", b"1 x", b"", b"1" * 17, b"1\x00"],
    ids=["not-hex", "0x", "minus", "plus", "underscore", "leading-space", "junk", "empty",
         "17-digits", "nul"],
)  # fmt: skip
def test_an_invalid_chunk_size_line_is_malformed_after_the_data_before_it(line: bytes) -> None:
    body = ChunkedBody()
    assert feed_all(body, b"2\r\nab\r\n" + line + b"\r\nxyz") == b"ab"
    assert isinstance(body.error, MalformedBody)
    assert "invalid chunk-size line" in str(body.error)
    with pytest.raises(MalformedBody):
        body.feed(b"more")


def test_a_bare_lf_after_the_size_is_malformed() -> None:
    body = ChunkedBody()
    feed_all(body, b"2\nab\r\n0\r\n\r\n")
    assert isinstance(body.error, MalformedBody)


@pytest.mark.parametrize("after", [b"XY", b"\n0", b"b\r"])
def test_data_not_followed_by_crlf_is_malformed_after_the_data(after: bytes) -> None:
    body = ChunkedBody()
    assert feed_all(body, b"2\r\nab" + after + b"\r\n0\r\n\r\n") == b"ab"
    assert isinstance(body.error, MalformedBody)
    assert "not CRLF" in str(body.error)


def test_a_chunk_size_line_over_the_bound_is_malformed_even_a_byte_at_a_time() -> None:
    body = ChunkedBody()
    assert feed_all(body, b"1\r\nA\r\n5;") == b"A"
    for _ in range(MAX_FRAMING):
        body.feed(b"x")
        if body.error is not None:
            break
    assert isinstance(body.error, MalformedBody)
    assert f"longer than {MAX_FRAMING}" in str(body.error)


def test_a_one_mib_extension_in_one_piece_is_malformed() -> None:
    body = ChunkedBody()
    assert feed_all(body, b"1\r\nA\r\n5;" + b"x" * 2**20 + b"\r\nhello\r\n") == b"A"
    assert isinstance(body.error, MalformedBody)


def test_a_trailer_section_over_the_bound_is_malformed() -> None:
    body = ChunkedBody()
    line = b"X-Pad: " + b"y" * 1000 + b"\r\n"
    feed_all(body, b"1\r\nA\r\n0\r\n", *[line] * 70)
    assert isinstance(body.error, MalformedBody)
    assert "trailer section longer" in str(body.error)
    assert not body.done


def test_a_trailer_line_without_a_colon_is_malformed() -> None:
    body = ChunkedBody()
    feed_all(body, b"1\r\nA\r\n0\r\nno colon here\r\n\r\n")
    assert isinstance(body.error, MalformedBody)
    assert "invalid trailer line" in str(body.error)


@pytest.mark.parametrize(
    ("wire", "where"),
    [
        (b"", "between chunks"),
        (b"5\r\nab", "mid-chunk"),
        (b"5\r\nabcde", "mid-chunk"),
        (b"5\r\nabcde\r\n1", "mid-chunk"),
        (b"5\r\nabcde\r\n0\r\nX: y\r\n", "in the trailer section"),
    ],
)
def test_the_connection_closing_before_the_end_is_truncated(wire: bytes, where: str) -> None:
    body = ChunkedBody()
    feed_all(body, wire)
    with pytest.raises(TruncatedBody, match=where):
        body.end()


def test_runs_of_tiny_chunks_give_the_same_bytes_as_one_chunk() -> None:
    data = bytes(range(256)) * 40
    for size in (1, 2, 3, 4, 5):
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        body = ChunkedBody()
        assert feed_all(body, chunked(*pieces)) == data
        assert body.done


def test_a_run_of_one_byte_chunks_broken_mid_way_gives_the_bytes_before() -> None:
    wire = b"".join(b"1\r\n%c\r\n" % c for c in b"abcdefghij" * 20)
    broken = wire[: 6 * 150] + b"1\r\nQ\rX" + wire[6 * 151 :]
    body = ChunkedBody()
    assert feed_all(body, broken) == (b"abcdefghij" * 20)[:150] + b"Q"
    assert isinstance(body.error, MalformedBody)


# -- length and close ---------------------------------------------------------------------


def test_a_length_body_ends_at_its_length_and_keeps_the_rest_aside() -> None:
    body = LengthBody(5)
    assert feed_all(body, b"ab", b"cdeFG") == b"abcde"
    assert body.done and body.leftover == b"FG"


def test_a_length_body_cut_short_is_truncated_and_says_how_much() -> None:
    body = LengthBody(10)
    feed_all(body, b"abc")
    with pytest.raises(TruncatedBody, match="3 of 10"):
        body.end()


def test_an_empty_length_body_is_done_at_once() -> None:
    assert LengthBody(0).done


def test_a_close_delimited_body_ends_when_the_connection_closes() -> None:
    body = CloseDelimitedBody()
    assert feed_all(body, b"abc", b"def") == b"abcdef"
    assert not body.done
    body.end()
    assert body.done


def test_body_framing_picks_chunked_then_length_then_close() -> None:
    assert isinstance(body_framing(chunked=True, length=5), ChunkedBody)
    assert isinstance(body_framing(chunked=False, length=5), LengthBody)
    assert isinstance(body_framing(chunked=False, length=None), CloseDelimitedBody)


# -- content coding ---------------------------------------------------------------------


def inflate_all(inflater: Inflater, *parts: bytes) -> bytes:
    out = b"".join(piece for part in parts for piece in inflater.feed(part))
    inflater.end()
    return out


def test_gzip_with_several_members_is_decoded_whole() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert inflate_all(Inflater("gzip"), data[:7], data[7:]) == b"first second"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_wrapped_or_raw_is_decoded(wbits: int) -> None:
    packer = zlib.compressobj(wbits=wbits)
    data = packer.compress(b"hello deflate") + packer.flush()
    assert inflate_all(Inflater("deflate"), data) == b"hello deflate"


def test_garbage_in_a_gzip_body_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="undecodable gzip"):
        inflate_all(Inflater("gzip"), b"this is not gzip at all")


def test_garbage_after_the_last_gzip_member_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="after the end"):
        inflate_all(Inflater("gzip"), gzip.compress(b"ok") + b"junk")


def test_a_gzip_stream_cut_short_is_malformed_at_the_end() -> None:
    data = gzip.compress(b"x" * 1000)
    inflater = Inflater("gzip")
    list(inflater.feed(data[:-6]))
    with pytest.raises(MalformedBody, match="ends early"):
        inflater.end()


def test_a_gzip_bomb_is_decoded_in_bounded_steps_and_only_as_asked() -> None:
    bomb = gzip.compress(b"\n" * (64 * 1024 * 1024), 9)  # 64 MiB out of ~64 KiB
    pieces = Inflater("gzip").feed(bomb)
    first = next(pieces)  # nothing more is decoded until the next piece is asked for
    assert 0 < len(first) <= INFLATE_STEP
    total = len(first)
    for piece in pieces:
        assert len(piece) <= INFLATE_STEP
        total += len(piece)
    assert total == 64 * 1024 * 1024


def test_only_gzip_and_deflate_are_decoded() -> None:
    assert inflater_for("gzip") is not None
    assert inflater_for(" X-GZIP ") is not None
    assert inflater_for("deflate") is not None
    for other in (None, "", "identity", "br", "gzip, deflate"):
        assert inflater_for(other) is None


# -- any cut gives the same result -----------------------------------------------------------


payloads = st.lists(
    st.one_of(st.binary(min_size=1, max_size=6), st.binary(min_size=1, max_size=300)),
    max_size=30,
)


@st.composite
def chunked_wires(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    pieces = draw(payloads)
    runs = draw(
        st.integers(0, 3)
    )  # some runs of equal tiny chunks, as servers flushing per byte send
    for _ in range(runs):
        pieces += [draw(st.binary(min_size=1, max_size=3))] * draw(st.integers(2, 60))
    upper = draw(st.booleans())
    ext = draw(st.sampled_from([b"", b";a=1", b' ; q="x;y"']))
    parts = []
    for piece in pieces:
        size = b"%X" % len(piece) if upper else b"%x" % len(piece)
        parts.append(size + ext + b"\r\n" + piece + b"\r\n")
    trailers = draw(st.sampled_from([b"", b"X-A: 1\r\n", b"X-A: 1\r\nX-B: two words\r\n"]))
    wire = b"".join(parts) + b"0\r\n" + trailers + b"\r\n" + draw(st.binary(max_size=8))
    return wire, pieces


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunked_wires(), st.lists(st.integers(0, 5000), max_size=12))
def test_a_valid_body_cut_anywhere_gives_its_data(
    case: tuple[bytes, list[bytes]], cuts: list[int]
) -> None:
    wire, pieces = case
    data, error, done, leftover, _ = run(wire, cuts)
    assert error is None
    assert data == b"".join(pieces)
    assert done
    assert run(wire, []) == (data, error, done, leftover, None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunked_wires(),
    st.integers(0, 5000),
    st.sampled_from(["flip", "drop", "insert", "truncate"]),
    st.binary(min_size=1, max_size=3),
    st.lists(st.integers(0, 5000), max_size=12),
)
def test_a_broken_body_cut_anywhere_gives_the_same_bytes_and_error(
    case: tuple[bytes, list[bytes]], at: int, how: str, junk: bytes, cuts: list[int]
) -> None:
    wire, _ = case
    at %= len(wire)
    if how == "flip":
        wire = wire[:at] + bytes([wire[at] ^ 0x5A]) + wire[at + 1 :]
    elif how == "drop":
        wire = wire[:at] + wire[at + 1 :]
    elif how == "insert":
        wire = wire[:at] + junk + wire[at:]
    else:
        wire = wire[:at]
    assert run(wire, cuts) == run(wire, [])
    assert run(wire, cuts) == run(wire, list(range(1, len(wire))))  # a byte at a time


def test_twenty_thousand_tiny_gzip_members_decode_whole() -> None:
    members = gzip.compress(b"x") * 20_000  # about 420 KB of one-byte members
    inflater = Inflater("gzip")
    out = b"".join(
        b"".join(inflater.feed(members[i : i + 256 * 1024]))
        for i in range(0, len(members), 256 * 1024)
    )
    inflater.end()
    assert out == b"x" * 20_000


@pytest.mark.parametrize("cut", [1, 2, 5, 11])
def test_a_gzip_member_boundary_anywhere_in_a_read_is_fine(cut: int) -> None:
    first = gzip.compress(b"first ")
    data = first + gzip.compress(b"second")
    at = len(first) + cut - 1  # the next member's header split across two reads
    assert inflate_all(Inflater("gzip"), data[:at], data[at:]) == b"first second"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(max_size=2000), min_size=1, max_size=4),
    st.lists(st.integers(0, 10_000), max_size=8),
)
def test_gzip_members_cut_anywhere_decode_the_same(texts: list[bytes], cuts: list[int]) -> None:
    data = b"".join(gzip.compress(text, 1) for text in texts)
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(data)), len(data)]
    parts = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert inflate_all(Inflater("gzip"), *parts) == b"".join(texts)
