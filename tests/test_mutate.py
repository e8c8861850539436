"""tools/mutate.py makes real mutants: each compiles, changes one thing, and skips what it must."""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutate() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["mutate"]


def test_each_module_of_the_pure_core_has_its_unit_tests(mutate: ModuleType) -> None:
    for module, tests in mutate.MODULES.items():
        assert (ROOT / "darkai_sdk" / f"{module}.py").is_file(), module
        assert tests and all((ROOT / test).is_file() for test in tests), module


@pytest.mark.parametrize("module", ["_status", "_retry"])
def test_every_mutant_compiles_and_differs_from_the_module(mutate: ModuleType, module: str) -> None:
    source = (ROOT / "darkai_sdk" / f"{module}.py").read_text(encoding="utf-8")
    original = ast.unparse(ast.parse(source))
    mutants = mutate.mutants_of(module)
    assert len(mutants) > 40
    texts = set()
    for mutant in mutants:
        text = mutate.mutated_source(mutant)
        compile(text, module, "exec")
        assert text != original, mutant
        assert mutant.before != mutant.after
        texts.add(text)
    assert len(texts) == len(mutants)  # no two mutants are the same program


def test_docstrings_annotations_and_unreachable_guards_are_left_alone(
    mutate: ModuleType,
) -> None:
    source = (ROOT / "darkai_sdk" / "_reply.py").read_text(encoding="utf-8").splitlines()
    for mutant in mutate.mutants_of("_reply"):
        line = source[mutant.line - 1]
        assert "pragma: no cover" not in line
        assert not line.strip().startswith('"""'), mutant
    guards = [n for n, line in enumerate(source, 1) if "pragma: no cover" in line]
    assert guards and not {m.line for m in mutate.mutants_of("_reply")} & set(guards)


def test_equivalent_mutants_name_mutants_that_exist(mutate: ModuleType) -> None:
    found = {
        (m.module, m.where, m.before, m.after)
        for module in {key[0] for key in mutate.EQUIVALENT}
        for m in mutate.mutants_of(module)
    }
    assert set(mutate.EQUIVALENT) <= found, set(mutate.EQUIVALENT) - found
