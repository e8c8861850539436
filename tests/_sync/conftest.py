# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/conftest.py;
# edit that file and run `python tools/unasync.py`.
"""Fixtures the client tests share (generated to tests/_sync like them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from darkai_sdk.testing import DarkAIServer


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    """A local DarkAI server, running for the test (modules may define their own)."""
    with DarkAIServer() as running:
        yield running
