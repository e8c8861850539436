"""What the client tests over real sockets share (generated to tests/_sync like them)."""

from __future__ import annotations

import time
from collections.abc import Callable

from darkai_sdk import AsyncDarkAI, Timeout
from darkai_sdk._transports._aiohttp import sleep

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
