"""Map a non-2xx answer to the matching typed error."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)

__all__ = ["MAX_ERROR_BODY", "status_error", "error_message", "is_event_stream"]

# How much of an error body is read: enough for any JSON error or an HTML page's
# head, bounded against a hostile server.
MAX_ERROR_BODY = 64 * 1024

_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_message(body: str) -> str:
    """Pull the human message out of an error body (JSON ``error``/``message``), else its start."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # a hostile "[[[[..." body exhausts the recursion limit
        data = None
    if isinstance(data, Mapping):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, Mapping):
                value = value.get("message", value)
            if isinstance(value, str) and value:
                return value
    text = " ".join(body.split())
    return text[:200] + ("..." if len(text) > 200 else "")


def status_error(
    status_code: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    retry_after: float | None = None,
    url: str = "",
) -> APIStatusError:
    """Build the error for ``status_code``: a subclass per common status, else APIStatusError."""
    text = body[:MAX_ERROR_BODY].decode("utf-8", errors="replace")
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    detail = error_message(text)
    where = f" from {url}" if url else ""
    message = f"HTTP {status_code}{where}" + (f": {detail}" if detail else "")
    if retry_after is not None:
        message += f" (server asks to retry after {retry_after:g} s)"
    return cls(
        message, status_code=status_code, body=text, headers=headers, retry_after=retry_after
    )


def is_event_stream(content_type: str | None) -> bool:
    """Whether a 2xx answer's content type can carry events (a JSON or HTML page cannot)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in ("text/event-stream", "text/plain", "application/octet-stream")
