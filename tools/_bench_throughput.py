"""Throughput on every body: clients, decoders, the seed, peers, raw transports, side by side."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import aiohttp
import requests
from _bench_bodies import HTTP_HEAD, Body, BodySpec, build_body, markdown_text
from _bench_contenders import (
    RawSocket,
    collect_seed_async,
    collect_seed_sync,
    decoder_alone,
    naive_decoder,
    ours_async,
    ours_sync,
    raw_aiohttp,
    raw_requests,
    seed_request_body,
)
from _bench_core import (
    MIB,
    Config,
    Context,
    Result,
    Target,
    Timed,
    interleave,
    median,
    paired_ratio,
    run_async,
)
from _bench_peers import Peer, peer_decoders
from _bench_server import Reply

from darkai_sdk import AsyncDarkAI, DarkAI

__all__ = ["Throughput", "body_specs"]

#: Both clients end to end, against the seed's algorithm over the same transport.
CLIENT_TARGET = 5.0
#: The decoder alone, against the fastest peer decoder.
DECODER_TARGET = 5.0


def body_specs(quick: bool) -> list[BodySpec]:
    """Every body measured: each server style, 4/16/64-char events, each framing."""
    big, small = (96 * 1024, 48 * 1024) if quick else (MIB, 3 * MIB // 4)
    return [
        BodySpec("utf8", 64, "large", big),
        BodySpec("ascii", 64, "large", big),
        BodySpec("compact", 64, "large", big),
        BodySpec("go", 64, "large", big),
        BodySpec("utf8", 64, "random", big),
        BodySpec("compact", 16, "random", small),
        BodySpec("utf8", 16, "event", small),
        BodySpec("ascii", 16, "event", small, crlf=True),
        BodySpec("utf8", 4, "event", small),
        BodySpec("compact", 4, "event", small),
        BodySpec("ascii", 4, "event", small),
    ]


# The contenders, in the order of the printed table: key, label.
_TRANSPORTS = {
    "raw_socket": "raw socket, 1 MiB recv (any transport's floor)",
    "raw_aiohttp": "raw aiohttp readany loop",
    "raw_requests": "raw requests/urllib3 read_chunked",
}
_CLIENTS = {
    "async": "AsyncDarkAI.stream",
    "seed_aiohttp": "seed's algorithm over aiohttp",
    "sync": "DarkAI.stream",
    "seed_requests": "seed's algorithm over requests",
}
_DECODERS = {
    "decoder": "EventDecoder alone",
    "naive": "naive split + json.loads",
}
# The order they run in: those compared with each other are neighbours (see interleave).
_RUN_ORDER = (
    "raw_aiohttp",
    "async",
    "seed_aiohttp",
    "raw_socket",
    "seed_requests",
    "sync",
    "raw_requests",
    "naive",
    "sseclient",
    "decoder",
    "httpx_sse",
    "openai",
)


class Throughput:
    """Characters per second on each body, every contender checked by the sha256 of its text."""

    key = "throughput"
    title = "Throughput: characters per second on every body"

    def __init__(self, config: Config) -> None:
        self.config = config
        specs = body_specs(config.quick)
        # Enough text for the body with the fewest bytes per character.
        text = markdown_text(max(spec.size for spec in specs))
        self.bodies = [build_body(spec, text) for spec in specs]

    def replies(self) -> dict[str, Reply]:
        return {_path(body): [(HTTP_HEAD + body.wire(), 1)] for body in self.bodies}

    def run(self, ctx: Context) -> Result:
        result = Result()
        peers = peer_decoders()
        installed = {key: label for key, (label, run) in peers.items() if run is not None}
        labels = {**_TRANSPORTS, **_CLIENTS, **_DECODERS, **installed}
        rows: list[dict[str, Any]] = []
        with _Receivers(ctx, peers) as receivers:
            for number, body in enumerate(self.bodies, 1):
                with receivers.clients(body) as contenders:
                    named = [Timed(c.key, labels[c.key], c.run, c.check) for c in contenders]
                    if number == 1:  # warm up pools and code paths; errors show in the rounds
                        interleave(named, 1, [])
                    ctx.log(f"throughput: body {number} of {len(self.bodies)}, {body.spec.name}")
                    seconds = interleave(
                        named, ctx.config.repeats, result.failures, f"{body.spec.name}: "
                    )
                rows.append(_figures(body, seconds, labels, list(installed)))
        result.figures = {"labels": labels, "bodies": rows, "peers": _peer_status(peers)}
        result.targets = _targets(rows, installed)
        result.lines = _render(rows, labels, peers)
        return result


class _Receivers:
    """The contenders for each body, over connections shared by every body."""

    def __init__(self, ctx: Context, peers: dict[str, tuple[str, Peer | None]]) -> None:
        self.ctx = ctx
        self.peers = peers
        self.request_body = seed_request_body()
        self.session = ctx.runner.run(_new_session())
        self.requests_session = requests.Session()
        self.raw_socket = RawSocket(ctx.base)

    def __enter__(self) -> _Receivers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.ctx.runner.run(self.session.close())
        self.requests_session.close()
        self.raw_socket.close()

    @contextmanager
    def clients(self, body: Body) -> Iterator[list[Timed]]:
        """Every contender for ``body`` (labels left to the caller), with clients of its own."""
        url = self.ctx.base + _path(body)
        runner = self.ctx.runner
        async_client = AsyncDarkAI(url, max_retries=0)
        sync_client = DarkAI(url, max_retries=0)
        request_body = self.request_body
        runs: dict[str, Callable[[], object]] = {
            "raw_socket": functools.partial(self.raw_socket.get, _path(body), request_body),
            "raw_aiohttp": lambda: run_async(runner, raw_aiohttp(self.session, url, request_body)),
            "raw_requests": functools.partial(
                raw_requests, self.requests_session, url, request_body
            ),
            "async": lambda: run_async(runner, ours_async(async_client)),
            "seed_aiohttp": lambda: run_async(runner, collect_seed_async(url)),
            "sync": functools.partial(ours_sync, sync_client),
            "seed_requests": functools.partial(collect_seed_sync, url),
            "decoder": functools.partial(decoder_alone, body.pieces),
            "naive": functools.partial(naive_decoder, body.pieces),
        }
        for key, (_, peer) in self.peers.items():
            if peer is not None:
                runs[key] = functools.partial(peer, body.pieces)
        text_ok = _text_check(body.text)
        body_ok = _bytes_check(b"".join(body.pieces))
        checks = {
            "raw_socket": _bytes_check(HTTP_HEAD + body.wire()),
            "raw_aiohttp": body_ok,
            "raw_requests": body_ok,
        }
        try:
            order = sorted(runs, key=lambda key: _RUN_ORDER.index(key))
            yield [Timed(key, key, runs[key], checks.get(key, text_ok)) for key in order]
        finally:
            runner.run(async_client.aclose())
            sync_client.close()


def _path(body: Body) -> str:
    return "/t/" + body.spec.name


async def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def _text_check(text: str) -> Callable[[object], bool]:
    want = hashlib.sha256(text.encode()).hexdigest()
    return lambda got: hashlib.sha256("".join(cast(list[str], got)).encode()).hexdigest() == want


def _bytes_check(data: bytes) -> Callable[[object], bool]:
    want = hashlib.sha256(data).hexdigest()
    return lambda got: hashlib.sha256(b"".join(cast(list[bytes], got))).hexdigest() == want


def _peer_status(peers: dict[str, tuple[str, Peer | None]]) -> dict[str, dict[str, str]]:
    return {
        key: {"label": label, "status": "ok" if run is not None else "not installed"}
        for key, (label, run) in peers.items()
    }


def _figures(
    body: Body, seconds: dict[str, list[float]], labels: dict[str, str], peers: list[str]
) -> dict[str, Any]:
    chars = len(body.text)
    fastest = min(peers, key=lambda k: median(seconds[k]), default=None)
    return {
        "name": body.spec.name,
        "label": body.spec.label,
        "bytes": body.size,
        "chars": chars,
        "events": body.events,
        "http_chunks": len(body.pieces),
        "escaped_share": body.escaped / max(1, body.events - 1),
        "seconds": seconds,
        "mchars_per_s": {key: chars / median(runs) / 1e6 for key, runs in seconds.items()},
        "ratios": {
            "async_vs_seed": paired_ratio(seconds, "async", ["seed_aiohttp"]),
            "aiohttp_allows": paired_ratio(seconds, "raw_aiohttp", ["seed_aiohttp"]),
            "sync_vs_seed": paired_ratio(seconds, "sync", ["seed_requests"]),
            "urllib3_allows": paired_ratio(seconds, "raw_requests", ["seed_requests"]),
            "socket_allows": paired_ratio(seconds, "raw_socket", ["seed_requests"]),
            "decoder_vs_fastest_peer": paired_ratio(seconds, "decoder", peers),
            "decoder_vs_naive": paired_ratio(seconds, "decoder", ["naive"]),
        },
        "fastest_peer": labels[fastest] if fastest else None,
    }


def _targets(rows: list[dict[str, Any]], peers: dict[str, str]) -> list[Target]:
    targets: list[Target] = []
    for row in rows:
        ratios, name = row["ratios"], row["name"]
        targets += [
            Target(
                f"AsyncDarkAI.stream / seed over aiohttp, {name}",
                ratios["async_vs_seed"],
                ">=",
                CLIENT_TARGET,
                note=f"aiohttp allows {_x(ratios['aiohttp_allows'])}",
                group="AsyncDarkAI.stream / seed over aiohttp",
            ),
            Target(
                f"DarkAI.stream / seed over requests, {name}",
                ratios["sync_vs_seed"],
                ">=",
                CLIENT_TARGET,
                note=f"urllib3 allows {_x(ratios['urllib3_allows'])}, "
                f"a socket {_x(ratios['socket_allows'])}",
                group="DarkAI.stream / seed over requests",
            ),
            Target(
                f"decoder alone / fastest peer, {name}",
                ratios["decoder_vs_fastest_peer"],
                ">=",
                DECODER_TARGET,
                note=f"fastest: {row['fastest_peer']}" if peers else "no peer installed",
                group="decoder alone / fastest peer",
            ),
        ]
    return targets


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _verdict(value: float | None, threshold: float) -> str:
    return _x(value) + (" PASS" if value is not None and value >= threshold else " FAIL")


def _render(
    rows: list[dict[str, Any]], labels: dict[str, str], peers: dict[str, tuple[str, Peer | None]]
) -> list[str]:
    lines = ["Bodies (text: Markdown-like, with non-ASCII and emoji):"]
    lines.append(f"  {'body':<22} {'MiB':>5} {'events':>7} {'escaped':>7}  written as")
    for row in rows:
        lines.append(
            f"  {row['name']:<22} {row['bytes'] / MIB:>5.2f} {row['events']:>7,} "
            f"{row['escaped_share']:>7.0%}  {row['label']}"
        )
    lines.append("  (escaped: share of text-chunk events whose text holds a quote, \\, LF or tab)")
    lines.append("")
    lines.append(
        f"Ratios, characters per second, median of per-round ratios "
        f"(targets: clients >= {CLIENT_TARGET:g}x the seed over the same transport, "
        f"decoder >= {DECODER_TARGET:g}x the fastest peer):"
    )
    head = (
        "| body | AsyncDarkAI / seed | aiohttp allows | DarkAI / seed | urllib3 allows "
        "| socket allows | decoder / fastest peer | decoder / naive |"
    )
    lines += [head, _rule(head)]
    for row in rows:
        r = row["ratios"]
        cells = [
            row["name"],
            _verdict(r["async_vs_seed"], CLIENT_TARGET),
            _x(r["aiohttp_allows"]),
            _verdict(r["sync_vs_seed"], CLIENT_TARGET),
            _x(r["urllib3_allows"]),
            _x(r["socket_allows"]),
            _verdict(r["decoder_vs_fastest_peer"], DECODER_TARGET),
            _x(r["decoder_vs_naive"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    names = [row["name"] for row in rows]
    lines.append("Millions of characters per second (median):")
    lines.append(f"  {'contender':<46}" + "".join(f" {i:>7}" for i in range(1, len(rows) + 1)))
    for key, label in labels.items():
        figures = [row["mchars_per_s"].get(key) for row in rows]
        lines.append(
            f"  {label:<46}" + "".join(f" {f:>7.2f}" if f else f" {'-':>7}" for f in figures)
        )
    lines.append("  columns: " + ", ".join(f"{i} {n}" for i, n in enumerate(names, 1)))
    missing = [label for label, run in peers.values() if run is None]
    if missing:
        lines.append(
            "  not installed: " + ", ".join(missing) + ' (pip install "darkai-sdk[bench]")'
        )
    return lines


def _rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)
