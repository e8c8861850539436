"""darkai_sdk: a client for the DarkAI streaming chat API.

``from darkai_sdk import DarkAI`` (blocking, on requests) or ``AsyncDarkAI``
(asyncio, on aiohttp). The clients are imported on first use, so importing the
package costs neither HTTP library.

A request or reply that fails raises a :class:`DarkAIError` subclass; a bad
argument raises ``TypeError`` or ``ValueError`` at once, before anything is sent.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DarkAIError,
    IncompleteStreamError,
    InternalServerError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
    UnknownModelError,
)
from ._info import Headers, RequestInfo, ResponseInfo
from ._logging import setup_from_env
from ._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS, resolve_model
from ._prompt import Messages, format_prompt
from ._reply import StreamMetrics
from ._timeout import Timeout
from ._version import __version__

if TYPE_CHECKING:
    from ._async._client import AsyncDarkAI
    from ._async._stream import AsyncStream
    from ._sync._client import DarkAI
    from ._sync._stream import Stream

__all__ = [
    "DarkAI",
    "AsyncDarkAI",
    "Stream",
    "AsyncStream",
    "Timeout",
    "StreamMetrics",
    "Headers",
    "RequestInfo",
    "ResponseInfo",
    "Messages",
    "format_prompt",
    "resolve_model",
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_ALIASES",
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
    "StreamIntegrityWarning",
    "ServerEventError",
    "UnknownModelError",
    "__version__",
]

_LAZY = {
    "DarkAI": "._sync._client",
    "Stream": "._sync._stream",
    "AsyncDarkAI": "._async._client",
    "AsyncStream": "._async._stream",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'darkai_sdk' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


setup_from_env()
