"""The layout rules of ARCHITECTURE.md, checked: no import circle, no reaching into
another object's privates, rooms small enough to read, and a map whose names exist."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "darkai_sdk"
GENERATED = ("darkai_sdk/_sync/", "tests/_sync/")
MAX_LINES = 500


def _sources(*folders: str) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(GENERATED):
                found.append(path)
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The darkai_sdk modules ``path`` imports, TYPE_CHECKING imports included."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import x` imports the submodule x when there is one.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("darkai_sdk")}


def test_no_import_circle_in_the_package() -> None:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path) & set(modules) - {name} for name, path in modules.items()}
    # The package's __init__ imports the clients lazily (by name, at first use).
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_no_access_to_another_objects_private_members() -> None:
    # `self._x`, `cls._x` and `super()._x` are an object's own; anything else is not.
    offences = []
    for path in _sources("darkai_sdk"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith("_") or name.startswith("__"):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and ast.unparse(owner.func) == "super":
                continue
            offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offences == []


@pytest.mark.parametrize("folder", ["darkai_sdk", "tools", "tests"])
def test_no_source_file_is_over_500_lines(folder: str) -> None:
    long = {
        path.relative_to(ROOT).as_posix(): count
        for path in _sources(folder)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _architecture() -> str:
    return (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def test_every_path_architecture_names_exists() -> None:
    paths = set(re.findall(r"`((?:darkai_sdk|tests|tools)/[\w./]*)`", _architecture()))
    assert len(paths) >= 20
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_every_symbol_architecture_names_exists() -> None:
    # `module:symbol.attribute`, e.g. `darkai_sdk._events:EventDecoder.feed`.
    symbols = set(re.findall(r"`(darkai_sdk[\w.]*):([\w.]+)(?:\(\))?`", _architecture()))
    assert len(symbols) >= 20
    missing = []
    for module_name, dotted in sorted(symbols):
        value: object = importlib.import_module(module_name)
        for part in dotted.split("."):
            if not hasattr(value, part):
                missing.append(f"{module_name}:{dotted}")
                break
            value = getattr(value, part)
    assert missing == []
