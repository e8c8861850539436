"""Where the command writes: reply text to stdout; notes, warnings and errors to stderr."""

from __future__ import annotations

import logging
import re
import signal
import threading
from typing import TextIO

__all__ = ["Console", "Spinner", "one_line"]

_NEWLINES = re.compile(r"\s*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*")
_CLEAR_LINE = "\r\x1b[K"


def one_line(text: str) -> str:
    """Join the lines of ``text`` with spaces, so a message stays one line."""
    return _NEWLINES.sub(" ", text).strip()


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

    @property
    def stdin_is_terminal(self) -> bool:
        """Whether stdin is a terminal (interactive), not a pipe or a file."""
        return _is_terminal(self.stdin)

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

    def note(self, message: str) -> None:
        """Tell the user something on stderr (never mixed into the reply on stdout)."""
        self._line(message)

    def warning(self, message: str) -> None:
        """Print ``darkai: warning: ...`` on stderr."""
        self._line("darkai: warning: " + one_line(message))

    def error(self, message: str) -> None:
        """Print ``darkai: error: ...`` on stderr, one line."""
        self._line("darkai: error: " + one_line(message))

    def _line(self, text: str) -> None:
        self.stop_spinner()
        self.stderr.write(text + "\n")
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
