"""_texts: JSON string bodies decoded in one batch, carried reads, surrogate repair."""

from __future__ import annotations

import json

import pytest

from darkai_sdk._texts import (
    MAX_CARRY,
    Surrogates,
    can_carry,
    decode_bodies,
    may_hold_surrogates,
)

pytestmark = pytest.mark.timeout(30)

SEP = b'"}}\n\ndata: {"event": "text-chunk", "data": {"text": "'


def bodies(*texts: str) -> bytes:
    """``texts`` as JSON string bodies (no quotes around them), joined by SEP."""
    return SEP.join(json.dumps(text, ensure_ascii=False)[1:-1].encode() for text in texts)


# --- decode_bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texts",
    [
        ["plain"],
        ["a", "b", "c"],
        ['say "hi"', "back\\slash", "ends in a backslash \\", "\\", 'quote at the end "'],
        ["tab\tand\nline", "é中😀", "\u2028"],
        [f"piece {i}" for i in range(120)],  # more separators than the sep is long
    ],
    ids=["one", "three", "escapes", "controls-and-unicode", "many"],
)
def test_bodies_decode_to_their_texts(texts: list[str]) -> None:
    assert decode_bodies(bodies(*texts), SEP) == texts


def test_an_escaped_backslash_before_a_delimiter_keeps_the_batch() -> None:
    # `x\\` then the delimiter's quote: `\\"`, which the \" rewrite alone would break.
    region = b"x\\\\" + SEP + b'y \\"z\\"'
    assert decode_bodies(region, SEP) == ["x\\", 'y "z"']


@pytest.mark.parametrize(
    "region",
    [
        b'a"b' + SEP + b"c",  # a raw quote
        b"a\\" + SEP + b"c",  # an odd backslash escapes the delimiter
        b"a\nb",  # a raw line feed
        b"a\x01b",  # a raw control character
        b"bad \\x escape",
        b"cut \\u12",
        b"\xff",  # not UTF-8
    ],
    ids=["quote", "odd-backslash", "lf", "control", "bad-escape", "short-unicode", "utf8"],
)
def test_anything_but_plain_bodies_gives_none(region: bytes) -> None:
    assert decode_bodies(region, SEP) is None


# --- can_carry --------------------------------------------------------------------------------


def test_an_unfinished_event_up_to_the_limit_may_wait() -> None:
    assert MAX_CARRY == 4096
    assert can_carry(b"x" * 4096, 1 << 20) is True
    assert can_carry(b"x" * 4097, 1 << 20) is False


def test_the_line_cap_bounds_what_may_wait_when_it_is_smaller() -> None:
    assert can_carry(b"x" * 60, 60) is True
    assert can_carry(b"x" * 61, 60) is False


def test_utf8_cut_at_the_end_may_wait_but_bad_utf8_may_not() -> None:
    assert can_carry("ab中".encode()[:-1], 100) is True
    assert can_carry(b"ab\xff", 100) is False
    assert can_carry(b"\xffab", 100) is False


# --- surrogates -------------------------------------------------------------------------------


def test_only_a_surrogate_escape_may_hold_a_surrogate() -> None:
    assert may_hold_surrogates(b"a \\ud83d b") is True
    assert may_hold_surrogates(b"a \\uD83D b") is True
    assert may_hold_surrogates(b"a \\n b \\u00e9") is False
    assert may_hold_surrogates(b"ud83d, no backslash") is False


def test_a_pair_across_texts_is_joined_and_a_lone_half_replaced() -> None:
    repair = Surrogates()
    assert repair.pair(["a\ud83d"]) == ["a"]
    assert repair.pending == "\ud83d"
    assert repair.pair(["\ude42b", "c\udc00"]) == ["\U0001f642b", "c\ufffd"]
    assert repair.replaced == 1


def test_texts_without_surrogates_are_returned_as_they_are() -> None:
    texts = ["plain", "é中😀"]
    assert Surrogates().pair(texts) is texts


def test_flush_gives_a_replacement_only_for_a_waiting_half() -> None:
    repair = Surrogates()
    assert repair.flush() == ""
    repair.pair(["x\ud800"])
    assert repair.flush() == "\ufffd"
    assert (repair.pending, repair.replaced) == ("", 1)


def test_whole_counts_only_when_asked() -> None:
    repair = Surrogates()
    assert repair.whole("\ud800\ufffd", count=False) == "\ufffd\ufffd"
    assert repair.replaced == 0
    assert repair.whole("a\udfffb") == "a\ufffdb"
    assert repair.replaced == 1
