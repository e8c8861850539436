"""The gateway driven by the real ``openai`` package, sync and async, in front of DarkAIServer.

Every test runs the gateway and the DarkAI test server in background threads on
127.0.0.1, and calls it with ``openai.OpenAI`` or ``openai.AsyncOpenAI``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from gatewayservers import GatewayThread

from darkai_sdk import MODEL_ALIASES, MODELS, Timeout, format_prompt
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = pytest.mark.timeout(60)

# Text from a server is untrusted: quotes, escapes, controls, line separators, emoji.
TEXT = 'Hello "world" \\ 中文 🚀\n\tline two\r\n\x1b[2J\u2028<script>end'
USER = [{"role": "user", "content": "hi"}]
KINDS = ["sync", "async"]


@dataclass
class Outcome:
    """What a call through an openai client gave: the text, chunks or completion, the error."""

    text: str = ""
    chunks: list[Any] = field(default_factory=list)
    completion: Any = None
    error: BaseException | None = None

    def whole(self, completion: Any) -> Outcome:
        self.completion = completion
        self.text = completion.choices[0].message.content
        return self

    def add(self, chunk: Any) -> None:
        self.chunks.append(chunk)
        if chunk.choices:
            self.text += chunk.choices[0].delta.content or ""


async def _call_async(base_url: str, api_key: str, stream: bool, **kwargs: Any) -> Outcome:
    outcome = Outcome()
    async with openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        try:
            if not stream:
                return outcome.whole(await client.chat.completions.create(**kwargs))
            async for chunk in await client.chat.completions.create(stream=True, **kwargs):
                outcome.add(chunk)
        except openai.APIError as exc:
            outcome.error = exc
    return outcome


def _call_sync(base_url: str, api_key: str, stream: bool, **kwargs: Any) -> Outcome:
    outcome = Outcome()
    with openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        try:
            if not stream:
                return outcome.whole(client.chat.completions.create(**kwargs))
            for chunk in client.chat.completions.create(stream=True, **kwargs):
                outcome.add(chunk)
        except openai.APIError as exc:
            outcome.error = exc
    return outcome


def call(
    kind: str,
    base_url: str,
    *,
    stream: bool,
    api_key: str = "unused",
    model: str = "gpt-4o",
    messages: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Outcome:
    """One chat completion through the openai client of ``kind``; an APIError is kept."""
    kwargs.update(model=model, messages=messages or USER)
    if kind == "async":
        return asyncio.run(_call_async(base_url, api_key, stream, **kwargs))
    return _call_sync(base_url, api_key, stream, **kwargs)


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.fixture
def gateway(server: DarkAIServer) -> Iterator[GatewayThread]:
    with GatewayThread(server.url) as running:
        yield running


# -- whole replies ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_carries_exactly_the_text_the_server_sent(
    kind: str, server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=3, delay=0.01))
    outcome = call(kind, gateway.base_url, stream=True)
    assert outcome.error is None
    assert outcome.text == TEXT
    first, *middle, last = outcome.chunks
    assert first.choices[0].delta.role == "assistant" and not first.choices[0].delta.content
    assert last.choices[0].finish_reason == "stop" and last.choices[0].delta.content is None
    assert all(chunk.choices[0].finish_reason is None for chunk in middle)
    assert len(middle) > 1  # paced chunks come as they arrive, not all at the end
    assert {chunk.id for chunk in outcome.chunks} == {first.id}
    assert {chunk.created for chunk in outcome.chunks} == {first.created}
    assert {chunk.model for chunk in outcome.chunks} == {"gpt-4o"}


@pytest.mark.parametrize("kind", KINDS)
def test_an_unstreamed_reply_is_one_completion_with_the_whole_text(
    kind: str, server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5))
    outcome = call(kind, gateway.base_url, stream=False, model="llama-3.1-405b")
    assert outcome.error is None
    completion = outcome.completion
    assert completion.choices[0].message.content == TEXT
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is None  # DarkAI counts no tokens; none are invented
    assert completion.model == "llama-3-405b"
    assert server.requests[-1].model == "llama-3-405b"


def test_messages_go_through_the_prompt_formatter(
    server: DarkAIServer, gateway: GatewayThread
) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "you"}],
        },
        {"role": "assistant", "content": "Hello."},
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "Why?"},
    ]
    outcome = call("sync", gateway.base_url, stream=False, messages=messages)
    assert outcome.error is None
    expected = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi you"},
        {"role": "assistant", "content": "Hello."},
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Why?"},
    ]
    prompt = format_prompt(expected)
    assert server.requests[-1].prompt == prompt
    assert outcome.text == default_reply_text(prompt, "gpt-4o")


def test_usage_is_a_final_chunk_with_usage_null(
    server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4))
    outcome = call("sync", gateway.base_url, stream=True, stream_options={"include_usage": True})
    assert outcome.error is None and outcome.text == TEXT
    *_, finish, usage = outcome.chunks
    assert finish.choices[0].finish_reason == "stop"
    assert usage.choices == [] and usage.usage is None


@pytest.mark.parametrize("kind", KINDS)
def test_the_models_are_listed_and_retrieved(kind: str, gateway: GatewayThread) -> None:
    async def in_async() -> tuple[list[str], str]:
        async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key="x") as client:
            models = await client.models.list()
            one = await client.models.retrieve("llama-3.1-70b")
            return [model.id for model in models.data], one.id

    if kind == "async":
        ids, retrieved = asyncio.run(in_async())
    else:
        with openai.OpenAI(base_url=gateway.base_url, api_key="x") as client:
            ids = [model.id for model in client.models.list().data]
            retrieved = client.models.retrieve("llama-3.1-70b").id
            with pytest.raises(openai.NotFoundError):
                client.models.retrieve("gpt-9")
    assert ids == [*MODELS, *MODEL_ALIASES]
    assert retrieved == "llama-3.1-70b"


# -- errors before the reply begins ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stream", [True, False])
def test_an_unknown_model_is_not_found(
    kind: str, stream: bool, server: DarkAIServer, gateway: GatewayThread
) -> None:
    outcome = call(kind, gateway.base_url, stream=stream, model="gpt-9")
    assert isinstance(outcome.error, openai.NotFoundError)
    assert outcome.error.status_code == 404
    assert outcome.error.code == "model_not_found" and outcome.error.param == "model"
    assert "gpt-9" in outcome.error.message and "llama-3-70b" in outcome.error.message
    assert server.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_key_is_an_authentication_error(kind: str, server: DarkAIServer) -> None:
    with GatewayThread(server.url, api_key="gw-key-4b1d") as gateway:
        wrong = call(kind, gateway.base_url, stream=True, api_key="gw-key-4b1e")
        right = call(kind, gateway.base_url, stream=True, api_key="gw-key-4b1d")
    assert isinstance(wrong.error, openai.AuthenticationError)
    assert wrong.error.status_code == 401 and wrong.error.code == "invalid_api_key"
    assert "gw-key" not in str(wrong.error.body)
    assert right.error is None and right.text == default_reply_text("hi", "gpt-4o")
    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_an_upstream_429_is_a_rate_limit_error_with_its_retry_after(
    kind: str, server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.fail_next(1, status=429, retry_after=7)
    outcome = call(kind, gateway.base_url, stream=True)
    assert isinstance(outcome.error, openai.RateLimitError)
    assert outcome.error.response.headers["retry-after"] == "7"
    assert outcome.error.code == "rate_limit_exceeded"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("param", "extra"),
    [
        ("n", {"n": 2}),
        ("tools", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
        ("tool_choice", {"tool_choice": "required"}),
        (
            "response_format",
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {}},
                }
            },
        ),
        ("response_format", {"response_format": {"type": "json_object"}}),
        ("logprobs", {"logprobs": True}),
        (
            "messages[0].content[0]",
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}],
                    }
                ]
            },
        ),
        (
            "messages[0].role",
            {"messages": [{"role": "tool", "content": "42", "tool_call_id": "t"}]},
        ),
    ],
)
def test_what_darkai_cannot_do_is_a_bad_request_naming_it(
    kind: str, param: str, extra: dict[str, Any], server: DarkAIServer, gateway: GatewayThread
) -> None:
    outcome = call(kind, gateway.base_url, stream=True, **extra)
    assert isinstance(outcome.error, openai.BadRequestError)
    assert outcome.error.param == param
    assert param.split("[")[0] in outcome.error.message
    assert server.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_upstream_server_error_is_a_502(
    kind: str, server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.fail_next(1, status=500)
    outcome = call(kind, gateway.base_url, stream=True)
    assert isinstance(outcome.error, openai.InternalServerError)
    assert outcome.error.status_code == 502
    assert "HTTP 500" in outcome.error.message
    assert server.url not in outcome.error.message  # the upstream stays private


def test_an_upstream_timeout_is_a_504(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, stall_after=0))
    with GatewayThread(server.url, timeout=Timeout(read=0.3, total=10)) as gateway:
        outcome = call("sync", gateway.base_url, stream=True)
    assert isinstance(outcome.error, openai.InternalServerError)
    assert outcome.error.status_code == 504 and outcome.error.code == "upstream_timeout"


@pytest.mark.parametrize("kind", KINDS)
def test_retries_happen_before_the_first_byte_and_stay_invisible(
    kind: str, server: DarkAIServer
) -> None:
    server.fail_next(1, status=503, retry_after=0)
    server.enqueue(Reply(text=TEXT, chunk_size=4, cut_after=0))  # cut before any text
    server.enqueue(Reply(text=TEXT, chunk_size=4))
    with GatewayThread(server.url, max_retries=2) as gateway:
        outcome = call(kind, gateway.base_url, stream=True)
    assert outcome.error is None and outcome.text == TEXT
    assert len(server.requests) == 3


# -- a reply lost after it began ---------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Reply(text=TEXT, chunk_size=4, cut_after=3), "IncompleteStreamError"),
        (Reply(text=TEXT, chunk_size=4, truncate_after=3), "IncompleteStreamError"),
        (Reply(text=TEXT, chunk_size=4, error_after=3), "ServerEventError"),
        (Reply(text=TEXT, chunk_size=4, malformed_after=3), "ProtocolError"),
    ],
    ids=["cut", "truncated", "error-event", "malformed"],
)
def test_a_reply_cut_mid_stream_raises_after_the_partial_text(
    kind: str, reply: Reply, cause: str, server: DarkAIServer
) -> None:
    server.reply(reply)
    with GatewayThread(server.url, max_retries=2) as gateway:  # retries must not apply now
        outcome = call(kind, gateway.base_url, stream=True)
    assert isinstance(outcome.error, openai.APIError)
    assert not isinstance(outcome.error, openai.APIStatusError)  # an error event, not a status
    assert outcome.text == TEXT[:12]
    assert outcome.error.message.startswith("the reply was lost after 12 characters: " + cause)
    assert outcome.error.code == "reply_incomplete"
    assert all(chunk.choices[0].finish_reason is None for chunk in outcome.chunks)
    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_final_response_mismatch_raises_when_the_client_is_strict(
    kind: str, server: DarkAIServer
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, final_response="something else"))
    with GatewayThread(server.url, on_mismatch="raise") as gateway:
        outcome = call(kind, gateway.base_url, stream=True)
        whole = call(kind, gateway.base_url, stream=False)
    assert isinstance(outcome.error, openai.APIError)
    assert outcome.text == TEXT
    assert "StreamIntegrityError" in outcome.error.message
    assert isinstance(whole.error, openai.InternalServerError)
    assert whole.error.status_code == 502 and f"after {len(TEXT)} characters" in whole.error.message


@pytest.mark.parametrize("kind", KINDS)
def test_an_unstreamed_reply_cut_short_is_a_502_with_the_partial_length(
    kind: str, server: DarkAIServer, gateway: GatewayThread
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, cut_after=3))
    outcome = call(kind, gateway.base_url, stream=False)
    assert isinstance(outcome.error, openai.InternalServerError)
    assert outcome.error.status_code == 502
    assert "lost after 12 characters" in outcome.error.message
    assert outcome.completion is None
