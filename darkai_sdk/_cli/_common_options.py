"""The options several ``darkai`` commands share, and the argument types they use."""

from __future__ import annotations

import argparse

__all__ = [
    "add_client_options",
    "add_output_options",
    "add_reply_options",
    "add_request_options",
    "non_negative_float",
    "non_negative_int",
    "port",
    "positive_float",
    "positive_int",
]


def _seconds(text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 if allow_zero else value > 0) or value == float("inf"):
        wanted = "0 or more seconds" if allow_zero else "a positive number of seconds"
        raise argparse.ArgumentTypeError(f"must be {wanted}: {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argument that must be a whole number of 1 or more."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def positive_float(text: str) -> float:
    return _seconds(text, allow_zero=False)


def non_negative_float(text: str) -> float:
    return _seconds(text, allow_zero=True)


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def port(text: str) -> int:
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return value


def add_client_options(
    parser: argparse.ArgumentParser, *, local: str, timeout: str, strict: str
) -> None:
    """The endpoint (``--base-url`` or ``--local``) and how the client reaches it."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--base-url",
        metavar="URL",
        help="the chat endpoint (default: $DARKAI_BASE_URL, else https://darkai.foundation/chat)",
    )
    where.add_argument("--local", action="store_true", help=local)
    parser.add_argument("--proxy", metavar="URL", help="send requests through this HTTP proxy")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive_float, help=timeout)
    parser.add_argument(
        "--max-retries",
        metavar="N",
        type=non_negative_int,
        default=2,
        help="retries of a request that fails before any text arrives (default: 2)",
    )
    parser.add_argument("--strict", action="store_true", help=strict)


def add_reply_options(parser: argparse.ArgumentParser) -> None:
    add_request_options(parser)
    add_output_options(parser)


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--system`` and the client's options, of a command that sends prompts."""
    parser.add_argument(
        "-m", "--model", help="model or alias (default: llama-3-70b; see `darkai models`)"
    )
    parser.add_argument("--system", metavar="TEXT", help="a system message before yours")
    add_client_options(
        parser,
        local="start the built-in local server and talk to it over HTTP (a demo; no network)",
        timeout="give up when a request takes longer than this in all (default: 600)",
        strict="a final-response that differs from the streamed text is an error (exit 6), "
        "not a warning",
    )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: {"type": "text"|"done"|"error", ...}',
    )
    parser.add_argument(
        "--debug", action="store_true", help="tracebacks and the SDK's debug log on stderr"
    )
