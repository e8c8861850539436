"""Ways to receive a reply: our clients and decoder, the seed, a naive decoder, raw transports.

Each returns what it received (text chunks, or raw bytes for a transport) and
keeps nothing else, so the caller can check it and time it alike.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import aiohttp
import requests
from _bench_core import PROMPT

from darkai_sdk import AsyncDarkAI, DarkAI, format_prompt, resolve_model
from darkai_sdk._events import EventDecoder

__all__ = [
    "SEED_HEADERS",
    "RawSocket",
    "collect_seed_async",
    "collect_seed_sync",
    "decoder_alone",
    "naive_decoder",
    "ours_async",
    "ours_sync",
    "raw_aiohttp",
    "raw_requests",
    "seed_request_body",
]

#: The read size of the raw transports: big, as a transport at its best reads.
RAW_READ = 1024 * 1024
SEED_HEADERS = {
    "accept": "text/event-stream",
    "content-type": "application/json",
    "user-agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    ),
}


def seed_request_body() -> bytes:
    return json.dumps({"query": format_prompt(PROMPT), "model": resolve_model(None)}).encode()


# ---------------------------------------------------------------------------- the seed


# The seed's loop is written out in both worlds on purpose, line for line as
# published (swallowed errors included): a shared helper would add a call per
# line and so misstate the baseline this benchmark compares against.
async def seed_stream_async(url: str) -> AsyncIterator[str]:
    """The seed's algorithm, as published: an async generator of text chunks."""
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(headers=SEED_HEADERS, timeout=timeout) as session:
        data = {"query": format_prompt(PROMPT), "model": resolve_model(None)}
        async with session.post(url, json=data) as response:
            response.raise_for_status()
            buffer = b""
            async for chunk in response.content.iter_chunked(1024):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.strip()
                    if line:
                        try:
                            line_str = line.decode()
                            if line_str.startswith("data: "):
                                chunk_data = json.loads(line_str[6:])
                                if chunk_data["event"] == "text-chunk":
                                    yield chunk_data["data"]["text"]
                                elif chunk_data["event"] == "stream-end":
                                    return
                        except json.JSONDecodeError:
                            pass
                        except Exception:
                            pass


def seed_stream_sync(url: str) -> Iterator[str]:
    """The seed's algorithm over requests: a new session per call, 1024-byte reads."""
    with requests.Session() as session:
        session.headers.update(SEED_HEADERS)
        data = {"query": format_prompt(PROMPT), "model": resolve_model(None)}
        with session.post(url, json=data, stream=True, timeout=600) as response:
            response.raise_for_status()
            buffer = b""
            for chunk in response.iter_content(1024):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.strip()
                    if line:
                        try:
                            line_str = line.decode()
                            if line_str.startswith("data: "):
                                chunk_data = json.loads(line_str[6:])
                                if chunk_data["event"] == "text-chunk":
                                    yield chunk_data["data"]["text"]
                                elif chunk_data["event"] == "stream-end":
                                    return
                        except json.JSONDecodeError:
                            pass
                        except Exception:
                            pass


async def collect_seed_async(url: str) -> list[str]:
    out: list[str] = []
    append = out.append
    async for text in seed_stream_async(url):
        append(text)
    return out


def collect_seed_sync(url: str) -> list[str]:
    out: list[str] = []
    append = out.append
    for text in seed_stream_sync(url):
        append(text)
    return out


# ---------------------------------------------------------------------------- ours


async def ours_async(client: AsyncDarkAI) -> list[str]:
    out: list[str] = []
    append = out.append
    async with client.stream(PROMPT) as stream:
        async for chunk in stream:
            append(chunk)
    if not stream.done:
        raise RuntimeError("AsyncDarkAI.stream ended without stream-end")
    return out


def ours_sync(client: DarkAI) -> list[str]:
    out: list[str] = []
    append = out.append
    with client.stream(PROMPT) as stream:
        for chunk in stream:
            append(chunk)
    if not stream.done:
        raise RuntimeError("DarkAI.stream ended without stream-end")
    return out


def decoder_alone(pieces: list[bytes]) -> list[str]:
    """EventDecoder fed ``pieces`` one by one, as a transport hands them over."""
    out: list[str] = []
    append = out.append
    decoder = EventDecoder()
    for piece in pieces:
        for item in decoder.feed(piece):
            if isinstance(item, str):
                append(item)
    for item in decoder.close():
        if isinstance(item, str):
            append(item)
    return out


def naive_decoder(pieces: list[bytes]) -> list[str]:
    """The floor of decoders: split lines, json.loads each ``data:`` line, no checks."""
    out: list[str] = []
    append = out.append
    loads = json.loads
    buffer = b""
    for piece in pieces:
        lines = (buffer + piece).split(b"\n")
        buffer = lines.pop()
        for line in lines:
            if line.startswith(b"data:"):
                obj = loads(line[5:])  # json.loads ignores the space and a CR
                if obj["event"] == "text-chunk":
                    append(obj["data"]["text"])
    return out


# ---------------------------------------------------------------------------- raw transports


async def raw_aiohttp(session: aiohttp.ClientSession, url: str, body: bytes) -> list[bytes]:
    """The body through aiohttp and nothing else: a readany loop."""
    out: list[bytes] = []
    append = out.append
    async with session.post(url, data=body, headers=SEED_HEADERS) as response:
        response.raise_for_status()
        readany = response.content.readany
        while data := await readany():
            append(data)
    return out


def raw_requests(session: requests.Session, url: str, body: bytes) -> list[bytes]:
    """The body through requests/urllib3 and nothing else: each HTTP chunk as it comes."""
    out: list[bytes] = []
    append = out.append
    with session.post(url, data=body, headers=SEED_HEADERS, stream=True) as response:
        response.raise_for_status()
        for data in response.raw.read_chunked(RAW_READ, decode_content=False):
            append(data)
    return out


class RawSocket:
    """The floor of every transport: one kept-alive socket, large reads, no HTTP parsing.

    ``get`` returns the whole response as received, head and chunk framing included;
    it stops at the last chunk (the server sends no trailers).
    """

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._host = parts.netloc
        self._sock: socket.socket | None = None

    def get(self, path: str, body: bytes) -> list[bytes]:
        if self._sock is None:
            self._sock = socket.create_connection(self._address)
        sock = self._sock
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        out: list[bytes] = []
        append = out.append
        recv = sock.recv
        tail = b""
        while not tail.endswith(b"\r\n0\r\n\r\n"):
            data = recv(RAW_READ)
            if not data:
                raise ConnectionError("the server closed the connection mid-reply")
            append(data)
            tail = (tail + data[-7:])[-7:]
        return out

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
