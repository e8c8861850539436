"""Pytest plugin: the ``darkai_server`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import DarkAIServer

__all__ = ["darkai_server"]


@pytest.fixture
def darkai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    """A running DarkAIServer (background thread), with ``DARKAI_BASE_URL`` set to its URL."""
    with DarkAIServer() as server:
        monkeypatch.setenv("DARKAI_BASE_URL", server.url)
        yield server
