"""The options of ``darkai batch``."""

from __future__ import annotations

import argparse

from ..batch import DEFAULT_CONCURRENCY
from ._common_options import add_request_options, positive_int

__all__ = ["batch_parser"]

_DESCRIPTION = """\
Stream a reply to every row of INPUT (JSON Lines) and append each result to
OUTPUT as it finishes, at most --concurrency at once over one connection pool.

INPUT: one JSON object per line, {"id": ..., "prompt": "..."} or
{"id": ..., "messages": [{"role": ..., "content": ...}, ...]}, with an optional
"model"; other keys are ignored. The whole file is checked first: bad lines
are listed by number and nothing is sent (exit 2).

OUTPUT: one JSON object per finished row, {"id", "model", "text", "error",
"elapsed_s", "retries"}; "error" is null, or {"type", "message", "status"}
with the partial text in "text". A line is written whole or not at all.
A non-empty OUTPUT is never overwritten: --resume skips the ids it holds
without an error and runs the failed ones again (their lines are replaced).

Ctrl-C stops starting rows and cancels those in flight (they are not written),
leaves OUTPUT valid, prints the command that resumes, and exits 130. SIGTERM
does the same (exit 143); so do a failed write to OUTPUT (exit 1) and a server
that cannot be reached by 10 rows in a row (exit 3).
"""

_EPILOG = """\
example:
  darkai batch prompts.jsonl -o out.jsonl --local       try it on the built-in server
  darkai batch prompts.jsonl -o out.jsonl --resume      go on after Ctrl-C or failures

exit codes: 0 every row done; when rows failed, the code of their error if
they share one (3 connection, 4 timeout, 5 status, 6 protocol), else 1;
2 a bad option, bad INPUT lines or an OUTPUT that cannot be used;
7 an unknown --model; 130 Ctrl-C; 143 SIGTERM.
"""


def batch_parser() -> argparse.ArgumentParser:
    """The parser of ``darkai batch``'s arguments (after the word ``batch``)."""
    parser = argparse.ArgumentParser(
        prog="darkai batch",
        usage="darkai batch INPUT -o OUTPUT [--concurrency N] [--resume] [options]",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="the prompts: a JSON Lines file")
    parser.add_argument(
        "-o", "--output", metavar="OUTPUT", required=True, help="the results: a JSON Lines file"
    )
    parser.add_argument(
        "-c",
        "--concurrency",
        metavar="N",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"rows in flight at once (default: {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue OUTPUT: skip the rows it holds whole, run the rest and the failed again",
    )
    add_request_options(parser)
    parser.add_argument(
        "--debug", action="store_true", help="tracebacks and the SDK's debug log on stderr"
    )
    parser.set_defaults(command="batch")
    return parser
