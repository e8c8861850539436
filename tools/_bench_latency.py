"""Latency to the first chunk: each client against its raw transport, on the short reply."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import requests
from _bench_contenders import SEED_HEADERS, seed_request_body
from _bench_core import PROMPT, Config, Context, Result, Target, median
from _bench_server import Reply
from _bench_small import SMALL_PATH, small_reply

from darkai_sdk import AsyncDarkAI, DarkAI

__all__ = ["Latency"]

#: What each client may add to its raw transport's time to the first bytes.
OVERHEAD_TARGET_MS = 1.0


async def _first_chunk_async(client: AsyncDarkAI) -> float:
    started = time.perf_counter()
    async with client.stream(PROMPT) as stream:
        iterator = aiter(stream)
        await anext(iterator)
        elapsed = time.perf_counter() - started
        async for _ in iterator:
            pass
    return elapsed


async def _first_bytes_aiohttp(session: aiohttp.ClientSession, url: str, body: bytes) -> float:
    started = time.perf_counter()
    async with session.post(url, data=body, headers=SEED_HEADERS) as response:
        await response.content.readany()
        elapsed = time.perf_counter() - started
        await response.read()
    return elapsed


def _first_chunk_sync(client: DarkAI) -> float:
    started = time.perf_counter()
    with client.stream(PROMPT) as stream:
        iterator = iter(stream)
        next(iterator)
        elapsed = time.perf_counter() - started
        for _ in iterator:
            pass
    return elapsed


def _first_bytes_requests(session: requests.Session, url: str, body: bytes) -> float:
    started = time.perf_counter()
    with session.post(url, data=body, headers=SEED_HEADERS, stream=True) as response:
        chunks = response.raw.read_chunked(256 * 1024, decode_content=True)
        next(chunks)
        elapsed = time.perf_counter() - started
        for _ in chunks:
            pass
    return elapsed


async def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


class Latency:
    """Median time to the first text chunk, ours and the raw transport's, interleaved."""

    key = "latency"
    title = "Latency to the first chunk"

    def __init__(self, config: Config) -> None:
        self.requests = 20 if config.quick else 200

    def replies(self) -> dict[str, Reply]:
        return {SMALL_PATH: small_reply()}

    def run(self, ctx: Context) -> Result:
        url = ctx.base + SMALL_PATH
        body = seed_request_body()
        runner = ctx.runner
        async_client = AsyncDarkAI(url, max_retries=0)
        sync_client = DarkAI(url, max_retries=0)
        session = runner.run(_new_session())
        requests_session = requests.Session()
        probes: dict[str, Callable[[], float]] = {
            "async_ours": lambda: runner.run(_first_chunk_async(async_client)),
            "async_raw": lambda: runner.run(_first_bytes_aiohttp(session, url, body)),
            "sync_ours": lambda: _first_chunk_sync(sync_client),
            "sync_raw": lambda: _first_bytes_requests(requests_session, url, body),
        }
        ctx.log(f"latency: {self.requests} requests each")
        for probe in probes.values():  # warm up: connections, code paths
            probe()
        samples: dict[str, list[float]] = {key: [] for key in probes}
        order = list(probes)
        for i in range(self.requests):
            for key in order[i % 2 :] + order[: i % 2]:
                samples[key].append(probes[key]())
        runner.run(async_client.aclose())
        runner.run(session.close())
        sync_client.close()
        requests_session.close()
        figures: dict[str, Any] = {"requests": self.requests}
        result = Result(figures=figures)
        result.lines.append(
            f"median of {self.requests}, ms: {'ours':>8} {'raw':>8} {'ours-raw':>9} "
            f"{'median of differences':>22}"
        )
        for world, label in (
            ("async", "AsyncDarkAI.stream vs aiohttp"),
            ("sync", "DarkAI.stream vs requests"),
        ):
            ours, raw = samples[f"{world}_ours"], samples[f"{world}_raw"]
            paired = median([a - b for a, b in zip(ours, raw, strict=True)]) * 1e3
            figures[world] = {
                "ours_ms": median(ours) * 1e3,
                "raw_ms": median(raw) * 1e3,
                "overhead_ms": (median(ours) - median(raw)) * 1e3,
                "paired_overhead_ms": paired,
            }
            f = figures[world]
            result.lines.append(
                f"  {label:<30} {f['ours_ms']:>8.3f} {f['raw_ms']:>8.3f} "
                f"{f['overhead_ms']:>9.3f} {paired:>22.3f}"
            )
            result.targets.append(
                Target(
                    f"{label.split()[0]} first-chunk latency over its transport",
                    paired,
                    "<=",
                    OVERHEAD_TARGET_MS,
                    unit="ms",
                )
            )
        return result
