"""tools/bench.py runs end to end in its quick mode: every part, the table, every figure as JSON.

A smoke test, not a timing assertion: quick-mode figures mean little.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "tools" / "bench.py"

BULK_CONTENDERS = {
    "raw_aiohttp",
    "raw_requests",
    "async_stream",
    "sync_stream",
    "decoder",
    "naive",
    "seed_aiohttp",
    "seed_requests",
}
PEERS = {"sseclient", "httpx_sse", "openai"}
SMALL_CONTENDERS = {"async_client", "async_session_per_request", "sync_client"}
MEMORY_MODES = {"sync-notext", "sync-default", "async-notext", "endless"}
HEADINGS = (
    "1. Bulk stream",
    "2. Peer decoders",
    "3. Small requests",
    "4. Latency",
    "5. Memory",
    "6. Start-up",
    "Ratios and targets",
)
TARGETS = {
    "decoder alone / naive",
    "decoder alone / fastest peer",
    "AsyncDarkAI.stream / seed over aiohttp",
    "DarkAI.stream / seed over requests",
    "AsyncDarkAI.stream / decoder alone",
    "DarkAI.stream / decoder alone",
    "never-ending line stops at the cap with ProtocolError",
    "never-ending line: RSS growth / cap",
    "python -c 'import darkai_sdk' / 'import requests'",
    "import darkai_sdk / import requests, import only",
    "import darkai_sdk leaves aiohttp unimported",
}


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--quiet", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(out.read_text())


@pytest.mark.timeout(120)
def test_quick_run_prints_every_section_and_a_verdict_per_target(
    quick_run: tuple[str, dict[str, Any]],
) -> None:
    table, _ = quick_run
    for heading in HEADINGS:
        assert heading in table
    lines = table.split("Ratios and targets", 1)[1].splitlines()
    for name in (*TARGETS, "RSS growth"):
        line = next(line for line in lines if name in line)
        assert re.search(r"\s(PASS|MISS)(\s|$)", line), line
    assert "every contender received exactly the text sent" in table


@pytest.mark.timeout(120)
def test_quick_run_json_has_every_figure(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, data = quick_run
    assert data["ok"] is True and data["failures"] == []

    bulk = data["bulk"]
    assert bulk["body_bytes"] > 0 and bulk["chars"] > 0 and bulk["events"] > 0
    assert set(bulk["contenders"]) == BULK_CONTENDERS
    for figure in bulk["contenders"].values():
        assert figure["verified"] is True
        assert _positive(figure["mb_per_s"]) and _positive(figure["mchars_per_s"])
        assert len(figure["seconds"]) == data["config"]["repeats"]

    assert set(data["peers"]) == PEERS
    for peer in data["peers"].values():
        assert peer["status"] in ("ok", "not installed")
        if peer["status"] == "ok":
            assert peer["verified"] is True and _positive(peer["mb_per_s"])

    assert set(data["small"]["contenders"]) == SMALL_CONTENDERS
    for figure in data["small"]["contenders"].values():
        assert _positive(figure["requests_per_s"])

    for world in ("async", "sync"):
        latency = data["latency"][world]
        assert _positive(latency["ours_ms"]) and _positive(latency["raw_ms"])
        assert isinstance(latency["overhead_ms"], float)

    memory = data["memory"]
    for mode in MEMORY_MODES:
        assert isinstance(memory[mode]["growth"], int)
    assert memory["endless"]["error"].startswith("ProtocolError")

    startup = data["startup"]
    for key in ("import_darkai_sdk", "import_requests", "import_only_darkai_sdk"):
        assert _positive(startup[key]["median_ms"])
    assert _positive(startup["cli_help"]["median_ms"]) or startup["cli_help"]["skipped"]
    assert startup["darkai_sdk_imports_aiohttp"] is False

    targets = {target["name"]: target for target in data["targets"]}
    assert set(targets) >= TARGETS
    assert any(name.startswith("RSS growth") for name in targets)
    for name, target in targets.items():
        if name == "decoder alone / fastest peer" and target["note"]:
            continue  # no peer installed
        assert isinstance(target["value"], float), name
        assert isinstance(target["passed"], bool)
