"""A batch's input file: checked whole before anything is sent, then read again row by row."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ._types import BatchRow, RowId, check_id, row_from_object

__all__ = [
    "MAX_LINE_BYTES",
    "BadLines",
    "BatchInputError",
    "InputFile",
    "line_ranges",
    "read_input",
]

#: The longest input line accepted: a prompt may be a whole document, not a whole disk.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: How many problems are kept with their message; the line numbers of all are kept.
_DETAILED = 50
_BOM = b"\xef\xbb\xbf"


@dataclass
class BadLines:
    """Bad lines of a file: the first few with what is wrong, every line number as ranges."""

    details: list[tuple[int, str]] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, message: str = "") -> None:
        """Note ``line`` (after any line noted before it) as bad, for ``message``."""
        self.count += 1
        if len(self.details) < _DETAILED:
            self.details.append((line, message))
        if self.ranges and self.ranges[-1][1] == line - 1:
            self.ranges[-1] = (self.ranges[-1][0], line)
        else:
            self.ranges.append((line, line))


class BatchInputError(ValueError):
    """The input has bad lines (or changed after it was checked); nothing was sent.

    ``problems`` holds ``(line number, what is wrong)`` for the first 50,
    ``lines`` every bad line's number as ``(first, last)`` ranges and
    ``count`` how many there are.
    """

    def __init__(
        self,
        path: str,
        problems: list[tuple[int, str]],
        lines: list[tuple[int, int]],
        count: int,
        message: str | None = None,
    ) -> None:
        self.path = path
        self.problems = problems
        self.lines = lines
        self.count = count
        s = "" if count == 1 else "s"
        super().__init__(message or f"{path}: {count} bad line{s}: {line_ranges(lines)}")


def line_ranges(ranges: list[tuple[int, int]]) -> str:
    """``[(1, 1), (4, 7)]`` as ``"1, 4-7"``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


@dataclass(frozen=True)
class _Settings:
    model: str | None
    system: str | None
    strict_models: bool


class InputFile:
    """A checked input file: ``count`` rows with the ``ids``; :meth:`rows` streams them.

    Only the ids are held (to find duplicates and resume); the prompts are read
    again from the file as the batch takes them.
    """

    def __init__(self, path: str, settings: _Settings, ids: frozenset[RowId], signature: Any):
        self.path = path
        self.ids = ids
        self._settings = settings
        self._signature = signature

    @property
    def count(self) -> int:
        """How many rows the file holds."""
        return len(self.ids)

    def rows(self, skip: Collection[RowId] = ()) -> Iterator[BatchRow]:
        """Yield the rows in file order, but those whose id is in ``skip``.

        Raises :class:`BatchInputError` if the file changed since it was checked.
        """
        with _open_regular(self.path) as file:
            if _signature(file) != self._signature:
                raise self._changed(0)
            for number, raw in _lines(file):
                if raw is None:
                    raise self._changed(number)
                if not raw.strip():
                    continue
                try:
                    row = _row(raw, self._settings)
                except ValueError:
                    raise self._changed(number) from None
                if row.id not in self.ids:
                    raise self._changed(number)
                if row.id not in skip:
                    yield row

    def _changed(self, line: int) -> BatchInputError:
        where = [(line, line)] if line else []
        what = "the file changed after it was checked"
        return BatchInputError(self.path, [(line, what)], where, 1, f"{self.path}: {what}")


def read_input(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    system: str | None = None,
    strict_models: bool = True,
) -> InputFile:
    """Check every line of the JSONL file at ``path``; return it ready to stream.

    A line is ``{"id", "prompt"}`` or ``{"id", "messages"}``, with an optional
    ``"model"`` (``model`` is the default); blank lines are skipped. Raises
    :class:`BatchInputError` listing every bad line: not UTF-8 or not JSON,
    no id or a duplicate one, neither prompt nor messages, an unknown model.
    ``OSError`` if it cannot be read; ``ValueError`` if it is not a regular file.
    """
    name = os.fspath(path)
    settings = _Settings(model, system, strict_models)
    problems = BadLines()
    first_line: dict[RowId, int] = {}
    with _open_regular(name) as file:
        signature = _signature(file)
        for number, raw in _lines(file):
            if raw is None:
                problems.add(number, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB")
                continue
            if not raw.strip():
                continue
            try:
                row = _row(raw, settings)
            except ValueError as exc:
                problems.add(number, str(exc))
                # A bad row's id still counts: a later duplicate is reported too.
                row_id = _id_of(raw)
                if row_id is not None:
                    first_line.setdefault(row_id, number)
                continue
            earlier = first_line.setdefault(row.id, number)
            if earlier != number:
                problems.add(number, f"duplicate id {row.id!r} (first on line {earlier})")
    if problems.count:
        raise BatchInputError(name, problems.details, problems.ranges, problems.count)
    return InputFile(name, settings, frozenset(first_line), signature)


def _open_regular(path: str) -> BinaryIO:
    # Non-blocking: opening a FIFO to read would wait for a writer; it is refused instead.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(
                f"{path} is not a regular file: the input is read twice "
                "(checked whole, then row by row)"
            )
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb")


def _signature(file: BinaryIO) -> tuple[int, int, int, int]:
    """What changes when the file is written to or replaced."""
    info = os.fstat(file.fileno())
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _lines(file: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Each line's number and bytes, or None for a line over the cap (skipped unread)."""
    number = 0
    while True:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = file.readline(MAX_LINE_BYTES)
            yield number, None
            continue
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        yield number, raw


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8: the byte 0x{raw[exc.start]:02X} at column {exc.start + 1}"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("not JSON: nested too deeply") from None


def _row(raw: bytes, settings: _Settings) -> BatchRow:
    return row_from_object(
        _parse(raw),
        model=settings.model,
        system=settings.system,
        strict_models=settings.strict_models,
    )


def _id_of(raw: bytes) -> RowId | None:
    """The id of a line that is not a valid row, if it has a usable one."""
    try:
        obj = _parse(raw)
        return check_id(obj["id"]) if isinstance(obj, dict) and "id" in obj else None
    except ValueError:
        return None
