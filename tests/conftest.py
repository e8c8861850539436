"""Shared test set-up."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import aioresponses.core
import pytest

from darkai_sdk.testing import DarkAIServer

# aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that
# aiohttp 3.14 requires (pnuckowski/aioresponses#289). Until a release fixes it, give
# its responses a finished writer; with an older aiohttp this changes nothing.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    """A local DarkAI server in its own thread, for the test (modules may define their own)."""
    with DarkAIServer() as running:
        yield running


@pytest.fixture(params=["alone", "amid-text-chunks"])
def where(request: pytest.FixtureRequest) -> str:
    """Where an event stands in the EventDecoder tests: alone in its feed, or amid text chunks.

    Alone, it takes the decoder's general way; amid text chunks, its fast path.
    """
    return str(request.param)


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    """The URL of a real Node.js DarkAI server (tests/node_peer.py), one per test module."""
    from node_peer import node_server

    with node_server() as url:
        yield url
