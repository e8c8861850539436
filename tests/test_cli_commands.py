"""``darkai models``, ``--local``, ``serve`` and ``--help``."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import pytest
from cli_support import (
    POSIX_ONLY,
    ROOT,
    RUN_TIMEOUT,
    assert_one_error_line,
    command_env,
    darkai,
    finish,
    read_until,
    started,
)

from darkai_sdk._cli._exit import exit_code_table
from darkai_sdk.testing import default_reply_text

pytestmark = [pytest.mark.timeout(60), POSIX_ONLY]


def test_models_lists_models_and_aliases_marking_the_default() -> None:
    result = darkai("models")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "gpt-4o",
        "gpt-3.5-turbo",
        "llama-3-70b",
        "llama-3-405b",
        "llama-3.1-70b",
        "llama-3.1-405b",
    ]
    assert [line for line in lines if "(default)" in line] == ["llama-3-70b     (default)"]
    assert "llama-3.1-405b  -> llama-3-405b" in lines
    catalog = json.loads(darkai("models", "--json").stdout)
    assert catalog["default"] == "llama-3-70b"
    assert catalog["aliases"]["llama-3.1-70b"] == "llama-3-70b"


def test_local_streams_a_reply_from_the_built_in_server() -> None:
    with started("--local", "-m", "gpt-4o", "hi") as process:
        first = read_until(process, lambda data: len(data) > 0)
        assert process.poll() is None, "chunks are paced, so the reply is still streaming"
        code, rest, err = finish(process)
    assert code == 0, err
    assert first.decode() + rest == default_reply_text("hi", "gpt-4o") + "\n"


def test_serve_runs_until_ctrl_c() -> None:
    with started("serve", "--port", "0", "--delay", "0") as process:
        url = read_until(process, lambda data: data.endswith(b"\n")).decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/chat")
        result = darkai("--base-url", url, "ping")
        assert result.stdout == default_reply_text("ping", "llama-3-70b") + "\n"
        process.send_signal(signal.SIGINT)
        code, _, err = finish(process)
    assert code == 130
    assert "Traceback" not in err


def test_serve_on_a_busy_port_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = darkai("serve", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert_one_error_line(result.stderr)


def test_help_documents_the_exit_codes() -> None:
    result = darkai("--help")
    assert result.returncode == 0
    assert exit_code_table() in result.stdout
    import darkai_sdk.cli

    assert darkai_sdk.cli.__doc__ is not None
    assert exit_code_table(indent=4) in darkai_sdk.cli.__doc__


def test_importing_the_cli_loads_no_http_library() -> None:
    heavy = ("requests", "aiohttp", "darkai_sdk._sync._client", "darkai_sdk.testing")
    code = f"import sys, darkai_sdk.cli; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=command_env(),
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]", result.stderr
