"""Mutation testing of the pure core: how many small bugs does each module's unit test catch?

    python tools/mutate.py                  # every module below, on both cores
    python tools/mutate.py _sse _retry      # some of them
    python tools/mutate.py --jobs 1 --show-killed _status

Each mutant is one small change to one module's syntax tree (a comparison, an
arithmetic or boolean operator, a constant, a returned value, a break): a bug
the module's own unit tests ought to notice. Every mutant runs those tests
(only them: ``MODULES`` maps each module to its test files) in a forked child
that imports the mutated module in place of the real one, and counts as killed
when a test fails (or the run takes far longer than the unmutated one: an
endless loop). Prints the share killed per module and every surviving mutant
(file:line, before -> after). Exits 1 when a module is under ``--min`` (90%).

Docstrings, annotations, ``__all__`` and lines marked ``# pragma: no mutate``
(or ``# pragma: no cover``: unreachable guards) are left alone. Hypothesis runs
derandomized, without its example database, so a run gives the same result
every time. Not part of tools/test.sh: a run of every module takes minutes.
"""

from __future__ import annotations

import argparse
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Surviving mutants no test can tell from the original, with why (reported as
# "equivalent", still counted as survivors in the score).
from _mutate_equivalents import EQUIVALENT  # noqa: E402

PACKAGE = "darkai_sdk"

# The decoder's unit tests, by concern.
_EVENT_TESTS = (
    "tests/test_events.py",
    "tests/test_events_fast_path.py",
    "tests/test_events_exact.py",
    "tests/test_events_template.py",
    "tests/test_events_properties.py",
)
#: Module of the pure core -> the unit tests that exercise it.
MODULES: dict[str, tuple[str, ...]] = {
    "_sse": (
        "tests/test_sse.py",
        "tests/test_sse_limits.py",
        "tests/test_sse_properties.py",
        "tests/test_sse_exact.py",
    ),
    "_events": _EVENT_TESTS,
    "_template": ("tests/test_events_template.py", "tests/test_events_exact.py"),
    "_texts": ("tests/test_texts.py", *_EVENT_TESTS),
    "_prompt": ("tests/test_prompt.py",),
    "_request": (
        "tests/test_request.py",
        "tests/test_request_redirects.py",
        "tests/test_request_errors.py",
    ),
    "_status": ("tests/test_status.py",),
    "_retry": ("tests/test_retry.py",),
    "_redact": ("tests/test_redact.py", "tests/test_info.py"),
    "_reply": ("tests/test_reply.py",),
}

# Lines left alone: marked so, or marked unreachable for coverage (a guard no test can reach).
_UNMUTATED = ("# pragma: no mutate", "# pragma: no cover")

_BINOPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Mult,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.BitXor: ast.BitOr,
}
_CMPOPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One change: the ``index``-th node of ``ast.walk`` order, rewritten by ``kind``."""

    module: str
    index: int
    kind: str
    line: int
    before: str
    after: str
    #: The function (or class) it is in, "Class.method"; "" at module level.
    where: str = ""


# -- making mutants ------------------------------------------------------------------------


def _skipped_nodes(tree: ast.Module, lines: list[str]) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, ``__all__``, type aliases,
    and statements (with all they hold) whose first line is marked."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and any(m in lines[node.lineno - 1] for m in _UNMUTATED):
            skip(node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip(node)  # a docstring, or an attribute's: a string that does nothing
        if isinstance(node, (ast.arg, ast.AnnAssign)):
            skip(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip(node.returns)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip(node)
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.annotation) == "TypeAlias":
            skip(node)
    return skipped


def _kinds(node: ast.AST) -> Iterator[str]:
    """The mutations that apply to ``node``."""
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOPS:
        yield "operator"
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMPOPS:
                yield f"compare:{i}"
    elif isinstance(node, ast.BoolOp):
        yield "boolop"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
        yield "unary"
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (bool, int, float, str, bytes)):
            yield "constant"
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return"
    elif isinstance(node, (ast.Break, ast.Continue)):
        yield "loop"


def _mutated_constant(value: object) -> str | bytes | bool | int | float:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.0
    if isinstance(value, str):
        return f"XX{value}XX"
    if isinstance(value, bytes):
        return b"XX" + value + b"XX"
    raise TypeError(value)


def _apply(node: ast.AST, kind: str) -> ast.AST:
    """Return the mutated replacement for ``node`` (the node itself, changed, or a new one)."""
    if kind == "operator":
        assert isinstance(node, (ast.BinOp, ast.AugAssign))
        node.op = _BINOPS[type(node.op)]()
        return node
    if kind.startswith("compare:"):
        assert isinstance(node, ast.Compare)
        i = int(kind.split(":")[1])
        node.ops[i] = _CMPOPS[type(node.ops[i])]()
        return node
    if kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if kind == "unary":
        assert isinstance(node, ast.UnaryOp)
        return node.operand
    if kind == "constant":
        assert isinstance(node, ast.Constant)
        return ast.Constant(_mutated_constant(node.value))
    if kind == "return":
        assert isinstance(node, ast.Return)
        node.value = None
        return node
    if kind == "loop":
        return ast.Continue() if isinstance(node, ast.Break) else ast.Break()
    raise ValueError(kind)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``old`` is in ``tree``."""
    if new is old:
        return
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise LookupError("node not found")


def _shown(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 70 else text[:67] + "..."


def _context(tree: ast.AST, target: ast.AST) -> ast.AST:
    """The smallest expression or statement around ``target`` worth showing."""
    if isinstance(target, (ast.expr, ast.stmt)) and not isinstance(target, ast.Constant):
        return target
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    node = parents.get(id(target))
    while node is not None and not isinstance(node, (ast.expr, ast.stmt)):
        node = parents.get(id(node))
    return node if node is not None else target


def _owners(tree: ast.Module) -> dict[int, str]:
    """id of each node -> the qualified name of the def or class it is in."""
    owners: dict[int, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{name}.{child.name}" if name else child.name
            owners[id(child)] = inner
            visit(child, inner)

    visit(tree, "")
    return owners


def mutants_of(module: str) -> list[Mutant]:
    """Every mutant of ``darkai_sdk/<module>.py``."""
    source = (ROOT / PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skipped = _skipped_nodes(tree, lines)
    owners = _owners(tree)
    found: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skipped:
            continue
        line = getattr(node, "lineno", 0)
        if line and any(mark in lines[line - 1] for mark in _UNMUTATED):
            continue
        for kind in _kinds(node):
            fresh = ast.parse(source)
            target = list(ast.walk(fresh))[index]
            shown = _context(fresh, target)
            before = _shown(shown)
            replacement = _apply(target, kind)
            if shown is target:
                after = _shown(replacement)
            else:
                _replace(fresh, target, replacement)
                after = _shown(shown)
            if before != after:
                where = owners.get(id(node), "")
                found.append(Mutant(module, index, kind, line, before, after, where))
    return found


def mutated_source(mutant: Mutant) -> str:
    """The module's source with ``mutant`` applied."""
    source = (ROOT / PACKAGE / f"{mutant.module}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    target = list(ast.walk(tree))[mutant.index]
    _replace(tree, target, _apply(target, mutant.kind))
    return ast.unparse(ast.fix_missing_locations(tree))


# -- running them --------------------------------------------------------------------------


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``name`` from ``source`` instead of its file."""

    def __init__(self, name: str, source: str, path: Path) -> None:
        self._name, self._source, self._path = name, source, path

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name:
            return None
        return importlib.util.spec_from_file_location(fullname, self._path, loader=self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self._source, str(self._path), "exec"), module.__dict__)


def _run_tests(module: str, source: str | None) -> int:
    """In a child: run ``module``'s tests, with ``source`` as the module if given."""
    if source is not None:
        name = f"{PACKAGE}.{module}"
        sys.meta_path.insert(0, _MutantFinder(name, source, ROOT / PACKAGE / f"{module}.py"))
    import hypothesis
    import pytest

    hypothesis.settings.register_profile("mutate", database=None, derandomize=True)
    hypothesis.settings.load_profile("mutate")
    # --assert=plain: pytest's assertion rewriter would import the package itself
    # (an installed plugin's distribution is rewritten), ahead of the mutant.
    args = [*MODULES[module], "-x", "-q", "--assert=plain", "-p", "no:cacheprovider"]
    args += ["-p", f"no:{PACKAGE}"]
    return int(pytest.main([*args, "-o", "addopts=", "--no-header", "-W", "ignore"]))


def _fork(module: str, source: str | None) -> int:
    """Start a child running the tests; return its pid. Its output goes nowhere."""
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.stdout = sys.stderr = io.TextIOWrapper(io.FileIO(devnull, "w", closefd=False))
            code = _run_tests(module, source)
        finally:
            os._exit(code)
    return pid


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # "killed", "timeout", "survived"


def _preload() -> None:
    """Import what every child needs (not the package itself): each fork starts warm."""
    import aiohttp  # noqa: F401  (tests/conftest.py)
    import aioresponses  # noqa: F401
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    import pytest_asyncio  # noqa: F401
    import pytest_timeout  # type: ignore[import-untyped]  # noqa: F401


def baseline(module: str) -> float:
    """Seconds the unmutated module's tests take; raise if they fail."""
    started = time.monotonic()
    pid = _fork(module, None)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{module}: the unmutated tests fail (exit {code}); fix them first")
    return time.monotonic() - started


def run(module: str, jobs: int) -> list[Outcome]:
    """Run every mutant of ``module`` on up to ``jobs`` children at once."""
    limit = max(10.0, 4 * baseline(module) + 5)
    waiting = mutants_of(module)
    waiting.reverse()
    running: dict[int, tuple[Mutant, float]] = {}
    outcomes: list[Outcome] = []
    while waiting or running:
        while waiting and len(running) < jobs:
            mutant = waiting.pop()
            try:
                source = mutated_source(mutant)
                compile(source, mutant.module, "exec")
            except (SyntaxError, ValueError):
                continue  # not a program: no mutant
            running[_fork(module, source)] = (mutant, time.monotonic())
        time.sleep(0.005)
        for pid, (mutant, started) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                if time.monotonic() - started > limit:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    del running[pid]
                    outcomes.append(Outcome(mutant, "timeout"))
                continue
            del running[pid]
            code = os.waitstatus_to_exitcode(status)
            outcomes.append(Outcome(mutant, "survived" if code == 0 else "killed"))
    outcomes.sort(key=lambda outcome: (outcome.mutant.line, outcome.mutant.index))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Mutate the modules asked for (default: all), print the score of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(MODULES))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--min", type=float, default=90.0, help="lowest share killed, in %%")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--show-killed", action="store_true", help="list killed mutants too")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [module for module in modules if module not in MODULES]
    if unknown:
        parser.error(f"not a module of the pure core: {', '.join(unknown)}")
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    if args.list:
        for module in modules:
            for mutant in mutants_of(module):
                print(
                    f"{PACKAGE}/{module}.py:{mutant.line} ({mutant.where or 'module'}): "
                    f"{mutant.before} -> {mutant.after}"
                )
        return 0
    _preload()
    scores: list[tuple[str, int, int, int, float]] = []
    for module in modules:
        started = time.monotonic()
        outcomes = run(module, args.jobs)
        killed = sum(outcome.status != "survived" for outcome in outcomes)
        equivalent = 0
        for outcome in outcomes:
            mutant = outcome.mutant
            why = EQUIVALENT.get((module, mutant.where, mutant.before, mutant.after))
            if outcome.status == "survived" and why is not None:
                equivalent += 1
            if outcome.status == "survived" or args.show_killed:
                print(
                    f"{outcome.status:>8}  {PACKAGE}/{module}.py:{mutant.line} "
                    f"({mutant.where or 'module'}): {mutant.before}  ->  {mutant.after}",
                    flush=True,
                )
                if outcome.status == "survived" and why is not None:
                    print(f"{'':>10}equivalent: {why}")
        share = 100.0 * killed / max(len(outcomes), 1)
        timeouts = sum(outcome.status == "timeout" for outcome in outcomes)
        print(
            f"{module}: {killed} of {len(outcomes)} killed ({share:.1f}%), "
            f"{timeouts} of them by the time limit",
            flush=True,
        )
        scores.append((module, killed, equivalent, len(outcomes), time.monotonic() - started))
    print("\nmodule        killed  equivalent  mutants   killed%   seconds")
    failed = False
    for module, killed, equivalent, total, seconds in scores:
        share = 100.0 * killed / max(total, 1)
        failed |= share < args.min
        print(
            f"{module:<12} {killed:>7} {equivalent:>11} {total:>8} {share:>8.1f}% {seconds:>9.0f}"
        )
    all_killed = sum(score[1] for score in scores)
    all_equivalent = sum(score[2] for score in scores)
    all_total = sum(score[3] for score in scores)
    share = 100.0 * all_killed / max(all_total, 1)
    print(f"{'all':<12} {all_killed:>7} {all_equivalent:>11} {all_total:>8} {share:>8.1f}%")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
