"""The test server on the wire: the bytes of each reply and fault mode, over a plain socket."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import pytest
from wire_support import (
    chat_body,
    chunk_texts,
    darkai_events,
    event_bytes,
    exchange,
    good_stream,
    read_response,
    send_request,
    sse_read,
    wait_until,
)

from darkai_sdk.testing import (
    MALFORMED_DATA,
    DarkAIServer,
    Reply,
    default_reply_text,
    encode_event,
    render_body,
)

pytestmark = pytest.mark.timeout(30)


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
