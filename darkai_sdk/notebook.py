"""Live display of a streamed reply: Markdown updated in place in IPython, plain text elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["UPDATE_INTERVAL", "LiveView", "MarkdownView", "live_display"]

#: The least time, in seconds, between two in-place updates of a notebook display.
UPDATE_INTERVAL = 0.05


class LiveView(Protocol):
    """Something that shows a reply as chunks are appended."""

    def append(self, chunk: str) -> None:
        """Show ``chunk`` after what is already shown."""

    def close(self) -> None:
        """Finish the display."""


class _PlainView:
    def append(self, chunk: str) -> None:
        sys.stdout.write(chunk)
        sys.stdout.flush()

    def close(self) -> None:
        sys.stdout.write("\n")
        sys.stdout.flush()


class MarkdownView:
    """Shows the text so far as one Markdown output, redrawn at most every ``interval`` s.

    Each redraw sends the whole text, so redrawing on every chunk would make a
    long reply cost O(n^2); ``close()`` draws whatever the last redraw missed.
    """

    def __init__(
        self,
        display: Callable[..., Any],
        markdown: Callable[[str], Any],
        *,
        interval: float = UPDATE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._markdown = markdown
        self._interval = interval
        self._clock = clock
        self._parts: list[str] = []
        self._dirty = False  # text appended since the last redraw
        self._handle = display(markdown(""), display_id=True)
        self._last = clock()

    @property
    def text(self) -> str:
        """All text appended so far."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def append(self, chunk: str) -> None:
        """Add ``chunk``; redraw if the last redraw is at least ``interval`` old."""
        self._parts.append(chunk)
        self._dirty = True
        now = self._clock()
        if now - self._last >= self._interval:
            self._update(now)

    def close(self) -> None:
        """Draw the final text if the last redraw did not show it."""
        if self._dirty:
            self._update(self._clock())

    def _update(self, now: float) -> None:
        self._handle.update(self._markdown(self.text))
        self._dirty = False
        self._last = now


def _kernel_display() -> LiveView | None:
    """A Markdown view if this runs in a Jupyter kernel, else None."""
    # Code that has not imported IPython is not running in it: no import cost for scripts.
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        return None
    shell = get_ipython()
    # The terminal IPython shell has no kernel and shows no rich output.
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return MarkdownView(display, Markdown)


def live_display() -> LiveView:
    """Return a view for where the code runs: live Markdown in Jupyter, else plain stdout."""
    view = _kernel_display()
    return view if view is not None else _PlainView()
