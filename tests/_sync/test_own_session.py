# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_own_session.py;
# edit that file and run `python tools/unasync.py`.
"""A caller's own HTTP session (``session=``): used as it is, never closed; what it keeps
of the hostile-server guarantees and what it loses (README: "Your own session")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from darkai_sdk import (
    APIStatusError,
    APITimeoutError,
    DarkAI,
    AuthenticationError,
    IncompleteStreamError,
    ProtocolError,
    Timeout,
)
from darkai_sdk._transports._requests import sleep
from darkai_sdk.testing import DarkAIServer, Reply, render_body

from ._support import FAST, SYNC, TEXT, closed_by_client, own_session, peers

pytestmark = pytest.mark.timeout(60)

TOKEN = "sk-own-session-0123456789"


@pytest.fixture
def session() -> Iterator[Any]:
    """A caller's own session for this twin's client, closed by the test, not the client."""
    made = own_session()
    yield made
    assert not closed_by_client(made)
    made.close()


# -- used as it is, never closed ----------------------------------------------------------


def test_the_callers_session_is_used_pooled_and_never_closed(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    session = own_session(**{"X-From-Session": "yes"})
    try:
        with DarkAI(server.url, session=session, timeout=FAST) as c:
            assert c.complete("one") == TEXT
            assert c.with_options(max_retries=0).complete("two") == TEXT
        assert not closed_by_client(session)
        with DarkAI(server.url, session=session, timeout=FAST) as again:
            assert again.complete("three") == TEXT
        assert not closed_by_client(session)
    finally:
        session.close()
    assert [request.headers.get("X-From-Session") for request in server.requests] == ["yes"] * 3
    first, second, third = peers(server)
    assert first == second == third  # its pool, reused across replies and clients


def test_the_clients_headers_and_timeouts_still_apply(
    server: DarkAIServer, session: Any
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, delay=0.6))
    with DarkAI(
        server.url, session=session, headers={"X-Client": "c"}, max_retries=0
    ) as c:
        with pytest.raises(APITimeoutError) as info:
            c.complete("hi", timeout=Timeout(connect=5, read=0.2, total=10))
    assert info.value.partial_text == TEXT[:4]
    assert server.requests[0].headers["X-Client"] == "c"


# -- guarantees that hold ------------------------------------------------------------------


def test_the_total_timeout_bounds_a_slow_reply(server: DarkAIServer, session: Any) -> None:
    server.reply(Reply(text=TEXT, chunk_size=2, delay=0.2))
    started = time.monotonic()
    with DarkAI(
        server.url, session=session, max_retries=0, timeout=Timeout(read=1, total=1.5)
    ) as c:
        with pytest.raises(APITimeoutError, match=r"total timeout of 1\.5 s") as info:
            c.complete("hi")
    assert time.monotonic() - started < 3
    assert info.value.partial_text and TEXT.startswith(info.value.partial_text)


def test_a_reply_cut_short_keeps_its_partial_text(server: DarkAIServer, session: Any) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, cut_after=2))
    with DarkAI(server.url, session=session, max_retries=2, timeout=FAST) as c:
        with pytest.raises(IncompleteStreamError) as info:
            c.complete("hi")
    assert info.value.partial_text == TEXT[:8]
    assert len(server.requests) == 1  # text had arrived: not retried


def test_line_caps_and_credential_masking_hold(server: DarkAIServer, session: Any) -> None:
    with DarkAI(
        server.url,
        session=session,
        max_retries=0,
        timeout=FAST,
        max_line_size=100,
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as c:
        server.enqueue(Reply(text="x" * 500, chunk_size=500))
        with pytest.raises(ProtocolError, match="100"):
            c.complete("hi")
        server.enqueue(Reply(status=401, echo_header="Authorization"))
        with pytest.raises(AuthenticationError) as info:
            c.complete("hi")
    assert TOKEN not in str(info.value) and TOKEN not in info.value.body


# -- what differs from the SDK's own session ------------------------------------------------------


def test_a_malformed_chunked_body_is_reported_late_or_as_a_broken_connection(
    server: DarkAIServer, session: Any
) -> None:
    # The SDK's own connections report it at once as a ProtocolError (test_hostile_transport).
    server.reply(Reply(text=TEXT, chunk_size=4, delay=0.05, bad_chunk_after=2))
    started = time.monotonic()
    with DarkAI(
        server.url, session=session, max_retries=0, timeout=Timeout(read=5, total=2)
    ) as c:
        expected = IncompleteStreamError if SYNC else APITimeoutError
        with pytest.raises(expected) as info:
            c.complete("hi")
    elapsed = time.monotonic() - started
    assert info.value.partial_text == TEXT[:8]
    if SYNC:
        assert elapsed < 1.5  # urllib3 rejects the chunk-size line at once
    else:
        assert 1.9 <= elapsed < 4  # aiohttp leaves the body waiting: the total timeout ends it


INJECTED = render_body("INJECTED")
SECOND_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(INJECTED), INJECTED)
)


def test_bytes_after_a_reply_reach_the_next_request_only_over_aiohttps_own_connector(
    server: DarkAIServer, session: Any
) -> None:
    server.reply(Reply(text="second"))
    server.enqueue(Reply(text=TEXT, after_reply=SECOND_RESPONSE, after_reply_delay=0.2))
    with DarkAI(server.url, session=session, max_retries=0, timeout=FAST) as c:
        assert c.complete("one") == TEXT
        sleep(0.5)  # the extra response is in while the connection is pooled
        answer = c.complete("two")
    # urllib3 drops a pooled connection that has bytes to read; aiohttp's connector
    # parses them as the next request's answer (the SDK's GuardedConnector does not).
    assert answer == ("second" if SYNC else "INJECTED")


def test_interim_responses_are_skipped_by_aiohttp_not_by_requests(
    server: DarkAIServer, session: Any
) -> None:
    server.reply(Reply(text=TEXT, interim=(103,)))
    with DarkAI(server.url, session=session, max_retries=0, timeout=FAST) as c:
        if SYNC:
            with pytest.raises(APIStatusError) as info:
                c.complete("hi")
            assert info.value.status_code == 103
        else:
            assert c.complete("hi") == TEXT


def test_after_stream_end_requests_reads_a_slow_body_end_to_the_last_byte(
    server: DarkAIServer, session: Any
) -> None:
    # The reply is whole, then the last chunk's trailers come a byte per 0.05 s (~3 s).
    server.reply(Reply(text=TEXT, trailers={"X-Pad": "y" * 50}, drip_trailers=0.05))
    with DarkAI(server.url, session=session, max_retries=0, timeout=FAST) as c:
        started = time.monotonic()
        assert c.complete("hi") == TEXT
        elapsed = time.monotonic() - started
    if SYNC:
        assert elapsed > 2  # http.client reads the trailers in one call, past any deadline
    else:
        assert elapsed < 1.5  # drained for at most 0.1 s, as over the SDK's own session
