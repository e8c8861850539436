"""What the SSEDecoder tests share: decode bytes fed in pieces, read the events' data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE, ServerSentEvent, SSEDecoder


def decode(
    pieces: bytes | Iterable[bytes], *, max_line_size: int = DEFAULT_MAX_LINE_SIZE
) -> list[ServerSentEvent]:
    """Feed every piece, then close; return all events (errors propagate)."""
    if isinstance(pieces, bytes):
        pieces = [pieces]
    decoder = SSEDecoder(max_line_size=max_line_size)
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.close()
    return events


def datas(events: Sequence[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]
