"""The ``darkai_server`` fixture, run in an inner pytest session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(30)

INNER_TESTS = """
import json
import os
import socket
import urllib.request

import pytest

from darkai_sdk.testing import DarkAIServer, Reply

seen = []


def test_fixture_serves_and_points_the_env_at_it(darkai_server):
    assert isinstance(darkai_server, DarkAIServer)
    assert os.environ["DARKAI_BASE_URL"] == darkai_server.url
    assert darkai_server.url.startswith("http://127.0.0.1:")
    darkai_server.reply(Reply("pong"))
    body = json.dumps({"query": "ping", "model": "gpt-4o"}).encode()
    request = urllib.request.Request(darkai_server.url, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert b'"message": "pong"' in response.read()
    assert darkai_server.requests[0].prompt == "ping"
    seen.append(darkai_server.port)


def test_server_is_stopped_and_env_restored_after_the_test():
    assert "DARKAI_BASE_URL" not in os.environ
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", seen[0]), timeout=2).close()


def test_each_test_gets_a_fresh_server(darkai_server):
    assert darkai_server.requests == []
"""


def test_darkai_server_fixture(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DARKAI_BASE_URL", raising=False)
    pytester.makepyfile(test_inner=INNER_TESTS)
    # Load the plugin by module name, whether or not its entry point is installed
    # (blocking the entry point's name keeps it from being registered twice).
    result = pytester.runpytest_inprocess(
        *("-p", "no:darkai_sdk", "-p", "darkai_sdk.testing.pytest_plugin"),
        *("-p", "no:cacheprovider", "-p", "no:asyncio"),
    )
    result.assert_outcomes(passed=3)


def test_importing_the_package_does_not_import_pytest() -> None:
    code = "import sys, darkai_sdk.testing; print('pytest' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
        env=env,
    )
    assert out.stdout.strip() == "False"
