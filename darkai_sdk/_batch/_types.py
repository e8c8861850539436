"""A batch's rows and results, and the check that makes a row out of a JSON object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import APIStatusError, DarkAIError, UnknownModelError
from .._models import resolve_model
from .._prompt import Messages, format_prompt
from .._request import check_sendable

__all__ = ["BatchError", "BatchResult", "BatchRow", "RowId", "check_id", "row_from_object"]

#: A row's id: a non-empty string or an integer, unique in its batch.
RowId = str | int


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One prompt of a batch: its ``id``, the ``messages`` and the ``model`` (None: the default).

    ``messages`` is what ``client.stream()`` takes: a prompt string or a list
    of role/content dicts.
    """

    id: RowId
    messages: Messages
    model: str | None = None


@dataclass(frozen=True, slots=True)
class BatchError:
    """Why a row failed: the error's class name, its message and the HTTP status, if any.

    ``exception`` is the error itself (None for one read back from a file).
    """

    type: str
    message: str
    status: int | None = None
    exception: DarkAIError | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, exc: DarkAIError) -> BatchError:
        """The record of ``exc`` (its message already masks known secrets)."""
        status = exc.status_code if isinstance(exc, APIStatusError) else None
        return cls(type(exc).__name__, str(exc), status, exc)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How one row ended: its whole ``text``, or ``error`` and the partial ``text`` that came.

    ``text`` is whole only when ``error`` is None. ``elapsed_s`` is the
    row's time from its first request to its end; ``retries`` counts the
    client's retries before the reply began.
    """

    id: RowId
    model: str
    text: str
    error: BatchError | None
    elapsed_s: float
    retries: int

    @property
    def ok(self) -> bool:
        """Whether the reply came whole."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The result as a line of the output file has it."""
        error = self.error
        return {
            "id": self.id,
            "model": self.model,
            "text": self.text,
            "error": None
            if error is None
            else {"type": error.type, "message": error.message, "status": error.status},
            "elapsed_s": round(self.elapsed_s, 3),
            "retries": self.retries,
        }


def check_id(value: Any) -> RowId:
    """Return ``value`` if it can be a row id, else raise ValueError saying why."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"id must be a string or an integer, not {_json_type(value)}")
    if isinstance(value, str) and not value:
        raise ValueError("id is empty")
    return value


def row_from_object(
    obj: Any,
    *,
    model: str | None = None,
    system: str | None = None,
    strict_models: bool = True,
) -> BatchRow:
    """Make a row of ``{"id", "prompt"}`` or ``{"id", "messages"}`` (and an optional ``"model"``).

    ``model`` is the default for a row without one; ``system`` becomes a system
    message ahead of the row's messages. Other keys are ignored. Raises
    ValueError saying what is wrong, as it would be sent or not at all: a
    prompt that is empty or not text, an unknown model.
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {_json_type(obj)}")
    if "id" not in obj:
        raise ValueError("no id")
    row_id = check_id(obj["id"])
    has_prompt, has_messages = "prompt" in obj, "messages" in obj
    if has_prompt == has_messages:
        which = "both prompt and messages" if has_prompt else "neither prompt nor messages"
        raise ValueError(f"{which}: give exactly one")
    messages: Messages
    if has_prompt:
        prompt = obj["prompt"]
        if not isinstance(prompt, str):
            raise ValueError(f"prompt must be a string, not {_json_type(prompt)}")
        messages = prompt
        if system is not None:
            messages = [_system(system), {"role": "user", "content": prompt}]
    else:
        listed = obj["messages"]
        if isinstance(listed, str) or not isinstance(listed, Sequence):
            raise ValueError(f"messages must be a list, not {_json_type(listed)}")
        messages = listed if system is None else [_system(system), *listed]
    try:
        text = format_prompt(messages)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not text.strip():
        raise ValueError("the prompt is empty")
    check_sendable("the prompt", text)
    chosen = obj.get("model")
    if chosen is not None and not isinstance(chosen, str):
        raise ValueError(f"model must be a string, not {_json_type(chosen)}")
    try:
        resolved = resolve_model(chosen or model, strict=strict_models)
    except UnknownModelError:
        raise ValueError(f"unknown model {chosen or model!r}") from None
    check_sendable("the model name", resolved)
    return BatchRow(row_id, messages, resolved)


def _system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages about a file's content."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__
