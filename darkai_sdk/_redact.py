"""Keep credentials out of messages, reprs and logs."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["redact_url", "secrets_of", "scrub", "scrub_bytes", "wrap_error", "SECRET_HEADERS"]

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
_MASK = "****"
# Authorization schemes: words of a secret header value that give nothing away.
_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "token"})
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
    # Longest first, so a secret containing another is masked whole.
    return tuple(sorted({s for s in found if len(s) >= 3}, key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` with a mask."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """Replace every secret in ``data`` (an undecoded body) with a mask."""
    for secret in secrets:
        encoded = secret.encode("utf-8")
        if encoded in data:
            data = data.replace(encoded, _MASK.encode("ascii"))
    return data


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
