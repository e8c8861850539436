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
PACKAGE = "darkai_sdk"

#: Module of the pure core -> the unit tests that exercise it.
MODULES: dict[str, tuple[str, ...]] = {
    "_sse": ("tests/test_sse.py",),
    "_events": ("tests/test_events.py",),
    "_template": ("tests/test_events.py",),
    "_texts": ("tests/test_events.py",),
    "_prompt": ("tests/test_prompt.py",),
    "_request": ("tests/test_request.py",),
    "_status": ("tests/test_status.py",),
    "_retry": ("tests/test_retry.py",),
    "_redact": ("tests/test_redact.py",),
    "_reply": ("tests/test_reply.py",),
}

# Lines left alone: marked so, or marked unreachable for coverage (a guard no test can reach).
_UNMUTATED = ("# pragma: no mutate", "# pragma: no cover")

#: Surviving mutants that cannot be told from the original by any test: (module,
#: function, code before, code after, as printed) -> why. Reported as "equivalent", still
#: counted as survivors in the score.
# A fast-path condition: its mutant only changes which way a read is decoded.
_PATH = "picks the fast path or the general way, which decode alike (property tests compare them)"

EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    ("_retry", "parse_retry_after", "-1.0", "-2.0"): (
        "a sentinel for an unparsable value: any negative is refused alike"
    ),
    ("_retry", "RetryPolicy.delay", "min(attempt, 64)", "min(attempt, 65)"): (
        "only keeps 2 ** attempt finite: either cap is far past max_delay"
    ),
    ("_status", "is_event_stream", "content_type.split(';', 1)", "content_type.split(';', 2)"): (
        "only the part before the first ';' is read"
    ),
    ("_redact", "", "TypeVar('_E', bound=Exception)", "TypeVar('XX_EXX', bound=Exception)"): (
        "a type variable's name is only shown by type checkers"
    ),
    ("_redact", "secrets_of", "pair = ''", "pair = 'XXXX'"): (
        "an undecodable pair: any text without a ':' adds nothing"
    ),
    ("_redact", "secrets_of", "quote(s, safe='')", "quote(s, safe='XXXX')"): (
        "letters are never quoted: making 'X' safe changes nothing"
    ),
    ("_reply", "ReplyState._matches", "return False", "return"): (
        "_matches() is only read as a truth value: None is false"
    ),
    ("_request", "_origin", "parts.hostname or ''", "parts.hostname or 'XXXX'"): (
        "both URLs have a host (base_url needs one; urljoin keeps it for a same-scheme Location)"
    ),
    ("_sse", "SSEDecoder.__init__", "self._data_len = 0", "self._data_len = 1"): (
        "read only once the event has data, whose first line sets it"
    ),
    ("_sse", "SSEDecoder._lines", "data_len = 0", "data_len = 1"): (
        "read only once the event has data, whose first line sets it"
    ),
    ("_sse", "SSEDecoder.fail", "self._tail_len = 0", "self._tail_len = 1"): (
        "a failed decoder only raises its error: the sizes are never read again"
    ),
    ("_sse", "SSEDecoder.fail", "self._data_len = 0", "self._data_len = 1"): (
        "a failed decoder only raises its error: the sizes are never read again"
    ),
    (
        "_sse",
        "SSEDecoder._process",
        "len(text) + self._tail_len > cap",
        "len(text) + self._tail_len >= cap",
    ): ("only says whether to check line lengths: checking one more text finds nothing more"),
    ("_sse", "SSEDecoder._lines", "colon == 0", "colon == 1"): (
        "a comment and a one-letter field are both ignored (no field has a one-letter name)"
    ),
    ("_sse", "SSEDecoder._lines", "colon < 0", "colon <= 0"): (
        "colon == 0 (a comment) was handled just before"
    ),
    ("_sse", "SSEDecoder._lines", "colon < 0", "colon < 1"): (
        "colon == 0 (a comment) was handled just before"
    ),
    ("_template", "", "_PROBE = 'é Z中'", "_PROBE = 'XXé Z中XX'"): (
        "any probe without a quote, backslash or control character proves the slot alike"
    ),
    ("_template", "learn_template", "continue", "break"): (
        "only a UTF-16 payload fails there, and then in every slot alike"
    ),
    ("_template", "_is_text_chunk", "return False", "return"): (
        "only read as a truth value: None is false"
    ),
    ("_template", "_strings", "first >= 0", "first > 0"): (
        "the payload starts with a space or '{', never a quote"
    ),
    ("_template", "_strings", "first >= 0", "first >= 1"): (
        "the payload starts with a space or '{', never a quote"
    ),
    ("_template", "_strings", "last >= 0", "last > 0"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last >= 0", "last >= 1"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last < 0", "last <= 0"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last < 0", "last < 1"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last + 1", "last + 2"): (
        "in JSON a quote never follows a closing quote directly"
    ),
    ("_template", "_strings", "last + 1", "last - 1"): (
        "the extra, wrong slots it yields all fail the probe; the right ones are still yielded"
    ),
    ("_events", "", "1 << 20", "2 << 20"): ("the slice size only bounds temporary copies"),
    ("_events", "", "1 << 20", "1 << 21"): ("the slice size only bounds temporary copies"),
    ("_events", "", "_MAX_CARRY = 4096", "_MAX_CARRY = 4097"): (
        "whether an unfinished event waits in the carry or goes the general way: decoded alike"
    ),
    (
        "_events",
        "_can_carry",
        "len(rest) > min(_MAX_CARRY, cap)",
        "len(rest) >= min(_MAX_CARRY, cap)",
    ): ("whether an unfinished event waits in the carry or goes the general way: decoded alike"),
    ("_events", "_can_carry", "return False", "return"): (
        "only read as a truth value: None is false"
    ),
    ("_events", "EventDecoder.feed", "not self._carry", "self._carry"): _PATH,
    ("_events", "EventDecoder.feed", "len(data) <= self._step", "len(data) < self._step"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "len(data) - len(template.close)",
        "len(data) + len(template.close)",
    ): _PATH,
    ("_events", "EventDecoder.feed", "len(body) + 1", "len(body) + 2"): _PATH,
    ("_events", "EventDecoder.feed", "len(whole) > self._step", "len(whole) >= self._step"): _PATH,
    ("_events", "EventDecoder.feed", "end < len(whole)", "end <= len(whole)"): _PATH,
    ("_events", "EventDecoder.feed", "body + '\"'", "body + 'XX\"XX'"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "92 not in data or (b'\\\\ud' not in data and b'\\\\uD' not in data)",
        "92 not in data and (b'\\\\ud' not in data and b'\\\\uD' not in data)",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "92 in whole and (b'\\\\ud' in whole or b'\\\\uD' in whole)",
        "92 in whole or (b'\\\\ud' in whole or b'\\\\uD' in whole)",
    ): _PATH,
    ("_events", "EventDecoder.feed", "end < 2", "end <= 2"): _PATH,
    ("_events", "EventDecoder.feed", "end < 2", "end < 3"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.rfind(b'\\n\\n') + 2",
        "whole.rfind(b'\\n\\n') + 3",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.endswith(template.close, 0, end)",
        "whole.endswith(template.close, 1, end)",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2 == end",
        "whole.find(b'\\n\\n', start) + 2 != end",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2",
        "whole.find(b'\\n\\n', start) - 2",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2",
        "whole.find(b'\\n\\n', start) + 3",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start)",
        "whole.find(b'XX\\n\\nXX', start)",
    ): _PATH,
    ("_events", "EventDecoder._feed_all", "len(data) <= step", "len(data) < step"): (
        "a read of exactly the slice size is cut in one more place: decoded alike"
    ),
    ("_events", "EventDecoder.close", "(self._carry, b'')", "(self._carry, b'XXXX')"): (
        "a closed decoder takes no more input"
    ),
    ("_events", "EventDecoder._fail", "self._carry = b''", "self._carry = b'XXXX'"): (
        "a failed decoder only raises its error"
    ),
    (
        "_events",
        "EventDecoder._feed",
        "len(carry) + len(data) <= sse.max_line_size",
        "len(carry) + len(data) < sse.max_line_size",
    ): ("the carry decoded on its own or with the read: alike"),
    ("_events", "EventDecoder._feed", "pos < size", "pos <= size"): (
        "one more turn decodes nothing (an empty rest)"
    ),
    ("_events", "EventDecoder._feed", "end < 0", "end <= 0"): _PATH,
    ("_events", "EventDecoder._feed", "end < 0", "end < 1"): _PATH,
    ("_events", "EventDecoder._feed", "continue", "break"): (
        "_run() consumed the whole read: the loop ends either way"
    ),
    ("_events", "EventDecoder._feed", "first < 0", "first < 1"): _PATH,
    ("_events", "EventDecoder._feed", "first < 0", "first <= 0"): _PATH,
    (
        "_events",
        "EventDecoder._feed",
        "first + len(template.close)",
        "first - len(template.close)",
    ): ("only moves where the general way's input is cut: the SSE decoder reads any cut alike"),
    ("_events", "EventDecoder._learn", "end < 0", "end <= 0"): (
        "an idle decoder's read never starts with a blank line's end"
    ),
    ("_events", "EventDecoder._learn", "end < 0", "end < 1"): (
        "an idle decoder's read never starts with a blank line's end"
    ),
    (
        "_events",
        "EventDecoder._learn",
        "data.find(b'text-chunk', pos, end) < 0",
        "data.find(b'text-chunk', pos, end) <= 0",
    ): ("an event never starts with 'text-chunk'"),
    (
        "_events",
        "EventDecoder._learn",
        "data.find(b'text-chunk', pos, end) < 0",
        "data.find(b'text-chunk', pos, end) < 1",
    ): ("an event never starts with 'text-chunk'"),
    ("_events", "EventDecoder._learn", "return False", "return"): (
        "only read as a truth value: None is false"
    ),
    ("_events", "EventDecoder._learn", "return True", "return"): (
        "the template is learned either way; this read's rest goes the general way: alike"
    ),
    ("_events", "EventDecoder._learn", "return True", "return False"): (
        "the template is learned either way; this read's rest goes the general way: alike"
    ),
    ("_events", "EventDecoder._run", "blank >= 0", "blank > 0"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "blank >= 0", "blank >= 1"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "last >= 0", "last > 0"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "last >= 0", "last >= 1"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "pos < len(data)", "pos <= len(data)"): (
        "an empty rest carried is no rest"
    ),
    ("_events", "EventDecoder._pieces", "hi - lo > 1", "hi - lo >= 1"): (
        "one piece joined is that piece"
    ),
    ("_events", "EventDecoder._pieces", "hi - lo", "hi + lo"): ("one piece joined is that piece"),
    ("_events", "EventDecoder._pair", "''.join", "'XXXX'.join"): (
        "only asks whether the texts encode: separators change nothing"
    ),
    ("_events", "_batch", "b'\\\\\\\\\"' in region", "b'\\\\\\\\\"' not in region"): (
        "a wrong rewrite leaves the quote count off: None, and the general way"
    ),
    ("_events", "_batch", "b'\\\\\\\\\"' in region", "b'XX\\\\\\\\\"XX' in region"): (
        "a wrong rewrite leaves the quote count off: None, and the general way"
    ),
    (
        "_events",
        "_batch",
        "region.replace(b'\\\\\\\\', b'\\\\u005c')",
        "region.replace(b'XX\\\\\\\\XX', b'\\\\u005c')",
    ): ("a missing rewrite leaves the quote count off: None, and the general way"),
    ("_events", "_batch", "region.replace(sep, b'\",\"')", "region.replace(sep, b'XX\",\"XX')"): (
        "the count of texts comes out wrong: None, and the general way"
    ),
    (
        "_events",
        "_batch",
        "(len(region) - len(joined)) // (len(sep) - 3)",
        "(len(region) - len(joined)) / (len(sep) - 3)",
    ): ("a whole number either way, and compared as one"),
    ("_events", "_batch", "len(sep) - 3", "len(sep) + 3"): (
        "the count of texts comes out wrong: None, and the general way"
    ),
    ("_events", "_batch", "len(sep) - 3", "len(sep) - 4"): (
        "the count of texts comes out wrong: None, and the general way"
    ),
    ("_events", "_batch", "joined.count(34)", "joined.count(35)"): (
        "the quote count check fails: None, and the general way"
    ),
    ("_events", "_batch", "2 * (count - 1)", "3 * (count - 1)"): (
        "the quote count check fails: None, and the general way"
    ),
    (
        "_events",
        "_batch",
        "end != len(source) or len(texts) != count",
        "end != len(source) and len(texts) != count",
    ): ("a guard that cannot fire once the quote count is right"),
}

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
