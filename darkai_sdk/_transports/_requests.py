"""The sync transport: one requests session, raw bytes in, typed errors out."""

from __future__ import annotations

import inspect
import os
import socket
import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

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
from ._base import DRAIN_LIMIT, DRAIN_WAIT, timeout_message
from ._http1 import (
    CloseDelimitedBody,
    MalformedBody,
    TruncatedBody,
    body_framing,
    inflater_for,
)
from ._httpclient import CURRENT, Exchange, HookedAdapter, HookedResponse

__all__ = [
    "HOOKS_MAY_BE_ASYNC",
    "SyncTransport",
    "SyncResponse",
    "Session",
    "StrGenerator",
    "call_hook",
    "sleep",
]

StrGenerator = Generator[str, None, None]
"""What a stream's iterator is, in this world."""

Session = requests.Session
"""A caller's own HTTP session, in this world."""

#: DarkAI's hooks must be plain functions: nothing here could await a coroutine.
HOOKS_MAY_BE_ASYNC = False
_Info = TypeVar("_Info")

# Bytes asked of the socket per read: many, so a body of tiny HTTP chunks costs few
# system calls, yet under 128 KiB, above which malloc maps fresh memory per read.
_READ_SIZE = 64 * 1024
_TIMEOUTS = (
    requests.exceptions.Timeout,
    urllib3.exceptions.TimeoutError,
    socket.timeout,
    TimeoutError,
)
_BROKEN = (urllib3.exceptions.HTTPError, requests.RequestException, OSError, ValueError)


def sleep(seconds: float) -> None:
    """Wait ``seconds``."""
    time.sleep(seconds)


def call_hook(hook: Callable[[_Info], object], info: _Info) -> None:
    """Call ``hook(info)``; an awaitable result is a TypeError (DarkAI cannot await it)."""
    result = hook(info)
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()  # never awaited: no "never awaited" warning on top of the error
        raise TypeError("a DarkAI hook returned an awaitable: async hooks need AsyncDarkAI")


def _timeout_error(
    exchange: Exchange, when: str, exc: BaseException, secrets: tuple[str, ...]
) -> APITimeoutError:
    what = timeout_message(when, exchange.total if exchange.expired() else None)
    return wrap_error(APITimeoutError, what, exc, secrets)


class SyncResponse:
    """A response whose body is read as it arrives.

    The body is read from the socket in large blocks and de-chunked and decoded
    here (see _http1), every read under the exchange's deadline. The connection
    goes back to the pool only when its body ended cleanly with nothing after it.

    A response not from a connection of ours (a caller's session, a mocked
    adapter) is framed and decoded by urllib3; each read is still armed with
    the exchange's deadline when urllib3 shows the connection's socket.
    """

    def __init__(
        self,
        response: requests.Response,
        exchange: Exchange,
        secrets: tuple[str, ...],
        release: Callable[[], None] | None = None,
    ) -> None:
        self._response = response
        self._exchange = exchange
        self._secrets = secrets
        self._release = release  # gives back the transport's connection slot
        self.status_code = response.status_code
        self.headers: Mapping[str, str] = Headers(response.headers.items())
        wire = exchange.response
        self._own_framing = wire is not None and wire.fp is not None
        if wire is not None and wire.fp is not None:
            self._framing = body_framing(chunked=wire.chunked, length=wire.length)
            self._read = self._reader(wire)
        else:  # urllib3 frames and decodes: its body ends where read1() returns b""
            self._framing = CloseDelimitedBody()
            self._read = self._raw_reader()
        inflater = inflater_for(self.headers.get("content-encoding")) if wire is not None else None
        self._inflater = inflater
        self._clean = False
        self._chunks = self._read_body()

    def _reader(self, wire: HookedResponse) -> Callable[[], bytes]:
        read1 = wire.fp.read1  # each call: what is buffered, else one socket read
        return lambda: read1(_READ_SIZE)

    def _raw_reader(self) -> Callable[[], bytes]:
        raw = self._response.raw
        # urllib3's response shows the connection it reads (public since urllib3 2).
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if not isinstance(sock, socket.socket):
            return lambda: raw.read1(_READ_SIZE, decode_content=True)
        arm = self._exchange.arm

        def read() -> bytes:
            arm(sock)
            data: bytes = raw.read1(_READ_SIZE, decode_content=True)
            return data

        return read

    def iter_bytes(self) -> Generator[bytes, None, None]:
        """Yield the body's bytes as they arrive; a broken body raises a DarkAIError."""
        return self._chunks

    def drain(self) -> int:
        """Read what is left of the body if it ends promptly, so the connection is reused.

        Returns the number of bytes read; a body that does not end within
        ``DRAIN_WAIT`` seconds or ``DRAIN_LIMIT`` bytes is left for close().
        """
        if self._own_framing and isinstance(self._framing, CloseDelimitedBody):
            return 0  # it ends only when the server closes: nothing to pool
        self._exchange.shorten(DRAIN_WAIT)
        size = 0
        try:
            for data in self._chunks:
                size += len(data)
                if size > DRAIN_LIMIT:
                    break
        except DarkAIError:
            return size  # close() then closes the connection instead of pooling it
        return size

    def _read_body(self) -> Generator[bytes, None, None]:
        framing, inflater, read = self._framing, self._inflater, self._read
        try:
            while not framing.done:
                data = read()
                if not data:
                    framing.end()
                    break
                data = framing.feed(data)
                if data:
                    if inflater is None:
                        yield data
                    else:
                        yield from inflater.feed(data)
                if framing.error is not None:
                    raise framing.error  # after the body bytes that came before it
            if inflater is not None:
                inflater.end()
        except _TIMEOUTS as exc:
            raise _timeout_error(self._exchange, "mid-reply", exc, self._secrets)
        except (MalformedBody, urllib3.exceptions.DecodeError) as exc:
            raise wrap_error(ProtocolError, "malformed HTTP body", exc, self._secrets)
        except (TruncatedBody, *_BROKEN) as exc:
            raise wrap_error(
                IncompleteStreamError, "connection broken mid-reply", exc, self._secrets
            )
        self._clean = not framing.leftover

    def read_error_body(self) -> bytes:
        """Read at most ``MAX_ERROR_BODY`` bytes of an error answer, secrets masked.

        A server or proxy may echo the request's credentials in its error page.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            for data in self._chunks:
                chunks.append(data)
                size += len(data)
                if size >= MAX_ERROR_BODY:
                    break
        except DarkAIError:
            # The status already says what went wrong; a body cut short adds nothing to lose.
            chunks.append(b"\n[error body unreadable]")
        return scrub_bytes(b"".join(chunks)[:MAX_ERROR_BODY], self._secrets)

    def close(self) -> None:
        """Give the connection back: to the pool if the body ended cleanly, else close it."""
        self._chunks.close()
        wire = self._exchange.response
        if self._clean:
            if wire is not None:
                wire.close()  # marks the body read; the socket stays with the connection
            self._response.raw.release_conn()
        self._response.close()
        release, self._release = self._release, None
        if release is not None:
            release()


class SyncTransport:
    """Sends requests over one requests session (connections are pooled).

    Its own session is made lazily, with hooked adapters, and at most
    ``max_connections`` requests (so connections) at once: more wait for a
    free one, up to their total timeout. A caller's ``session`` is used as it
    is (its adapters, proxies, TLS settings) and never closed here.
    """

    def __init__(
        self,
        *,
        proxy: str | None,
        verify: bool,
        secrets: tuple[str, ...],
        max_connections: int,
        session: requests.Session | None = None,
    ) -> None:
        if session is not None and not isinstance(session, requests.Session):
            raise TypeError(f"session must be a requests.Session, got {type(session).__name__}")
        self._own = session is None
        self._proxies = {"http": proxy, "https": proxy} if proxy else None
        self._verify = verify
        self._secrets = secrets
        self._limit = max_connections
        self._slots = threading.BoundedSemaphore(max_connections) if self._own else None
        self._session = session
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._env: dict[str, tuple[dict[str, str] | None, bool | str]] = {}

    def _get_session(self) -> requests.Session:
        if not self._own:
            assert self._session is not None  # given at construction
            return self._session
        if self._pid != os.getpid():
            self._forget_parents_pool()
        with self._lock:
            return self._make_session()

    def _forget_parents_pool(self) -> None:
        # A forked child shares its parent's pooled sockets: a request on one would
        # mix both processes' replies. Close them here (only this process's copies)
        # and start afresh; the parent may have held the lock at the fork.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self._limit)  # the parent's requests are not ours
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def _make_session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            # The environment is read once per origin in _settings_for, not per request.
            session.trust_env = False
            session.verify = self._verify
            # Only what SyncResponse decodes itself.
            session.headers["Accept-Encoding"] = "gzip, deflate"
            for prefix in ("http://", "https://"):
                session.mount(prefix, HookedAdapter(pool_maxsize=self._limit))
            self._session = session
        return self._session

    def _settings_for(self, url: str) -> tuple[dict[str, str] | None, bool | str]:
        """The proxies and TLS verification for ``url``: explicit, else from the environment."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._env.get(origin)
        if found is None:
            proxies = self._proxies
            if proxies is None:
                proxies = requests.utils.get_environ_proxies(url) or None
                for value in (proxies or {}).values():
                    self._secrets = merge_secrets(self._secrets, secrets_of(value, {}))
            verify: bool | str = self._verify
            if verify is True:  # as requests does with trust_env
                verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                )
            found = (proxies, verify)
            self._env[origin] = found
        return found

    def _take_slot(self, exchange: Exchange) -> Callable[[], None] | None:
        """Wait for one of the ``max_connections`` slots (up to the total timeout)."""
        slots = self._slots
        if slots is None:
            return None
        wait = None if exchange.deadline is None else max(0.0, exchange.deadline - time.monotonic())
        if not slots.acquire(timeout=wait):
            total = exchange.total
            raise APITimeoutError(
                timeout_message(f"waiting for one of {self._limit} connections", total)
            )
        return slots.release

    def send(self, request: Request) -> SyncResponse:
        """POST ``request`` and return once the status and headers are in."""
        session = self._get_session()
        timeout = request.timeout
        read = timeout.effective(timeout.read)
        exchange = Exchange(read=read, total=timeout.total)
        proxies: dict[str, str] | None = None
        verify: bool | str | None = None  # a caller's session: its own settings apply
        if self._own:
            proxies, verify = self._settings_for(request.url)
        release = self._take_slot(exchange)
        token = CURRENT.set(exchange)
        sent = False
        try:
            response = session.post(
                request.url,
                data=request.body,
                headers=dict(request.headers),
                proxies=proxies,
                verify=verify,
                timeout=(timeout.effective(timeout.connect), read),
                allow_redirects=False,
                stream=True,
            )
            sent = True
        except _TIMEOUTS as exc:
            raise _timeout_error(exchange, "before the reply began", exc, self._secrets)
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
            ValueError,
        ) as exc:
            raise wrap_error(APIConnectionError, "could not connect", exc, self._secrets)
        finally:
            CURRENT.reset(token)
            if not sent and release is not None:
                release()
        return SyncResponse(response, exchange, self._secrets, release)

    def close(self) -> None:
        """Close the session and its pooled connections (never a caller's session)."""
        if self._own and self._session is not None:
            self._session.close()
            self._session = None
