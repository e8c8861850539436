"""The progress of ``darkai batch`` on stderr, in process with a fake clock and terminal."""

from __future__ import annotations

import io
import os

import pytest

from darkai_sdk._cli._console import Console
from darkai_sdk._cli._progress import SHOWN_FAILURES, BatchProgress, duration
from darkai_sdk.batch import BatchError, BatchResult

pytestmark = pytest.mark.timeout(10)


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ok(row_id: str, text: str = "x" * 50) -> BatchResult:
    return BatchResult(row_id, "gpt-4o", text, None, 0.1, 0)


def failed(row_id: str, message: str = "cut short") -> BatchResult:
    return BatchResult(row_id, "gpt-4o", "part", BatchError("ServerEventError", message), 0.1, 0)


def test_off_a_terminal_a_line_every_few_seconds() -> None:
    stderr, clock = io.StringIO(), Clock()
    progress = BatchProgress(Console(None, io.StringIO(), stderr), 100, every=5.0, clock=clock)
    progress.tick()
    clock.now += 4.9
    progress.tick()
    assert stderr.getvalue() == ""
    for i in range(20):
        progress.add(ok(f"r{i}"))
    clock.now += 0.1  # 5 s in: 20 rows, 1000 characters
    progress.tick()
    assert stderr.getvalue() == (
        "darkai: batch: 20/100 rows, 0 failed, 4.0 rows/s, 200 chars/s, ETA 0:20\n"
    )
    clock.now += 1
    progress.tick()
    assert stderr.getvalue().count("\n") == 1  # not again before another 5 s
    clock.now += 4
    progress.tick()
    assert stderr.getvalue().count("\n") == 2


def test_on_a_terminal_a_bar_redrawn_in_place_under_the_lines_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((100, 30)))
    stderr, clock = Terminal(), Clock()
    progress = BatchProgress(Console(None, io.StringIO(), stderr), 4, clock=clock)
    clock.now += 2
    progress.add(ok("a"))
    progress.tick()
    bar = "[█████░░░░░░░░░░░░░░░] 1/4 rows  0 failed  0.5 rows/s  25 chars/s  ETA 0:06"
    assert stderr.getvalue() == "\r\x1b[K" + bar
    progress.tick()  # nothing changed: nothing drawn
    assert stderr.getvalue() == "\r\x1b[K" + bar
    progress.add(failed("b\x1b[2J", "boom\x1b]0;t\x07"))
    # A line goes above the bar, which is drawn again after it; controls are escaped.
    assert stderr.getvalue().endswith(
        "\r\x1b[Kdarkai: warning: row 'b\\x1b[2J' failed: ServerEventError: "
        "boom\\x1b]0;t\\x07\n" + bar
    )
    progress.stop()
    assert stderr.getvalue().endswith(bar + "\r\x1b[K")


def test_on_a_narrow_terminal_the_bar_gives_way_to_the_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((60, 30)))
    progress = BatchProgress(Console(None, io.StringIO(), Terminal()), 4, clock=Clock())
    assert progress.bar() == "0/4 rows  0 failed  0.0 rows/s  0.0 chars/s  ETA -"
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((20, 30)))
    assert len(progress.bar()) == 19


def test_only_the_first_failures_are_named() -> None:
    stderr = io.StringIO()
    progress = BatchProgress(Console(None, io.StringIO(), stderr), 50, clock=Clock())
    for i in range(SHOWN_FAILURES + 5):
        progress.add(failed(f"r{i}"))
    lines = stderr.getvalue().splitlines()
    assert len(lines) == SHOWN_FAILURES + 1
    assert lines[0] == "darkai: warning: row 'r0' failed: ServerEventError: cut short"
    assert lines[-1] == "darkai: further failures are only in OUTPUT"
    assert progress.failed == SHOWN_FAILURES + 5 and progress.chars == 4 * (SHOWN_FAILURES + 5)


def test_the_summary_counts_done_and_failed() -> None:
    clock = Clock()
    progress = BatchProgress(Console(None, io.StringIO(), io.StringIO()), 3, clock=clock)
    progress.add(ok("a"))
    progress.add(ok("b"))
    progress.add(failed("c"))
    clock.now += 75
    assert progress.summary() == "3 rows in 1:15 (0.0 rows/s): 2 done, 1 failed"


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (59.6, "1:00"), (75.4, "1:15"), (3725, "1:02:05")]
)
def test_durations(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown
