"""The test server's hostile fault modes, read as raw bytes over a plain socket.

A server that echoes the request's credentials (``Reply.echo_header``), one that
sends control characters in an error event, and one that slices text by UTF-16
code units as a JavaScript server does (``Reply.chunk_units="utf-16"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from wire_support import chunk_texts, darkai_events, exchange

from darkai_sdk.testing import DarkAIServer, Reply, render_body

pytestmark = pytest.mark.timeout(30)

TOKEN = "sk-echo-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


# -- text sliced by UTF-16 code units --------------------------------------------------


def test_utf16_units_split_an_emoji_into_two_escaped_halves() -> None:
    body = render_body(Reply(text="a\U0001f642b", chunk_size=2, chunk_units="utf-16"))
    # Each half is a JSON escape of its own event, as JSON.stringify writes a lone surrogate.
    assert b'{"text": "a\\ud83d"}' in body and b'{"text": "\\ude42b"}' in body
    # The final-response carries the whole emoji, raw UTF-8, as the service sends text.
    assert '"message": "a\U0001f642b"'.encode() in body
    events = darkai_events(body)  # json.loads pairs nothing: each chunk is one half
    assert chunk_texts(events) == ["a\ud83d", "\ude42b"]
    assert events[-2] == {"event": "final-response", "data": {"message": "a\U0001f642b"}}


def test_utf16_units_count_like_javascript_string_length() -> None:
    reply = Reply(text="\U0001f642\U0001f600xy", chunk_size=3, chunk_units="utf-16")
    assert reply.chunks("", "") == ("\U0001f642\ud83d", "\ude00xy")
    # Text without characters outside the BMP is chunked as by code points.
    plain = Reply(text="héllo wörld", chunk_size=4, chunk_units="utf-16")
    assert plain.chunks("", "") == Reply(text="héllo wörld", chunk_size=4).chunks("", "")


def test_utf16_split_reaches_the_wire_over_a_socket(server: DarkAIServer) -> None:
    server.reply(Reply(text="\U0001f642", chunk_size=1, chunk_units="utf-16", multiline=True))
    response = exchange(server.port)
    assert response.status == 200 and response.complete
    assert b'"text": "\\ud83d"' in response.body and b'"text": "\\ude42"' in response.body
    assert chunk_texts(darkai_events(response.body)) == ["\ud83d", "\ude42"]


def test_lone_surrogates_given_as_chunks_are_sent_escaped() -> None:
    body = render_body(Reply(text=["\ud83d"], final_response=False))
    assert body == b'data: {"event": "text-chunk", "data": {"text": "\\ud83d"}}\n\n' + (
        b'data: {"event": "stream-end"}\n\n'
    )


def test_chunk_units_must_be_known() -> None:
    with pytest.raises(ValueError, match="chunk_units"):
        Reply(chunk_units="bytes")  # type: ignore[arg-type]


# -- control characters in an error event -----------------------------------------------


def test_an_error_message_with_control_characters_is_sent_as_given() -> None:
    message = "boom\x1b[2J\x1b]0;pwned\x07\r\x9b\u202e"
    events = darkai_events(render_body(Reply(text="hi", error_after=1, error_message=message)))
    assert events[1] == {"event": "error", "data": {"message": message}}


# -- a server echoing the request's credentials -----------------------------------------


def test_echo_header_puts_the_token_in_the_redirect_location(server: DarkAIServer) -> None:
    server.reply(Reply(redirect="http://elsewhere.invalid/x?a=1", echo_header="Authorization"))
    response = exchange(server.port, headers=AUTH)
    assert response.status == 307
    assert response.headers["location"] == f"http://elsewhere.invalid/x?a=1&echo=Bearer {TOKEN}"


def test_echo_header_puts_the_token_in_a_status_body(server: DarkAIServer) -> None:
    server.enqueue(
        Reply(status=401, echo_header="Authorization"),
        Reply(status=403, body="denied for", echo_header="Authorization"),
        Reply(status=500, body=b"<p>oops</p>", echo_header="Cookie"),
    )
    first = exchange(server.port, headers=AUTH)
    assert first.status == 401
    assert json.loads(first.body)["error"]["message"] == (
        f"scripted failure with status 401; you sent Bearer {TOKEN}"
    )
    assert exchange(server.port, headers=AUTH).body == f"denied for Bearer {TOKEN}".encode()
    assert exchange(server.port, headers={"Cookie": "id=77"}).body == b"<p>oops</p> id=77"


def test_echo_header_puts_the_token_in_the_error_event(server: DarkAIServer) -> None:
    server.reply(Reply(text="hi", error_after=1, error_message="bad key:", echo_header="X-Api-Key"))
    response = exchange(server.port, headers={"X-Api-Key": TOKEN})
    events = darkai_events(response.body)
    assert events[1] == {"event": "error", "data": {"message": f"bad key: {TOKEN}"}}


def test_echo_header_of_a_header_not_sent_echoes_nothing(server: DarkAIServer) -> None:
    server.reply(Reply(redirect="/chat", echo_header="Authorization"))
    assert exchange(server.port).headers["location"] == "/chat?echo="


# -- what the docs say of the server -------------------------------------------------------


def test_the_default_models_are_the_sdk_models() -> None:
    from darkai_sdk import MODELS
    from darkai_sdk.testing import DEFAULT_MODELS

    assert tuple(MODELS) == DEFAULT_MODELS  # as the comment on DEFAULT_MODELS says
