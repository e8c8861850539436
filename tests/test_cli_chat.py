"""``darkai chat``: the conversation, its commands, Ctrl-C, at a terminal and from a pipe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cli_support import (
    POSIX_ONLY,
    ROOT,
    RUN_TIMEOUT,
    SIGINT_WRAPPER,
    TEXT,
    assert_one_error_line,
    command_env,
    darkai,
    finish,
    read_until,
    started,
    stop_command,
)

from darkai_sdk import format_prompt
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = [pytest.mark.timeout(60), POSIX_ONLY]


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
        env=command_env(),
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
        stop_command(process)
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
        env=command_env(),
        cwd=ROOT,
    )
    os.close(slave)
    try:
        yield process, master
    finally:
        stop_command(process)
        os.close(master)


PROMPT = b"you> "


def interrupt_until_it_exits(process: subprocess.Popen[bytes], bound: float = 20.0) -> None:
    """Press Ctrl-C at the prompt, again if need be, as a user would.

    CPython's readline does not look for a signal that arrives after it drew the
    prompt but before it waits for input, so a single Ctrl-C at that instant
    goes unseen (a second one is always seen). Fails if it never exits.
    """
    deadline = time.monotonic() + bound
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            continue
    assert process.poll() is not None, "Ctrl-C at the prompt did not end darkai chat"


def test_chat_at_a_terminal_prompts_and_ctrl_c_at_the_prompt_exits_130(
    server: DarkAIServer,
) -> None:
    with on_a_terminal("chat", "--base-url", server.url) as (process, terminal):
        assert read_until(process, lambda data: data.endswith(PROMPT)) == PROMPT
        os.write(terminal, b"hi\n")
        reply = default_reply_text("hi", "llama-3-70b").encode()
        shown = read_until(process, lambda data: data.endswith(PROMPT))
        assert shown == reply + b"\n\n" + PROMPT  # a blank line after each reply
        interrupt_until_it_exits(process)
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
