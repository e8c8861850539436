"""Benchmark darkai-sdk side by side with its transports, the seed's algorithm and peer decoders.

    python tools/bench.py [--quick] [--json out.json]

One run starts a fast local server in a subprocess (tools/_bench_server.py) and
measures, with the contenders interleaved in every repeat so that noise hits all
alike, then prints medians, ratios and PASS/MISS against the targets:

1. bulk stream: throughput of a 50 MiB reply for the raw transports (the limit),
   AsyncDarkAI.stream and DarkAI.stream, the decoder alone, a naive decoder and
   the seed's algorithm over both transports; every contender's text is checked
   against the text sent (sha256), and a mismatch fails the run;
2. peer SSE decoders (sseclient-py, httpx-sse, openai) on the same bytes;
3. many small requests through one client, and the seed's session per request;
4. latency to the first chunk, ours minus the raw transport's;
5. peak RSS growth of a 200 MiB stream and of a line that never ends (in fresh
   processes, tools/_bench_memory.py);
6. start-up: ``import darkai_sdk`` against ``import requests``, and ``darkai --help``.

``--quick`` runs every part with tiny sizes (for the smoke test; its figures mean
little). Peers come from ``pip install "darkai-sdk[bench]"``; missing ones are
reported as not installed. Exit status: 0 when every contender received exactly
the text sent (a target MISS is reported, not fatal), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import functools
import gc
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
import requests

from darkai_sdk import AsyncDarkAI, DarkAI, format_prompt, resolve_model
from darkai_sdk._events import EventDecoder
from darkai_sdk._sse import DEFAULT_MAX_LINE_SIZE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_server import SMALL_TEXT, Body, make_bulk

TOOLS = Path(__file__).resolve().parent
MIB = 1024 * 1024
#: The size of the pieces in-process decoders are fed.
FEED_SIZE = 64 * 1024
#: The read size of the raw transports: big, as a transport at its best reads.
RAW_READ = 1024 * 1024
PROMPT = "Write a long story."
SEED_HEADERS = {
    "accept": "text/event-stream",
    "content-type": "application/json",
    "user-agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    ),
}


@dataclass(frozen=True)
class Config:
    """Sizes and counts of one run."""

    bulk_size: int
    repeats: int
    small_requests: int
    in_flight: int
    latency_requests: int
    mem_size: int
    endless_size: int
    line_cap: int
    startup_runs: int


FULL = Config(
    bulk_size=50 * MIB,
    repeats=3,
    small_requests=2000,
    in_flight=64,
    latency_requests=200,
    mem_size=200 * MIB,
    endless_size=200 * MIB,
    line_cap=DEFAULT_MAX_LINE_SIZE,
    startup_runs=10,
)
QUICK = Config(
    bulk_size=2 * MIB,
    repeats=2,
    small_requests=100,
    in_flight=16,
    latency_requests=20,
    mem_size=8 * MIB,
    endless_size=4 * MIB,
    line_cap=1 * MIB,
    startup_runs=3,
)

# --------------------------------------------------------------------------- results


@dataclass
class Target:
    """One ratio or figure held against its target."""

    name: str
    value: float | None
    op: str  # ">=", "<" or "is"
    threshold: float
    unit: str = "x"
    note: str = ""

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        if self.op == ">=":
            return self.value >= self.threshold
        if self.op == "<":
            return self.value < self.threshold
        return self.value == self.threshold


@dataclass
class Report:
    """Every figure of the run; written as JSON with ``--json``."""

    config: dict[str, Any]
    environment: dict[str, Any]
    bulk: dict[str, Any] = field(default_factory=dict)
    peers: dict[str, Any] = field(default_factory=dict)
    small: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    startup: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = [{**asdict(t), "passed": t.passed} for t in self.targets]
        data["ok"] = not self.failures
        return data


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- server


class BenchServer:
    """The benchmark server in its own process, so it never competes with the client's loop."""

    def __init__(self, config: Config) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                str(TOOLS / "_bench_server.py"),
                f"--bulk-size={config.bulk_size}",
                f"--mem-size={config.mem_size}",
                f"--endless-size={config.endless_size}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base = ""

    def wait_ready(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.base

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the server's cue to stop
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# --------------------------------------------------------------------------- contenders

Received = list[str] | list[bytes]


@dataclass
class Contender:
    """One way of receiving the bulk body; ``run`` returns what it received, in pieces."""

    key: str
    label: str
    run: Callable[[], Received]
    kind: str  # "body" (the raw bytes) or "text" (the text chunks)


def seed_request_body() -> bytes:
    return json.dumps({"query": format_prompt(PROMPT), "model": resolve_model(None)}).encode()


# The seed's loop is written out in both worlds on purpose, line for line as
# PROTOCOL.md describes it (swallowed errors included): a shared helper would add
# a call per line and so misstate the baseline this benchmark compares against.
async def seed_stream_async(url: str) -> AsyncIterator[str]:
    """The seed's algorithm, as published: an async generator of text chunks."""
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(headers=SEED_HEADERS, timeout=timeout) as session:
        data = {"query": format_prompt(PROMPT), "model": resolve_model(None)}
        async with session.post(url, json=data) as response:
            response.raise_for_status()
            buffer = b""
            async for chunk in response.content.iter_chunked(1024):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.strip()
                    if line:
                        try:
                            line_str = line.decode()
                            if line_str.startswith("data: "):
                                chunk_data = json.loads(line_str[6:])
                                if chunk_data["event"] == "text-chunk":
                                    yield chunk_data["data"]["text"]
                                elif chunk_data["event"] == "stream-end":
                                    return
                        except json.JSONDecodeError:
                            pass
                        except Exception:
                            pass


def seed_stream_sync(url: str) -> Iterator[str]:
    """The seed's algorithm over requests: a new session per call, 1024-byte reads."""
    with requests.Session() as session:
        session.headers.update(SEED_HEADERS)
        data = {"query": format_prompt(PROMPT), "model": resolve_model(None)}
        with session.post(url, json=data, stream=True, timeout=600) as response:
            response.raise_for_status()
            buffer = b""
            for chunk in response.iter_content(1024):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    line = line.strip()
                    if line:
                        try:
                            line_str = line.decode()
                            if line_str.startswith("data: "):
                                chunk_data = json.loads(line_str[6:])
                                if chunk_data["event"] == "text-chunk":
                                    yield chunk_data["data"]["text"]
                                elif chunk_data["event"] == "stream-end":
                                    return
                        except json.JSONDecodeError:
                            pass
                        except Exception:
                            pass


async def collect_seed_async(url: str) -> list[str]:
    out: list[str] = []
    append = out.append
    async for text in seed_stream_async(url):
        append(text)
    return out


def collect_seed_sync(url: str) -> list[str]:
    out: list[str] = []
    append = out.append
    for text in seed_stream_sync(url):
        append(text)
    return out


async def raw_aiohttp(session: aiohttp.ClientSession, url: str, body: bytes) -> list[bytes]:
    out: list[bytes] = []
    append = out.append
    async with session.post(url, data=body, headers=SEED_HEADERS) as response:
        response.raise_for_status()
        async for data in response.content.iter_any():
            append(data)
    return out


def raw_requests(session: requests.Session, url: str, body: bytes) -> list[bytes]:
    out: list[bytes] = []
    append = out.append
    with session.post(url, data=body, headers=SEED_HEADERS, stream=True) as response:
        response.raise_for_status()
        for data in response.raw.read_chunked(RAW_READ, decode_content=False):
            append(data)
    return out


async def ours_async(client: AsyncDarkAI) -> list[str]:
    out: list[str] = []
    append = out.append
    async with client.stream(PROMPT) as stream:
        async for chunk in stream:
            append(chunk)
    if not stream.done:
        raise RuntimeError("AsyncDarkAI.stream ended without stream-end")
    return out


def ours_sync(client: DarkAI) -> list[str]:
    out: list[str] = []
    append = out.append
    with client.stream(PROMPT) as stream:
        for chunk in stream:
            append(chunk)
    if not stream.done:
        raise RuntimeError("DarkAI.stream ended without stream-end")
    return out


def decoder_alone(pieces: list[bytes]) -> list[str]:
    """EventDecoder fed the body in 64 KiB pieces, as the clients feed it."""
    out: list[str] = []
    append = out.append
    decoder = EventDecoder()
    for piece in pieces:
        for item in decoder.feed(piece):
            if isinstance(item, str):
                append(item)
    for item in decoder.close():
        if isinstance(item, str):
            append(item)
    return out


def naive_decoder(pieces: list[bytes]) -> list[str]:
    """The floor: split events on a blank line, strip "data: ", json.loads each."""
    out: list[str] = []
    append = out.append
    loads = json.loads
    buffer = b""
    for piece in pieces:
        buffer += piece
        events = buffer.split(b"\n\n")
        buffer = events.pop()
        for event in events:
            if event.startswith(b"data: "):
                obj = loads(event[6:])
                if obj["event"] == "text-chunk":
                    append(obj["data"]["text"])
    return out


def _darkai_text(data: str, append: Callable[[str], None]) -> None:
    obj = json.loads(data)
    if obj["event"] == "text-chunk":
        append(obj["data"]["text"])


def peer_decoders() -> dict[str, tuple[str, Callable[[list[bytes]], list[str]] | None]]:
    """Each peer's label and runner, or None when it is not installed."""
    peers: dict[str, tuple[str, Callable[[list[bytes]], list[str]] | None]] = {}

    try:
        import sseclient

        def run_sseclient(pieces: list[bytes]) -> list[str]:
            out: list[str] = []
            append = out.append
            for event in sseclient.SSEClient(iter(pieces)).events():
                _darkai_text(event.data, append)
            return out

        peers["sseclient"] = ("sseclient-py SSEClient.events", run_sseclient)
    except ImportError:
        peers["sseclient"] = ("sseclient-py", None)

    try:
        from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
        from httpx_sse._decoders import SSELineDecoder

        def run_httpx_sse(pieces: list[bytes]) -> list[str]:
            # What EventSource.iter_sse does over httpx's iter_text, minus the network.
            out: list[str] = []
            append = out.append
            text_decoder = codecs.getincrementaldecoder("utf-8")()
            lines = SSELineDecoder()
            decoder = HttpxSSEDecoder()

            def handle(line: str) -> None:
                sse = decoder.decode(line.rstrip("\n"))
                if sse is not None:
                    _darkai_text(sse.data, append)

            for piece in pieces:
                for line in lines.decode(text_decoder.decode(piece)):
                    handle(line)
            for line in lines.flush():
                handle(line)
            return out

        peers["httpx_sse"] = ("httpx-sse SSELineDecoder+SSEDecoder", run_httpx_sse)
    except ImportError:
        peers["httpx_sse"] = ("httpx-sse", None)

    try:
        from openai._streaming import SSEDecoder as OpenAISSEDecoder

        def run_openai(pieces: list[bytes]) -> list[str]:
            out: list[str] = []
            append = out.append
            for sse in OpenAISSEDecoder().iter_bytes(iter(pieces)):
                _darkai_text(sse.data, append)
            return out

        peers["openai"] = ("openai._streaming.SSEDecoder", run_openai)
    except ImportError:
        peers["openai"] = ("openai", None)
    return peers


# --------------------------------------------------------------------------- 1+2. bulk


def run_bulk(
    config: Config,
    base: str,
    bulk: Body,
    runner: asyncio.Runner,
    report: Report,
    log: Callable[[str], None],
) -> None:
    body = bulk.body
    body_sha = hashlib.sha256(body).hexdigest()
    text_sha = hashlib.sha256(bulk.text.encode()).hexdigest()
    chars = len(bulk.text)
    pieces = [body[i : i + FEED_SIZE] for i in range(0, len(body), FEED_SIZE)]
    url = base + "/bulk"
    request_body = seed_request_body()

    session = runner.run(_new_session())
    requests_session = requests.Session()
    async_client = AsyncDarkAI(url, max_retries=0)
    sync_client = DarkAI(url, max_retries=0)

    contenders = [
        Contender(
            "raw_aiohttp",
            "raw aiohttp (iter_any)",
            lambda: runner.run(raw_aiohttp(session, url, request_body)),
            "body",
        ),
        Contender(
            "raw_requests",
            "raw requests (read_chunked 1 MiB)",
            lambda: raw_requests(requests_session, url, request_body),
            "body",
        ),
        Contender(
            "async_stream",
            "AsyncDarkAI.stream",
            lambda: runner.run(ours_async(async_client)),
            "text",
        ),
        Contender("sync_stream", "DarkAI.stream", lambda: ours_sync(sync_client), "text"),
        Contender(
            "decoder", "EventDecoder alone (64 KiB feeds)", lambda: decoder_alone(pieces), "text"
        ),
        Contender("naive", "naive split+json.loads", lambda: naive_decoder(pieces), "text"),
        Contender(
            "seed_aiohttp",
            "seed's algorithm over aiohttp",
            lambda: runner.run(collect_seed_async(url)),
            "text",
        ),
        Contender(
            "seed_requests",
            "seed's algorithm over requests",
            lambda: collect_seed_sync(url),
            "text",
        ),
    ]
    peers = peer_decoders()
    for key, (label, run) in peers.items():
        if run is None:
            report.peers[key] = {"label": label, "status": "not installed"}
            continue
        contenders.append(Contender(key, label, functools.partial(run, pieces), "text"))

    # Warm up every connection pool and code path on the real body, then measure.
    log("bulk: warming up")
    for contender in contenders[:4]:
        contender.run()
    seconds: dict[str, list[float]] = {c.key: [] for c in contenders}
    for repeat in range(config.repeats):
        log(f"bulk: repeat {repeat + 1} of {config.repeats}")
        shift = repeat % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            gc.collect()
            started = time.perf_counter()
            received = contender.run()
            elapsed = time.perf_counter() - started
            if not _verify(received, contender.kind, body_sha, text_sha):
                report.failures.append(
                    f"{contender.label}: received {contender.kind} differs from what was sent"
                )
            del received
            seconds[contender.key].append(elapsed)

    runner.run(session.close())
    runner.run(async_client.aclose())
    requests_session.close()
    sync_client.close()

    size = len(body)
    figures: dict[str, Any] = {}
    for contender in contenders:
        runs = seconds[contender.key]
        figure = {
            "label": contender.label,
            "seconds": runs,
            "median_seconds": median(runs),
            "mb_per_s": size / median(runs) / 1e6,
            "mchars_per_s": chars / median(runs) / 1e6,
            "verified": not any(f.startswith(contender.label + ":") for f in report.failures),
        }
        if contender.key in peers:
            report.peers[contender.key] = {**figure, "status": "ok"}
        else:
            figures[contender.key] = figure
    report.bulk = {
        "body_bytes": size,
        "chars": chars,
        "events": body.count(b"\n\n"),
        "feed_size": FEED_SIZE,
        "contenders": figures,
    }

    # Each ratio is the median of the ratios within each repeat: contenders of one
    # repeat ran back to back, so a slow spell of the machine hits both sides.
    def ratio(key: str, over: list[str]) -> float | None:
        """How many times faster ``key`` is than the fastest of ``over``."""
        if not over:
            return None
        runs = range(config.repeats)
        return median([min(seconds[o][r] for o in over) / seconds[key][r] for r in runs])

    installed = [
        key for key in peers if key in report.peers and report.peers[key]["status"] == "ok"
    ]
    fastest = max(installed, key=lambda k: report.peers[k]["mb_per_s"], default="")
    pairs = [
        ("decoder alone / naive", "decoder", "naive", 3.0),
        ("AsyncDarkAI.stream / seed over aiohttp", "async_stream", "seed_aiohttp", 5.0),
        ("DarkAI.stream / seed over requests", "sync_stream", "seed_requests", 5.0),
        ("AsyncDarkAI.stream / decoder alone", "async_stream", "decoder", 0.6),
        ("DarkAI.stream / decoder alone", "sync_stream", "decoder", 0.6),
    ]
    report.targets += [Target(name, ratio(a, [b]), ">=", t) for name, a, b, t in pairs[:1]]
    report.targets.append(
        Target(
            "decoder alone / fastest peer",
            ratio("decoder", installed),
            ">=",
            3.0,
            note=f"fastest: {report.peers[fastest]['label']}" if installed else "no peer installed",
        )
    )
    report.targets += [Target(name, ratio(a, [b]), ">=", t) for name, a, b, t in pairs[1:]]


async def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def _verify(received: Received, kind: str, body_sha: str, text_sha: str) -> bool:
    if kind == "body":
        return hashlib.sha256(b"".join(received)).hexdigest() == body_sha  # type: ignore[arg-type]
    return hashlib.sha256("".join(received).encode()).hexdigest() == text_sha  # type: ignore[arg-type]


# --------------------------------------------------------------------------- 3. small


async def _in_flight(count: int, width: int, one: Callable[[], Awaitable[str]]) -> int:
    """Make ``count`` requests, ``width`` at a time; return how many replies were wrong."""
    left = count
    wrong = 0

    async def worker() -> None:
        nonlocal left, wrong
        while left > 0:
            left -= 1
            if await one() != SMALL_TEXT:
                wrong += 1

    await asyncio.gather(*(worker() for _ in range(width)))
    return wrong


def run_small(
    config: Config, base: str, runner: asyncio.Runner, report: Report, log: Callable[[str], None]
) -> None:
    url = base + "/small"
    n = config.small_requests
    async_client = AsyncDarkAI(url, max_retries=0)
    sync_client = DarkAI(url, max_retries=0)

    async def seed_one() -> str:
        return "".join(await collect_seed_async(url))

    def ours_async_all() -> int:
        return runner.run(_in_flight(n, config.in_flight, lambda: async_client.complete(PROMPT)))

    def seed_async_all() -> int:
        return runner.run(_in_flight(n, config.in_flight, seed_one))

    def ours_sync_all() -> int:
        return sum(sync_client.complete(PROMPT) != SMALL_TEXT for _ in range(n))

    contenders: list[tuple[str, str, Callable[[], int]]] = [
        ("async_client", f"AsyncDarkAI, one client, {config.in_flight} in flight", ours_async_all),
        (
            "async_session_per_request",
            f"aiohttp session per request (seed), {config.in_flight} in flight",
            seed_async_all,
        ),
        ("sync_client", "DarkAI, one client, one after another", ours_sync_all),
    ]
    log("small: warming up")
    runner.run(async_client.complete(PROMPT))
    sync_client.complete(PROMPT)
    seconds: dict[str, list[float]] = {key: [] for key, _, _ in contenders}
    for repeat in range(config.repeats):
        log(f"small: repeat {repeat + 1} of {config.repeats}")
        shift = repeat % len(contenders)
        for key, label, run in contenders[shift:] + contenders[:shift]:
            gc.collect()
            started = time.perf_counter()
            wrong = run()
            seconds[key].append(time.perf_counter() - started)
            if wrong:
                report.failures.append(f"{label}: {wrong} of {n} replies differ from the text sent")
    runner.run(async_client.aclose())
    sync_client.close()
    report.small = {
        "requests": n,
        "in_flight": config.in_flight,
        "contenders": {
            key: {
                "label": label,
                "seconds": seconds[key],
                "requests_per_s": n / median(seconds[key]),
            }
            for key, label, _ in contenders
        },
    }


# --------------------------------------------------------------------------- 4. latency


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


def run_latency(
    config: Config, base: str, runner: asyncio.Runner, report: Report, log: Callable[[str], None]
) -> None:
    url = base + "/small"
    body = seed_request_body()
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
    log("latency: measuring")
    for probe in probes.values():  # warm up: connections, code paths
        probe()
    samples: dict[str, list[float]] = {key: [] for key in probes}
    order = list(probes)
    for i in range(config.latency_requests):
        for key in order[i % 2 :] + order[: i % 2]:
            samples[key].append(probes[key]())
    runner.run(async_client.aclose())
    runner.run(session.close())
    sync_client.close()
    requests_session.close()
    figures: dict[str, Any] = {"requests": config.latency_requests}
    for world in ("async", "sync"):
        ours, raw = samples[f"{world}_ours"], samples[f"{world}_raw"]
        figures[world] = {
            "ours_ms": median(ours) * 1e3,
            "raw_ms": median(raw) * 1e3,
            "overhead_ms": (median(ours) - median(raw)) * 1e3,
            "paired_overhead_ms": median([a - b for a, b in zip(ours, raw, strict=True)]) * 1e3,
        }
    report.latency = figures


# --------------------------------------------------------------------------- 5. memory


MEMORY_MODES = ("sync-notext", "sync-default", "async-notext", "endless")


def run_memory(config: Config, base: str, report: Report, log: Callable[[str], None]) -> None:
    block = make_bulk(MIB, seed=7)
    block_events = len(block.body) - len(b'data: {"event": "stream-end"}\n\n')
    expected_chars = max(1, config.mem_size // block_events) * len(block.text)
    results: dict[str, Any] = {
        "stream_bytes": config.mem_size,
        "endless_bytes": config.endless_size,
        "line_cap": config.line_cap,
    }
    # The probes run at once: a peak RSS does not depend on how fast it is reached.
    log("memory: probing " + ", ".join(MEMORY_MODES))
    probes = {
        mode: subprocess.Popen(
            [sys.executable, str(TOOLS / "_bench_memory.py"), mode, base, str(config.line_cap)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in MEMORY_MODES
    }
    for mode, probe in probes.items():
        try:
            stdout, stderr = probe.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            probe.kill()
            stdout, stderr = probe.communicate()
        if probe.returncode != 0:
            report.failures.append(f"memory {mode}: the probe failed: {stderr[-500:]}")
            results[mode] = {"error": stderr[-500:], "growth": None, "chars": 0, "seconds": None}
            continue
        result = json.loads(stdout)
        results[mode] = result
        if mode == "endless":
            if not (result["error"] or "").startswith("ProtocolError"):
                report.failures.append(f"memory endless: expected ProtocolError, got {result}")
        elif result["error"] is not None or result["chars"] != expected_chars:
            report.failures.append(
                f"memory {mode}: received {result['chars']} of {expected_chars} characters"
                f" ({result['error']})"
            )
    report.memory = results
    cap_bytes = config.line_cap  # the line is ASCII: one byte a character
    endless = results["endless"]
    stopped = (
        endless.get("growth") is not None
        and (endless.get("error") or "").startswith("ProtocolError")
        and "longer than" in endless["error"]
    )
    report.targets += [
        Target(
            f"RSS growth, {config.mem_size // MIB} MiB via DarkAI.stream(keep_text=False)",
            _mib(results["sync-notext"].get("growth")),
            "<",
            10,
            unit="MiB",
        ),
        Target(
            "never-ending line stops at the cap with ProtocolError",
            1.0 if stopped else 0.0,
            "is",
            1.0,
            unit="",
            note=f"growth {_fmt(_mib(endless.get('growth')))} MiB, cap {cap_bytes / MIB:g} MiB",
        ),
        Target(
            "never-ending line: RSS growth / cap",
            None if endless.get("growth") is None else endless["growth"] / cap_bytes,
            "<",
            2.5,
        ),
    ]


def _mib(value: float | None) -> float | None:
    return None if value is None else value / MIB


# --------------------------------------------------------------------------- 6. start-up

_IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import {0}; t = time.perf_counter() - t; "
    "import sys; print(t, 'aiohttp' in sys.modules, 'requests' in sys.modules)"
)


def run_startup(config: Config, report: Report, log: Callable[[str], None]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DARKAI_LOG"}
    commands: dict[str, list[str]] = {
        "import_darkai_sdk": [sys.executable, "-c", "import darkai_sdk"],
        "import_requests": [sys.executable, "-c", "import requests"],
        "probe_darkai_sdk": [sys.executable, "-c", _IMPORT_PROBE.format("darkai_sdk")],
        "probe_requests": [sys.executable, "-c", _IMPORT_PROBE.format("requests")],
        "cli_help": [sys.executable, "-m", "darkai_sdk", "--help"],
    }
    wall: dict[str, list[float]] = {key: [] for key in commands}
    inner: dict[str, list[float]] = {"probe_darkai_sdk": [], "probe_requests": []}
    flags: dict[str, tuple[bool, bool]] = {}
    cli_error = ""
    log("start-up: measuring")
    for i in range(config.startup_runs + 1):  # the first round warms the file cache
        keys = list(commands)
        shift = i % len(keys)
        for key in keys[shift:] + keys[:shift]:
            if key == "cli_help" and cli_error:
                continue
            started = time.perf_counter()
            done = subprocess.run(commands[key], capture_output=True, text=True, env=env)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                if key == "cli_help":
                    cli_error = (done.stderr.strip().splitlines() or ["failed"])[-1]
                    continue
                report.failures.append(f"start-up {key} failed: {done.stderr[-300:]}")
                continue
            if i == 0:
                continue
            wall[key].append(elapsed)
            if key in inner:
                took, has_aiohttp, has_requests = done.stdout.split()
                inner[key].append(float(took))
                flags[key] = (has_aiohttp == "True", has_requests == "True")
    figures: dict[str, Any] = {"runs": config.startup_runs}
    for key in ("import_darkai_sdk", "import_requests"):
        figures[key] = {"seconds": wall[key], "median_ms": median(wall[key]) * 1e3}
    for key in inner:
        figures[key.replace("probe", "import_only")] = {
            "seconds": inner[key],
            "median_ms": median(inner[key]) * 1e3,
        }
    if cli_error:
        figures["cli_help"] = {"skipped": cli_error, "median_ms": None}
    else:
        figures["cli_help"] = {
            "seconds": wall["cli_help"],
            "median_ms": median(wall["cli_help"]) * 1e3,
        }
    aiohttp_loaded, requests_loaded = flags.get("probe_darkai_sdk", (True, True))
    figures["darkai_sdk_imports_aiohttp"] = aiohttp_loaded
    figures["darkai_sdk_imports_requests"] = requests_loaded
    report.startup = figures
    report.targets += [
        Target(
            "python -c 'import darkai_sdk' / 'import requests'",
            median(wall["import_darkai_sdk"]) / median(wall["import_requests"]),
            "<",
            1.2,
        ),
        Target(
            "import darkai_sdk / import requests, import only",
            median(inner["probe_darkai_sdk"]) / median(inner["probe_requests"]),
            "<",
            1.2,
        ),
        Target("import darkai_sdk leaves aiohttp unimported", float(not aiohttp_loaded), "is", 1),
    ]


# --------------------------------------------------------------------------- output


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render(report: Report) -> str:
    lines: list[str] = []
    add = lines.append
    env = report.environment
    add(
        f"darkai-sdk benchmark: {env['mode']}, {report.config['repeats']} repeats (medians), "
        f"{env['cpus']} CPUs, Python {env['python']}, aiohttp {env['aiohttp']}, "
        f"requests {env['requests']}"
    )
    bulk = report.bulk
    if bulk:
        contenders = bulk["contenders"]
        limit = {"raw_aiohttp", "raw_requests"}
        add("")
        add(
            f"1. Bulk stream: {bulk['body_bytes'] / MIB:.1f} MiB body, "
            f"{bulk['chars'] / 1e6:.2f} M chars, {bulk['events']:,} events "
            f"(64-char text chunks), sha256-checked"
        )
        add(f"   {'contender':<44} {'MB/s':>9} {'Mchar/s':>9} {'s':>7}")
        for key, figure in contenders.items():
            note = "  (transport limit)" if key in limit else ""
            add(
                f"   {figure['label']:<44} {_fmt(figure['mb_per_s']):>9} "
                f"{_fmt(figure['mchars_per_s'], 2):>9} {figure['median_seconds']:>7.3f}{note}"
            )
        add("")
        add("2. Peer decoders, same bytes, in-process, each + json.loads")
        add(f"   {'contender':<44} {'MB/s':>9} {'Mchar/s':>9} {'s':>7}")
        for figure in report.peers.values():
            if figure["status"] != "ok":
                add(f"   {figure['label']:<44} {'not installed':>27}")
                continue
            add(
                f"   {figure['label']:<44} {_fmt(figure['mb_per_s']):>9} "
                f"{_fmt(figure['mchars_per_s'], 2):>9} {figure['median_seconds']:>7.3f}"
            )
    if report.small:
        small = report.small
        add("")
        add(f"3. Small requests: {small['requests']:,} short replies")
        add(f"   {'contender':<60} {'req/s':>9}")
        for figure in small["contenders"].values():
            add(f"   {figure['label']:<60} {_fmt(figure['requests_per_s'], 0):>9}")
        contenders = small["contenders"]
        reuse = (
            contenders["async_client"]["requests_per_s"]
            / contenders["async_session_per_request"]["requests_per_s"]
        )
        add(f"   connection reuse: one AsyncDarkAI does {reuse:.1f}x the seed's requests/s")
    if report.latency:
        latency = report.latency
        add("")
        add(f"4. Latency to the first chunk, median of {latency['requests']} (ms)")
        add(
            f"   {'ours vs raw transport':<44} {'ours':>8} {'raw':>8} {'ours-raw':>9}"
            f" {'median of differences':>22}"
        )
        for world, label in (
            ("async", "AsyncDarkAI.stream vs aiohttp"),
            ("sync", "DarkAI.stream vs requests"),
        ):
            f = latency[world]
            add(
                f"   {label:<44} {f['ours_ms']:>8.3f} {f['raw_ms']:>8.3f} "
                f"{f['overhead_ms']:>9.3f} {f['paired_overhead_ms']:>22.3f}"
            )
    if report.memory:
        memory = report.memory
        add("")
        add(
            f"5. Memory: peak RSS growth in a fresh process, caller keeps no text "
            f"({memory['stream_bytes'] / MIB:.0f} MiB stream; "
            f"{memory['endless_bytes'] / MIB:.0f} MiB endless line, cap "
            f"{memory['line_cap'] / MIB:g} MiB)"
        )
        labels = {
            "sync-notext": "DarkAI.stream(keep_text=False)",
            "sync-default": "DarkAI.stream() (keeps chunks for .text)",
            "async-notext": "AsyncDarkAI.stream(keep_text=False)",
            "endless": "DarkAI.stream(), line that never ends",
        }
        add(f"   {'case':<44} {'growth MiB':>10}  outcome")
        for mode, label in labels.items():
            result = memory.get(mode, {})
            outcome = result.get("error") or f"{result.get('chars', 0):,} chars"
            add(f"   {label:<44} {_fmt(_mib(result.get('growth'))):>10}  {outcome[:70]}")
        kept = memory.get("sync-default", {}).get("growth")
        if kept is not None and kept > memory["stream_bytes"] / 4:
            add(
                f"   finding: by default a Stream keeps every chunk for .text: "
                f"{kept / memory['stream_bytes']:.1f} bytes of RSS per byte streamed; "
                f"keep_text=False is the no-retention mode"
            )
    if report.startup:
        startup = report.startup
        add("")
        add(f"6. Start-up, median of {startup['runs']} subprocess runs (ms)")
        rows = [
            ("python -c 'import darkai_sdk'", startup["import_darkai_sdk"]["median_ms"]),
            ("python -c 'import requests'", startup["import_requests"]["median_ms"]),
            ("import darkai_sdk, in-process only", startup["import_only_darkai_sdk"]["median_ms"]),
            ("import requests, in-process only", startup["import_only_requests"]["median_ms"]),
            ("python -m darkai_sdk --help", startup["cli_help"]["median_ms"]),
        ]
        for label, value in rows:
            shown = (
                _fmt(value) if value is not None else "skipped: " + startup["cli_help"]["skipped"]
            )
            add(f"   {label:<44} {shown:>9}")
        add(
            f"   import darkai_sdk imports aiohttp: {startup['darkai_sdk_imports_aiohttp']}, "
            f"requests: {startup['darkai_sdk_imports_requests']}"
        )
    add("")
    add("Ratios and targets")
    for target in report.targets:
        if target.op == "is":  # a yes-or-no check
            shown, want = ("yes" if target.value else "no"), "yes"
        elif target.unit == "MiB":
            shown, want = f"{_fmt(target.value)} MiB", f"{target.op} {target.threshold:g} MiB"
        else:
            shown, want = f"{_fmt(target.value, 2)}x", f"{target.op} {target.threshold:g}x"
        verdict = "PASS" if target.passed else "MISS"
        note = f"  ({target.note})" if target.note else ""
        add(f"   {target.name:<58} {shown:>10}  {want:<10} {verdict}{note}")
    add("")
    if report.failures:
        add("FAILED:")
        lines += [f"   {failure}" for failure in report.failures]
    else:
        add("every contender received exactly the text sent")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON here")
    parser.add_argument("--repeats", type=int, help="repeats of each timed part (default: 3)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error("--repeats must be at least 1")
        config = replace(config, repeats=args.repeats)
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr)

    report = Report(
        config=asdict(config),
        environment={
            "mode": "quick" if args.quick else "full",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "aiohttp": metadata.version("aiohttp"),
            "requests": metadata.version("requests"),
            "darkai_sdk": metadata.version("darkai-sdk"),
        },
    )
    server = BenchServer(config)
    try:
        # The server builds the same body meanwhile, in its own process.
        bulk = make_bulk(config.bulk_size)
        base = server.wait_ready()
        log(f"server at {base}")
        with asyncio.Runner() as runner:
            run_bulk(config, base, bulk, runner, report, log)
            del bulk
            run_small(config, base, runner, report, log)
            run_latency(config, base, runner, report, log)
        run_memory(config, base, report, log)
    finally:
        server.stop()
    run_startup(config, report, log)
    report.environment["seconds"] = time.perf_counter() - started
    print(render(report))
    print(f"\n(total {report.environment['seconds']:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2) + "\n")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
