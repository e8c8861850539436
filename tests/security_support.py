"""What the security tests share: the secrets, and one request made by either client."""

from __future__ import annotations

import asyncio
import base64
import os
import traceback
from typing import Any

import pytest

from darkai_sdk import (
    APIStatusError,
    AsyncDarkAI,
    DarkAI,
    DarkAIError,
    Timeout,
)

USER, PASSWORD = "proxyuser7", "s3cretpass"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
TOKEN = "sk-live-0123456789abcdef"
COOKIE = "session=c00kieval99"
#: Strings that must not show anywhere but on the wire.
SECRETS = (PASSWORD, USER, BASIC, TOKEN, "c00kieval99")
SECRET_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Cookie": COOKIE}
QUICK = Timeout(connect=2, read=5, total=10)
WORLDS = ["sync", "async"]


def clear_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the proxy variables out of the environment for one test."""
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)


def exposed(error: BaseException, *objects: object) -> str:
    """Everything a user could see of an error: message, repr, the printed cause chain."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    parts += [repr(obj) for obj in objects]
    if isinstance(error, APIStatusError):
        parts.append(error.body)
    return "\n".join(parts)


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{leaked} in:\n{text}"


def fail(world: str, url: str, **options: Any) -> tuple[DarkAIError, str]:
    """Make one request that must fail; return its error and what the user could see."""
    options.setdefault("timeout", QUICK)
    options.setdefault("max_retries", 0)
    if world == "sync":
        with DarkAI(url, **options) as client:
            stream = client.stream("hi")
            try:
                stream.until_done()
            except DarkAIError as exc:
                return exc, exposed(exc, client, stream)
        raise AssertionError("the request did not fail")

    async def run() -> tuple[DarkAIError, str]:
        async with AsyncDarkAI(url, **options) as client:
            stream = client.stream("hi")
            try:
                await stream.until_done()
            except DarkAIError as exc:
                return exc, exposed(exc, client, stream)
        raise AssertionError("the request did not fail")

    return asyncio.run(run())


def complete(world: str, url: str, **options: Any) -> str:
    options.setdefault("timeout", QUICK)
    if world == "sync":
        with DarkAI(url, **options) as client:
            return client.complete("hi")

    async def run() -> str:
        async with AsyncDarkAI(url, **options) as client:
            return await client.complete("hi")

    return asyncio.run(run())
