"""The gateway: the openai client through ``darkai gateway`` against our SDK direct.

Two gateway processes, started as users start them (``python -m darkai_sdk
gateway --port 0``), one in front of the 64-char body, one in front of the
short reply; each the only user of its process, as the bench server is.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
import openai
from _bench_bodies import HTTP_HEAD, Body, BodySpec, build_body, markdown_text
from _bench_contenders import ours_async
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
    run_async,
    text_sha,
)
from _bench_server import Reply
from _bench_small import SMALL_PATH, SMALL_TEXT, small_reply

from darkai_sdk import AsyncDarkAI

__all__ = ["Gateway"]

#: The openai client through the gateway, against AsyncDarkAI direct: the second
#: hop may cost no more than the first.
THROUGHPUT_TARGET = 0.5
BODY_PATH = "/gateway/utf8-64"
MODEL = "gpt-4o"
_CHAT_BODY = json.dumps(
    {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "stream": True}
).encode()
_START_TIMEOUT = 30.0


class GatewayProcess:
    """``darkai gateway`` in its own process, in front of ``upstream``; ``url`` is its /v1."""

    def __init__(self, upstream: str) -> None:
        command = [sys.executable, "-m", "darkai_sdk", "gateway", "--port", "0"]
        command += ["--base-url", upstream, "--max-retries", "0"]
        # Its log (a line per request) is not what is measured.
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"darkai gateway did not start: {line!r}")
        self.url = line

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


async def _through_openai(client: openai.AsyncOpenAI) -> list[str]:
    """The text chunks of one streamed reply through the openai client."""
    out: list[str] = []
    append = out.append
    stream = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            append(chunk.choices[0].delta.content)
    return out


async def _first_chunk_direct(client: AsyncDarkAI) -> tuple[float, str]:
    """(seconds to the first text chunk, the whole text) of one reply, direct."""
    started = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    async with client.stream(PROMPT) as stream:
        async for chunk in stream:
            if not parts:
                first = time.perf_counter() - started
            parts.append(chunk)
    return first, "".join(parts)


async def _first_chunk_gateway(session: aiohttp.ClientSession, url: str) -> tuple[float, str]:
    """(seconds to the first text chunk, the text) of one reply through the gateway.

    The text counts only if the stream ended with ``finish_reason: "stop"`` and
    ``[DONE]``: an error event or a missing end gives "" (a wrong text).
    """
    started = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    stopped = done = False
    headers = {"Content-Type": "application/json"}
    async with session.post(url + "/chat/completions", data=_CHAT_BODY, headers=headers) as reply:
        async for line in reply.content:
            if not line.startswith(b"data: "):
                continue
            if line == b"data: [DONE]\n":
                done = True
                continue
            choices = json.loads(line[6:]).get("choices")
            if not choices:
                return first, ""  # an error event
            content = choices[0]["delta"].get("content")
            if content:
                if not parts:
                    first = time.perf_counter() - started
                parts.append(content)
            stopped = stopped or choices[0]["finish_reason"] == "stop"
    return first, "".join(parts) if stopped and done else ""


async def _concurrently(count: int, one: Any) -> tuple[list[float], int]:
    """Run ``count`` replies at once; (their times to the first chunk, how many were wrong)."""
    results: list[tuple[float, str]] = await asyncio.gather(*(one() for _ in range(count)))
    return [first for first, _ in results], sum(text != SMALL_TEXT for _, text in results)


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


class Gateway:
    """chars/s through the gateway against direct, and many streams at once through one gateway."""

    key = "gateway"
    title = "Gateway: the openai client through darkai gateway"

    def __init__(self, config: Config) -> None:
        size = 96 * 1024 if config.quick else MIB
        self.body: Body = build_body(BodySpec("utf8", 64, "large", size), markdown_text(size))
        self.streams = 50 if config.quick else 500
        self.rounds = 1 if config.quick else 2

    def replies(self) -> dict[str, Reply]:
        return {BODY_PATH: [(HTTP_HEAD + self.body.wire(), 1)], SMALL_PATH: small_reply()}

    def run(self, ctx: Context) -> Result:
        result = Result()
        ctx.log("gateway: starting two gateway processes")
        big = GatewayProcess(ctx.base + BODY_PATH)
        try:
            small = GatewayProcess(ctx.base + SMALL_PATH)
            try:
                self._throughput(ctx, big.url, result)
                self._many(ctx, small.url, result)
            finally:
                small.stop()
        finally:
            big.stop()
        return result

    def _throughput(self, ctx: Context, gateway_url: str, result: Result) -> None:
        runner = ctx.runner
        direct = AsyncDarkAI(ctx.base + BODY_PATH, max_retries=0)
        client = runner.run(_openai_client(gateway_url))
        want = text_sha(self.body.text)

        def right(chunks: object) -> bool:
            return isinstance(chunks, list) and text_sha("".join(chunks)) == want

        contenders = [
            Timed(
                "direct",
                "AsyncDarkAI.stream, direct",
                lambda: run_async(runner, ours_async(direct)),
                right,
            ),
            Timed(
                "openai",
                "openai.AsyncOpenAI through darkai gateway",
                lambda: run_async(runner, _through_openai(client)),
                right,
            ),
        ]
        interleave(contenders, 1, [])  # warm up: connections, code paths
        ctx.log(f"gateway: {ctx.config.repeats} rounds of the {self.body.size // 1024} KiB body")
        seconds = interleave(contenders, ctx.config.repeats, result.failures, "gateway: ")
        runner.run(direct.aclose())
        runner.run(client.close())
        chars = len(self.body.text)
        rates = {c.key: chars / median(seconds[c.key]) / 1e6 for c in contenders}
        ratio = paired_ratio(seconds, "openai", ["direct"])
        result.figures["throughput"] = {
            "body": self.body.spec.name,
            "chars": chars,
            "seconds": seconds,
            "mchars_per_s": rates,
            "ratio": ratio,
        }
        result.lines.append(
            f"{self.body.spec.name}, {self.body.size // 1024} KiB, {chars:,} characters:"
        )
        result.lines += [f"  {c.label:<48} {rates[c.key]:>7.1f} Mchars/s" for c in contenders]
        result.targets.append(
            Target(
                "openai client through the gateway / AsyncDarkAI direct",
                ratio,
                ">=",
                THROUGHPUT_TARGET,
                note=f"{self.body.spec.name}",
            )
        )

    def _many(self, ctx: Context, gateway_url: str, result: Result) -> None:
        runner = ctx.runner
        count = self.streams
        direct = AsyncDarkAI(ctx.base + SMALL_PATH, max_retries=0)
        session = runner.run(_unlimited_session())
        ctx.log(f"gateway: {count} streams at once, {self.rounds} rounds")
        firsts: dict[str, list[float]] = {"direct": [], "gateway": []}
        wrong = {"direct": 0, "gateway": 0}
        runs = {
            "direct": lambda: _first_chunk_direct(direct),
            "gateway": lambda: _first_chunk_gateway(session, gateway_url),
        }
        runner.run(_concurrently(10, runs["gateway"]))  # warm up
        for _ in range(self.rounds):
            for key, one in runs.items():
                times, bad = runner.run(_concurrently(count, one))
                firsts[key] += times
                wrong[key] += bad
        runner.run(direct.aclose())
        runner.run(session.close())
        for key, bad in wrong.items():
            if bad:
                result.failures.append(f"gateway: {bad} of {count} concurrent {key} texts wrong")
        pct = {
            key: {"p50": _percentile(v, 0.5) * 1e3, "p99": _percentile(v, 0.99) * 1e3}
            for key, v in firsts.items()
        }
        added = {p: pct["gateway"][p] - pct["direct"][p] for p in ("p50", "p99")}
        result.figures["concurrent"] = {
            "streams": count,
            "rounds": self.rounds,
            "wrong": wrong,
            "first_chunk_ms": pct,
            "added_ms": added,
        }
        result.lines.append(
            f"{count} streams at once of the short reply, {self.rounds} rounds; "
            "time to the first chunk, ms:"
        )
        result.lines.append(f"  {'':<48} {'p50':>7} {'p99':>7}")
        for label, row in (
            ("AsyncDarkAI.stream, direct", pct["direct"]),
            ("through darkai gateway (aiohttp, SSE parsed)", pct["gateway"]),
            ("added by the gateway", added),
        ):
            result.lines.append(f"  {label:<48} {row['p50']:>7.1f} {row['p99']:>7.1f}")
        result.targets.append(
            Target(
                "streams at once through one gateway, every text right",
                float(not wrong["gateway"]),
                "is",
                1,
                unit="",
                note=f"{count} streams; first chunk later by p50 {added['p50']:.1f} ms, "
                f"p99 {added['p99']:.1f} ms",
            )
        )


async def _openai_client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url, api_key="unused", max_retries=0)


async def _unlimited_session() -> aiohttp.ClientSession:
    # As many connections as streams: the client must not be what queues them.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
