"""Where the command writes: reply text to stdout; notes, warnings and errors to stderr."""

from __future__ import annotations

import functools
import logging
import re
import signal
import threading
import traceback
from typing import TextIO

__all__ = ["Console", "Spinner", "escape_controls", "one_line"]

_NEWLINES = re.compile(r"\s*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*")
_CLEAR_LINE = "\r\x1b[K"
# What a terminal acts on rather than shows: C0 controls, DEL, C1 controls (U+009B
# is a one-character CSI), the bidi embeddings, overrides and isolates that reorder
# what follows them; and lone surrogates, which no terminal encoding can carry.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def one_line(text: str) -> str:
    """Join the lines of ``text`` with spaces, so a message stays one line."""
    return _NEWLINES.sub(" ", text).strip()


@functools.lru_cache(maxsize=8)
def _controls_but(keep: str) -> re.Pattern[str]:
    if not keep:
        return re.compile(f"[{_CONTROLS}]")
    return re.compile(f"(?![{re.escape(keep)}])[{_CONTROLS}]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str, keep: str = "") -> str:
    """Return ``text`` with its control characters shown as escapes, such as ``\\x1b``.

    C0 and C1 controls, DEL, bidi controls and lone surrogates are escaped, but
    not the characters in ``keep``: text from a server can then neither drive
    the terminal nor disguise what it says.
    """
    return _controls_but(keep).sub(_escaped, text)


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(stream.encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False


class Spinner:
    """A spinner drawn on a terminal by a thread until :meth:`stop`; it then erases itself."""

    def __init__(
        self,
        stream: TextIO,
        label: str = "waiting for the reply",
        *,
        delay: float = 0.15,
        interval: float = 0.08,
    ) -> None:
        self._stream = stream
        self._label = label
        self._delay = delay
        self._interval = interval
        self._frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" if _can_encode(stream, "⠋") else "|/-\\"
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def start(self) -> None:
        """Start drawing after a short delay (a fast reply never shows it)."""
        if self._thread is None and not self._stopped.is_set():
            self._thread = threading.Thread(target=self._run, name="darkai-spinner", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop drawing and erase the spinner; safe to call again."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        if self._drawn:
            self._drawn = False
            self._write(_CLEAR_LINE)

    def _run(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            # Ctrl-C must reach the main thread, which may be blocked in a socket read.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        if self._stopped.wait(self._delay):
            return
        index = 0
        while True:
            frame = self._frames[index % len(self._frames)]
            self._drawn = True
            self._write(f"{_CLEAR_LINE}{frame} {self._label}")
            index += 1
            if self._stopped.wait(self._interval):
                return

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed terminal is no reason to fail the reply
            pass


class Console:
    """The command's standard streams, and the spinner that is erased before stderr is written."""

    def __init__(
        self, stdin: TextIO | None, stdout: TextIO, stderr: TextIO, *, debug: bool = False
    ) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.debug = debug
        self._spinner: Spinner | None = None
        self._status = ""  # the live line drawn at the foot of a terminal's stderr

    @property
    def stdin_is_terminal(self) -> bool:
        """Whether stdin is a terminal (interactive), not a pipe or a file."""
        return _is_terminal(self.stdin)

    @property
    def stdout_is_terminal(self) -> bool:
        """Whether stdout is a terminal, not a pipe or a file."""
        return _is_terminal(self.stdout)

    def start_spinner(self) -> None:
        """Show a spinner on stderr, only if stderr is a terminal."""
        self.stop_spinner()
        if _is_terminal(self.stderr):
            self._spinner = Spinner(self.stderr)
            self._spinner.start()

    def stop_spinner(self) -> None:
        """Erase the spinner, if one is showing."""
        spinner, self._spinner = self._spinner, None
        if spinner is not None:
            spinner.stop()

    @property
    def stderr_is_terminal(self) -> bool:
        """Whether stderr is a terminal, where a live status line can be drawn."""
        return _is_terminal(self.stderr)

    def set_status(self, text: str) -> None:
        """Draw ``text`` as a live line at the foot of stderr, in place of the last ("" erases it).

        Only on a terminal; control characters are escaped. Lines written
        meanwhile appear above it.
        """
        if not _is_terminal(self.stderr):
            return
        shown = escape_controls(text)
        if shown != self._status:
            self._status = shown
            self.stderr.write(_CLEAR_LINE + shown)
            self.stderr.flush()

    def note(self, message: str) -> None:
        """Tell the user something on stderr (never mixed into the reply on stdout)."""
        self._line(message)

    def warning(self, message: str) -> None:
        """Print ``darkai: warning: ...`` on stderr."""
        self._line("darkai: warning: " + one_line(message))

    def error(self, message: str) -> None:
        """Print ``darkai: error: ...`` on stderr, one line."""
        self._line("darkai: error: " + one_line(message))

    def traceback(self, exc: BaseException) -> None:
        """Print the traceback of ``exc`` on stderr (``--debug``), control characters escaped."""
        self.stop_spinner()
        self.stderr.write(escape_controls("".join(traceback.format_exception(exc)), keep="\n"))
        self.stderr.flush()

    def _line(self, text: str) -> None:
        # Every line on stderr may carry a server's words (errors, warnings, logs).
        self.stop_spinner()
        status = self._status
        self.stderr.write((_CLEAR_LINE if status else "") + escape_controls(text, keep="\n") + "\n")
        self.stderr.write(status)
        self.stderr.flush()

    def log_handler(self) -> logging.Handler:
        """A logging handler that prints SDK warnings (and, with --debug, all logs) as lines."""
        return _ConsoleHandler(self)


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__(logging.DEBUG if console.debug else logging.WARNING)
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.levelno >= logging.WARNING:
                self._console.warning(message)
            else:
                self._console.note(f"darkai: {record.levelname.lower()}: {one_line(message)}")
        except Exception:
            self.handleError(record)
