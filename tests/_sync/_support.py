# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/_support.py;
# edit that file and run `python tools/unasync.py`.
"""What the client tests over real sockets share (generated to tests/_sync like them)."""

from __future__ import annotations

import time
from collections.abc import Callable

from darkai_sdk import DarkAI, Timeout
from darkai_sdk._transports._requests import sleep

TEXT = "The quick brown fox, naïve café, 中文 and 🎉 emoji jump over the lazy dog."
MiB = 1024 * 1024
FAST = Timeout(connect=5, read=5, total=20)
#: True in the generated sync twin, where AsyncDarkAI reads DarkAI.
SYNC = DarkAI.__name__ == "DarkAI"


def settle(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Wait until ``condition()`` holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        sleep(0.02)
    return True
