"""The command line: ``darkai [options] PROMPT`` and the commands ``chat``, ``models``, ``serve``,
``gateway`` and ``batch``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .._version import __version__
from ._batch_args import batch_parser
from ._common_options import (
    add_client_options,
    add_reply_options,
    non_negative_float,
    port,
)
from ._exit import exit_code_table

__all__ = ["COMMANDS", "GATEWAY_KEY_VARIABLE", "LOCAL_DELAY", "parse_args"]

#: Commands are recognised only as the first argument; anything else is a prompt.
COMMANDS = ("chat", "models", "serve", "gateway", "batch")

#: Seconds between two chunks of the built-in server, so streaming is visible.
LOCAL_DELAY = 0.04

#: The environment variable ``darkai gateway`` reads its API key from, without --api-key.
GATEWAY_KEY_VARIABLE = "DARKAI_GATEWAY_API_KEY"

_OVERVIEW = """\
Stream replies from the DarkAI chat API.

commands (the command comes first):
  darkai [options] PROMPT ...   stream the reply to PROMPT to stdout
                                (PROMPT "-", or none with stdin piped: read stdin)
  darkai chat [options]         a conversation; /help inside lists its commands
  darkai models [--json]        list the models and aliases, marking the default
  darkai serve [--host HOST] [--port N]
                                run the built-in local DarkAI server until Ctrl-C
  darkai gateway [--port 8000] [--local]
                                serve DarkAI as an OpenAI-compatible API until Ctrl-C
  darkai batch INPUT.jsonl -o OUTPUT.jsonl [options]
                                a reply to every prompt of a file, several at once
"""

_EXAMPLES = """\
examples:
  darkai --local "hello"                  try it on the built-in server, no network
  darkai gateway --local                  any OpenAI client, at http://127.0.0.1:8000/v1
  darkai -m gpt-4o "why is the sky blue?"
  git diff | darkai --system "Review this diff."
  darkai --json "hi" | jq -r 'select(.type == "text").text'

environment:
  DARKAI_BASE_URL   the endpoint when --base-url is not given
  DARKAI_LOG        debug, info or warning: the SDK's log on stderr
  DARKAI_GATEWAY_API_KEY
                    the key `darkai gateway` requires when --api-key is not given
"""


def _exit_code_table() -> str:
    return f"exit codes:\n{exit_code_table()}\n"


def _prompt_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="darkai",
        usage="darkai [options] PROMPT ...\n"
        "       darkai {chat,models,serve,gateway,batch} [options]",
        description=_OVERVIEW,
        epilog=_EXAMPLES + "\n" + _exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "prompt",
        nargs="*",
        metavar="PROMPT",
        help='the prompt (words are joined with spaces); "-" reads it from stdin',
    )
    add_reply_options(parser)
    parser.add_argument("--version", action="version", version=f"darkai {__version__}")
    parser.set_defaults(command="ask")
    return parser


def _chat_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="darkai chat",
        description="A conversation with DarkAI: every turn sends the whole conversation. "
        "Type /help for the commands, Ctrl-D or /exit to leave. Input may be piped.",
        epilog=_exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reply_options(parser)
    parser.set_defaults(command="chat")
    return parser


def _models_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="darkai models", description="List the models and aliases, marking the default."
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(command="models", debug=False)
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="darkai serve",
        description="Run the built-in DarkAI server (the test server of darkai_sdk.testing) "
        "in the foreground and print its URL; Ctrl-C stops it. It echoes every prompt.",
        epilog="then, elsewhere: darkai --base-url URL 'hello'",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=port, default=0, help="port to bind (default: 0, a free port)"
    )
    parser.add_argument(
        "--delay",
        metavar="SECONDS",
        type=non_negative_float,
        default=LOCAL_DELAY,
        help=f"pause between two chunks, to make streaming visible (default: {LOCAL_DELAY})",
    )
    parser.add_argument("--debug", action="store_true", help="tracebacks on stderr")
    parser.set_defaults(command="serve")
    return parser


def _gateway_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="darkai gateway",
        description="Serve DarkAI models through the OpenAI chat API (POST /v1/chat/completions, "
        "GET /v1/models) for any OpenAI client, until Ctrl-C. Prints its base URL, then one "
        "log line per request on stderr. A reply lost mid-stream reaches the client as an "
        "error, never as a finished reply.",
        epilog="then, elsewhere: OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=any "
        "your-openai-program",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=port, default=8000, help="port to bind (default: 8000; 0: a free port)"
    )
    add_client_options(
        parser,
        local="put the built-in local DarkAI server behind the gateway (a demo; no network)",
        timeout="give up on the DarkAI server after this long without a byte (default: 120)",
        strict="a final-response that differs from the streamed text ends the reply with an "
        "error, not a warning",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="require 'Authorization: Bearer KEY' from clients "
        f"(default: ${GATEWAY_KEY_VARIABLE}, else no key)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="tracebacks and the SDK's debug log on stderr"
    )
    parser.set_defaults(command="gateway")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` (without the program name); a usage error exits 2 via argparse."""
    if argv and argv[0] == "batch":
        return batch_parser().parse_args(argv[1:])
    if argv and argv[0] in COMMANDS:
        parser = {
            "chat": _chat_parser,
            "models": _models_parser,
            "serve": _serve_parser,
            "gateway": _gateway_parser,
        }[argv[0]]()
        return parser.parse_args(argv[1:])
    return _prompt_parser().parse_args(argv)
