"""The gateway in front of a DarkAIServer, for tests: on the test's event loop, or in a thread.

Everything listens on 127.0.0.1 on a free port and is stopped (runner cleaned up,
client closed) when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from darkai_sdk import AsyncDarkAI
from darkai_sdk.gateway import create_app

_THREAD_TIMEOUT = 10.0


@dataclass
class Running:
    """A running gateway: its OpenAI base URL (``.../v1``), runner and client."""

    base_url: str
    runner: web.AppRunner
    client: AsyncDarkAI

    @property
    def chat_url(self) -> str:
        return self.base_url + "/chat/completions"


@contextlib.asynccontextmanager
async def running_gateway(
    upstream_url: str,
    *,
    api_key: str | None = None,
    handler_cancellation: bool = False,
    **client_options: Any,
) -> AsyncIterator[Running]:
    """Serve ``create_app`` on this loop in front of ``upstream_url``.

    ``handler_cancellation=False`` is aiohttp's default: the app must notice a
    caller that left by itself.
    """
    client_options.setdefault("max_retries", 0)
    client = AsyncDarkAI(upstream_url, **client_options)
    runner = web.AppRunner(
        create_app(client, api_key=api_key),
        access_log=None,
        handler_cancellation=handler_cancellation,
        shutdown_timeout=2.0,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        yield Running(f"http://127.0.0.1:{port}/v1", runner, client)
    finally:
        await runner.cleanup()
        await client.aclose()


class GatewayThread:
    """``running_gateway`` in a background thread with its own loop, for blocking callers."""

    def __init__(self, upstream_url: str, **options: Any) -> None:
        self._upstream_url = upstream_url
        self._options = options
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._failure: list[BaseException] = []
        self.base_url = ""

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="gateway-test", daemon=True)
        self._thread.start()
        if not self._ready.wait(_THREAD_TIMEOUT):
            raise RuntimeError("the gateway did not start in time")
        if self._failure:
            raise self._failure[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        assert self._thread is not None
        self._thread.join(_THREAD_TIMEOUT)
        assert not self._thread.is_alive(), "the gateway thread did not stop"

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to __enter__, which re-raises it
            self._failure.append(exc)
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        async with running_gateway(self._upstream_url, **self._options) as running:
            self.base_url = running.base_url
            self._ready.set()
            await self._stop.wait()


def sse_events(body: bytes) -> list[bytes]:
    """The ``data:`` values of an event-stream body, which must end with a blank line."""
    assert body.endswith(b"\n\n"), body[-200:]
    events = body[:-2].split(b"\n\n")
    assert all(event.startswith(b"data: ") for event in events), events
    return [event[len(b"data: ") :] for event in events]


def chunk_texts(events: list[bytes]) -> str:
    """The text of the ``delta.content`` of every chunk event."""
    texts: list[str] = []
    for event in events:
        if event == b"[DONE]":
            continue
        obj = json.loads(event)
        for choice in obj.get("choices") or []:
            texts.append(choice["delta"].get("content") or "")
    return "".join(texts)
