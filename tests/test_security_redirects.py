"""Redirects that leak nothing, and proxies taken from the environment.

Each rule is checked for both clients: the sync one directly, the async one
through ``asyncio.run`` (every server here runs in its own thread).
"""

from __future__ import annotations

import base64

import pytest
from rawservers import HandlerServer, closed_port, event_stream
from security_support import (
    SECRET_HEADERS,
    WORLDS,
    assert_no_secret,
    clear_environment_proxies,
    complete,
    fail,
)

from darkai_sdk import APIConnectionError, APIStatusError
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def no_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_environment_proxies(monkeypatch)


# -- redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_sends_it_nothing(world: str, status: int) -> None:
    with DarkAIServer() as elsewhere, DarkAIServer() as server:
        target = elsewhere.url
        server.reply(Reply(redirect=target, redirect_status=status))
        error, seen = fail(world, server.url, headers=SECRET_HEADERS, max_retries=2)
        assert len(server.requests) == 1  # not retried either
        assert elsewhere.requests == []
    assert isinstance(error, APIStatusError)
    assert "not followed" in str(error) and target in str(error)
    assert_no_secret(seen)


@pytest.mark.parametrize("world", WORLDS)
def test_a_redirect_to_localhost_by_name_is_another_origin(world: str) -> None:
    with DarkAIServer() as server:
        server.reply(Reply(redirect=f"http://localhost:{server.port}/chat", redirect_status=307))
        error, _ = fail(world, server.url, headers=SECRET_HEADERS)
        assert len(server.requests) == 1
    assert "not followed" in str(error)


@pytest.mark.parametrize("world", WORLDS)
def test_a_redirect_to_https_on_the_same_host_is_another_origin(world: str) -> None:
    with DarkAIServer() as server:
        target = f"https://127.0.0.1:{server.port}/chat"
        server.reply(Reply(redirect=target, redirect_status=308))
        error, _ = fail(world, server.url)
        assert len(server.requests) == 1
    assert "not followed" in str(error)


@pytest.mark.parametrize("world", WORLDS)
def test_a_redirect_loop_ends_with_a_clear_error(world: str) -> None:
    with DarkAIServer() as server:
        server.reply(Reply(redirect=server.url + "?again", redirect_status=307))
        error, _ = fail(world, server.url, max_retries=0)
        hops = len(server.requests)
    assert isinstance(error, APIStatusError)
    assert "too many redirects" in str(error)
    assert hops == 11  # the request and ten redirects


@pytest.mark.parametrize("world", WORLDS)
def test_a_redirect_loop_is_not_retried(world: str) -> None:
    with DarkAIServer() as server:
        server.reply(Reply(redirect=server.url + "?again", redirect_status=307))
        fail(world, server.url, max_retries=2)
        assert len(server.requests) == 11


STREAM_BODY = (
    b'data: {"event": "text-chunk", "data": {"text": "via proxy"}}\n\n'
    b'data: {"event": "stream-end"}\n\n'
)


@pytest.mark.parametrize("world", WORLDS)
def test_http_proxy_from_the_environment_is_used_with_its_credentials(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HandlerServer(event_stream(STREAM_BODY)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://envuser:envs3cret@127.0.0.1:{proxy.port}")
        assert complete(world, "http://darkai.invalid:8123/chat") == "via proxy"
    (seen,) = proxy.seen
    assert seen.target == "http://darkai.invalid:8123/chat"  # absolute form: a proxy request
    expected = base64.b64encode(b"envuser:envs3cret").decode()
    assert seen.headers["Proxy-Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize("world", WORLDS)
def test_no_proxy_from_the_environment_bypasses_the_proxy(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HandlerServer(event_stream(STREAM_BODY)) as proxy, DarkAIServer() as server:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        assert "hi" in complete(world, server.url)
    assert proxy.seen == []


@pytest.mark.parametrize("world", WORLDS)
def test_environment_proxy_credentials_never_show_in_errors(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://envuser:envs3cret@127.0.0.1:{closed_port()}")
    error, seen = fail(world, "http://darkai.invalid:8123/chat")
    assert isinstance(error, APIConnectionError)
    assert "envs3cret" not in seen
