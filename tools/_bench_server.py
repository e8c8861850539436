"""The benchmark's HTTP server: pre-encoded replies, in a process of its own.

    python tools/_bench_server.py < replies

Reads every reply from stdin first: one JSON line mapping each path to its
parts, ``[[length, repeats], ...]``, then the bytes of all parts in that order.
A reply is its parts sent in order, each ``repeats`` times, with ``sendall``
(a long reply is a block repeated, so it costs no memory here). Any request
method to a path gets its reply; an unknown path gets 404. Prints
``PORT <n>`` once listening on 127.0.0.1 and serves until stdin closes.
The server costs next to nothing, so a client's figure is the client's own.
"""

from __future__ import annotations

import json
import socket
import socketserver
import sys
import threading
from typing import BinaryIO

__all__ = ["Reply", "encode_replies"]

#: A reply: its parts, each sent ``repeats`` times in turn.
Reply = list[tuple[bytes, int]]

_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def encode_replies(replies: dict[str, Reply]) -> list[bytes]:
    """What to write to the server's stdin for ``replies`` (keyed by path)."""
    manifest = {
        path: [[len(part), repeats] for part, repeats in parts] for path, parts in replies.items()
    }
    out = [json.dumps(manifest).encode() + b"\n"]
    for parts in replies.values():
        out += [part for part, _ in parts]
    return out


def _decode_replies(stream: BinaryIO) -> dict[str, Reply]:
    manifest: dict[str, list[list[int]]] = json.loads(stream.readline())
    replies: dict[str, Reply] = {}
    for path, parts in manifest.items():
        replies[path] = []
        for length, repeats in parts:
            data = stream.read(length)
            if len(data) != length:
                raise SystemExit("the reply bytes ended early")
            replies[path].append((data, repeats))
    return replies


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
                reply = replies.get(path)
                if reply is None:
                    sock.sendall(_NOT_FOUND)
                    continue
                for part, repeats in reply:
                    for _ in range(repeats):
                        sock.sendall(part)
        except OSError:
            return  # the client hung up, as clients that stop early do


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, replies: dict[str, Reply]) -> None:
        self.replies = replies
        super().__init__(("127.0.0.1", 0), _Handler)


def main() -> None:
    server = _Server(_decode_replies(sys.stdin.buffer))
    print(f"PORT {server.server_address[1]}", flush=True)
    with server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.buffer.read()  # the parent closes stdin to stop us
        server.shutdown()


if __name__ == "__main__":
    main()
