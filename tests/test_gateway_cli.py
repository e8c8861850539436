"""``darkai gateway``, run as a subprocess: it serves any OpenAI client and stops on Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import sys
import urllib.request
from collections.abc import Iterator

import openai
import pytest
from cli_support import darkai, finish, read_until, started
from wire_support import wait_until

from darkai_sdk._cli._gateway import _is_loopback
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(sys.platform == "win32", reason="select() on pipes and SIGINT are POSIX"),
]

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


def base_url(process: object) -> str:
    """The URL the gateway prints first, on stdout."""
    line = read_until(process, lambda data: data.endswith(b"\n"))  # type: ignore[arg-type]
    url = line.decode().strip()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), url
    return url


def test_local_serves_the_openai_client_until_ctrl_c() -> None:
    with started("gateway", "--local", "--port", "0") as process:
        url = base_url(process)
        with openai.OpenAI(base_url=url, api_key="any", max_retries=0) as client:
            chunks = [
                chunk.choices[0].delta.content or ""
                for chunk in client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
                )
            ]
            models = [model.id for model in client.models.list().data]
        process.send_signal(signal.SIGINT)
        code, _, err = finish(process)
    assert "".join(chunks) == default_reply_text("hi", "gpt-4o")
    assert len([c for c in chunks if c]) > 1  # the local server paces its chunks
    assert "gpt-4o" in models
    assert code == 130
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith("darkai: OpenAI-compatible gateway to http://127.0.0.1:")
    assert f"OPENAI_BASE_URL={url}" in lines[0]
    logged = [line for line in lines if '"POST /v1/chat/completions"' in line]
    assert len(logged) == 1 and " 200 " in logged[0] and "chars whole" in logged[0]
    assert len([line for line in lines if '"GET /v1/models"' in line]) == 1


@pytest.mark.parametrize(("sent", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_ctrl_c_or_sigterm_ends_a_stream_in_flight_with_an_error_event(
    server: DarkAIServer, sent: signal.Signals, exit_code: int
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, stall_after=2))
    with started("gateway", "--base-url", server.url, "--port", "0") as process:
        url = base_url(process)
        body = json.dumps(
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        ).encode()
        request = urllib.request.Request(
            url + "/chat/completions", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            first = response.readline() + response.readline()
            process.send_signal(sent)
            rest = response.read()
        code, _, err = finish(process)
    assert b'"role":"assistant"' in first
    assert b"[DONE]" not in rest
    last = (first + rest).rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
    error = json.loads(last.removeprefix(b"data: "))["error"]
    assert error["code"] == "shutting_down" and "after 8 characters" in error["message"]
    assert code == exit_code and "Traceback" not in err
    assert wait_until(lambda: server.active_streams == 0)


@pytest.mark.parametrize("from_env", [False, True])
def test_the_api_key_is_required_and_never_printed(server: DarkAIServer, from_env: bool) -> None:
    key = "gw-cli-key-5e8d"
    option = [] if from_env else ["--api-key", key]
    env = {"DARKAI_GATEWAY_API_KEY": key} if from_env else {}
    with started("gateway", "--base-url", server.url, "--port", "0", *option, env=env) as process:
        url = base_url(process)
        with openai.OpenAI(base_url=url, api_key="wrong", max_retries=0) as client:
            with pytest.raises(openai.AuthenticationError):
                client.models.list()
        with openai.OpenAI(base_url=url, api_key=key, max_retries=0) as client:
            assert client.models.retrieve("gpt-4o").id == "gpt-4o"
        process.send_signal(signal.SIGINT)
        code, out, err = finish(process)
    assert code == 130
    assert key not in out and key not in err
    assert " 401 " in err and "<your key>" in err


def test_a_busy_port_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = darkai("gateway", "--local", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.startswith("darkai: error: cannot serve on 127.0.0.1:")


@pytest.mark.parametrize(
    "args",
    [
        ["--api-key", "two words"],
        ["--base-url", "ftp://example.com/chat"],
        ["--timeout", "0"],
        ["--base-url", "http://x/chat", "--local"],
    ],
)
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    result = darkai("gateway", "--port", "0", *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_only_loopback_addresses_count_as_private() -> None:
    assert all(_is_loopback(host) for host in ("127.0.0.1", "127.8.9.1", "::1", "localhost"))
    assert not any(_is_loopback(host) for host in ("0.0.0.0", "::", "192.168.1.2", "example.com"))


def test_help_shows_the_gateway() -> None:
    overview = darkai("--help").stdout
    assert "darkai gateway" in overview
    usage = darkai("gateway", "--help").stdout
    for option in ("--host", "--port", "--base-url", "--api-key", "--timeout", "--local"):
        assert option in usage
