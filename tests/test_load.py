"""A load run: 1,000 concurrent streams through one AsyncDarkAI, about 10% of them faulted.

Each request carries its index in the prompt; the server derives the reply and
the fault from it (and from how often it has seen the request), so every
outcome is known in advance however the requests interleave.

The few requests whose first attempt stalls go through a second client with a
short read timeout of their own: that timeout is what they test, while the
thousand others, on 2 busy cores, must not time out because one read waited a
second for the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from rawservers import HandlerServer, open_fds, pool_stats

from darkai_sdk import (
    AsyncDarkAI,
    DarkAIError,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    ServerEventError,
    Timeout,
)
from darkai_sdk.testing import Reply
from darkai_sdk.testing._wire import plan_body

pytestmark = pytest.mark.timeout(120)

STREAMS = 1000
SEED = 20240611
CHUNK = 7
MAX_RETRIES = 2
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "ñu",
    "中文",
    "🎉",
]


@dataclass(frozen=True)
class Plan:
    """What the server does for one request index, and what the caller must see."""

    kind: str
    text: str
    #: The Reply fields of the fault, sent on the first ``faulted`` attempts.
    fault: dict[str, Any]
    faulted: int
    #: How many requests the server must see.
    attempts: int
    #: None: the caller gets the whole text; else this error after ``partial_chars``.
    error: type[DarkAIError] | None = None
    partial_chars: int = 0


def _ends_after(error: type[DarkAIError], field: str) -> Callable[[str, str, int], Plan]:
    # A fault after `after` chunks reached the caller: never retried.
    def plan(kind: str, text: str, after: int) -> Plan:
        return Plan(kind, text, {field: after}, 1, 1, error, after * CHUNK)

    return plan


def _once(field: str, value: int) -> Callable[[str, str, int], Plan]:
    # A fault before any text, on the first attempt only: the retry gets the whole reply.
    def plan(kind: str, text: str, after: int) -> Plan:
        return Plan(kind, text, {field: value}, 1, 2)

    return plan


PLANS: dict[str, Callable[[str, str, int], Plan]] = {
    "clean": lambda kind, text, after: Plan(kind, text, {}, 0, 1),
    "truncate": _ends_after(IncompleteStreamError, "truncate_after"),
    "cut": _ends_after(IncompleteStreamError, "cut_after"),
    "malformed": _ends_after(ProtocolError, "malformed_after"),
    "error-event": _ends_after(ServerEventError, "error_after"),
    "500-once": _once("status", 500),
    "cut-before-text-once": _once("cut_after", 0),
    "stall-before-text-once": _once("stall_after", 0),
    "500-always": lambda kind, text, after: Plan(
        kind, text, {"status": 500}, MAX_RETRIES + 1, MAX_RETRIES + 1, InternalServerError
    ),
}
KINDS = sorted(set(PLANS) - {"clean"})
STALL = "stall-before-text-once"
#: The read timeout that ends a stall: seconds of silence, in the stalling client only.
STALL_READ = 2.0


def make_plans(rng: random.Random) -> list[Plan]:
    plans = []
    for index in range(STREAMS):
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 30))]
        text = f"reply {index}: " + " ".join(words)
        chunks = -(-len(text) // CHUNK)
        after = rng.randint(1, chunks - 1)
        kind = rng.choice(KINDS) if rng.random() < 0.10 else "clean"
        plans.append(PLANS[kind](kind, text, after))
    return plans


class PlannedServer:
    """Plays each request's plan; counts attempts and the most streams open at once."""

    def __init__(self, plans: list[Plan]) -> None:
        self.plans = plans
        self.attempts: Counter[int] = Counter()
        self.open = 0
        self.most_open = 0

    async def __call__(self, server: HandlerServer, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.json()
        index = int(body["query"].removeprefix("request "))
        plan = self.plans[index]
        self.attempts[index] += 1
        attempt = self.attempts[index]
        fault = plan.fault if attempt <= plan.faulted else {}
        reply = Reply(text=plan.text, chunk_size=CHUNK, **fault)
        if not reply.is_stream:
            return web.json_response(
                {"error": {"message": f"planned failure of {index}"}},
                status=reply.status,
                headers={"Retry-After": "0"},
            )
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            return await self._stream(request, reply)
        finally:
            self.open -= 1

    async def _stream(self, request: web.BaseRequest, reply: Reply) -> web.StreamResponse:
        plan = plan_body(reply, reply.chunks("", ""))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for frame in plan.frames:
            await response.write(frame)
            await asyncio.sleep(0.002)  # keep many streams open at once
        if plan.ending == "end":
            await response.write_eof()
            return response
        if plan.ending == "cut":
            await response.write(plan.partial)
            transport = request.transport
            while transport is not None and transport.get_write_buffer_size():
                await asyncio.sleep(0.005)
        else:  # stall: until the client gives up; its leaving cancels this handler
            await asyncio.sleep(60)
        if request.transport is not None:
            request.transport.abort()
        return response


@dataclass
class Outcome:
    chunks: list[str]
    error: DarkAIError | None
    retries: int
    done: bool


async def run_one(client: AsyncDarkAI, index: int) -> Outcome:
    chunks: list[str] = []
    stream = client.stream(f"request {index}")
    try:
        async with stream:
            async for chunk in stream:
                chunks.append(chunk)
    except DarkAIError as exc:
        return Outcome(chunks, exc, stream.retries, stream.done)
    return Outcome(chunks, None, stream.retries, stream.done)


async def _settle(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_thousand_concurrent_streams_with_faults_are_all_accounted_for() -> None:
    plans = make_plans(random.Random(SEED))
    kinds = Counter(plan.kind for plan in plans)
    assert 60 <= STREAMS - kinds["clean"] <= 140, kinds  # about 10%
    assert set(kinds) == set(PLANS), kinds  # every fault is played

    gc.collect()
    fds_before = open_fds()
    handler = PlannedServer(plans)
    started = time.monotonic()
    with HandlerServer(handler) as server:
        timeout = Timeout(connect=10, read=30, total=60)
        stall_timeout = Timeout(connect=10, read=STALL_READ, total=60)
        async with (
            AsyncDarkAI(server.url(), max_retries=MAX_RETRIES, timeout=timeout) as client,
            AsyncDarkAI(server.url(), max_retries=MAX_RETRIES, timeout=stall_timeout) as staller,
        ):
            clients = [staller if plan.kind == STALL else client for plan in plans]
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(run_one(clients[i], i) for i in range(STREAMS))), 90
            )
            assert await _settle(lambda: pool_stats(client)[1] == 0), pool_stats(client)
            assert await _settle(lambda: pool_stats(staller)[1] == 0), pool_stats(staller)
        elapsed = time.monotonic() - started

        problems = []
        for index, (plan, outcome) in enumerate(zip(plans, outcomes, strict=True)):
            received = "".join(outcome.chunks)
            if plan.error is None:
                ok = outcome.error is None and outcome.done and received == plan.text
                ok = ok and outcome.retries == handler.attempts[index] - 1
            else:
                error = outcome.error
                ok = (
                    type(error) is plan.error
                    and error.partial_text == received == plan.text[: plan.partial_chars]
                    and plan.text.startswith(error.partial_text)
                    and not outcome.done
                )
            if not ok or handler.attempts[index] != plan.attempts:
                problems.append((index, plan, outcome, handler.attempts[index]))
        assert not problems, problems[:5]
        assert handler.most_open >= 50  # the streams really were concurrent
    assert await _settle(lambda: open_fds() <= fds_before), (open_fds(), fds_before)
    assert elapsed < 60
