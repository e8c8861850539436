"""The gpt4free drop-in ``darkai_sdk.provider.DarkAI`` against the local server.

The seed's interface, create_async_generator and create_completion.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator

import pytest
from provider_support import (
    LONG,
    MESSAGES,
    SEED_EXAMPLE,
    TEXT,
    async_wait_until_no_streams,
    serving,
    spy,
    wait_until_no_streams,
)

from darkai_sdk import APITimeoutError, InternalServerError, UnknownModelError
from darkai_sdk._async._client import AsyncDarkAI
from darkai_sdk._sync._client import DarkAI as SyncDarkAI
from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    with serving(monkeypatch) as running:
        yield running


# -- the seed's interface --------------------------------------------------------------


def test_seed_usage_example_runs_with_only_the_import_changed(
    server: DarkAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(SEED_EXAMPLE, "seed_example.py", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == TEXT
    (request,) = server.requests
    assert request.json == {"query": "Hello, DarkAI!", "model": "gpt-3.5-turbo"}
    assert request.headers["accept"] == "text/event-stream"


def test_class_attributes_are_gpt4free_0_5_3_1s() -> None:
    # Literal values from gpt4free 0.5.3.1's DarkAI (tests/test_g4f_provider.py reads
    # them from the installed package), but `working`: see the class's comment.
    assert DarkAI.url == "https://darkai.foundation/chat"
    assert DarkAI.api_endpoint == "https://darkai.foundation/chat"
    assert DarkAI.working is True
    assert DarkAI.supports_stream is True
    assert DarkAI.default_model == "llama-3-70b"
    assert DarkAI.models == ["gpt-4o", "gpt-3.5-turbo", "llama-3-70b"]
    assert DarkAI.model_aliases == {"llama-3.1-70b": "llama-3-70b"}


def test_attributes_of_gpt4free_base_classes_have_their_values_there() -> None:
    assert DarkAI.needs_auth is False
    assert DarkAI.supports_system_message is False
    assert DarkAI.supports_message_history is False
    assert DarkAI.live == 0
    assert DarkAI.use_stream_timeout is True
    assert not hasattr(DarkAI, "label")
    assert not hasattr(DarkAI, "parent")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "llama-3-70b"),
        (None, "llama-3-70b"),
        ("gpt-4o", "gpt-4o"),
        ("gpt-3.5-turbo", "gpt-3.5-turbo"),
        ("llama-3-70b", "llama-3-70b"),
        ("llama-3.1-70b", "llama-3-70b"),
    ],
)
def test_get_model_resolves_default_and_aliases(name: str | None, expected: str) -> None:
    assert DarkAI.get_model(name) == expected


@pytest.mark.parametrize("name", ["gpt-5", "llama-3-405b", "llama-3.1-405b"])
def test_get_model_rejects_a_name_gpt4free_does_not_list(name: str) -> None:
    with pytest.raises(UnknownModelError, match=f"unknown model '{name}' for DarkAI") as caught:
        DarkAI.get_model(name)
    assert "gpt-4o, gpt-3.5-turbo, llama-3-70b, llama-3.1-70b" in str(caught.value)


def test_get_model_rejects_a_model_that_is_not_a_string() -> None:
    with pytest.raises(TypeError, match="model must be a string, got int"):
        DarkAI.get_model(3)  # type: ignore[arg-type]


def test_an_alias_is_sent_as_its_model(server: DarkAIServer) -> None:
    DarkAI.create_completion("llama-3.1-70b", MESSAGES, stream=False)
    assert server.requests[0].model == "llama-3-70b"


# -- create_async_generator -----------------------------------------------------------


async def test_create_async_generator_yields_the_servers_chunks(server: DarkAIServer) -> None:
    generator = DarkAI.create_async_generator("gpt-4o", MESSAGES)
    assert inspect.isasyncgen(generator)
    chunks = [chunk async for chunk in generator]
    assert chunks == [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
    assert server.requests[0].json == {"query": "Hi", "model": "gpt-4o"}


async def test_create_async_generator_formats_several_messages_like_the_seed(
    server: DarkAIServer,
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    [_ async for _ in DarkAI.create_async_generator("", messages)]
    assert server.requests[0].prompt == "System: Be brief.\nUser: Hi\nAssistant:"


async def test_unknown_model_raises_at_the_call_and_sends_nothing(server: DarkAIServer) -> None:
    with pytest.raises(UnknownModelError):
        DarkAI.create_async_generator("no-such-model", MESSAGES)
    with pytest.raises(UnknownModelError):
        DarkAI.create_completion("no-such-model", MESSAGES)
    assert server.requests == []


async def test_async_client_is_closed_when_the_generator_ends(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, AsyncDarkAI, "aclose")
    assert "".join([c async for c in DarkAI.create_async_generator("", MESSAGES)]) == TEXT
    assert len(closed) == 1


async def test_async_break_closes_the_stream_and_the_client(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, AsyncDarkAI, "aclose")
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))  # ~20 s if read to the end
    async for chunk in DarkAI.create_async_generator("", MESSAGES):
        assert chunk == LONG[:2]
        break
    # The dropped generator is finalized by the loop's async-generator hook.
    await async_wait_until_no_streams(server)
    assert len(closed) == 1


async def test_async_aclose_after_break_releases_the_connection(server: DarkAIServer) -> None:
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))
    generator = DarkAI.create_async_generator("", MESSAGES)
    async for _ in generator:
        break
    await generator.aclose()
    await async_wait_until_no_streams(server, seconds=1.0)


async def test_cancelling_the_reading_task_closes_the_stream_and_the_client(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, AsyncDarkAI, "aclose")
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))
    first = asyncio.Event()

    async def read() -> None:
        async for _ in DarkAI.create_async_generator("", MESSAGES):
            first.set()

    task = asyncio.create_task(read())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(closed) == 1
    await async_wait_until_no_streams(server)


async def test_async_server_error_propagates_as_a_typed_error(server: DarkAIServer) -> None:
    server.fail_next(1, status=500)
    with pytest.raises(InternalServerError) as caught:
        async for _ in DarkAI.create_async_generator("", MESSAGES, max_retries=0):
            pass
    assert caught.value.status_code == 500
    assert len(server.requests) == 1


# -- create_completion -----------------------------------------------------------------


def test_create_completion_streams_chunks_by_default(server: DarkAIServer) -> None:
    result = DarkAI.create_completion("gpt-4o", MESSAGES)
    assert inspect.isgenerator(result)
    assert list(result) == [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]


def test_create_completion_without_stream_returns_the_whole_text(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, SyncDarkAI, "close")
    assert DarkAI.create_completion("gpt-4o", MESSAGES, stream=False) == TEXT
    assert len(closed) == 1


def test_create_completion_takes_stream_positionally_like_the_seed(server: DarkAIServer) -> None:
    assert DarkAI.create_completion("gpt-4o", MESSAGES, False) == TEXT


async def test_create_completion_works_inside_a_running_event_loop(
    server: DarkAIServer,
) -> None:
    asyncio.get_running_loop()  # this body runs inside a loop, as a notebook cell does
    assert "".join(DarkAI.create_completion("gpt-4o", MESSAGES)) == TEXT
    assert DarkAI.create_completion("gpt-4o", MESSAGES, stream=False) == TEXT
    assert len(server.requests) == 2


def test_sync_break_closes_the_stream_and_the_client(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, SyncDarkAI, "close")
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))  # ~20 s if read to the end
    for chunk in DarkAI.create_completion("", MESSAGES):
        assert chunk == LONG[:2]
        break
    assert len(closed) == 1
    wait_until_no_streams(server)


def test_sync_server_error_propagates_as_a_typed_error(server: DarkAIServer) -> None:
    server.fail_next(1, status=500)
    with pytest.raises(InternalServerError):
        DarkAI.create_completion("", MESSAGES, stream=False, max_retries=0)
    server.fail_next(1, status=500)
    with pytest.raises(InternalServerError):
        list(DarkAI.create_completion("", MESSAGES, max_retries=0))
    assert len(server.requests) == 2


def test_max_retries_is_passed_to_the_client(server: DarkAIServer) -> None:
    server.fail_next(1, status=500)
    assert DarkAI.create_completion("", MESSAGES, stream=False, max_retries=1) == TEXT
    assert len(server.requests) == 2


def test_timeout_is_passed_to_the_client(server: DarkAIServer) -> None:
    server.reply(Reply(TEXT, chunk_size=5, stall_after=1))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        DarkAI.create_completion("", MESSAGES, stream=False, timeout=0.5, max_retries=0)
    assert time.monotonic() - started < 5
    assert caught.value.partial_text == TEXT[:5]
