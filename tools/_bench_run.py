"""The benchmark's runner: the sections in order, the server they share, their results.

A new section is a module with a class like those below (``key``, ``title``,
``replies()``, ``run(ctx) -> Result``) and one line in :data:`SECTIONS`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from _bench_batch import Batch
from _bench_core import Config, Context, Result, Section
from _bench_gateway import Gateway
from _bench_latency import Latency
from _bench_memory import Memory
from _bench_server import Reply, encode_replies
from _bench_small import Small
from _bench_startup import Startup
from _bench_throughput import Throughput

__all__ = ["SECTIONS", "run_sections"]

#: Every section, in the order they run and print.
SECTIONS: dict[str, Callable[[Config], Section]] = {
    "throughput": Throughput,
    "small": Small,
    "latency": Latency,
    "memory": Memory,
    "startup": Startup,
    "gateway": Gateway,
    "batch": Batch,
}

_SERVER = Path(__file__).resolve().parent / "_bench_server.py"


class BenchServer:
    """The server in its own process, so it never competes with the client's event loop."""

    def __init__(self, replies: dict[str, Reply]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(_SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            for data in encode_replies(replies):
                self._process.stdin.write(data)
            self._process.stdin.flush()
            line = self._process.stdout.readline().decode()
            if not line.startswith("PORT "):
                raise RuntimeError(f"the bench server did not start: {line!r}")
        except BaseException:
            self.stop()
            raise
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the server's cue to stop
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def run_sections(
    config: Config, keys: list[str], log: Callable[[str], None]
) -> dict[str, tuple[Section, Result]]:
    """Run the sections ``keys`` names, in :data:`SECTIONS` order, against one server.

    A section that crashes is reported as a failure of the run; the others still run.
    """
    sections = [SECTIONS[key](config) for key in SECTIONS if key in keys]
    replies: dict[str, Reply] = {}
    for section in sections:
        replies.update(section.replies())
    log(f"bodies ready; starting the server with {len(replies)} replies")
    server = BenchServer(replies)
    results: dict[str, tuple[Section, Result]] = {}
    try:
        with asyncio.Runner() as runner:
            for section in sections:
                ctx = Context(config, server.base, runner, log)
                try:
                    result = section.run(ctx)
                except Exception as exc:  # one broken section must not hide the others
                    traceback.print_exc()
                    result = Result(failures=[f"{section.title}: crashed: {exc!r}"])
                results[section.key] = (section, result)
    finally:
        server.stop()
    return results
