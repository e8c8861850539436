"""A local DarkAI chat server on aiohttp.web that plays scripted replies and faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from ._replies import DEFAULT_MODELS, Reply
from ._respond import abort, plain_response, send_interim, stream_reply
from ._wire import error_body, with_echo

__all__ = ["CHAT_PATH", "DarkAIServer", "RecordedRequest", "parse_json"]

#: The only path the server answers; anything else is a 404.
CHAT_PATH = "/chat"

# Prompts can be long; aiohttp's 1 MiB default would turn a big one into a 413.
_MAX_REQUEST_BYTES = 64 * 1024 * 1024
# How long aiohttp may wait for handlers at shutdown; ours end at once when told.
_SHUTDOWN_GRACE = 0.5
# Bound on waiting for a start or stop in the background thread.
_THREAD_TIMEOUT = 10.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query_string: str
    headers: CIMultiDictProxy[str]
    body: bytes
    #: The body parsed as JSON, or None when it is not JSON.
    json: Any
    #: The client's (host, port): requests on one reused connection share it.
    peer: tuple[str, int] | None = None

    @property
    def prompt(self) -> str | None:
        """The ``query`` field of a JSON object body, if it is a string."""
        return self._field("query")

    @property
    def model(self) -> str | None:
        """The ``model`` field of a JSON object body, if it is a string."""
        return self._field("model")

    def _field(self, name: str) -> str | None:
        value = self.json.get(name) if isinstance(self.json, dict) else None
        return value if isinstance(value, str) else None


def parse_json(body: bytes) -> Any:
    """``body`` parsed as JSON, or None when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _json_error(
    status: int, message: str, error_type: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    all_headers = CIMultiDict({"Content-Type": "application/json"})
    all_headers.update(headers or {})
    return web.Response(
        status=status, body=error_body(message, error_type, **extra), headers=all_headers
    )


class DarkAIServer:
    """A local DarkAI chat server that speaks the real wire protocol, with scriptable faults.

    ``with DarkAIServer() as server:`` runs it in a background thread (fine from
    sync code and from inside a running event loop); ``async with`` runs it on
    the current loop. ``server.url`` is the full URL of the chat endpoint.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        models: Iterable[str] | None = DEFAULT_MODELS,
        reply: Reply | str | None = None,
    ) -> None:
        """Bind to ``host:port`` when started (port 0: a free port).

        ``models``: the model ids accepted (None: any); ``reply``: the default
        reply (None: the echo reply).
        """
        self._host = host
        self._requested_port = port
        self._port: int | None = port or None
        self._models = None if models is None else tuple(models)
        self._initial_reply = _as_reply(reply)
        self._lock = threading.Lock()
        self._default = self._initial_reply
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._active_streams = 0
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread_stop: asyncio.Event | None = None

    def __repr__(self) -> str:
        where = self.url if self._port is not None else f"{self._host}:<free port>"
        running = "running" if self._runner is not None else "stopped"
        return f"<DarkAIServer {where} {running}>"

    # -- addresses -------------------------------------------------------------

    @property
    def host(self) -> str:
        """The host the server binds to."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port (known before start only when a fixed port was given)."""
        if self._port is None:
            raise RuntimeError("the server is not started, so its port is not chosen yet")
        return self._port

    @property
    def url(self) -> str:
        """The full URL of the chat endpoint, e.g. ``http://127.0.0.1:41234/chat``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}{CHAT_PATH}"

    # -- scripting -------------------------------------------------------------

    def reply(self, reply: Reply | str) -> None:
        """Answer every following request with ``reply`` (after any queued ones)."""
        with self._lock:
            self._default = _as_reply(reply)

    def enqueue(self, *replies: Reply | str) -> None:
        """Answer the next requests with these replies, one each, before the default."""
        converted = [_as_reply(reply) for reply in replies]
        with self._lock:
            self._queue.extend(converted)

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        body: str | bytes | None = None,
        retry_after: str | int | float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``n`` valid requests with ``status``, ahead of anything queued."""
        failure = Reply(status=status, body=body, retry_after=retry_after, headers=headers or {})
        with self._lock:
            self._queue.extendleft([failure] * n)

    def reset(self) -> None:
        """Forget recorded requests and queued replies; restore the initial default reply."""
        with self._lock:
            self._default = self._initial_reply
            self._queue.clear()
            self._requests.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first (invalid ones too)."""
        with self._lock:
            return list(self._requests)

    @property
    def active_streams(self) -> int:
        """How many event-stream responses are being sent right now."""
        with self._lock:
            return self._active_streams

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self._default

    # -- request handling ------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        parsed = parse_json(body)
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=body,
            json=parsed,
            peer=_peer(request),
        )
        with self._lock:
            self._requests.append(recorded)

        if request.path != CHAT_PATH:
            message = f"no route for {request.path!r}; the chat endpoint is {CHAT_PATH}"
            return _json_error(404, message, "not_found_error")
        if request.method != "POST":
            message = f"method {request.method} not allowed; use POST"
            return _json_error(405, message, "invalid_request_error", {"Allow": "POST"})
        invalid = self._validate(parsed)
        if invalid is not None:
            return invalid
        query, model = recorded.prompt or "", recorded.model or ""

        reply = self._next_reply()
        if reply.echo_header is not None:
            reply = with_echo(reply, request.headers.get(reply.echo_header, ""))
        await send_interim(request, reply)
        if reply.headers_delay and await self._closing_within(reply.headers_delay):
            abort(request)
            return web.Response()  # aiohttp fails to send it and moves on
        if not reply.is_stream:
            return plain_response(reply)
        with self._lock:
            self._active_streams += 1
        try:
            return await stream_reply(
                request, reply, reply.chunks(query, model), self._closing_within
            )
        finally:
            with self._lock:
                self._active_streams -= 1

    def _validate(self, parsed: Any) -> web.Response | None:
        if not isinstance(parsed, dict):
            message = "the request body must be a JSON object"
            return _json_error(400, message, "invalid_request_error")
        query = parsed.get("query")
        if not isinstance(query, str) or not query:
            return _json_error(
                400, "'query' must be a non-empty string", "invalid_request_error", param="query"
            )
        model = parsed.get("model")
        if not isinstance(model, str):
            return _json_error(
                400, "'model' must be a string", "invalid_request_error", param="model"
            )
        if self._models is not None and model not in self._models:
            supported = ", ".join(self._models)
            return _json_error(
                400,
                f"unknown model {model!r}; supported models: {supported}",
                "invalid_request_error",
                param="model",
                supported_models=list(self._models),
            )
        return None

    async def _closing_within(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: for ever); True when the server is stopping."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # -- lifecycle -------------------------------------------------------------

    async def astart(self) -> Self:
        """Start serving on the running event loop; return the server."""
        self._check_stopped()
        await self._open()
        return self

    async def astop(self) -> None:
        """Stop serving, closing open streams (stalled ones too) at once."""
        if self._thread is not None:
            await asyncio.to_thread(self.stop)
            return
        await self._close()

    def start(self) -> Self:
        """Start serving in a background thread with its own event loop; return the server."""
        self._check_stopped()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._run_in_thread(ready))
            except BaseException as exc:  # handed to start(), which re-raises it
                failure.append(exc)
            finally:
                ready.set()

        thread = threading.Thread(target=run, name="darkai-test-server", daemon=True)
        self._thread = thread
        thread.start()
        if not ready.wait(_THREAD_TIMEOUT):
            raise RuntimeError("the DarkAI test server did not start in time")
        if failure:
            thread.join(_THREAD_TIMEOUT)
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop a server started with :meth:`start`, closing open streams at once."""
        thread = self._thread
        if thread is None:
            if self._runner is not None:
                raise RuntimeError("this server runs on an event loop; stop it with astop()")
            return
        loop, stop = self._thread_loop, self._thread_stop
        if loop is not None and stop is not None:
            # RuntimeError: the loop already closed, so the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(_THREAD_TIMEOUT)
        self._thread = None

    def serve_forever(self, on_ready: Callable[[DarkAIServer], object] | None = None) -> None:
        """Serve in this thread until KeyboardInterrupt; call ``on_ready(server)`` once bound."""

        async def main() -> None:
            await self.astart()
            try:
                if on_ready is not None:
                    on_ready(self)
                await asyncio.Event().wait()
            finally:
                await self.astop()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    def _check_stopped(self) -> None:
        if self._runner is not None or self._thread is not None:
            raise RuntimeError("the DarkAI test server is already running")

    async def _open(self) -> None:
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            # Cancel a handler when its client disconnects, so stalls end with it.
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_GRACE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def _close(self) -> None:
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        self._closing.set()  # wakes stalled and pacing handlers, which abort
        await runner.cleanup()
        if not self._requested_port:
            self._port = None

    async def _run_in_thread(self, ready: threading.Event) -> None:
        await self._open()
        self._thread_stop = asyncio.Event()
        self._thread_loop = asyncio.get_running_loop()
        ready.set()
        try:
            await self._thread_stop.wait()
        finally:
            await self._close()
            self._thread_loop = self._thread_stop = None


def _as_reply(reply: Reply | str | None) -> Reply:
    if reply is None or isinstance(reply, str):
        return Reply(text=reply)
    if not isinstance(reply, Reply):
        raise TypeError(f"expected a Reply or a str, got {type(reply).__name__}")
    return reply


def _peer(request: web.BaseRequest) -> tuple[str, int] | None:
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return (str(peer[0]), int(peer[1])) if peer else None
