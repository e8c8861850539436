"""The ``darkai_sdk`` logger: what each request says, at which level, and DARKAI_LOG."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from darkai_sdk import AsyncDarkAI, DarkAI, IncompleteStreamError, Timeout
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Twelve chars" * 4
WORLDS = ["sync", "async"]
QUICK = Timeout(connect=2, read=5, total=10)


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    return caplog


def ours(log: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in log.records if r.name == "darkai_sdk"]


def complete(world: str, url: str, model: str | None = None, **options: Any) -> str:
    options.setdefault("timeout", QUICK)
    if world == "sync":
        with DarkAI(url, **options) as client:
            return client.complete("hi", model)

    async def run() -> str:
        async with AsyncDarkAI(url, **options) as client:
            return await client.complete("hi", model)

    return asyncio.run(run())


@pytest.mark.parametrize("world", WORLDS)
def test_request_start_is_logged_at_debug_with_method_url_and_model(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    complete(world, server.url, "gpt-4o")
    starts = [r for r in ours(log) if r.getMessage().startswith("POST ")]
    assert [r.getMessage() for r in starts] == [f"POST {server.url} model=gpt-4o"]
    assert starts[0].levelno == logging.DEBUG


@pytest.mark.parametrize("world", WORLDS)
def test_request_start_url_shows_no_credentials(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    url = server.url.replace("http://", "http://alice:hunter2pw@")
    complete(world, url)
    assert f"POST http://****@127.0.0.1:{server.port}/chat model=llama-3-70b" in log.messages
    assert "hunter2pw" not in log.text and "alice" not in log.text


@pytest.mark.parametrize("world", WORLDS)
def test_every_attempt_logs_its_start_and_each_retry_its_reason_and_delay(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT))
    server.fail_next(2, status=503, retry_after=0)
    assert complete(world, server.url, max_retries=2) == TEXT
    messages = [r.getMessage() for r in ours(log)]
    starts = [m for m in messages if m.startswith("POST ")]
    retries = [r for r in ours(log) if r.getMessage().startswith("retry ")]
    assert len(starts) == 3
    assert [r.levelno for r in retries] == [logging.INFO, logging.INFO]
    assert retries[0].getMessage().startswith("retry 1 of 2 in 0.00 s after: HTTP 503")
    assert retries[1].getMessage().startswith("retry 2 of 2 in 0.00 s after: HTTP 503")


@pytest.mark.parametrize("world", WORLDS)
def test_stream_end_is_logged_with_characters_events_and_seconds(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, unknown_events=True))
    complete(world, server.url)
    (end,) = [r for r in ours(log) if r.getMessage().startswith("stream end")]
    assert end.levelno == logging.DEBUG
    assert isinstance(end.args, tuple)
    characters, chunks, unknown, seconds = end.args
    chunk_count = -(-len(TEXT) // 5)
    assert characters == len(TEXT)
    assert chunks == chunk_count
    # One unknown event before every event: the chunks, final-response, stream-end.
    assert unknown == chunk_count + 2
    assert isinstance(seconds, float) and 0 < seconds < 5
    assert f"{len(TEXT)} characters" in end.getMessage()
    assert end.getMessage().endswith(" s")


@pytest.mark.parametrize("world", WORLDS)
def test_a_clean_request_logs_nothing_above_debug(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    complete(world, server.url)
    assert [r.getMessage() for r in ours(log) if r.levelno > logging.DEBUG] == []


@pytest.mark.parametrize("world", WORLDS)
def test_a_failed_stream_logs_no_stream_end(
    world: str, server: DarkAIServer, log: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(text=TEXT, truncate_after=2))
    with pytest.raises(IncompleteStreamError):
        complete(world, server.url, max_retries=0)
    assert not any(m.startswith("stream end") for m in log.messages)


# -- DARKAI_LOG ----------------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from darkai_sdk import AsyncDarkAI, DarkAI
    from darkai_sdk.testing import DarkAIServer, Reply

    with DarkAIServer() as server:
        server.reply(Reply(text="pong"))
        server.fail_next(1, status=503, retry_after=0)
        with DarkAI(server.url) as client:
            assert client.complete("sync ping") == "pong"

        async def main():
            async with AsyncDarkAI(server.url) as client:
                return await client.complete("async ping")

        assert asyncio.run(main()) == "pong"
        if "--insecure" in sys.argv:
            DarkAI(server.url, verify=False)
    print("done")
    """
)


def run_script(level: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DARKAI_")}
    env = {k: v for k, v in env.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if level is not None:
        env["DARKAI_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.parametrize("level", ["debug", "DEBUG", " Debug "])
def test_darkai_log_debug_turns_the_log_on_without_code(level: str) -> None:
    result = run_script(level)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    lines = result.stderr.splitlines()
    starts = [line for line in lines if "darkai_sdk DEBUG POST http://127.0.0.1:" in line]
    retries = [line for line in lines if "darkai_sdk INFO retry 1 of 2 in 0.00 s" in line]
    ends = [line for line in lines if "darkai_sdk DEBUG stream end: 4 characters" in line]
    assert len(starts) == 3  # the failed attempt, its retry, the async request
    assert len(retries) == 1
    assert len(ends) == 2


def test_darkai_log_info_shows_retries_but_not_debug_lines() -> None:
    result = run_script("info")
    assert result.returncode == 0, result.stderr
    assert "darkai_sdk INFO retry 1 of 2" in result.stderr
    assert "DEBUG" not in result.stderr


def test_darkai_log_warning_shows_only_warnings() -> None:
    result = run_script("warning", "--insecure")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "darkai_sdk WARNING TLS certificate verification is OFF" in lines[0]


@pytest.mark.parametrize("level", [None, "", "verbose", "0"])
def test_without_darkai_log_nothing_is_logged(level: str | None) -> None:
    result = run_script(level)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == "done\n"
