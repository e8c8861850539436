"""What the tests of the gpt4free drop-in ``darkai_sdk.provider.DarkAI`` share."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest

from darkai_sdk.provider import DarkAI
from darkai_sdk.testing import DarkAIServer, Reply

# The usage example of the seed (gpt4free's DarkAI provider docs), verbatim but for
# the first line: `from g4f.Provider import DarkAI` there.
SEED_EXAMPLE = """\
from darkai_sdk.provider import DarkAI

async def main():
    messages = [{"role": "user", "content": "Hello, DarkAI!"}]
    async for chunk in DarkAI.create_async_generator(model="gpt-3.5-turbo", messages=messages):
        print(chunk, end="")

if __name__ == "__main__":
    import asyncio
    asyncio.run(main())
"""

TEXT = "Hello! I am DarkAI, streamed to you in small pieces: naïve café 🎉."
LONG = TEXT * 60
MESSAGES = [{"role": "user", "content": "Hi"}]


DEAD = "http://127.0.0.1:9/nothing-here"  # nothing listens on the discard port
SHIPPED = "https://darkai.foundation/chat"


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    """A server in its own thread (the sync client may block this thread's loop).

    DARKAI_BASE_URL names it while it runs; it replies TEXT in chunks of 5 characters.
    """
    with DarkAIServer(reply=Reply(TEXT, chunk_size=5)) as running:
        monkeypatch.setenv("DARKAI_BASE_URL", running.url)
        yield running


def spy(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[object]:
    """Record each call of ``cls.name`` (by instance) and still run it."""
    calls: list[object] = []
    original: Callable[..., Any] = getattr(cls, name)

    if inspect.iscoroutinefunction(original):

        async def async_wrapper(self: object) -> None:
            calls.append(self)
            await original(self)

        monkeypatch.setattr(cls, name, async_wrapper)
    else:

        def wrapper(self: object) -> None:
            calls.append(self)
            original(self)

        monkeypatch.setattr(cls, name, wrapper)
    return calls


def wait_until_no_streams(server: DarkAIServer, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while server.active_streams and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.active_streams == 0, "the connection was left open"


async def async_wait_until_no_streams(server: DarkAIServer, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while server.active_streams and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert server.active_streams == 0, "the connection was left open"


def make_subclass(endpoint: str) -> type[DarkAI]:
    """A user's subclass: its own endpoint, one more model, two more aliases."""

    class MyDarkAI(DarkAI):
        api_endpoint = endpoint
        models: ClassVar[list[str]] = [*DarkAI.models, "llama-3-405b"]
        model_aliases: ClassVar[dict[str, str]] = {
            **DarkAI.model_aliases,
            "fast": "gpt-4o",
            "big": "llama-3-405b",
        }

    return MyDarkAI
