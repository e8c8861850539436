"""Helpers for the de-chunking tests: build a chunked body, feed it cut up."""

from __future__ import annotations

import itertools

from darkai_sdk._transports._http1 import BodyFraming, ChunkedBody, TruncatedBody


def chunked(*pieces: bytes, ext: bytes = b"", trailers: bytes = b"") -> bytes:
    body = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in pieces if p)
    return body + b"0%s\r\n%s\r\n" % (ext, trailers)


def feed_all(framing: BodyFraming, *parts: bytes) -> bytes:
    """Feed ``parts``; return the body bytes, stopping at the first error (left in .error)."""
    out = []
    for part in parts:
        out.append(framing.feed(part))
        if framing.error is not None:
            break
    return b"".join(out)


def run(wire: bytes, cuts: list[int]) -> tuple[bytes, str | None, bool, bytes, str | None]:
    """Feed ``wire`` cut at ``cuts``; return (data, error, done, leftover, end error)."""
    body = ChunkedBody()
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(wire)), len(wire)]
    data = feed_all(body, *(wire[a:b] for a, b in itertools.pairwise(bounds)))
    error = None if body.error is None else str(body.error)
    ending = None
    if body.error is None:
        try:
            body.end()
        except TruncatedBody as exc:
            ending = str(exc)
    return data, error, body.done, body.leftover, ending
