"""``darkai batch``: a reply to every row of a JSONL file, several at once, appended to another."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._batch._output import OutputError, ResultsFile, refuse_results
from .._exceptions import APIConnectionError, APITimeoutError
from .._models import resolve_model
from .._redact import redact_url
from ..batch import DEFAULT_CONCURRENCY, BatchInputError, BatchResult, BatchRow, InputFile, run
from ..batch import read_input as read_rows
from ._commands import checked_text, configured_client, local_server
from ._console import Console
from ._exit import CONNECTION, ERROR, INTERRUPTED, OK, USAGE, UsageError, exit_code
from ._progress import BatchProgress

if TYPE_CHECKING:
    from .._async._client import AsyncDarkAI

__all__ = ["resume_command", "run_batch"]

#: Rows in a row that could not connect (at least twice --concurrency) that stop the batch.
UNREACHABLE_ROWS = 10
#: The exit code after SIGTERM, as a shell reports a process it ended.
TERMINATED = 128 + signal.SIGTERM

#: Seconds between two redraws of the bar on a terminal, and two checks for a line elsewhere.
_TICK_TERMINAL = 0.1
_TICK_LINES = 0.5


@dataclass
class _Outcome:
    """How the run went: the exit codes of the failed rows, and why it stopped early, if it did."""

    codes: set[int] = field(default_factory=set)
    unreachable: int = 0  # rows in a row that could not reach the server
    stopped: str = ""
    stop_code: int = OK
    signalled: bool = False

    def stop(self, why: str, code: int, *, signalled: bool = False) -> None:
        if not self.stopped:
            self.stopped, self.stop_code, self.signalled = why, code, signalled


def run_batch(args: argparse.Namespace, console: Console) -> int:
    """``darkai batch INPUT -o OUTPUT``: run every row, append each result, report."""
    system = checked_text("the --system text", args.system) if args.system else None
    if args.model:
        resolve_model(args.model)  # an unknown --model is exit 7, before anything is read
    _check_paths(args.input, args.output, args.resume)
    try:
        source = read_rows(args.input, model=args.model, system=system)
    except BatchInputError as exc:
        _report_bad_lines(console, exc)
        return USAGE
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {args.input}: {_reason(exc)}") from None
    try:
        results = ResultsFile.open(args.output, resume=args.resume, ids=source.ids)
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {_reason(exc)}") from None
    try:
        return _run_rows(args, console, source, results)
    finally:
        results.close()


def _run_rows(
    args: argparse.Namespace, console: Console, source: InputFile, results: ResultsFile
) -> int:
    skip = results.done & source.ids
    if args.resume:
        _report_resume(console, args.output, results, source, len(skip))
    todo = source.count - len(skip)
    if todo == 0:
        console.note(f"darkai: nothing to do: every row of {args.input} is in {args.output}")
        return OK
    local = local_server() if args.local else contextlib.nullcontext(args.base_url)
    with local as base_url:
        client = _client(args, base_url, console)
        progress = BatchProgress(console, todo)
        outcome = _Outcome()
        rows = source.rows(skip=skip)
        try:
            asyncio.run(_drive(client, rows, args, results, progress, outcome))
        except KeyboardInterrupt:  # a second Ctrl-C, while the first was being handled
            outcome.stop("interrupted", INTERRUPTED, signalled=True)
        finally:
            progress.stop()
    return _finish(args, console, progress, outcome)


async def _drive(
    client: AsyncDarkAI,
    rows: Iterator[BatchRow],
    args: argparse.Namespace,
    results: ResultsFile,
    progress: BatchProgress,
    outcome: _Outcome,
) -> None:
    """Run the rows, writing each result as it comes, until the end or a reason to stop.

    Ctrl-C (asyncio.run cancels this task) and SIGTERM stop it quietly; so do
    a failed write and a server that cannot be reached, row after row. Leaving
    the ``run()`` iterator cancels the rows in flight, which are not written.
    """
    ticker = asyncio.ensure_future(_tick(progress))
    stop_on_sigterm = _on_sigterm(outcome)
    unreachable_limit = max(UNREACHABLE_ROWS, 2 * args.concurrency)
    try:
        async with client, contextlib.aclosing(run(client, rows, args.concurrency)) as stream:
            async for result in stream:
                try:
                    results.write(result)
                except OSError as exc:
                    outcome.stop(f"cannot write {args.output}: {_reason(exc)}", ERROR)
                    break
                progress.add(result)
                _note(outcome, result)
                if outcome.unreachable >= unreachable_limit:
                    outcome.stop(
                        f"{outcome.unreachable} rows in a row could not reach the server; "
                        "stopped rather than fail every row",
                        CONNECTION,
                    )
                    break
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        outcome.stop("interrupted", INTERRUPTED, signalled=True)
    finally:
        ticker.cancel()
        stop_on_sigterm()


def _on_sigterm(outcome: _Outcome) -> Callable[[], None]:
    """Make SIGTERM stop the run as Ctrl-C does (where the loop can take signals); undo it."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()

    def terminated() -> None:
        outcome.stop("terminated", TERMINATED, signalled=True)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, terminated)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        return lambda: None

    def undo() -> None:
        loop.remove_signal_handler(signal.SIGTERM)

    return undo


def _note(outcome: _Outcome, result: BatchResult) -> None:
    error = result.error
    if error is None:
        outcome.unreachable = 0
        return
    exc = error.exception
    outcome.codes.add(ERROR if exc is None else exit_code(exc))
    cut_off = isinstance(exc, APIConnectionError) and not isinstance(exc, APITimeoutError)
    outcome.unreachable = outcome.unreachable + 1 if cut_off else 0


async def _tick(progress: BatchProgress) -> None:
    interval = _TICK_TERMINAL if progress.console.stderr_is_terminal else _TICK_LINES
    while True:
        progress.tick()
        await asyncio.sleep(interval)


def _finish(
    args: argparse.Namespace, console: Console, progress: BatchProgress, outcome: _Outcome
) -> int:
    """Say how it ended and how to go on; return the exit code."""
    if outcome.stopped:
        say = console.note if outcome.signalled else console.error
        prefix = "darkai: " if outcome.signalled else ""
        say(
            f"{prefix}{outcome.stopped}: {progress.done} rows written ({progress.failed} "
            f"failed); rows in flight were cancelled and not written; {args.output} is valid"
        )
        console.note(f"darkai: resume with: {resume_command(args)}")
        return outcome.stop_code
    console.note(f"darkai: batch: {progress.summary()}")
    if not progress.failed:
        return OK
    console.note(
        f"darkai: the lines of failed rows in {args.output} hold the error and the partial "
        f"text; to run them again: {resume_command(args)}"
    )
    return outcome.codes.pop() if len(outcome.codes) == 1 else ERROR


def resume_command(args: argparse.Namespace) -> str:
    """The command that continues this batch (URLs shown without their credentials)."""
    words = ["darkai", "batch", args.input, "-o", args.output, "--resume"]
    if args.concurrency != DEFAULT_CONCURRENCY:
        words += ["--concurrency", str(args.concurrency)]
    if args.model:
        words += ["--model", args.model]
    if args.system:
        words += ["--system", args.system]
    if args.local:
        words.append("--local")
    elif args.base_url:
        words += ["--base-url", redact_url(args.base_url)]
    if args.proxy:
        words += ["--proxy", redact_url(args.proxy)]
    if args.timeout is not None:
        words += ["--timeout", f"{args.timeout:g}"]
    if args.max_retries != 2:
        words += ["--max-retries", str(args.max_retries)]
    if args.strict:
        words.append("--strict")
    return shlex.join(words)


def _check_paths(input_path: str, output_path: str, resume: bool) -> None:
    """Refuse, before reading INPUT, an OUTPUT that is INPUT or holds results unasked."""
    if input_path == "-":
        raise UsageError("INPUT must be a file, not stdin: it is checked whole, then read again")
    if output_path == "-":
        raise UsageError("OUTPUT must be a file, not stdout: --resume reads it back")
    try:
        same = os.path.samefile(input_path, output_path)
    except OSError:
        same = False
    if same:
        raise UsageError(f"OUTPUT is INPUT ({output_path}): results go to another file")
    if not resume:
        try:
            size = os.stat(output_path).st_size
        except OSError:
            return  # missing is fine; anything else is reported when it is opened
        try:
            refuse_results(output_path, size)
        except OutputError as exc:
            raise UsageError(str(exc)) from None


def _client(args: argparse.Namespace, base_url: str | None, console: Console) -> AsyncDarkAI:
    from .._async._client import AsyncDarkAI

    # A connection for every row in flight, and no more.
    return configured_client(AsyncDarkAI, args, base_url, console, max_connections=args.concurrency)


def _report_bad_lines(console: Console, exc: BatchInputError) -> None:
    console.error(f"{exc}; nothing was sent")
    for line, message in exc.problems:
        console.note(f"  line {line}: {message}")
    if exc.count > len(exc.problems):
        console.note(f"  ... and {exc.count - len(exc.problems)} more (all listed above by number)")


def _report_resume(
    console: Console, output: str, results: ResultsFile, source: InputFile, skipped: int
) -> None:
    if results.torn_bytes:
        console.note(
            f"darkai: cut off the torn last line of {output} ({results.torn_bytes} bytes); "
            "its row runs again"
        )
    rerun = len(results.rerun - results.done)
    if rerun:
        console.note(f"darkai: {rerun} failed rows run again (their lines are replaced)")
    if skipped:
        console.note(f"darkai: {skipped} rows already in {output} are skipped")
    foreign = len(results.done - source.ids)
    if foreign:
        console.note(f"darkai: {foreign} results in {output} are for ids not in the input (kept)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
