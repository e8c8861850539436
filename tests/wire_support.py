"""A raw HTTP/1.1 client and an independent event-stream reader, for the test server's tests.

Nothing here uses the SDK's parser: responses are read with a raw socket, the
chunked transfer coding is undone by hand, and events are read by the small
WHATWG-rules reader below, so the server cannot drift into agreeing with a
client bug.
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

# -- a raw HTTP/1.1 client ----------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    raw_body: bytes  # as on the wire, after the header block
    body: bytes  # with the transfer coding undone
    complete: bool  # the body ended the way its framing says it must
    http_chunks: int  # chunks of the chunked transfer coding (0 when not chunked)
    ended: str  # how reading stopped: "eof", "reset" or "timeout"
    first_byte_after: float  # seconds from sending the request to the first byte


def chat_body(query: str = "Hi", model: str = "llama-3-70b") -> bytes:
    return json.dumps({"query": query, "model": model}).encode()


def send_request(
    port: int,
    body: bytes | None = None,
    *,
    method: str = "POST",
    path: str = "/chat",
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> socket.socket:
    body = chat_body() if body is None else body
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        "Accept: text/event-stream",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return sock


def read_raw(sock: socket.socket, read_timeout: float) -> tuple[bytes, str, float]:
    """Read until EOF, reset or a quiet ``read_timeout``; return data, how it ended, TTFB."""
    sock.settimeout(read_timeout)
    started = time.monotonic()
    first_byte_after = -1.0
    data = bytearray()
    while True:
        try:
            piece = sock.recv(65536)
        except TimeoutError:
            return bytes(data), "timeout", first_byte_after
        except ConnectionResetError:
            return bytes(data), "reset", first_byte_after
        if not piece:
            return bytes(data), "eof", first_byte_after
        if first_byte_after < 0:
            first_byte_after = time.monotonic() - started
        data += piece


def read_response(sock: socket.socket, read_timeout: float = 5.0) -> RawResponse:
    return parse_response(*read_raw(sock, read_timeout))


def exchange(
    port: int, body: bytes | None = None, read_timeout: float = 5.0, **kw: Any
) -> RawResponse:
    with send_request(port, body, **kw) as sock:
        return read_response(sock, read_timeout)


def dechunk(raw: bytes) -> tuple[bytes, bool, int]:
    """Undo chunked transfer coding; return body, whether the last chunk came, chunk count."""
    out = bytearray()
    pos = count = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            return bytes(out), False, count
        size = int(raw[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out), raw[eol + 2 : eol + 4] == b"\r\n", count
        start, end = eol + 2, eol + 2 + size
        out += raw[start:end]
        if len(raw) < end + 2:
            return bytes(out), False, count
        assert raw[end : end + 2] == b"\r\n", "chunk not followed by CRLF"
        count += 1
        pos = end + 2


def parse_response(data: bytes, ended: str, first_byte_after: float) -> RawResponse:
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert sep, f"no complete header block in {data[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status, _reason = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        body, complete, count = dechunk(rest)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        body, complete, count = rest[:length], len(rest) >= length, 0
    else:
        body, complete, count = rest, ended == "eof", 0
    return RawResponse(int(status), headers, rest, body, complete, count, ended, first_byte_after)


# -- an independent event-stream reader (WHATWG rules) ------------------------------


def sse_read(body: bytes) -> tuple[list[str], str]:
    """Return the data of every dispatched event and the text after the last line end."""
    text = body.decode("utf-8")
    # Only CR, LF and CRLF end lines: U+2028 and U+0085 are ordinary characters.
    *lines, rest = re.split(r"\r\n|\r|\n", text)
    events: list[str] = []
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                events.append("\n".join(data))
            data = []
            continue
        if line.startswith(":"):
            continue
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
    return events, rest


def darkai_events(body: bytes) -> list[dict[str, Any]]:
    events, rest = sse_read(body)
    assert rest == "", f"body ends mid-line: {rest!r}"
    return [json.loads(data) for data in events]


def chunk_texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["text"] for e in events if e["event"] == "text-chunk"]


def event_bytes(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def good_stream(chunks: list[str], message: str | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"event": "text-chunk", "data": {"text": c}} for c in chunks]
    events.append({"event": "final-response", "data": {"message": message or "".join(chunks)}})
    events.append({"event": "stream-end"})
    return events


def wait_until(condition: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())
