# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_live.py;
# edit that file and run `python tools/unasync.py`.
"""The client against the local server over real sockets: every fault mode's outcome."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from darkai_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DarkAI,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    RateLimitError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
    Timeout,
    UnknownModelError,
)
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)

TEXT = "The quick brown fox, naïve café, 中文 and 🎉 emoji jump over the lazy dog."


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.fixture
def client(server: DarkAIServer) -> Iterator[DarkAI]:
    with DarkAI(server.url, max_retries=0, timeout=Timeout(read=5, total=20)) as c:
        yield c


def collect(client: DarkAI, prompt: str = "hi", **kwargs: object) -> list[str]:
    chunks = []
    for chunk in client.stream(prompt, **kwargs):  # type: ignore[arg-type]
        chunks.append(chunk)
    return chunks


def test_complete_returns_the_default_echo_reply(
    client: DarkAI, server: DarkAIServer
) -> None:
    text = client.complete("ping", model="gpt-4o")
    assert "ping" in text
    assert "gpt-4o" in text
    assert server.requests[0].json == {"query": "ping", "model": "gpt-4o"}


def test_stream_yields_every_chunk_in_order(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3))
    chunks = collect(client)
    assert "".join(chunks) == TEXT
    assert len(chunks) == -(-len(TEXT) // 3)


def test_stream_keeps_text_and_final_message(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT))
    with client.stream("hi") as stream:
        for _ in stream:
            pass
        assert stream.text == TEXT
        assert stream.final_message == TEXT
        assert stream.done


def test_messages_are_formatted_into_one_prompt(
    client: DarkAI, server: DarkAIServer
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]
    client.complete(messages)
    assert server.requests[0].json["query"] == "System: Be brief.\nUser: Hello\nAssistant:"


def test_model_alias_and_default_reach_the_server(
    client: DarkAI, server: DarkAIServer
) -> None:
    client.complete("a", model="llama-3.1-405b")
    client.complete("b")
    assert [r.json["model"] for r in server.requests] == ["llama-3-405b", "llama-3-70b"]


def test_extra_body_and_headers_are_sent(server: DarkAIServer) -> None:
    with DarkAI(server.url, headers={"User-Agent": "mine/1.0", "X-Trace": "t1"}) as c:
        c.complete("hi", extra_body={"history": []})
    request = server.requests[0]
    assert request.json["history"] == []
    assert request.headers["user-agent"] == "mine/1.0"
    assert request.headers["x-trace"] == "t1"
    assert request.headers["accept"] == "text/event-stream"


def test_unknown_model_raises_before_any_request(
    client: DarkAI, server: DarkAIServer
) -> None:
    with pytest.raises(UnknownModelError):
        client.stream("hi", model="gpt-99")
    assert server.requests == []


def test_unknown_model_is_sent_when_not_strict_and_server_refuses(
    server: DarkAIServer,
) -> None:
    with DarkAI(server.url, strict_models=False, max_retries=0) as c:
        with pytest.raises(BadRequestError) as info:
            c.complete("hi", model="gpt-99")
    assert info.value.status_code == 400
    assert "gpt-99" in info.value.body


def test_bad_arguments_raise_at_the_call(client: DarkAI) -> None:
    with pytest.raises(ValueError):
        client.stream("   ")
    with pytest.raises(ValueError):
        client.stream([])
    with pytest.raises(TypeError):
        client.stream(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DarkAI("ftp://example.com/chat")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text=TEXT, line_ending="\r\n"),
        Reply(text=TEXT, line_ending="\r"),
        Reply(text=TEXT, data_space=False),
        Reply(text=TEXT, comments=True),
        Reply(text=TEXT, multiline=True),
        Reply(text=TEXT, unknown_events=True),
        Reply(text=TEXT, gzip=True),
        Reply(text=TEXT, write_size=7, line_ending="\r\n"),
        Reply(text=TEXT, final_response=False),
    ],
    ids=["crlf", "cr", "no-space", "comments", "multiline", "unknown", "gzip", "split", "nofinal"],
)
def test_every_valid_wire_variant_gives_the_full_text(
    client: DarkAI, server: DarkAIServer, reply: Reply
) -> None:
    server.reply(reply)
    assert client.complete("hi") == TEXT


def test_body_without_stream_end_raises_incomplete_with_partial_text(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, truncate_after=3))
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as info:
        for chunk in client.stream("hi"):
            received.append(chunk)
    assert info.value.partial_text == TEXT[:15] == "".join(received)


def test_socket_cut_mid_chunk_raises_incomplete_with_partial_text(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    with pytest.raises(IncompleteStreamError) as info:
        client.complete("hi")
    assert info.value.partial_text == TEXT[:10]


def test_malformed_data_line_raises_protocol_error_with_the_line(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, malformed_after=2))
    with pytest.raises(ProtocolError) as info:
        client.complete("hi")
    assert info.value.partial_text == TEXT[:10]
    assert info.value.line is not None and "text-chunk" in info.value.line


def test_server_error_event_raises_with_its_message(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, error_after=1, error_message="model exploded"))
    with pytest.raises(ServerEventError, match="model exploded") as info:
        client.complete("hi")
    assert info.value.partial_text == TEXT[:5]


def test_final_response_mismatch_warns_and_keeps_both(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, final_response="something else"))
    with pytest.warns(StreamIntegrityWarning):
        with client.stream("hi") as stream:
            text = stream.until_done()
    assert text == TEXT
    assert stream.final_message == "something else"


def test_final_response_mismatch_raises_when_asked(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, final_response="something else"))
    with DarkAI(server.url, on_mismatch="raise") as c:
        with pytest.raises(StreamIntegrityError) as info:
            c.complete("hi")
    assert info.value.final_message == "something else"
    assert info.value.partial_text == TEXT


def test_stall_ends_in_read_timeout_with_partial_text(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, stall_after=1))
    started = time.monotonic()
    with DarkAI(server.url, timeout=Timeout(read=0.5, total=10)) as c:
        with pytest.raises(APITimeoutError) as info:
            c.complete("hi")
    assert info.value.partial_text == TEXT[:5]
    assert time.monotonic() - started < 5


def test_total_timeout_ends_a_trickling_stream(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=1, delay=0.05))
    started = time.monotonic()
    with DarkAI(server.url, timeout=Timeout(read=5, total=0.6)) as c:
        with pytest.raises(APITimeoutError) as info:
            c.complete("hi")
    assert 0 < len(info.value.partial_text) < len(TEXT)
    assert time.monotonic() - started < 5


def test_connection_refused_is_a_connection_error() -> None:
    with DarkAIServer() as server:
        url = server.url
    with DarkAI(url, max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            c.complete("hi")


def test_server_errors_are_retried_until_success(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(2, status=503, retry_after=0)
    with DarkAI(server.url, max_retries=2) as c:
        with c.stream("hi") as stream:
            assert stream.until_done() == TEXT
            assert stream.retries == 2
    assert len(server.requests) == 3


def test_retries_give_up_after_max_retries(server: DarkAIServer) -> None:
    server.fail_next(3, status=500, retry_after=0)
    with DarkAI(server.url, max_retries=1) as c:
        with pytest.raises(InternalServerError):
            c.complete("hi")
    assert len(server.requests) == 2


def test_long_retry_after_raises_at_once_with_the_wait(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, retry_after=120)
    started = time.monotonic()
    with DarkAI(server.url, max_retries=2) as c:
        with pytest.raises(RateLimitError) as info:
            c.complete("hi")
    assert info.value.retry_after == 120
    assert "120" in str(info.value)
    assert time.monotonic() - started < 5
    assert len(server.requests) == 1


def test_bad_request_is_not_retried(server: DarkAIServer) -> None:
    server.fail_next(1, status=400)
    with DarkAI(server.url, max_retries=2) as c:
        with pytest.raises(BadRequestError):
            c.complete("hi")
    assert len(server.requests) == 1


def test_no_retry_once_text_has_arrived(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    with DarkAI(server.url, max_retries=2) as c:
        with pytest.raises(IncompleteStreamError) as info:
            c.complete("hi")
    assert info.value.partial_text == TEXT[:10]
    assert len(server.requests) == 1


def test_cut_before_any_text_is_retried(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.enqueue(Reply(text=TEXT, cut_after=0))
    with DarkAI(server.url, max_retries=1) as c:
        assert c.complete("hi") == TEXT
    assert len(server.requests) == 2


def test_same_origin_redirect_is_followed_with_the_body(server: DarkAIServer) -> None:
    server.enqueue(Reply(redirect=server.url + "?moved=1", redirect_status=308))
    with DarkAI(server.url) as c:
        text = c.complete("where")
    assert "where" in text
    assert [r.json["query"] for r in server.requests] == ["where", "where"]


def test_cross_host_redirect_is_not_followed(server: DarkAIServer) -> None:
    server.enqueue(Reply(redirect="http://user:secret@localhost:1/chat", redirect_status=307))
    with DarkAI(server.url, max_retries=0) as c:
        with pytest.raises(APIStatusError) as info:
            c.complete("hi")
    assert type(info.value) is APIStatusError  # not a subclass: no status class fits a 307
    assert info.value.status_code == 307
    assert str(info.value).startswith(
        "redirect 307 to http://****@localhost:1/chat not followed: the request would "
        "lose its body or go to another host"
    )
    assert "secret" not in str(info.value)
    assert info.value.partial_text == ""
    assert len(server.requests) == 1


def test_redirect_loop_ends_with_a_clear_error(server: DarkAIServer) -> None:
    server.reply(Reply(redirect=server.url, redirect_status=307))
    with DarkAI(server.url, max_retries=0) as c:
        with pytest.raises(APIStatusError, match="too many redirects"):
            c.complete("hi")


def test_early_break_releases_the_connection(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT * 50, chunk_size=2, delay=0.01))
    with client.stream("hi") as stream:
        for _ in stream:
            break
    assert stream.text == TEXT[:2]
    deadline = time.monotonic() + 3
    while server.active_streams and time.monotonic() < deadline:
        _pause()
    assert server.active_streams == 0


def test_exception_in_the_callers_loop_releases_the_connection(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT * 50, chunk_size=2, delay=0.01))
    with pytest.raises(KeyError):
        with client.stream("hi") as stream:
            for _ in stream:
                raise KeyError("caller bug")
    deadline = time.monotonic() + 3
    while server.active_streams and time.monotonic() < deadline:
        _pause()
    assert server.active_streams == 0


def test_client_properties_are_the_settings_in_force(server: DarkAIServer) -> None:
    timeout = Timeout(connect=3, read=4, total=5)
    with DarkAI(
        server.url, timeout=timeout, max_retries=4, on_mismatch="raise", max_line_size=1000
    ) as c:
        assert c.base_url == server.url
        assert c.timeout == timeout
        assert c.max_retries == 4
        assert c.retry_policy.max_retries == 4
        assert c.on_mismatch == "raise"
        assert c.max_line_size == 1000
    with DarkAI(server.url) as default:
        assert default.timeout == Timeout()
        assert (default.max_retries, default.on_mismatch) == (2, "warn")
        assert default.max_line_size == 16 * 1024 * 1024
        assert default.verify is True
        name = type(default).__name__
        assert repr(default) == f"<{name} base_url={server.url!r}, max_retries=2>"


def test_client_is_reusable_after_close(server: DarkAIServer) -> None:
    c = DarkAI(server.url)
    assert "one" in c.complete("one")
    c.close()
    assert "two" in c.complete("two")
    c.close()


def _pause() -> None:
    # A tiny wait that the generator turns into time.sleep for the sync twin.
    from darkai_sdk._transports._requests import sleep

    sleep(0.02)


def test_keep_text_false_streams_everything_but_keeps_no_copy(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3))
    received = []
    with client.stream("hi", keep_text=False) as stream:
        for chunk in stream:
            received.append(chunk)
    assert "".join(received) == TEXT
    assert stream.text == ""
    assert stream.done and stream.final_message == TEXT


def test_keep_text_false_still_detects_a_final_response_mismatch(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, final_response=TEXT[:-1] + "!"))
    with pytest.warns(StreamIntegrityWarning):
        with client.stream("hi", keep_text=False) as stream:
            stream.until_done()


@pytest.mark.parametrize("final", [TEXT + "!", TEXT[:-3]], ids=["longer", "shorter"])
def test_keep_text_false_reports_a_final_response_of_another_length(
    server: DarkAIServer, final: str
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=7, final_response=final))
    message = (
        f"final-response ({len(final)} characters) differs from the "
        f"{len(TEXT)} characters of text-chunk events received"
    )
    with DarkAI(server.url, max_retries=0, on_mismatch="raise") as c:
        received: list[str] = []
        with pytest.raises(StreamIntegrityError) as info:
            with c.stream("hi", keep_text=False) as stream:
                for chunk in stream:
                    received.append(chunk)
        assert "".join(received) == TEXT  # every chunk reached the caller first
        assert str(info.value) == message
        assert info.value.final_message == final
        assert info.value.partial_text == ""  # no copy kept: the caller has the text
        assert stream.text == "" and not stream.done
        with DarkAI(server.url, max_retries=0) as warns:
            with pytest.warns(StreamIntegrityWarning) as warned:
                with warns.stream("hi", keep_text=False) as stream:
                    stream.until_done()
        assert [str(w.message) for w in warned] == [message]
        assert stream.done and stream.final_message == final


def test_sequential_requests_reuse_one_connection(
    client: DarkAI, server: DarkAIServer
) -> None:
    for prompt in ("one", "two", "three"):
        assert prompt in client.complete(prompt)
    peers = {request.peer for request in server.requests}
    assert len(server.requests) == 3
    assert len(peers) == 1 and None not in peers


def test_a_new_client_uses_a_new_connection(server: DarkAIServer) -> None:
    for prompt in ("one", "two"):
        with DarkAI(server.url) as c:
            c.complete(prompt)
    assert len({request.peer for request in server.requests}) == 2


def test_chunks_reach_the_caller_as_they_arrive(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text="abcdef", chunk_size=1, delay=0.15))
    started = time.monotonic()
    arrivals = []
    for _ in client.stream("hi"):
        arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 6
    # The first chunk comes long before the last: nothing waits for the whole body.
    assert arrivals[-1] - arrivals[0] >= 0.6
    assert arrivals[0] < arrivals[-1] / 2


def test_malformed_event_before_a_stall_is_reported_at_once(server: DarkAIServer) -> None:
    server.reply(Reply(text="abcdef", chunk_size=2, malformed_after=2, stall_after=2))
    started = time.monotonic()
    with DarkAI(server.url, max_retries=0, timeout=Timeout(read=5)) as c:
        with pytest.raises(ProtocolError) as info:
            c.complete("hi")
    assert info.value.partial_text == "abcd"
    assert time.monotonic() - started < 2


def test_until_done_after_an_error_raises_it_again(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    with client.stream("hi") as stream:
        with pytest.raises(IncompleteStreamError):
            for _ in stream:
                pass
        with pytest.raises(IncompleteStreamError) as info:
            stream.until_done()
    assert info.value.partial_text == TEXT[:10]


def test_until_done_after_an_early_break_reports_the_reply_incomplete(
    client: DarkAI, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5))
    with client.stream("hi") as stream:
        for _ in stream:
            break
        stream.close()
        with pytest.raises(IncompleteStreamError, match="closed before stream-end") as info:
            stream.until_done()
    assert info.value.partial_text == TEXT[:5]
