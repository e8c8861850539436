"""OpenAI error JSON, and which status and words each failure gets."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .. import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DarkAIError,
    IncompleteStreamError,
    RateLimitError,
    StreamIntegrityError,
    UnknownModelError,
)

__all__ = ["GatewayError", "printable", "upstream_error"]

#: Longest message an error carries: an upstream's words are capped.
MAX_MESSAGE = 1000
# Any character a terminal or a chat front-end acts on rather than shows: C0 and C1
# controls, DEL, bidi controls and lone surrogates.
_CONTROLS = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_URL = re.compile(r"\bhttps?://[^\s'\"<>]+")


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), cut at ``limit``."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return _CONTROLS.sub(lambda m: json.dumps(m.group())[1:-1].replace("\\u00", "\\x"), text)


class GatewayError(Exception):
    """A request the gateway answers with an OpenAI error object and ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = printable(message)
        self.kind = kind
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """``{"error": {"message", "type", "param", "code"}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }

    def json_bytes(self) -> bytes:
        """The body as JSON bytes (ASCII: every character of a server's words escaped)."""
        return json.dumps(self.body()).encode("ascii")


def _hide_upstream(message: str, upstream_host: str) -> str:
    """Replace the upstream's URLs with "upstream": the gateway's callers need not know it."""
    if not upstream_host:
        return message
    return _URL.sub(lambda m: "upstream" if upstream_host in m.group() else m.group(), message)


def upstream_error(exc: BaseException, relayed: int, upstream_host: str) -> GatewayError:
    """The error to answer with when the upstream reply failed with ``exc``.

    ``relayed`` characters had already been read; if any, the reply was lost
    after it began: 502 whatever the cause, its length in the message.
    """
    if not isinstance(exc, DarkAIError):
        return GatewayError(
            500,
            f"the gateway failed: {type(exc).__name__}",
            kind="server_error",
            code="internal_error",
        )
    cause = f"{type(exc).__name__}: {_hide_upstream(exc.message, upstream_host)}"
    if relayed:
        return GatewayError(
            502,
            f"the reply was lost after {relayed} characters: {cause}",
            kind="server_error",
            code="reply_incomplete",
        )
    if isinstance(exc, UnknownModelError):
        return GatewayError(404, exc.message, code="model_not_found", param="model")
    if isinstance(exc, RateLimitError):
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(max(0.0, exc.retry_after)))
        return GatewayError(
            429,
            f"the upstream is rate limiting: {cause}",
            kind="rate_limit_error",
            code="rate_limit_exceeded",
            headers=headers,
        )
    if isinstance(exc, APITimeoutError):
        return GatewayError(
            504, f"the upstream timed out: {cause}", kind="server_error", code="upstream_timeout"
        )
    if isinstance(exc, APIStatusError):
        what = f"the upstream answered HTTP {exc.status_code}"
    elif isinstance(exc, APIConnectionError):
        what = "the upstream could not be reached"
    elif isinstance(exc, (IncompleteStreamError, StreamIntegrityError)):
        what = "the upstream reply was not whole"
    else:
        what = "the upstream reply broke the protocol"
    return GatewayError(502, f"{what}: {cause}", kind="server_error", code="upstream_error")
