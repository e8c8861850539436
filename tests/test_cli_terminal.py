"""What the ``darkai`` command shows: the spinner, and no raw control character from a server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from cli_support import (
    POSIX_ONLY,
    ROOT,
    RUN_TIMEOUT,
    TEXT,
    command_env,
    darkai,
    json_lines,
    run_on_a_terminal,
)

from darkai_sdk._cli._console import Console
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = [pytest.mark.timeout(60), POSIX_ONLY]


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


REPLY_WITH_CONTROLS = "Hi \x1b[31mred\x1b[0m\ttab\r\nnext\rback \x9b2J\x07 \u05d0\u202e!"


def test_reply_text_on_a_terminal_shows_control_characters_escaped(server: DarkAIServer) -> None:
    # Chunks of 3 split "\r\n" and the escape sequences across chunks.
    server.reply(Reply(text=REPLY_WITH_CONTROLS, chunk_size=3))
    code, out, err = run_on_a_terminal("--base-url", server.url, "hi")
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
        env=command_env(),
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
        env=command_env(),
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
