"""gpt4free's own client and ChatCompletion drive ``darkai_sdk.provider.DarkAI``."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from provider_support import wait_until_no_streams

pytest.importorskip("g4f", reason="gpt4free is not installed (pip install -e '.[g4f]')")

import g4f
import g4f.debug
from g4f.client import AsyncClient, Client
from g4f.client.service import get_last_provider
from g4f.errors import ProviderNotWorkingError, RetryProviderError
from g4f.providers.retry_provider import IterListProvider, RetryProvider

from darkai_sdk import IncompleteStreamError, NotFoundError, UnknownModelError
from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)

TEXT = "Hello from DarkAI, through gpt4free's client: naïve café 🎉."
CHUNKS = [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
LONG = TEXT * 60
MESSAGES = [{"role": "user", "content": "Hi"}]
DEAD = "http://127.0.0.1:9/nothing-here"
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(autouse=True)
def quiet_gpt4free(monkeypatch: pytest.MonkeyPatch) -> None:
    """No version check against PyPI, no proxy from G4F_PROXY."""
    monkeypatch.setattr(g4f.debug, "version_check", False)
    monkeypatch.delenv("G4F_PROXY", raising=False)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    """A server in its own thread; the provider reaches it by its class attribute."""
    with DarkAIServer(reply=Reply(TEXT, chunk_size=5)) as running:
        monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
        monkeypatch.setattr(DarkAI, "api_endpoint", running.url)
        yield running


def deltas(chunks: list[Any]) -> list[str | None]:
    return [chunk.choices[0].delta.content for chunk in chunks]


# -- g4f.client.Client and AsyncClient ---------------------------------------------------


def test_client_without_stream(server: DarkAIServer) -> None:
    response = Client(provider=DarkAI).chat.completions.create(
        model="llama-3.1-70b", messages=MESSAGES
    )
    assert response.choices[0].message.content == TEXT
    assert response.choices[0].finish_reason == "stop"
    # gpt4free reports the model get_model() resolved, and the provider's name.
    assert (response.model, response.provider) == ("llama-3-70b", "DarkAI")
    assert server.requests[0].json == {"query": "Hi", "model": "llama-3-70b"}


def test_client_streams(server: DarkAIServer) -> None:
    chunks = list(
        Client(provider=DarkAI).chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        )
    )
    assert deltas(chunks) == [*CHUNKS, None]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {chunk.model for chunk in chunks} == {"gpt-4o"}


def test_client_stream_method_and_provider_per_call(server: DarkAIServer) -> None:
    chunks = list(Client().chat.completions.stream(MESSAGES, "gpt-4o", provider=DarkAI))
    assert deltas(chunks) == [*CHUNKS, None]


async def test_async_client_without_stream(server: DarkAIServer) -> None:
    response = await AsyncClient(provider=DarkAI).chat.completions.create(
        model="gpt-3.5-turbo", messages=MESSAGES
    )
    assert response.choices[0].message.content == TEXT
    assert (response.model, response.provider) == ("gpt-3.5-turbo", "DarkAI")
    assert server.requests[0].model == "gpt-3.5-turbo"


async def test_async_client_streams(server: DarkAIServer) -> None:
    stream = AsyncClient(provider=DarkAI).chat.completions.create(
        model="", messages=MESSAGES, stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert deltas(chunks) == [*CHUNKS, None]
    assert server.requests[0].model == "llama-3-70b"


def test_max_tokens_counts_the_servers_chunks(server: DarkAIServer) -> None:
    # gpt4free cuts after max_tokens chunks; without stream the provider still
    # hands it the server's chunks, as gpt4free's own providers do, not characters.
    client = Client(provider=DarkAI)
    response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=2)
    assert response.choices[0].message.content == TEXT[:10]
    assert response.choices[0].finish_reason == "length"
    chunks = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, max_tokens=2, stream=True
    )
    assert deltas(list(chunks)) == [*CHUNKS[:2], None]


async def test_async_stop_words_act_on_the_text(server: DarkAIServer) -> None:
    response = await AsyncClient(provider=DarkAI).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stop=["client"]
    )
    assert response.choices[0].message.content == TEXT[: TEXT.index("client")]


def test_client_proxy_and_keywords_reach_the_provider(server: DarkAIServer) -> None:
    # The local server answers an absolute-form request, so it can be the proxy.
    client = Client(provider=DarkAI, proxies=f"http://127.0.0.1:{server.port}")
    server.fail_next(1, status=500)
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,
        api_endpoint="http://darkai.invalid/chat",
        max_retries=1,
        headers={"X-Trace": "g4f"},
    )
    assert response.choices[0].message.content == TEXT
    assert len(server.requests) == 2
    assert server.requests[1].headers["host"] == "darkai.invalid"
    assert server.requests[1].headers["x-trace"] == "g4f"


def test_client_models_lists_the_class_models() -> None:
    assert Client(provider=DarkAI).models.get_all() == ["gpt-4o", "gpt-3.5-turbo", "llama-3-70b"]


# -- g4f.ChatCompletion ------------------------------------------------------------------


def test_chat_completion_create(server: DarkAIServer) -> None:
    text = g4f.ChatCompletion.create(model="gpt-4o", messages=MESSAGES, provider=DarkAI)
    assert text == TEXT
    chunks = g4f.ChatCompletion.create(
        model="gpt-4o", messages=MESSAGES, provider=DarkAI, stream=True
    )
    assert list(chunks) == CHUNKS
    assert len(server.requests) == 2
    assert get_last_provider(as_dict=True) == {
        "name": "DarkAI",
        "url": "https://darkai.foundation/chat",
        "model": "gpt-4o",
        "label": None,
    }


async def test_chat_completion_create_async(server: DarkAIServer) -> None:
    text = await g4f.ChatCompletion.create_async(model="gpt-4o", messages=MESSAGES, provider=DarkAI)
    assert text == TEXT
    chunks = g4f.ChatCompletion.create_async(
        model="gpt-4o", messages=MESSAGES, provider=DarkAI, stream=True
    )
    assert [chunk async for chunk in chunks] == CHUNKS
    assert len(server.requests) == 2


def test_chat_completion_refuses_a_provider_that_is_not_working(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why `working` stays True where gpt4free 0.5.3.1's class says False.
    monkeypatch.setattr(DarkAI, "working", False)
    with pytest.raises(ProviderNotWorkingError, match="DarkAI is not working"):
        g4f.ChatCompletion.create(model="gpt-4o", messages=MESSAGES, provider=DarkAI)
    assert server.requests == []


# -- the class attributes, through gpt4free ---------------------------------------------


def make_subclass(endpoint: str) -> type[DarkAI]:
    class MyDarkAI(DarkAI):
        api_endpoint = endpoint
        models: ClassVar[list[str]] = [*DarkAI.models, "llama-3-405b"]
        model_aliases: ClassVar[dict[str, str]] = {**DarkAI.model_aliases, "big": "llama-3-405b"}

    return MyDarkAI


def test_client_drives_a_subclass_with_its_own_endpoint_and_aliases(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "api_endpoint", DEAD)
    sub = make_subclass(server.url)
    response = Client(provider=sub).chat.completions.create(model="big", messages=MESSAGES)
    assert response.choices[0].message.content == TEXT
    assert (response.model, response.provider) == ("llama-3-405b", "MyDarkAI")
    assert g4f.ChatCompletion.create(model="llama-3-405b", messages=MESSAGES, provider=sub) == TEXT
    assert [r.model for r in server.requests] == ["llama-3-405b", "llama-3-405b"]


async def test_async_client_drives_a_subclass(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "api_endpoint", DEAD)
    sub = make_subclass(server.url)
    stream = AsyncClient(provider=sub).chat.completions.create(
        model="big", messages=MESSAGES, stream=True
    )
    assert deltas([chunk async for chunk in stream]) == [*CHUNKS, None]
    assert server.requests[0].model == "llama-3-405b"


def test_retry_provider_holding_the_class(server: DarkAIServer) -> None:
    client = Client(provider=RetryProvider([DarkAI], shuffle=False))
    response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert response.choices[0].message.content == TEXT
    assert response.provider == "DarkAI"


async def test_async_iter_list_provider_holding_the_class(server: DarkAIServer) -> None:
    client = AsyncClient(provider=IterListProvider([DarkAI], shuffle=False))
    response = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert response.choices[0].message.content == TEXT


# -- typed errors through gpt4free -------------------------------------------------------


def test_client_raises_not_found_error(server: DarkAIServer) -> None:
    client = Client(provider=DarkAI)
    server.fail_next(1, status=404)
    with pytest.raises(NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert caught.value.status_code == 404
    server.fail_next(1, status=404)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    with pytest.raises(NotFoundError):
        next(stream)
    assert len(server.requests) == 2


async def test_async_client_raises_not_found_error(server: DarkAIServer) -> None:
    client = AsyncClient(provider=DarkAI)
    server.fail_next(1, status=404)
    with pytest.raises(NotFoundError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert caught.value.status_code == 404
    server.fail_next(1, status=404)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    with pytest.raises(NotFoundError):
        await stream.__anext__()
    assert len(server.requests) == 2


def test_chat_completion_raises_typed_errors(server: DarkAIServer) -> None:
    server.fail_next(1, status=404)
    with pytest.raises(NotFoundError):
        g4f.ChatCompletion.create(model="gpt-4o", messages=MESSAGES, provider=DarkAI)
    with pytest.raises(UnknownModelError, match="'gpt-5' for DarkAI"):
        g4f.ChatCompletion.create(model="gpt-5", messages=MESSAGES, provider=DarkAI)
    assert len(server.requests) == 1


async def test_chat_completion_create_async_raises_not_found_error(server: DarkAIServer) -> None:
    server.fail_next(1, status=404)
    with pytest.raises(NotFoundError):
        await g4f.ChatCompletion.create_async(model="gpt-4o", messages=MESSAGES, provider=DarkAI)


def test_client_stream_cut_short_keeps_its_partial_text(server: DarkAIServer) -> None:
    server.reply(Reply(TEXT, chunk_size=5, truncate_after=2))
    stream = Client(provider=DarkAI).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, max_retries=0
    )
    received: list[str | None] = []
    with pytest.raises(IncompleteStreamError) as caught:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == CHUNKS[:2]
    assert caught.value.partial_text == TEXT[:10]


async def test_async_client_stream_cut_short_keeps_its_partial_text(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(TEXT, chunk_size=5, truncate_after=3))
    stream = AsyncClient(provider=DarkAI).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, max_retries=0
    )
    received: list[str | None] = []
    with pytest.raises(IncompleteStreamError) as caught:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == CHUNKS[:3]
    assert caught.value.partial_text == TEXT[:15]


def test_a_retry_provider_of_one_passes_the_error_through(server: DarkAIServer) -> None:
    server.fail_next(1, status=404)
    client = Client(provider=RetryProvider([DarkAI], shuffle=False))
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)


async def test_a_retry_provider_of_two_wraps_the_errors(server: DarkAIServer) -> None:
    server.fail_next(2, status=404)
    other = make_subclass(server.url)
    client = AsyncClient(provider=IterListProvider([DarkAI, other], shuffle=False))
    with pytest.raises(RetryProviderError, match="DarkAI: NotFoundError") as caught:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert "MyDarkAI: NotFoundError" in str(caught.value)
    assert isinstance(caught.value.__cause__, NotFoundError)
    assert len(server.requests) == 2


# -- connections are released ------------------------------------------------------------


def test_client_stream_abandoned_releases_the_connection(server: DarkAIServer) -> None:
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))  # ~20 s if read to the end
    stream = Client(provider=DarkAI).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    )
    assert next(stream).choices[0].delta.content == LONG[:2]
    stream.close()
    wait_until_no_streams(server, seconds=5.0)


async def test_async_client_stream_abandoned_releases_the_connection(
    server: DarkAIServer,
) -> None:
    server.reply(Reply(LONG, chunk_size=2, delay=0.01))
    stream = AsyncClient(provider=DarkAI).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    )
    async for chunk in stream:
        assert chunk.choices[0].delta.content == LONG[:2]
        break
    await stream.aclose()
    deadline = time.monotonic() + 5
    while server.active_streams and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert server.active_streams == 0, "the connection was left open"


# -- README ------------------------------------------------------------------------------


def readme_g4f_block() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (block,) = [b for b in blocks if "from g4f.client import Client" in b]
    return str(block)


def test_readme_gpt4free_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As README's other blocks run: the endpoint from DARKAI_BASE_URL.
    with DarkAIServer(reply=Reply(TEXT, chunk_size=5)) as running:
        monkeypatch.setenv("DARKAI_BASE_URL", running.url)
        exec(compile(readme_g4f_block(), "README.md", "exec"), {"__name__": "__main__"})
        requests = running.requests
    assert capsys.readouterr().out == f"{TEXT}\n{TEXT}\n"
    assert [r.model for r in requests] == ["gpt-4o", "gpt-4o"]
