"""How far a batch has got, on stderr: a live bar on a terminal, a line now and then elsewhere."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

from ..batch import BatchResult
from ._console import Console, _can_encode, one_line

__all__ = ["BatchProgress", "duration"]

#: Failed rows named on stderr as they fail; the rest are only in OUTPUT.
SHOWN_FAILURES = 10
_BAR_WIDTH = 20


def duration(seconds: float) -> str:
    """``75.4`` as ``"1:15"``, ``3725`` as ``"1:02:05"``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _count(value: float) -> str:
    """A rate in few characters: ``950``, ``12.3k``, ``4.1M``."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


class BatchProgress:
    """Counts the rows of a batch as they end and shows it on the console's stderr.

    On a terminal :meth:`tick` redraws a bar in place (rows done/total,
    failed, rows/s, chars/s, ETA); elsewhere it writes a line every
    ``every`` seconds. The first failures are named on a line of their own.
    """

    def __init__(
        self,
        console: Console,
        total: int,
        *,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.failed = 0
        self.chars = 0
        self._every = every
        self._clock = clock
        self.started = clock()
        self._last_line = self.started
        self._terminal = console.stderr_is_terminal
        self._blocks = "█░" if _can_encode(console.stderr, "█░") else "#-"

    def add(self, result: BatchResult) -> None:
        """Count one finished row; name it on stderr if it is one of the first failures."""
        self.done += 1
        self.chars += len(result.text)
        error = result.error
        if error is None:
            return
        self.failed += 1
        if self.failed <= SHOWN_FAILURES:
            status = f" ({error.status})" if error.status is not None else ""
            self.console.warning(
                f"row {result.id!r} failed: {error.type}{status}: {one_line(error.message)}"
            )
            if self.failed == SHOWN_FAILURES:
                self.console.note("darkai: further failures are only in OUTPUT")

    def tick(self) -> None:
        """Redraw the bar, or write a line if ``every`` seconds have passed since the last."""
        if self._terminal:
            self.console.set_status(self.bar())
            return
        now = self._clock()
        if now - self._last_line >= self._every:
            self._last_line = now
            self.console.note(f"darkai: batch: {self.line()}")

    def stop(self) -> None:
        """Erase the bar."""
        self.console.set_status("")

    def rate(self) -> float:
        """Rows finished a second so far."""
        elapsed = self._clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> str:
        """The time left at the rate so far, or ``-`` before there is one."""
        rate = self.rate()
        return duration((self.total - self.done) / rate) if rate > 0 else "-"

    def line(self) -> str:
        """The state as a sentence: ``412/2000 rows, 3 failed, 41.2 rows/s, ...``."""
        elapsed = max(self._clock() - self.started, 1e-9)
        return (
            f"{self.done}/{self.total} rows, {self.failed} failed, "
            f"{_count(self.rate())} rows/s, {_count(self.chars / elapsed)} chars/s, "
            f"ETA {self.eta()}"
        )

    def bar(self) -> str:
        """The state as a bar, shortened to the terminal's width (the bar goes first)."""
        full, empty = self._blocks[0], self._blocks[1]
        filled = _BAR_WIDTH * self.done // self.total if self.total else _BAR_WIDTH
        elapsed = max(self._clock() - self.started, 1e-9)
        figures = (
            f"{self.done}/{self.total} rows  {self.failed} failed  {_count(self.rate())} rows/s  "
            f"{_count(self.chars / elapsed)} chars/s  ETA {self.eta()}"
        )
        width = shutil.get_terminal_size((80, 24)).columns - 1
        bar = f"[{full * filled}{empty * (_BAR_WIDTH - filled)}] "
        return (bar + figures if len(bar) + len(figures) <= width else figures)[:width]

    def summary(self) -> str:
        """The closing line: rows done and failed, and the time taken."""
        seconds = self._clock() - self.started
        ok = self.done - self.failed
        return (
            f"{self.done} rows in {duration(seconds)} ({_count(self.rate())} rows/s): "
            f"{ok} done, {self.failed} failed"
        )
