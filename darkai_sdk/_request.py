"""Build the HTTP request for one reply: URL, headers and JSON body."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from ._exceptions import APIStatusError
from ._redact import redact_url, scrub
from ._timeout import DEFAULT_TIMEOUT, Timeout

__all__ = [
    "DEFAULT_BASE_URL",
    "USER_AGENT",
    "Request",
    "build_request",
    "check_sendable",
    "resolve_base_url",
    "validate_headers",
    "merge_headers",
    "redirect_request",
    "MAX_REDIRECTS",
]

DEFAULT_BASE_URL = "https://darkai.foundation/chat"
# The seed's desktop browser user-agent: the service is known to serve it.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
)
BASE_HEADERS: Mapping[str, str] = {
    "accept": "text/event-stream",
    "content-type": "application/json",
    "user-agent": USER_AGENT,
}
MAX_REDIRECTS = 10
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Request:
    """One POST to the chat endpoint, ready for a transport to send.

    ``timeout`` bounds this request (each attempt of it) at the transport.
    """

    url: str
    headers: Mapping[str, str]
    body: bytes
    model: str = ""
    redirects: int = field(default=0, compare=False)
    timeout: Timeout = DEFAULT_TIMEOUT


def resolve_base_url(base_url: str | None) -> str:
    """Return the endpoint: the argument, else ``DARKAI_BASE_URL``, else the public one.

    Raises ``ValueError`` for anything but an absolute http(s) URL.
    """
    if base_url is None:
        base_url = os.environ.get("DARKAI_BASE_URL") or DEFAULT_BASE_URL
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, got {type(base_url).__name__}")
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - checked lazily: a bad port raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base_url must be an absolute http:// or https:// URL, got {redact_url(base_url)!r}"
        )
    return base_url


def validate_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Check user headers are str -> str and return them as a plain dict."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header {name!r}: names and values must be strings")
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise ValueError(f"header {name!r}: line breaks are not allowed")
        checked[name] = value
    return checked


def build_request(
    url: str,
    prompt: str,
    model: str,
    *,
    headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> Request:
    """Build the POST of ``{"query": prompt, "model": model}`` (plus ``extra_body``).

    User ``headers`` override the defaults, whatever their case. Text that UTF-8
    cannot carry (a lone surrogate) raises ``ValueError`` naming where it is.
    """
    check_sendable("the prompt", prompt)
    check_sendable("the model name", model)
    merged = merge_headers(BASE_HEADERS, headers)
    payload: dict[str, Any] = {"query": prompt, "model": model}
    if extra_body:
        if not isinstance(extra_body, Mapping):
            raise TypeError(f"extra_body must be a mapping, got {type(extra_body).__name__}")
        clash = sorted(set(extra_body) & set(payload))
        if clash:
            raise ValueError(
                f"extra_body may not set {', '.join(clash)}: pass the prompt and model as arguments"
            )
        payload.update(extra_body)
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"extra_body is not JSON-serialisable: {exc}") from None
    # The prompt and model are checked above: only extra_body can hold one now.
    check_sendable("extra_body", text)
    return Request(url=url, headers=merged, body=text.encode("utf-8"), model=model, timeout=timeout)


def merge_headers(base: Mapping[str, str], overrides: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` with ``overrides`` on top: a name in ``overrides`` replaces it in any case."""
    if not overrides:
        return dict(base)
    lowered = {name.lower() for name in overrides}
    merged = {k: v for k, v in base.items() if k.lower() not in lowered}
    merged.update(overrides)
    return merged


def check_sendable(what: str, text: str) -> None:
    """Raise ``ValueError`` if ``text`` holds a lone surrogate, which UTF-8 cannot carry.

    Such a character is no text: it is what a byte that is not UTF-8 becomes when
    decoded with ``errors="surrogateescape"`` (as Python does with command-line
    arguments and file names), or half of a pair split apart.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        context = text[max(0, exc.start - 24) : exc.start + 1]  # repr() escapes it
        raise ValueError(
            f"{what} holds a lone surrogate, U+{code:04X}, at {context!r}: it is not "
            "text and cannot be sent (a byte that is not UTF-8, decoded with "
            "errors='surrogateescape'?)"
        ) from None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def redirect_request(
    request: Request, status: int, location: str | None, secrets: Sequence[str] = ()
) -> Request | None:
    """Return the request to send after a redirect, or None if ``status`` is not one.

    A redirect to another origin, or one that would turn the POST into a GET
    (301/302/303) and so drop the prompt, is not followed: it raises
    :class:`APIStatusError` naming the target, so no body or credential leaves
    for a host the user did not choose. Nor is one whose Location holds any of
    ``secrets`` (a credential echoed into a URL would reach every log that URL
    does); messages show the target with ``secrets`` masked. More than
    ``MAX_REDIRECTS`` hops raise :class:`APIStatusError` too (never retried).
    """
    if status not in _REDIRECT_STATUSES:
        return None
    if not location:
        raise APIStatusError(f"redirect {status} without a Location header", status_code=status)
    try:
        target = urljoin(request.url, location)
        same_origin = _origin(target) == _origin(request.url)
    except ValueError:
        raise APIStatusError(
            f"redirect {status} to an invalid Location not followed", status_code=status
        ) from None
    shown = scrub(redact_url(target), secrets)
    if not same_origin or status in (301, 302, 303):
        raise APIStatusError(
            f"redirect {status} to {shown} not followed: the request would "
            "lose its body or go to another host; set base_url to the new address",
            status_code=status,
        )
    if scrub(location, secrets) != location:
        raise APIStatusError(
            f"redirect {status} to {shown} not followed: its Location holds a credential",
            status_code=status,
        )
    if request.redirects >= MAX_REDIRECTS:
        # A status error, not a connection error: retrying cannot end a loop.
        raise APIStatusError(
            f"too many redirects (more than {MAX_REDIRECTS}), last to {shown}",
            status_code=status,
        )
    return dataclasses.replace(request, url=target, redirects=request.redirects + 1)
