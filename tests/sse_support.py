"""What the decoder tests share: bytes fed in pieces to a decoder, bytes cut into pieces.

The SSEDecoder tests and the EventDecoder tests (tests/events_support.py) both use it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from darkai_sdk._exceptions import ProtocolError
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder

T = TypeVar("T")


class Decoder(Protocol[T]):
    """SSEDecoder or EventDecoder: bytes in, events out, and close() at the end of the body."""

    def feed(self, data: bytes) -> list[T]: ...

    def close(self) -> list[T]: ...


def feed_all(decoder: Decoder[T], pieces: bytes | Iterable[bytes]) -> list[T]:
    """Feed every piece, then close; return all events (errors propagate)."""
    if isinstance(pieces, bytes):
        pieces = [pieces]
    events: list[T] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.close()
    return events


def feed_like_a_client(decoder: Decoder[T], pieces: Iterable[bytes]) -> tuple[list[T], bool]:
    """Feed and close like a client: the events received, and whether an error ended it."""
    received: list[T] = []
    try:
        for piece in pieces:
            received += decoder.feed(piece)
        received += decoder.close()
    except ProtocolError:
        return received, True
    return received, False


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at each of ``cuts`` (clamped to its length; repeats cut once)."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    return [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]


def decode(
    pieces: bytes | Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> list[ServerSentEvent]:
    """Feed every piece to an SSEDecoder, then close; return all events (errors propagate)."""
    return feed_all(SSEDecoder(max_line_size=max_line_size), pieces)


def datas(events: Sequence[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]
