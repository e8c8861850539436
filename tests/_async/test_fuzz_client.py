"""The whole client against random valid and broken event streams, over a real socket.

Hypothesis draws a stream (valid events, malformed JSON, unknown events, comments,
CR/CRLF line ends, error events, bad UTF-8, a missing stream-end), where it is cut,
how the connection ends and the HTTP chunk sizes; tests/fuzz_streams.py says what
the client must end with, from a reference model that does not use the SDK's
decoder. The run is derandomized: a failure reproduces as it is, and Hypothesis
prints the scenario that failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fuzz_streams import FuzzServer, Outcome, Scenario, outcomes, scenarios
from hypothesis import HealthCheck, event, given, settings
from rawservers import open_fds

from darkai_sdk import AsyncDarkAI, DarkAIError, Timeout
from darkai_sdk._transports._aiohttp import sleep

pytestmark = pytest.mark.timeout(120)

#: Examples per twin: every kind of item, ending and outcome, in a few seconds.
EXAMPLES = 200
LIMITS = Timeout(connect=5, read=5, total=10)
#: Seconds one run may take; every scenario is over in well under one.
RUN_BOUND = 5.0


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[FuzzServer]:
    with FuzzServer() as server:
        yield server


async def _read(url: str) -> tuple[str, DarkAIError | None]:
    """Read one reply to the end; return the text yielded and the error, if any."""
    chunks: list[str] = []
    async with AsyncDarkAI(url, timeout=LIMITS, max_retries=0, on_mismatch="raise") as client:
        try:
            async with client.stream("hi") as stream:
                async for chunk in stream:
                    chunks.append(chunk)
                assert stream.done and stream.text == "".join(chunks)
        except DarkAIError as exc:
            return "".join(chunks), exc
    return "".join(chunks), None


async def _fds_settle(limit: int) -> int:
    """Open fds, once the server has closed its side too (it may lag a moment)."""
    deadline = time.monotonic() + 3.0
    while open_fds() > limit and time.monotonic() < deadline:
        await sleep(0.005)
    return open_fds()


def _reached(outcome: Outcome, text: str, error: DarkAIError | None) -> bool:
    if outcome.text != text:
        return False
    return error is None if not outcome.errors else type(error) in outcome.errors


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
async def test_every_stream_ends_in_its_exact_text_or_a_typed_error(
    fuzz_server: FuzzServer, scenario: Scenario
) -> None:
    fuzz_server.scenario = scenario
    fds = open_fds()
    started = time.monotonic()
    text, error = await _read(fuzz_server.url())
    elapsed = time.monotonic() - started
    allowed = outcomes(scenario)
    got = f"{type(error).__name__}: {error}" if error else "success"
    event(f"{scenario.ending}, {'whole' if scenario.cut == len(scenario.body) else 'cut'}")
    event(f"ends in {type(error).__name__ if error else 'success'}")
    assert any(_reached(outcome, text, error) for outcome in allowed), (
        f"got {got} with text {text!r}; expected "
        + " or ".join(outcome.describe() for outcome in allowed)
    )
    if error is not None:
        assert error.partial_text == text  # exactly what was yielded
    assert elapsed < RUN_BOUND
    del error  # its traceback holds the frames that held the connection
    assert await _fds_settle(fds) <= fds, "a file descriptor was left open"
