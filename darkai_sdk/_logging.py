"""The SDK's logger, ``darkai_sdk``, and ``DARKAI_LOG`` to turn it on without code."""

from __future__ import annotations

import logging
import os

__all__ = ["logger", "setup_from_env"]

logger = logging.getLogger("darkai_sdk")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def setup_from_env() -> None:
    """If ``DARKAI_LOG`` is debug, info or warning, log at that level to stderr."""
    level = _LEVELS.get(os.environ.get("DARKAI_LOG", "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(isinstance(h, _EnvHandler) for h in logger.handlers):
        handler = _EnvHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler DARKAI_LOG adds: one at most, however often it is set up."""
