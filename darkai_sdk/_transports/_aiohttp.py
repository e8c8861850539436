"""The async transport: one aiohttp session, raw bytes in, typed errors out."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TypeVar

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from aiohttp.http_exceptions import ContentEncodingError, HttpProcessingError
from yarl import URL

from .._exceptions import (
    APIConnectionError,
    APITimeoutError,
    DarkAIError,
    IncompleteStreamError,
    ProtocolError,
)
from .._info import Headers
from .._redact import merge_secrets, scrub_bytes, secrets_of, wrap_error
from .._request import Request
from .._status import MAX_ERROR_BODY
from .._timeout import Timeout
from ._aiohttp_pool import BrokenFraming, GuardedConnector
from ._base import DRAIN_LIMIT, DRAIN_WAIT, timeout_message

__all__ = [
    "HOOKS_MAY_BE_ASYNC",
    "AsyncTransport",
    "AsyncResponse",
    "Session",
    "StrGenerator",
    "call_hook",
    "sleep",
]

StrGenerator = AsyncGenerator[str, None]
"""What a stream's iterator is, in this world."""

Session = aiohttp.ClientSession
"""A caller's own HTTP session, in this world."""

#: AsyncDarkAI's hooks may be coroutine functions.
HOOKS_MAY_BE_ASYNC = True
_Info = TypeVar("_Info")


_READ_BUFFER = 256 * 1024


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` without blocking the loop."""
    await asyncio.sleep(seconds)


async def call_hook(hook: Callable[[_Info], object], info: _Info) -> None:
    """Call ``hook(info)``, and await what it returns when that is awaitable."""
    result = hook(info)
    if inspect.isawaitable(result):
        await result


def _timeout_error(
    when: str, exc: TimeoutError, total: float | None, secrets: tuple[str, ...]
) -> APITimeoutError:
    # aiohttp's per-phase timeouts are ServerTimeoutErrors; the total, a bare TimeoutError.
    expired = None if isinstance(exc, aiohttp.ServerTimeoutError) else total
    return wrap_error(APITimeoutError, timeout_message(when, expired), exc, secrets)


def _broken_chunks(cause: BaseException | None) -> bool:
    """Whether aiohttp's parser failed on the chunked framing (its message names it)."""
    return isinstance(cause, HttpProcessingError) and "chunk" in str(cause.message).lower()


class AsyncResponse:
    """A response whose body is read as it arrives."""

    def __init__(
        self, response: aiohttp.ClientResponse, secrets: tuple[str, ...], total: float | None
    ) -> None:
        self._response = response
        self._secrets = secrets
        self._total = total
        self.status_code = response.status
        self.headers: Mapping[str, str] = Headers(response.headers.items())
        self._chunks = self._read_chunks()

    def iter_bytes(self) -> AsyncGenerator[bytes, None]:
        """Yield the body's bytes as they arrive; a broken body raises a DarkAIError."""
        return self._chunks

    async def drain(self) -> int:
        """Read what is left of the body if it ends promptly, so the connection is reused.

        Returns the number of bytes read; a body that does not end within
        ``DRAIN_WAIT`` seconds or ``DRAIN_LIMIT`` bytes is left for close().
        """
        size = 0
        try:
            async with asyncio.timeout(DRAIN_WAIT):
                async for data in self._chunks:
                    size += len(data)
                    if size > DRAIN_LIMIT:
                        break
        except (TimeoutError, DarkAIError):
            return size  # aclose() then closes the connection instead of pooling it
        return size

    async def _read_chunks(self) -> AsyncGenerator[bytes, None]:
        content = self._response.content
        try:
            while True:
                data = await content.readany()
                if not data:
                    break
                yield data
        except TimeoutError as exc:
            raise _timeout_error("mid-reply", exc, self._total, self._secrets)
        except BrokenFraming as exc:
            raise wrap_error(ProtocolError, "malformed HTTP body", exc, self._secrets)
        except aiohttp.ClientPayloadError as exc:
            if isinstance(exc.__cause__, ContentEncodingError) or "ContentEncoding" in str(exc):
                raise wrap_error(ProtocolError, "undecodable body", exc, self._secrets)
            raise wrap_error(
                IncompleteStreamError, "connection broken mid-reply", exc, self._secrets
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise wrap_error(
                IncompleteStreamError, "connection broken mid-reply", exc, self._secrets
            )

    async def read_error_body(self) -> bytes:
        """Read at most ``MAX_ERROR_BODY`` bytes of an error answer, secrets masked.

        A server or proxy may echo the request's credentials in its error page.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            while size < MAX_ERROR_BODY:
                data = await self._response.content.read(MAX_ERROR_BODY - size)
                if not data:
                    break
                chunks.append(data)
                size += len(data)
        except (TimeoutError, aiohttp.ClientError, OSError):
            # The status already says what went wrong; a body cut short adds nothing to lose.
            chunks.append(b"\n[error body unreadable]")
        return scrub_bytes(b"".join(chunks), self._secrets)

    async def aclose(self) -> None:
        """Give the connection back: to the pool if the body was read, else close it."""
        response = self._response
        await self._chunks.aclose()
        if response.content.at_eof():
            response.release()
        else:
            response.close()


class AsyncTransport:
    """Sends requests over one aiohttp session (connections are pooled).

    Its own session is made lazily, with guarded connections (at most
    ``max_connections`` at once), and closed by ``aclose()``. A caller's
    ``session`` is used as it is (its connector, proxy and TLS settings) and
    never closed here.
    """

    def __init__(
        self,
        *,
        proxy: str | None,
        verify: bool,
        secrets: tuple[str, ...],
        max_connections: int,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if session is not None:
            if not isinstance(session, aiohttp.ClientSession):
                raise TypeError(
                    f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
                )
            if session.closed:
                raise ValueError("session is closed")
        self._own = session is None
        self._proxy = proxy
        self._verify = verify
        self._secrets = secrets
        self._limit = max_connections
        self._session = session
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._env_proxies: dict[str, str] = {}  # "" for no proxy

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(timeout)
        if found is None:
            found = self._timeouts[timeout] = aiohttp.ClientTimeout(
                total=timeout.total,
                sock_connect=timeout.effective(timeout.connect),
                sock_read=timeout.effective(timeout.read),
            )
        return found

    def _proxy_for(self, url: str) -> str | None:
        # The proxy environment is read once per origin, not on every request:
        # aiohttp's trust_env costs two thread-pool hops per request.
        if self._proxy is not None or not self._own:
            return self._proxy  # a caller's session: None, so its own proxy settings apply
        target = URL(url)
        origin = f"{target.scheme}://{target.host}:{target.port}"
        found = self._env_proxies.get(origin)
        if found is None:
            try:
                proxy_url, auth = get_env_proxy_for_url(target)
            except LookupError:
                found = ""
            else:
                if auth is not None:  # aiohttp splits them off; it takes them back from the URL
                    proxy_url = proxy_url.with_user(auth.login).with_password(auth.password)
                found = str(proxy_url)
                self._secrets = merge_secrets(self._secrets, secrets_of(found, {}))
            self._env_proxies[origin] = found
        return found or None

    def _get_session(self) -> aiohttp.ClientSession:
        if not self._own:
            assert self._session is not None  # given at construction
            if self._session.closed:
                raise RuntimeError("the aiohttp session passed as session= has been closed")
            return self._session
        loop = asyncio.get_running_loop()
        if self._session is not None and self._pid != os.getpid():
            # Made before a fork: its connections are the parent's, on the parent's
            # event loop. Closing them here would unregister them from that loop
            # (and write a TLS close_notify on them): forget them untouched.
            connector = self._session.connector
            if isinstance(connector, GuardedConnector):
                connector.abandon()
            self._session.detach()
            self._session = None
        if self._session is not None and self._loop is not loop:
            # Made under another event loop (an earlier asyncio.run()): its pooled
            # connections belong to that loop and cannot serve this one.
            self._session.detach()
            self._session = None
        if self._session is None or self._session.closed:
            self._loop = loop
            self._pid = os.getpid()
            self._session = aiohttp.ClientSession(
                connector=GuardedConnector(ssl=self._verify, limit=self._limit),
                trust_env=False,  # the proxy environment is read in _proxy_for
                read_bufsize=_READ_BUFFER,
            )
        return self._session

    async def asend(self, request: Request) -> AsyncResponse:
        """POST ``request`` and return once the status and headers are in."""
        session = self._get_session()
        proxy = self._proxy_for(request.url)
        total = request.timeout.total
        try:
            response = await session.post(
                request.url,
                data=request.body,
                headers=dict(request.headers),
                proxy=proxy,
                allow_redirects=False,
                timeout=self._client_timeout(request.timeout),
                raise_for_status=False,  # a caller's session may say otherwise
            )
        except TimeoutError as exc:
            raise _timeout_error("before the reply began", exc, total, self._secrets)
        except aiohttp.ClientResponseError as exc:
            if _broken_chunks(exc.__cause__):
                # Chunk framing broken in the same read as the headers: aiohttp loses the
                # response and says so here. It is the server's fault, as when it comes
                # later (and as the blocking client reports it), so never retried.
                raise wrap_error(ProtocolError, "malformed HTTP body", exc, self._secrets)
            raise wrap_error(APIConnectionError, "could not connect", exc, self._secrets)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise wrap_error(APIConnectionError, "could not connect", exc, self._secrets)
        return AsyncResponse(response, self._secrets, total)

    async def aclose(self) -> None:
        """Close the session and its pooled connections (never a caller's session)."""
        if self._own and self._session is not None:
            await self._session.close()
            self._session = None
