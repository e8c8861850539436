"""on_request / on_response, over real sockets: every attempt, secrets masked (issue 14)."""

from __future__ import annotations

import time

import pytest

from darkai_sdk import AsyncDarkAI, RateLimitError, RequestInfo, ResponseInfo
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import FAST, TEXT

pytestmark = pytest.mark.timeout(60)

TOKEN = "sk-hooks-0123456789"


async def test_hooks_see_every_attempt_and_a_429_before_the_retry(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, headers={"X-Request-ID": "ok-1"}))
    server.fail_next(1, status=429, retry_after=1, headers={"X-Request-ID": "rl-1"})
    seen: list[tuple[float, RequestInfo | ResponseInfo]] = []

    async def on_request(info: RequestInfo) -> None:
        seen.append((time.monotonic(), info))

    def on_response(info: ResponseInfo) -> None:
        seen.append((time.monotonic(), info))

    async with AsyncDarkAI(
        server.url, timeout=FAST, on_request=on_request, on_response=on_response
    ) as c:
        assert await c.complete("hi", model="gpt-4o") == TEXT
    (t0, request0), (t1, response0), (t2, request1), (_, response1) = seen
    assert isinstance(request0, RequestInfo) and isinstance(response0, ResponseInfo)
    assert isinstance(response1, ResponseInfo)
    assert (request0.method, request0.url, request0.model) == ("POST", server.url, "gpt-4o")
    assert (request0.attempt, request1.attempt) == (0, 1)
    assert request0.headers["content-type"] == "application/json"
    assert (response0.status_code, response0.request_id, response0.attempt) == (429, "rl-1", 0)
    assert response0.headers["Retry-After"] == "1"
    assert (response1.status_code, response1.request_id, response1.attempt) == (200, "ok-1", 1)
    assert t2 - t1 >= 0.99  # the SDK waited its Retry-After after on_response saw the 429
    assert 0 <= response0.elapsed <= t1 - t0 + 0.01


async def test_hooks_see_secrets_masked(server: DarkAIServer) -> None:
    echo = {"Set-Cookie": "session=abc123", "X-Echo": f"got {TOKEN}"}
    server.reply(Reply(text=TEXT, headers=echo))
    url = server.url.replace("http://", "http://alice:hunter2-pw@")
    seen: list[RequestInfo | ResponseInfo] = []
    async with AsyncDarkAI(
        url,
        timeout=FAST,
        headers={"X-Api-Key": TOKEN, "Cookie": "id=cookie-7890"},
        on_request=seen.append,
        on_response=seen.append,
    ) as c:
        assert await c.complete("hi") == TEXT
    assert server.requests[0].headers["X-Api-Key"] == TOKEN  # sent as given
    request, response = seen
    assert request.url == server.url.replace("http://", "http://****@")
    assert request.headers["x-api-key"] == request.headers["cookie"] == "****"
    assert response.headers["set-cookie"] == "****"
    assert response.headers["x-echo"] == "got ****"
    shown = repr(seen)
    for secret in (TOKEN, "hunter2-pw", "cookie-7890", "abc123"):
        assert secret not in shown


async def test_a_followed_redirect_is_two_requests_of_one_attempt(server: DarkAIServer) -> None:
    server.enqueue(Reply(redirect=server.url + "?moved=1"), Reply(text=TEXT))
    seen: list[RequestInfo | ResponseInfo] = []
    async with AsyncDarkAI(
        server.url, timeout=FAST, on_request=seen.append, on_response=seen.append
    ) as c:
        assert await c.complete("hi") == TEXT
    assert [(type(info).__name__, info.attempt) for info in seen] == [
        ("RequestInfo", 0),
        ("ResponseInfo", 0),
        ("RequestInfo", 0),
        ("ResponseInfo", 0),
    ]
    assert [info.url for info in seen] == [server.url] * 2 + [server.url + "?moved=1"] * 2
    assert [info.status_code for info in seen if isinstance(info, ResponseInfo)] == [307, 200]


async def test_a_hook_that_raises_stops_the_request(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))

    def refuse(info: RequestInfo) -> None:
        raise PermissionError(f"not to {info.url}")

    def broken(info: ResponseInfo) -> None:
        raise LookupError(info.status_code)

    async with AsyncDarkAI(server.url, timeout=FAST, on_request=refuse) as c:
        with pytest.raises(PermissionError, match=r"not to http://127\.0\.0\.1"):
            await c.complete("hi")
    assert server.requests == []  # raised before sending: nothing left
    async with AsyncDarkAI(server.url, timeout=FAST, on_response=broken) as c:
        with pytest.raises(LookupError, match="200"):
            await c.complete("hi")
        # The answer it raised on was closed, not left holding the connection.
        assert await c.with_options(on_response=lambda info: None).complete("hi") == TEXT


async def test_with_options_replaces_the_hooks(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    first: list[RequestInfo] = []
    second: list[RequestInfo] = []
    async with AsyncDarkAI(server.url, timeout=FAST, on_request=first.append) as c:
        await c.with_options(on_request=second.append).complete("copy")
        await c.complete("original")
    assert [info.attempt for info in first] == [0]
    assert [info.attempt for info in second] == [0]


async def test_a_429_over_the_retry_cap_is_seen_then_raised(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, retry_after=120)
    statuses: list[int] = []
    async with AsyncDarkAI(
        server.url, timeout=FAST, on_response=lambda info: statuses.append(info.status_code)
    ) as c:
        with pytest.raises(RateLimitError) as info:
            await c.complete("hi")
    assert statuses == [429]
    assert info.value.retry_after == 120
