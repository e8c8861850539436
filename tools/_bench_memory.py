"""Memory: peak RSS growth over one long reply, and a line that never ends, in fresh processes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _bench_bodies import HTTP_HEAD, BodySpec, build_body, frame_chunked, markdown_text, stream_end
from _bench_core import MIB, Config, Context, Result, Target
from _bench_server import Reply
from _bench_small import SMALL_PATH, small_reply

__all__ = ["Memory"]

PROBE = Path(__file__).resolve().parent / "_bench_memprobe.py"
#: Bytes of RSS a kept text may take per UTF-8 byte of it, and the allowance on top.
KEEP_PER_BYTE = 1.5
ALLOWANCE_MIB = 4.0
#: Growth of a stream that keeps no text: flat, whatever the length.
FLAT_MIB = 4.0
_LABELS = {
    "sync-keep": "DarkAI.stream() (keep_text=True, the default)",
    "async-keep": "AsyncDarkAI.stream() (keep_text=True, the default)",
    "sync-notext": "DarkAI.stream(keep_text=False)",
    "async-notext": "AsyncDarkAI.stream(keep_text=False)",
    "endless": "DarkAI.stream(), a line that never ends",
}
_BLOCK = BodySpec("utf8", 64, "large", MIB)


class Memory:
    """Peak RSS growth in a fresh process per mode; the caller keeps only a hash of the text."""

    key = "memory"
    title = "Memory: peak RSS growth in a fresh process"

    def __init__(self, config: Config) -> None:
        self.reply_size = 4 * MIB if config.quick else 20 * MIB
        self.line_cap = 1 * MIB if config.quick else 8 * MIB
        self.endless_size = 3 * self.line_cap
        block = build_body(_BLOCK, markdown_text(_BLOCK.size, seed=7))
        events = b"".join(block.pieces)[: -len(stream_end(_BLOCK))]
        self.repeats = max(1, self.reply_size // len(events))
        pieces = [events[i : i + 65521] for i in range(0, len(events), 65521)]
        self.block = frame_chunked(pieces)[: -len(b"0\r\n\r\n")]
        self.end = frame_chunked([stream_end(_BLOCK)])
        self.sent_bytes = len(events) * self.repeats
        digest = hashlib.sha256()
        text = block.text.encode()
        for _ in range(self.repeats):
            digest.update(text)
        self.text_sha = digest.hexdigest()
        self.text_bytes = len(text) * self.repeats

    def replies(self) -> dict[str, Reply]:
        line = b"x" * MIB
        unframed = len(b"0\r\n\r\n")
        return {
            SMALL_PATH: small_reply(),
            "/mem": [(HTTP_HEAD, 1), (self.block, self.repeats), (self.end, 1)],
            "/endless": [
                (HTTP_HEAD + frame_chunked([b"data: "])[:-unframed], 1),
                (frame_chunked([line])[:-unframed], self.endless_size // MIB),
                (frame_chunked([b"\n\n" + stream_end(_BLOCK)]), 1),
            ],
        }

    def run(self, ctx: Context) -> Result:
        ctx.log("memory: probing " + ", ".join(_LABELS))
        # The probes run at once: a peak RSS does not depend on how fast it is reached.
        probes = {
            mode: subprocess.Popen(
                [
                    sys.executable,
                    str(PROBE),
                    mode,
                    ctx.base + ("/endless" if mode == "endless" else "/mem"),
                    str(self.line_cap),
                    ctx.base + SMALL_PATH,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mode in _LABELS
        }
        result = Result()
        figures: dict[str, Any] = {
            "reply_bytes": self.sent_bytes,
            "text_bytes": self.text_bytes,
            "endless_bytes": self.endless_size,
            "line_cap": self.line_cap,
        }
        for mode, probe in probes.items():
            try:
                stdout, stderr = probe.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                probe.kill()
                stdout, stderr = probe.communicate()
            if probe.returncode != 0:
                result.failures.append(f"memory {mode}: the probe failed: {stderr[-500:]}")
                figures[mode] = {"error": stderr[-500:], "growth": None}
                continue
            figures[mode] = found = json.loads(stdout)
            if mode == "endless":
                if not (found["error"] or "").startswith("ProtocolError"):
                    result.failures.append(f"memory endless: expected ProtocolError, got {found}")
            elif found["error"] is not None or found["sha256"] != self.text_sha:
                result.failures.append(
                    f"memory {mode}: received text differs from the text sent"
                    f" ({found['chars']:,} chars; {found['error']})"
                )
        result.figures = figures
        result.lines = self._lines(figures)
        result.targets = self._targets(figures)
        return result

    def _lines(self, figures: dict[str, Any]) -> list[str]:
        lines = [
            f"a {self.sent_bytes / MIB:.0f} MiB reply ({self.text_bytes / MIB:.1f} MiB of UTF-8 "
            f"text, 64-char events, emoji: 4 bytes a character in a str); an endless line of "
            f"{self.endless_size / MIB:.0f} MiB, cap {self.line_cap / MIB:g} MiB",
            f"  {'case':<52} {'growth MiB':>10} {'B/text B':>9}  outcome",
        ]
        for mode, label in _LABELS.items():
            found = figures.get(mode, {})
            growth = found.get("growth")
            per_byte = (
                "-" if growth is None or mode == "endless" else f"{growth / self.text_bytes:.2f}"
            )
            outcome = found.get("error") or f"{found.get('chars', 0):,} chars"
            lines.append(f"  {label:<52} {_mib(growth):>10} {per_byte:>9}  {outcome[:60]}")
        return lines

    def _targets(self, figures: dict[str, Any]) -> list[Target]:
        def growth(mode: str) -> float | None:
            value = figures.get(mode, {}).get("growth")
            return None if value is None else value / MIB

        keep_limit = KEEP_PER_BYTE * self.text_bytes / MIB + ALLOWANCE_MIB
        limits = {
            "keep_text=True": (
                keep_limit,
                f"{KEEP_PER_BYTE:g} B per UTF-8 byte of text + {ALLOWANCE_MIB:g} MiB",
            ),
            "keep_text=False": (FLAT_MIB, f"flat over {self.sent_bytes / MIB:.0f} MiB"),
        }
        targets = []
        for mode in ("sync-keep", "async-keep", "sync-notext", "async-notext"):
            kind = "keep_text=True" if mode.endswith("keep") else "keep_text=False"
            limit, note = limits[kind]
            client = "DarkAI.stream" if mode.startswith("sync") else "AsyncDarkAI.stream"
            name = f"{client} {kind}, RSS growth"
            targets.append(Target(name, growth(mode), "<=", limit, unit="MiB", note=note))
        endless = figures.get("endless", {})
        error = endless.get("error") or ""
        stopped = error.startswith("ProtocolError") and "longer than" in error
        targets += [
            Target(
                "a never-ending line stops at the cap with ProtocolError",
                float(stopped),
                "is",
                1,
                unit="",
            ),
            Target(
                "a never-ending line: RSS growth / cap",
                None if endless.get("growth") is None else endless["growth"] / self.line_cap,
                "<=",
                2.5,
            ),
        ]
        return targets


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.1f}"
