"""What the client tests over real sockets share (generated to tests/_sync like them)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import requests

from darkai_sdk import AsyncDarkAI, Timeout
from darkai_sdk._transports._aiohttp import sleep
from darkai_sdk.testing import DarkAIServer

TEXT = "The quick brown fox, naïve café, 中文 and 🎉 emoji jump over the lazy dog."
MiB = 1024 * 1024
FAST = Timeout(connect=5, read=5, total=20)
#: True in the generated sync twin, where AsyncDarkAI reads DarkAI.
SYNC = AsyncDarkAI.__name__ == "DarkAI"


async def settle(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Wait until ``condition()`` holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await sleep(0.02)
    return True


async def collect(client: AsyncDarkAI, prompt: str = "hi", **kwargs: object) -> list[str]:
    """The chunks of one streamed reply, in order."""
    chunks = []
    async for chunk in client.stream(prompt, **kwargs):  # type: ignore[arg-type]
        chunks.append(chunk)
    return chunks


def peers(server: DarkAIServer) -> list[tuple[str, int] | None]:
    """The client end of each request's connection: equal ones shared a connection."""
    return [request.peer for request in server.requests]


async def concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once and return their results: tasks here, threads in the sync twin."""
    if SYNC:
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(lambda call: call(), calls))
    return list(await asyncio.gather(*(call() for call in calls)))


class TrackedSession(requests.Session):
    """A caller's requests session that counts its close() calls."""

    closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


def own_session(**headers: str) -> Any:
    """A caller's own HTTP session with these default headers, for this twin's client.

    requests' in the sync twin, aiohttp's here (made on the running loop).
    """
    if SYNC:
        session = TrackedSession()
        session.headers.update(headers)
        return session
    return aiohttp.ClientSession(headers=headers)


def closed_by_client(session: Any) -> bool:
    """Whether anything closed ``session`` (made by own_session())."""
    if isinstance(session, TrackedSession):
        return session.closes > 0
    return bool(session.closed)
