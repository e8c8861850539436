"""ClientOptions: every bad setting fails at construction; nothing it shows holds a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from darkai_sdk import Timeout, UnknownModelError
from darkai_sdk._options import ClientOptions
from darkai_sdk._request import DEFAULT_BASE_URL, Request

PROXY = "http://alice:hunter2-pw@proxy.example:3128"


def _create(**overrides: Any) -> ClientOptions:
    arguments: dict[str, Any] = {
        "base_url": "https://darkai.foundation/chat",
        "proxy": None,
        "timeout": None,
        "max_retries": 2,
        "headers": None,
        "strict_models": True,
        "on_mismatch": "warn",
        "verify": True,
        "max_line_size": 1 << 20,
    }
    arguments.update(overrides)
    base_url = arguments.pop("base_url")
    return ClientOptions.create(base_url, **arguments)


# --- good settings ---------------------------------------------------------------------------


def test_defaults_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DARKAI_BASE_URL", raising=False)
    options = _create(base_url=None)
    assert options.base_url == DEFAULT_BASE_URL
    assert options.timeout == Timeout()
    assert options.retry.max_retries == 2
    assert options.headers == {}
    assert options.proxy is None
    assert options.on_mismatch == "warn"
    assert options.verify is True
    assert options.secrets == ()


def test_base_url_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "http://127.0.0.1:9999/chat")
    assert _create(base_url=None).base_url == "http://127.0.0.1:9999/chat"


def test_number_timeout_is_the_total() -> None:
    assert _create(timeout=45).timeout.total == 45.0


def test_timeout_object_is_kept() -> None:
    timeout = Timeout(connect=1, read=2, total=3)
    assert _create(timeout=timeout).timeout is timeout


def test_max_retries_sets_the_retry_policy() -> None:
    assert _create(max_retries=0).retry.max_retries == 0
    assert _create(max_retries=7).retry.max_retries == 7


def test_on_mismatch_raise_is_accepted() -> None:
    assert _create(on_mismatch="raise").on_mismatch == "raise"


def test_proxy_and_header_secrets_are_collected() -> None:
    options = _create(proxy=PROXY, headers={"Authorization": "Bearer sk-abcdef"})
    assert "hunter2-pw" in options.secrets
    assert "sk-abcdef" in options.secrets


def test_https_proxy_is_accepted() -> None:
    assert _create(proxy="https://proxy.example:8443").proxy == "https://proxy.example:8443"


# --- bad settings fail at once ---------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, 1.5, "2", None, True, False])
def test_bad_max_retries_raises(value: Any) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        _create(max_retries=value)


@pytest.mark.parametrize("value", ["ignore", "WARN", "", None, True])
def test_bad_on_mismatch_raises(value: Any) -> None:
    with pytest.raises(ValueError, match="on_mismatch"):
        _create(on_mismatch=value)


@pytest.mark.parametrize("value", ["30", [30], True, object()])
def test_bad_timeout_type_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="timeout"):
        _create(timeout=value)


@pytest.mark.parametrize("value", [0, -5, float("nan")])
def test_bad_timeout_value_raises_value_error(value: float) -> None:
    with pytest.raises(ValueError):
        _create(timeout=value)


@pytest.mark.parametrize(
    "url", ["ftp://darkai.foundation/chat", "darkai.foundation/chat", "https://", "ws://x/chat"]
)
def test_bad_base_url_scheme_raises_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        _create(base_url=url)


@pytest.mark.parametrize(
    "proxy",
    [
        "socks5://proxy.example:1080",
        "proxy.example:3128",
        "http://",
        "ftp://user:pw@proxy.example",
        "http://proxy.example:99999",
        "http://proxy.example:port",
        "http://[::1",
    ],
)
def test_bad_proxy_raises_value_error(proxy: str) -> None:
    with pytest.raises(ValueError, match="proxy"):
        _create(proxy=proxy)


def test_bad_proxy_error_does_not_show_the_password() -> None:
    with pytest.raises(ValueError) as info:
        _create(proxy="socks5://alice:hunter2-pw@proxy.example:1080")
    assert "hunter2-pw" not in str(info.value)


@pytest.mark.parametrize("proxy", [b"http://proxy.example", 3128, ["http://proxy.example"]])
def test_proxy_of_wrong_type_raises_type_error(proxy: Any) -> None:
    with pytest.raises(TypeError, match="proxy"):
        _create(proxy=proxy)


@pytest.mark.parametrize("headers", [{"X-A": 1}, {1: "v"}, [("X-A", "1")], "X-A: 1"])
def test_bad_header_types_raise_type_error(headers: Any) -> None:
    with pytest.raises(TypeError):
        _create(headers=headers)


def test_header_with_line_break_raises_value_error() -> None:
    with pytest.raises(ValueError, match="line break"):
        _create(headers={"X-A": "1\r\nX-Injected: yes"})


@pytest.mark.parametrize("value", [1, None, "yes"])
def test_non_bool_strict_models_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="strict_models"):
        _create(strict_models=value)


@pytest.mark.parametrize("value", [0, None, "false", "/path/to/ca.pem"])
def test_non_bool_verify_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="verify"):
        _create(verify=value)


@pytest.mark.parametrize("value", [0, -1, 1.5, "1024", True])
def test_bad_max_line_size_raises_value_error(value: Any) -> None:
    with pytest.raises(ValueError, match="max_line_size"):
        _create(max_line_size=value)


def test_options_are_immutable() -> None:
    with pytest.raises(AttributeError):
        _create().verify = False  # type: ignore[misc]


# --- verify=False ----------------------------------------------------------------------------


def test_verify_false_logs_a_warning_without_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="darkai_sdk")
    _create(
        base_url="https://bob:base-secret@darkai.example/chat",
        proxy=PROXY,
        headers={"Authorization": "Bearer sk-abcdef"},
        verify=False,
    )
    records = [r for r in caplog.records if r.name == "darkai_sdk"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    message = records[0].getMessage()
    assert "verification" in message
    assert "darkai.example/chat" in message
    for secret in ("base-secret", "bob", "hunter2-pw", "alice", "sk-abcdef"):
        assert secret not in message


def test_verify_true_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="darkai_sdk")
    _create(verify=True)
    assert [r for r in caplog.records if r.name == "darkai_sdk"] == []


def test_verify_false_is_kept() -> None:
    assert _create(verify=False).verify is False


# --- build -----------------------------------------------------------------------------------


def test_build_returns_a_request_for_the_configured_endpoint() -> None:
    request = _create(headers={"X-Trace": "t1"}).build("Hello", None, None)
    assert isinstance(request, Request)
    assert request.url == "https://darkai.foundation/chat"
    assert request.headers["X-Trace"] == "t1"
    assert json.loads(request.body) == {"query": "Hello", "model": "llama-3-70b"}


def test_build_formats_messages_and_resolves_the_model() -> None:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    request = _create().build(messages, "llama-3.1-405b", {"history": []})
    assert json.loads(request.body) == {
        "query": "System: S\nUser: U\nAssistant:",
        "model": "llama-3-405b",
        "history": [],
    }
    assert request.model == "llama-3-405b"


@pytest.mark.parametrize("messages", ["", "   ", "\n\t ", [{"role": "user", "content": "  "}]])
def test_build_rejects_an_empty_or_whitespace_prompt(messages: Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        _create().build(messages, None, None)


def test_build_rejects_an_unknown_model_when_strict() -> None:
    with pytest.raises(UnknownModelError):
        _create().build("hi", "made-up-model", None)


def test_build_sends_an_unknown_model_when_not_strict() -> None:
    request = _create(strict_models=False).build("hi", "made-up-model", None)
    assert json.loads(request.body)["model"] == "made-up-model"


def test_build_rejects_bad_messages() -> None:
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        _create().build([{"role": "user", "content": "a"}, {"role": "user"}], None, None)


# --- describe and repr -----------------------------------------------------------------------


def test_describe_never_shows_the_proxy_password() -> None:
    description = _create(proxy=PROXY).describe()
    assert "hunter2-pw" not in description
    assert "alice" not in description
    assert "proxy.example:3128" in description


def test_describe_hides_base_url_credentials_and_header_secrets() -> None:
    options = _create(
        base_url="https://bob:base-secret@darkai.example/chat",
        headers={"Authorization": "Bearer sk-abcdef"},
    )
    description = options.describe()
    assert "base-secret" not in description
    assert "sk-abcdef" not in description
    assert "darkai.example/chat" in description


def test_describe_names_the_endpoint_and_retries() -> None:
    description = _create(max_retries=5).describe()
    assert "https://darkai.foundation/chat" in description
    assert "max_retries=5" in description


def test_repr_never_shows_credentials() -> None:
    options = _create(proxy=PROXY, headers={"Authorization": "Bearer sk-abcdef"})
    text = repr(options)
    for secret in ("hunter2-pw", "alice", "sk-abcdef"):
        assert secret not in text
