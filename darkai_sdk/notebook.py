"""Live display of a streamed reply: Markdown updated in place in IPython, plain text elsewhere."""

from __future__ import annotations

import sys
from typing import Protocol

__all__ = ["LiveView", "live_display"]


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


def live_display() -> LiveView:
    """Return the view for where the code runs (plain text until the notebook module lands)."""
    return _PlainView()
