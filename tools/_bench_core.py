"""What every benchmark section shares: its settings, its result, targets, interleaved timing."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import statistics
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from _bench_server import Reply

__all__ = [
    "MIB",
    "PROMPT",
    "Config",
    "Context",
    "Result",
    "Section",
    "Target",
    "Timed",
    "interleave",
    "median",
    "paired_ratio",
    "run_async",
    "text_sha",
]

MIB = 1024 * 1024
#: The prompt every client sends (the server ignores it).
PROMPT = "Write a long story."


@dataclass(frozen=True)
class Config:
    """One run's mode: ``quick`` (tiny sizes, for the smoke test) and rounds per timed part."""

    quick: bool
    repeats: int


@dataclass
class Target:
    """One figure held against its target: PASS or FAIL."""

    name: str
    value: float | None
    op: str  # ">=", "<=" or "is"
    threshold: float
    unit: str = "x"
    note: str = ""
    group: str = ""  # targets of one group are summed up in one line (e.g. one per body)

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        if self.op == ">=":
            return self.value >= self.threshold
        if self.op == "<=":
            return self.value <= self.threshold
        return self.value == self.threshold


@dataclass
class Result:
    """What a section measured: figures (for JSON), printed lines, targets, wrong texts."""

    figures: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What a section runs with: the run's mode, the server's root URL, an event loop, a log."""

    config: Config
    base: str
    runner: asyncio.Runner
    log: Callable[[str], None]


class Section(Protocol):
    """One part of the benchmark: the replies it needs served, and how it measures."""

    key: str
    title: str

    def replies(self) -> dict[str, Reply]:
        """The replies the server must serve for this section, by path."""
        ...

    def run(self, ctx: Context) -> Result:
        """Measure; report a contender that received the wrong text in ``failures``."""
        ...


T = TypeVar("T")


def run_async(runner: asyncio.Runner, coro: Coroutine[Any, Any, T]) -> T:
    """``runner.run(coro)``, the result handed back outside the task.

    In the main thread, Runner.run puts back the SIGINT handler it set, and on
    Python 3.11 ``signal.signal`` then formats the repr of its old handler,
    which holds the finished task and so the task's result: some 9 ms for a
    list of 1 MiB of bytes, timed as if the contender had spent it.
    """
    box: list[T] = []

    async def inner() -> None:
        box.append(await coro)

    runner.run(inner())
    return box[0]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Timed:
    """A contender: ``run`` receives something, timed; ``check`` says if it was right, untimed."""

    key: str
    label: str
    run: Callable[[], object]
    check: Callable[[object], bool]


def interleave(
    contenders: Sequence[Timed], repeats: int, failures: list[str], where: str = ""
) -> dict[str, list[float]]:
    """Time every contender ``repeats`` times, in turn, every other round in reverse.

    Running them interleaved makes a slow spell of the shared machine hit all
    alike; contenders compared with each other should be neighbours in
    ``contenders``, so they stay neighbours in every round. A contender whose
    received value fails its check, or that raises, is added to ``failures``
    (and timed anyway, or given an infinite time).
    """
    seconds: dict[str, list[float]] = {c.key: [] for c in contenders}
    # What lives now (bodies, modules) lives on: out of the collector's sight, the
    # collection before each contender costs little and times nothing of the run.
    gc.collect()
    gc.freeze()
    try:
        for repeat in range(repeats):
            for contender in contenders if repeat % 2 == 0 else contenders[::-1]:
                seconds[contender.key].append(_time_one(contender, failures, where))
    finally:
        gc.unfreeze()
    return seconds


def _time_one(contender: Timed, failures: list[str], where: str) -> float:
    """Seconds ``contender`` took (inf if it raised); a wrong or raised one goes in ``failures``."""
    gc.collect()
    started = time.perf_counter()
    try:
        received = contender.run()
    except Exception as exc:  # reported as a failure of the run, not swallowed
        failures.append(f"{where}{contender.label}: raised {type(exc).__name__}: {exc}")
        return float("inf")
    elapsed = time.perf_counter() - started
    if not contender.check(received):
        failures.append(f"{where}{contender.label}: received text differs from the text sent")
    return elapsed


def paired_ratio(seconds: dict[str, list[float]], key: str, over: Sequence[str]) -> float | None:
    """How many times faster ``key`` is than the fastest of ``over``: the median per round.

    Contenders of one round ran back to back, so a ratio within a round is
    fairer than a ratio of medians.
    """
    if not over or key not in seconds:
        return None
    rounds = range(len(seconds[key]))
    ratios = [min(seconds[o][r] for o in over) / seconds[key][r] for r in rounds]
    return median(ratios)
