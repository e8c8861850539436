"""The benchmark's reply bodies: Markdown-like text, written the ways real servers write it.

A body is one text cut into events of a fixed number of characters, each event
encoded by one server style (:data:`ENCODERS`), the events framed into HTTP
chunks one of three ways (:data:`FRAMINGS`). Everything is deterministic in its
seed, so a body's bytes and text are the same in every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ENCODERS",
    "FRAMINGS",
    "HTTP_HEAD",
    "Body",
    "BodySpec",
    "Encoder",
    "build_body",
    "frame_chunked",
    "markdown_text",
    "stream_end",
]

#: The head of every event-stream reply the bench server sends.
HTTP_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)

# --------------------------------------------------------------------------- text

_WORD_LIST = (
    "the of and to in is you that it he was for on are as with his they at be this have "
    "from or one had by word but not what all were we when your can said there use an each "
    "which she do how their if will up other about out many then them these so some her "
    "would make like him into time has look two more write go see number no way could people "
    "stream event server client reply token model chunk buffer decoder latency throughput"
)
_ASCII_WORDS = _WORD_LIST.split()
_OTHER_WORDS = (
    "café",
    "déjà vu",
    "naïve",
    "Größe",
    "Ελλάδα",
    "Привет",
    "中文",
    "北京",
    "你好",
    "日本語",
    "🙂",
    "🚀",
    "👍🏽",
    "🎉",
    "→",
    "€5",
)
# Spans a model writes inside prose; the quoted and backslashed ones need JSON escapes.
_DECORATIONS = (
    "**{}**",
    "*{}*",
    "`{}`",
    '"{}"',
    "`{}()`",
    "[{}](https://example.com/{})",
    r"`C:\{}\{}`",
    "<{}>",
    "{} & {}",
)
_CODE_LINES = (
    "def {}(x):",
    '\treturn "{}" + x',
    "\tif x == '\\n':",
    '\t\tprint("{}\\t{}")',
    "\tpath = r'C:\\{}\\{}'",
    "for {} in range(10):",
    "\t{} = {{'key': \"{}\"}}",
)


def _word(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(_OTHER_WORDS)
    return rng.choice(_ASCII_WORDS)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [_word(rng) for _ in range(rng.randint(low, high))]
    for i in range(len(words)):
        if rng.random() < 0.04:
            words[i] = rng.choice(_DECORATIONS).format(words[i], _word(rng))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice(".!?.;.")


def _block(rng: random.Random) -> str:
    """One Markdown block: mostly paragraphs, with headings, lists, code and quotes."""
    kind = rng.random()
    if kind < 0.70:  # a paragraph: one long line
        return " ".join(_sentence(rng, 6, 18) for _ in range(rng.randint(3, 8))) + "\n\n"
    if kind < 0.78:
        return "#" * rng.randint(1, 3) + " " + _sentence(rng, 2, 6)[:-1] + "\n\n"
    if kind < 0.88:
        mark = rng.choice(("- ", "* ", "1. "))
        return "".join(mark + _sentence(rng, 6, 16) + "\n" for _ in range(rng.randint(2, 4))) + "\n"
    if kind < 0.94:
        lines = [
            rng.choice(_CODE_LINES).format(_word(rng), _word(rng)) for _ in range(rng.randint(2, 6))
        ]
        return "```python\n" + "\n".join(lines) + "\n```\n\n"
    return "> " + _sentence(rng, 8, 20) + "\n\n"


def markdown_text(chars: int, seed: int = 5) -> str:
    """At least ``chars`` characters of Markdown-like model output, the same for one seed."""
    rng = random.Random(seed)
    blocks: list[str] = []
    have = 0
    while have < chars:
        block = _block(rng)
        blocks.append(block)
        have += len(block)
    return "".join(blocks)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Encoder:
    """How one kind of server writes a DarkAI event object as JSON."""

    label: str
    dumps: Callable[[object], str]


def _go(obj: object) -> str:
    # Go's encoding/json: a map's keys sorted, no spaces, <, > and & escaped for HTML.
    # Those three can only appear inside strings here, so replacing them is exact.
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Server styles by name.
ENCODERS: dict[str, Encoder] = {
    "utf8": Encoder(
        "json.dumps(obj, ensure_ascii=False)", lambda o: json.dumps(o, ensure_ascii=False)
    ),
    "ascii": Encoder(
        "json.dumps(obj), its defaults: \\uXXXX, emoji as surrogate pairs", json.dumps
    ),
    "compact": Encoder(
        'json.dumps(obj, separators=(",", ":"), ensure_ascii=False), as JSON.stringify',
        lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False),
    ),
    "go": Encoder('Go encoding/json of a map: {"data":...,"event":...}, <>& as \\u003c', _go),
}

#: How a body's events are cut into HTTP chunks.
FRAMINGS: dict[str, str] = {
    "large": "65,521-byte HTTP chunks",
    "event": "one HTTP chunk per event",
    "random": "HTTP chunks of random sizes, cut anywhere",
}
_LARGE_CHUNK = 65521  # prime: chunk ends fall at every place within events


@dataclass(frozen=True)
class BodySpec:
    """Which body: server style, characters per event, framing, line end, size in bytes."""

    encoding: str
    chars: int
    framing: str
    size: int
    crlf: bool = False

    @property
    def name(self) -> str:
        """A short name, also the body's URL path."""
        return f"{self.encoding}{'-crlf' if self.crlf else ''}-{self.chars}-{self.framing}"

    @property
    def label(self) -> str:
        """What the body is, in words."""
        end = ", CRLF line ends (sse-starlette)" if self.crlf else ""
        return (
            f"{ENCODERS[self.encoding].label}; {self.chars} chars/event; "
            f"{FRAMINGS[self.framing]}{end}"
        )


@dataclass(frozen=True)
class Body:
    """A reply body: its HTTP chunks' data, the text its events carry, and counts."""

    spec: BodySpec
    pieces: list[bytes]
    text: str
    events: int
    escaped: int  # text-chunk events whose JSON string holds an escape

    @property
    def size(self) -> int:
        return sum(map(len, self.pieces))

    def wire(self) -> bytes:
        """The body as sent: chunked transfer encoding, after the HTTP head."""
        return frame_chunked(self.pieces)


def _event_bytes(encoder: Encoder, obj: object, crlf: bool) -> bytes:
    newline = "\r\n" if crlf else "\n"
    return ("data: " + encoder.dumps(obj) + newline + newline).encode("utf-8")


def stream_end(spec: BodySpec) -> bytes:
    """The body's last event, ``stream-end``."""
    return _event_bytes(ENCODERS[spec.encoding], {"event": "stream-end"}, spec.crlf)


def build_body(spec: BodySpec, text: str, seed: int = 11) -> Body:
    """The body ``spec`` names, at most ``spec.size`` bytes, its events cut from ``text``."""
    encoder = ENCODERS[spec.encoding]
    end = stream_end(spec)
    budget = spec.size - len(end)
    events: list[bytes] = []
    used = 0
    escaped = 0
    step = spec.chars
    for start in range(0, len(text) - step + 1, step):
        chunk = text[start : start + step]
        event = _event_bytes(encoder, {"event": "text-chunk", "data": {"text": chunk}}, spec.crlf)
        if used + len(event) > budget:
            break
        events.append(event)
        used += len(event)
        escaped += any(c in chunk for c in '"\\\n\t')
    else:
        raise ValueError(f"{len(text)} characters of text do not fill {spec.size} bytes")
    sent = text[: len(events) * step]
    events.append(end)
    return Body(spec, _frame(spec.framing, events, seed), sent, len(events), escaped)


def _frame(framing: str, events: list[bytes], seed: int) -> list[bytes]:
    """The data of each HTTP chunk."""
    if framing == "event":
        return events
    body = b"".join(events)
    if framing == "large":
        return [body[i : i + _LARGE_CHUNK] for i in range(0, len(body), _LARGE_CHUNK)]
    if framing != "random":
        raise ValueError(f"unknown framing {framing!r}")
    rng = random.Random(seed)
    most = 2 * len(body) // len(events)  # twice the mean event: cuts anywhere in one
    pieces: list[bytes] = []
    start = 0
    while start < len(body):
        size = rng.randint(1, most)
        pieces.append(body[start : start + size])
        start += size
    return pieces


def frame_chunked(pieces: list[bytes]) -> bytes:
    """``pieces`` as HTTP/1.1 chunks, one each, and the last chunk."""
    parts: list[bytes] = []
    for piece in pieces:
        parts += (b"%x\r\n" % len(piece), piece, b"\r\n")
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)
