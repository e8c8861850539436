"""A chat completion request in the OpenAI shape: checked, and what of it is honoured."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import UnknownModelError, resolve_model
from ._errors import GatewayError

__all__ = ["ChatRequest", "parse_chat_request", "parse_json"]

#: Roles a message may have; ``developer`` is OpenAI's newer name for ``system``.
ROLES = ("system", "user", "assistant", "developer")
# Fields of the request the gateway reads itself.
_USED = frozenset({"model", "messages", "stream", "stream_options"})
# Fields the gateway honours as they are when they ask for nothing more than it does.
_HONOURED_AS_IS: Mapping[str, tuple[Any, ...]] = {
    "n": (None, 1),
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "tools": (None, []),
    "functions": (None, []),
    "tool_choice": (None, "none", "auto"),
    "function_call": (None, "none", "auto"),
}
# What a refused field asks for, in the error.
_REFUSED = {
    "n": "more than one choice (n > 1)",
    "logprobs": "log probabilities",
    "top_logprobs": "log probabilities",
    "tools": "tool calls",
    "functions": "function calls",
    "tool_choice": "a tool call",
    "function_call": "a function call",
}
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
#: How many ignored fields are named at most; more are counted ("and 5 more").
MAX_IGNORED_NAMED = 32


@dataclass(frozen=True)
class ChatRequest:
    """What the gateway sends upstream for one request, and what it ignored."""

    #: The catalog's id of the model the caller named (an alias resolved).
    model: str
    #: ``{"role", "content"}`` dicts with text content, for the prompt formatter.
    messages: list[dict[str, str]]
    stream: bool
    include_usage: bool
    #: Names of the fields accepted and ignored (sampling and the like), sorted;
    #: past :data:`MAX_IGNORED_NAMED` of them, the last says how many more.
    ignored: tuple[str, ...]


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # also not UTF-8, and "[[[[..." past the limit
        raise GatewayError(400, "the request body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise GatewayError(400, "the request body must be a JSON object", code="invalid_json")
    return data


def _shown_name(name: str) -> str:
    """A field name from the caller, safe in a header: percent-encoded, capped."""
    return name if _SAFE_NAME.fullmatch(name) else quote(name[:64], safe="")


def _refuse(name: str, value: Any) -> None:
    allowed = _HONOURED_AS_IS.get(name)
    if allowed is None or any(value == ok and type(value) is type(ok) for ok in allowed):
        return
    if name == "n" and isinstance(value, int) and not isinstance(value, bool) and value > 1:
        raise GatewayError(
            400,
            f"n={value} is not supported: DarkAI gives one choice per request",
            code="unsupported_value",
            param="n",
        )
    if name == "n":
        raise GatewayError(400, "n must be a positive integer", code="invalid_value", param="n")
    raise GatewayError(
        400,
        f"'{name}' is not supported: DarkAI cannot give {_REFUSED[name]}",
        code="unsupported_parameter",
        param=name,
    )


def _response_format(value: Any) -> None:
    if value is None:
        return
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind == "text":
        return
    what = f"response_format type {kind!r}" if isinstance(kind, str) else "this response_format"
    raise GatewayError(
        400,
        f"{what} is not supported: DarkAI replies with plain text and cannot guarantee JSON",
        code="unsupported_value",
        param="response_format",
    )


def _content(content: Any, index: int) -> str:
    where = f"messages[{index}].content"
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise GatewayError(400, f"{where} must be a string or a list of text parts", param=where)
    texts: list[str] = []
    for part_index, part in enumerate(content):
        here = f"{where}[{part_index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind != "text":
            shown = f"type {kind!r}" if isinstance(kind, str) else "no text part"
            raise GatewayError(
                400,
                f"{here}: only text parts are supported, got {shown}",
                code="unsupported_value",
                param=here,
            )
        text = part.get("text")
        if not isinstance(text, str):
            raise GatewayError(400, f"{here}.text must be a string", param=f"{here}.text")
        texts.append(text)
    return "".join(texts)


def _messages(value: Any, ignored: set[str]) -> list[dict[str, str]]:
    if value is None:
        raise GatewayError(
            400, "'messages' is required", code="missing_required_parameter", param="messages"
        )
    if not isinstance(value, list) or not value:
        raise GatewayError(400, "'messages' must be a non-empty list", param="messages")
    messages: list[dict[str, str]] = []
    for index, message in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise GatewayError(400, f"{where} must be an object", param=where)
        role = message.get("role")
        if role not in ROLES:
            shown = repr(role) if isinstance(role, str) else "missing"
            raise GatewayError(
                400,
                f"{where}.role {shown} is not supported; use one of {', '.join(ROLES)}",
                code="unsupported_value",
                param=f"{where}.role",
            )
        for name in message:
            if name in ("role", "content"):
                continue
            if name in ("tool_calls", "function_call") and message[name]:
                raise GatewayError(
                    400,
                    f"{where}.{name} is not supported: DarkAI cannot make tool calls",
                    code="unsupported_parameter",
                    param=f"{where}.{name}",
                )
            ignored.add(f"messages[].{_shown_name(str(name))}")
        if "content" not in message:
            raise GatewayError(
                400,
                f"{where}.content is required",
                code="missing_required_parameter",
                param=f"{where}.content",
            )
        messages.append(
            {
                "role": "system" if role == "developer" else role,
                "content": _content(message["content"], index),
            }
        )
    return messages


def _model(value: Any) -> str:
    if value is None:
        raise GatewayError(
            400, "'model' is required", code="missing_required_parameter", param="model"
        )
    if not isinstance(value, str) or not value:
        raise GatewayError(400, "'model' must be a non-empty string", param="model")
    try:
        return resolve_model(value)
    except UnknownModelError as exc:
        raise GatewayError(404, exc.message, code="model_not_found", param="model") from None


def _stream_options(value: Any, stream: bool, ignored: set[str]) -> bool:
    if value is None:
        return False
    if not stream:
        ignored.add("stream_options")
        return False
    if not isinstance(value, Mapping):
        raise GatewayError(400, "'stream_options' must be an object", param="stream_options")
    include_usage = value.get("include_usage", False)
    if not isinstance(include_usage, bool):
        raise GatewayError(
            400,
            "stream_options.include_usage must be true or false",
            param="stream_options.include_usage",
        )
    ignored.update(
        f"stream_options.{_shown_name(str(name))}" for name in value if name != "include_usage"
    )
    return include_usage


def _named(names: list[str]) -> tuple[str, ...]:
    if len(names) <= MAX_IGNORED_NAMED:
        return tuple(names)
    return (*names[:MAX_IGNORED_NAMED], f"and {len(names) - MAX_IGNORED_NAMED} more")


def parse_chat_request(data: Mapping[str, Any]) -> ChatRequest:
    """Check a ``/v1/chat/completions`` body; raise :class:`GatewayError` on the first fault.

    Refused (400 naming the field): ``n`` > 1, ``tools``/``functions``, a
    ``tool_choice`` that demands a call, ``response_format`` other than text,
    ``logprobs``. Every other field but ``model``, ``messages``, ``stream``
    and ``stream_options`` is accepted and listed in ``ignored``.
    """
    ignored: set[str] = set()
    model = _model(data.get("model"))
    messages = _messages(data.get("messages"), ignored)
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise GatewayError(400, "'stream' must be true or false", param="stream")
    include_usage = _stream_options(data.get("stream_options"), bool(stream), ignored)
    for name, value in data.items():
        if name in _USED:
            continue
        if name == "response_format":
            _response_format(value)
        elif name in _HONOURED_AS_IS:
            _refuse(name, value)
        else:
            ignored.add(_shown_name(name))
    return ChatRequest(
        model=model,
        messages=messages,
        stream=bool(stream),
        include_usage=include_usage,
        ignored=_named(sorted(ignored)),
    )
