"""Start-up: ``import darkai_sdk`` against ``import requests``, and ``--help``, in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from _bench_core import Config, Context, Result, Target, median
from _bench_server import Reply

__all__ = ["Startup"]

_IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import {0}; t = time.perf_counter() - t; "
    "import sys; print(t, 'aiohttp' in sys.modules, 'requests' in sys.modules)"
)
_COMMANDS = {
    "import_darkai_sdk": ["-c", "import darkai_sdk"],
    "import_requests": ["-c", "import requests"],
    "probe_darkai_sdk": ["-c", _IMPORT_PROBE.format("darkai_sdk")],
    "probe_requests": ["-c", _IMPORT_PROBE.format("requests")],
    "cli_help": ["-m", "darkai_sdk", "--help"],
}
_LABELS = {
    "import_darkai_sdk": "python -c 'import darkai_sdk'",
    "import_requests": "python -c 'import requests'",
    "probe_darkai_sdk": "import darkai_sdk, in-process only",
    "probe_requests": "import requests, in-process only",
    "cli_help": "python -m darkai_sdk --help",
}


class Startup:
    """Median wall time of fresh interpreters, interleaved, the first round only warming caches."""

    key = "startup"
    title = "Start-up"

    def __init__(self, config: Config) -> None:
        self.runs = 1 if config.quick else 7

    def replies(self) -> dict[str, Reply]:
        return {}

    def run(self, ctx: Context) -> Result:
        env = {k: v for k, v in os.environ.items() if k != "DARKAI_LOG"}
        result = Result()
        wall: dict[str, list[float]] = {key: [] for key in _COMMANDS}
        inner: dict[str, list[float]] = {"probe_darkai_sdk": [], "probe_requests": []}
        flags: dict[str, tuple[bool, bool]] = {}
        ctx.log(f"start-up: {self.runs} runs each")
        keys = list(_COMMANDS)
        for i in range(self.runs + 1):  # the first round warms the file cache
            shift = i % len(keys)
            for key in keys[shift:] + keys[:shift]:
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, *_COMMANDS[key]], capture_output=True, text=True, env=env
                )
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    result.failures.append(f"start-up: {_LABELS[key]} failed: {done.stderr[-300:]}")
                    continue
                if i == 0:
                    continue
                wall[key].append(elapsed)
                if key in inner:
                    took, has_aiohttp, has_requests = done.stdout.split()
                    inner[key].append(float(took))
                    flags[key] = (has_aiohttp == "True", has_requests == "True")
        if result.failures:
            return result
        ms = {key: median(wall[key]) * 1e3 for key in wall}
        ms.update({key: median(inner[key]) * 1e3 for key in inner})  # in-process only
        aiohttp_loaded, requests_loaded = flags["probe_darkai_sdk"]
        figures: dict[str, Any] = {
            "runs": self.runs,
            "median_ms": ms,
            "darkai_sdk_imports_aiohttp": aiohttp_loaded,
            "darkai_sdk_imports_requests": requests_loaded,
        }
        result.figures = figures
        result.lines = [f"median of {self.runs} fresh interpreters, ms"]
        result.lines += [f"  {_LABELS[key]:<44} {ms[key]:>9.1f}" for key in _LABELS]
        result.lines.append(
            f"  import darkai_sdk imports aiohttp: {aiohttp_loaded}, requests: {requests_loaded}"
        )
        result.targets = [
            Target(
                "python -c 'import darkai_sdk' / 'import requests'",
                ms["import_darkai_sdk"] / ms["import_requests"],
                "<=",
                1.2,
            ),
            Target(
                "import darkai_sdk / import requests, in-process only",
                ms["probe_darkai_sdk"] / ms["probe_requests"],
                "<=",
                1.2,
            ),
            Target(
                "import darkai_sdk leaves aiohttp unimported",
                float(not aiohttp_loaded),
                "is",
                1,
                unit="",
            ),
        ]
        return result
