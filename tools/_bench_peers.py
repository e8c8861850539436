"""Peer SSE decoders, each with json.loads on top to get the DarkAI text, fed bytes in memory.

From ``pip install "darkai-sdk[bench]"``; a peer that is not installed is
reported as such by :func:`peer_decoders`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

__all__ = ["Peer", "peer_decoders"]

#: A peer's runner: the body's pieces in, the text chunks out.
Peer = Callable[[list[bytes]], list[str]]


def _darkai_text(data: str, append: Callable[[str], None]) -> None:
    obj = json.loads(data)
    if obj["event"] == "text-chunk":
        append(obj["data"]["text"])


def _sseclient() -> Peer:
    import sseclient

    def run(pieces: list[bytes]) -> list[str]:
        out: list[str] = []
        append = out.append
        for event in sseclient.SSEClient(iter(pieces)).events():
            _darkai_text(event.data, append)
        return out

    return run


def _httpx_sse() -> Peer:
    import httpx
    from httpx_sse import EventSource

    def run(pieces: list[bytes]) -> list[str]:
        # EventSource.iter_sse as a user calls it, on a response whose bytes are in memory.
        response = httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(pieces)
        )
        out: list[str] = []
        append = out.append
        for sse in EventSource(response).iter_sse():
            _darkai_text(sse.data, append)
        return out

    return run


def _openai() -> Peer:
    from openai._streaming import SSEDecoder  # what openai.Stream decodes with

    def run(pieces: list[bytes]) -> list[str]:
        out: list[str] = []
        append = out.append
        for sse in SSEDecoder().iter_bytes(iter(pieces)):
            _darkai_text(sse.data, append)
        return out

    return run


_PEERS: dict[str, tuple[str, Callable[[], Peer]]] = {
    "sseclient": ("sseclient-py SSEClient.events", _sseclient),
    "httpx_sse": ("httpx-sse EventSource.iter_sse", _httpx_sse),
    "openai": ("openai._streaming.SSEDecoder", _openai),
}


def peer_decoders() -> dict[str, tuple[str, Peer | None]]:
    """Each peer's label and runner, the runner None when the peer is not installed."""
    found: dict[str, tuple[str, Peer | None]] = {}
    for key, (label, load) in _PEERS.items():
        try:
            found[key] = (label, load())
        except ImportError:
            found[key] = (label, None)
    return found
