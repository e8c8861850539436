"""The errors of a request and its reply: every one is a :class:`DarkAIError`.

A bad argument is not: it raises ``TypeError`` (a wrong type) or ``ValueError``
(a wrong value) at the call that took it, before anything is sent.
:class:`UnknownModelError` is both a ``DarkAIError`` and a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._info import REQUEST_ID_HEADER, Headers

__all__ = [
    "DarkAIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "InternalServerError",
    "ProtocolError",
    "IncompleteStreamError",
    "StreamIntegrityError",
    "ServerEventError",
    "UnknownModelError",
    "StreamIntegrityWarning",
]


class DarkAIError(Exception):
    """Base of every error a request or its reply ends in (not of argument errors).

    ``partial_text`` holds the reply text that reached the caller before the
    error ("" when none did), so no received character is lost.
    """

    partial_text: str = ""

    def __init__(self, message: str, *, partial_text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text


class APIConnectionError(DarkAIError):
    """The request could not reach the server, or the connection failed."""


class APITimeoutError(APIConnectionError):
    """A connect, read (silence between bytes) or total timeout expired."""


class APIStatusError(DarkAIError):
    """The server answered with a non-2xx status.

    ``status_code``, ``body`` (text, capped) and ``headers`` (names in any
    case) describe the answer; ``request_id`` is its ``x-request-id`` header,
    if any; ``retry_after`` is the server's requested wait in seconds, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        partial_text: str = "",
    ) -> None:
        super().__init__(message, partial_text=partial_text)
        self.status_code = status_code
        self.body = body
        self.headers = headers if isinstance(headers, Headers) else Headers(headers or {})
        self.retry_after = retry_after

    @property
    def request_id(self) -> str | None:
        """The answer's ``x-request-id`` header (for the service's support), or None."""
        return self.headers.get(REQUEST_ID_HEADER)


class BadRequestError(APIStatusError):
    """400 or 422: the server rejected the request."""


class AuthenticationError(APIStatusError):
    """401 or 403: the server refused access."""


class NotFoundError(APIStatusError):
    """404: nothing at this URL."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """A 5xx status: the server failed."""


class ProtocolError(DarkAIError):
    """The server sent something that breaks the event-stream protocol.

    ``line`` holds the offending line (possibly shortened), when there is one.
    """

    def __init__(self, message: str, *, line: str | None = None, partial_text: str = "") -> None:
        super().__init__(message, partial_text=partial_text)
        self.line = line


class IncompleteStreamError(DarkAIError):
    """The body ended, or the connection broke, before ``stream-end``."""


class StreamIntegrityError(DarkAIError):
    """The ``final-response`` message differs from the chunks received.

    Raised only with ``on_mismatch="raise"``; ``final_message`` holds the
    server's message and ``partial_text`` the concatenated chunks.
    """

    def __init__(self, message: str, *, final_message: str, partial_text: str = "") -> None:
        super().__init__(message, partial_text=partial_text)
        self.final_message = final_message


class ServerEventError(DarkAIError):
    """The server sent an ``error`` event in the stream."""


class UnknownModelError(DarkAIError, ValueError):
    """The model is neither a known model nor an alias."""


class StreamIntegrityWarning(UserWarning):
    """Warned when ``final-response`` differs from the chunks received."""
