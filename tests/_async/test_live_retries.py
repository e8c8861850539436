"""The client against the local server over real sockets: retries and redirects."""

from __future__ import annotations

import time

import pytest

from darkai_sdk import (
    APIStatusError,
    AsyncDarkAI,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
    RateLimitError,
)
from darkai_sdk.testing import DarkAIServer, Reply

from ._support import TEXT

pytestmark = pytest.mark.timeout(30)


async def test_server_errors_are_retried_until_success(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(2, status=503, retry_after=0)
    async with AsyncDarkAI(server.url, max_retries=2) as c:
        async with c.stream("hi") as stream:
            assert await stream.until_done() == TEXT
            assert stream.retries == 2
    assert len(server.requests) == 3


async def test_retries_give_up_after_max_retries(server: DarkAIServer) -> None:
    server.fail_next(3, status=500, retry_after=0)
    async with AsyncDarkAI(server.url, max_retries=1) as c:
        with pytest.raises(InternalServerError):
            await c.complete("hi")
    assert len(server.requests) == 2


async def test_long_retry_after_raises_at_once_with_the_wait(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, retry_after=120)
    started = time.monotonic()
    async with AsyncDarkAI(server.url, max_retries=2) as c:
        with pytest.raises(RateLimitError) as info:
            await c.complete("hi")
    assert info.value.retry_after == 120
    assert "120" in str(info.value)
    assert time.monotonic() - started < 5
    assert len(server.requests) == 1


async def test_bad_request_is_not_retried(server: DarkAIServer) -> None:
    server.fail_next(1, status=400)
    async with AsyncDarkAI(server.url, max_retries=2) as c:
        with pytest.raises(BadRequestError):
            await c.complete("hi")
    assert len(server.requests) == 1


async def test_no_retry_once_text_has_arrived(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, cut_after=2))
    async with AsyncDarkAI(server.url, max_retries=2) as c:
        with pytest.raises(IncompleteStreamError) as info:
            await c.complete("hi")
    assert info.value.partial_text == TEXT[:10]
    assert len(server.requests) == 1


async def test_cut_before_any_text_is_retried(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT))
    server.enqueue(Reply(text=TEXT, cut_after=0))
    async with AsyncDarkAI(server.url, max_retries=1) as c:
        assert await c.complete("hi") == TEXT
    assert len(server.requests) == 2


async def test_same_origin_redirect_is_followed_with_the_body(server: DarkAIServer) -> None:
    server.enqueue(Reply(redirect=server.url + "?moved=1", redirect_status=308))
    async with AsyncDarkAI(server.url) as c:
        text = await c.complete("where")
    assert "where" in text
    assert [r.json["query"] for r in server.requests] == ["where", "where"]


async def test_cross_host_redirect_is_not_followed(server: DarkAIServer) -> None:
    server.enqueue(Reply(redirect="http://user:secret@localhost:1/chat", redirect_status=307))
    async with AsyncDarkAI(server.url, max_retries=0) as c:
        with pytest.raises(APIStatusError) as info:
            await c.complete("hi")
    assert type(info.value) is APIStatusError  # not a subclass: no status class fits a 307
    assert info.value.status_code == 307
    assert str(info.value).startswith(
        "redirect 307 to http://****@localhost:1/chat not followed: the request would "
        "lose its body or go to another host"
    )
    assert "secret" not in str(info.value)
    assert info.value.partial_text == ""
    assert len(server.requests) == 1


async def test_redirect_loop_ends_with_a_clear_error(server: DarkAIServer) -> None:
    server.reply(Reply(redirect=server.url, redirect_status=307))
    async with AsyncDarkAI(server.url, max_retries=0) as c:
        with pytest.raises(APIStatusError, match="too many redirects"):
            await c.complete("hi")
