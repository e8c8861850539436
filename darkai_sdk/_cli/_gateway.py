"""``darkai gateway``: DarkAI behind an OpenAI-compatible HTTP API, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
from collections.abc import Iterator

from .._exceptions import DarkAIError
from .._redact import redact_url
from .._timeout import DEFAULT_TIMEOUT, Timeout
from ._args import GATEWAY_KEY_VARIABLE
from ._commands import local_server
from ._console import Console
from ._exit import ERROR, INTERRUPTED, OK, UsageError

__all__ = ["run_gateway"]

# Seconds in-flight replies get to end (with an error event) once Ctrl-C is pressed.
_SHUTDOWN_GRACE = 2.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timeout(seconds: float | None) -> Timeout:
    if seconds is None:
        return DEFAULT_TIMEOUT
    # The total must not cut short what the read timeout allows.
    total = max(seconds, DEFAULT_TIMEOUT.total or seconds)
    return Timeout(
        connect=min(seconds, DEFAULT_TIMEOUT.connect or seconds), read=seconds, total=total
    )


@contextlib.contextmanager
def _request_log(console: Console) -> Iterator[None]:
    """Show the gateway's INFO lines (one per request) on stderr; nothing else changes."""
    from .._gateway._app import logger

    handler = console.log_handler()
    handler.setLevel(min(handler.level, logging.INFO))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if console.debug else logging.INFO)
    logger.propagate = False  # else the SDK's handler prints the warnings a second time
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


async def _serve(args: argparse.Namespace, console: Console, base_url: str | None) -> None:
    from aiohttp import web

    from .._async._client import AsyncDarkAI
    from ..gateway import create_app

    api_key: str | None = args.api_key or os.environ.get(GATEWAY_KEY_VARIABLE) or None
    try:
        client = AsyncDarkAI(
            base_url,
            proxy=args.proxy,
            timeout=_timeout(args.timeout),
            max_retries=args.max_retries,
            on_mismatch="raise" if args.strict else "warn",
        )
        app = create_app(client, api_key=api_key)
    except DarkAIError:
        raise
    except (TypeError, ValueError) as exc:  # a bad --base-url, --proxy or --api-key
        raise UsageError(str(exc)) from None
    runner = web.AppRunner(
        app, access_log=None, handler_cancellation=True, shutdown_timeout=_SHUTDOWN_GRACE
    )
    try:
        await runner.setup()
        await web.TCPSite(runner, args.host, args.port).start()
        port = runner.addresses[0][1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host}:{port}/v1"
        console.stdout.write(url + "\n")
        console.stdout.flush()
        console.note(
            f"darkai: OpenAI-compatible gateway to {redact_url(client.base_url)}; try: "
            f"OPENAI_BASE_URL={url} OPENAI_API_KEY={'<your key>' if api_key else 'any'} "
            "your-openai-program  (Ctrl-C stops)"
        )
        if api_key is None and not _is_loopback(args.host):
            console.warning(f"no API key: anyone who can reach {args.host} can use the gateway")
        await _terminated()
    finally:
        await runner.cleanup()  # ends the replies in flight with an error event
        await client.aclose()


async def _terminated() -> None:
    """Wait for SIGTERM (a service manager's stop), for ever where there is none."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Not on Windows, nor outside the main thread: there, only Ctrl-C stops it.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)


def run_gateway(args: argparse.Namespace, console: Console) -> int:
    """``darkai gateway``: serve until Ctrl-C (exit 130) or SIGTERM (exit 0).

    Either way the replies in flight end with an error event; 1 if it cannot listen.
    """
    with contextlib.ExitStack() as stack:
        base_url: str | None = args.base_url
        if args.local:
            base_url = stack.enter_context(local_server())
        try:
            with _request_log(console):
                asyncio.run(_serve(args, console, base_url))
        except OSError as exc:
            console.error(f"cannot serve on {args.host}:{args.port}: {exc}")
            return ERROR
        except KeyboardInterrupt:
            console.stderr.write("\n")
            return INTERRUPTED
    return OK
