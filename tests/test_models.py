"""resolve_model: the default, aliases, and unknown names."""

from __future__ import annotations

from typing import Any

import pytest

from darkai_sdk import DEFAULT_MODEL, MODEL_ALIASES, MODELS, UnknownModelError, resolve_model
from darkai_sdk._exceptions import DarkAIError


def test_default_model_is_llama_3_70b() -> None:
    assert DEFAULT_MODEL == "llama-3-70b"


def test_none_resolves_to_the_default() -> None:
    assert resolve_model(None) == "llama-3-70b"


def test_empty_string_resolves_to_the_default() -> None:
    assert resolve_model("") == "llama-3-70b"


def test_catalog_holds_the_models_seen_in_the_protocol() -> None:
    assert set(MODELS) == {"gpt-4o", "gpt-3.5-turbo", "llama-3-70b", "llama-3-405b"}


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-3.5-turbo", "llama-3-70b", "llama-3-405b"])
def test_known_model_resolves_to_itself(model: str) -> None:
    assert resolve_model(model) == model


def test_alias_llama_3_1_70b_resolves_to_llama_3_70b() -> None:
    assert resolve_model("llama-3.1-70b") == "llama-3-70b"


def test_alias_llama_3_1_405b_resolves_to_llama_3_405b() -> None:
    assert resolve_model("llama-3.1-405b") == "llama-3-405b"


def test_every_alias_targets_a_known_model() -> None:
    assert all(target in MODELS for target in MODEL_ALIASES.values())


def test_alias_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        MODEL_ALIASES["x"] = "gpt-4o"  # type: ignore[index]


def test_unknown_model_raises_unknown_model_error() -> None:
    with pytest.raises(UnknownModelError):
        resolve_model("gpt-5-ultra")


def test_unknown_model_error_is_a_value_error_and_a_darkai_error() -> None:
    with pytest.raises(ValueError) as info:
        resolve_model("nope")
    assert isinstance(info.value, DarkAIError)


def test_unknown_model_error_names_the_model_and_lists_valid_names() -> None:
    with pytest.raises(UnknownModelError) as info:
        resolve_model("gpt-5-ultra")
    message = str(info.value)
    assert "gpt-5-ultra" in message
    for name in (*MODELS, *MODEL_ALIASES):
        assert name in message


@pytest.mark.parametrize("model", ["GPT-4O", " gpt-4o", "gpt-4o "])
def test_model_names_are_matched_exactly(model: str) -> None:
    with pytest.raises(UnknownModelError):
        resolve_model(model)


def test_non_strict_sends_unknown_name_unchanged() -> None:
    assert resolve_model("brand-new-model", strict=False) == "brand-new-model"


def test_non_strict_still_resolves_aliases_and_default() -> None:
    assert resolve_model("llama-3.1-405b", strict=False) == "llama-3-405b"
    assert resolve_model(None, strict=False) == "llama-3-70b"


@pytest.mark.parametrize("model", [5, b"gpt-4o", ["gpt-4o"]])
def test_non_string_model_raises_type_error(model: Any) -> None:
    with pytest.raises(TypeError):
        resolve_model(model)
