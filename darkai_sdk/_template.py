"""Learn the form one server writes its text-chunk events in, so runs of them decode fast.

Pure and I/O-free. Every event of one stream comes from one JSON encoder, so all
text-chunk events are the same bytes around their text: for ``json.dumps``
defaults ``data: {"event": "text-chunk", "data": {"text": "`` before it and
``"}}`` + blank line after; compact separators, another key order or extra
constant fields only change those bytes. A :class:`Template` holds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Template", "learn_template"]

# Events longer than this are not worth learning from (and would cost to scan).
_MAX_EVENT = 4096
# A text no string in JSON reads the same as: if it lands in the text, the slot is right.
_PROBE = "\u00e9 Z\u4e2d"


@dataclass(frozen=True, slots=True)
class Template:
    """The bytes around the text of one stream's text-chunk events.

    ``open`` runs from the event's start to the text's opening quote (included),
    ``close`` from its closing quote through the blank line. ``sep`` (close, then
    open) is what lies between the texts of two such events in a row.
    """

    open: bytes
    close: bytes
    sep: bytes


def learn_template(event: bytes) -> Template | None:
    """The template of ``event``, a whole LF-only event, or None if it has none.

    Only a one-line ``data:`` event whose JSON is a text-chunk has one. The slot
    found for the text is proven by decoding the event with a probe text in it:
    the result must be the same event with the probe as its text, so any valid
    JSON string body in that slot is exactly that event's text. Forms with a
    backslash around the text are refused: the decoder rewrites escapes.
    """
    if (
        len(event) > _MAX_EVENT
        or not event.startswith(b"data:")
        or not event.endswith(b"\n\n")
        or event.count(b"\n") != 2
    ):
        return None
    payload = event[5:-2]
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):  # a hostile "[[[[..." exhausts the recursion limit
        return None
    if not _is_text_chunk(obj):
        return None
    probe = _PROBE.encode("utf-8")
    expected = {**obj, "data": {**obj["data"], "text": _PROBE}}
    for first, last in _strings(payload):
        before = payload[: first + 1]
        after = payload[last:]
        if 92 in before or 92 in after:
            continue
        try:
            if json.loads(before + probe + after) != expected:
                continue
        except ValueError:
            continue
        open_ = event[:5] + before
        close = after + b"\n\n"
        return Template(open=open_, close=close, sep=close + open_)
    return None


def _is_text_chunk(obj: Any) -> bool:
    if not isinstance(obj, dict) or obj.get("event") != "text-chunk":
        return False
    data = obj.get("data")
    return isinstance(data, dict) and isinstance(data.get("text"), str)


def _strings(payload: bytes) -> Iterator[tuple[int, int]]:
    """The (opening, closing) quote positions of each JSON string in ``payload``."""
    first = payload.find(b'"')
    while first >= 0:
        last = payload.find(b'"', first + 1)
        while last >= 0:
            escapes = 0
            while payload[last - 1 - escapes] == 92:
                escapes += 1
            if escapes % 2 == 0:
                break
            last = payload.find(b'"', last + 1)
        if last < 0:
            return
        yield first, last
        first = payload.find(b'"', last + 1)
