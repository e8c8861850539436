"""A wheel built from a clean tree carries a freshly generated sync twin."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The folders tools/unasync.py generates (every build runs it).
GENERATED = ("darkai_sdk/_sync", "tests/_sync")

pytestmark = pytest.mark.timeout(180)


def _tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    )
    return [line for line in out.stdout.splitlines() if line]


def _modules(folder: Path) -> dict[str, str]:
    """{file name: text} of the Python files in ``folder``."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))}


def test_wheel_built_without_the_sync_twin_contains_a_fresh_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name in _tracked_files():
        if name.startswith(tuple(f"{folder}/" for folder in GENERATED)):
            continue  # the build must make these itself
        source = ROOT / name
        if source.is_file():
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    assert not any((tree / folder).exists() for folder in GENERATED)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip_wheel, "-w", str(tmp_path / "dist"), str(tree)],
        check=True,
        timeout=150,
    )
    (wheel,) = (tmp_path / "dist").glob("darkai_sdk-*.whl")
    prefix = "darkai_sdk/_sync/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix(prefix): archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith(prefix) and name.endswith(".py")
        }
    client, stream = shipped["_client.py"], shipped["_stream.py"]
    assert "class DarkAI:" in client and "async " not in client and "await " not in client
    assert "class Stream:" in stream
    # Every file the build generated is exactly what the committed twin holds: the
    # package's twin in the wheel, the tests' twin in the tree the build ran in.
    assert shipped == _modules(ROOT / "darkai_sdk" / "_sync")
    assert _modules(tree / "tests" / "_sync") == _modules(ROOT / "tests" / "_sync")
    for folder in GENERATED:
        sources = {path.name for path in (ROOT / folder.replace("_sync", "_async")).glob("*.py")}
        generated = _modules(ROOT / folder)
        assert set(generated) == sources, folder
        for name, text in generated.items():
            assert text.startswith("# GENERATED FILE: do not edit."), f"{folder}/{name}"
