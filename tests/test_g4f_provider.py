"""``darkai_sdk.provider.DarkAI`` against gpt4free's own DarkAI class, from the installed g4f."""

from __future__ import annotations

from importlib.metadata import version

import pytest

pytest.importorskip("g4f", reason="gpt4free is not installed (pip install -e '.[g4f]')")

import g4f.Provider
from g4f.errors import ModelNotSupportedError

from darkai_sdk import UnknownModelError
from darkai_sdk.provider import DarkAI

pytestmark = pytest.mark.timeout(30)

G4F_DARKAI = g4f.Provider.DarkAI
# Every class attribute the seed documents; `working` is compared on its own.
SEED_ATTRIBUTES = ["url", "api_endpoint", "supports_stream", "default_model", "models"]
SEED_ATTRIBUTES += ["model_aliases"]
# What gpt4free's base classes give its DarkAI.
BASE_ATTRIBUTES = ["needs_auth", "supports_system_message", "supports_message_history"]


def test_installed_gpt4free_is_the_pinned_release() -> None:
    assert version("g4f") == "0.5.3.1"
    assert G4F_DARKAI.__module__ == "g4f.Provider.not_working.DarkAI"


@pytest.mark.parametrize("name", SEED_ATTRIBUTES + BASE_ATTRIBUTES)
def test_attribute_is_gpt4frees(name: str) -> None:
    assert getattr(DarkAI, name) == getattr(G4F_DARKAI, name)


def test_working_is_the_one_deliberate_difference() -> None:
    # gpt4free marked its class not working once the public service went away; this
    # one works, and g4f.ChatCompletion refuses a provider that says it does not
    # (tests/test_g4f_client.py shows the refusal).
    assert G4F_DARKAI.working is False
    assert DarkAI.working is True


def test_optional_attributes_are_absent_as_on_gpt4frees_class() -> None:
    for name in ("label", "parent"):
        assert hasattr(DarkAI, name) is hasattr(G4F_DARKAI, name) is False


@pytest.mark.parametrize("name", ["", "gpt-4o", "gpt-3.5-turbo", "llama-3-70b", "llama-3.1-70b"])
def test_get_model_resolves_as_gpt4free_does(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # gpt4free's get_model writes last_model on its class; keep that from leaking.
    monkeypatch.setattr(G4F_DARKAI, "last_model", None)
    assert DarkAI.get_model(name) == G4F_DARKAI.get_model(name)
    assert DarkAI.last_model == G4F_DARKAI.last_model


@pytest.mark.parametrize("name", ["gpt-5", "llama-3-405b", "llama-3.1-405b"])
def test_get_model_refuses_what_gpt4free_refuses(name: str) -> None:
    with pytest.raises(ModelNotSupportedError, match=name):
        G4F_DARKAI.get_model(name)
    with pytest.raises(UnknownModelError, match=name):
        DarkAI.get_model(name)


def test_get_models_get_dict_and_get_parent_are_gpt4frees() -> None:
    assert DarkAI.get_models() == G4F_DARKAI.get_models()
    assert DarkAI.get_dict() == G4F_DARKAI.get_dict()
    assert DarkAI.get_parent() == G4F_DARKAI.get_parent()


def test_get_parameters_covers_gpt4frees() -> None:
    theirs = G4F_DARKAI.get_parameters()
    ours = DarkAI.get_parameters()
    assert set(theirs) == {"model", "messages", "proxy"}
    assert set(theirs) <= set(ours)
    their_json = G4F_DARKAI.get_parameters(as_json=True)
    our_json = DarkAI.get_parameters(as_json=True)
    for name in ("provider", "model", "messages", "stream"):
        assert our_json[name] == their_json[name], name


def test_params_lists_gpt4frees_parameters() -> None:
    assert G4F_DARKAI.params.startswith("g4f.Provider.DarkAI supports: (\n")
    assert DarkAI.params.startswith("darkai_sdk.provider.DarkAI supports: (\n")
    for name in G4F_DARKAI.get_parameters():
        assert f"\n    {name}: " in DarkAI.params, name
