"""Batch: many prompts through ``batch.run`` against a bare gather, and memory over the row count.

Timed: 2,000 short replies through ``darkai_sdk.batch.run`` and through a bare
``asyncio.gather`` of workers awaiting ``client.complete`` (no input file, no
output), at several concurrencies, interleaved. Memory: the ``darkai batch``
command in fresh processes on a file of N and of 4N rows of 1 KiB prompts:
its peak RSS must not grow with N, since the input is streamed once checked.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, cast

from _bench_core import (
    MIB,
    PROMPT,
    Config,
    Context,
    Result,
    Target,
    Timed,
    interleave,
    median,
    paired_ratio,
)
from _bench_server import Reply
from _bench_small import SMALL_PATH, SMALL_TEXT, small_reply

from darkai_sdk import AsyncDarkAI
from darkai_sdk._retry import RetryPolicy
from darkai_sdk.batch import BatchRow, run

__all__ = ["Batch"]

#: Rows in flight at once, each timed against the bare gather at the same width.
CONCURRENCIES = (1, 8, 64, 256)
#: What batch.run's own work may cost per row beyond a bare gather, in microseconds.
OWN_COST_US = 50.0
#: batch.run's rows per second over HTTP, against the bare gather's (noisy: a loose floor).
HTTP_RATIO = 0.7
#: How much more peak RSS the command may take for 4x the rows (and 4x the input bytes).
FLAT_MIB = 2.0
_PROMPT_BYTES = 1024


async def _through_batch(client: AsyncDarkAI, rows: int, width: int) -> int:
    """Run ``rows`` rows through batch.run; return how many came back wrong."""
    source = (BatchRow(i, PROMPT) for i in range(rows))
    wrong = 0
    seen = 0
    async for result in run(client, source, width):
        seen += 1
        wrong += result.text != SMALL_TEXT or result.error is not None
    return wrong + (rows - seen)


async def _through_gather(client: AsyncDarkAI, rows: int, width: int) -> int:
    """The same with no batch: ``width`` workers, each awaiting ``client.complete`` in turn."""
    left = rows
    wrong = 0

    async def worker() -> None:
        nonlocal left, wrong
        while left > 0:
            left -= 1
            wrong += await client.complete(PROMPT) != SMALL_TEXT

    await asyncio.gather(*(worker() for _ in range(width)))
    return wrong


_Through = Callable[[AsyncDarkAI, int, int], Coroutine[Any, Any, int]]


def _none_wrong(wrong: object) -> bool:
    return wrong == 0


class _InstantStream:
    """A reply that is whole at once: what a row costs with no network at all."""

    model = "llama-3-70b"
    retries = 0

    async def __aenter__(self) -> _InstantStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def until_done(self) -> str:
        return SMALL_TEXT


class _InstantClient:
    """A stand-in for AsyncDarkAI whose replies need no I/O, to time batch.run's own work."""

    retry_policy = RetryPolicy()

    def stream(
        self, messages: object, model: str | None = None, **options: object
    ) -> _InstantStream:
        return _InstantStream()

    async def complete(self, messages: object, model: str | None = None) -> str:
        async with self.stream(messages, model) as stream:
            return await stream.until_done()


class Batch:
    """Rows per second of batch.run and of a bare gather; the command's memory over N rows."""

    key = "batch"
    title = "Batch: batch.run against a bare asyncio.gather; memory over the rows"

    def __init__(self, config: Config) -> None:
        self.rows = 200 if config.quick else 2000
        self.instant_rows = 5 * self.rows
        self.repeats = min(config.repeats, 2)  # 8 contenders of 2,000 rows: rounds are long
        self.memory_rows = 500 if config.quick else 1000

    def replies(self) -> dict[str, Reply]:
        return {SMALL_PATH: small_reply()}

    def run(self, ctx: Context) -> Result:
        url = ctx.base + SMALL_PATH
        result = Result()
        ctx.log(f"batch: memory of the command over {self.memory_rows} and 4x as many rows")
        memory = _memory(url, self.memory_rows)
        if memory["error"]:
            result.failures.append(f"batch memory: {memory['error']}")
        ctx.log(f"batch: {self.repeats} rounds of {self.rows} rows at {CONCURRENCIES} in flight")
        http = self._time(ctx, AsyncDarkAI(url, max_retries=0), self.rows, result.failures)
        instant = self._time(ctx, cast(AsyncDarkAI, _InstantClient()), self.instant_rows, [])
        figures: dict[str, Any] = {"rows": self.rows, "instant_rows": self.instant_rows}
        lines = [
            f"{self.rows:,} short replies over HTTP per contender and round, one client; and "
            f"{self.instant_rows:,} from a client with no I/O (batch.run's own cost)",
            f"  {'in flight':>9} {'batch.run rows/s':>17} {'gather rows/s':>14}"
            f" {'ratio':>6} {'overhead/row':>13} {'no I/O: overhead/row':>21}",
        ]
        for width in CONCURRENCIES:
            ours, bare = http[f"batch_{width}"], http[f"gather_{width}"]
            extra = _per_row(ours, bare, self.rows)
            own = _per_row(instant[f"batch_{width}"], instant[f"gather_{width}"], self.instant_rows)
            ratio = paired_ratio(http, f"batch_{width}", [f"gather_{width}"]) or 0.0
            figures[str(width)] = {
                "batch_rows_per_s": self.rows / median(ours),
                "gather_rows_per_s": self.rows / median(bare),
                "ratio": ratio,
                "overhead_us_per_row": extra * 1e6,
                "own_us_per_row": own * 1e6,
            }
            row = figures[str(width)]
            lines.append(
                f"  {width:>9} {row['batch_rows_per_s']:>17,.0f} {row['gather_rows_per_s']:>14,.0f}"
                f" {ratio:>5.2f}x {extra * 1e6:>10.1f} us {own * 1e6:>18.1f} us"
            )
        figures["seconds"] = http
        figures["instant_seconds"] = instant
        figures["memory"] = memory
        result.figures = figures
        result.lines = lines + _memory_lines(memory)
        result.targets = self._targets(figures, memory)
        return result

    def _targets(self, figures: dict[str, Any], memory: dict[str, Any]) -> list[Target]:
        by_width = {width: figures[str(width)] for width in CONCURRENCIES}
        own = max(by_width, key=lambda w: by_width[w]["own_us_per_row"])
        slow = min(by_width, key=lambda w: by_width[w]["ratio"])
        growth = memory["growth"]
        return [
            Target(
                "batch.run own cost per row (no I/O), worst",
                by_width[own]["own_us_per_row"],
                "<=",
                OWN_COST_US,
                unit="us",
                note=f"at {own} in flight",
            ),
            Target(
                "batch.run rows/s / bare gather over HTTP, worst",
                by_width[slow]["ratio"],
                ">=",
                HTTP_RATIO,
                note=f"at {slow} in flight",
            ),
            Target(
                "darkai batch peak RSS, 4x the rows - 1x",
                None if growth is None else growth / MIB,
                "<=",
                FLAT_MIB,
                unit="MiB",
                note=f"{memory['rows']:,} to {4 * memory['rows']:,} rows of 1 KiB",
            ),
        ]

    def _time(
        self, ctx: Context, client: AsyncDarkAI, rows: int, failures: list[str]
    ) -> dict[str, list[float]]:
        runner = ctx.runner

        def timed(key: str, label: str, through: _Through, width: int) -> Timed:
            def go() -> int:
                return runner.run(through(client, rows, width))

            return Timed(f"{key}_{width}", f"{label}, {width} in flight", go, _none_wrong)

        contenders: list[Timed] = []
        for width in CONCURRENCIES:
            # Neighbours in every round: each width's pair is compared within the round.
            contenders.append(timed("batch", "batch.run", _through_batch, width))
            contenders.append(
                timed("gather", "asyncio.gather of client.complete", _through_gather, width)
            )
        runner.run(_through_gather(client, 64, 64))  # warm up: connections, imports
        try:
            return interleave(contenders, self.repeats, failures, "batch: ")
        finally:
            if isinstance(client, AsyncDarkAI):
                runner.run(client.aclose())


def _per_row(ours: list[float], bare: list[float], rows: int) -> float:
    """Seconds a row costs more in ``ours``: the median per round (they ran back to back)."""
    return median([(a - b) / rows for a, b in zip(ours, bare, strict=True)])


def _rows(path: Path, count: int) -> None:
    filler = "x" * _PROMPT_BYTES
    with path.open("w") as file:
        for i in range(count):
            file.write(json.dumps({"id": f"row-{i}", "prompt": f"{i} {filler}"}) + "\n")


# The command, then its own peak RSS on stdout: VmHWM, since a child's ru_maxrss
# counts the parent's pages it held between fork and exec.
_PROBE = """\
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(peak)
sys.argv[0] = "darkai"
runpy.run_module("darkai_sdk", run_name="__main__", alter_sys=True)
"""


def _command(url: str, source: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-c", _PROBE, "batch", str(source), "-o", str(out)),
            *("--base-url", url, "--concurrency", "64", "--max-retries", "0"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
    )


def _peak_rss(process: subprocess.Popen[bytes]) -> tuple[int, int, str]:
    """Wait for ``process``; return its exit status, peak RSS in bytes and stderr."""
    out, err = process.communicate(timeout=120)
    lines = out.decode().split()
    return process.returncode, int(lines[-1]) * 1024 if lines else 0, err.decode(errors="replace")


def _memory(url: str, rows: int) -> dict[str, Any]:
    """Peak RSS of the command on N and on 4N rows, run side by side in fresh processes."""
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for size in (rows, 4 * rows):
            source = Path(folder) / f"in-{size}.jsonl"
            _rows(source, size)
            files[size] = (source, Path(folder) / f"out-{size}.jsonl")
        processes = {size: _command(url, *paths) for size, paths in files.items()}
        peaks: dict[int, int] = {}
        errors: list[str] = []
        for size, process in processes.items():
            code, peaks[size], err = _peak_rss(process)
            written = sum(1 for _ in _lines(files[size][1]))
            if code != 0 or written != size:
                errors.append(f"{size} rows: exit {code}, {written} lines: {err[-300:]}")
        input_bytes = {size: paths[0].stat().st_size for size, paths in files.items()}
    return {
        "rows": rows,
        "input_bytes": input_bytes,
        "peak_rss": peaks,
        "growth": peaks[4 * rows] - peaks[rows],
        "error": "; ".join(errors) or None,
    }


def _lines(path: Path) -> Iterator[bytes]:
    if path.exists():
        with path.open("rb") as file:
            yield from file


def _memory_lines(memory: dict[str, Any]) -> list[str]:
    rows, peaks, sizes = memory["rows"], memory["peak_rss"], memory["input_bytes"]
    return [
        "`darkai batch` peak RSS in a fresh process (64 in flight), input streamed once checked:",
        *(
            f"  {size:>7,} rows, {sizes[size] / MIB:5.1f} MiB of input: "
            f"{peaks[size] / MIB:6.1f} MiB peak RSS"
            for size in (rows, 4 * rows)
        ),
        f"  growth for 4x the rows: {memory['growth'] / MIB:+.2f} MiB",
    ]
