"""Client settings: checked once, at construction, before any request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from ._logging import logger
from ._models import resolve_model
from ._prompt import Messages, format_prompt
from ._redact import merge_secrets, redact_url, secrets_of
from ._request import Request, build_request, resolve_base_url, validate_headers
from ._retry import RetryPolicy
from ._timeout import Timeout, coerce_timeout

__all__ = ["ClientOptions", "OnMismatch"]

OnMismatch = Literal["warn", "raise"]


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
    ) -> ClientOptions:
        """Validate constructor arguments; raise TypeError/ValueError on the first bad one."""
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
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
        )
        if not verify:
            logger.warning(
                "TLS certificate verification is OFF for %s", redact_url(options.base_url)
            )
        return options

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
