"""The gateway's exact bytes over raw HTTP: the event stream, headers, error JSON, lifecycle."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from gatewayservers import Running, chunk_texts, running_gateway, sse_events

from darkai_sdk import AsyncDarkAI, format_prompt
from darkai_sdk.gateway import IGNORED_PARAMS_HEADER, MAX_BODY_BYTES, create_app
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(60)

TEXT = "The quick brown fox jumps over the lazy dog."
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    async with DarkAIServer() as running:
        yield running


@pytest.fixture
async def gateway(server: DarkAIServer) -> AsyncIterator[Running]:
    async with running_gateway(server.url) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def post(
    session: aiohttp.ClientSession, gateway: Running, body: Any = BODY, **kwargs: Any
) -> tuple[int, Any, bytes]:
    """POST ``body`` (JSON unless bytes) to the chat endpoint: status, headers, body."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    async with session.post(gateway.chat_url, data=data, headers=headers, **kwargs) as response:
        return response.status, response.headers, await response.read()


def error_of(body: bytes) -> dict[str, Any]:
    """The ``error`` object of an OpenAI error body, checked to have exactly its four keys."""
    parsed = json.loads(body)
    assert set(parsed) == {"error"} and set(parsed["error"]) == ERROR_KEYS, parsed
    error: dict[str, Any] = parsed["error"]
    return error


# -- the stream's bytes ------------------------------------------------------------


async def test_a_stream_is_role_then_text_then_stop_then_done(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=10, delay=0.02))
    status, headers, body = await post(session, gateway)
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert IGNORED_PARAMS_HEADER not in headers
    events = sse_events(body)
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    first, *texts, last = chunks
    head = {
        "id": headers["x-request-id"],
        "object": "chat.completion.chunk",
        "created": first["created"],
        "model": "gpt-4o",
        "system_fingerprint": None,
    }
    assert head["id"].startswith("chatcmpl-") and abs(first["created"] - time.time()) < 60
    choice = {"index": 0, "logprobs": None, "finish_reason": None}
    assert first == {**head, "choices": [{**choice, "delta": {"role": "assistant"}}]}
    assert len(texts) == 5  # paced: one chunk event per text chunk
    for chunk, piece in zip(
        texts, ["The quick ", "brown fox ", "jumps over", " the lazy ", "dog."], strict=True
    ):
        assert chunk == {**head, "choices": [{**choice, "delta": {"content": piece}}]}
    assert last == {**head, "choices": [{**choice, "delta": {}, "finish_reason": "stop"}]}


async def test_include_usage_adds_a_last_chunk_with_usage_null(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT))
    _, _, body = await post(session, gateway, {**BODY, "stream_options": {"include_usage": True}})
    events = sse_events(body)
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all("usage" in chunk and chunk["usage"] is None for chunk in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["id"] == chunks[0]["id"]
    assert chunk_texts(events) == TEXT


async def test_an_empty_reply_is_a_whole_empty_stream(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=""))
    status, _, body = await post(session, gateway)
    events = sse_events(body)
    assert status == 200 and events[-1] == b"[DONE]" and chunk_texts(events) == ""
    assert json.loads(events[-2])["choices"][0]["finish_reason"] == "stop"


async def test_server_text_passes_as_escaped_json_and_comes_out_exact(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    hostile = 'a\r\n\ndata: [DONE]\n\n"}\x00\x1b[2J\u2028\u2029\x85\ud83d\ude80\\u0041'
    server.reply(Reply(text=hostile, chunk_size=3))
    _, _, body = await post(session, gateway)
    assert body.isascii()  # every character escaped: no raw control, separator or newline
    events = sse_events(body)
    assert [event for event in events if event == b"[DONE]"] == [events[-1]]
    assert chunk_texts(events) == hostile.replace("\ud83d\ude80", "🚀")


async def test_an_unstreamed_reply_is_one_chat_completion(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3))
    status, headers, body = await post(session, gateway, {**BODY, "stream": False})
    assert status == 200 and headers["Content-Type"] == "application/json"
    completion = json.loads(body)
    assert completion == {
        "id": headers["x-request-id"],
        "object": "chat.completion",
        "created": completion["created"],
        "model": "gpt-4o",
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": TEXT, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": None,
    }


async def test_ignored_fields_are_named_in_a_header(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    body = {
        **BODY,
        "messages": [{"role": "user", "content": "hi", "name": "ann"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 5,
        "presence_penalty": 1,
        "seed": 7,
        "user": "u1",
        "n": 1,
        "logprobs": False,
        "tools": [],
        "response_format": {"type": "text"},
        "a\r\nSet-Cookie: x": 1,
    }
    status, headers, raw = await post(session, gateway, body)
    assert status == 200 and chunk_texts(sse_events(raw))
    assert headers[IGNORED_PARAMS_HEADER] == (
        "a%0D%0ASet-Cookie%3A%20x, max_tokens, messages[].name, presence_penalty, seed, "
        "temperature, top_p, user"
    )
    assert "Set-Cookie" not in headers
    _, unstreamed, _ = await post(session, gateway, {**BODY, "stream": False, "seed": 1})
    assert unstreamed[IGNORED_PARAMS_HEADER] == "seed"
    many = {**BODY, **{f"x{i:05d}": i for i in range(20_000)}}
    status, flood, _ = await post(session, gateway, many)
    named = flood[IGNORED_PARAMS_HEADER].split(", ")
    assert status == 200 and named == [f"x{i:05d}" for i in range(32)] + ["and 19968 more"]


# -- errors as OpenAI JSON ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b"\xff\xfe{}", 400, "invalid_json", None),
        (b"[" * 100_000, 400, "invalid_json", None),
        (b"[]", 400, "invalid_json", None),
        ({"model": "gpt-4o"}, 400, "missing_required_parameter", "messages"),
        ({"messages": BODY["messages"]}, 400, "missing_required_parameter", "model"),
        ({**BODY, "messages": []}, 400, None, "messages"),
        (
            {**BODY, "messages": [{"role": "user"}]},
            400,
            "missing_required_parameter",
            "messages[0].content",
        ),
        ({**BODY, "messages": [{"role": "user", "content": 5}]}, 400, None, "messages[0].content"),
        ({**BODY, "messages": [{"role": "user", "content": "  "}]}, 400, None, "messages"),
        ({**BODY, "messages": [{"role": "user", "content": "\ud800"}]}, 400, None, "messages"),
        ({**BODY, "stream": "yes"}, 400, None, "stream"),
        ({**BODY, "n": 0}, 400, "invalid_value", "n"),
        (
            {**BODY, "stream_options": {"include_usage": "yes"}},
            400,
            None,
            "stream_options.include_usage",
        ),
        ({**BODY, "model": "gpt-9"}, 404, "model_not_found", "model"),
    ],
)
async def test_a_bad_request_is_openai_error_json(
    body: Any,
    status: int,
    code: str | None,
    param: str | None,
    server: DarkAIServer,
    gateway: Running,
    session: aiohttp.ClientSession,
) -> None:
    got, headers, raw = await post(session, gateway, body)
    assert got == status and headers["Content-Type"] == "application/json"
    error = error_of(raw)
    assert error["type"] == "invalid_request_error"
    assert (error["code"], error["param"]) == (code, param)
    assert error["message"]
    assert server.requests == []


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_1_mib_is_a_413(
    chunked: bool, server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    big = json.dumps({**BODY, "pad": "x" * MAX_BODY_BYTES}).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    status, _, raw = await post(session, gateway, pieces() if chunked else big)
    assert status == 413 and error_of(raw)["code"] == "request_too_large"
    assert server.requests == []


async def test_a_body_just_under_1_mib_is_served(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    body = json.dumps({**BODY, "pad": ""}).encode()
    body = body.replace(b'"pad": ""', b'"pad": "' + b"x" * (MAX_BODY_BYTES - len(body)) + b'"')
    assert len(body) == MAX_BODY_BYTES
    status, headers, _ = await post(session, gateway, body)
    assert status == 200 and headers[IGNORED_PARAMS_HEADER] == "pad"


async def test_unknown_paths_and_methods_are_json_errors(
    gateway: Running, session: aiohttp.ClientSession
) -> None:
    async with session.get(gateway.base_url + "/nothing/\x1b[2J") as response:
        assert response.status == 404
        error = error_of(await response.read())
        assert error["code"] == "unknown_url" and "\x1b" not in error["message"]
    async with session.get(gateway.chat_url) as response:
        assert response.status == 405 and response.headers["Allow"] == "POST"
        assert error_of(await response.read())["code"] == "method_not_allowed"
    async with session.get(gateway.base_url + "/models/gpt-9") as response:
        assert response.status == 404
        assert error_of(await response.read())["code"] == "model_not_found"


async def test_the_models_are_openai_model_objects(
    gateway: Running, session: aiohttp.ClientSession
) -> None:
    async with session.get(gateway.base_url + "/models") as response:
        listing = await response.json()
    assert listing["object"] == "list"
    alias = {"id": "llama-3.1-70b", "object": "model", "created": 0, "owned_by": "darkai"}
    assert {**alias, "root": "llama-3-70b"} in listing["data"]
    async with session.get(gateway.base_url + "/models/llama-3.1-70b") as response:
        assert await response.json() == {**alias, "root": "llama-3-70b"}


# -- a reply lost after it began -----------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text=TEXT, chunk_size=4, cut_after=3),
        Reply(text=TEXT, chunk_size=4, truncate_after=3),
        Reply(text=TEXT, chunk_size=4, error_after=3, error_message="boom \x1b[2J at http://x"),
    ],
    ids=["cut", "truncated", "error-event"],
)
async def test_a_lost_reply_ends_with_an_error_event_and_no_done(
    reply: Reply, server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(reply)
    status, _, body = await post(session, gateway)
    assert status == 200  # the status went out with the first chunk
    events = sse_events(body)  # the body itself ends cleanly, after the error event
    assert b"[DONE]" not in body and b'"finish_reason":"stop"' not in body
    assert chunk_texts(events[:-1]) == TEXT[:12]
    error = error_of(events[-1])
    assert error["type"] == "server_error" and error["code"] == "reply_incomplete"
    assert error["message"].startswith("the reply was lost after 12 characters: ")
    assert "\x1b" not in error["message"]


async def test_an_unstreamed_lost_reply_is_a_502_naming_its_length(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, truncate_after=5))
    status, _, body = await post(session, gateway, {**BODY, "stream": False})
    assert status == 502
    error = error_of(body)
    assert error["code"] == "reply_incomplete" and "after 20 characters" in error["message"]
    assert TEXT[:20] not in body.decode()  # a lost reply is not passed off as an answer


async def test_an_upstream_echoing_a_secret_never_shows_it(
    server: DarkAIServer, session: aiohttp.ClientSession
) -> None:
    secret = "upstream-secret-7f3a"
    server.enqueue(Reply(status=500, echo_header="Authorization"))
    server.enqueue(Reply(text=TEXT, chunk_size=4, error_after=2, echo_header="Authorization"))
    headers = {"Authorization": f"Bearer {secret}"}
    async with running_gateway(server.url, headers=headers) as gateway:
        status, _, before = await post(session, gateway)
        _, _, during = await post(session, gateway)
    assert status == 502 and secret not in before.decode()
    assert secret not in during.decode() and b"reply_incomplete" in during
    assert server.requests[0].headers["Authorization"] == f"Bearer {secret}"
    assert server.url not in before.decode()


# -- the key ------------------------------------------------------------------------


async def test_the_key_is_required_compared_in_constant_time_and_never_shown(
    server: DarkAIServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "gw-key-91c2e"
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    async with running_gateway(server.url, api_key=key) as gateway:
        missing = await post(session, gateway)
        wrong = await post(session, gateway, headers={"Authorization": f"Bearer {key}x"})
        basic = await post(session, gateway, headers={"Authorization": f"Basic {key}"})
        right = await post(session, gateway, headers={"Authorization": f"Bearer {key}"})
        async with session.get(gateway.base_url + "/models") as response:
            models_status = response.status
    for status, headers, body in (missing, wrong, basic):
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
        assert error_of(body)["code"] == "invalid_api_key" and key not in body.decode()
    assert right[0] == 200 and chunk_texts(sse_events(right[2]))
    assert models_status == 401
    assert compared == [(f"{key}x".encode(), key.encode()), (key.encode(), key.encode())]
    assert len(server.requests) == 1
    assert caplog.records and all(key not in record.getMessage() for record in caplog.records)


def test_create_app_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="AsyncDarkAI"):
        create_app("http://127.0.0.1:1/chat")  # type: ignore[arg-type]
    client = AsyncDarkAI("http://127.0.0.1:1/chat")
    for bad in ("", "two words", "tab\tkey", "clé"):
        with pytest.raises(ValueError, match="api_key"):
            create_app(client, api_key=bad)
    with pytest.raises(TypeError, match="api_key"):
        create_app(client, api_key=b"bytes")  # type: ignore[arg-type]


# -- one log line per request --------------------------------------------------------


async def test_each_request_is_logged_in_one_line(
    server: DarkAIServer,
    gateway: Running,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="darkai_sdk.gateway")
    server.enqueue(Reply(text=TEXT), Reply(text=TEXT, chunk_size=4, cut_after=2))
    await post(session, gateway)
    await post(session, gateway)
    await post(session, gateway, {**BODY, "model": "gpt-9\x1b[2J"})
    lines = [r.getMessage() for r in caplog.records if r.name == "darkai_sdk.gateway"]
    assert len(lines) == 3, lines
    assert all(line.startswith('127.0.0.1 "POST /v1/chat/completions" ') for line in lines)
    assert " 200 " in lines[0] and f"model=gpt-4o stream {len(TEXT)} chars whole" in lines[0]
    assert " 200 " in lines[1] and "8 chars NOT whole (IncompleteStreamError" in lines[1]
    assert " 404 " in lines[2] and "\x1b" not in lines[2] and "\\x1b" in lines[2]


async def test_messages_reach_the_upstream_as_one_prompt(
    server: DarkAIServer, gateway: Running, session: aiohttp.ClientSession
) -> None:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    await post(session, gateway, {**BODY, "messages": messages})
    assert server.requests[-1].prompt == format_prompt(messages)
