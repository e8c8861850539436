"""What gpt4free calls on a provider class, answered by ``darkai_sdk.provider.DarkAI``."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterator

import pytest
from provider_support import (
    DEAD,
    MESSAGES,
    SHIPPED,
    TEXT,
    make_subclass,
    serving,
    spy,
    wait_until_no_streams,
)

from darkai_sdk import NotFoundError, UnknownModelError
from darkai_sdk._async._client import AsyncDarkAI
from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    with serving(monkeypatch) as running:
        yield running


def test_get_dict_and_get_parent_name_the_class() -> None:
    assert DarkAI.get_dict() == {"name": "DarkAI", "url": SHIPPED, "label": None}
    assert DarkAI.get_parent() == "DarkAI"

    class Labelled(DarkAI):
        url = "https://gateway.example/"
        label = "DarkAI via my gateway"
        parent = "DarkAI"

    assert Labelled.get_dict() == {
        "name": "Labelled",
        "url": "https://gateway.example/",
        "label": "DarkAI via my gateway",
    }
    assert Labelled.get_parent() == "DarkAI"


def test_get_parameters_lists_what_the_provider_honours(monkeypatch: pytest.MonkeyPatch) -> None:
    parameters = DarkAI.get_parameters()
    assert list(parameters) == [
        *("model", "messages", "stream", "proxy", "timeout"),
        *("max_retries", "api_endpoint", "base_url", "headers"),
    ]
    assert all(isinstance(p, inspect.Parameter) for p in parameters.values())
    assert parameters["model"].default == "llama-3-70b"
    monkeypatch.setattr(DarkAI, "default_model", "gpt-4o")
    monkeypatch.setattr(DarkAI, "supports_stream", False)
    values = DarkAI.get_parameters(as_json=True)
    assert json.loads(json.dumps(values)) == values
    assert values["provider"] == "DarkAI"
    assert values["model"] == "gpt-4o"
    assert values["messages"] == [{"role": "user", "content": ""}]
    assert "stream" not in values
    assert values["proxy"] is None


def test_params_describes_the_parameters_of_the_class_it_is_read_on() -> None:
    text = DarkAI.params
    assert text.startswith("darkai_sdk.provider.DarkAI supports: (\n")
    assert "    model: str = 'llama-3-70b',\n" in text
    assert "    messages: Messages,\n" in text
    assert "    proxy: str | None = None,\n" in text
    sub = make_subclass(DEAD)
    assert sub.params.startswith("provider_support.make_subclass.<locals>.MyDarkAI supports: (")


def test_create_function_hands_gpt4free_chunks_even_without_stream(server: DarkAIServer) -> None:
    create = DarkAI.get_create_function()
    chunks = [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
    assert list(create("gpt-4o", MESSAGES, stream=True)) == chunks
    # gpt4free's own providers read the whole reply first, then hand over its chunks.
    result = create("gpt-4o", MESSAGES, stream=False)
    assert len(server.requests) == 2
    wait_until_no_streams(server)  # the server's handler ends just after the client's read
    assert list(result) == chunks


async def test_async_create_function_is_create_async_generator(server: DarkAIServer) -> None:
    create = DarkAI.get_async_create_function()
    assert create == DarkAI.create_async_generator
    # gpt4free passes `stream`; the generator streams either way, as the seed's does.
    generator = create(model="gpt-4o", messages=MESSAGES, stream=False)
    assert "".join([chunk async for chunk in generator]) == TEXT


async def test_create_async_returns_the_whole_text_and_closes_its_client(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = spy(monkeypatch, AsyncDarkAI, "aclose")
    assert await DarkAI.create_async("llama-3.1-70b", MESSAGES) == TEXT
    assert server.requests[0].model == "llama-3-70b"
    assert len(closed) == 1


async def test_create_async_raises_typed_errors(server: DarkAIServer) -> None:
    server.fail_next(1, status=404)
    with pytest.raises(NotFoundError) as caught:
        await DarkAI.create_async("", MESSAGES)
    assert caught.value.status_code == 404
    with pytest.raises(UnknownModelError):
        await DarkAI.create_async("gpt-5", MESSAGES)
    assert len(server.requests) == 1


def test_subclass_may_send_a_model_beyond_the_sdks_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    with DarkAIServer(models=None, reply=Reply(TEXT, chunk_size=5)) as running:
        sub = make_subclass(running.url)
        monkeypatch.setattr(sub, "models", [*sub.models, "llama-4-preview"])
        assert sub.create_completion("llama-4-preview", MESSAGES, stream=False) == TEXT
        requests = running.requests
    assert requests[0].model == "llama-4-preview"


async def test_stream_keyword_from_gpt4free_is_not_reported_as_ignored(
    server: DarkAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    generator = DarkAI.create_async_generator("", MESSAGES, stream=True, provider=None)
    assert "".join([chunk async for chunk in generator]) == TEXT
    ignored = [r.getMessage() for r in caplog.records if "ignores" in r.getMessage()]
    assert ignored == ["DarkAI provider ignores keyword arguments: provider"]
