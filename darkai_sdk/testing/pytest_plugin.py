"""Pytest plugin: the ``darkai_server`` fixture."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ._server import DarkAIServer

__all__ = ["darkai_server"]


@pytest.fixture
def darkai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DarkAIServer]:
    """A running DarkAIServer (background thread), with ``DARKAI_BASE_URL`` set to its URL.

    ``NO_PROXY`` gains the server's host, so a proxy set for the machine is not used.
    """
    with DarkAIServer() as server:
        monkeypatch.setenv("DARKAI_BASE_URL", server.url)
        for name in ("NO_PROXY", "no_proxy"):
            current = os.environ.get(name, "")
            monkeypatch.setenv(name, f"{current},{server.host}" if current else server.host)
        yield server
