"""What the test server sends for one request: :class:`Reply` and its fault modes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CHUNK_UNITS",
    "DEFAULT_MODELS",
    "LINE_ENDINGS",
    "MALFORMED_DATA",
    "Reply",
    "default_reply_text",
]

#: Models the test server accepts unless told otherwise: the service's models
#: (``darkai_sdk.MODELS``), so a request for anything else gets a 400.
DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o", "gpt-3.5-turbo", "llama-3-70b", "llama-3-405b")

#: Line endings the SSE rules allow; ``Reply.line_ending`` must be one of them.
LINE_ENDINGS: tuple[str, ...] = ("\n", "\r\n", "\r")

#: What ``Reply.chunk_size`` counts: Python characters (code points), or UTF-16
#: code units as a JavaScript server slices strings (an emoji is two units).
CHUNK_UNITS: tuple[str, ...] = ("code-points", "utf-16")

#: The ``data:`` value sent by ``malformed_after``: a JSON object cut off mid-way.
MALFORMED_DATA = '{"event": "text-chunk", "data": {"text": '


def default_reply_text(query: str, model: str) -> str:
    """Return the reply sent when none is scripted: it names the server and echoes the request."""
    return f'Hello from the local DarkAI test server (model {model}). You said: "{query}"'


# The "*_after" faults, in the order they act when two share a position.
_FAULT_ORDER = (
    "malformed_after",
    "error_after",
    "truncate_after",
    "cut_after",
    "bad_chunk_after",
    "stall_after",
)


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 0):
        raise ValueError(f"{name} must be None or an int >= 0, got {value!r}")


@dataclass(frozen=True)
class Reply:
    """One scripted response of the test server.

    By default a well-formed event stream of ``text`` (the echo reply when None).
    The ``*_after`` faults count ``text-chunk`` events: ``N`` acts after the first
    ``N`` chunks (``0``: before any); ``N`` past the last chunk acts after the last
    one, before ``final-response``. When several are set, the one at the earliest
    position wins; at the same position ``malformed`` comes first, then ``error``,
    ``truncate``, ``cut``, ``bad_chunk``, ``stall``.

    The HTTP-level faults (``http_chunk_size`` to ``after_reply``) make the
    server write the status line, headers and chunked framing itself.
    """

    #: Reply text, split into ``chunk_size`` pieces; a sequence gives the chunks as
    #: they are; None means :func:`default_reply_text` for the request.
    text: str | Sequence[str] | None = None
    #: Characters (code points) per ``text-chunk`` event.
    chunk_size: int = 4
    #: "utf-16": ``chunk_size`` counts UTF-16 code units, so a chunk boundary can
    #: split an emoji into two lone surrogates, each sent as a JSON ``\ud83d``-style
    #: escape in its own event (as a JavaScript server does).
    chunk_units: Literal["code-points", "utf-16"] = "code-points"
    #: Seconds to pause before every event but the first (0: send at full speed).
    delay: float = 0.0
    #: Seconds to wait before sending the status line and headers.
    headers_delay: float = 0.0
    #: True: send the correct ``final-response``; False: none; a str: this message
    #: instead (a mismatch with the chunks).
    final_response: bool | str = True

    #: Non-200 (or ``body`` set): send this status with ``body`` instead of a stream.
    status: int = 200
    #: Body of a plain response; None gives a JSON error body for a status >= 400.
    body: str | bytes | None = None
    #: ``Retry-After`` header value, sent with any response when not None.
    retry_after: str | int | float | None = None
    #: Extra response headers; they replace the server's own of the same name.
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Answer with ``redirect_status`` and ``Location: redirect`` instead.
    redirect: str | None = None
    redirect_status: int = 307
    #: A hostile server: the name of a request header (e.g. "Authorization")
    #: whose value is echoed in the redirect's Location (``echo=VALUE`` in its
    #: query), in the body of a status answer and in the error event's message.
    echo_header: str | None = None

    #: End the body cleanly after N chunks: no ``final-response``, no ``stream-end``.
    truncate_after: int | None = None
    #: After N chunks write the first half of the next event's first line, then
    #: abort the TCP connection (the chunked body never ends).
    cut_after: int | None = None
    #: After N chunks send one event whose data is ``malformed_data``, then go on.
    malformed_after: int | None = None
    malformed_data: str = MALFORMED_DATA
    #: After N chunks send ``{"event": "error", ...}`` with ``error_message``,
    #: then ``stream-end`` (so only a client that reads the error notices it).
    #: The message goes out as given: control characters (``"\x1b[2J"``) too.
    error_after: int | None = None
    error_message: str = "The model failed while generating the reply."
    #: After N chunks send nothing more and keep the connection open until the
    #: client goes away or the server stops.
    stall_after: int | None = None

    #: Line terminator of every line of the body: "\n", "\r\n" or "\r".
    line_ending: str = "\n"
    #: False: write ``data:{json}`` without the optional space.
    data_space: bool = True
    #: Put a ``: keep-alive`` comment and a spare blank line before every event
    #: (and, with ``multiline``, comment lines between its data lines).
    comments: bool = False
    #: Spread every JSON payload over several ``data:`` lines ("{", one line per
    #: key, "}"); the SSE rules join them with "\n" into the same JSON value.
    multiline: bool = False
    #: Put an event with an unknown name before every event.
    unknown_events: bool = False
    #: ``Content-Encoding: gzip``, compressed and flushed write by write so it streams.
    gzip: bool = False
    #: Send the body in writes of at most this many bytes, pausing 1 ms after each,
    #: so a client's reads split lines, CRLF pairs and UTF-8 characters.
    write_size: int | None = None

    #: Interim responses (1xx statuses, e.g. ``(102, 103)``) sent before the reply.
    interim: Sequence[int] = ()
    #: HTTP chunks of at most this many body bytes (1: a chunk per byte); None:
    #: a chunk per write.
    http_chunk_size: int | None = None
    #: Text after ``;`` on every chunk-size line (a chunk extension; any length).
    chunk_extension: str = ""
    #: Seconds between the bytes of every chunk-size line.
    drip_chunk_lines: float = 0.0
    #: Trailer fields sent after the last chunk.
    trailers: Mapping[str, str] = field(default_factory=dict)
    #: Seconds between the bytes of the last chunk and the trailer section.
    drip_trailers: float = 0.0
    #: After N chunks write ``bad_chunk_line`` where the next chunk-size line
    #: belongs, then nothing more (the connection stays open).
    bad_chunk_after: int | None = None
    bad_chunk_line: bytes = b"zz\r\n"
    #: Raw bytes written on the connection after the streamed reply's end (e.g. a
    #: whole second response); the connection stays open.
    after_reply: bytes = b""
    #: Seconds to wait before writing ``after_reply``; 0: in the same write as
    #: the reply's end.
    after_reply_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.text is not None and not isinstance(self.text, str):
            chunks = tuple(self.text)
            if not all(isinstance(chunk, str) for chunk in chunks):
                raise TypeError("text must be a str, a sequence of str, or None")
            # Frozen, so a list the caller later mutates cannot change the reply.
            object.__setattr__(self, "text", chunks)
        if isinstance(self.chunk_size, bool) or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size!r}")
        if self.delay < 0 or self.headers_delay < 0:
            raise ValueError("delay and headers_delay must be >= 0")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status 100-599, got {self.status!r}")
        if not 300 <= self.redirect_status <= 399:
            raise ValueError(f"redirect_status must be 3xx, got {self.redirect_status!r}")
        if self.chunk_units not in CHUNK_UNITS:
            raise ValueError(f"chunk_units must be one of {CHUNK_UNITS!r}")
        if self.line_ending not in LINE_ENDINGS:
            raise ValueError(f"line_ending must be one of {LINE_ENDINGS!r}")
        if self.write_size is not None and self.write_size < 1:
            raise ValueError(f"write_size must be None or >= 1, got {self.write_size!r}")
        for name in _FAULT_ORDER:
            _check_count(name, getattr(self, name))
        self._check_http_faults()

    def _check_http_faults(self) -> None:
        if self.http_chunk_size is not None and (
            isinstance(self.http_chunk_size, bool) or self.http_chunk_size < 1
        ):
            raise ValueError(f"http_chunk_size must be None or >= 1, got {self.http_chunk_size!r}")
        if min(self.drip_chunk_lines, self.drip_trailers, self.after_reply_delay) < 0:
            raise ValueError("drip_chunk_lines, drip_trailers and after_reply_delay must be >= 0")
        texts = [self.chunk_extension, *self.trailers.keys(), *self.trailers.values()]
        if any("\r" in text or "\n" in text for text in texts):
            raise ValueError("chunk_extension and trailers may not hold line breaks")
        interim = tuple(self.interim)
        if not all(isinstance(s, int) and 100 <= s <= 199 and s != 101 for s in interim):
            raise ValueError(f"interim must hold 1xx statuses other than 101, got {interim!r}")
        object.__setattr__(self, "interim", interim)
        if not isinstance(self.bad_chunk_line, bytes) or not isinstance(self.after_reply, bytes):
            raise TypeError("bad_chunk_line and after_reply must be bytes")

    @property
    def is_stream(self) -> bool:
        """True when this reply is an event stream, not a redirect or a plain body."""
        return self.redirect is None and self.status == 200 and self.body is None

    def chunks(self, query: str, model: str) -> tuple[str, ...]:
        """Return the ``text-chunk`` texts sent for a request with this query and model."""
        if self.text is None:
            text: str = default_reply_text(query, model)
        elif isinstance(self.text, str):
            text = self.text
        else:
            return tuple(self.text)
        size = self.chunk_size
        if self.chunk_units == "utf-16":
            return _utf16_slices(text, size)
        return tuple(text[i : i + size] for i in range(0, len(text), size))


def _utf16_slices(text: str, size: int) -> tuple[str, ...]:
    """Slice ``text`` every ``size`` UTF-16 code units; a split pair gives lone surrogates."""
    units = text.encode("utf-16-le", "surrogatepass")
    step = 2 * size
    return tuple(
        units[i : i + step].decode("utf-16-le", "surrogatepass") for i in range(0, len(units), step)
    )
