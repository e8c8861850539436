"""The client: one pooled session, ``stream()`` for chunks, ``complete()`` for the whole reply."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .._exceptions import ProtocolError
from .._logging import logger
from .._options import ClientOptions, OnMismatch
from .._prompt import Messages
from .._redact import redact_url
from .._request import Request, redirect_request
from .._retry import RetryPolicy, parse_retry_after
from .._sse import DEFAULT_MAX_LINE_SIZE
from .._status import is_event_stream, status_error
from .._timeout import Timeout
from .._transports._aiohttp import AsyncTransport
from .._transports._base import AsyncHTTPResponse, AsyncHTTPTransport
from ._stream import AsyncStream

__all__ = ["AsyncDarkAI"]


class AsyncDarkAI:
    """A DarkAI client. Reuse one for many requests; close it when done.

    ``base_url`` defaults to ``DARKAI_BASE_URL`` or the public endpoint;
    ``timeout`` is a :class:`Timeout` or total seconds; ``max_retries`` counts
    retries before any text arrives; ``headers`` override the defaults;
    ``strict_models=False`` sends unknown model names unchanged;
    ``on_mismatch="raise"`` makes a final-response that differs from the chunks
    an error instead of a warning; ``verify=False`` turns TLS checks off.
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
        )
        options = self._options
        self._transport: AsyncHTTPTransport = AsyncTransport(
            timeout=options.timeout,
            proxy=options.proxy,
            verify=options.verify,
            secrets=options.secrets,
        )

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
    ) -> AsyncStream:
        """Stream a reply to ``messages`` (a list of role/content dicts, or a string).

        Arguments are checked now; the request is sent when iteration starts.
        ``extra_body`` is merged into the JSON body. ``keep_text=False`` keeps no
        copy of the text (flat memory for huge replies; ``text`` and errors'
        ``partial_text`` are then empty).
        """
        request = self._options.build(messages, model, extra_body)
        return AsyncStream(self._open, request, self._options, keep_text=keep_text)

    async def complete(
        self,
        messages: Messages,
        model: str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
    ) -> str:
        """Return the whole reply to ``messages`` as one string."""
        async with self.stream(messages, model, extra_body=extra_body) as stream:
            return await stream.until_done()

    async def _open(self, request: Request) -> AsyncHTTPResponse:
        """Send ``request`` and return its 2xx response; other answers raise typed errors.

        Same-origin 307/308 redirects are followed; the caller closes the response.
        The stream masks known secrets in the errors; a redirect whose target holds
        one is not followed, so it reaches no log line.
        """
        logger.debug("POST %s model=%s", redact_url(request.url), request.model)
        while True:
            response = await self._transport.send(request)
            status = response.status_code
            content_type = response.headers.get("content-type")
            if 200 <= status < 300 and is_event_stream(content_type):
                return response
            try:
                location = response.headers.get("location")
                follow = redirect_request(request, status, location, self._options.secrets)
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
                        response.headers,
                        retry_after=parse_retry_after(response.headers),
                        url=redact_url(request.url),
                    )
            finally:
                await response.aclose()
            logger.debug("following %d redirect to %s", status, redact_url(follow.url))
            request = follow

    async def aclose(self) -> None:
        """Close pooled connections. The client can still be used afterwards."""
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
