"""Benchmark darkai-sdk side by side with the seed's algorithm, peer decoders and raw transports.

    python tools/bench.py [--quick] [--strict] [--only SECTIONS] [--json out.json]
                          [--baseline earlier.json]

One run starts a local server in its own process (tools/_bench_server.py, every
reply pre-encoded) and measures, each part with its contenders interleaved
round by round, then prints medians, ratios, and PASS/FAIL against the targets:

1. throughput on every body (tools/_bench_bodies.py: Markdown-like text written
   by json.dumps with and without ensure_ascii, compact JSON, Go's encoder;
   4-, 16- and 64-character events; large HTTP chunks, one per event, random
   cuts): both clients end to end, the decoder alone, a naive decoder, the
   seed's algorithm over aiohttp and requests, raw transports, peer decoders;
2. small requests through one client against the seed's session per request;
3. latency to the first chunk, ours against the raw transport;
4. peak RSS growth over a long reply and a line that never ends, in fresh
   processes (tools/_bench_memprobe.py);
5. start-up: ``import darkai_sdk`` against ``import requests``, ``--help``;
6. the gateway (``darkai gateway`` in processes of its own): the openai client
   through it against AsyncDarkAI direct on the 64-char body, and 500 streams
   at once through one gateway, every text checked, with the time it adds to
   the first chunk.

Every contender's text is checked against the text sent (sha256). Exit status:
1 when a contender received the wrong text or a part broke; otherwise 0, even
when a target FAILs (that is reported), unless ``--strict``: then a target
FAIL exits with 3. ``--quick`` uses tiny sizes (for the smoke test; its
figures mean little). ``--baseline earlier.json`` prints each target's
figure beside the same figure in an earlier run's ``--json`` (say, on main):
targets are ratios within one run, so they compare across runs. Peers come
from ``pip install "darkai-sdk[bench]"``; missing ones are reported as not
installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_core import Config
from _bench_report import against_baseline, as_json, render
from _bench_run import SECTIONS, run_sections

#: Exit statuses.
WRONG_TEXT = 1
TARGET_FAILED = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument(
        "--strict", action="store_true", help=f"exit {TARGET_FAILED} when a target FAILs"
    )
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        help=f"comma-separated sections to run (of {', '.join(SECTIONS)}; default: all)",
    )
    parser.add_argument("--repeats", type=int, help="rounds of each timed part (default: 5)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON here")
    parser.add_argument(
        "--baseline",
        metavar="PATH",
        type=Path,
        help="an earlier run's --json: print each target's figure then and now",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    keys = list(SECTIONS) if args.only is None else args.only.split(",")
    unknown = [key for key in keys if key not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    config = Config(quick=args.quick, repeats=args.repeats or (2 if args.quick else 5))
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr)

    results = run_sections(config, keys, log)
    environment = {
        "mode": "quick" if args.quick else "full",
        "repeats": config.repeats,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "requests": metadata.version("requests"),
        "darkai_sdk": metadata.version("darkai-sdk"),
        "seconds": time.perf_counter() - started,
    }
    failures = [failure for _, result in results.values() for failure in result.failures]
    print(render(environment, results, failures))
    print(f"\n(total {environment['seconds']:.1f} s)")
    report = as_json(environment, results, failures)
    if args.baseline is not None:
        baseline = json.loads(args.baseline.read_text())
        print("\n" + against_baseline(report, baseline, str(args.baseline)))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if failures:
        return WRONG_TEXT
    if args.strict and not report["targets_passed"]:
        return TARGET_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
