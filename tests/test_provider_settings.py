"""The gpt4free drop-in's settings: keyword arguments, and class attributes read at each call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from provider_support import DEAD, MESSAGES, SEED_EXAMPLE, SHIPPED, TEXT, make_subclass, serving

from darkai_sdk import DEFAULT_MODEL, UnknownModelError
from darkai_sdk._async._client import AsyncDarkAI
from darkai_sdk._sync._client import DarkAI as SyncDarkAI
from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    with serving(monkeypatch) as running:
        yield running


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


# -- class attributes, read at each call ------------------------------------------------


def record_clients(
    monkeypatch: pytest.MonkeyPatch, client_class: type[SyncDarkAI] | type[AsyncDarkAI]
) -> list[Any]:
    """Record each client of ``client_class`` the provider makes."""
    made: list[Any] = []
    original: Callable[..., None] = client_class.__init__

    def init(self: object, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(client_class, "__init__", init)
    return made


class _Subclass(DarkAI):
    """A subclass that changes nothing; tests set its attributes."""


@pytest.mark.parametrize("target", [DarkAI, _Subclass], ids=["class", "subclass"])
@pytest.mark.parametrize(
    ("keyword", "attribute", "environment", "expected"),
    [
        ("http://kw.invalid/chat", "http://cls.invalid/chat", "http://env.invalid/chat", "kw"),
        (None, "http://cls.invalid/chat", "http://env.invalid/chat", "cls"),
        (None, SHIPPED, "http://env.invalid/chat", "env"),
        (None, SHIPPED, None, "shipped"),
    ],
    ids=["keyword", "attribute", "environment", "shipped"],
)
async def test_endpoint_precedence(
    monkeypatch: pytest.MonkeyPatch,
    target: type[DarkAI],
    keyword: str | None,
    attribute: str,
    environment: str | None,
    expected: str,
) -> None:
    monkeypatch.setattr(target, "api_endpoint", attribute)
    if environment is None:
        monkeypatch.delenv("DARKAI_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("DARKAI_BASE_URL", environment)
    want = {"kw": keyword, "cls": attribute, "env": environment, "shipped": SHIPPED}[expected]
    kwargs: dict[str, Any] = {} if keyword is None else {"api_endpoint": keyword}
    sync_clients = record_clients(monkeypatch, SyncDarkAI)
    async_clients = record_clients(monkeypatch, AsyncDarkAI)
    # Nothing is sent until the generators are iterated; these never are.
    target.create_completion("", MESSAGES, **kwargs).close()
    await target.create_async_generator("", MESSAGES, **kwargs).aclose()
    (sync_client,) = sync_clients
    (async_client,) = async_clients
    sync_client.close()
    await async_client.aclose()
    assert (sync_client.base_url, async_client.base_url) == (want, want)


def test_class_endpoint_beats_the_environment(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "api_endpoint", server.url)
    monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
    assert "".join(DarkAI.create_completion("", MESSAGES)) == TEXT
    assert DarkAI.create_completion("", MESSAGES, stream=False) == TEXT
    assert len(server.requests) == 2


async def test_async_class_endpoint_beats_the_environment(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "api_endpoint", server.url)
    monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
    assert "".join([c async for c in DarkAI.create_async_generator("", MESSAGES)]) == TEXT
    assert await DarkAI.create_async("", MESSAGES) == TEXT
    assert len(server.requests) == 2


def test_seed_example_runs_with_the_endpoint_set_on_the_class(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The report: gpt4free code retargets a provider by its class attribute.
    monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
    monkeypatch.setattr(DarkAI, "api_endpoint", server.url)
    exec(compile(SEED_EXAMPLE, "seed_example.py", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == TEXT
    (request,) = server.requests
    assert request.json == {"query": "Hello, DarkAI!", "model": "gpt-3.5-turbo"}


def test_subclass_endpoint_and_aliases(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
    sub = make_subclass(server.url)
    assert "".join(sub.create_completion("fast", MESSAGES)) == TEXT
    assert sub.create_completion("big", MESSAGES, stream=False) == TEXT
    assert sub.create_completion("llama-3-405b", MESSAGES, stream=False) == TEXT
    assert [r.model for r in server.requests] == ["gpt-4o", "llama-3-405b", "llama-3-405b"]
    # The base class is untouched.
    assert DarkAI.api_endpoint == SHIPPED
    with pytest.raises(UnknownModelError, match="'fast' for DarkAI"):
        DarkAI.get_model("fast")


async def test_async_subclass_endpoint_and_aliases(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", DEAD)
    sub = make_subclass(server.url)
    assert "".join([c async for c in sub.create_async_generator("fast", MESSAGES)]) == TEXT
    assert await sub.create_async("big", MESSAGES) == TEXT
    assert [r.model for r in server.requests] == ["gpt-4o", "llama-3-405b"]
    with pytest.raises(UnknownModelError, match="'big' for DarkAI"):
        DarkAI.create_async_generator("big", MESSAGES)


def test_subclass_unknown_model_lists_its_own_names() -> None:
    sub = make_subclass(DEAD)
    with pytest.raises(UnknownModelError, match="'gpt-5' for MyDarkAI") as caught:
        sub.get_model("gpt-5")
    assert "llama-3-405b, llama-3.1-70b, fast, big" in str(caught.value)


def test_default_model_is_read_at_the_call(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "default_model", "gpt-4o")
    assert DarkAI.create_completion("", MESSAGES, stream=False) == TEXT
    assert server.requests[0].model == "gpt-4o"


async def test_async_models_and_aliases_are_read_at_the_call(
    server: DarkAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DarkAI, "models", [*DarkAI.models, "llama-3-405b"])
    monkeypatch.setattr(DarkAI, "model_aliases", {"smart": "llama-3-405b"})
    assert "".join([c async for c in DarkAI.create_async_generator("smart", MESSAGES)]) == TEXT
    assert server.requests[0].model == "llama-3-405b"
    with pytest.raises(UnknownModelError):
        DarkAI.get_model("llama-3.1-70b")  # that alias is gone from the class


def test_empty_models_accept_any_name_as_gpt4free_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DarkAI, "models", [])
    assert DarkAI.get_model("any-model-at-all") == "any-model-at-all"
    assert DarkAI.get_models() == ["llama-3-70b"]
    monkeypatch.setattr(DarkAI, "default_model", None)
    assert DarkAI.get_models() == []


def test_get_model_keeps_the_result_in_last_model_of_its_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DarkAI, "last_model", None)
    sub = make_subclass(DEAD)
    assert sub.get_model("fast") == "gpt-4o"
    assert sub.last_model == "gpt-4o"
    assert DarkAI.last_model is None
    DarkAI.get_model("")
    assert DarkAI.last_model == "llama-3-70b"
