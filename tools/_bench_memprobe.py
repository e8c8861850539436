"""Peak RSS growth of one big streamed reply, in a fresh process (used by tools/bench.py).

    python tools/_bench_memprobe.py MODE URL MAX_LINE_SIZE WARM_URL

MODE is ``sync-keep`` or ``async-keep`` (the stream as is: it keeps the text
for ``.text``), ``sync-notext`` or ``async-notext`` (``keep_text=False``), or
``endless`` (DarkAI.stream of a line that never ends). The caller keeps no
text: it counts and hashes each chunk. WARM_URL serves a short reply, read once
before the baseline so every module a request needs is loaded. Prints one JSON
object: baseline and peak RSS in bytes, the growth, the characters and UTF-8
bytes received, their sha256, and the error raised, if any.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sys
import time
from typing import Any

MODES = ("sync-keep", "sync-notext", "async-keep", "async-notext", "endless")


class _Tally:
    """What the caller keeps of the text: its length and hash, no text."""

    def __init__(self) -> None:
        self.chars = 0
        self.bytes = 0
        self.sha = hashlib.sha256()

    def add(self, chunk: str) -> None:
        data = chunk.encode()
        self.chars += len(chunk)
        self.bytes += len(data)
        self.sha.update(data)


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


_BASELINE: dict[str, int] = {}


def _baseline_ready() -> None:
    gc.collect()
    _reset_peak()
    _BASELINE["rss"] = _status_kib("VmRSS") * 1024
    _BASELINE["start"] = time.perf_counter_ns()


def _sync(mode: str, url: str, cap: int, warm_url: str, tally: _Tally) -> str | None:
    from darkai_sdk import DarkAI, DarkAIError

    with DarkAI(warm_url, max_retries=0) as warm:
        warm.complete("warm up")
    with DarkAI(url, max_retries=0, max_line_size=cap) as client:
        _baseline_ready()
        try:
            with client.stream("hello", keep_text=mode != "sync-notext") as stream:
                for chunk in stream:
                    tally.add(chunk)
        except DarkAIError as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


async def _async(mode: str, url: str, cap: int, warm_url: str, tally: _Tally) -> str | None:
    from darkai_sdk import AsyncDarkAI, DarkAIError

    async with AsyncDarkAI(warm_url, max_retries=0) as warm:
        await warm.complete("warm up")
    async with AsyncDarkAI(url, max_retries=0, max_line_size=cap) as client:
        _baseline_ready()
        try:
            async with client.stream("hello", keep_text=mode == "async-keep") as stream:
                async for chunk in stream:
                    tally.add(chunk)
        except DarkAIError as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def main(argv: list[str]) -> int:
    mode, url, cap_text, warm_url = argv
    if mode not in MODES:
        raise SystemExit(f"MODE must be one of {', '.join(MODES)}")
    tally = _Tally()
    if mode.startswith("async"):
        error = asyncio.run(_async(mode, url, int(cap_text), warm_url, tally))
    else:
        error = _sync(mode, url, int(cap_text), warm_url, tally)
    peak = _status_kib("VmHWM") * 1024
    result: dict[str, Any] = {
        "mode": mode,
        "baseline_rss": _BASELINE["rss"],
        "peak_rss": peak,
        "growth": peak - _BASELINE["rss"],
        "chars": tally.chars,
        "text_bytes": tally.bytes,
        "sha256": tally.sha.hexdigest(),
        "seconds": (time.perf_counter_ns() - _BASELINE["start"]) / 1e9,
        "error": error,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
