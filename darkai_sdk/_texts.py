"""Reply text from JSON string bodies: many decoded in one C call, surrogates repaired.

Pure and I/O-free; the DarkAI event layer (:mod:`._events`) decodes runs of
text-chunk events with these.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_CARRY",
    "Surrogates",
    "can_carry",
    "decode_bodies",
    "may_hold_surrogates",
    "scanstring",
]

#: Bytes of an unfinished event that may wait for the next read.
MAX_CARRY = 4096

# json's C scanners, without json.loads' wrapper: scan(s, i) -> (value, end), and
# scanstring(s, i) -> (the string whose body starts at i, the index after its quote).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

_HIGH_SURROGATES = ("\ud800", "\udbff")


def can_carry(rest: bytes, cap: int) -> bool:
    """Whether an unfinished event may wait for the next read: it could hold no error yet.

    It is short (no line in it can be over the cap) and valid UTF-8 but for a
    sequence cut at its end: a decoder that saw it now would raise nothing.
    """
    if len(rest) > min(MAX_CARRY, cap):
        return False
    try:
        rest.decode()
    except UnicodeDecodeError as exc:
        return exc.end == len(rest) and exc.reason == "unexpected end of data"
    return True


def decode_bodies(region: bytes, sep: bytes) -> list[str] | None:
    """The texts in ``region`` (JSON string bodies joined by ``sep``), or None.

    Joined as the strings of one JSON array, all texts are decoded by one call of
    json's C scanner. First every escaped quote ``\\"`` becomes ``\\u0022`` (the
    same character), so that no quote is left inside a text; where a quote
    follows an escaped backslash (``\\\\"``), ``\\\\`` first becomes ``\\u005c``, so
    that only true escapes are rewritten. Then if every quote left is a delimiter,
    the array's structure is exactly the texts: a backslash before a delimiter
    would have been rewritten, so the quote count would be off. Anything else (a
    quote, a control character, a bad escape or bad UTF-8 in some text) gives
    None, and the caller takes the general way. ``sep`` holds no backslash.
    """
    if 92 in region:
        if b'\\\\"' in region:
            region = region.replace(b"\\\\", b"\\u005c")
        region = region.replace(b'\\"', b"\\u0022")
    joined = region.replace(sep, b'","')
    count = (len(region) - len(joined)) // (len(sep) - 3) + 1
    if joined.count(34) != 2 * (count - 1):
        return None
    try:
        source = '["' + joined.decode() + '"]'
        texts, end = _scan(source, 0)
    except (ValueError, StopIteration):  # bad UTF-8, or not JSON
        return None
    if end != len(source) or len(texts) != count:
        return None  # cannot happen with the quote count right; kept as a guard
    return texts  # type: ignore[no-any-return]


def may_hold_surrogates(body: bytes) -> bool:
    """Whether JSON ``body`` may decode to a surrogate: only a ``\\uD8..``-``\\uDF..`` can."""
    return 92 in body and (b"\\ud" in body or b"\\uD" in body)


class Surrogates:
    """Keep reply text valid Unicode across chunks, as a JavaScript server may cut it.

    A high surrogate ending a text waits (``pending``) for the next text, whose
    low surrogate makes the pair one character; a surrogate that gets no partner
    becomes U+FFFD and is counted in ``replaced``.
    """

    __slots__ = ("pending", "replaced")

    def __init__(self) -> None:
        self.pending = ""  # a high surrogate that ended the last text
        self.replaced = 0

    def pair(self, texts: list[str]) -> list[str]:
        """``texts`` with pairs joined, a final high surrogate held back, lone ones U+FFFD."""
        if self.pending:
            texts[0] = self.pending + texts[0]
            self.pending = ""
        try:
            "".join(texts).encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return texts  # no surrogate at all: nothing to do
        fixed: list[str] = []
        for text in texts:
            if self.pending:
                text = self.pending + text
                self.pending = ""
            if text and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]:
                self.pending = text[-1]
                text = text[:-1]
            fixed.append(self.whole(text))
        return fixed

    def whole(self, text: str, *, count: bool = True) -> str:
        """``text`` with surrogate pairs joined and lone surrogates as U+FFFD (counted)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            before = text.count("\ufffd")
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            if count:
                self.replaced += text.count("\ufffd") - before
        return text

    def flush(self) -> str:
        """End of the text (a non-text event, the end): a waiting half becomes U+FFFD."""
        if not self.pending:
            return ""
        self.pending = ""
        self.replaced += 1
        return "\ufffd"
