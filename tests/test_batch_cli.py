"""``darkai batch``, run as a subprocess against a local DarkAIServer on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import ROOT, RUN_TIMEOUT, command_env, darkai, finish, run_on_a_terminal, started
from rawservers import closed_port

from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGINT, SIGKILL and ptys are POSIX"),
]

MODEL = "llama-3-70b"
HOSTILE = "boom\x1b[2J\x1b]0;pwned\x07 \u202eevil\x9b31m"


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


def prompts(path: Path, count: int, **extra: Any) -> Path:
    with path.open("w", encoding="utf-8") as file:
        for i in range(count):
            file.write(json.dumps({"id": f"row-{i}", "prompt": f"prompt {i}", **extra}) + "\n")
    return path


def results(path: Path) -> list[dict[str, Any]]:
    """OUTPUT's lines, each checked to be whole."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), data[-200:]
    return [json.loads(line) for line in data.splitlines()]


def assert_every_row_once_and_right(path: Path, count: int) -> None:
    lines = results(path)
    ids = [line["id"] for line in lines]
    assert sorted(ids) == sorted(f"row-{i}" for i in range(count))
    for line in lines:
        number = line["id"].split("-")[1]
        assert line["error"] is None, line
        assert line["text"] == default_reply_text(f"prompt {number}", MODEL)
        assert line["model"] == MODEL


def python(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGV`` in ``cwd`` as the tests run the command."""
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=command_env(),
        cwd=cwd,
    )


def wait_for_lines(path: Path, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or path.read_bytes().count(b"\n") < count:
        assert time.monotonic() < deadline, f"fewer than {count} lines in {path} in time"
        time.sleep(0.02)


def test_every_row_is_written_once_with_its_text(server: DarkAIServer, tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 25), tmp_path / "out.jsonl"
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "4")
    assert result.returncode == 0, result.stderr
    assert_every_row_once_and_right(out, 25)
    assert result.stdout == ""
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("darkai: batch: 25 rows in ") and summary.endswith(
        ": 25 done, 0 failed"
    )
    assert len(server.requests) == 25


def test_bad_lines_are_all_listed_and_nothing_is_sent(server: DarkAIServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "prompt": "ok"}\nnot json\n{"prompt": "no id"}\n{"id": "a", "prompt": "x"}\n'
        '{"id": "b"}\n{"id": "c", "prompt": "p", "model": "gpt-9"}\n{"id": "d", "prompt": "ok"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"darkai: error: {source}: 5 bad lines: 2-6; nothing was sent"
    assert [line.split(":")[0] for line in lines[1:]] == [f"  line {n}" for n in range(2, 7)]
    assert "duplicate id 'a' (first on line 1)" in lines[3]
    assert "unknown model 'gpt-9'" in lines[5]
    assert server.requests == [] and not out.exists()


def test_a_non_empty_output_is_never_overwritten(server: DarkAIServer, tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 2), tmp_path / "out.jsonl"
    out.write_text("precious results\n")
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url)
    assert result.returncode == 2
    assert "already holds results" in result.stderr and "--resume" in result.stderr
    assert out.read_text() == "precious results\n" and server.requests == []
    same = darkai("batch", str(source), "-o", str(source), "--base-url", server.url, "--resume")
    assert same.returncode == 2 and "OUTPUT is INPUT" in same.stderr


def test_resume_skips_finished_rows_and_runs_failed_ones_again(
    server: DarkAIServer, tmp_path: Path
) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 6), tmp_path / "out.jsonl"
    server.fail_next(1, status=500)  # row-0, with one row at a time and no retries
    first = darkai(
        "batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "1",
        "--max-retries", "0",
    )  # fmt: skip
    assert first.returncode == 5, first.stderr  # every failure was an APIStatusError
    failed = [line for line in results(out) if line["error"] is not None]
    assert [(f["id"], f["error"]["status"], f["text"]) for f in failed] == [("row-0", 500, "")]
    assert "darkai: warning: row 'row-0' failed: InternalServerError (500)" in first.stderr
    assert "--resume" in first.stderr.splitlines()[-1]
    server.reset()
    again = darkai("batch", str(source), "-o", str(out), "--base-url", server.url, "--resume")
    assert again.returncode == 0, again.stderr
    assert [request.prompt for request in server.requests] == ["prompt 0"]
    assert "1 failed rows run again" in again.stderr and "5 rows already in" in again.stderr
    assert_every_row_once_and_right(out, 6)


def test_resume_cuts_a_torn_last_line(server: DarkAIServer, tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 3), tmp_path / "out.jsonl"
    assert darkai("batch", str(source), "-o", str(out), "--base-url", server.url).returncode == 0
    whole = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(whole[:2]) + whole[2][:30])  # as a crashed older writer leaves it
    server.reset()
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url, "--resume")
    assert result.returncode == 0, result.stderr
    assert "cut off the torn last line" in result.stderr
    assert len(server.requests) == 1
    assert_every_row_once_and_right(out, 3)


@pytest.mark.parametrize(
    ("sent", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_stopped_mid_run_then_resumed_every_row_is_there_once(
    tmp_path: Path, sent: signal.Signals, code: int, said: str
) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 24), tmp_path / "out.jsonl"
    # Each reply takes about 0.6 s: rows are in flight whenever the signal comes.
    with DarkAIServer(reply=Reply(chunk_size=4, delay=0.03)) as server:
        args = ["batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "4"]
        with started(*args) as process:
            wait_for_lines(out, 5)
            process.send_signal(sent)
            exited, _, stderr = finish(process)
        assert exited == code, stderr
        assert "Traceback" not in stderr
        assert f"darkai: {said}: " in stderr
        written = results(out)
        assert 5 <= len(written) < 24
        assert all(line["error"] is None for line in written)  # cancelled rows are not written
        sent_before = len(server.requests)
        assert sent_before > len(written)  # some were in flight, and were not written
        assert f"{out} is valid" in stderr
        hint = stderr.splitlines()[-1]
        assert hint.startswith("darkai: resume with: darkai batch ")
        # The printed command, as given, finishes the batch.
        command = shlex.split(hint.removeprefix("darkai: resume with: "))
        assert command[:2] == ["darkai", "batch"] and "--resume" in command
        again = darkai(*command[1:])
        assert again.returncode == 0, again.stderr
        # A request without a prompt would leave its row out: the lists below would differ.
        resent = [r.prompt for r in server.requests[sent_before:] if r.prompt is not None]
    assert_every_row_once_and_right(out, 24)
    assert sorted(resent) == sorted(
        f"prompt {line['id'][4:]}" for line in results(out)[len(written) :]
    )


def test_killed_outright_the_output_holds_only_whole_lines(tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    with DarkAIServer(reply=Reply(chunk_size=8, delay=0.01)) as server:
        args = ["batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "8"]
        with started(*args) as process:
            wait_for_lines(out, 10)
            process.send_signal(signal.SIGKILL)
            assert process.wait(RUN_TIMEOUT) == -signal.SIGKILL
        assert len(results(out)) >= 10
        again = darkai(*args, "--resume")
        assert again.returncode == 0, again.stderr
    assert_every_row_once_and_right(out, 40)


def test_failures_are_named_on_stderr_escaped_and_set_the_exit_code(
    server: DarkAIServer, tmp_path: Path
) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 3), tmp_path / "out.jsonl"
    server.reply(
        Reply(text="partial text here", chunk_size=4, error_after=2, error_message=HOSTILE)
    )
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url)
    assert result.returncode == 6, result.stderr  # ServerEventError, as for one reply
    for char in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert char not in result.stderr
    shown = "failed: ServerEventError: the server reported an error: boom\\x1b[2J"
    assert result.stderr.count(shown) == 3
    for line in results(out):
        assert line["text"] == "partial "
        assert line["error"]["type"] == "ServerEventError"
        assert HOSTILE in line["error"]["message"]  # the file keeps it as sent


def test_system_and_per_row_models_reach_the_server(server: DarkAIServer, tmp_path: Path) -> None:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(
        '{"id": 1, "prompt": "hi", "model": "gpt-4o"}\n'
        '{"id": 2, "messages": [{"role": "user", "content": "yo"}]}\n'
    )
    args = ["batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "1"]
    result = darkai(*args, "--system", "Be terse.", "--model", "gpt-3.5-turbo")
    assert result.returncode == 0, result.stderr
    assert [(r.prompt, r.model) for r in server.requests] == [
        ("System: Be terse.\nUser: hi\nAssistant:", "gpt-4o"),
        ("System: Be terse.\nUser: yo\nAssistant:", "gpt-3.5-turbo"),
    ]
    assert [(line["id"], line["model"]) for line in results(out)] == [
        (1, "gpt-4o"),
        (2, "gpt-3.5-turbo"),
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--model", "gpt-9"], 7, "unknown model 'gpt-9'"),
        (["--concurrency", "0"], 2, "must be 1 or more"),
        (["--base-url", "ftp://x"], 2, "base_url must be an absolute http"),
        (["-o", "-"], 2, "OUTPUT must be a file, not stdout"),
    ],
)
def test_bad_options_stop_it_before_anything_is_sent(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 1), tmp_path / "out.jsonl"
    result = darkai("batch", str(source), "-o", str(out), *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr


def test_a_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = darkai("batch", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "No such file" in result.stderr
    piped = darkai("batch", "-", "-o", str(tmp_path / "out.jsonl"), stdin='{"id": 1}\n')
    assert piped.returncode == 2 and "INPUT must be a file, not stdin" in piped.stderr


def test_help_describes_the_files_and_resume() -> None:
    result = darkai("batch", "--help")
    assert result.returncode == 0
    for needed in ("--concurrency", "--resume", '"elapsed_s"', "exits 130", "--local"):
        assert needed in result.stdout
    assert "darkai batch INPUT.jsonl -o OUTPUT.jsonl" in darkai("--help").stdout


def test_local_shows_a_live_bar_on_a_terminal_and_writes_every_row(tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 6), tmp_path / "out.jsonl"
    args = ["batch", str(source), "-o", str(out), "--local", "-c", "2"]
    code, text, _ = run_on_a_terminal(*args, stream="stderr")
    assert code == 0, text
    frames = [frame for frame in text.split("\r\x1b[K") if frame.startswith("[")]
    assert len(frames) >= 3, text
    assert any("/6 rows" in frame and "rows/s" in frame and "ETA" in frame for frame in frames)
    assert text.rstrip().endswith(": 6 done, 0 failed")
    assert len(results(out)) == 6


def test_the_readme_transcript_runs_as_shown(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Many prompts at once: `darkai batch`\n", 1)[1]
    transcript = section.split("```sh\n", 1)[1].split("```", 1)[0]
    steps = [step.split("\n", 1) for step in transcript.split("$ ")[1:]]
    shown = {command: output.splitlines() for command, output in steps}
    assert list(shown) == [
        "cat prompts.jsonl",
        "darkai batch prompts.jsonl -o out.jsonl --local",
        "cat out.jsonl",
    ]
    (tmp_path / "prompts.jsonl").write_text("\n".join(shown["cat prompts.jsonl"]) + "\n")
    command = shlex.split(list(shown)[1])
    result = python("-m", "darkai_sdk", *command[1:], cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    (summary,) = shown[list(shown)[1]]
    # Times and rates vary from run to run: any number stands for one.
    pattern = "[0-9]+".join(re.escape(part) for part in re.split("[0-9]+", summary))
    assert re.fullmatch(pattern, result.stderr.strip()), result.stderr

    def timeless(lines: list[str]) -> list[dict[str, Any]]:
        objects = [json.loads(line) for line in lines]
        for obj in objects:
            assert obj.pop("elapsed_s") > 0
        return sorted(objects, key=lambda obj: str(obj["id"]))

    written = (tmp_path / "out.jsonl").read_text().splitlines()
    assert timeless(written) == timeless(shown["cat out.jsonl"])


def test_a_server_that_cannot_be_reached_stops_the_batch(tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 60), tmp_path / "out.jsonl"
    url = f"http://127.0.0.1:{closed_port()}/chat"
    result = darkai("batch", str(source), "-o", str(out), "--base-url", url, "-c", "2",
                    "--max-retries", "0")  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "darkai: error: 10 rows in a row could not reach the server" in result.stderr
    written = results(out)
    assert 10 <= len(written) < 60
    assert {line["error"]["type"] for line in written} == {"APIConnectionError"}


def test_a_write_that_fails_stops_it_and_leaves_whole_lines(tmp_path: Path) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 20), tmp_path / "out.jsonl"
    limit = 1500  # bytes a file may grow to: some lines fit, then one is cut short
    # The limit set in the child itself (a preexec_fn is unsafe with the server's thread).
    limited = (
        "import resource, runpy; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "runpy.run_module('darkai_sdk', run_name='__main__', alter_sys=True)"
    )
    with DarkAIServer() as server:
        args = ["batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "2"]
        process = python("-c", limited, *args)
        assert process.returncode == 1, process.stderr
        assert f"darkai: error: cannot write {out}: File too large" in process.stderr
        written = results(out)  # whole lines only: the cut one was taken back
        assert 0 < len(written) < 20 and out.stat().st_size <= limit
        assert darkai(*args, "--resume").returncode == 0
    assert_every_row_once_and_right(out, 20)


def test_a_429_slows_the_whole_batch_and_its_row_is_retried(
    server: DarkAIServer, tmp_path: Path
) -> None:
    source, out = prompts(tmp_path / "in.jsonl", 6), tmp_path / "out.jsonl"
    server.fail_next(1, status=429, retry_after=1)
    started_at = time.monotonic()
    result = darkai("batch", str(source), "-o", str(out), "--base-url", server.url, "-c", "3")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started_at >= 1.0
    assert sorted(line["retries"] for line in results(out)) == [0, 0, 0, 0, 0, 1]
    assert len(server.requests) == 7
    assert_every_row_once_and_right(out, 6)
