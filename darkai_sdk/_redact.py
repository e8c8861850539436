"""Keep credentials out of messages, reprs and logs."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import AnyStr, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ._exceptions import APIStatusError, DarkAIError, ProtocolError
from ._info import Headers

__all__ = [
    "redact_url",
    "merge_secrets",
    "secrets_of",
    "scrub",
    "scrub_bytes",
    "mask_error",
    "mask_headers",
    "hide_credentials",
    "wrap_error",
    "SECRET_HEADERS",
]

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
# What hooks never see the value of: the credentials sent, and the ones a server sets.
_HIDDEN_HEADERS = SECRET_HEADERS | {"set-cookie"}
_MASK = "****"
# Authorization schemes: words of a secret header value that give nothing away.
_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "token"})
# Shorter values are too likely to occur by chance to be masked usefully.
_MIN_SECRET = 3
_E = TypeVar("_E", bound=Exception)


def redact_url(url: str) -> str:
    """Return ``url`` with any ``user:password@`` replaced by ``****@``."""
    try:
        parts = urlsplit(url)
        port = parts.port  # checked lazily: a bad port raises here, not in urlsplit
    except ValueError:
        return _MASK
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{_MASK}@{host}" + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def secrets_of(proxy: str | None, headers: Mapping[str, str]) -> tuple[str, ...]:
    """Collect the strings that must never be shown: credentials in a URL, secret headers.

    ``proxy`` is any URL whose ``user:password@`` must stay hidden (a proxy or
    the endpoint).
    """
    found: list[str] = []
    if proxy:
        try:
            parts = urlsplit(proxy)
        except ValueError:
            parts = None
        if parts is not None:
            user, password = parts.username or "", parts.password or ""
            for value in (user, password):
                if value:
                    found += [value, unquote(value)]
            if len(user) >= 3 or len(password) >= 3:
                # What Proxy-Authorization carries; a proxy's error page may echo it.
                for pair in {f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}:
                    found.append(base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            found.append(value)
            # "Bearer xyz": the token alone may be echoed too (the scheme is no secret)
            found += [w for w in value.split() if len(w) >= 4 and w.lower() not in _SCHEMES]
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "basic":
                # The decoded "user:pass" (and each half) may be echoed too.
                try:
                    pair = base64.b64decode(token.strip(), validate=True).decode("utf-8")
                except ValueError:
                    pair = ""
                found += [pair, *pair.split(":", 1)] if ":" in pair else []
    # A server may echo a value percent-encoded, as it appears in a URL.
    found += [quote(s, safe="") for s in found]
    return merge_secrets(found)


def merge_secrets(*groups: Iterable[str]) -> tuple[str, ...]:
    """Return the secrets of all ``groups`` as one list: unique, longest first.

    The one way secrets are combined, so a list that masks is always in this order.
    Values under three characters are dropped.
    """
    unique = {secret for group in groups for secret in group if len(secret) >= _MIN_SECRET}
    return tuple(sorted(unique, key=lambda secret: (-len(secret), secret)))


def _masked(text: AnyStr, secrets: Iterable[AnyStr], mask: AnyStr) -> AnyStr:
    # Mask the union of every occurrence of every secret: two secrets that overlap
    # in the text (neither containing the other) leave no fragment of either.
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        start = text.find(secret)
        while start >= 0:
            spans.append((start, start + len(secret)))
            start = text.find(secret, start + 1)
    if not spans:
        return text
    spans.sort()
    pieces: list[AnyStr] = []
    kept = 0  # end of the text already handled
    span_start, span_end = spans[0]
    for start, end in spans[1:]:
        if start <= span_end:
            span_end = max(span_end, end)
            continue
        pieces += [text[kept:span_start], mask]
        kept, (span_start, span_end) = span_end, (start, end)
    pieces += [text[kept:span_start], mask, text[span_end:]]
    return text[:0].join(pieces)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret in ``text`` with a mask."""
    return _masked(text, secrets, _MASK)


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """Replace every secret in ``data`` (an undecoded body) with a mask."""
    return _masked(data, [secret.encode("utf-8") for secret in secrets], _MASK.encode("ascii"))


def mask_error(error: DarkAIError, secrets: Iterable[str]) -> DarkAIError:
    """Mask every secret in what ``error`` says (in place) and return it.

    Its message, a status error's body and headers, a protocol error's line:
    everything built from what the server sent. ``partial_text`` is the reply
    itself and stays exact.
    """
    secrets = tuple(secrets)
    if not secrets:
        return error
    error.args = tuple(scrub(arg, secrets) if isinstance(arg, str) else arg for arg in error.args)
    error.message = scrub(error.message, secrets)
    if isinstance(error, APIStatusError):
        error.body = scrub(error.body, secrets)
        error.headers = mask_headers(error.headers, secrets)
    if isinstance(error, ProtocolError) and error.line is not None:
        error.line = scrub(error.line, secrets)
    return error


def mask_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> Headers:
    """``headers`` with every secret in their values masked (the same object if none is)."""
    secrets = tuple(secrets)
    if isinstance(headers, Headers) and not secrets:
        return headers
    return Headers((name, scrub(value, secrets)) for name, value in headers.items())


def hide_credentials(headers: Mapping[str, str], secrets: Iterable[str]) -> Headers:
    """``headers`` for a log: secrets masked, and credential headers' values hidden whole.

    ``Authorization``, ``Cookie``, ``Proxy-Authorization``, ``X-Api-Key`` and
    ``Set-Cookie`` show as ``****`` whatever they hold.
    """
    secrets = tuple(secrets)
    return Headers(
        (name, _MASK if name.lower() in _HIDDEN_HEADERS else scrub(value, secrets))
        for name, value in headers.items()
    )


def wrap_error(cls: type[_E], what: str, exc: BaseException, secrets: Iterable[str]) -> _E:
    """Build ``cls`` from a transport exception, with every secret masked.

    The original stays chained as ``__cause__`` only when its text held no secret.
    """
    raw = f"{what}: {type(exc).__name__}: {exc}" if str(exc) else f"{what}: {type(exc).__name__}"
    message = scrub(raw, secrets)
    error = cls(message)
    error.__cause__ = exc if message == raw else None
    error.__suppress_context__ = True
    return error
