"""A batch's results file: whole lines appended, never overwritten; read back to resume."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ._input import BadLines, line_ranges
from ._types import BatchResult, RowId, check_id

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, the rest holds
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutputError", "ResultsFile", "encode_result", "refuse_results"]

# Characters str.splitlines() breaks at that json.dumps(ensure_ascii=False) leaves raw:
# escaped, so a line stays one line however it is read.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class OutputError(ValueError):
    """The results file cannot be used: not empty without resume, in use, or not results."""


def refuse_results(path: str, size: int) -> None:
    """Raise OutputError for a file of ``size`` bytes that results would be added to unasked."""
    if size:
        raise OutputError(
            f"{path} already holds results ({size:,} bytes): --resume continues it; "
            "nothing is ever overwritten"
        )


def encode_result(result: BatchResult) -> bytes:
    """One line of the results file: the result as UTF-8 JSON and a newline."""
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_LINE_BREAKS)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the escaped form carries it
        return (json.dumps(result.to_dict()) + "\n").encode("ascii")


@dataclass
class _Scan:
    """What a results file holds: finished and failed ids, bad lines, where whole lines end."""

    done: set[RowId] = field(default_factory=set)
    failed: set[RowId] = field(default_factory=set)
    bad: BadLines = field(default_factory=BadLines)
    end: int = 0  # the offset after the last whole line


class ResultsFile:
    """Where results go: one ``os.write`` of a whole line each, on an ``O_APPEND`` descriptor.

    A line reaches the file whole or not at all, whenever the process stops; a
    write that fails midway is cut back off. The file is locked while open, so
    two batches cannot write it at once.
    """

    def __init__(self, fd: int, path: str, size: int) -> None:
        self._fd = fd
        self.path = path
        self._size = size
        #: Ids with a whole result in the file when it was opened (with resume).
        self.done: frozenset[RowId] = frozenset()
        #: Ids whose failed result was removed, to be run again.
        self.rerun: frozenset[RowId] = frozenset()
        #: Bytes of a torn last line that were cut off.
        self.torn_bytes = 0
        self.written = 0

    @classmethod
    def open(cls, path: str, *, resume: bool, ids: Collection[RowId] = ()) -> ResultsFile:
        """Open (or create) ``path`` for results; raise OutputError if that would lose any.

        Without ``resume`` the file must be empty. With it, lines with an error
        whose id is in ``ids`` are removed (their rows run again), a torn last
        line is cut off and :attr:`done` holds the ids already finished.
        """
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _CLOEXEC, 0o666)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OutputError(f"{path} is not a regular file")
            _lock(fd, path)
            if not resume:
                refuse_results(path, info.st_size)
            results = cls(fd, path, info.st_size)
        except BaseException:
            os.close(fd)
            raise
        if info.st_size:
            results.__take_over(ids)
        return results

    def __take_over(self, ids: Collection[RowId]) -> None:
        """Read what the file holds; cut a torn last line; drop failed lines to run again."""
        try:
            with _reader(self._fd) as reader:
                scan = _scan(reader)
            if scan.bad.count:
                lines = line_ranges(scan.bad.ranges)
                which = f"line {lines} is not a result"
                if scan.bad.count > 1:
                    which = f"lines {lines} are not results"
                raise OutputError(
                    f"{self.path}: {which} (a JSON object "
                    "with an id, a text and an error): fix or remove them to resume"
                )
            self.done = frozenset(scan.done)
            self.rerun = frozenset(i for i in scan.failed if i in ids)
            if scan.end != self._size:
                self.torn_bytes = self._size - scan.end
                os.ftruncate(self._fd, scan.end)
                self._size = scan.end
            if self.rerun:
                self._drop_lines(self.rerun)
        except BaseException:
            self.close()
            raise

    def _drop_lines(self, dropped: frozenset[RowId]) -> None:
        """Replace the file by a copy without the failed lines of ``dropped`` ids.

        The copy is written, synced and locked beside it, then renamed over it:
        a crash leaves the old file or the new one, never a mix.
        """
        target = os.path.realpath(self.path)
        folder, name = os.path.split(target)
        made, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".resume", dir=folder)
        os.close(made)
        fd = -1
        try:
            fd = os.open(temp, os.O_RDWR | os.O_APPEND | _CLOEXEC)
            _lock(fd, temp)
            size = 0
            with _reader(self._fd) as reader, open(fd, "wb", closefd=False) as copy:
                for _, raw, row_id, failed in _lines(reader):
                    if not (failed and row_id in dropped):
                        copy.write(raw)
                        size += len(raw)
            os.fchmod(fd, stat.S_IMODE(os.fstat(self._fd).st_mode))
            os.fsync(fd)
            os.replace(temp, target)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _sync_folder(folder)
        os.close(self._fd)
        self._fd, self._size = fd, size

    def write(self, result: BatchResult) -> None:
        """Append ``result`` as one line, at once (no buffering)."""
        data = encode_result(result)
        written = 0
        try:
            while written < len(data):  # a regular file takes it all in one write
                written += os.write(self._fd, data[written:] if written else data)
        except BaseException:
            if written:  # part of the line made it (a full disk): take it back
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)
            raise
        self._size += written
        self.written += 1

    def close(self) -> None:
        """Sync the file to disk and close it (and so unlock it); safe to call twice."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            try:
                with contextlib.suppress(OSError):
                    os.fsync(fd)
            finally:
                os.close(fd)


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _lock(fd: int, path: str) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputError(f"{path} is being written by another batch") from None


@contextlib.contextmanager
def _reader(fd: int) -> Iterator[BinaryIO]:
    """The file from its start, read through a buffer over ``fd`` (left open)."""
    os.lseek(fd, 0, os.SEEK_SET)
    with open(fd, "rb", closefd=False) as reader:
        yield reader


def _lines(reader: BinaryIO) -> Iterator[tuple[int, bytes, RowId | None, bool]]:
    """Each whole line: its number, bytes, id and whether it holds an error.

    The id is None when the line is not a result. A last line without its
    newline (torn) is not yielded.
    """
    for number, raw in enumerate(reader, 1):
        if not raw.endswith(b"\n"):
            return
        yield number, raw, *_result_of(raw)


def _result_of(raw: bytes) -> tuple[RowId | None, bool]:
    try:
        obj: Any = json.loads(raw)
        row_id = check_id(obj["id"])
    except (ValueError, TypeError, KeyError, RecursionError):
        return None, False
    error, text = obj.get("error", 0), obj.get("text")
    if not isinstance(text, str) or not (error is None or isinstance(error, dict)):
        return None, False
    return row_id, error is not None


def _scan(reader: BinaryIO) -> _Scan:
    scan = _Scan()
    for number, raw, row_id, failed in _lines(reader):
        scan.end += len(raw)
        if row_id is None:
            if raw.strip():
                scan.bad.add(number)
        elif failed:
            scan.failed.add(row_id)
        else:
            scan.done.add(row_id)
    return scan


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (where the platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
