"""The ``darkai`` command's one reply: output, errors and exit codes, Ctrl-C and closed pipes."""

from __future__ import annotations

import signal
import time

import pytest
from cli_support import (
    POSIX_ONLY,
    RUN_TIMEOUT,
    TEXT,
    assert_one_error_line,
    darkai,
    finish,
    json_lines,
    read_until,
    started,
)
from rawservers import closed_port

from darkai_sdk import format_prompt
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = [pytest.mark.timeout(60), POSIX_ONLY]


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
