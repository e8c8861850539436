# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_hostile_transport.py;
# edit that file and run `python tools/unasync.py`.
"""HTTP-level faults of a hostile server, over real sockets: no hang, no leak, no wrong text.

Dripped framing, broken chunk sizes, huge chunk extensions, tiny chunks,
interim responses, bytes after a reply, a fork, a gzip bomb: every run ends
in the exact text or a typed error whose ``partial_text`` is what was yielded,
in bounded time and memory, with no file descriptor left open.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from rawservers import HandlerServer, Scripted, gzip_stream, open_fds, pool_stats

from darkai_sdk import (
    APITimeoutError,
    DarkAI,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    Timeout,
)
from darkai_sdk._transports import _requests as transport_module
from darkai_sdk._transports._requests import sleep
from darkai_sdk.testing import DarkAIServer, Reply, render_body

from ._support import FAST, SYNC, TEXT, MiB, settle

pytestmark = pytest.mark.timeout(60)

#: read 1 s, total 3 s: each dripped byte comes well within the read timeout.
DRIP = Timeout(connect=5, read=1, total=3)
#: A timeout no test may wait for: a client that did would take at least 30 s.
PATIENT = Timeout(connect=5, read=30, total=60)
#: Bound on what must not wait for PATIENT: far under its 30 s, far over a loaded machine's lag.
PROMPT = 10.0


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.fixture
def no_fd_leak(server: DarkAIServer) -> Iterator[None]:
    """Fail the test if it leaves file descriptors open (once its clients are closed)."""
    before = open_fds()
    yield
    assert settle(lambda: open_fds() <= before), (open_fds(), before)


def _peers(server: DarkAIServer) -> list[tuple[str, int] | None]:
    return [request.peer for request in server.requests]


# -- total timeout against dripped framing (item 3) -----------------------------------------


def test_total_timeout_holds_while_chunk_size_lines_drip(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    # Every chunk-size line, a 40-byte extension included, comes a byte per 0.2 s.
    server.reply(Reply(text=TEXT, chunk_extension="x" * 40, drip_chunk_lines=0.2))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=DRIP) as c:
        with pytest.raises(APITimeoutError, match="total timeout of 3 s") as info:
            c.complete("hi")
    assert 2.9 <= time.monotonic() - started < 8  # without the total: minutes of drip
    assert info.value.partial_text == ""


def test_total_timeout_holds_while_trailers_drip_after_a_cut_reply(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    # Two chunks, then the body's end without stream-end: the client reads on
    # through a trailer section that comes a byte per 0.2 s.
    reply = Reply(text=TEXT, truncate_after=2, trailers={"X-Pad": "y" * 60}, drip_trailers=0.2)
    server.reply(reply)
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=DRIP) as c:
        with pytest.raises(APITimeoutError, match="total timeout of 3 s") as info:
            c.complete("hi")
    assert 2.9 <= time.monotonic() - started < 8  # without the total: 12 s of trailers
    assert info.value.partial_text == TEXT[:8]


# -- a whole reply, then a slow tail (item 4) -------------------------------------------------


def test_a_whole_reply_returns_at_once_while_trailers_drip_and_is_not_pooled(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    # A byte every 0.05 s: each read returns well within any per-read timeout.
    server.reply(Reply(text=TEXT, trailers={"X-Pad": "y" * 600}, drip_trailers=0.05))
    with DarkAI(server.url, max_retries=0, timeout=PATIENT) as c:
        started = time.monotonic()
        assert c.complete("hi") == TEXT
        assert time.monotonic() - started < PROMPT  # not the 30 s the trailers take
        assert pool_stats(c) == (0, 0)  # its body did not end: closed, not pooled
        server.reply(Reply(text="second"))
        assert c.complete("hi") == "second"
    first, second = _peers(server)
    assert first != second


def test_a_reply_with_trailers_that_end_keeps_its_connection(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    server.reply(Reply(text=TEXT, trailers={"X-Checksum": "abc"}, chunk_extension="a=1"))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        assert c.complete("one") == TEXT
        assert c.complete("two") == TEXT
    first, second = _peers(server)
    assert first == second


# -- broken chunked framing (item 5) ------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [b"zz\r\n", b"-5\r\n", b"5;" + b"x" * MiB],
    ids=["not-hex", "negative", "endless-1-mib-extension"],
)
def test_a_broken_chunk_size_line_is_a_protocol_error_with_the_partial_text(
    server: DarkAIServer, no_fd_leak: None, line: bytes
) -> None:
    # After two chunks the server writes the bad line, then nothing (it stays open).
    server.reply(Reply(text=TEXT, chunk_size=4, delay=0.05, bad_chunk_after=2, bad_chunk_line=line))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2, timeout=PATIENT) as c:
        with pytest.raises(ProtocolError, match="malformed HTTP body") as info:
            c.complete("hi")
    assert time.monotonic() - started < PROMPT  # not the 30 s read timeout
    assert info.value.partial_text == TEXT[:8]
    assert len(server.requests) == 1  # a protocol error is not retried


def test_a_megabyte_chunk_extension_is_a_protocol_error(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    server.reply(Reply(text=TEXT, chunk_extension="x" * MiB))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=PATIENT) as c:
        with pytest.raises(ProtocolError, match="65536 bytes"):
            c.complete("hi")
    assert time.monotonic() - started < PROMPT  # not the 30 s read timeout


@pytest.mark.parametrize("extension", ["a", 'name="a value";q=1', "x" * 1000])
def test_ordinary_chunk_extensions_are_legal(
    server: DarkAIServer, no_fd_leak: None, extension: str
) -> None:
    server.reply(Reply(text=TEXT, chunk_extension=extension))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        assert c.complete("hi") == TEXT


# -- tiny HTTP chunks (item 6) ---------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("size", [1, 3, 7])
def test_tiny_http_chunks_give_the_whole_text(
    server: DarkAIServer, no_fd_leak: None, size: int, gzipped: bool
) -> None:
    text = TEXT * 40
    server.reply(Reply(text=text, chunk_size=3, http_chunk_size=size, gzip=gzipped))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        assert c.complete("one") == text
        assert c.complete("two") == text
    first, second = _peers(server)
    assert first == second  # a body of tiny chunks read to its end is pooled


# -- fork (item 7) ------------------------------------------------------------------------------


def _complete_in_child(client: DarkAI) -> str:
    """The child's request, on a loop of its own (the parent's loop is not its to run)."""
    # A coroutine function here, a plain one in the sync twin: typed for neither alone.
    complete: Any = client.complete
    if SYNC:
        text: str = complete("child")
        return text
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(asyncio.run(complete("child"))))
    worker.start()
    worker.join(20)
    return result[0] if result else ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_never_uses_the_parents_pooled_connection() -> None:
    # The server runs in a thread of its own: the parent's loop waits for the child.
    fds_before = open_fds()
    with DarkAIServer(reply=Reply(text=TEXT)) as server:
        with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
            assert c.complete("parent") == TEXT  # leaves a pooled connection
            pid = os.fork()
            if pid == 0:  # the child: report by exit code, never return into pytest
                code = 3
                try:
                    code = 0 if _complete_in_child(c) == TEXT else 2
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            # The parent's pooled connection still works (the child left it alone).
            assert c.complete("parent again") == TEXT
        prompts = [request.prompt for request in server.requests]
        assert prompts == ["parent", "child", "parent again"]
        parent, child, parent_again = _peers(server)
    assert child != parent  # the child made its own connection
    assert parent_again == parent  # and the parent kept its own
    assert settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)


# -- bytes after a reply (item 8) ------------------------------------------------------------


INJECTED = render_body("INJECTED")
FAKE_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(INJECTED), INJECTED)
)


@pytest.mark.parametrize(
    "extra",
    [FAKE_RESPONSE, FAKE_RESPONSE[:30], b"\r\n"],
    ids=["whole-response", "part-of-one", "stray-crlf"],
)
@pytest.mark.parametrize("delay", [0.0, 0.3], ids=["same-segment", "while-pooled"])
def test_bytes_after_a_reply_never_reach_the_next_request(
    server: DarkAIServer, no_fd_leak: None, extra: bytes, delay: float
) -> None:
    server.reply(Reply(text="second"))
    server.enqueue(Reply(text=TEXT, after_reply=extra, after_reply_delay=delay))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        assert c.complete("one") == TEXT
        sleep(delay + 0.3)  # the bytes are in before the next request
        assert c.complete("two") == "second"
    first, second = _peers(server)
    if SYNC or delay or extra == FAKE_RESPONSE:
        assert first != second  # the connection that held them was not reused
    # Else a fragment came in the reply's last segment: aiohttp parsed it into that
    # reply's parser, which the next request replaces; it cannot reach that request.


# -- interim responses (item 9) -----------------------------------------------------------


@pytest.mark.parametrize("interim", [(102,), (103,), (100, 102, 103, 103)])
def test_interim_responses_before_the_reply_are_skipped(
    server: DarkAIServer, no_fd_leak: None, interim: tuple[int, ...]
) -> None:
    server.reply(Reply(text=TEXT, interim=interim))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        assert c.complete("one") == TEXT
        assert c.complete("two") == TEXT
    first, second = _peers(server)
    assert first == second


def test_an_error_status_after_interim_responses_is_reported(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    server.reply(Reply(status=503, interim=(103,)))
    with DarkAI(server.url, max_retries=0, timeout=FAST) as c:
        with pytest.raises(InternalServerError) as info:
            c.complete("hi")
    assert info.value.status_code == 503


# -- a gzip bomb (item 2, the transport's half) ---------------------------------------------------


@cache
def _gzip_bomb() -> bytes:
    """128 MiB of comment lines (the decoder drops them), then a whole reply, gzipped."""
    block = (b": " + b"x" * 8189 + b"\n") * 1024  # 8 MiB
    packer = zlib.compressobj(9, wbits=31)  # a gzip wrapper
    pieces = [packer.compress(block) for _ in range(16)]
    pieces.append(packer.compress(render_body(TEXT)) + packer.flush())
    return b"".join(pieces)


def test_a_gzip_bomb_is_read_in_bounded_memory() -> None:
    compressed = _gzip_bomb()
    assert len(compressed) < MiB  # over a hundred times smaller than what it inflates to
    fds_before = open_fds()
    with HandlerServer(gzip_stream(compressed)) as bomb:
        with DarkAI(bomb.url(), max_retries=0, timeout=FAST) as c:
            assert c.complete("warm up") == TEXT
            tracemalloc.start()
            try:
                assert c.complete("hi") == TEXT
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert peak < 24 * MiB, f"peak {peak / MiB:.1f} MiB while inflating 128 MiB"
    assert settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)


# -- after stream-end, and bodies broken in other ways (issue 16) -------------------------------

CHUNKED_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _first_events(body: bytes, count: int) -> bytes:
    """The first ``count`` events of an event-stream ``body``."""
    end = 0
    for _ in range(count):
        end = body.index(b"\n\n", end) + 2
    return body[:end]


#: The first two text-chunk events of TEXT in chunks of 8 characters: TEXT[:16].
TWO_EVENTS = _first_events(render_body(Reply(text=TEXT, chunk_size=8)), 2)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="darkai_sdk")
    return caplog


def _warnings(log: pytest.LogCaptureFixture) -> list[str]:
    """The WARNING lines logger "darkai_sdk" wrote."""
    return [r.getMessage() for r in log.records if r.levelno == logging.WARNING]


def test_bytes_sent_after_stream_end_are_logged_and_the_connection_reused(
    monkeypatch: pytest.MonkeyPatch, log: pytest.LogCaptureFixture, no_fd_leak: None
) -> None:
    # The server's events after stream-end come in a read of their own: the drain
    # after stream-end reads them (a long DRAIN_WAIT keeps the pause from mattering).
    monkeypatch.setattr(transport_module, "DRAIN_WAIT", 30.0)
    extra = b"data: " + b'{"event": "text-chunk", "data": {"text": "late"}}\n\n' * 3
    pieces = (CHUNKED_HEAD + _chunk(render_body(TEXT)), _chunk(extra) + b"0\r\n\r\n")
    with Scripted(*pieces, pause=0.2) as scripted:
        with DarkAI(scripted.url(), max_retries=0, timeout=PATIENT) as c:
            assert c.complete("one") == TEXT
            assert c.complete("two") == TEXT
        assert (scripted.requests, scripted.connections) == (2, 1)  # the body ended: pooled
    assert _warnings(log) == [f"ignored {len(extra)} bytes sent after stream-end"] * 2


def test_events_after_stream_end_in_the_same_read_are_logged(
    log: pytest.LogCaptureFixture, no_fd_leak: None
) -> None:
    body = render_body(TEXT) + render_body("more")  # a whole second reply, stream-end and all
    with Scripted(CHUNKED_HEAD + _chunk(body) + b"0\r\n\r\n") as scripted:
        with DarkAI(scripted.url(), max_retries=0, timeout=PATIENT) as c:
            assert c.complete("one") == TEXT
    # The second reply's text-chunk, final-response and stream-end.
    assert _warnings(log) == ["ignored 3 events sent after stream-end"]


def test_a_body_held_open_after_stream_end_returns_the_reply_unpooled(
    no_fd_leak: None,
) -> None:
    # stream-end came, but the HTTP body does not end: the connection stays open, silent.
    with Scripted(CHUNKED_HEAD + _chunk(render_body(TEXT))) as scripted:
        with DarkAI(scripted.url(), max_retries=0, timeout=PATIENT) as c:
            started = time.monotonic()
            assert c.complete("one") == TEXT
            assert time.monotonic() - started < PROMPT  # not PATIENT's 30 s read timeout
            assert pool_stats(c) == (0, 0)  # closed, not pooled
            assert c.complete("two") == TEXT
        assert (scripted.requests, scripted.connections) == (2, 2)


@pytest.mark.parametrize(
    ("after", "then"),
    [(b"zz\r\n", "hold"), (_chunk(b": x\n" * 20_000), "hold"), (b"", "close"), (b"", "reset")],
    ids=["bad-chunk-line", "over-the-drain-limit", "closed-mid-body", "reset-mid-body"],
)
def test_a_drain_after_stream_end_that_fails_returns_the_reply_unpooled(
    monkeypatch: pytest.MonkeyPatch, after: bytes, then: str, no_fd_leak: None
) -> None:
    # After stream-end the body's framing breaks, 80 KB more come, or the connection
    # closes or resets before the last chunk: in a later read than stream-end's (a
    # long DRAIN_WAIT keeps the pause from mattering).
    monkeypatch.setattr(transport_module, "DRAIN_WAIT", 30.0)
    pieces = (CHUNKED_HEAD + _chunk(render_body(TEXT)), after)
    with Scripted(*pieces, then=then, pause=0.2) as scripted:
        with DarkAI(scripted.url(), max_retries=0, timeout=PATIENT) as c:
            started = time.monotonic()
            assert c.complete("one") == TEXT
            assert time.monotonic() - started < PROMPT
            assert pool_stats(c) == (0, 0)  # closed, not pooled
            assert c.complete("two") == TEXT
        assert (scripted.requests, scripted.connections) == (2, 2)


def test_a_corrupt_gzip_body_is_a_protocol_error_with_the_text_before_it(
    no_fd_leak: None,
) -> None:
    packer = zlib.compressobj(wbits=31)
    good = packer.compress(TWO_EVENTS) + packer.flush(zlib.Z_SYNC_FLUSH)
    bad = b"\xff" * 64  # a deflate block of the reserved type: undecodable
    head = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n")
    # The good part in a read of its own: its two events reach the caller first.
    pieces = (head + _chunk(good), _chunk(bad) + b"0\r\n\r\n")
    with Scripted(*pieces, pause=0.2) as scripted:
        with DarkAI(scripted.url(), max_retries=2, timeout=PATIENT) as c:
            with pytest.raises(ProtocolError, match="undecodable") as info:
                c.complete("hi")
        assert scripted.requests == 1  # not retried
    assert info.value.partial_text == TEXT[:16]


def test_an_error_body_cut_off_mid_read_is_reported_with_what_arrived(
    no_fd_leak: None,
) -> None:
    head = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
    answer = head + b"Content-Length: 1000\r\n\r\n" + b"overloaded " * 10
    with Scripted(answer, then="close") as scripted:
        with DarkAI(scripted.url(), max_retries=0, timeout=PATIENT) as c:
            started = time.monotonic()
            with pytest.raises(InternalServerError) as info:
                c.complete("hi")
            assert time.monotonic() - started < PROMPT
    assert info.value.status_code == 500
    assert info.value.body == "overloaded " * 10 + "\n[error body unreadable]"
    assert str(info.value).startswith("HTTP 500 from http://127.0.0.1:")
    assert info.value.partial_text == ""


def test_a_total_timeout_that_ran_out_while_the_caller_held_the_stream(
    server: DarkAIServer, no_fd_leak: None
) -> None:
    # The deadline passes between two reads (the caller is busy): the next read fails
    # at once with the total timeout, not a read timeout, keeping the text yielded.
    server.reply(Reply(text=TEXT, chunk_size=5, delay=0.1))
    timeout = Timeout(connect=5, read=30, total=1)
    with DarkAI(server.url, max_retries=2, timeout=timeout) as c:
        received: list[str] = []
        with pytest.raises(APITimeoutError, match="total timeout of 1 s expired") as info:
            with c.stream("hi") as stream:
                for chunk in stream:
                    received.append(chunk)
                    if len(received) == 1:
                        sleep(1.5)
    assert received == [TEXT[:5]]
    assert info.value.partial_text == TEXT[:5]
    assert len(server.requests) == 1


@pytest.mark.parametrize("then", ["reset", "close"])
def test_a_connection_reset_or_closed_mid_body_keeps_the_text_before_it(
    then: str, no_fd_leak: None
) -> None:
    pieces = (CHUNKED_HEAD + _chunk(TWO_EVENTS), b"")
    with Scripted(*pieces, then=then, pause=0.2) as scripted:
        with DarkAI(scripted.url(), max_retries=2, timeout=PATIENT) as c:
            with pytest.raises(IncompleteStreamError) as info:
                c.complete("hi")
        assert scripted.requests == 1  # text had arrived: not retried
    assert str(info.value).startswith("connection broken mid-reply: ")
    if then == "reset":
        assert "ConnectionResetError" in str(info.value)
    assert info.value.partial_text == TEXT[:16]


def test_a_broken_chunk_size_in_the_headers_read_is_a_protocol_error_not_retried() -> None:
    # The bad chunk line comes in the same write as the headers: aiohttp loses the
    # response then and there, which must not pass for a connection failure.
    body = _chunk(_first_events(render_body(Reply(text="hello", chunk_size=8)), 1)) + b"ZZ\r\n"
    with Scripted(CHUNKED_HEAD + body, then="close") as scripted:
        with DarkAI(scripted.url(), max_retries=2, timeout=FAST) as client:
            with pytest.raises(ProtocolError, match="malformed HTTP body") as info:
                client.complete("hi")
    assert scripted.requests == 1  # a protocol error is not retried
    # The blocking client reads the body itself and keeps the text before the bad
    # line; aiohttp drops the whole response when both come in one read.
    assert info.value.partial_text == ("hello" if SYNC else "")
