"""HTTP/1.1 response bodies without I/O: de-chunking, length and close framing, content decoding.

The blocking transport reads the socket in large blocks and passes them through
here, so a body of tiny HTTP chunks costs one pass in a tight loop instead of
several calls per chunk. Everything is bounded: a chunk-size line with its
extensions, the trailer section, and the output of each decompression step.
Framing that breaks the rules raises :class:`MalformedBody`; a connection that
closes before the body's end, :class:`TruncatedBody`.
"""

from __future__ import annotations

import operator
import re
import zlib
from collections.abc import Callable, Iterator

from ._base import MAX_FRAMING

__all__ = [
    "INFLATE_STEP",
    "BodyFraming",
    "ChunkedBody",
    "CloseDelimitedBody",
    "Inflater",
    "LengthBody",
    "MalformedBody",
    "TruncatedBody",
    "body_framing",
    "inflater_for",
]

#: Most bytes one decompression step may produce, however small its input.
INFLATE_STEP = 256 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_MEMBER_WINDOW = 64

# chunk-size [ BWS ; chunk-ext ] CRLF, whole and bounded: at most 16 hex digits
# (a 64-bit size) and MAX_FRAMING bytes in all.
_SIZE_LINE = re.compile(
    rb"([0-9A-Fa-f]{1,16})[ \t]{0,16}(?:;[^\r\n]{0,%d})?\r\n" % (MAX_FRAMING - 40)
)
# Sizes of small chunks (up to 0xff), looked up: parsing each costs more than a
# dict lookup, and a body of small chunks has many.
_SIZES = {b"%x" % n: n for n in range(0x100)} | {b"%X" % n: n for n in range(0x100)}
# The same without the last chunk's 0, for _split_run.
_DATA_SIZES = {token: n for token, n in _SIZES.items() if n}
_TRAILER_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r\n")
_CRLF = b"\r\n"
# Runs of chunks this small and alike are taken in slices (see _uniform_run), up
# to this many chunks per run.
_RUN_SIZE = 4
_RUN_UNITS = 8192
# Bytes _split_run looks at first; the window doubles while every chunk in it
# checks, up to the most, and starts over at the first that does not.
_SPLIT_FIRST = 1024
_SPLIT_MOST = 256 * 1024
# A run that ends closer than this to the window's end took all it could: only a
# chunk the window cut (size line, up to 0xff bytes, CRLF) is left over.
_SPLIT_TAIL = 0x110
# Tries of _split_run that take no chunk before a body stops trying (a body whose
# chunks hold CRLF, as an event stream with CRLF line ends does, never lines up).
_SPLIT_MISSES = 16

_SIZE, _DATA, _DATA_END, _TRAILERS = range(4)


class MalformedBody(Exception):
    """The body's framing or content coding breaks the rules."""


class TruncatedBody(Exception):
    """The connection closed before the body's end."""


def _shown(data: bytes) -> str:
    """A short, safe rendering of server bytes for an error message."""
    return repr(data[:40]) + ("..." if len(data) > 40 else "")


def _uniform_run(data: bytes, pos: int, head: bytes, size: int) -> tuple[bytes, int]:
    """Take the chunks at ``pos`` that each are ``head``, ``size`` bytes and CRLF.

    One slice per byte position over a whole run instead of a loop step per
    chunk: a body of one-byte chunks costs about as much as one of large chunks.
    Returns their data and where the first other chunk begins.
    """
    unit = len(head) + size + 2
    checks = [(i, head[i : i + 1]) for i in range(len(head))]
    checks += [(unit - 2, b"\r"), (unit - 1, b"\n")]
    pieces: list[bytes] = []
    window = 16  # chunks looked at; grows while the run goes on, so a short run costs little
    while True:
        count = wanted = min((len(data) - pos) // unit, window)
        for offset, expected in checks:
            # The chunks in a row that have the expected byte at this offset.
            column = data[pos + offset : pos + count * unit : unit]
            count -= len(column.lstrip(expected))
        stop = pos + count * unit
        first = pos + len(head)
        if size == 1:
            pieces.append(data[first:stop:unit])
        else:
            out = bytearray(count * size)
            for i in range(size):
                out[i::size] = data[first + i : stop : unit]
            pieces.append(bytes(out))
        pos = stop
        if count < wanted or not count:
            return b"".join(pieces), pos
        window = min(window * 4, _RUN_UNITS)


def _split_run(data: bytes, pos: int, window: int) -> tuple[bytes, int, int]:
    """Take the whole small chunks at ``pos`` in a few C calls: split at CRLF, check, join.

    Split at every CRLF, ``data[pos : pos + window]`` is size line, data, size
    line, data, ... as long as no chunk's data holds a CRLF. Each size line that
    is a plain hex size of 1 to 0xff must be its data's length: then that is
    exactly how the chunk grammar reads these bytes, whatever lined the split
    up. Returns the data of the chunks that check, where the first other one
    begins, and how many were taken.
    """
    parts = data[pos : pos + window].split(_CRLF)
    pairs = (len(parts) - 1) // 2  # the part after the last CRLF is unfinished
    sizes = list(map(_DATA_SIZES.get, parts[0 : 2 * pairs : 2]))
    payloads = parts[1 : 2 * pairs : 2]
    lengths = list(map(len, payloads))
    if lengths == sizes:
        taken = pairs
    else:
        taken = list(map(operator.eq, sizes, lengths)).index(False)
        del payloads[taken:]
    pos += sum(map(len, parts[: 2 * taken])) + 4 * taken
    return b"".join(payloads), pos, taken


def _no_crlf(data: bytes, pos: int) -> MalformedBody:
    found = _shown(data[pos : pos + 2])
    return MalformedBody(f"chunk data followed by {found}, not CRLF (a wrong chunk size?)")


def _long_trailers() -> MalformedBody:
    return MalformedBody(f"trailer section longer than {MAX_FRAMING} bytes")


class BodyFraming:
    """Where one response body ends. ``feed()`` raw bytes, get the body's bytes back.

    ``done`` turns True at the body's clean end; bytes fed after it are kept in
    ``leftover`` (a connection with leftover bytes must not be reused). Broken
    framing sets ``error`` and ``feed()`` returns the body bytes before it: the
    caller passes them on, then raises ``error``.
    """

    done: bool = False
    leftover: bytes = b""
    error: MalformedBody | None = None

    def feed(self, data: bytes) -> bytes:
        """Return the body bytes in ``data`` (possibly none)."""
        raise NotImplementedError

    def end(self) -> None:
        """The connection closed: raise TruncatedBody unless that ends this body."""
        if not self.done:
            raise TruncatedBody(self._missing())

    def _missing(self) -> str:
        return "the connection closed before the end of the body"


class ChunkedBody(BodyFraming):
    """``Transfer-Encoding: chunked``: size lines, data, a last chunk and trailers."""

    def __init__(self) -> None:
        self._state = _SIZE
        self._left = 0  # data bytes still to come in the current chunk
        self._pending = b""  # an unfinished size line, CRLF or trailer line
        self._trailers = 0  # bytes of the last-chunk line and trailer section so far
        self._window = _SPLIT_FIRST  # see _split_run
        self._misses = 0

    def feed(self, data: bytes) -> bytes:
        if self.error is not None:
            raise self.error
        if self.done:
            self.leftover += data
            return b""
        out: list[bytes] = []
        try:
            self._feed(data, out)
        except MalformedBody as exc:
            self.error = exc
        return b"".join(out) if out else b""

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        if self._pending:
            if self._state != _DATA_END and b"\n" not in data:
                # Still no end to the line: keep it (bounded), parse it once it ends.
                self._pending = self._unfinished(self._pending + data, 0, self._state)
                return
            data = self._pending + data
            self._pending = b""
        append = out.append
        match = _SIZE_LINE.match
        sizes = _SIZES.get
        find = data.find
        end = len(data)
        pos = 0
        state = self._state
        left = self._left
        while pos < end:
            if state == _SIZE:
                line_end = find(_CRLF, pos, pos + 4)
                size = sizes(data[pos:line_end]) if line_end > pos else None
                if size is not None:
                    start = line_end + 2
                else:  # a size over 0xff, leading zeros, an extension, or not a size line
                    found = match(data, pos)
                    if found is None:
                        self._pending = self._unfinished(data, pos, _SIZE)
                        break
                    size = int(found.group(1), 16)
                    start = found.end()
                stop = start + size
                if not size:
                    self._trailers = start - pos
                    pos, state = start, _TRAILERS
                elif stop + 2 <= end:
                    # The whole chunk is here: the common case, in one step.
                    append(data[start:stop])
                    if data[stop : stop + 2] != _CRLF:
                        raise _no_crlf(data, stop)
                    head = data[pos:start]
                    pos = stop + 2
                    if size <= _RUN_SIZE and data.startswith(head, pos):
                        # More chunks of the same tiny size follow: take them as a run.
                        run, pos = _uniform_run(data, pos, head, size)
                        append(run)
                    elif self._misses < _SPLIT_MISSES and end - pos > 64:
                        # More small chunks, of many sizes, as a server sends each event.
                        pos = self._split(data, pos, append)
                elif stop <= end:
                    append(data[start:stop])
                    pos, state = stop, _DATA_END
                else:
                    append(data[start:])
                    pos, left, state = end, stop - end, _DATA
            elif state == _DATA:
                stop = pos + left
                if stop <= end:
                    append(data[pos:stop])
                    pos, left, state = stop, 0, _DATA_END
                else:
                    append(data[pos:])
                    pos, left = end, stop - end
            elif state == _DATA_END:
                if end - pos < 2:
                    self._pending = data[pos:]
                    break
                if data[pos : pos + 2] != _CRLF:
                    raise _no_crlf(data, pos)
                pos, state = pos + 2, _SIZE
            else:
                pos = self._trailer(data, pos)
                if pos < 0:
                    break
        self._state, self._left = state, left

    def _split(self, data: bytes, pos: int, append: Callable[[bytes], None]) -> int:
        """Take a run of whole small chunks at ``pos`` (see _split_run); return where it ends."""
        window = self._window
        run, after, taken = _split_run(data, pos, window)
        if not taken:
            self._misses += 1
            self._window = _SPLIT_FIRST
            return pos
        append(run)
        if after + _SPLIT_TAIL < min(len(data), pos + window):
            self._window = _SPLIT_FIRST  # stopped at a chunk that did not check
        else:
            self._window = min(2 * window, _SPLIT_MOST)
        return after

    def _unfinished(self, data: bytes, pos: int, state: int) -> bytes:
        """Return the unfinished line at ``pos`` to keep, or raise if it cannot be one."""
        rest = data[pos:]
        line_end = rest.find(b"\n")
        line = rest if line_end < 0 else rest[: line_end + 1]
        if state == _TRAILERS:
            if len(line) + self._trailers > MAX_FRAMING:
                raise _long_trailers()
            what = "trailer line"
        else:
            if len(line) > MAX_FRAMING:
                raise MalformedBody(f"chunk-size line longer than {MAX_FRAMING} bytes")
            what = "chunk-size line"
        if line_end >= 0:
            raise MalformedBody(f"invalid {what}: {_shown(line)}")
        return rest

    def _trailer(self, data: bytes, pos: int) -> int:
        """Take the trailer line at ``pos``; return where the next begins, or -1 to wait."""
        if data.startswith(_CRLF, pos):
            self.done = True
            self.leftover = data[pos + 2 :]
            return len(data)
        found = _TRAILER_LINE.match(data, pos)
        if found is None:
            self._pending = self._unfinished(data, pos, _TRAILERS)
            return -1
        self._trailers += found.end() - pos
        if self._trailers > MAX_FRAMING:
            raise _long_trailers()
        return found.end()

    def _missing(self) -> str:
        if self._state == _TRAILERS:
            where = "in the trailer section"
        elif self._state == _SIZE and not self._pending:
            where = "between chunks"
        else:
            where = "mid-chunk"
        return f"the connection closed {where}, before the chunked body's end"


class LengthBody(BodyFraming):
    """A ``Content-Length`` body: exactly that many bytes."""

    def __init__(self, length: int) -> None:
        self._length = length
        self._left = length
        self.done = not length

    def feed(self, data: bytes) -> bytes:
        left = self._left
        if len(data) <= left:
            self._left = left - len(data)
            self.done = not self._left
            return data
        self._left = 0
        self.done = True
        self.leftover += data[left:]
        return data[:left]

    def _missing(self) -> str:
        got = self._length - self._left
        return f"the connection closed after {got} of {self._length} body bytes"


class CloseDelimitedBody(BodyFraming):
    """No length and not chunked: the body is everything until the connection closes."""

    def feed(self, data: bytes) -> bytes:
        return data

    def end(self) -> None:
        self.done = True


def body_framing(*, chunked: bool, length: int | None) -> BodyFraming:
    """Return the framing for a response that is ``chunked``, or has ``length``, or neither."""
    if chunked:
        return ChunkedBody()
    if length is not None:
        return LengthBody(length)
    return CloseDelimitedBody()


class Inflater:
    """Decodes a gzip or deflate body in steps of at most ``INFLATE_STEP`` bytes out."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        # gzip may hold several members; deflate is zlib-wrapped, or raw from some servers.
        self._wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded bytes of ``data``, one bounded step at a time."""
        if not self._started and data:
            self._started = True
            if self._coding == "deflate" and data[0] & 0x0F != 8:
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        view = memoryview(data)
        pos, end = 0, len(data)
        # zlib copies the input a call leaves over: after a gzip member's end, walk
        # the rest in doubling windows, so many tiny members cost linear time.
        window = end
        inflate = self._inflate
        while True:
            piece = view[pos : pos + window]
            try:
                out = inflate.decompress(piece, INFLATE_STEP)
            except zlib.error as exc:
                raise MalformedBody(f"undecodable {self._coding} body: {exc}") from None
            if out:
                yield out
            if inflate.eof:
                pos += len(piece) - len(inflate.unused_data)
                if pos >= end:
                    return
                if self._coding == "deflate" or not _GZIP_MAGIC.startswith(data[pos : pos + 2]):
                    raise MalformedBody(f"bytes after the end of the {self._coding} stream")
                inflate = self._inflate = zlib.decompressobj(self._wbits)  # the next member
                window = _MEMBER_WINDOW
                continue
            pos += len(piece) - len(inflate.unconsumed_tail)
            # A full step may leave output inside zlib even with no input left.
            if pos >= end and len(out) < INFLATE_STEP:
                return
            window *= 2

    def end(self) -> None:
        """The body ended: raise MalformedBody if the compressed stream did not."""
        if self._started and not self._inflate.eof:
            raise MalformedBody(f"the {self._coding} stream ends early")


def inflater_for(content_encoding: str | None) -> Inflater | None:
    """Return an Inflater for a ``Content-Encoding`` we decode, else None (bytes pass as is)."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        return Inflater("deflate" if coding == "deflate" else "gzip")
    return None
