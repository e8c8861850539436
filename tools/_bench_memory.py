"""Peak RSS growth of one big streamed reply, in a fresh process (used by tools/bench.py).

    python tools/_bench_memory.py MODE BASE_URL MAX_LINE_SIZE

MODE is one of ``sync-notext`` (DarkAI.stream with keep_text=False),
``sync-default`` (DarkAI.stream as is: the stream keeps its chunks for .text),
``async-notext`` (AsyncDarkAI.stream with keep_text=False) and ``endless``
(DarkAI.stream of a line that never ends). In every mode the caller keeps no
text, only counts it. BASE_URL is the server's root (``http://127.0.0.1:PORT``).
Prints one JSON object: the baseline and peak RSS in bytes, the growth, the
characters received, and the error raised, if any.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

_MODES = ("sync-notext", "sync-default", "async-notext", "endless")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux 4.0+); harmless if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass  # then growth is measured from the current RSS: if anything, overstated


def _sync(mode: str, base: str, cap: int) -> tuple[int, str | None]:
    from darkai_sdk import DarkAI, DarkAIError

    # A warm-up request loads every module a request needs, before the baseline.
    with DarkAI(base + "/small", max_retries=0) as warm:
        warm.complete("warm up")
    path = "/endless" if mode == "endless" else "/mem"
    chars = 0
    error: str | None = None
    with DarkAI(base + path, max_retries=0, max_line_size=cap) as client:
        _baseline_ready()
        try:
            with client.stream("hello", keep_text=mode != "sync-notext") as stream:
                for chunk in stream:
                    chars += len(chunk)
        except DarkAIError as exc:
            error = f"{type(exc).__name__}: {exc}"
    return chars, error


async def _async(base: str, cap: int) -> tuple[int, str | None]:
    from darkai_sdk import AsyncDarkAI, DarkAIError

    async with AsyncDarkAI(base + "/small", max_retries=0) as warm:
        await warm.complete("warm up")
    chars = 0
    error: str | None = None
    async with AsyncDarkAI(base + "/mem", max_retries=0, max_line_size=cap) as client:
        _baseline_ready()
        try:
            async with client.stream("hello", keep_text=False) as stream:
                async for chunk in stream:
                    chars += len(chunk)
        except DarkAIError as exc:
            error = f"{type(exc).__name__}: {exc}"
    return chars, error


_BASELINE: dict[str, int] = {}


def _baseline_ready() -> None:
    gc.collect()
    _reset_peak()
    _BASELINE["rss"] = _status_kib("VmRSS") * 1024
    _BASELINE["start"] = time.perf_counter_ns()


def main(argv: list[str]) -> int:
    mode, base, cap_text = argv
    if mode not in _MODES:
        raise SystemExit(f"MODE must be one of {', '.join(_MODES)}")
    cap = int(cap_text)
    if mode == "async-notext":
        chars, error = asyncio.run(_async(base, cap))
    else:
        chars, error = _sync(mode, base, cap)
    peak = _status_kib("VmHWM") * 1024
    result: dict[str, Any] = {
        "mode": mode,
        "baseline_rss": _BASELINE["rss"],
        "peak_rss": peak,
        "growth": peak - _BASELINE["rss"],
        "chars": chars,
        "seconds": (time.perf_counter_ns() - _BASELINE["start"]) / 1e9,
        "error": error,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
