"""The test server on the wire: raw HTTP bytes read over a plain socket.

Nothing here uses the SDK's parser: responses are read with a raw socket, the
chunked transfer coding is undone by hand, and events are read by the small
WHATWG-rules reader below, so the server cannot drift into agreeing with a
client bug.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from darkai_sdk.testing import (
    DEFAULT_MODELS,
    MALFORMED_DATA,
    DarkAIServer,
    Reply,
    default_reply_text,
    encode_event,
    render_body,
)

pytestmark = pytest.mark.timeout(30)

REPO_ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


def wait_until(condition: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


# -- well-formed replies ------------------------------------------------------------


def test_default_reply_echoes_query_and_model_in_small_chunks(server: DarkAIServer) -> None:
    response = exchange(server.port, chat_body("What is 2+2?", "gpt-4o"))
    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.complete and response.ended == "eof"
    expected = 'Hello from the local DarkAI test server (model gpt-4o). You said: "What is 2+2?"'
    chunks = [expected[i : i + 4] for i in range(0, len(expected), 4)]
    assert response.body == b"".join(event_bytes(e) for e in good_stream(chunks))
    assert default_reply_text("What is 2+2?", "gpt-4o") == expected


def test_short_reply_is_byte_for_byte_the_protocol_example(server: DarkAIServer) -> None:
    server.reply(Reply("Hello", chunk_size=3))
    body = exchange(server.port).body
    assert body == (
        b'data: {"event": "text-chunk", "data": {"text": "Hel"}}\n\n'
        b'data: {"event": "text-chunk", "data": {"text": "lo"}}\n\n'
        b'data: {"event": "final-response", "data": {"message": "Hello"}}\n\n'
        b'data: {"event": "stream-end"}\n\n'
    )


def test_non_ascii_and_unicode_line_separators_are_sent_raw(server: DarkAIServer) -> None:
    text = 'héllo\u2028wörld\x85 😀 "q"\n'
    server.reply(Reply(text, chunk_size=3))
    response = exchange(server.port)
    assert "\u2028".encode() in response.body and "\x85".encode() in response.body
    events = darkai_events(response.body)
    assert "".join(chunk_texts(events)) == text
    assert events[-2]["data"]["message"] == text


def test_text_given_as_chunks_is_sent_as_those_chunks(server: DarkAIServer) -> None:
    server.reply(Reply(["a", "", "bcdefg"]))
    events = darkai_events(exchange(server.port).body)
    assert events == good_stream(["a", "", "bcdefg"])


def test_empty_reply_has_only_final_response_and_stream_end(server: DarkAIServer) -> None:
    server.reply(Reply(""))
    assert darkai_events(exchange(server.port).body) == good_stream([])


def test_final_response_can_be_left_out_or_mismatched(server: DarkAIServer) -> None:
    server.enqueue(Reply("abcd", chunk_size=2, final_response=False))
    server.enqueue(Reply("abcd", chunk_size=2, final_response="abXd"))
    assert darkai_events(exchange(server.port).body) == [
        {"event": "text-chunk", "data": {"text": "ab"}},
        {"event": "text-chunk", "data": {"text": "cd"}},
        {"event": "stream-end"},
    ]
    assert darkai_events(exchange(server.port).body) == good_stream(["ab", "cd"], "abXd")


def test_large_reply_is_coalesced_into_few_big_writes(server: DarkAIServer) -> None:
    text = "0123456789" * 40_000  # 100,000 events
    server.reply(Reply(text, chunk_size=4))
    started = time.monotonic()
    response = exchange(server.port, read_timeout=20)
    elapsed = time.monotonic() - started
    assert response.complete
    assert "".join(chunk_texts(darkai_events(response.body))) == text
    # One HTTP chunk per write: one per event would be 100,000 of them.
    assert response.http_chunks <= len(response.body) // (32 * 1024) + 2
    assert elapsed < 15


# -- status, redirect and delay faults ----------------------------------------------


def test_status_fault_sends_status_retry_after_headers_and_body(server: DarkAIServer) -> None:
    server.reply(Reply(status=429, body="slow down", retry_after=7, headers={"X-Test": "yes"}))
    response = exchange(server.port)
    assert response.status == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-test"] == "yes"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.body == b"slow down"


def test_status_fault_without_body_sends_a_json_error(server: DarkAIServer) -> None:
    server.reply(Reply(status=503))
    response = exchange(server.port)
    assert response.status == 503
    assert response.headers["content-type"] == "application/json"
    assert "retry-after" not in response.headers
    assert json.loads(response.body)["error"]["type"] == "server_error"


def test_status_fault_body_can_be_html_bytes(server: DarkAIServer) -> None:
    page = b"<html><body>502 Bad Gateway</body></html>"
    server.reply(Reply(status=502, body=page, headers={"Content-Type": "text/html"}))
    response = exchange(server.port)
    assert (response.status, response.body) == (502, page)
    assert response.headers["content-type"] == "text/html"


def test_200_with_a_body_is_a_plain_response_not_a_stream(server: DarkAIServer) -> None:
    server.reply(Reply(body="<html>captive portal</html>", headers={"Content-Type": "text/html"}))
    response = exchange(server.port)
    assert response.status == 200
    assert response.headers["content-type"] == "text/html"
    assert response.body == b"<html>captive portal</html>"


@pytest.mark.parametrize("status", [307, 302])
def test_redirect_sends_location(server: DarkAIServer, status: int) -> None:
    server.reply(Reply(redirect="http://127.0.0.1:9/elsewhere", redirect_status=status))
    response = exchange(server.port)
    assert response.status == status
    assert response.headers["location"] == "http://127.0.0.1:9/elsewhere"


def test_delay_paces_events(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=1, delay=0.1))
    started = time.monotonic()
    response = exchange(server.port)
    # Six events, a pause before each but the first.
    assert time.monotonic() - started >= 0.45
    assert darkai_events(response.body) == good_stream(list("abcd"))
    # Paced events go out one write each.
    assert response.http_chunks == 6


def test_headers_delay_holds_back_the_status_line(server: DarkAIServer) -> None:
    server.reply(Reply("ok", headers_delay=0.4))
    response = exchange(server.port)
    assert response.first_byte_after >= 0.35
    assert response.status == 200


def test_write_size_splits_the_body_but_keeps_it_intact(server: DarkAIServer) -> None:
    server.reply(Reply("é😀\r\n", chunk_size=1, line_ending="\r\n", write_size=1))
    response = exchange(server.port)
    assert response.http_chunks == len(response.body)  # one byte per write
    assert "".join(chunk_texts(darkai_events(response.body))) == "é😀\r\n"


# -- stream faults --------------------------------------------------------------------


def test_truncate_ends_the_body_cleanly_without_stream_end(server: DarkAIServer) -> None:
    server.reply(Reply("abcdefgh", chunk_size=2, truncate_after=2))
    response = exchange(server.port)
    assert response.complete and response.ended == "eof"
    assert darkai_events(response.body) == good_stream(["ab", "cd"])[:2]


def test_truncate_past_the_last_chunk_drops_only_final_events(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, truncate_after=99))
    assert darkai_events(exchange(server.port).body) == good_stream(["ab", "cd"])[:2]


def test_cut_aborts_the_connection_mid_line(server: DarkAIServer) -> None:
    server.reply(Reply("abcdefgh", chunk_size=2, cut_after=2))
    response = exchange(server.port)
    assert not response.complete
    assert response.ended in ("eof", "reset")
    events, rest = sse_read(response.body)
    assert [json.loads(e) for e in events] == good_stream(["ab", "cd"])[:2]
    assert rest and 'data: {"event": "text-chunk", "data": {"text": "ef"}}'.startswith(rest)


def test_cut_after_the_last_chunk_cuts_the_final_response(server: DarkAIServer) -> None:
    server.reply(Reply("ab", chunk_size=2, cut_after=5))
    response = exchange(server.port)
    events, rest = sse_read(response.body)
    assert len(events) == 1 and not response.complete
    assert 'data: {"event": "final-response"'.startswith(rest)


def test_malformed_line_is_sent_then_the_stream_goes_on(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, malformed_after=1))
    response = exchange(server.port)
    assert response.complete
    events, rest = sse_read(response.body)
    assert rest == ""
    assert events[1] == MALFORMED_DATA
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1])
    assert [json.loads(e) for e in events[:1] + events[2:]] == good_stream(["ab", "cd"])


def test_malformed_data_can_be_chosen(server: DarkAIServer) -> None:
    server.reply(Reply("ab", malformed_after=0, malformed_data='{"event": "text-chunk"}'))
    events, _ = sse_read(exchange(server.port).body)
    assert events[0] == '{"event": "text-chunk"}'


def test_error_event_is_followed_by_stream_end(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, error_after=1, error_message="boom"))
    assert darkai_events(exchange(server.port).body) == [
        {"event": "text-chunk", "data": {"text": "ab"}},
        {"event": "error", "data": {"message": "boom"}},
        {"event": "stream-end"},
    ]


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_endings(server: DarkAIServer, ending: str) -> None:
    server.reply(Reply("abcdef", chunk_size=2, line_ending=ending))
    body = exchange(server.port).body
    assert darkai_events(body) == good_stream(["ab", "cd", "ef"])
    if ending == "\r":
        assert b"\n" not in body
    else:
        assert body.count(b"\r\n") == body.count(b"\n") == body.count(b"\r")
    assert body.endswith(ending.encode() * 2)


def test_data_without_space(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, data_space=False))
    body = exchange(server.port).body
    lines = [line for line in body.split(b"\n") if line]
    assert lines and all(line.startswith(b"data:{") for line in lines)
    assert darkai_events(body) == good_stream(["ab", "cd"])


def test_comments_and_blank_keep_alive_lines(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, comments=True))
    body = exchange(server.port).body
    assert body.startswith(b": keep-alive\n\n\n")
    assert body.count(b": keep-alive\n") == 4  # one before each event
    assert darkai_events(body) == good_stream(["ab", "cd"])


def test_multiline_data_joins_back_into_the_same_json(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, multiline=True))
    body = exchange(server.port).body
    events, _ = sse_read(body)
    assert all(event.count("\n") >= 2 for event in events)
    assert b'data: {\ndata: "event": "text-chunk",\n' in body
    assert darkai_events(body) == good_stream(["ab", "cd"])


def test_multiline_with_comments_puts_comments_inside_events(server: DarkAIServer) -> None:
    server.reply(Reply("ab", chunk_size=2, multiline=True, comments=True))
    body = exchange(server.port).body
    assert b"data: {\n: keep-alive\ndata: " in body
    assert darkai_events(body) == good_stream(["ab"])


def test_unknown_events_are_interleaved(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, unknown_events=True))
    events = darkai_events(exchange(server.port).body)
    known = {"text-chunk", "final-response", "stream-end"}
    unknown = [e for e in events if e["event"] not in known]
    assert len(unknown) == 4 and len({e["event"] for e in unknown}) > 1
    assert [e for e in events if e["event"] in known] == good_stream(["ab", "cd"])


def test_stall_sends_first_chunks_then_holds_the_connection(server: DarkAIServer) -> None:
    server.reply(Reply("abcdefgh", chunk_size=2, stall_after=1))
    with send_request(server.port) as sock:
        response = read_response(sock, read_timeout=0.5)
        assert response.ended == "timeout" and not response.complete
        assert darkai_events(response.body) == good_stream(["ab"])[:1]
        assert server.active_streams == 1
    # The client went away: the server lets go of the stream.
    assert wait_until(lambda: server.active_streams == 0)


def test_gzip_decompresses_to_the_same_events(server: DarkAIServer) -> None:
    server.reply(Reply("abcdef" * 50, chunk_size=3, gzip=True))
    response = exchange(server.port)
    assert response.headers["content-encoding"] == "gzip"
    assert response.body[:2] == b"\x1f\x8b"
    body = zlib.decompress(response.body, wbits=31)
    assert darkai_events(body) == good_stream(["abc", "def"] * 50)


def test_gzip_streams_each_write_decompressible_on_arrival(server: DarkAIServer) -> None:
    server.reply(Reply("abcdef", chunk_size=2, gzip=True, stall_after=1))
    with send_request(server.port) as sock:
        response = read_response(sock, read_timeout=0.5)
    assert response.ended == "timeout"
    partial = zlib.decompressobj(wbits=31).decompress(response.body)
    assert darkai_events(partial) == good_stream(["ab"])[:1]


def test_gzip_cut_still_delivers_the_compressed_partial_line(server: DarkAIServer) -> None:
    server.reply(Reply("abcd", chunk_size=2, gzip=True, cut_after=1))
    response = exchange(server.port)
    assert not response.complete
    events, rest = sse_read(zlib.decompressobj(wbits=31).decompress(response.body))
    assert len(events) == 1 and rest.startswith("data")


# -- request validation ---------------------------------------------------------------


def error_of(response: RawResponse) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = json.loads(response.body)["error"]
    assert isinstance(error["message"], str) and isinstance(error["type"], str)
    return error


def test_get_is_405_with_allow_post(server: DarkAIServer) -> None:
    response = exchange(server.port, b"", method="GET")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    error_of(response)


def test_other_paths_are_404(server: DarkAIServer) -> None:
    for path in ("/", "/chat/", "/v1/chat"):
        response = exchange(server.port, path=path)
        assert response.status == 404
        assert error_of(response)["type"] == "not_found_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"\xff\xfe", None),
        (b"[1, 2]", None),
        (b"null", None),
        (b'{"model": "gpt-4o"}', "query"),
        (b'{"query": "", "model": "gpt-4o"}', "query"),
        (b'{"query": 5, "model": "gpt-4o"}', "query"),
        (b'{"query": "hi"}', "model"),
        (b'{"query": "hi", "model": null}', "model"),
    ],
)
def test_bad_bodies_are_400(server: DarkAIServer, body: bytes, param: str | None) -> None:
    response = exchange(server.port, body)
    assert response.status == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error.get("param") == param


def test_unknown_model_is_400_naming_it_and_listing_models(server: DarkAIServer) -> None:
    response = exchange(server.port, chat_body(model="llama-3.1-70b"))
    assert response.status == 400
    error = error_of(response)
    assert "'llama-3.1-70b'" in error["message"]
    assert all(model in error["message"] for model in DEFAULT_MODELS)
    assert error["supported_models"] == list(DEFAULT_MODELS)


def test_models_can_be_configured_or_unchecked() -> None:
    with DarkAIServer(models=["my-model"]) as server:
        assert exchange(server.port, chat_body(model="my-model")).status == 200
        assert exchange(server.port, chat_body(model="gpt-4o")).status == 400
    with DarkAIServer(models=None) as server:
        assert exchange(server.port, chat_body(model="anything")).status == 200


def test_invalid_requests_do_not_use_up_scripted_replies(server: DarkAIServer) -> None:
    server.enqueue("scripted")
    assert exchange(server.port, b"{").status == 400
    assert chunk_texts(darkai_events(exchange(server.port).body)) == ["scri", "pted"]


# -- scripting and recording ----------------------------------------------------------


def reply_text(port: int) -> str:
    response = exchange(port)
    assert response.status == 200
    return "".join(chunk_texts(darkai_events(response.body)))


def test_enqueue_goes_before_the_default_which_reply_sets(server: DarkAIServer) -> None:
    server.reply("default")
    server.enqueue("one", Reply("two"))
    assert [reply_text(server.port) for _ in range(4)] == ["one", "two", "default", "default"]


def test_fail_next_fails_n_requests_then_succeeds(server: DarkAIServer) -> None:
    server.enqueue("queued")
    server.fail_next(2, retry_after=3)
    first, second = exchange(server.port), exchange(server.port)
    assert (first.status, second.status) == (503, 503)
    assert first.headers["retry-after"] == second.headers["retry-after"] == "3"
    assert reply_text(server.port) == "queued"


def test_fail_next_with_status_and_body(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, body="too many", retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    response = exchange(server.port)
    assert (response.status, response.body) == (429, b"too many")
    assert response.headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert exchange(server.port).status == 200


def test_requests_are_recorded(server: DarkAIServer) -> None:
    exchange(server.port, chat_body("hello", "gpt-4o"), headers={"X-Custom": "42"})
    exchange(server.port, b"{oops", path="/nope")
    first, second = server.requests
    assert (first.method, first.path, first.body) == ("POST", "/chat", chat_body("hello", "gpt-4o"))
    assert first.headers["x-custom"] == first.headers["X-CUSTOM"] == "42"
    assert first.json == {"query": "hello", "model": "gpt-4o"}
    assert (first.prompt, first.model) == ("hello", "gpt-4o")
    assert (second.path, second.body, second.json, second.prompt) == ("/nope", b"{oops", None, None)


def test_reset_forgets_requests_and_script(server: DarkAIServer) -> None:
    server.reply("changed")
    server.enqueue("queued")
    exchange(server.port, b"{")
    server.reset()
    assert server.requests == []
    assert reply_text(server.port) == default_reply_text("Hi", "llama-3-70b")


def test_concurrent_requests_each_take_one_queued_reply(server: DarkAIServer) -> None:
    names = [f"reply-{i}" for i in range(16)]
    server.enqueue(*(Reply(name, delay=0.01) for name in names))
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        text = reply_text(server.port)
        with lock:
            results.append(text)

    threads = [threading.Thread(target=worker) for _ in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == sorted(names)
    assert len(server.requests) == 16


# -- lifecycle ------------------------------------------------------------------------


def test_thread_lifecycle_start_stop_restart() -> None:
    server = DarkAIServer()
    with pytest.raises(RuntimeError):
        _ = server.port
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
        assert server.url == f"http://127.0.0.1:{server.port}/chat"
        assert exchange(server.port).status == 200
    finally:
        server.stop()
    server.stop()  # a second stop does nothing
    with server:
        assert exchange(server.port).status == 200


def test_stopped_server_refuses_connections() -> None:
    with DarkAIServer() as server:
        port = server.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_start_fails_loudly_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            DarkAIServer(port=taken.getsockname()[1]).start()


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "darkai-test-server"]


async def test_async_lifecycle_runs_on_the_running_loop() -> None:
    async with DarkAIServer() as server:
        assert server_threads() == []
        assert "running" in repr(server)
        with pytest.raises(RuntimeError, match="astop"):
            server.stop()
        response = await asyncio.to_thread(exchange, server.port)
        assert response.status == 200
        port = server.port
    assert "stopped" in repr(server)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), 2).close()
    server2 = await DarkAIServer().astart()
    try:
        assert (await asyncio.to_thread(exchange, server2.port)).status == 200
    finally:
        await server2.astop()


async def test_thread_server_works_inside_a_running_loop() -> None:
    # Like a Jupyter cell: blocking code on a thread whose event loop is running.
    with DarkAIServer() as server:
        assert len(server_threads()) == 1
        assert exchange(server.port).status == 200
    assert server_threads() == []
    server = DarkAIServer().start()
    await server.astop()  # astop on a threaded server stops its thread
    assert server_threads() == []


#: Bound on a stop with a stream open. A stop that waited for the stream would take
#: its 60 s pause, or for ever; a quick one, about nothing: the bound sits far from
#: both, so a loaded machine cannot fail it and a slow stop cannot pass it.
QUICK_STOP = 10.0


def stall_and_time_stop(server: DarkAIServer, stop: Any, reply: Reply) -> tuple[float, str]:
    server.reply(reply)
    with send_request(server.port) as sock:
        first = read_response(sock, read_timeout=1.0)
        assert first.ended == "timeout" and server.active_streams == 1
        started = time.monotonic()
        stop()
        elapsed = time.monotonic() - started
        _, ended, _ = read_raw(sock, QUICK_STOP)
    return elapsed, ended


@pytest.mark.parametrize(
    "reply", [Reply(stall_after=0), Reply("abcdef", chunk_size=1, delay=60)], ids=["stall", "delay"]
)
def test_stop_with_an_open_stream_is_quick(reply: Reply) -> None:
    server = DarkAIServer().start()
    elapsed, ended = stall_and_time_stop(server, server.stop, reply)
    assert elapsed < QUICK_STOP
    assert ended in ("eof", "reset")


async def test_astop_with_a_stalled_stream_is_quick() -> None:
    server = await DarkAIServer().astart()
    server.reply(Reply("abc", stall_after=1))
    sock = await asyncio.to_thread(send_request, server.port)
    with sock:
        first = await asyncio.to_thread(read_response, sock, 1.0)
        assert first.ended == "timeout"
        started = time.monotonic()
        await server.astop()
        assert time.monotonic() - started < QUICK_STOP
        _, ended, _ = await asyncio.to_thread(read_raw, sock, QUICK_STOP)
        assert ended in ("eof", "reset")


def test_serve_forever_stops_on_keyboard_interrupt() -> None:
    code = (
        "from darkai_sdk.testing import DarkAIServer\n"
        "DarkAIServer().serve_forever(on_ready=lambda s: print(s.url, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "serve_forever never reported its URL"
        url = proc.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url == f"http://127.0.0.1:{port}/chat"
        assert exchange(port).status == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out.strip() == "stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- helpers and Reply checks -----------------------------------------------------------


def test_render_body_matches_what_the_server_sends(server: DarkAIServer) -> None:
    reply = Reply("xyz" * 7, chunk_size=5, comments=True, multiline=True, line_ending="\r\n")
    server.reply(reply)
    assert exchange(server.port, chat_body("q", "gpt-4o")).body == render_body(
        reply, query="q", model="gpt-4o"
    )
    assert render_body("hi") == b"".join(event_bytes(e) for e in good_stream(["hi"]))


def test_encode_event_is_one_data_line_and_a_blank_line() -> None:
    assert encode_event({"event": "stream-end"}) == b'data: {"event": "stream-end"}\n\n'
    assert encode_event("[DONE]", data_space=False, line_ending="\r") == b"data:[DONE]\r\r"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chunk_size": 0},
        {"delay": -1},
        {"status": 99},
        {"redirect_status": 200},
        {"line_ending": "\n\r"},
        {"cut_after": -1},
        {"stall_after": True},
        {"write_size": 0},
    ],
)
def test_reply_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Reply(**kwargs)


def test_reply_text_sequence_is_frozen() -> None:
    chunks = ["a", "b"]
    reply = Reply(chunks)
    chunks.append("c")
    assert reply.chunks("q", "m") == ("a", "b")
    with pytest.raises(TypeError):
        Reply([b"bytes"])  # type: ignore[list-item]
