"""The ``darkai`` command: stream a DarkAI reply, chat, list the models, serve.

Usage (the command, if any, comes first)::

    darkai [options] PROMPT ...       stream the reply to stdout as it arrives
    darkai [options] -                read the prompt from stdin (so does a pipe with no PROMPT)
    darkai chat [options]             a conversation: /model NAME, /reset, /help, /exit, Ctrl-D
    darkai models [--json]            the models and aliases, marking the default
    darkai serve [--host HOST] [--port N] [--delay SECONDS]
                                      the built-in server in the foreground, until Ctrl-C
    darkai gateway [--host 127.0.0.1] [--port 8000] [--base-url URL | --local]
                   [--api-key KEY] [--timeout SECONDS]
                                      DarkAI as an OpenAI-compatible API, until Ctrl-C
                                      (or SIGTERM: exit 0)
    darkai batch INPUT -o OUTPUT [--concurrency N] [--resume] [options]
                                      a reply to every row of a JSONL file, appended to
                                      OUTPUT as each finishes (see ``darkai batch --help``)

Options of a reply and of chat: ``-m/--model``, ``--system TEXT``, ``--base-url URL`` or
``--local`` (start the built-in server and stream from it over HTTP), ``--proxy URL``,
``--timeout SECONDS`` (total), ``--max-retries N``, ``--strict`` (a final-response that
differs from the text is an error), ``--json`` and ``--debug`` (tracebacks, debug log).

``--json`` writes one object per line: ``{"type": "text", "text": ...}`` per chunk, then
``{"type": "done", "model": ..., "characters": N, "seconds": S, "final_message_matches":
true|false|null}``, or on failure ``{"type": "error", "error": "<class name>", "message":
..., "partial_text": ...}``.

An error prints one line, ``darkai: error: ...``, on stderr; text already streamed stays
on stdout. ``darkai chat`` keeps going after a failed turn and exits with the code of the
session's last error. Exit codes:

      0  success
      1  any other error: another DarkAIError, or `serve` or `gateway` cannot
         listen
      2  usage: bad arguments or options, no prompt or an empty one
      3  the server could not be reached, or the connection failed
         (APIConnectionError)
      4  a connect, read or total timeout expired (APITimeoutError)
      5  the server answered with a non-2xx HTTP status (APIStatusError)
      6  the stream broke the protocol, ended before stream-end, differed from
         its final-response (--strict) or carried an error event
         (ProtocolError, IncompleteStreamError, StreamIntegrityError,
         ServerEventError)
      7  unknown model or alias (UnknownModelError)
    130  interrupted by Ctrl-C (SIGINT); the text already printed stays
    141  stdout was closed by its reader (broken pipe)

The HTTP clients are imported only when a command needs them, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import TextIO

from ._cli._args import parse_args
from ._cli._chat import run_chat
from ._cli._commands import report_error, run_ask, run_models, run_serve
from ._cli._console import Console, one_line
from ._cli._exit import BROKEN_PIPE, ERROR, INTERRUPTED, UsageError
from ._cli._gateway import run_gateway
from ._cli._render import JsonRenderer, Renderer, TextRenderer
from ._exceptions import DarkAIError, StreamIntegrityWarning
from ._logging import logger

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``darkai`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, or a usage error argparse has reported
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    _tolerate_bad_text()
    console = Console(sys.stdin, sys.stdout, sys.stderr, debug=args.debug)
    renderer: Renderer | None = None
    if args.command in ("ask", "chat"):
        if args.json:
            renderer = JsonRenderer(console.stdout)
        else:
            renderer = TextRenderer(console.stdout, terminal=console.stdout_is_terminal)
    with _sdk_messages_to(console):
        try:
            return _run(args, console, renderer)
        except KeyboardInterrupt:
            _interrupted(console, renderer)
            return INTERRUPTED
        except BrokenPipeError:
            _discard_stdout()
            return BROKEN_PIPE
        except (DarkAIError, UsageError) as exc:
            return report_error(console, renderer, exc)
        except Exception as exc:  # a bug or an OS failure: still one line, unless --debug
            if console.debug:
                console.error(f"unexpected {type(exc).__name__}: {one_line(str(exc))}")
                console.traceback(exc)  # escaped: its text may be a server's
                return ERROR
            console.error(
                f"unexpected {type(exc).__name__}: {one_line(str(exc))} "
                "(run with --debug for the traceback)"
            )
            return ERROR
        finally:
            console.stop_spinner()


def _run(args: argparse.Namespace, console: Console, renderer: Renderer | None) -> int:
    if args.command == "models":
        return run_models(args, console)
    if args.command == "serve":
        return run_serve(args, console)
    if args.command == "gateway":
        return run_gateway(args, console)
    if args.command == "batch":
        from ._cli._batch import run_batch  # asyncio and the batch only when asked for

        return run_batch(args, console)
    assert renderer is not None
    if args.command == "chat":
        return run_chat(args, console, renderer)
    return run_ask(args, console, renderer)


def _interrupted(console: Console, renderer: Renderer | None) -> None:
    """After Ctrl-C: end the line (the partial reply stays), and say so with --json."""
    console.stop_spinner()
    with contextlib.suppress(OSError, ValueError):
        if isinstance(renderer, TextRenderer) and renderer.line_open:
            renderer.end_line()
            return
        if isinstance(renderer, JsonRenderer):
            renderer.failed("KeyboardInterrupt", "interrupted")
        console.stderr.write("\n")
        console.stderr.flush()


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _tolerate_bad_text() -> None:
    """Replace, rather than fail on, characters the terminal's encoding cannot carry."""
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors="replace")


@contextlib.contextmanager
def _sdk_messages_to(console: Console) -> Iterator[None]:
    """Show the SDK's warnings and log records as ``darkai: ...`` lines on stderr."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        console.warning(str(message))

    handler = console.log_handler()
    level = logger.level
    # DARKAI_LOG has set up its own handler: leave the log to it.
    own = not logger.handlers
    if own:
        logger.addHandler(handler)
    if console.debug:
        logger.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", StreamIntegrityWarning)
            warnings.showwarning = show
            yield
    finally:
        if own:
            logger.removeHandler(handler)
        logger.setLevel(level)
