"""The client: one pooled session, ``stream()`` for chunks, ``complete()`` for the whole reply."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .._exceptions import APIStatusError, ProtocolError
from .._info import REQUEST_ID_HEADER, Headers, RequestInfo, ResponseInfo
from .._logging import logger
from .._options import (
    ClientOptions,
    OnMismatch,
    RequestHook,
    ResponseHook,
    check_max_connections,
    check_transport_choice,
)
from .._prompt import Messages
from .._redact import hide_credentials, mask_headers, redact_url, scrub
from .._request import Request, redirect_request
from .._retry import RetryPolicy, parse_retry_after
from .._sse import DEFAULT_MAX_LINE_SIZE
from .._status import is_event_stream, status_error
from .._timeout import Timeout
from .._transports._aiohttp import HOOKS_MAY_BE_ASYNC, AsyncTransport, Session, call_hook
from .._transports._base import AsyncHTTPResponse, AsyncHTTPTransport
from ._stream import AsyncStream

__all__ = ["AsyncDarkAI"]


class _Lease:
    """Whether the connection pool a client shares with its ``with_options()`` copies is open."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


class AsyncDarkAI:
    """A DarkAI client. Reuse one for many requests; close it when done.

    ``base_url`` defaults to ``DARKAI_BASE_URL`` or the public endpoint;
    ``timeout`` is a :class:`Timeout` or total seconds; ``max_retries`` counts
    retries before any text arrives; ``headers`` override the defaults;
    ``strict_models=False`` sends unknown model names unchanged;
    ``on_mismatch="raise"`` makes a final-response that differs from the chunks
    an error instead of a warning; ``verify=False`` turns TLS checks off.
    ``max_connections`` (default 100) caps the connections open at once.
    ``session`` is your own HTTP session, used as it is and never closed;
    ``transport`` replaces the HTTP layer (e.g. ``darkai_sdk.testing.MockTransport``).
    ``on_request(RequestInfo)`` and ``on_response(ResponseInfo)`` are called
    for every request and answer, retries included, with secrets masked.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        proxy: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int = 2,
        headers: Mapping[str, str] | None = None,
        strict_models: bool = True,
        on_mismatch: OnMismatch = "warn",
        verify: bool = True,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_connections: int | None = None,
        session: Session | None = None,
        transport: AsyncHTTPTransport | None = None,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        self._options = ClientOptions.create(
            base_url,
            proxy=proxy,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            strict_models=strict_models,
            on_mismatch=on_mismatch,
            verify=verify,
            max_line_size=max_line_size,
            on_request=on_request,
            on_response=on_response,
            hooks_may_be_async=HOOKS_MAY_BE_ASYNC,
        )
        limit = check_max_connections(max_connections)
        check_transport_choice(
            session=session,
            transport=transport,
            proxy=proxy,
            verify=verify,
            max_connections=max_connections,
        )
        options = self._options
        if transport is not None:
            _check_transport(transport)
            self._transport: AsyncHTTPTransport = transport
        else:
            self._transport = AsyncTransport(
                proxy=options.proxy,
                verify=options.verify,
                secrets=options.secrets,
                max_connections=limit,
                session=session,
            )
        self._lease = _Lease()
        self._owner = True

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
    ) -> AsyncDarkAI:
        """Return a client with these settings in place of this one's, sharing its pool.

        An argument left as None keeps this client's setting; ``headers`` go on
        top of its headers. The copy uses this client's connections: closing the
        copy leaves them open, closing this client closes them, and the copy
        then raises RuntimeError when used.
        """
        self._check_pool()
        options = self._options.derive(
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            base_url=base_url,
            on_request=on_request,
            on_response=on_response,
            hooks_may_be_async=HOOKS_MAY_BE_ASYNC,
        )
        # A shallow copy shares the transport and the pool's lease; it gets its own
        # options and does not own the pool.
        clone = copy.copy(self)
        clone._options = options
        clone._owner = False
        return clone

    @property
    def base_url(self) -> str:
        """The endpoint every request is sent to."""
        return self._options.base_url

    @property
    def timeout(self) -> Timeout:
        """The timeouts in force."""
        return self._options.timeout

    @property
    def max_retries(self) -> int:
        """How many times a request is retried before any text arrives."""
        return self._options.retry.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        """What is retried and how long to wait."""
        return self._options.retry

    @property
    def on_mismatch(self) -> OnMismatch:
        """What a final-response that differs from the chunks does: warn or raise."""
        return self._options.on_mismatch

    @property
    def max_line_size(self) -> int:
        """The longest line or event accepted from the server, in characters."""
        return self._options.max_line_size

    def stream(
        self,
        messages: Messages,
        model: str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        keep_text: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncStream:
        """Stream a reply to ``messages`` (a list of role/content dicts, or a string).

        Arguments are checked now; the request is sent when iteration starts.
        ``extra_body`` is merged into the JSON body. ``keep_text=False`` keeps no
        copy of the text (flat memory for huge replies; ``text`` and errors'
        ``partial_text`` are then empty). ``timeout``, ``max_retries`` and
        ``extra_headers`` (on top of the client's headers) hold for this
        request only; None keeps the client's.
        """
        self._check_pool()
        if not isinstance(keep_text, bool):
            raise TypeError(f"keep_text must be True or False, got {type(keep_text).__name__}")
        options = self._options.derive(
            timeout=timeout, max_retries=max_retries, headers=extra_headers
        )
        request = options.build(messages, model, extra_body)
        return AsyncStream(self._open, request, options, keep_text=keep_text)

    async def complete(
        self,
        messages: Messages,
        model: str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        keep_text: bool = True,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Return the whole reply to ``messages`` as one string (the arguments as in stream()).

        The text it returns is kept, so ``keep_text=False`` raises ValueError.
        """
        if keep_text is not True:
            raise ValueError(
                "complete() returns the text, so it keeps it: keep_text=False is for stream()"
            )
        async with self.stream(
            messages,
            model,
            extra_body=extra_body,
            keep_text=keep_text,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        ) as stream:
            return await stream.until_done()

    def _check_pool(self) -> None:
        if self._lease.closed:
            raise RuntimeError(
                "this client was made by with_options() from a client that has since been "
                "closed, and with it the connections they shared; make a new copy from an "
                "open client"
            )

    async def _open(
        self, request: Request, options: ClientOptions, attempt: int
    ) -> AsyncHTTPResponse:
        """Send ``request`` and return its 2xx response; other answers raise typed errors.

        Same-origin 307/308 redirects are followed; the caller closes the response.
        ``attempt`` (0: the first try) is what the hooks are told. The stream masks
        known secrets in the errors; a redirect whose target holds one is not
        followed, so it reaches no log line.
        """
        self._check_pool()
        logger.debug("POST %s model=%s", redact_url(request.url), request.model)
        secrets = options.secrets
        on_request, on_response = options.on_request, options.on_response
        while True:
            if on_request is not None:
                await call_hook(on_request, _request_info(request, attempt, secrets))
            sent = time.monotonic()
            response = await self._transport.asend(request)
            received = response.headers
            # Secrets masked for everything shown; the redirect check needs the Location as sent.
            headers = response.headers = mask_headers(received, secrets)
            status = response.status_code
            if on_response is not None:
                info = _response_info(response, request, attempt, time.monotonic() - sent, secrets)
                try:
                    await call_hook(on_response, info)
                except BaseException:
                    await response.aclose()
                    raise
            content_type = headers.get("content-type")
            if 200 <= status < 300 and is_event_stream(content_type):
                return response
            try:
                location = Headers(received).get("location")
                try:
                    follow = redirect_request(request, status, location, secrets)
                except APIStatusError as exc:  # a redirect not followed: its answer's headers
                    exc.headers = headers
                    raise
                if follow is None:
                    body = await response.read_error_body()
                    if 200 <= status < 300:
                        raise ProtocolError(
                            "expected an event stream, got {}: {}".format(
                                content_type, body[:200].decode("utf-8", "replace")
                            )
                        )
                    raise status_error(
                        status,
                        body,
                        headers,
                        retry_after=parse_retry_after(headers),
                        url=redact_url(request.url),
                    )
            finally:
                await response.aclose()
            logger.debug("following %d redirect to %s", status, redact_url(follow.url))
            request = follow

    async def aclose(self) -> None:
        """Close pooled connections. The client can still be used afterwards.

        On a copy made by with_options() this does nothing: the connections are
        the original client's. Copies made before this call then raise RuntimeError.
        """
        if not self._owner:
            return
        self._lease.closed = True
        self._lease = _Lease()  # for copies made from now on
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncDarkAI:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return "<{} {}>".format(type(self).__name__, self._options.describe())


def _check_transport(transport: object) -> None:
    for method in ("asend", "aclose"):
        if not callable(getattr(transport, method, None)):
            raise TypeError(
                f"transport must have a callable {method}() (a transport for this "
                f"client), got {type(transport).__name__}"
            )


def _request_info(request: Request, attempt: int, secrets: tuple[str, ...]) -> RequestInfo:
    return RequestInfo(
        method="POST",
        url=scrub(redact_url(request.url), secrets),
        headers=hide_credentials(request.headers, secrets),
        model=request.model,
        attempt=attempt,
    )


def _response_info(
    response: AsyncHTTPResponse,
    request: Request,
    attempt: int,
    elapsed: float,
    secrets: tuple[str, ...],
) -> ResponseInfo:
    headers = hide_credentials(response.headers, secrets)
    return ResponseInfo(
        status_code=response.status_code,
        headers=headers,
        url=scrub(redact_url(request.url), secrets),
        request_id=headers.get(REQUEST_ID_HEADER),
        attempt=attempt,
        elapsed=elapsed,
    )
