"""The OpenAI objects of one completion: ``chat.completion`` and its stream of chunks."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from ._errors import GatewayError

__all__ = ["DONE", "Completion", "error_event"]

#: The stream's last event after a whole reply.
DONE = b"data: [DONE]\n\n"


def _event(obj: object) -> bytes:
    # ASCII JSON: every character of the model's text is escaped, U+2028 and controls too.
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode("ascii") + b"\n\n"


def error_event(error: GatewayError) -> bytes:
    """``data: {"error": {...}}``: how a stream that cannot be finished ends."""
    return _event(error.body())


class Completion:
    """One completion's id, creation time and model, and its objects as bytes."""

    def __init__(self, model: str, *, include_usage: bool = False) -> None:
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        # A text chunk is built by splicing its JSON string between two constant halves.
        before, after = json.dumps(
            self._chunk({"content": "\0"}, None), separators=(",", ":")
        ).split('"\\u0000"')
        self._text_before = b"data: " + before.encode("ascii")
        self._text_after = after.encode("ascii") + b"\n\n"

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def first_chunk(self) -> bytes:
        """The chunk that opens the stream: ``delta: {"role": "assistant"}``."""
        return _event(self._chunk({"role": "assistant"}, None))

    def text_chunk(self, text: str) -> bytes:
        """A chunk carrying ``text`` as ``delta.content``."""
        return self._text_before + json.dumps(text).encode("ascii") + self._text_after

    def last_chunks(self) -> bytes:
        """After a whole reply: ``finish_reason: "stop"``, the usage chunk if asked, ``[DONE]``.

        DarkAI reports no token counts, so the usage chunk has ``usage: null``.
        """
        out = _event(self._chunk({}, "stop"))
        if self.include_usage:
            out += _event({**self._chunk({}, None), "choices": [], "usage": None})
        return out + DONE

    def whole(self, text: str) -> bytes:
        """The ``chat.completion`` object of a whole reply, as JSON bytes."""
        return json.dumps(
            {
                "id": self.id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": None,
            }
        ).encode("ascii")
