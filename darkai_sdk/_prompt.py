"""Turn a message list into the single prompt string the service takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Messages", "format_prompt"]

Messages = str | Sequence[Mapping[str, Any]]
"""A plain prompt string, or a list of ``{"role": ..., "content": ...}`` dicts."""


def _content_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        texts: list[str] = []
        for part_index, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping):
                if part.get("type", "text") != "text":
                    continue  # images and other parts have no place in a text prompt
                text = part.get("text")
                if not isinstance(text, str):
                    raise ValueError(
                        f"messages[{index}].content[{part_index}]: "
                        "a text part needs a string 'text'"
                    )
                texts.append(text)
            else:
                raise ValueError(
                    f"messages[{index}].content[{part_index}]: "
                    "expected a string or a part mapping, "
                    f"got {type(part).__name__}"
                )
        return "".join(texts)
    raise ValueError(
        f"messages[{index}].content: expected a string or a list of parts, "
        f"got {type(content).__name__}"
    )


def format_prompt(messages: Messages) -> str:
    """Format messages into one prompt, exactly as the seed's ``format_prompt`` does.

    One message gives its content alone; several give ``"Role: content"`` lines
    joined by ``"\\n"`` and followed by ``"\\nAssistant:"``. A plain string is
    returned unchanged. Invalid input raises ``ValueError`` naming the index of
    the bad message.
    """
    if isinstance(messages, str):
        return messages
    if isinstance(messages, (bytes, bytearray)) or not isinstance(messages, Sequence):
        raise TypeError(
            f"messages must be a string or a list of message dicts, got {type(messages).__name__}"
        )
    if not messages:
        raise ValueError("messages is empty: give at least one message")
    lines: list[str] = []
    contents: list[str] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ValueError(
                f"messages[{index}]: expected a mapping with 'role' and 'content', "
                f"got {type(message).__name__}"
            )
        role = message.get("role")
        if not isinstance(role, str) or not role:
            raise ValueError(f"messages[{index}]: 'role' must be a non-empty string")
        if "content" not in message:
            raise ValueError(f"messages[{index}]: 'content' is missing")
        contents.append(_content_text(message["content"], index))
        lines.append(f"{role.capitalize()}: {contents[-1]}")
    if len(messages) == 1:
        return contents[0]
    return "\n".join(lines) + "\nAssistant:"
