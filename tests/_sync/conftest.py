# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/conftest.py;
# edit that file and run `python tools/unasync.py`.
"""Fixtures the client tests share (generated to tests/_sync like them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from darkai_sdk import DarkAI, Timeout
from darkai_sdk.testing import DarkAIServer


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    """A local DarkAI server, running for the test (modules may define their own)."""
    with DarkAIServer() as running:
        yield running


@pytest.fixture
def client(server: DarkAIServer) -> Iterator[DarkAI]:
    """A client of ``server`` that does not retry and waits 5 s at most for a read."""
    with DarkAI(server.url, max_retries=0, timeout=Timeout(read=5, total=20)) as c:
        yield c
