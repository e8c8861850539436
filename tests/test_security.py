"""TLS checks, and credentials kept out of every message, even when a server echoes them.

Each rule is checked for both clients: the sync one directly, the async one
through ``asyncio.run`` (every server here runs in its own thread).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rawservers import HandlerServer, closed_port, echo_headers, event_stream, self_signed_context
from security_support import (
    BASIC,
    PASSWORD,
    SECRET_HEADERS,
    TOKEN,
    USER,
    WORLDS,
    assert_no_secret,
    clear_environment_proxies,
    complete,
    fail,
)

from darkai_sdk import (
    APIConnectionError,
    APIStatusError,
    AsyncDarkAI,
    AuthenticationError,
    DarkAI,
    ProtocolError,
    ServerEventError,
)
from darkai_sdk._options import ClientOptions
from darkai_sdk._transports._aiohttp import AsyncTransport
from darkai_sdk._transports._requests import SyncTransport
from darkai_sdk.testing import DarkAIServer, Reply, render_body

pytestmark = pytest.mark.timeout(60)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_environment_proxies(monkeypatch)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG: ours, aiohttp's, urllib3's."""
    caplog.set_level(logging.DEBUG)
    return caplog


# -- TLS -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HandlerServer]:
    context = self_signed_context(tmp_path_factory.mktemp("tls"))
    with HandlerServer(event_stream(render_body("over TLS")), ssl_context=context) as server:
        yield server


def test_transports_verify_tls_by_default() -> None:
    options: dict[str, Any] = {"proxy": None, "secrets": (), "max_connections": 100}

    async def async_connector_ssl() -> object:
        session = AsyncTransport(verify=True, **options)._get_session()
        try:
            assert isinstance(session.connector, aiohttp.TCPConnector)
            return session.connector._ssl
        finally:
            await session.close()

    assert asyncio.run(async_connector_ssl()) is True  # aiohttp: the default, verifying context
    assert SyncTransport(verify=True, **options)._get_session().verify is True
    assert DarkAI().verify is True
    assert AsyncDarkAI().verify is True


@pytest.mark.parametrize("world", WORLDS)
def test_a_self_signed_certificate_is_refused_by_default(
    world: str, tls_server: HandlerServer
) -> None:
    error, _ = fail(world, tls_server.url())
    assert isinstance(error, APIConnectionError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("world", WORLDS)
def test_verify_false_is_obeyed_and_logged_at_warning(
    world: str,
    tls_server: HandlerServer,
    log: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests lets REQUESTS_CA_BUNDLE override a session's verify=False (psf/requests#3829).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    assert complete(world, tls_server.url(), verify=False) == "over TLS"
    warnings = [r for r in log.records if r.name == "darkai_sdk" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "verification is OFF" in warnings[0].getMessage()


def test_verify_true_logs_no_warning(log: pytest.LogCaptureFixture) -> None:
    DarkAI("https://127.0.0.1:1/chat")
    AsyncDarkAI("https://127.0.0.1:1/chat")
    assert [r for r in log.records if r.levelno >= logging.WARNING] == []


# -- credentials ------------------------------------------------------------------------


def proxy_url(port: int) -> str:
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"


@pytest.mark.parametrize("world", WORLDS)
def test_proxy_credentials_stay_hidden_when_the_proxy_is_unreachable(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    error, seen = fail(
        world,
        f"http://127.0.0.1:{closed_port()}/chat",
        proxy=proxy_url(closed_port()),
        headers=SECRET_HEADERS,
        max_retries=1,
    )
    assert isinstance(error, APIConnectionError)
    assert_no_secret(seen)
    assert_no_secret(log.text)
    assert "****@127.0.0.1" in seen  # the client's repr shows the proxy, masked


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("status", [407, 502])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_proxy_credentials_stay_hidden_when_the_proxy_refuses(
    world: str, status: int, scheme: str, log: pytest.LogCaptureFixture
) -> None:
    # The proxy echoes the request in its answer, Proxy-Authorization included.
    proxy_headers = {"Proxy-Authenticate": 'Basic realm="test"'}
    with HandlerServer(echo_headers(status, proxy_headers)) as proxy:
        error, seen = fail(
            world,
            f"{scheme}://127.0.0.1:{closed_port()}/chat",
            proxy=proxy_url(proxy.port),
            headers=SECRET_HEADERS if scheme == "https" else None,
        )
        # The credentials did go to the proxy, and only there.
        assert [r.headers.get("Proxy-Authorization") for r in proxy.seen] == [f"Basic {BASIC}"]
        assert proxy.seen[0].method == ("CONNECT" if scheme == "https" else "POST")
    assert isinstance(error, (APIStatusError, APIConnectionError))
    assert str(status) in str(error)
    assert_no_secret(seen)
    assert_no_secret(log.text)


def _echo_the_key(message: str) -> Any:
    async def handler(server: HandlerServer, request: web.BaseRequest) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        cookie = request.headers.get("Cookie", "")
        body = {"error": {"message": message.format(header=header, cookie=cookie)}}
        return web.json_response(body, status=401)

    return handler


@pytest.mark.parametrize("world", WORLDS)
def test_a_server_echoing_the_api_key_does_not_put_it_in_the_error(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    message = "Bearer token rejected. Incorrect API key provided: {header} (cookie {cookie})"
    with HandlerServer(_echo_the_key(message)) as server:
        error, seen = fail(world, server.url(), headers=SECRET_HEADERS)
    assert isinstance(error, AuthenticationError)
    # Only the secrets are masked: the scheme name is no secret.
    assert "Bearer token rejected. Incorrect API key provided: ****" in str(error)
    assert_no_secret(seen)
    assert_no_secret(log.text)


@pytest.mark.parametrize("world", WORLDS)
def test_secret_headers_stay_out_of_reprs_and_logs_of_a_failing_request(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    with DarkAIServer(reply=Reply(text="partial reply", chunk_size=3, cut_after=2)) as server:
        server.fail_next(1, status=503, retry_after=0)
        error, seen = fail(world, server.url, headers=SECRET_HEADERS, max_retries=1)
        assert [r.headers["Authorization"] for r in server.requests] == [f"Bearer {TOKEN}"] * 2
    assert error.partial_text == "partia"
    assert_no_secret(seen)
    assert_no_secret(log.text)
    assert "POST" in log.text and "retry 1 of 1" in log.text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env = {k: v for k, v in env.items() if not k.startswith("DARKAI_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "darkai_sdk", *args],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.parametrize("output", [[], ["--json"], ["--debug"]], ids=["text", "json", "debug"])
def test_cli_output_never_shows_proxy_credentials(output: list[str]) -> None:
    with HandlerServer(echo_headers(407, {"Proxy-Authenticate": "Basic"})) as proxy:
        refused = _cli(
            *output,
            "--base-url",
            f"http://127.0.0.1:{closed_port()}/chat",
            "--proxy",
            proxy_url(proxy.port),
            "--max-retries",
            "0",
            "hello",
        )
        assert len(proxy.seen) == 1
    unreachable = _cli(
        *output,
        "--base-url",
        f"http://127.0.0.1:{closed_port()}/chat",
        "--proxy",
        proxy_url(closed_port()),
        "--max-retries",
        "0",
        "hello",
    )
    for result in (refused, unreachable):
        assert result.returncode != 0
        assert result.stdout + result.stderr  # it did say what went wrong
        assert_no_secret(result.stdout + result.stderr)
    if output == ["--json"]:
        assert json.loads(refused.stdout.splitlines()[-1])["type"] == "error"


# -- a hostile server echoing credentials (issue 12, item 10) -----------------------------


@pytest.mark.parametrize("world", WORLDS)
def test_a_redirect_echoing_the_token_to_another_host_shows_it_nowhere(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    target = "http://elsewhere.invalid/chat"
    with DarkAIServer(reply=Reply(redirect=target, echo_header="Authorization")) as server:
        error, seen = fail(world, server.url, headers=SECRET_HEADERS)
    assert isinstance(error, APIStatusError)
    assert f"redirect 307 to {target}?echo=**** not followed" in str(error)
    assert_no_secret(seen)
    assert_no_secret(log.text)


@pytest.mark.parametrize("world", WORLDS)
def test_a_same_origin_redirect_echoing_the_token_is_not_followed(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    with DarkAIServer() as server:
        url = server.url
        server.reply(Reply(redirect=url, echo_header="Authorization"))
        error, seen = fail(world, url, headers=SECRET_HEADERS, max_retries=2)
        # Following it would put the token in the URL of the next request (and its logs).
        assert len(server.requests) == 1
    assert isinstance(error, APIStatusError)
    assert str(error) == (
        f"redirect 307 to {url}?echo=**** not followed: its Location holds a credential"
    )
    assert_no_secret(seen)
    assert_no_secret(log.text)


@pytest.mark.parametrize("world", WORLDS)
def test_a_status_answer_echoing_the_token_masks_message_body_and_headers(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    reply = Reply(
        status=401,
        echo_header="Authorization",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", token="{TOKEN}"'},
    )
    with DarkAIServer(reply=reply) as server:
        error, seen = fail(world, server.url, headers=SECRET_HEADERS)
    assert isinstance(error, AuthenticationError)
    assert "you sent ****" in str(error) and "you sent ****" in error.body
    assert error.headers["www-authenticate"] == 'Bearer error="invalid_token", token="****"'
    assert_no_secret(seen)
    assert_no_secret(log.text)


@pytest.mark.parametrize("world", WORLDS)
def test_overlapping_secrets_are_masked_whole(world: str) -> None:
    # "sec" (a cookie) is a prefix of the endpoint's password: masking the short one
    # first used to show "****ret123".
    async def handler(server: HandlerServer, request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=403, text="denied: user 'bob' with password 'secret123'")

    with HandlerServer(handler) as server:
        url = server.url().replace("http://", "http://bob:secret123@")
        error, seen = fail(world, url, headers={"Cookie": "sec"})
    assert isinstance(error, AuthenticationError)
    assert "password '****'" in str(error)
    assert "ret123" not in seen


def test_client_secrets_are_one_list_longest_first() -> None:
    options = ClientOptions.create(
        "http://bob:secret123@127.0.0.1:9/chat",
        proxy=None,
        timeout=None,
        max_retries=0,
        headers={"Cookie": "sec"},
        strict_models=True,
        on_mismatch="warn",
        verify=True,
        max_line_size=1024,
    )
    secrets = options.secrets
    assert secrets[-1] == "sec" and "secret123" in secrets
    assert [len(s) for s in secrets] == sorted(map(len, secrets), reverse=True)


@pytest.mark.parametrize("world", WORLDS)
def test_environment_proxy_secrets_join_the_list_in_order(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://envuser:secret123@127.0.0.1:9")
    headers = {"Cookie": "sec"}
    if world == "sync":
        with DarkAI("http://darkai.invalid/chat", headers=headers) as client:
            sync_transport = client._transport
            assert isinstance(sync_transport, SyncTransport)
            sync_transport._settings_for("http://darkai.invalid/chat")
            secrets = sync_transport._secrets
    else:
        transport = AsyncDarkAI("http://darkai.invalid/chat", headers=headers)._transport
        assert isinstance(transport, AsyncTransport)
        transport._proxy_for("http://darkai.invalid/chat")
        secrets = transport._secrets
    assert "secret123" in secrets and "sec" in secrets
    assert [len(s) for s in secrets] == sorted(map(len, secrets), reverse=True)
    assert len(set(secrets)) == len(secrets)


@pytest.mark.parametrize("world", WORLDS)
def test_an_error_event_echoing_the_token_is_masked(
    world: str, log: pytest.LogCaptureFixture
) -> None:
    reply = Reply(text="partial", chunk_size=3, error_after=1, echo_header="Authorization")
    with DarkAIServer(reply=reply) as server:
        error, seen = fail(world, server.url, headers=SECRET_HEADERS)
    assert isinstance(error, ServerEventError)
    assert str(error).endswith("The model failed while generating the reply. ****")
    assert error.partial_text == "par"
    assert_no_secret(seen)
    assert_no_secret(log.text)


@pytest.mark.parametrize("world", WORLDS)
def test_a_malformed_event_echoing_the_token_is_masked(world: str) -> None:
    reply = Reply(text="partial", chunk_size=3, malformed_after=1, malformed_data=f"bad {TOKEN}")
    with DarkAIServer(reply=reply) as server:
        error, seen = fail(world, server.url, headers=SECRET_HEADERS)
    assert isinstance(error, ProtocolError)
    assert error.line == "bad ****" and "'bad ****'" in str(error)
    assert error.partial_text == "par"
    assert_no_secret(seen)
