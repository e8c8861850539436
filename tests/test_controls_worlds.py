"""Controls where the two clients differ: async hooks and handlers, sessions, transports."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest
import requests

from darkai_sdk import AsyncDarkAI, DarkAI, RequestInfo, ResponseInfo
from darkai_sdk._transports._aiohttp import AsyncTransport
from darkai_sdk._transports._requests import SyncTransport
from darkai_sdk.testing import DarkAIServer, MockAnswer, MockTransport, RecordedRequest, Reply

pytestmark = pytest.mark.timeout(30)

URL = "http://127.0.0.1:9/chat"
EVENTS: MockAnswer = ["Hi", {"event": "stream-end"}]


async def _async_hook(info: RequestInfo) -> None:
    """An async hook (AsyncDarkAI only)."""


def test_darkai_refuses_async_hooks_at_the_call() -> None:
    with pytest.raises(TypeError, match="async hooks need AsyncDarkAI"):
        DarkAI(URL, on_request=_async_hook)
    with pytest.raises(TypeError, match="on_response must be a plain function on DarkAI"):
        DarkAI(URL).with_options(on_response=_async_hook)  # type: ignore[arg-type]


def test_a_darkai_hook_returning_an_awaitable_is_a_type_error_without_a_warning() -> None:
    client = DarkAI(transport=MockTransport(lambda request: EVENTS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine was never awaited" would fail the test
        with pytest.raises(TypeError, match="returned an awaitable"):
            client.with_options(on_request=lambda info: _async_hook(info)).complete("hi")


def test_async_hooks_are_awaited_and_sync_ones_called_on_asyncdarkai() -> None:
    seen: list[str] = []

    async def on_request(info: RequestInfo) -> None:
        await asyncio.sleep(0.01)
        seen.append(f"request {info.attempt}")

    def on_response(info: ResponseInfo) -> None:
        seen.append(f"response {info.status_code}")

    async def main() -> str:
        async with AsyncDarkAI(
            transport=MockTransport(lambda request: EVENTS),
            on_request=on_request,
            on_response=on_response,
        ) as client:
            return await client.complete("hi")

    assert asyncio.run(main()) == "Hi"
    assert seen == ["request 0", "response 200"]


def test_darkai_refuses_an_async_mock_handler() -> None:
    async def handler(request: RecordedRequest) -> MockAnswer:
        return EVENTS

    client = DarkAI(transport=MockTransport(handler))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="async handlers need AsyncDarkAI"):
            client.complete("hi")


def test_each_client_takes_only_its_own_kind_of_session_and_transport() -> None:
    with pytest.raises(TypeError, match=r"session must be an aiohttp\.ClientSession, got Session"):
        AsyncDarkAI(URL, session=requests.Session())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"session must be a requests\.Session, got dict"):
        DarkAI(URL, session={})  # type: ignore[arg-type]
    options: dict[str, Any] = {"proxy": None, "verify": True, "secrets": (), "max_connections": 1}
    with pytest.raises(TypeError, match=r"transport must have a callable send\(\)"):
        DarkAI(transport=AsyncTransport(**options))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"transport must have a callable asend\(\)"):
        AsyncDarkAI(transport=SyncTransport(**options))  # type: ignore[arg-type]


def test_a_closed_aiohttp_session_is_refused_and_one_closed_later_is_reported() -> None:
    async def main() -> None:
        session = aiohttp.ClientSession()
        await session.close()
        with pytest.raises(ValueError, match="session is closed"):
            AsyncDarkAI(URL, session=session)
        with DarkAIServer(reply=Reply(text="Hi")) as server:
            session = aiohttp.ClientSession()
            client = AsyncDarkAI(server.url, session=session)
            assert await client.complete("hi") == "Hi"
            await session.close()
            with pytest.raises(RuntimeError, match="session= has been closed"):
                await client.complete("hi")
            await client.aclose()

    asyncio.run(main())


def test_darkai_with_its_own_session_sends_through_the_sessions_adapter() -> None:
    class CountingAdapter(requests.adapters.HTTPAdapter):
        sent = 0

        def send(self, *args: Any, **kwargs: Any) -> requests.Response:
            CountingAdapter.sent += 1
            return super().send(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", CountingAdapter())
    with DarkAIServer(reply=Reply(text="Hi")) as server:
        with DarkAI(server.url, session=session) as client:
            assert client.complete("hi") == "Hi"
            assert client.complete("again") == "Hi"
        assert CountingAdapter.sent == 2
        adapter = session.adapters["http://"]
        assert isinstance(adapter, CountingAdapter)
        assert adapter.poolmanager.pools  # its pool is still open
        first, second = (request.peer for request in server.requests)
    session.close()
    assert first == second
