"""The benchmark's reply bodies and its fast local DarkAI server (used by tools/bench.py).

Run as a script it serves on 127.0.0.1 (a free port) and prints ``PORT <n>`` once
ready. Every body is pre-encoded once, with chunked transfer encoding, and each
reply is written with one ``sendall``, so the server costs next to nothing and a
client's throughput is bounded only by loopback and by the client itself.

    POST /bulk     the bulk reply (text-chunk events of 64 characters, stream-end)
    POST /small    a short reply (a few chunks, final-response, stream-end)
    POST /mem      ``--mem-size`` bytes of events (one block repeated), stream-end
    POST /endless  one data line of ``--endless-size`` bytes that never ends
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import socketserver
import sys
from dataclasses import dataclass
from json.encoder import encode_basestring

__all__ = [
    "SMALL_TEXT",
    "Body",
    "encode_events",
    "frame_chunked",
    "make_bulk",
    "small_body",
]

#: Characters of text per text-chunk event.
CHUNK_CHARS = 64
#: Size of each HTTP chunk of a pre-encoded body.
HTTP_CHUNK = 256 * 1024

# The service's own encoding: json.dumps(ensure_ascii=False), default separators.
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_END = b'data: {"event": "stream-end"}\n\n'
_EVENT_OPEN = 'data: {"event": "text-chunk", "data": {"text": '
_EVENT_CLOSE = "}}\n\n"
_EVENT_SEP = _EVENT_CLOSE + _EVENT_OPEN
# The bytes of a text-chunk event around its text.
_EVENT_OVERHEAD = len(b'data: {"event": "text-chunk", "data": {"text": ""}}\n\n')

_WORD_LIST = (
    "the of and to in is you that it he was for on are as with his they at be this have "
    "from or one had by word but not what all were we when your can said there use an each "
    "which she do how their if will up other about out many then them these so some her "
    "would make like him into time has look two more write go see number no way could people "
    "stream event server client reply token model chunk buffer decoder latency throughput"
)
_ASCII_WORDS = _WORD_LIST.split()
_MULTIBYTE_WORDS = ("café", "déjà", "résumé", "naïve", "中文", "北京", "你好", "🙂", "🚀", "👍🏽")
_PUNCTUATION = (",", ".", ";", "!", "?", ":")


@dataclass(frozen=True)
class Body:
    """An event-stream body and the text its text-chunk events carry."""

    body: bytes
    text: str
    events: int


def encode_events(chunks: list[str]) -> bytes:
    """The text-chunk events for ``chunks``, as the service writes them (no stream-end)."""
    if not chunks:
        return b""
    # json.dumps(ensure_ascii=False) of a str is exactly encode_basestring of it.
    return (_EVENT_OPEN + _EVENT_SEP.join(map(encode_basestring, chunks)) + _EVENT_CLOSE).encode(
        "utf-8"
    )


def _words(rng: random.Random, count: int) -> str:
    """ASCII words with punctuation, about one word in ten multi-byte (é, 中, emoji)."""
    ascii_words = rng.choices(_ASCII_WORDS, k=count)
    for i in range(0, count, 10):
        ascii_words[i + rng.randrange(10) if i + 10 <= count else i] = rng.choice(_MULTIBYTE_WORDS)
    for i in range(7, count, 13):
        ascii_words[i] += rng.choice(_PUNCTUATION)
    return " ".join(ascii_words)


def make_bulk(size: int, seed: int = 5) -> Body:
    """A body of at most ``size`` bytes (and close to it) of 64-character text-chunk events.

    Deterministic in ``size`` and ``seed``, so the server and the client build the
    same bytes on their own. The body ends with stream-end; there is no
    final-response, whose single line would exceed the 16 MiB line cap.
    """
    rng = random.Random(seed)
    # Random runs of a pool of random words: as varied as a decoder can tell, and fast.
    pool_text = _words(rng, 1 << 16)
    pool = pool_text.split(" ")
    bytes_per_char = len(pool_text.encode("utf-8")) / len(pool_text)
    want = int(size / (bytes_per_char + _EVENT_OVERHEAD / CHUNK_CHARS) * 1.02) + CHUNK_CHARS
    runs: list[str] = []
    have = 0
    while have < want:
        start = rng.randrange(len(pool) - 1024)
        run = " ".join(pool[start : start + rng.randrange(256, 1024)])
        runs.append(run)
        have += len(run) + 1
    text = " ".join(runs)
    budget = size - len(_END)
    chunks: list[str] = []
    body_parts: list[bytes] = []
    used = 0
    # Encode in slices, so that the cut at ``size`` is found without a second pass.
    step = CHUNK_CHARS * 4096
    for start in range(0, len(text), step):
        block = [
            text[i : i + CHUNK_CHARS]
            for i in range(start, min(len(text), start + step), CHUNK_CHARS)
        ]
        encoded = encode_events(block)
        if used + len(encoded) <= budget:
            chunks += block
            body_parts.append(encoded)
            used += len(encoded)
            continue
        for chunk in block:
            event = encode_events([chunk])
            if used + len(event) > budget:
                break
            chunks.append(chunk)
            body_parts.append(event)
            used += len(event)
        break
    body_parts.append(_END)
    return Body(b"".join(body_parts), "".join(chunks), len(chunks) + 1)


#: The text of the short reply.
SMALL_TEXT = "Hello from the bench server: café, 中文, 🙂. A short reply of a few chunks."


def small_body() -> bytes:
    """A short reply: a few text chunks, final-response, stream-end."""
    chunks = [SMALL_TEXT[i : i + 12] for i in range(0, len(SMALL_TEXT), 12)]
    final = _dumps({"event": "final-response", "data": {"message": SMALL_TEXT}})
    return encode_events(chunks) + f"data: {final}\n\n".encode() + _END


def frame_chunked(body: bytes, size: int = HTTP_CHUNK) -> bytes:
    """``body`` in HTTP/1.1 chunked transfer encoding, with the last chunk."""
    parts: list[bytes | memoryview] = []
    view = memoryview(body)
    for start in range(0, len(body), size):
        piece = view[start : start + size]
        parts += (b"%x\r\n" % len(piece), piece, b"\r\n")
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class _Replies:
    """Every reply, pre-encoded."""

    def __init__(self, bulk_size: int, mem_size: int, endless_size: int) -> None:
        self.bulk = _HEAD + frame_chunked(make_bulk(bulk_size).body)
        self.small = _HEAD + frame_chunked(small_body())
        block = make_bulk(1024 * 1024, seed=7)
        block_events = block.body[: -len(_END)]
        self.mem_block = frame_chunked(block_events)[: -len(b"0\r\n\r\n")]
        self.mem_repeats = max(1, mem_size // len(block_events))
        self.mem_end = frame_chunked(_END)
        line_piece = b"x" * (1024 * 1024)
        self.endless_start = frame_chunked(b"data: ")[: -len(b"0\r\n\r\n")]
        self.endless_piece = frame_chunked(line_piece, len(line_piece))[: -len(b"0\r\n\r\n")]
        self.endless_repeats = max(1, endless_size // len(line_piece))
        self.endless_end = frame_chunked(b"\n\n" + _END)


def _read_request(sock: socket.socket, buffer: bytearray) -> str | None:
    """Read one request's head and body from ``sock``; return its path (None at EOF)."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            break
        data = sock.recv(65536)
        if not data:
            return None
        buffer += data
    head = bytes(buffer[:end]).decode("latin-1")
    del buffer[: end + 4]
    lines = head.split("\r\n")
    path = lines[0].split(" ")[1] if " " in lines[0] else "/"
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(buffer) < length:
        data = sock.recv(65536)
        if not data:
            return None
        buffer += data
    del buffer[:length]
    return path


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        replies = self.server.replies
        buffer = bytearray()
        try:
            while True:
                path = _read_request(sock, buffer)
                if path is None:
                    return
                if path == "/small":
                    sock.sendall(replies.small)
                elif path == "/bulk":
                    sock.sendall(replies.bulk)
                elif path == "/mem":
                    sock.sendall(_HEAD)
                    for _ in range(replies.mem_repeats):
                        sock.sendall(replies.mem_block)
                    sock.sendall(replies.mem_end)
                elif path == "/endless":
                    sock.sendall(_HEAD + replies.endless_start)
                    for _ in range(replies.endless_repeats):
                        sock.sendall(replies.endless_piece)
                    sock.sendall(replies.endless_end)
                else:
                    sock.sendall(_NOT_FOUND)
        except OSError:
            return  # the client hung up, as clients that stop early do


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, replies: _Replies) -> None:
        self.replies = replies
        super().__init__(("127.0.0.1", 0), _Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulk-size", type=int, required=True)
    parser.add_argument("--mem-size", type=int, required=True)
    parser.add_argument("--endless-size", type=int, required=True)
    args = parser.parse_args(argv)
    server = _Server(_Replies(args.bulk_size, args.mem_size, args.endless_size))
    print(f"PORT {server.server_address[1]}", flush=True)
    # Serve until the parent closes our stdin (or kills us).
    with server:
        import threading

        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()
        server.shutdown()


if __name__ == "__main__":
    main()
