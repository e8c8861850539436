"""The aiohttp application: routes, the API key, errors as OpenAI JSON, one log line a request."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .. import MODEL_ALIASES, MODELS, AsyncDarkAI, DarkAIError, UnknownModelError, resolve_model
from ._chunks import Completion
from ._errors import GatewayError, printable, upstream_error
from ._params import ChatRequest, parse_chat_request, parse_json
from ._relay import CallerGone, Relay, send_stream, send_whole

__all__ = ["IGNORED_PARAMS_HEADER", "MAX_BODY_BYTES", "create_app", "logger"]

#: The largest request body accepted; a larger one is a 413.
MAX_BODY_BYTES = 1024 * 1024
#: The response header naming the request fields that were accepted and ignored.
IGNORED_PARAMS_HEADER = "x-darkai-ignored-params"
#: Who owns the models, in ``/v1/models``.
OWNER = "darkai"

logger = logging.getLogger("darkai_sdk.gateway")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _model_object(name: str) -> dict[str, Any]:
    target = resolve_model(name)
    return {"id": name, "object": "model", "created": 0, "owned_by": OWNER, "root": target}


def _check_key(api_key: str | None) -> bytes | None:
    if api_key is None:
        return None
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a string or None, got {type(api_key).__name__}")
    if not api_key or not api_key.isascii() or not api_key.isprintable() or " " in api_key:
        raise ValueError("api_key must be non-empty printable ASCII without spaces")
    return api_key.encode("ascii")


class _Gateway:
    """The state behind one application: the client, the key, the replies in flight."""

    def __init__(self, client: AsyncDarkAI, api_key: str | None) -> None:
        self.client = client
        self._key = _check_key(api_key)
        self.upstream_host = urlsplit(client.base_url).hostname or ""
        self.relays: set[Relay] = set()
        self.closing = False
        # What became of each request in flight (by id), for its log line.
        self._outcomes: dict[int, str] = {}

    # -- every request ----------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Check the key, turn every failure into OpenAI error JSON, log one line."""
        started = time.monotonic()
        status = 500
        outcomes = self._outcomes
        key = id(request)
        try:
            self._authorize(request)
            response = await handler(request)
            status = response.status
            return response
        except GatewayError as exc:
            status = exc.status
            outcomes.setdefault(key, exc.message)
            return _error_response(exc)
        except web.HTTPException as exc:  # the router's 404 and 405, among others
            if exc.status < 400:
                raise
            status = exc.status
            error = _http_error(request, exc)
            outcomes[key] = error.message
            return _error_response(error)
        except CallerGone:
            status = 499  # nginx's "client closed request", in the log only
            return web.Response(status=499)
        except asyncio.CancelledError:  # the server cancels handlers of callers that left
            status = 499
            raise
        except Exception as exc:
            where = printable(request.path, 200)
            logger.exception("the gateway failed on %s %s: %r", request.method, where, exc)
            error = upstream_error(exc, 0, self.upstream_host)
            status = error.status
            return _error_response(error)
        finally:
            outcome = outcomes.pop(key, "")
            if status == 499:
                outcome += " (the caller disconnected)"
            logger.info(
                '%s "%s %s" %d %.3f s%s',
                request.remote or "-",
                request.method,
                printable(request.path, 200),
                status,
                time.monotonic() - started,
                f" {outcome.strip()}" if outcome.strip() else "",
            )

    def _authorize(self, request: web.Request) -> None:
        if self._key is None:
            return
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise GatewayError(
                401,
                "no API key: send it as 'Authorization: Bearer KEY'",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Constant time: how long the comparison takes tells nothing about the key.
        if not hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), self._key):
            raise GatewayError(
                401,
                "incorrect API key",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )

    async def on_shutdown(self, app: web.Application) -> None:
        """End every reply in flight with an error event; refuse new ones."""
        self.closing = True
        for relay in list(self.relays):
            relay.stop("shutdown")

    # -- routes -----------------------------------------------------------------

    async def list_models(self, request: web.Request) -> web.Response:
        """``GET /v1/models``: the models and aliases."""
        data = [_model_object(name) for name in (*MODELS, *MODEL_ALIASES)]
        return web.json_response({"object": "list", "data": data})

    async def get_model(self, request: web.Request) -> web.Response:
        """``GET /v1/models/{id}``: one model or alias, or a 404."""
        try:
            return web.json_response(_model_object(request.match_info["model"]))
        except UnknownModelError as exc:
            raise GatewayError(404, exc.message, code="model_not_found", param="model") from None

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/chat/completions``: stream or return one reply."""
        if self.closing:
            raise GatewayError(
                503, "the gateway is shutting down", kind="server_error", code="shutting_down"
            )
        chat = parse_chat_request(parse_json(await _read_body(request)))
        headers = {IGNORED_PARAMS_HEADER: ", ".join(chat.ignored)} if chat.ignored else {}
        try:
            # The relay counts what it hands over: the SDK need keep no copy of the text.
            stream = self.client.stream(chat.messages, chat.model, keep_text=False)
        except (TypeError, ValueError) as exc:  # an empty prompt, a lone surrogate
            raise GatewayError(400, str(exc), param="messages") from None
        completion = Completion(chat.model, include_usage=chat.include_usage)
        headers["x-request-id"] = completion.id
        relay = Relay(stream, request, self.upstream_host)
        self.relays.add(relay)
        try:
            if chat.stream:
                response = await send_stream(request, relay, completion, headers)
            else:
                response = await send_whole(relay, completion, headers)
        finally:
            self.relays.discard(relay)
            await relay.close()
            self._outcomes[id(request)] = _outcome(chat, relay)
            if relay.error is not None and not isinstance(relay.error, DarkAIError):
                logger.error(
                    "the gateway failed relaying a reply: %r", relay.error, exc_info=relay.error
                )
        return response


def _outcome(chat: ChatRequest, relay: Relay) -> str:
    mode = "stream" if chat.stream else "unstreamed"
    state = "whole" if relay.complete else "NOT whole"
    why = ""
    if not relay.complete and relay.error is not None:
        why = f" ({type(relay.error).__name__}: {printable(str(relay.error), 300)})"
    elif not relay.complete and relay.stopped:
        why = f" ({relay.stopped})"
    return f"model={chat.model} {mode} {relay.relayed} chars {state}{why}"


async def _read_body(request: web.Request) -> bytes:
    """The body, at most :data:`MAX_BODY_BYTES` (a 413 beyond), whatever the app's own limit."""
    too_large = GatewayError(
        413,
        f"the request body is larger than {MAX_BODY_BYTES} bytes",
        code="request_too_large",
    )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    while chunk := await request.content.read(65536):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def _http_error(request: web.Request, exc: web.HTTPException) -> GatewayError:
    if exc.status == 404:
        message = f"no such endpoint: {request.method} {request.path}"
        return GatewayError(404, message, code="unknown_url")
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        return GatewayError(
            405,
            f"{request.method} is not allowed on {request.path}; use {allowed}",
            code="method_not_allowed",
            headers={"Allow": allowed} if allowed else {},
        )
    return GatewayError(exc.status, exc.reason)


def _error_response(error: GatewayError) -> web.Response:
    return web.Response(
        status=error.status,
        body=error.json_bytes(),
        headers={**error.headers, "Content-Type": "application/json"},
    )


def create_app(client: AsyncDarkAI, api_key: str | None = None) -> web.Application:
    """An aiohttp application serving DarkAI through the OpenAI chat API, on ``client``.

    Routes: ``POST /v1/chat/completions``, ``GET /v1/models`` and
    ``GET /v1/models/{id}``. With ``api_key``, every request must send
    ``Authorization: Bearer <api_key>`` (else a 401). The client is not closed
    by the app; close it after the app's runner is cleaned up.
    """
    if not isinstance(client, AsyncDarkAI):
        raise TypeError(f"client must be an AsyncDarkAI, got {type(client).__name__}")
    gateway = _Gateway(client, api_key)
    app = web.Application(middlewares=[gateway.middleware])
    app.router.add_post("/v1/chat/completions", gateway.chat_completions)
    app.router.add_get("/v1/models", gateway.list_models, allow_head=False)
    app.router.add_get("/v1/models/{model}", gateway.get_model, allow_head=False)
    app.on_shutdown.append(gateway.on_shutdown)
    return app
