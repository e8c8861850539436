"""The gpt4free drop-in ``darkai_sdk.provider.DarkAI`` against the local server."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from darkai_sdk import (
    DEFAULT_MODEL,
    APITimeoutError,
    InternalServerError,
    NotFoundError,
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

DEAD = "http://127.0.0.1:9/nothing-here"  # nothing listens on the discard port
SHIPPED = "https://darkai.foundation/chat"


def record_clients(monkeypatch: pytest.MonkeyPatch, client_class: type) -> list[Any]:
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
    kwargs = {} if keyword is None else {"api_endpoint": keyword}
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


def make_subclass(endpoint: str) -> type[DarkAI]:
    """A user's subclass: its own endpoint, one more model, two more aliases."""

    class MyDarkAI(DarkAI):
        api_endpoint = endpoint
        models: ClassVar[list[str]] = [*DarkAI.models, "llama-3-405b"]
        model_aliases: ClassVar[dict[str, str]] = {
            **DarkAI.model_aliases,
            "fast": "gpt-4o",
            "big": "llama-3-405b",
        }

    return MyDarkAI


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


# -- what gpt4free calls on a provider class --------------------------------------------


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
    assert sub.params.startswith(f"{__name__}.make_subclass.<locals>.MyDarkAI supports: (")


def test_create_function_hands_gpt4free_chunks_even_without_stream(server: DarkAIServer) -> None:
    create = DarkAI.get_create_function()
    chunks = [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
    assert list(create("gpt-4o", MESSAGES, stream=True)) == chunks
    # gpt4free's own providers read the whole reply first, then hand over its chunks.
    result = create("gpt-4o", MESSAGES, stream=False)
    assert len(server.requests) == 2
    assert server.active_streams == 0
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
