"""Fixtures the client tests share (generated to tests/_sync like them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from darkai_sdk.testing import DarkAIServer


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    """A local DarkAI server, running for the test (modules may define their own)."""
    async with DarkAIServer() as running:
        yield running
