"""The gpt4free drop-in ``darkai_sdk.provider.DarkAI`` against the local server."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from darkai_sdk import (
    DEFAULT_MODEL,
    MODEL_ALIASES,
    MODELS,
    APITimeoutError,
    InternalServerError,
    UnknownModelError,
)
from darkai_sdk._async._client import AsyncDarkAI
from darkai_sdk._sync._client import DarkAI as SyncDarkAI
from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)

# The usage example of the seed (gpt4free's DarkAI provider docs), verbatim but for
# the first line: `from g4f.Provider import DarkAI` there.
SEED_EXAMPLE = """\
from darkai_sdk.provider import DarkAI

async def main():
    messages = [{"role": "user", "content": "Hello, DarkAI!"}]
    async for chunk in DarkAI.create_async_generator(model="gpt-3.5-turbo", messages=messages):
        print(chunk, end="")

if __name__ == "__main__":
    import asyncio
    asyncio.run(main())
"""

TEXT = "Hello! I am DarkAI, streamed to you in small pieces: naïve café 🎉."
LONG = TEXT * 60
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    """A server in its own thread (the sync client may block this thread's loop)."""
    with DarkAIServer(reply=Reply(TEXT, chunk_size=5)) as running:
        monkeypatch.setenv("DARKAI_BASE_URL", running.url)
        yield running


def spy(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[object]:
    """Record each call of ``cls.name`` (by instance) and still run it."""
    calls: list[object] = []
    original: Callable[..., Any] = getattr(cls, name)

    if inspect.iscoroutinefunction(original):

        async def async_wrapper(self: object) -> None:
            calls.append(self)
            await original(self)

        monkeypatch.setattr(cls, name, async_wrapper)
    else:

        def wrapper(self: object) -> None:
            calls.append(self)
            original(self)

        monkeypatch.setattr(cls, name, wrapper)
    return calls


def wait_until_no_streams(server: DarkAIServer, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while server.active_streams and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.active_streams == 0, "the connection was left open"


async def async_wait_until_no_streams(server: DarkAIServer, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while server.active_streams and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert server.active_streams == 0, "the connection was left open"


# -- the seed's interface --------------------------------------------------------------


def test_seed_usage_example_runs_with_only_the_import_changed(
    server: DarkAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(SEED_EXAMPLE, "seed_example.py", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == TEXT
    (request,) = server.requests
    assert request.json == {"query": "Hello, DarkAI!", "model": "gpt-3.5-turbo"}
    assert request.headers["accept"] == "text/event-stream"


def test_class_attributes_are_the_seeds() -> None:
    assert DarkAI.url == "https://darkai.foundation"
    assert DarkAI.api_endpoint == "https://darkai.foundation/chat"
    assert DarkAI.working is True
    assert DarkAI.supports_stream is True
    assert DarkAI.default_model == DEFAULT_MODEL == "llama-3-70b"
    assert DarkAI.models == list(MODELS)
    assert DarkAI.model_aliases == dict(MODEL_ALIASES)
    assert DarkAI.model_aliases["llama-3.1-405b"] == "llama-3-405b"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "llama-3-70b"),
        (None, "llama-3-70b"),
        ("gpt-4o", "gpt-4o"),
        ("gpt-3.5-turbo", "gpt-3.5-turbo"),
        ("llama-3.1-70b", "llama-3-70b"),
        ("llama-3.1-405b", "llama-3-405b"),
    ],
)
def test_get_model_resolves_default_and_aliases(name: str | None, expected: str) -> None:
    assert DarkAI.get_model(name) == expected


def test_get_model_rejects_an_unknown_name() -> None:
    with pytest.raises(UnknownModelError, match="gpt-5"):
        DarkAI.get_model("gpt-5")


def test_an_alias_is_sent_as_its_model(server: DarkAIServer) -> None:
    DarkAI.create_completion("llama-3.1-405b", MESSAGES, stream=False)
    assert server.requests[0].model == "llama-3-405b"


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


# -- keyword arguments -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["api_endpoint", "base_url"])
def test_endpoint_keyword_overrides_the_environment(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "http://127.0.0.1:9/nothing-here")
    assert DarkAI.create_completion("", MESSAGES, stream=False, **{name: server.url}) == TEXT


async def test_async_endpoint_keyword_overrides_the_environment(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "http://127.0.0.1:9/nothing-here")
    generator = DarkAI.create_async_generator("", MESSAGES, api_endpoint=server.url)
    assert "".join([chunk async for chunk in generator]) == TEXT


def test_different_api_endpoint_and_base_url_are_refused(server: DarkAIServer) -> None:
    with pytest.raises(TypeError, match="not both"):
        DarkAI.create_completion("", MESSAGES, api_endpoint=server.url, base_url="http://x/")


def test_headers_reach_the_server(server: DarkAIServer) -> None:
    DarkAI.create_completion("", MESSAGES, stream=False, headers={"X-Trace": "abc"})
    assert server.requests[0].headers["x-trace"] == "abc"


def test_proxy_is_passed_to_the_client(server: DarkAIServer) -> None:
    # The local server answers an absolute-form request for /chat, so it can act
    # as the proxy of an endpoint that does not exist.
    proxy = f"http://127.0.0.1:{server.port}"
    text = DarkAI.create_completion(
        "", MESSAGES, stream=False, proxy=proxy, api_endpoint="http://darkai.invalid/chat"
    )
    assert text == TEXT
    assert server.requests[0].headers["host"] == "darkai.invalid"


def test_unknown_keyword_arguments_are_ignored_and_logged_at_debug(
    server: DarkAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    text = DarkAI.create_completion(
        "", MESSAGES, stream=False, web_search=True, api_key="sk-secret-value"
    )
    assert text == TEXT
    ignored = [r for r in caplog.records if "ignores keyword arguments" in r.getMessage()]
    assert len(ignored) == 1
    assert ignored[0].levelno == logging.DEBUG
    assert ignored[0].name == "darkai_sdk"
    assert "api_key, web_search" in ignored[0].getMessage()
    assert "sk-secret-value" not in caplog.text
    assert server.requests[0].json == {"query": "Hi", "model": DEFAULT_MODEL}


def test_known_keyword_arguments_are_not_reported_as_ignored(
    server: DarkAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    DarkAI.create_completion(
        "", MESSAGES, stream=False, timeout=10, headers={}, max_retries=0, base_url=server.url
    )
    assert "ignores" not in caplog.text
