"""Exit codes of the ``darkai`` command: one per kind of failure."""

from __future__ import annotations

import textwrap

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DarkAIError,
    IncompleteStreamError,
    ProtocolError,
    ServerEventError,
    StreamIntegrityError,
    UnknownModelError,
)

__all__ = [
    "OK",
    "ERROR",
    "USAGE",
    "CONNECTION",
    "TIMEOUT",
    "STATUS",
    "PROTOCOL",
    "UNKNOWN_MODEL",
    "BROKEN_PIPE",
    "INTERRUPTED",
    "EXIT_CODES",
    "exit_code_table",
    "UsageError",
    "exit_code",
]

OK = 0
ERROR = 1
USAGE = 2
CONNECTION = 3
TIMEOUT = 4
STATUS = 5
PROTOCOL = 6
UNKNOWN_MODEL = 7
BROKEN_PIPE = 141
INTERRUPTED = 130

#: (code, meaning): the table in ``darkai --help`` and in darkai_sdk.cli's docstring.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "success"),
    (ERROR, "any other error: another DarkAIError, or `serve` or `gateway` cannot listen"),
    (USAGE, "usage: bad arguments or options, no prompt or an empty one"),
    (CONNECTION, "the server could not be reached, or the connection failed (APIConnectionError)"),
    (TIMEOUT, "a connect, read or total timeout expired (APITimeoutError)"),
    (STATUS, "the server answered with a non-2xx HTTP status (APIStatusError)"),
    (
        PROTOCOL,
        "the stream broke the protocol, ended before stream-end, differed from its "
        "final-response (--strict) or carried an error event (ProtocolError, "
        "IncompleteStreamError, StreamIntegrityError, ServerEventError)",
    ),
    (UNKNOWN_MODEL, "unknown model or alias (UnknownModelError)"),
    (INTERRUPTED, "interrupted by Ctrl-C (SIGINT); the text already printed stays"),
    (BROKEN_PIPE, "stdout was closed by its reader (broken pipe)"),
)


def exit_code_table(indent: int = 2, width: int = 79) -> str:
    """The exit codes as an aligned, wrapped text table."""
    lead = " " * indent
    rows = [
        textwrap.fill(
            meaning,
            width,
            initial_indent=f"{lead}{code:>3}  ",
            subsequent_indent=lead + " " * 5,
            break_on_hyphens=False,
        )
        for code, meaning in EXIT_CODES
    ]
    return "\n".join(rows)


# Most specific first: APITimeoutError is an APIConnectionError.
_BY_CLASS: tuple[tuple[type[DarkAIError], int], ...] = (
    (UnknownModelError, UNKNOWN_MODEL),
    (APITimeoutError, TIMEOUT),
    (APIConnectionError, CONNECTION),
    (APIStatusError, STATUS),
    (ProtocolError, PROTOCOL),
    (IncompleteStreamError, PROTOCOL),
    (StreamIntegrityError, PROTOCOL),
    (ServerEventError, PROTOCOL),
)


class UsageError(Exception):
    """A mistake in how the command was called: exit code 2."""


def exit_code(exc: BaseException) -> int:
    """Return the exit code for an error that ended a command."""
    if isinstance(exc, UsageError):
        return USAGE
    for cls, code in _BY_CLASS:
        if isinstance(exc, cls):
            return code
    return ERROR
