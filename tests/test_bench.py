"""tools/bench.py: its quick mode runs every part, its bodies are what it says, wrong text fails it.

A smoke test, not a timing assertion: quick-mode figures mean little.
"""

from __future__ import annotations

import asyncio
import bisect
import importlib
import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from darkai_sdk._events import EventDecoder

pytestmark = pytest.mark.timeout(120)

TOOLS = Path(__file__).resolve().parents[1] / "tools"
BENCH = TOOLS / "bench.py"

CONTENDERS = {
    "raw_socket",
    "raw_aiohttp",
    "raw_requests",
    "async",
    "seed_aiohttp",
    "sync",
    "seed_requests",
    "decoder",
    "naive",
    "sseclient",
    "httpx_sse",
    "openai",
}
RATIOS = {
    "async_vs_seed",
    "aiohttp_allows",
    "sync_vs_seed",
    "urllib3_allows",
    "socket_allows",
    "decoder_vs_fastest_peer",
    "decoder_vs_naive",
}
SECTION_TITLES = (
    "1. Throughput",
    "2. Small requests",
    "3. Latency to the first chunk",
    "4. Memory",
    "5. Start-up",
    "6. Gateway",
    "7. Batch",
    "Targets",
)
TARGETS = (
    "AsyncDarkAI.stream / seed over aiohttp, worst body",
    "DarkAI.stream / seed over requests, worst body",
    "decoder alone / fastest peer, worst body",
    "AsyncDarkAI small requests / seed over aiohttp",
    "DarkAI small requests / seed over requests",
    "AsyncDarkAI.stream first-chunk latency over its transport",
    "DarkAI.stream first-chunk latency over its transport",
    "DarkAI.stream keep_text=True, RSS growth",
    "AsyncDarkAI.stream keep_text=True, RSS growth",
    "DarkAI.stream keep_text=False, RSS growth",
    "AsyncDarkAI.stream keep_text=False, RSS growth",
    "a never-ending line stops at the cap with ProtocolError",
    "a never-ending line: RSS growth / cap",
    "python -c 'import darkai_sdk' / 'import requests'",
    "import darkai_sdk / import requests, in-process only",
    "import darkai_sdk leaves aiohttp unimported",
    "openai client through the gateway / AsyncDarkAI direct",
    "streams at once through one gateway, every text right",
    "batch.run own cost per row (no I/O), worst",
    "batch.run rows/s / bare gather over HTTP, worst",
    "darkai batch peak RSS, 4x the rows - 1x",
)


@pytest.fixture(scope="module")
def tools() -> Iterator[dict[str, ModuleType]]:
    """The bench's modules, imported from tools/ as bench.py imports them."""
    sys.path.insert(0, str(TOOLS))
    try:
        yield {
            name: importlib.import_module(name)
            for name in ("bench", "_bench_bodies", "_bench_contenders", "_bench_throughput")
        }
    finally:
        sys.path.remove(str(TOOLS))


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--quiet", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert out.exists(), done.stdout + done.stderr
    return done.returncode, done.stdout, json.loads(out.read_text())


def test_quick_run_prints_every_section_and_a_verdict_per_target(
    quick_run: tuple[int, str, dict[str, Any]],
) -> None:
    status, table, _ = quick_run
    assert status == 0, table
    for title in SECTION_TITLES:
        assert f"\n{title}" in table
    targets = table.split("\nTargets\n", 1)[1].splitlines()
    for name in TARGETS:
        line = next(line for line in targets if line.strip().startswith(name))
        assert re.search(r"\s(PASS|FAIL)(\s|$)", line), line
    assert "every contender received exactly the text sent" in table
    assert "not installed" not in table  # the bench extra is installed for the tests


def test_quick_run_measures_every_contender_on_every_body(
    quick_run: tuple[int, str, dict[str, Any]], tools: dict[str, ModuleType]
) -> None:
    _, _, data = quick_run
    assert data["ok"] is True and data["failures"] == []
    throughput = data["sections"]["throughput"]
    specs = tools["_bench_throughput"].body_specs(quick=True)
    assert [row["name"] for row in throughput["bodies"]] == [spec.name for spec in specs]
    assert {peer["status"] for peer in throughput["peers"].values()} == {"ok"}
    for row in throughput["bodies"]:
        assert set(row["seconds"]) == CONTENDERS
        assert all(len(runs) == data["environment"]["repeats"] for runs in row["seconds"].values())
        assert all(_positive(rate) for rate in row["mchars_per_s"].values())
        assert set(row["ratios"]) == RATIOS
        assert all(_positive(ratio) for ratio in row["ratios"].values()), row["ratios"]
        assert row["fastest_peer"] in {peer["label"] for peer in throughput["peers"].values()}
    by_name = {target["name"]: target for target in data["targets"]}
    for spec in specs:
        target = by_name[f"decoder alone / fastest peer, {spec.name}"]
        assert _positive(target["value"]) and target["note"].startswith("fastest: ")


def test_quick_run_json_has_every_other_figure(
    quick_run: tuple[int, str, dict[str, Any]],
) -> None:
    _, _, data = quick_run
    sections = data["sections"]
    assert all(_positive(rate) for rate in sections["small"]["requests_per_s"].values())
    for world in ("async", "sync"):
        assert _positive(sections["latency"][world]["ours_ms"])
        assert isinstance(sections["latency"][world]["paired_overhead_ms"], float)
    memory = sections["memory"]
    for mode in ("sync-keep", "async-keep", "sync-notext", "async-notext"):
        assert memory[mode]["error"] is None
        assert memory[mode]["text_bytes"] == memory["text_bytes"]
        assert isinstance(memory[mode]["growth"], int)
    assert memory["endless"]["error"].startswith("ProtocolError")
    assert all(_positive(ms) for ms in sections["startup"]["median_ms"].values())
    assert sections["startup"]["darkai_sdk_imports_aiohttp"] is False
    gateway = sections["gateway"]
    assert gateway["throughput"]["body"] == "utf8-64-large"
    assert set(gateway["throughput"]["mchars_per_s"]) == {"direct", "openai"}
    assert all(_positive(rate) for rate in gateway["throughput"]["mchars_per_s"].values())
    assert _positive(gateway["throughput"]["ratio"])
    concurrent = gateway["concurrent"]
    assert concurrent["streams"] == 50 and concurrent["wrong"] == {"direct": 0, "gateway": 0}
    for path in ("direct", "gateway"):
        assert all(_positive(ms) for ms in concurrent["first_chunk_ms"][path].values())
    assert set(concurrent["added_ms"]) == {"p50", "p99"}
    batch = sections["batch"]
    for width in ("1", "8", "64", "256"):
        figures = batch[width]
        assert _positive(figures["batch_rows_per_s"]) and _positive(figures["gather_rows_per_s"])
        assert _positive(figures["ratio"]) and isinstance(figures["own_us_per_row"], float)
    assert batch["memory"]["error"] is None
    assert set(batch["memory"]["peak_rss"]) == {"500", "2000"}  # JSON keys: N and 4N rows
    assert all(_positive(peak) for peak in batch["memory"]["peak_rss"].values())
    for target in data["targets"]:
        assert isinstance(target["value"], float), target
        assert isinstance(target["passed"], bool)


class _DropsAChunk:
    """The decoder, but losing the second text chunk it meets."""

    def __init__(self) -> None:
        self._decoder = EventDecoder()
        self._seen = 0

    def feed(self, data: bytes) -> list[object]:
        return self._drop(self._decoder.feed(data))

    def close(self) -> list[object]:
        return self._drop(self._decoder.close())

    def _drop(self, events: list[Any]) -> list[object]:
        kept: list[object] = []
        for event in events:
            if isinstance(event, str):
                self._seen += 1
                if self._seen == 2:
                    continue
            kept.append(event)
        return kept


def test_a_contender_receiving_wrong_text_or_raising_fails_the_run(
    tools: dict[str, ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    def broken(pieces: list[bytes]) -> list[str]:
        raise ValueError("a broken decoder")

    monkeypatch.setattr(tools["_bench_contenders"], "EventDecoder", _DropsAChunk)
    monkeypatch.setattr(tools["_bench_throughput"], "naive_decoder", broken)
    out = tmp_path / "bench.json"
    status = tools["bench"].main(["--quick", "--quiet", "--only", "throughput", "--json", str(out)])
    table = capsys.readouterr().out
    assert status == 1
    assert "FAILED" in table and "every contender received exactly" not in table
    failures = json.loads(out.read_text())["failures"]
    repeats = 2  # quick mode: each round of each body reports it
    assert sorted(failures) == sorted(
        f"{spec.name}: {failure}"
        for spec in tools["_bench_throughput"].body_specs(quick=True)
        for failure in (
            "EventDecoder alone: received text differs from the text sent",
            "naive split + json.loads: raised ValueError: a broken decoder",
        )
        for _ in range(repeats)
    )


def test_a_target_fail_is_an_error_only_with_strict(
    tools: dict[str, ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    latency = importlib.import_module("_bench_latency")
    monkeypatch.setattr(latency, "OVERHEAD_TARGET_MS", -1e9)  # no client can meet it
    assert tools["bench"].main(["--quick", "--quiet", "--only", "latency"]) == 0
    assert "first-chunk latency over its transport" in capsys.readouterr().out
    assert tools["bench"].main(["--quick", "--quiet", "--only", "latency", "--strict"]) == 3
    table = capsys.readouterr().out
    assert re.search(r"DarkAI.stream first-chunk latency .* FAIL", table)
    assert "every contender received exactly the text sent" in table


_PREFIXES = {
    "utf8": b'data: {"event": "text-chunk", "data": {"text": "',
    "ascii": b'data: {"event": "text-chunk", "data": {"text": "',
    "compact": b'data: {"event":"text-chunk","data":{"text":"',
    "go": b'data: {"data":{"text":"',
}


def test_each_body_carries_its_text_as_its_server_writes_it(tools: dict[str, ModuleType]) -> None:
    bodies = tools["_bench_bodies"]
    specs = tools["_bench_throughput"].body_specs(quick=False)
    text = bodies.markdown_text(max(spec.size for spec in specs))
    assert {spec.encoding for spec in specs} == set(_PREFIXES)
    assert {spec.chars for spec in specs} == {4, 16, 64}
    assert {spec.framing for spec in specs} == {"large", "event", "random"}
    for spec in specs:
        body = bodies.build_body(spec, text)
        joined = b"".join(body.pieces)
        assert spec.size - 200 < len(joined) <= spec.size, spec.name
        end = b"\r\n\r\n" if spec.crlf else b"\n\n"
        events = joined.split(end)
        assert events.pop() == b""
        assert len(events) == body.events
        assert all(event.startswith(_PREFIXES[spec.encoding]) for event in events[:-1])
        objects = [json.loads(event[len(b"data: ") :]) for event in events]
        assert objects[-1] == {"event": "stream-end"}
        texts = [obj["data"]["text"] for obj in objects[:-1]]
        assert {len(t) for t in texts} == {spec.chars}
        assert "".join(texts) == body.text
        if spec.encoding == "ascii":
            assert joined.isascii() and b"\\ud83d\\ude" in joined  # emoji as surrogate pairs
        elif spec.encoding == "go":
            assert b"<" not in joined and b"\\u003c" in joined
        else:
            assert "🚀".encode() in joined
        if spec.framing == "event":
            assert body.pieces == [event + end for event in events]
        elif spec.framing == "large":
            assert {len(piece) for piece in body.pieces[:-1]} == {65521}
        else:  # random: cuts fall inside events, of every size up to two events
            assert len({len(piece) for piece in body.pieces}) > 50
            assert sum(not piece.endswith(end) for piece in body.pieces) > len(body.pieces) // 2


def test_a_third_of_64_char_events_need_escapes(tools: dict[str, ModuleType]) -> None:
    bodies = tools["_bench_bodies"]
    body = bodies.build_body(
        bodies.BodySpec("utf8", 64, "large", 1 << 20), bodies.markdown_text(1 << 20)
    )
    share = body.escaped / (body.events - 1)
    assert 0.28 < share < 0.40, share
    for needed in ('"', "\\", "\n", "\t", "```", "\n# ", "\n- ", "\n> ", "é", "中", "🚀"):
        assert needed in body.text, needed


def test_wire_is_the_pieces_as_http_chunks(tools: dict[str, ModuleType]) -> None:
    bodies = tools["_bench_bodies"]
    assert bodies.frame_chunked([b"data", b"x" * 26]) == (
        b"4\r\ndata\r\n1a\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n"
    )


def test_baseline_prints_each_target_then_and_now(
    tools: dict[str, ModuleType], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.json"
    name = "DarkAI.stream first-chunk latency over its transport"
    saved = {
        "environment": {"darkai_sdk": "0.0.1"},
        "targets": [
            {"name": name, "value": -5.0},
            {"name": "a target this run does not have", "value": 1.0},
        ],
    }
    earlier.write_text(json.dumps(saved))
    argv = ["--quick", "--quiet", "--only", "latency", "--baseline", str(earlier)]
    assert tools["bench"].main(argv) == 0
    comparison = capsys.readouterr().out.split(f"Against {earlier} (0.0.1)\n", 1)[1]
    rows = comparison.splitlines()[1:]
    assert len(rows) == 1, rows  # only the target both runs have
    found = re.fullmatch(r"\s+(.+?)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+([+-][\d.]+)  worse", rows[0])
    assert found is not None, rows[0]
    # 5 ms slower than before is worse: more than 10% of the 1 ms ceiling.
    assert found[1] == name and float(found[2]) == -5.0
    assert float(found[4]) == pytest.approx(float(found[3]) + 5.0, abs=0.011)


def test_the_readme_quotes_the_bench_output(
    quick_run: tuple[int, str, dict[str, Any]], tools: dict[str, ModuleType]
) -> None:
    readme = (TOOLS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Performance\n", 1)[1].split("\n## ", 1)[0]
    _, table, _ = quick_run
    head = next(line.strip() for line in table.splitlines() if line.startswith("   | body |"))
    rows = section.split("\n" + head + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    names = [row.split(" | ", 1)[0].strip("| ") for row in rows[1:]]
    assert names == [spec.name for spec in tools["_bench_throughput"].body_specs(quick=False)]
    quoted = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("  ", 1)[0] for line in quoted] == list(TARGETS)


def test_random_chunks_cut_events_at_every_place(tools: dict[str, ModuleType]) -> None:
    bodies = tools["_bench_bodies"]
    spec = next(
        s for s in tools["_bench_throughput"].body_specs(quick=False) if s.framing == "random"
    )
    body = bodies.build_body(spec, bodies.markdown_text(spec.size))
    joined = b"".join(body.pieces)
    cuts: list[int] = []
    for piece in body.pieces[:-1]:
        cuts.append((cuts[-1] if cuts else 0) + len(piece))
    starts = [0] + [i + 2 for i in range(len(joined)) if joined.startswith(b"\n\ndata: ", i)]
    # The offset of each cut within the event it falls in.
    offsets = {cut - starts[bisect.bisect_right(starts, cut) - 1] for cut in cuts}
    prefix = len(_PREFIXES[spec.encoding])
    assert set(range(prefix + 2)) <= offsets  # every place in the event's head, and after
    assert any(0x80 <= joined[cut] < 0xC0 for cut in cuts)  # inside a UTF-8 character
    assert any(joined[cut - 1] == 0x5C for cut in cuts)  # inside an escape
    assert any(joined[cut - 1 : cut + 1] == b"\n\n" for cut in cuts)  # between the two LFs


def test_run_async_hands_back_the_result_and_the_error(tools: dict[str, ModuleType]) -> None:
    core = importlib.import_module("_bench_core")

    async def value() -> list[bytes]:
        return [b"x" * 10]

    async def fails() -> None:
        raise LookupError("the coroutine's own error")

    with asyncio.Runner() as runner:
        assert core.run_async(runner, value()) == [b"x" * 10]
        with pytest.raises(LookupError, match="the coroutine's own error"):
            core.run_async(runner, fails())


def test_a_wrong_text_through_the_gateway_fails_the_run(
    tools: dict[str, ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gateway = importlib.import_module("_bench_gateway")
    monkeypatch.setattr(gateway, "SMALL_TEXT", "not the reply the server sends")
    assert tools["bench"].main(["--quick", "--quiet", "--only", "gateway"]) == 1
    table = capsys.readouterr().out
    assert "FAILED" in table
    assert "gateway: 50 of 50 concurrent gateway texts wrong" in table
    assert "gateway: 50 of 50 concurrent direct texts wrong" in table
