"""Generate the sync twin from the async source, for the package and its tests.

    python tools/unasync.py          # write darkai_sdk/_sync and tests/_sync
    python tools/unasync.py --check  # fail if any generated file is stale or hand-edited

Uses the unasync package's token rules, plus the names in REPLACEMENTS.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

# This file shares the package's name: keep its own folder off the import path, and
# import the package by name (a type checker would take `import unasync` for this file).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
unasync: ModuleType = importlib.import_module("unasync")

ROOT = Path(__file__).resolve().parent.parent
PAIRS = [
    (ROOT / "darkai_sdk" / "_async", ROOT / "darkai_sdk" / "_sync"),
    (ROOT / "tests" / "_async", ROOT / "tests" / "_sync"),
]

REPLACEMENTS = {
    "AsyncDarkAI": "DarkAI",
    "AsyncStream": "Stream",
    "_aiohttp": "_requests",
    "aclose": "close",
    "asend": "send",
}

HEADER = (
    "# GENERATED FILE: do not edit. Made by tools/unasync.py from {source};\n"
    "# edit that file and run `python tools/unasync.py`.\n"
)


def generate(source: Path) -> dict[str, str]:
    """Return {file name: generated text} for every module in ``source``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "_async"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        files = sorted(str(p) for p in copy.glob("*.py"))
        rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
        unasync.unasync_files(files, [rule])
        out = Path(tmp) / "_sync"
        relative = source.relative_to(ROOT).as_posix()
        return {
            p.name: HEADER.format(source=f"{relative}/{p.name}") + p.read_text(encoding="utf-8")
            for p in sorted(out.glob("*.py"))
        }


def check(target: Path, expected: dict[str, str]) -> int:
    """Print a diff for each stale file in ``target``; return how many are wrong."""
    wrong = 0
    shown = target.relative_to(ROOT).as_posix()
    for name, text in expected.items():
        path = target / name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            wrong += 1
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{shown}/{name} (on disk)",
                f"{shown}/{name} (generated)",
            )
            sys.stdout.writelines(list(diff)[:40])
    for path in sorted(target.glob("*.py")):
        if path.name not in expected:
            wrong += 1
            print(f"{shown}/{path.name} has no async source")
    return wrong


def main(argv: list[str] | None = None) -> int:
    """Generate, or with --check verify, every sync twin."""
    parser = argparse.ArgumentParser(description="Generate the sync twin from the async source.")
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale")
    args = parser.parse_args(argv)
    wrong = written = 0
    for source, target in PAIRS:
        if not source.is_dir():
            continue
        expected = generate(source)
        if args.check:
            wrong += check(target, expected)
            continue
        target.mkdir(exist_ok=True)
        for name, text in expected.items():
            (target / name).write_text(text, encoding="utf-8")
            written += 1
    if args.check:
        if wrong:
            print(f"unasync check failed: {wrong} file(s) stale; run python tools/unasync.py")
            return 1
        print("unasync check: every generated file is up to date")
        return 0
    print(f"unasync: wrote {written} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
