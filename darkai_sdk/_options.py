"""Client settings: checked once, at construction, before any request."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from ._info import RequestInfo, ResponseInfo
from ._logging import logger
from ._models import resolve_model
from ._prompt import Messages, format_prompt
from ._redact import merge_secrets, redact_url, secrets_of
from ._request import Request, build_request, merge_headers, resolve_base_url, validate_headers
from ._retry import RetryPolicy
from ._timeout import Timeout, coerce_timeout

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "ClientOptions",
    "OnMismatch",
    "RequestHook",
    "ResponseHook",
    "check_max_connections",
    "check_transport_choice",
]

OnMismatch = Literal["warn", "raise"]
#: ``on_request(info)``; on AsyncDarkAI it may return an awaitable, which is awaited.
RequestHook = Callable[[RequestInfo], object]
#: ``on_response(info)``; on AsyncDarkAI it may return an awaitable, which is awaited.
ResponseHook = Callable[[ResponseInfo], object]

#: Connections a client's own pool opens at most at once.
DEFAULT_MAX_CONNECTIONS = 100


def _check_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
    return max_retries


def _check_hook(name: str, hook: Callable[..., object] | None, *, may_be_async: bool) -> None:
    if hook is None:
        return
    if not callable(hook):
        raise TypeError(f"{name} must be a callable or None, got {type(hook).__name__}")
    if not may_be_async and inspect.iscoroutinefunction(hook):
        raise TypeError(f"{name} must be a plain function on DarkAI; async hooks need AsyncDarkAI")


def check_max_connections(max_connections: int | None) -> int:
    """Return the pool size: ``max_connections``, or the default for None."""
    if max_connections is None:
        return DEFAULT_MAX_CONNECTIONS
    if (
        isinstance(max_connections, bool)
        or not isinstance(max_connections, int)
        or max_connections < 1
    ):
        raise ValueError(f"max_connections must be an integer >= 1, got {max_connections!r}")
    return max_connections


def check_transport_choice(
    *,
    session: object | None,
    transport: object | None,
    proxy: str | None,
    verify: bool,
    max_connections: int | None,
) -> None:
    """Refuse settings a caller's own session or transport would silently ignore."""
    if session is not None and transport is not None:
        raise ValueError("pass session= or transport=, not both")
    owner = "session" if session is not None else "transport" if transport is not None else None
    if owner is None:
        return
    ignored = [
        name
        for name, given in (
            ("proxy", proxy is not None),
            ("verify", verify is not True),
            ("max_connections", max_connections is not None),
        )
        if given
    ]
    if ignored:
        raise ValueError(
            f"{', '.join(ignored)} cannot be combined with {owner}=: "
            f"configure the {owner} you pass instead"
        )


def _check_proxy(proxy: str | None) -> str | None:
    if proxy is None:
        return None
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string or None, got {type(proxy).__name__}")
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - checked lazily: a bad port raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"proxy must be an http:// or https:// URL, got {redact_url(proxy)!r}")
    return proxy


@dataclass(frozen=True, slots=True, repr=False)
class ClientOptions:
    """Everything a client was configured with, validated."""

    base_url: str
    timeout: Timeout
    retry: RetryPolicy
    headers: Mapping[str, str]
    proxy: str | None
    strict_models: bool
    on_mismatch: OnMismatch
    verify: bool
    max_line_size: int
    secrets: tuple[str, ...]
    on_request: RequestHook | None = None
    on_response: ResponseHook | None = None

    @classmethod
    def create(
        cls,
        base_url: str | None,
        *,
        proxy: str | None,
        timeout: Timeout | float | None,
        max_retries: int,
        headers: Mapping[str, str] | None,
        strict_models: bool,
        on_mismatch: str,
        verify: bool,
        max_line_size: int,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
        hooks_may_be_async: bool = False,
    ) -> ClientOptions:
        """Validate constructor arguments; raise TypeError/ValueError on the first bad one."""
        _check_retries(max_retries)
        if on_mismatch not in ("warn", "raise"):
            raise ValueError(f"on_mismatch must be 'warn' or 'raise', got {on_mismatch!r}")
        if not isinstance(strict_models, bool):
            raise TypeError("strict_models must be True or False")
        if not isinstance(verify, bool):
            raise TypeError("verify must be True or False")
        if (
            isinstance(max_line_size, bool)
            or not isinstance(max_line_size, int)
            or max_line_size < 1
        ):
            raise ValueError(f"max_line_size must be a positive integer, got {max_line_size!r}")
        _check_hook("on_request", on_request, may_be_async=hooks_may_be_async)
        _check_hook("on_response", on_response, may_be_async=hooks_may_be_async)
        checked_headers = validate_headers(headers)
        checked_proxy = _check_proxy(proxy)
        url = resolve_base_url(base_url)
        options = cls(
            base_url=url,
            timeout=coerce_timeout(timeout),
            retry=RetryPolicy(max_retries=max_retries),
            headers=checked_headers,
            proxy=checked_proxy,
            strict_models=strict_models,
            on_mismatch=on_mismatch,  # type: ignore[arg-type]
            verify=verify,
            max_line_size=max_line_size,
            secrets=merge_secrets(secrets_of(checked_proxy, checked_headers), secrets_of(url, {})),
            on_request=on_request,
            on_response=on_response,
        )
        if not verify:
            logger.warning(
                "TLS certificate verification is OFF for %s", redact_url(options.base_url)
            )
        return options

    def derive(
        self,
        *,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
        hooks_may_be_async: bool = False,
    ) -> ClientOptions:
        """These options with the given ones replacing theirs (None keeps a setting).

        ``headers`` go on top of the current ones, replacing a name in any case.
        Checked as the constructor checks them.
        """
        if (
            base_url is None
            and timeout is None
            and max_retries is None
            and headers is None
            and on_request is None
            and on_response is None
        ):
            return self
        changes: dict[str, Any] = {}
        secrets: list[str] = []
        if max_retries is not None:
            changes["retry"] = dataclasses.replace(
                self.retry, max_retries=_check_retries(max_retries)
            )
        if timeout is not None:
            changes["timeout"] = coerce_timeout(timeout)
        if on_request is not None:
            _check_hook("on_request", on_request, may_be_async=hooks_may_be_async)
            changes["on_request"] = on_request
        if on_response is not None:
            _check_hook("on_response", on_response, may_be_async=hooks_may_be_async)
            changes["on_response"] = on_response
        if headers is not None:
            checked = validate_headers(headers)
            changes["headers"] = merge_headers(self.headers, checked)
            secrets += secrets_of(None, checked)
        if base_url is not None:
            changes["base_url"] = url = resolve_base_url(base_url)
            secrets += secrets_of(url, {})
        if secrets:
            changes["secrets"] = merge_secrets(self.secrets, secrets)
        return dataclasses.replace(self, **changes)

    def build(
        self, messages: Messages, model: str | None, extra_body: Mapping[str, Any] | None
    ) -> Request:
        """Format the prompt, resolve the model and build the request; nothing is sent."""
        prompt = format_prompt(messages)
        if not prompt.strip():
            raise ValueError("the prompt is empty")
        return build_request(
            self.base_url,
            prompt,
            resolve_model(model, strict=self.strict_models),
            headers=self.headers,
            extra_body=extra_body,
            timeout=self.timeout,
        )

    def __repr__(self) -> str:
        # The generated dataclass repr would show the proxy password, headers and secrets.
        return f"ClientOptions({self.describe()})"

    def describe(self) -> str:
        """A repr-safe summary: no credentials."""
        proxy = f", proxy={redact_url(self.proxy)!r}" if self.proxy else ""
        return (
            f"base_url={redact_url(self.base_url)!r}{proxy}, max_retries={self.retry.max_retries}"
        )
