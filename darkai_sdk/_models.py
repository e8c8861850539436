"""The model catalog: known models, aliases and the default."""

from __future__ import annotations

from types import MappingProxyType

from ._exceptions import UnknownModelError

__all__ = ["DEFAULT_MODEL", "MODELS", "MODEL_ALIASES", "resolve_model"]

DEFAULT_MODEL = "llama-3-70b"
MODELS: tuple[str, ...] = ("gpt-4o", "gpt-3.5-turbo", "llama-3-70b", "llama-3-405b")
MODEL_ALIASES = MappingProxyType({"llama-3.1-70b": "llama-3-70b", "llama-3.1-405b": "llama-3-405b"})


def resolve_model(model: str | None, *, strict: bool = True) -> str:
    """Return the model id to send: the default for None or "", an alias's target.

    An unknown name raises :class:`UnknownModelError` listing the valid names,
    unless ``strict`` is false, when it is sent unchanged.
    """
    if model is None or model == "":
        return DEFAULT_MODEL
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {type(model).__name__}")
    if model in MODELS:
        return model
    target = MODEL_ALIASES.get(model)
    if target is not None:
        return target
    if not strict:
        return model
    valid = ", ".join([*MODELS, *MODEL_ALIASES])
    raise UnknownModelError(f"unknown model {model!r}; valid models and aliases: {valid}")
