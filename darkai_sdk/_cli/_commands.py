"""The commands: stream one reply, list the models, serve the built-in server."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._exceptions import DarkAIError
from .._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS, resolve_model
from .._prompt import Messages
from .._redact import redact_url
from ._args import LOCAL_DELAY
from ._console import Console, one_line
from ._exit import ERROR, INTERRUPTED, OK, UsageError, exit_code
from ._render import Renderer, Summary

if TYPE_CHECKING:
    from .._sync._client import DarkAI

__all__ = [
    "checked_text",
    "configured_client",
    "local_server",
    "open_client",
    "read_prompt",
    "report_error",
    "run_ask",
    "run_models",
    "run_serve",
    "stream_reply",
    "system_messages",
]


class _Client(Protocol):
    @property
    def base_url(self) -> str: ...


ClientT = TypeVar("ClientT", bound=_Client)

_UNDECODED = re.compile(r"[\ud800-\udfff]")
_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy")


def system_messages(args: argparse.Namespace) -> list[dict[str, str]]:
    """The messages every conversation starts with: the ``--system`` one, if given."""
    if not args.system:
        return []
    return [{"role": "system", "content": checked_text("the --system text", args.system)}]


def checked_text(what: str, text: str) -> str:
    """Return ``text``, or raise UsageError if it holds bytes that were not UTF-8.

    Python turns such a byte in an argument into a lone surrogate (U+DC80-U+DCFF),
    which cannot be sent: name the byte rather than fail later on the JSON body.
    """
    found = _UNDECODED.search(text)
    if found is None:
        return text
    code = ord(found.group())
    what_is_it = f"the byte 0x{code - 0xDC00:02X}" if code >= 0xDC80 else f"U+{code:04X}"
    raise UsageError(
        f"{what} is not valid UTF-8: it holds {what_is_it} at character {found.start()} "
        "(is the terminal's or the shell's encoding UTF-8?)"
    )


def read_prompt(args: argparse.Namespace, console: Console) -> str:
    """The prompt: the arguments joined, or stdin for ``-`` or no arguments with stdin piped."""
    words: list[str] = args.prompt
    stdin = console.stdin
    if words == ["-"] or (not words and stdin is not None and not console.stdin_is_terminal):
        if stdin is None:
            raise UsageError("no stdin to read the prompt from")
        # One trailing newline is how `echo` ends a line, not part of the prompt.
        text = stdin.read().removesuffix("\n").removesuffix("\r")
    elif not words:
        raise UsageError(
            "no prompt: give it as arguments or on stdin, or run `darkai chat` (see --help)"
        )
    else:
        text = " ".join(words)
    if not text.strip():
        raise UsageError("the prompt is empty")
    return checked_text("the prompt", text)


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """Run the built-in server in a thread for the duration; yield its URL."""
    from ..testing import DarkAIServer, Reply

    # An environment proxy must not carry requests meant for 127.0.0.1.
    if any(os.environ.get(name) for name in _PROXY_VARIABLES):
        for name in ("no_proxy", "NO_PROXY"):
            hosts = [host for host in os.environ.get(name, "").split(",") if host.strip()]
            os.environ[name] = ",".join([*hosts, "127.0.0.1"])
    with DarkAIServer(reply=Reply(delay=LOCAL_DELAY)) as server:
        yield server.url


@contextlib.contextmanager
def open_client(args: argparse.Namespace, console: Console) -> Iterator[DarkAI]:
    """A client configured by the options (against the built-in server with ``--local``)."""
    with contextlib.ExitStack() as stack:
        base_url: str | None = args.base_url
        if args.local:
            base_url = stack.enter_context(local_server())
        from .._sync._client import DarkAI

        client = stack.enter_context(configured_client(DarkAI, args, base_url, console))
        yield client


def configured_client(
    make: Callable[..., ClientT],
    args: argparse.Namespace,
    base_url: str | None,
    console: Console,
    **more: Any,
) -> ClientT:
    """``make(base_url, ...)`` with the options and ``more``; a bad --base-url is a usage error."""
    try:
        client = make(
            base_url,
            proxy=args.proxy,
            timeout=args.timeout,
            max_retries=args.max_retries,
            on_mismatch="raise" if args.strict else "warn",
            **more,
        )
    except (TypeError, ValueError) as exc:  # a bad --base-url or --proxy
        raise UsageError(str(exc)) from None
    if console.debug:
        proxy = f" via proxy {redact_url(args.proxy)}" if args.proxy else ""
        console.note(f"darkai: debug: endpoint {redact_url(client.base_url)}{proxy}")
    return client


def stream_reply(
    client: DarkAI,
    messages: Messages,
    model: str | None,
    console: Console,
    renderer: Renderer,
) -> str:
    """Stream one reply through ``renderer`` and return its text; errors propagate."""
    started = time.monotonic()
    try:
        stream = client.stream(messages, model)
    except DarkAIError:
        raise
    except (TypeError, ValueError) as exc:  # an empty prompt, say
        raise UsageError(str(exc)) from None
    renderer.begin()
    console.start_spinner()
    try:
        with stream:
            for chunk in stream:
                console.stop_spinner()
                renderer.text(chunk)
    finally:
        console.stop_spinner()
        renderer.metrics = stream.metrics
    text, final = stream.text, stream.final_message
    renderer.done(
        Summary(
            model=stream.model,
            characters=len(text),
            seconds=time.monotonic() - started,
            final_message_matches=None if final is None else final == text,
        )
    )
    return text


def report_error(console: Console, renderer: Renderer | None, exc: BaseException) -> int:
    """Report ``exc`` as one line on stderr (and an ``error`` object with --json); return its code.

    The text already streamed stays where it is; its line is ended first.
    """
    message = one_line(str(exc)) or type(exc).__name__
    if renderer is not None:
        renderer.failed(type(exc).__name__, message)
    console.error(message)
    if console.debug:
        console.traceback(exc)
    return exit_code(exc)


def run_ask(args: argparse.Namespace, console: Console, renderer: Renderer) -> int:
    """``darkai PROMPT``: stream one reply to stdout."""
    prompt = read_prompt(args, console)
    resolve_model(args.model)  # an unknown model fails before any server starts
    messages: Messages = prompt
    if args.system:
        messages = [*system_messages(args), {"role": "user", "content": prompt}]
    with open_client(args, console) as client:
        stream_reply(client, messages, args.model, console, renderer)
    return OK


def run_models(args: argparse.Namespace, console: Console) -> int:
    """``darkai models``: the models and aliases, marking the default."""
    out = console.stdout
    if args.json:
        catalog = {"default": DEFAULT_MODEL, "models": list(MODELS), "aliases": dict(MODEL_ALIASES)}
        out.write(json.dumps(catalog) + "\n")
        return OK
    width = max(map(len, [*MODELS, *MODEL_ALIASES]))
    rows = [(model, "(default)" if model == DEFAULT_MODEL else "") for model in MODELS]
    rows += [(alias, f"-> {target}") for alias, target in MODEL_ALIASES.items()]
    for name, note in rows:
        out.write(f"{name:<{width}}  {note}".rstrip() + "\n")
    return OK


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """``darkai serve``: run the built-in server in the foreground until Ctrl-C."""
    from ..testing import DarkAIServer, Reply

    server = DarkAIServer(host=args.host, port=args.port, reply=Reply(delay=args.delay))

    def ready(server: DarkAIServer) -> None:
        console.stdout.write(server.url + "\n")
        console.stdout.flush()
        console.note(
            f"darkai: serving the built-in DarkAI server; try: darkai --base-url {server.url} "
            "'hello'  (Ctrl-C stops)"
        )

    try:
        server.serve_forever(on_ready=ready)
    except OSError as exc:
        console.error(f"cannot serve on {args.host}:{args.port}: {exc}")
        return ERROR
    # serve_forever returns only once Ctrl-C has stopped it.
    console.stderr.write("\n")
    return INTERRUPTED
