"""A wheel built from a clean tree carries a freshly generated sync twin."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.timeout(180)


def _tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    )
    return [line for line in out.stdout.splitlines() if line]


def test_wheel_built_without_the_sync_twin_contains_a_fresh_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name in _tracked_files():
        if name.startswith("darkai_sdk/_sync/"):
            continue  # the build must make these itself
        source = ROOT / name
        if source.is_file():
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    assert not (tree / "darkai_sdk" / "_sync").exists()
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip_wheel, "-w", str(tmp_path / "dist"), str(tree)],
        check=True,
        timeout=150,
    )
    (wheel,) = (tmp_path / "dist").glob("darkai_sdk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        client = archive.read("darkai_sdk/_sync/_client.py").decode()
        stream = archive.read("darkai_sdk/_sync/_stream.py").decode()
    assert client.startswith("# GENERATED FILE: do not edit.")
    assert "class DarkAI:" in client and "async " not in client and "await " not in client
    assert "class Stream:" in stream
    # What the build generated is exactly what the committed twin holds.
    assert client == (ROOT / "darkai_sdk" / "_sync" / "_client.py").read_text()
