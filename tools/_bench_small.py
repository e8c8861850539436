"""Small requests: many short replies through one client, against the seed's session per request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from _bench_bodies import HTTP_HEAD, frame_chunked
from _bench_contenders import collect_seed_async, collect_seed_sync
from _bench_core import (
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

from darkai_sdk import AsyncDarkAI, DarkAI

__all__ = ["SMALL_PATH", "SMALL_TEXT", "Small", "small_reply"]

#: The text of the short reply.
SMALL_TEXT = "Hello from the bench server: café, 中文, 🙂. A short reply of a few chunks."
SMALL_PATH = "/small"


def small_reply() -> Reply:
    """A short reply: a few text chunks, final-response, stream-end."""
    objects: list[object] = [
        {"event": "text-chunk", "data": {"text": SMALL_TEXT[i : i + 12]}}
        for i in range(0, len(SMALL_TEXT), 12)
    ]
    objects += [
        {"event": "final-response", "data": {"message": SMALL_TEXT}},
        {"event": "stream-end"},
    ]
    events = [f"data: {json.dumps(o, ensure_ascii=False)}\n\n".encode() for o in objects]
    return [(HTTP_HEAD + frame_chunked(events), 1)]


async def _in_flight(count: int, width: int, one: Callable[[], Awaitable[str]]) -> list[str]:
    """Make ``count`` requests, ``width`` at a time; return the replies that were wrong."""
    left = count
    wrong: list[str] = []

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            reply = await one()
            if reply != SMALL_TEXT:
                wrong.append(reply)

    await asyncio.gather(*(worker() for _ in range(width)))
    return wrong


class Small:
    """Requests per second for short replies; the seed opens a session per request."""

    key = "small"
    title = "Small requests"

    def __init__(self, config: Config) -> None:
        self.requests = 60 if config.quick else 400
        self.in_flight = 16 if config.quick else 64

    def replies(self) -> dict[str, Reply]:
        return {SMALL_PATH: small_reply()}

    def run(self, ctx: Context) -> Result:
        url = ctx.base + SMALL_PATH
        n, width = self.requests, self.in_flight
        async_client = AsyncDarkAI(url, max_retries=0)
        sync_client = DarkAI(url, max_retries=0)
        runner = ctx.runner

        async def seed_one() -> str:
            return "".join(await collect_seed_async(url))

        contenders = [
            Timed(
                "async_client",
                f"AsyncDarkAI, one client, {width} in flight",
                lambda: runner.run(_in_flight(n, width, lambda: async_client.complete(PROMPT))),
                _none_wrong,
            ),
            Timed(
                "seed_aiohttp",
                f"seed over aiohttp (session per request), {width} in flight",
                lambda: runner.run(_in_flight(n, width, seed_one)),
                _none_wrong,
            ),
            Timed(
                "sync_client",
                "DarkAI, one client, one after another",
                lambda: [
                    t for t in (sync_client.complete(PROMPT) for _ in range(n)) if t != SMALL_TEXT
                ],
                _none_wrong,
            ),
            Timed(
                "seed_requests",
                "seed over requests (session per request), one after another",
                lambda: [
                    t
                    for t in ("".join(collect_seed_sync(url)) for _ in range(n))
                    if t != SMALL_TEXT
                ],
                _none_wrong,
            ),
        ]
        ctx.log("small: warming up")
        runner.run(async_client.complete(PROMPT))
        sync_client.complete(PROMPT)
        ctx.log(f"small: {ctx.config.repeats} rounds of {n} requests each")
        result = Result()
        seconds = interleave(contenders, ctx.config.repeats, result.failures, "small requests: ")
        runner.run(async_client.aclose())
        sync_client.close()
        rates = {c.key: n / median(seconds[c.key]) for c in contenders}
        result.figures = {
            "requests": n,
            "in_flight": width,
            "seconds": seconds,
            "requests_per_s": rates,
        }
        result.lines = [f"{n:,} short replies per contender and round"]
        result.lines += [f"  {c.label:<62} {rates[c.key]:>8,.0f} req/s" for c in contenders]
        result.targets = [
            Target(
                "AsyncDarkAI small requests / seed over aiohttp",
                paired_ratio(seconds, "async_client", ["seed_aiohttp"]),
                ">=",
                1.0,
            ),
            Target(
                "DarkAI small requests / seed over requests",
                paired_ratio(seconds, "sync_client", ["seed_requests"]),
                ">=",
                1.0,
            ),
        ]
        return result


def _none_wrong(wrong: object) -> bool:
    return wrong == []
