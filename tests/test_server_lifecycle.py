"""The test server's lifecycle: start, stop and restart, in a thread or on the running loop."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from wire_support import exchange, read_raw, read_response, send_request

from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)


REPO_ROOT = Path(__file__).resolve().parents[1]


def test_thread_lifecycle_start_stop_restart() -> None:
    server = DarkAIServer()
    with pytest.raises(RuntimeError):
        _ = server.port
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
        assert server.url == f"http://127.0.0.1:{server.port}/chat"
        assert exchange(server.port).status == 200
    finally:
        server.stop()
    server.stop()  # a second stop does nothing
    with server:
        assert exchange(server.port).status == 200


def test_stopped_server_refuses_connections() -> None:
    with DarkAIServer() as server:
        port = server.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_start_fails_loudly_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            DarkAIServer(port=taken.getsockname()[1]).start()


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "darkai-test-server"]


async def test_async_lifecycle_runs_on_the_running_loop() -> None:
    async with DarkAIServer() as server:
        assert server_threads() == []
        assert "running" in repr(server)
        with pytest.raises(RuntimeError, match="astop"):
            server.stop()
        response = await asyncio.to_thread(exchange, server.port)
        assert response.status == 200
        port = server.port
    assert "stopped" in repr(server)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), 2).close()
    server2 = await DarkAIServer().astart()
    try:
        assert (await asyncio.to_thread(exchange, server2.port)).status == 200
    finally:
        await server2.astop()


async def test_thread_server_works_inside_a_running_loop() -> None:
    # Like a Jupyter cell: blocking code on a thread whose event loop is running.
    with DarkAIServer() as server:
        assert len(server_threads()) == 1
        assert exchange(server.port).status == 200
    assert server_threads() == []
    server = DarkAIServer().start()
    await server.astop()  # astop on a threaded server stops its thread
    assert server_threads() == []


#: Bound on a stop with a stream open. A stop that waited for the stream would take
#: its 60 s pause, or for ever; a quick one, about nothing: the bound sits far from
#: both, so a loaded machine cannot fail it and a slow stop cannot pass it.
QUICK_STOP = 10.0


def stall_and_time_stop(server: DarkAIServer, stop: Any, reply: Reply) -> tuple[float, str]:
    server.reply(reply)
    with send_request(server.port) as sock:
        first = read_response(sock, read_timeout=1.0)
        assert first.ended == "timeout" and server.active_streams == 1
        started = time.monotonic()
        stop()
        elapsed = time.monotonic() - started
        _, ended, _ = read_raw(sock, QUICK_STOP)
    return elapsed, ended


@pytest.mark.parametrize(
    "reply", [Reply(stall_after=0), Reply("abcdef", chunk_size=1, delay=60)], ids=["stall", "delay"]
)
def test_stop_with_an_open_stream_is_quick(reply: Reply) -> None:
    server = DarkAIServer().start()
    elapsed, ended = stall_and_time_stop(server, server.stop, reply)
    assert elapsed < QUICK_STOP
    assert ended in ("eof", "reset")


async def test_astop_with_a_stalled_stream_is_quick() -> None:
    server = await DarkAIServer().astart()
    server.reply(Reply("abc", stall_after=1))
    sock = await asyncio.to_thread(send_request, server.port)
    with sock:
        first = await asyncio.to_thread(read_response, sock, 1.0)
        assert first.ended == "timeout"
        started = time.monotonic()
        await server.astop()
        assert time.monotonic() - started < QUICK_STOP
        _, ended, _ = await asyncio.to_thread(read_raw, sock, QUICK_STOP)
        assert ended in ("eof", "reset")


def test_serve_forever_stops_on_keyboard_interrupt() -> None:
    code = (
        "from darkai_sdk.testing import DarkAIServer\n"
        "DarkAIServer().serve_forever(on_ready=lambda s: print(s.url, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "serve_forever never reported its URL"
        url = proc.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url == f"http://127.0.0.1:{port}/chat"
        assert exchange(port).status == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out.strip() == "stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
