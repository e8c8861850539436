"""darkai_sdk.batch.run: many rows over one AsyncDarkAI, against a local server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from darkai_sdk import AsyncDarkAI, DarkAI, ResponseInfo, UnknownModelError
from darkai_sdk.batch import RATE_LIMIT_PAUSE, BatchError, BatchResult, BatchRow, _Pause, run
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = pytest.mark.timeout(60)

MODEL = "llama-3-70b"


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    async with DarkAIServer() as running:
        yield running


async def collect(client: AsyncDarkAI, rows: object, concurrency: int = 8) -> list[BatchResult]:
    async with contextlib.aclosing(run(client, rows, concurrency)) as results:  # type: ignore[arg-type]
        return [result async for result in results]


async def test_every_row_gets_its_own_whole_reply(server: DarkAIServer) -> None:
    rows = [{"id": f"r{i}", "prompt": f"prompt {i}"} for i in range(30)]
    async with AsyncDarkAI(server.url) as client:
        results = await collect(client, rows, concurrency=5)
    assert sorted(r.id for r in results) == sorted(row["id"] for row in rows)
    for result in results:
        number = str(result.id)[1:]
        assert result.text == default_reply_text(f"prompt {number}", MODEL)
        assert result.error is None and result.ok
        assert result.model == MODEL and result.retries == 0 and result.elapsed_s > 0
    assert sorted(r.prompt or "" for r in server.requests) == sorted(r["prompt"] for r in rows)


async def test_at_most_concurrency_streams_in_flight_over_one_pool(server: DarkAIServer) -> None:
    server.reply(Reply(text="abcdefgh", chunk_size=2, delay=0.05))
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, server.active_streams)
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(watch())
    try:
        async with AsyncDarkAI(server.url) as client:
            rows = [BatchRow(i, f"p{i}") for i in range(12)]
            results = await collect(client, rows, concurrency=3)
    finally:
        watcher.cancel()
    assert [r.text for r in results] == ["abcdefgh"] * 12
    assert peak == 3
    # One client, one pool: the rows reused at most three connections.
    assert len({request.peer for request in server.requests}) <= 3


async def test_results_come_as_rows_finish_not_in_input_order(server: DarkAIServer) -> None:
    server.enqueue(Reply(text="slow", chunk_size=1, delay=0.3), Reply(text="fast"))
    async with AsyncDarkAI(server.url) as client:
        results = await collect(client, [BatchRow("a", "x"), BatchRow("b", "y")], concurrency=2)
    assert [(r.id, r.text) for r in results] == [("b", "fast"), ("a", "slow")]


async def test_a_cut_short_reply_keeps_its_partial_text_and_says_so(server: DarkAIServer) -> None:
    server.enqueue(Reply(text="one two three", chunk_size=4, truncate_after=2))
    async with AsyncDarkAI(server.url, max_retries=2) as client:
        (result,) = await collect(client, [BatchRow("cut", "hi")])
    assert not result.ok
    assert result.text == "one two "
    assert result.retries == 0 and len(server.requests) == 1  # text came: not retried
    assert result.error is not None
    assert result.error == BatchError("IncompleteStreamError", result.error.message, None)
    assert "before stream-end" in result.error.message
    assert result.to_dict()["error"] == {
        "type": "IncompleteStreamError",
        "message": result.error.message,
        "status": None,
    }


async def test_a_status_error_is_recorded_with_its_status(server: DarkAIServer) -> None:
    server.fail_next(1, status=500)
    async with AsyncDarkAI(server.url, max_retries=0) as client:
        results = await collect(client, [BatchRow("bad", "hi"), BatchRow("good", "hi")], 1)
    assert [r.id for r in results] == ["bad", "good"]
    bad, good = results
    assert bad.error is not None and bad.error.type == "InternalServerError"
    assert bad.error.status == 500 and bad.text == ""
    assert bad.error.exception is not None and bad.error.exception.status_code == 500  # type: ignore[attr-defined]
    assert good.ok and good.text == default_reply_text("hi", MODEL)


async def test_retries_before_the_reply_are_counted(server: DarkAIServer) -> None:
    server.fail_next(1, status=503, retry_after=0)
    async with AsyncDarkAI(server.url, max_retries=2) as client:
        (result,) = await collect(client, [BatchRow("r", "hi")])
    assert result.ok and result.retries == 1 and result.to_dict()["retries"] == 1


async def test_rows_may_be_dicts_with_messages_and_a_model(server: DarkAIServer) -> None:
    rows = [
        {"id": 1, "messages": [{"role": "user", "content": "hey"}], "model": "gpt-4o"},
        {"id": 2, "prompt": "yo", "model": "llama-3.1-405b", "expected": "ignored"},
    ]
    async with AsyncDarkAI(server.url) as client:
        results = await collect(client, rows, concurrency=1)
    assert [(r.id, r.model) for r in results] == [(1, "gpt-4o"), (2, "llama-3-405b")]
    assert [(r.prompt, r.model) for r in server.requests] == [
        ("hey", "gpt-4o"),
        ("yo", "llama-3-405b"),
    ]


async def test_an_async_source_is_read_only_as_rows_can_start(server: DarkAIServer) -> None:
    server.reply(Reply(text="ok", delay=0.01))
    pulled = 0

    async def endless() -> AsyncIterator[BatchRow]:
        nonlocal pulled
        while True:
            pulled += 1
            yield BatchRow(pulled, "again")

    async with AsyncDarkAI(server.url) as client:
        got = 0
        async with contextlib.aclosing(run(client, endless(), concurrency=4)) as results:
            async for result in results:
                assert result.ok
                got += 1
                if got == 10:
                    break
    # What was started, plus the one read that may be under way: no read-ahead.
    assert pulled <= got + 4 + 1


async def test_closing_early_cancels_the_rows_in_flight(server: DarkAIServer) -> None:
    server.reply(Reply(text="x" * 40, chunk_size=1, delay=0.05))
    server.enqueue(Reply(text="quick"))
    rows = [BatchRow(i, "slow") for i in range(20)]
    async with AsyncDarkAI(server.url) as client:
        results = run(client, rows, concurrency=4)
        first = await results.__anext__()
        assert first.text == "quick"
        await asyncio.wait_for(_streams_reach(server, 3), 10)
        await results.aclose()
        await asyncio.wait_for(_streams_reach(server, 0), 10)
    assert len(server.requests) == 4  # nothing was started after the close


async def _streams_reach(server: DarkAIServer, count: int) -> None:
    while server.active_streams != count:
        await asyncio.sleep(0.01)


async def test_cancelling_the_reader_cancels_the_rows(server: DarkAIServer) -> None:
    server.reply(Reply(text="x" * 40, chunk_size=1, delay=0.05))

    async def consume(client: AsyncDarkAI) -> None:
        async for _ in run(client, [BatchRow(i, "slow") for i in range(8)], concurrency=2):
            pass

    async with AsyncDarkAI(server.url) as client:
        task = asyncio.ensure_future(consume(client))
        await asyncio.wait_for(_streams_reach(server, 2), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(_streams_reach(server, 0), 10)
    assert len(server.requests) == 2


async def test_a_rate_limit_holds_back_the_next_starts(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, retry_after=1)
    async with AsyncDarkAI(server.url, max_retries=0) as client:
        started = time.monotonic()
        results = await collect(client, [BatchRow(i, "hi") for i in range(3)], concurrency=1)
        took = time.monotonic() - started
    assert results[0].error is not None and results[0].error.status == 429
    assert [r.ok for r in results] == [False, True, True]
    assert took >= 0.9  # the next rows waited for the Retry-After


async def test_a_bad_row_raises_when_reached_naming_it(server: DarkAIServer) -> None:
    async with AsyncDarkAI(server.url) as client:
        with pytest.raises(ValueError, match=r"row 2 of the batch: no id"):
            await collect(client, [{"id": 1, "prompt": "a"}, {"prompt": "b"}], concurrency=1)
        with pytest.raises(UnknownModelError) as caught:
            await collect(client, [BatchRow("m", "a", model="gpt-9")])
    assert "in the batch row with id 'm'" in caught.value.__notes__


async def test_bad_arguments_are_refused_at_the_call() -> None:
    async with AsyncDarkAI("http://127.0.0.1:9/chat") as client:
        with pytest.raises(ValueError, match="concurrency must be an integer >= 1"):
            run(client, [], concurrency=0)
        with pytest.raises(TypeError, match="rows must be an iterable"):
            run(client, "prompt", concurrency=1)  # type: ignore[arg-type]
    with DarkAI("http://127.0.0.1:9/chat") as sync_client:
        with pytest.raises(TypeError, match="needs an AsyncDarkAI client, got DarkAI"):
            run(sync_client, [])  # type: ignore[arg-type]


async def test_no_rows_no_results(server: DarkAIServer) -> None:
    async with AsyncDarkAI(server.url) as client:
        assert await collect(client, []) == []
    assert server.requests == []


def test_a_pause_is_capped_and_ignores_what_is_no_wait() -> None:
    pause = _Pause(longest=60.0)
    for nonsense in (float("nan"), -5.0, 0.0):
        pause.hold(nonsense)
        assert pause.remaining() <= 0
    pause.hold(None)  # a 429 without Retry-After
    assert 0.5 < pause.remaining() <= RATE_LIMIT_PAUSE
    pause.hold(float("inf"))  # "retry-after-ms: inf"
    assert 59.0 < pause.remaining() <= 60.0
    pause.hold(3.0)  # a shorter wait never shortens a longer one
    assert pause.remaining() > 59.0


async def test_a_429_holds_back_every_start_until_its_retry_after(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, retry_after=2)
    seen: list[int] = []

    async def on_response(info: ResponseInfo) -> None:
        seen.append(info.status_code)

    async with AsyncDarkAI(server.url, max_retries=2, on_response=on_response) as client:
        started = time.monotonic()
        task = asyncio.ensure_future(collect(client, [BatchRow(i, "hi") for i in range(8)], 4))
        await asyncio.sleep(1.0)
        # The first four started at once; one got the 429. The three others ended at
        # once, yet no row has started since: the whole batch waits for the Retry-After.
        assert len(server.requests) == 4
        results = await asyncio.wait_for(task, 20)
        took = time.monotonic() - started
    assert all(result.ok for result in results) and len(results) == 8
    assert sorted(result.retries for result in results) == [0] * 7 + [1]
    assert len(server.requests) == 9  # eight rows and one retry
    assert took >= 1.9
    # The batch retries by itself: the client's own hooks still see every answer.
    assert sorted(seen) == [200] * 8 + [429]
