"""Fixtures the client tests share (generated to tests/_sync like them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from darkai_sdk import AsyncDarkAI, Timeout
from darkai_sdk.testing import DarkAIServer


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    """A local DarkAI server, running for the test (modules may define their own)."""
    async with DarkAIServer() as running:
        yield running


@pytest.fixture
async def client(server: DarkAIServer) -> AsyncIterator[AsyncDarkAI]:
    """A client of ``server`` that does not retry and waits 5 s at most for a read."""
    async with AsyncDarkAI(server.url, max_retries=0, timeout=Timeout(read=5, total=20)) as c:
        yield c
