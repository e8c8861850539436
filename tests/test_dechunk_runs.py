"""Runs of small chunks of many sizes, taken by splitting at CRLF (_http1._split_run).

The run must read exactly what the chunk grammar reads, step by step: for valid
and broken bodies, cut anywhere, and for chunk data that holds CRLF or looks
like chunk framing itself. Its work stays linear in the body, whatever the mix.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dechunk_support import chunked, feed_all, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import darkai_sdk._transports._http1 as http1
from darkai_sdk._transports._http1 import ChunkedBody, MalformedBody

pytestmark = pytest.mark.timeout(60)

Outcome = tuple[bytes, str | None, bool, bytes, str | None]


def step_by_step(wire: bytes, cuts: list[int]) -> Outcome:
    """``run`` with runs never split: every chunk read by the grammar's loop."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http1, "_SPLIT_MISSES", 0)
        return run(wire, cuts)


@pytest.fixture
def split_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """Each call of _split_run as (bytes looked at, chunks taken)."""
    calls: list[tuple[int, int]] = []
    original = http1._split_run

    def spy(data: bytes, pos: int, window: int) -> tuple[bytes, int, int]:
        result = original(data, pos, window)
        calls.append((min(window, len(data) - pos), result[2]))
        return result

    monkeypatch.setattr(http1, "_split_run", spy)
    yield calls


# Chunk data a split at CRLF could misread: CRLF inside, size lines inside, lone CR/LF.
tricky = st.lists(
    st.sampled_from([b"\r\n", b"\r", b"\n", b"a", b"0", b"5", b"ff", b"\r\n3\r\nabc", b"\xf0"]),
    min_size=1,
    max_size=12,
).map(b"".join)
pieces = st.lists(
    st.one_of(tricky, st.binary(min_size=1, max_size=0x120), st.binary(min_size=1, max_size=8)),
    min_size=1,
    max_size=80,
)


@st.composite
def small_chunk_wires(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    parts = draw(pieces)
    upper = draw(st.booleans())
    wire = b"".join(
        (b"%X" if upper else b"%x") % len(part) + b"\r\n" + part + b"\r\n" for part in parts
    )
    return wire + b"0\r\n\r\n" + draw(st.binary(max_size=4)), parts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_chunk_wires(), st.lists(st.integers(0, 20000), max_size=8))
def test_small_chunks_of_any_data_read_the_same_split_or_step_by_step(
    case: tuple[bytes, list[bytes]], cuts: list[int]
) -> None:
    wire, parts = case
    outcome = run(wire, cuts)
    assert outcome[0] == b"".join(parts) and outcome[1] is None and outcome[2]
    assert outcome == step_by_step(wire, cuts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_chunk_wires(),
    st.integers(0, 20000),
    st.sampled_from([b"\r\n", b"0", b"1", b"\r\n0\r\n", b"Z"]),
    st.booleans(),
    st.lists(st.integers(0, 20000), max_size=8),
)
def test_a_broken_small_chunk_body_fails_the_same_split_or_step_by_step(
    case: tuple[bytes, list[bytes]], at: int, junk: bytes, drop: bool, cuts: list[int]
) -> None:
    wire, _ = case
    at %= len(wire)
    wire = wire[:at] + wire[at + 1 :] if drop else wire[:at] + junk + wire[at:]
    assert run(wire, cuts) == step_by_step(wire, cuts)


def test_data_that_looks_like_chunk_framing_is_read_by_the_sizes() -> None:
    # Split at CRLF, "3\r\nabc\r\n" inside the first chunk's data lines up as a chunk
    # of its own; the sizes say otherwise, and they win.
    parts = [b"3\r\nabc\r\n2\r\nxy", b"abc", b"\r\n", b"x" * 40] * 30
    body = ChunkedBody()
    assert feed_all(body, chunked(*parts)) == b"".join(parts)
    assert body.done and body.error is None


def test_a_size_that_does_not_match_its_data_is_malformed_after_the_data_before(
    split_calls: list[tuple[int, int]],
) -> None:
    good = b"".join(b"%x\r\n%s\r\n" % (n, b"e" * n) for n in range(1, 60))
    wire = good + b"5\r\nabc\r\n" + good + b"0\r\n\r\n"  # 5, but 3 bytes and CRLF
    body = ChunkedBody()
    data = feed_all(body, wire)
    assert data == b"".join(b"e" * n for n in range(1, 60)) + b"abc\r\n"
    assert isinstance(body.error, MalformedBody) and "not CRLF" in str(body.error)
    assert sum(taken for _, taken in split_calls) >= 50  # the run did take the good chunks


def test_small_chunks_cut_by_large_ones_cost_linear_work(
    split_calls: list[tuple[int, int]],
) -> None:
    # Two tiny chunks, then one too large for a run, over and over: each try takes
    # one chunk and stops, so the window stays small (one doubling at most).
    parts = [b"s", b"t", b"L" * 0x100] * 3000
    wire = chunked(*parts)
    body = ChunkedBody()
    assert feed_all(body, *(wire[i : i + 65536] for i in range(0, len(wire), 65536)))
    assert body.done
    assert sum(taken for _, taken in split_calls) >= 2900  # runs went on being tried
    assert max(seen for seen, _ in split_calls) <= 2 * http1._SPLIT_FIRST
    assert sum(seen for seen, _ in split_calls) <= 5 * len(wire)


def test_a_body_whose_chunks_hold_crlf_stops_trying_runs(
    split_calls: list[tuple[int, int]],
) -> None:
    # An event stream with CRLF line ends: every chunk ends in CRLF CRLF.
    parts = [b'data: {"text": "%d"}\r\n\r\n' % i for i in range(3000)]
    body = ChunkedBody()
    assert feed_all(body, chunked(*parts)) == b"".join(parts)
    assert all(taken == 0 for _, taken in split_calls)
    assert len(split_calls) == http1._SPLIT_MISSES


def test_a_long_run_of_small_chunks_is_taken_in_growing_windows(
    split_calls: list[tuple[int, int]],
) -> None:
    parts = [b"x" * (5 + i % 200) for i in range(20000)]
    wire = chunked(*parts)
    body = ChunkedBody()
    assert feed_all(body, wire) == b"".join(parts)
    assert len(split_calls) < 40  # windows double: a few tries for two MiB
    assert max(seen for seen, _ in split_calls) == http1._SPLIT_MOST
