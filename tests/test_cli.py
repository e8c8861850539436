"""The ``darkai`` command, run as a subprocess against a local DarkAIServer on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from darkai_sdk import format_prompt
from darkai_sdk._cli._console import Console
from darkai_sdk._cli._exit import exit_code_table
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(sys.platform == "win32", reason="select() on pipes and SIGINT are POSIX"),
]

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 30.0
# The command as a user runs it, with Ctrl-C turned into KeyboardInterrupt even when
# the test runner was started with SIGINT ignored (as background jobs are).
SIGINT_WRAPPER = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('darkai_sdk', run_name='__main__', alter_sys=True)"
)
TEXT = "The quick brown fox jumps over the lazy dog."


def _env() -> dict[str, str]:
    """The environment of the command: this checkout importable, no proxies, no DARKAI_*."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy") and not name.startswith("DARKAI_")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def darkai(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m darkai_sdk ARGS`` to the end; stdin is empty unless given."""
    return subprocess.run(
        [sys.executable, "-m", "darkai_sdk", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=RUN_TIMEOUT,
        env=_env(),
        cwd=ROOT,
    )


@contextmanager
def started(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start the command with pipes for stdout and stderr; kill it if the test ends early.

    ``stdin`` is written to the command's stdin, which is then closed (default: empty);
    ``env`` is added to the environment.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", SIGINT_WRAPPER, *args],
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**_env(), **(env or {})},
        cwd=ROOT,
    )
    if process.stdin is not None and stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
        process.stdin = None  # so communicate() leaves it alone
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the command if it still runs; wait for it and close its pipes."""
    if process.poll() is None:
        process.kill()
    process.wait(RUN_TIMEOUT)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def read_until(
    process: subprocess.Popen[bytes], done: Callable[[bytes], bool], timeout: float = 20.0
) -> bytes:
    """Read the process's stdout as it comes until ``done(data)`` or its end."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while not done(data):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for output; got {data!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            piece = os.read(fd, 65536)
            if not piece:
                break
            data += piece
    return data


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    """Wait for the process; return its exit code and the rest of stdout and stderr."""
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    return process.returncode, out.decode(), err.decode()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_one_error_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("darkai: error: "), stderr
    assert "Traceback" not in stderr


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


# -- one reply --------------------------------------------------------------------


def test_prompt_reply_is_printed_to_stdout(server: DarkAIServer) -> None:
    result = darkai("--base-url", server.url, "hello", "there")
    assert result.returncode == 0, result.stderr
    assert result.stdout == default_reply_text("hello there", "llama-3-70b") + "\n"
    assert result.stderr == ""
    assert server.requests[-1].prompt == "hello there"


def test_chunks_are_printed_as_they_arrive(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, delay=0.2))  # 11 chunks over about 2 s
    with started("--base-url", server.url, "hi") as process:
        first = read_until(process, lambda data: len(data) > 0)
        first_at = time.monotonic()
        assert process.poll() is None, "the reply should still be streaming"
        code, rest, err = finish(process)
        ended_at = time.monotonic()
    assert code == 0, err
    assert TEXT.startswith(first.decode())
    assert first.decode() + rest == TEXT + "\n"
    assert ended_at - first_at > 1.0


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "piped"])
def test_prompt_is_read_from_stdin(server: DarkAIServer, args: list[str]) -> None:
    result = darkai("--base-url", server.url, *args, stdin="a prompt\nof two lines\n")
    assert result.returncode == 0, result.stderr
    assert server.requests[-1].prompt == "a prompt\nof two lines"
    assert result.stdout == default_reply_text("a prompt\nof two lines", "llama-3-70b") + "\n"


def test_an_empty_prompt_is_a_usage_error(server: DarkAIServer) -> None:
    result = darkai("--base-url", server.url, stdin="  \n")
    assert result.returncode == 2
    assert_one_error_line(result.stderr)
    assert server.requests == []


def test_system_and_model_reach_the_server(server: DarkAIServer) -> None:
    result = darkai("--base-url", server.url, "--system", "Be brief.", "-m", "llama-3.1-405b", "hi")
    assert result.returncode == 0, result.stderr
    request = server.requests[-1]
    assert request.model == "llama-3-405b"
    assert request.prompt == format_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    )


@pytest.mark.parametrize(
    ("final_response", "matches"), [(True, True), ("something else", False), (False, None)]
)
def test_json_prints_one_event_per_line_then_a_summary(
    server: DarkAIServer, final_response: bool | str, matches: bool | None
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=5, final_response=final_response))
    result = darkai("--base-url", server.url, "--json", "-m", "gpt-4o", "hi")
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    *texts, done = events
    assert [event["type"] for event in texts] == ["text"] * len(texts)
    assert [event["text"] for event in texts] == [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
    assert done["type"] == "done"
    assert done["model"] == "gpt-4o"
    assert done["characters"] == len(TEXT)
    assert isinstance(done["seconds"], float) and done["seconds"] >= 0
    assert done["final_message_matches"] is matches
    metrics = done["metrics"]
    assert (metrics["chars"], metrics["retries"]) == (len(TEXT), 0)
    assert metrics["events"] == len(texts) + (2 if final_response is not False else 1)
    assert 0 <= metrics["time_to_first_text"] <= metrics["elapsed"]
    assert metrics["chars_per_second"] == pytest.approx(len(TEXT) / metrics["elapsed"], rel=1e-3)
    if matches is False:
        assert result.stderr.startswith("darkai: warning: final-response")


def test_json_reports_an_error_with_the_partial_text(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=4, truncate_after=2))
    result = darkai("--base-url", server.url, "--json", "--max-retries", "0", "hi")
    assert result.returncode == 6
    *texts, error = json_lines(result.stdout)
    assert "".join(event["text"] for event in texts) == TEXT[:8]
    assert error["type"] == "error"
    assert error["error"] == "IncompleteStreamError"
    assert error["partial_text"] == TEXT[:8]
    assert (error["metrics"]["chars"], error["metrics"]["events"]) == (8, 2)
    assert error["message"] in result.stderr
    assert_one_error_line(result.stderr)


# -- errors and exit codes --------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "extra", "code", "partial"),
    [
        (Reply(text=TEXT, stall_after=2), ["--timeout", "1"], 4, TEXT[:8]),
        (Reply(status=500), [], 5, ""),
        (Reply(status=429, retry_after=0), [], 5, ""),
        (Reply(text=TEXT, malformed_after=2), [], 6, TEXT[:8]),
        (Reply(text=TEXT, truncate_after=3), [], 6, TEXT[:12]),
        (Reply(text=TEXT, cut_after=2), [], 6, TEXT[:8]),
        (Reply(text=TEXT, error_after=1), [], 6, TEXT[:4]),
        (Reply(text=TEXT, final_response="not the text"), ["--strict"], 6, TEXT),
    ],
    ids=[
        "timeout",
        "status-500",
        "status-429",
        "malformed",
        "truncated",
        "cut",
        "error-event",
        "strict-mismatch",
    ],
)
def test_a_failed_reply_exits_with_its_code_and_keeps_the_partial_text(
    server: DarkAIServer, reply: Reply, extra: list[str], code: int, partial: str
) -> None:
    server.reply(reply)
    result = darkai("--base-url", server.url, "--max-retries", "0", *extra, "hi")
    assert result.returncode == code, result.stderr
    assert result.stdout == (partial + "\n" if partial else "")
    assert_one_error_line(result.stderr)


def test_connection_refused_exits_3() -> None:
    url = f"http://127.0.0.1:{closed_port()}/chat"
    result = darkai("--base-url", url, "--max-retries", "0", "hi")
    assert result.returncode == 3
    assert result.stdout == ""
    assert_one_error_line(result.stderr)


def test_unknown_model_exits_7_before_sending(server: DarkAIServer) -> None:
    result = darkai("--base-url", server.url, "-m", "gpt-9", "hi")
    assert result.returncode == 7
    assert_one_error_line(result.stderr)
    assert "gpt-4o" in result.stderr  # the message lists the valid names
    assert server.requests == []


def test_a_retried_failure_is_invisible(server: DarkAIServer) -> None:
    server.fail_next(1, status=503, retry_after=0)
    result = darkai("--base-url", server.url, "--max-retries", "1", "hi")
    assert result.returncode == 0, result.stderr
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "args",
    [["--max-retries", "-1", "x"], ["--timeout", "0", "x"], ["--local", "--base-url", "u", "x"]],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    result = darkai(*args)
    assert result.returncode == 2
    assert "darkai: error:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--base-url", "ftp://example.com/chat"],
            "base_url must be an absolute http:// or https:// URL, got 'ftp://example.com/chat'",
        ),
        (["--base-url", "http://[::1"], "base_url must be an absolute http:// or https:// URL"),
        (
            ["--proxy", "socks5://127.0.0.1:1"],
            "proxy must be an http:// or https:// URL, got 'socks5://127.0.0.1:1'",
        ),
        (["chat", "--proxy", "file:///tmp/x"], "proxy must be an http:// or https:// URL"),
    ],
    ids=["base-url-not-http", "base-url-unparsable", "proxy-not-http", "chat-proxy-not-http"],
)
def test_a_bad_base_url_or_proxy_is_a_usage_error(args: list[str], message: str) -> None:
    result = darkai(*args, *([] if "chat" in args else ["hi"]))
    assert result.returncode == 2
    assert_one_error_line(result.stderr)
    assert result.stderr.startswith("darkai: error: " + message), result.stderr
    assert result.stdout == ""


def test_debug_adds_the_traceback() -> None:
    url = f"http://127.0.0.1:{closed_port()}/chat"
    result = darkai("--base-url", url, "--max-retries", "0", "--debug", "hi")
    assert result.returncode == 3
    assert "darkai: error: " in result.stderr
    assert "Traceback" in result.stderr


def test_proxy_credentials_never_appear() -> None:
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{closed_port()}"
    for extra in ([], ["--debug"], ["--json"]):
        result = darkai("--proxy", proxy, "--max-retries", "0", *extra, "hi")
        assert result.returncode == 3, result.stderr
        assert "s3cret-pw" not in result.stdout + result.stderr


# -- Ctrl-C and closed pipes ------------------------------------------------------


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
def test_ctrl_c_stops_at_once_and_keeps_the_partial_output(
    server: DarkAIServer, json_mode: bool
) -> None:
    server.reply(Reply(text=TEXT, chunk_size=6, stall_after=2))
    args = ["--json"] if json_mode else []
    with started("--base-url", server.url, *args, "hi") as process:
        if json_mode:
            shown = read_until(process, lambda data: data.count(b"\n") >= 2)
        else:
            shown = read_until(process, lambda data: len(data) >= 12)
        time.sleep(0.2)
        assert process.poll() is None, "the stream is stalled, so the command still runs"
        interrupted_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        code, rest, err = finish(process)
    assert time.monotonic() - interrupted_at < 5
    assert code == 130
    assert "Traceback" not in err
    output = shown.decode() + rest
    if json_mode:
        *texts, last = json_lines(output)
        assert "".join(event["text"] for event in texts) == TEXT[:12]
        metrics = last.pop("metrics")
        assert metrics["chars"] == 12 and metrics["events"] == 2
        assert last == {
            "type": "error",
            "error": "KeyboardInterrupt",
            "message": "interrupted",
            "partial_text": TEXT[:12],
        }
    else:
        assert output == TEXT[:12] + "\n"


def test_a_closed_stdout_ends_quietly(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=2, delay=0.05))
    with started("--base-url", server.url, "hi") as process:
        read_until(process, lambda data: len(data) > 0)
        assert process.stdout is not None
        process.stdout.close()
        assert process.stderr is not None
        err = process.stderr.read().decode()
        code = process.wait(RUN_TIMEOUT)
    assert code == 141
    assert err == ""


# -- chat -------------------------------------------------------------------------


def test_chat_keeps_the_conversation_and_obeys_commands(server: DarkAIServer) -> None:
    script = "hello\n/model gpt-4o\nsecond question\n/reset\nthird\n/exit\nnever sent\n"
    result = darkai("chat", "--base-url", server.url, stdin=script)
    assert result.returncode == 0, result.stderr
    first, second, third = server.requests
    first_reply = default_reply_text("hello", "llama-3-70b")
    assert first.prompt == "hello"
    assert first.model == "llama-3-70b"
    assert second.model == "gpt-4o"
    assert second.prompt == format_prompt(
        [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": first_reply},
            {"role": "user", "content": "second question"},
        ]
    )
    assert third.prompt == "third"  # /reset forgot the first two turns
    assert third.model == "gpt-4o"
    assert result.stdout.splitlines()[0] == first_reply
    assert result.stdout.endswith(default_reply_text("third", "gpt-4o") + "\n")
    assert "model gpt-4o" in result.stderr


def test_chat_keeps_the_system_message_across_reset(server: DarkAIServer) -> None:
    result = darkai(
        "chat", "--base-url", server.url, "--system", "Be kind.", stdin="a\n/reset\nb\n"
    )
    assert result.returncode == 0, result.stderr
    prompts = [request.prompt for request in server.requests]
    assert prompts == [
        format_prompt([{"role": "system", "content": "Be kind."}, {"role": "user", "content": q}])
        for q in ("a", "b")
    ]


def test_chat_goes_on_after_a_failed_turn_and_exits_with_its_code(server: DarkAIServer) -> None:
    server.enqueue(Reply(text=TEXT, truncate_after=1))
    result = darkai("chat", "--base-url", server.url, "--max-retries", "0", stdin="one\ntwo\n")
    assert result.returncode == 6
    assert_one_error_line(result.stderr)
    assert result.stdout.startswith(TEXT[:4] + "\n")  # the partial reply stays
    # The failed turn is left out of the conversation.
    assert server.requests[-1].prompt == "two"


def test_chat_reports_a_bad_model_and_keeps_the_old_one(server: DarkAIServer) -> None:
    result = darkai("chat", "--base-url", server.url, stdin="/model nope\nhi\n")
    assert result.returncode == 7
    assert "unknown model 'nope'" in result.stderr
    assert server.requests[-1].model == "llama-3-70b"


def test_chat_ctrl_c_exits_130_keeping_the_partial_reply(server: DarkAIServer) -> None:
    server.reply(Reply(text=TEXT, chunk_size=6, stall_after=1))
    with started("chat", "--base-url", server.url, stdin=b"first\nsecond\n") as process:
        shown = read_until(process, lambda data: len(data) >= 6)
        process.send_signal(signal.SIGINT)
        code, rest, err = finish(process)
    assert code == 130
    assert shown.decode() + rest == TEXT[:6] + "\n"
    assert "Traceback" not in err
    assert len(server.requests) == 1


def test_chat_reports_an_unknown_command_and_goes_on(server: DarkAIServer) -> None:
    result = darkai("chat", "--base-url", server.url, stdin="/nope now\n\n/model\nhi\n")
    assert result.returncode == 2  # the session's last error: a usage error
    lines = result.stderr.splitlines()
    assert lines[0] == "darkai: error: unknown command /nope; /help lists the commands"
    assert lines[1] == "darkai: model llama-3-70b"  # /model alone shows the model
    assert [request.prompt for request in server.requests] == ["hi"]  # the blank line is skipped
    assert result.stdout == default_reply_text("hi", "llama-3-70b") + "\n"


def test_chat_ctrl_c_while_waiting_for_input_exits_130(server: DarkAIServer) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SIGINT_WRAPPER, "chat", "--base-url", server.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert process.stdin is not None
        process.stdin.write(b"hi\n")
        process.stdin.flush()
        reply = default_reply_text("hi", "llama-3-70b") + "\n"
        shown = read_until(process, lambda data: data == reply.encode())
        process.send_signal(signal.SIGINT)  # it now waits for the next line
        out, err = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        _stop(process)
    assert process.returncode == 130
    assert (shown + out).decode() == reply
    assert "Traceback" not in err.decode()


@contextmanager
def on_a_terminal(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Start the command with a terminal (a pty) as its stdin; yield it and the pty's master."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", SIGINT_WRAPPER, *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    os.close(slave)
    try:
        yield process, master
    finally:
        _stop(process)
        os.close(master)


PROMPT = b"you> "


def test_chat_at_a_terminal_prompts_and_ctrl_c_at_the_prompt_exits_130(
    server: DarkAIServer,
) -> None:
    with on_a_terminal("chat", "--base-url", server.url) as (process, terminal):
        assert read_until(process, lambda data: data.endswith(PROMPT)) == PROMPT
        os.write(terminal, b"hi\n")
        reply = default_reply_text("hi", "llama-3-70b").encode()
        shown = read_until(process, lambda data: data.endswith(PROMPT))
        assert shown == reply + b"\n\n" + PROMPT  # a blank line after each reply
        process.send_signal(signal.SIGINT)
        code, rest, err = finish(process)
    assert code == 130
    assert rest == ""
    assert err.startswith("darkai chat: model llama-3-70b; /help for commands, Ctrl-D to leave\n")
    assert "Traceback" not in err


def test_chat_at_a_terminal_ends_at_ctrl_d(server: DarkAIServer) -> None:
    with on_a_terminal("chat", "--base-url", server.url) as (process, terminal):
        assert read_until(process, lambda data: data.endswith(PROMPT)) == PROMPT
        os.write(terminal, b"\x04")  # Ctrl-D: the end of input
        code, rest, err = finish(process)
    assert code == 0
    assert rest == "\n"  # the prompt's line is ended
    assert "Traceback" not in err
    assert server.requests == []


def test_chat_at_a_terminal_ctrl_c_stops_only_the_reply(server: DarkAIServer) -> None:
    server.enqueue(Reply(text=TEXT, chunk_size=6, stall_after=1))
    with on_a_terminal("chat", "--base-url", server.url) as (process, terminal):
        read_until(process, lambda data: data.endswith(PROMPT))
        os.write(terminal, b"first\n")
        assert read_until(process, lambda data: len(data) >= 6) == TEXT[:6].encode()
        process.send_signal(signal.SIGINT)
        assert read_until(process, lambda data: data.endswith(PROMPT)) == b"\n\n" + PROMPT
        os.write(terminal, b"second\n")
        reply = default_reply_text("second", "llama-3-70b").encode()
        assert read_until(process, lambda data: data.endswith(PROMPT)) == reply + b"\n\n" + PROMPT
        os.write(terminal, b"\x04")
        code, _, err = finish(process)
    assert code == 0
    assert "darkai: reply interrupted (left out of the conversation)" in err
    # The interrupted turn is left out: the second request carries no trace of it.
    assert [request.prompt for request in server.requests] == ["first", "second"]


def test_chat_help_lists_the_commands() -> None:
    result = darkai("chat", stdin="/help\n")
    assert result.returncode == 0
    for command in ("/model", "/reset", "/help", "/exit"):
        assert command in result.stderr
    assert result.stdout == ""


# -- models, --local, serve, help -------------------------------------------------


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
        env=_env(),
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]", result.stderr


# -- the spinner (in process: it needs a terminal) --------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_spinner_shows_on_a_terminal_and_erases_itself() -> None:
    stderr = _Terminal()
    console = Console(None, io.StringIO(), stderr)
    console.start_spinner()
    # However slowly its thread is scheduled, a spinner draws twice and moves on.
    assert _wait_for(lambda: stderr.getvalue().count("waiting for the reply") >= 2)
    console.stop_spinner()
    drawn = stderr.getvalue()
    first, second = drawn.split("\r\x1b[K")[1:3]
    assert first.endswith(" waiting for the reply") and second.endswith(" waiting for the reply")
    assert first[0] != second[0]  # the frame turned
    assert drawn.endswith("\r\x1b[K")
    console.stop_spinner()
    assert stderr.getvalue() == drawn  # stopping twice draws nothing more


def test_no_spinner_when_stderr_is_not_a_terminal() -> None:
    stderr = io.StringIO()
    console = Console(None, io.StringIO(), stderr)
    # A spinner on a terminal, started at the same time, shows how long is long enough.
    terminal = _Terminal()
    witness = Console(None, io.StringIO(), terminal)
    console.start_spinner()
    witness.start_spinner()
    assert _wait_for(lambda: "waiting for the reply" in terminal.getvalue())
    console.stop_spinner()
    witness.stop_spinner()
    assert stderr.getvalue() == ""


# -- a hostile server cannot drive the terminal (issue 12, item 11) -------------------------

# Clear the screen, set the window title, ring the bell, return to the line's start,
# a one-character CSI, a bidi override that reverses what follows, DEL.
HOSTILE = "boom\x1b[2J\x1b]0;pwned\x07 bell\x07 cr\rover \x9b31m \u202eevil\x7f"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f")


def assert_no_raw_control(text: str) -> None:
    """Nothing a terminal would act on: only printable text and line ends."""
    found = [char for char in RAW_CONTROLS if char in text]
    assert not found and "\r" not in text.replace("\r\n", "\n"), repr(text)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text=TEXT, error_after=1, error_message=HOSTILE),
        Reply(status=500, body=HOSTILE),
        Reply(status=400, body=json.dumps({"error": {"message": HOSTILE}})),
        # A CR would end the line: keep the rest on one.
        Reply(text=TEXT, malformed_after=1, malformed_data=HOSTILE.replace("\r", "")),
    ],
    ids=["error-event", "status-body", "status-json", "protocol-error"],
)
@pytest.mark.parametrize("output", [[], ["--debug"], ["--json"]], ids=["text", "debug", "json"])
def test_control_characters_from_the_server_reach_stderr_escaped(
    server: DarkAIServer, reply: Reply, output: list[str]
) -> None:
    server.reply(reply)
    result = darkai("--base-url", server.url, "--max-retries", "0", *output, "hi")
    assert result.returncode in (5, 6), result.stderr
    assert_no_raw_control(result.stderr)
    assert "boom\\x1b[2J\\x1b]0;pwned\\x07 bell\\x07" in result.stderr
    assert "\\x9b31m" in result.stderr and "\\u202eevil\\x7f" in result.stderr
    if output == ["--json"]:
        assert_no_raw_control(result.stdout)  # JSON escapes them itself
        assert "pwned" in json_lines(result.stdout)[-1]["message"]
    elif output == ["--debug"]:
        assert "Traceback" in result.stderr  # escaped too, and still there


def test_log_records_and_warnings_are_shown_escaped() -> None:
    import warnings

    from darkai_sdk import StreamIntegrityWarning
    from darkai_sdk._logging import logger
    from darkai_sdk.cli import _sdk_messages_to

    stderr = io.StringIO()
    console = Console(None, io.StringIO(), stderr, debug=True)
    with _sdk_messages_to(console):
        logger.debug("following redirect to %s", "http://x/\x1b]0;t\x07")
        warnings.warn("differs \x1b[2J", StreamIntegrityWarning, stacklevel=1)
    assert stderr.getvalue() == (
        "darkai: debug: following redirect to http://x/\\x1b]0;t\\x07\n"
        "darkai: warning: differs \\x1b[2J\n"
    )


def _on_a_terminal(*args: str, stream: str = "stdout") -> tuple[int, str, str]:
    """Run the command with ``stream`` (stdout or stderr) on a pseudo-terminal.

    Return its exit code, what the terminal showed and the other stream.
    """
    import pty

    controller, terminal = pty.openpty()
    on_stdout = stream == "stdout"
    with subprocess.Popen(
        [sys.executable, "-m", "darkai_sdk", *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal if on_stdout else subprocess.PIPE,
        stderr=subprocess.PIPE if on_stdout else terminal,
        env=_env(),
        cwd=ROOT,
    ) as process:
        os.close(terminal)
        out = b""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    piece = os.read(controller, 65536)
                except OSError:  # EIO: the command has exited and closed the terminal
                    break
                if not piece:
                    break
                out += piece
            elif process.poll() is not None:
                break
        os.close(controller)
        other = process.stderr if on_stdout else process.stdout
        assert other is not None
        err = other.read()
        code = process.wait(RUN_TIMEOUT)
    # The terminal turns each "\n" into "\r\n" on output (onlcr).
    return code, out.decode().replace("\r\n", "\n"), err.decode()


REPLY_WITH_CONTROLS = "Hi \x1b[31mred\x1b[0m\ttab\r\nnext\rback \x9b2J\x07 \u05d0\u202e!"


def test_reply_text_on_a_terminal_shows_control_characters_escaped(server: DarkAIServer) -> None:
    # Chunks of 3 split "\r\n" and the escape sequences across chunks.
    server.reply(Reply(text=REPLY_WITH_CONTROLS, chunk_size=3))
    code, out, err = _on_a_terminal("--base-url", server.url, "hi")
    assert code == 0, err
    # Newline and tab pass, CRLF is a newline, letters of any script pass; every
    # other control character (bidi controls too) is shown escaped.
    assert out == "Hi \\x1b[31mred\\x1b[0m\ttab\nnext\\rback \\x9b2J\\x07 \u05d0\\u202e!\n"


def test_reply_text_to_a_pipe_is_written_exactly(server: DarkAIServer) -> None:
    server.reply(Reply(text=REPLY_WITH_CONTROLS, chunk_size=3))
    result = subprocess.run(
        [sys.executable, "-m", "darkai_sdk", "--base-url", server.url, "hi"],
        capture_output=True,  # bytes: no newline translation
        timeout=RUN_TIMEOUT,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPLY_WITH_CONTROLS + "\n").encode()


def test_reply_text_with_json_is_exact_after_decoding(server: DarkAIServer) -> None:
    server.reply(Reply(text=REPLY_WITH_CONTROLS, chunk_size=3))
    result = darkai("--base-url", server.url, "--json", "hi")
    assert result.returncode == 0, result.stderr
    *texts, _done = json_lines(result.stdout)
    assert "".join(event["text"] for event in texts) == REPLY_WITH_CONTROLS
    assert_no_raw_control(result.stdout)


@pytest.mark.parametrize(
    ("chunks", "shown"),
    [
        (["a\r", "\nb"], "a\nb\n"),  # CRLF split between chunks
        (["a\r", "b"], "a\\rb\n"),  # a lone CR
        (["a\r"], "a\\r\n"),  # a CR at the very end
        (["\x1b", "[2J"], "\\x1b[2J\n"),
        (["tab\there\n"], "tab\there\n"),
    ],
)
def test_text_renderer_on_a_terminal(chunks: list[str], shown: str) -> None:
    from darkai_sdk._cli._render import Summary, TextRenderer

    out = io.StringIO()
    renderer = TextRenderer(out, terminal=True)
    renderer.begin()
    for chunk in chunks:
        renderer.text(chunk)
    renderer.done(Summary("m", 0, 0.0, None))
    assert out.getvalue() == shown


def test_escape_controls_covers_c0_del_c1_bidi_and_surrogates() -> None:
    from darkai_sdk._cli._console import escape_controls

    text = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)])) + "\u202a\u2066\udcff"
    escaped = escape_controls(text)
    assert escaped.isascii() and escaped.isprintable()
    assert escaped.startswith("\\x00\\x01") and "\\t\\n\\x0b\\x0c\\r" in escaped
    assert escaped.endswith("\\x9f\\u202a\\u2066\\udcff")
    assert escape_controls("a\nb\tc", keep="\n") == "a\nb\\tc"
    assert escape_controls("café 🙂 \u05d0") == "café 🙂 \u05d0"


# -- a prompt that is not UTF-8 (issue 12, item 12) ----------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [([b"caf\xff"], b"the prompt"), ([b"--system", b"\xfe", b"hi"], b"the --system text")],
)
def test_a_byte_that_is_not_utf8_in_the_arguments_is_a_usage_error_naming_it(
    server: DarkAIServer, args: list[bytes], what: bytes
) -> None:
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"darkai_sdk", b"--base-url", server.url.encode(), *args],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 2
    byte = args[-1][-1] if what == b"the prompt" else args[1][0]
    assert result.stderr == (
        b"darkai: error: "
        + what
        + b" is not valid UTF-8: it holds the byte 0x%02X" % byte
        + b" at character %d (is the terminal's or the shell's encoding UTF-8?)\n"
        % (3 if what == b"the prompt" else 0)
    )
    assert server.requests == []


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_shown_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], debug: bool
) -> None:
    import darkai_sdk.cli

    def broken(*args: Any) -> int:
        raise RuntimeError("\x1b]0;pwned\x07")

    monkeypatch.setattr(darkai_sdk.cli, "_run", broken)
    code = darkai_sdk.cli.main([*(["--debug"] if debug else []), "--local", "hi"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("darkai: error: unexpected RuntimeError: \\x1b]0;pwned\\x07")
    assert_no_raw_control(err)
    assert ("Traceback" in err) is debug


def test_emoji_split_into_utf16_halves_is_printed_whole(server: DarkAIServer) -> None:
    text = "Smile 🙂, rocket 🚀, thumbs 👍🏽."
    server.reply(Reply(text=text, chunk_size=1, chunk_units="utf-16"))
    result = darkai("--base-url", server.url, "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == text + "\n"
    assert "?" not in result.stdout
    assert "Warning" not in result.stderr
