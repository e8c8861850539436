"""Running the ``darkai`` command in tests: to the end, started with pipes, or on a terminal."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 30.0
# The command as a user runs it, with Ctrl-C turned into KeyboardInterrupt even when
# the test runner was started with SIGINT ignored (as background jobs are).
SIGINT_WRAPPER = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('darkai_sdk', run_name='__main__', alter_sys=True)"
)
#: The command's tests read its pipes with select() and send it SIGINT.
POSIX_ONLY = pytest.mark.skipif(
    sys.platform == "win32", reason="select() on pipes and SIGINT are POSIX"
)
TEXT = "The quick brown fox jumps over the lazy dog."


def command_env() -> dict[str, str]:
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
        env=command_env(),
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
        env={**command_env(), **(env or {})},
        cwd=ROOT,
    )
    if process.stdin is not None and stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
        process.stdin = None  # so communicate() leaves it alone
    try:
        yield process
    finally:
        stop_command(process)


def stop_command(process: subprocess.Popen[bytes]) -> None:
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


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_one_error_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("darkai: error: "), stderr
    assert "Traceback" not in stderr


def run_on_a_terminal(*args: str, stream: str = "stdout") -> tuple[int, str, str]:
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
        env=command_env(),
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
